"""Reviewers' decisions on entities of the dataset (merge, split, host, scope, candidate links):
stored beside the mention decisions, exported and imported with them, served and validated by
the review app, which rebuilds the dataset after each one."""

import json
from dataclasses import replace

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from conftest import EXTRACTED
from flows.cli import app as cli
from pipeline import dataset as datasets
from pipeline.dataset import CandidateLink, Member
from pipeline.records import read_record, write_record
from pipeline.review import (EntityDecision, ReviewError, ReviewStore, decide, decide_entity,
                             effective_entity_decisions, undo_entity_decision)
from pipeline.review_app import create_app

SEED = "002_f3389fd23886204c"
HUAJIAN = "park:huajian-international-light-industry-city"
SHOE_CITY = "park:new:huajian-international-shoe-city"  # a member joined into HUAJIAN (set up below)
HAIER = "park:new:haier-industrial-park"
HAIER_SC = "park:haier-industrial-park-south-carolina"  # HAIER's candidate link (set up below)
BELARUS_PARK = "park:china-belarus-industrial-park"


@pytest.fixture()
def store(tmp_path):
    store = ReviewStore(tmp_path / "review.sqlite")
    yield store
    store.close()


def test_entity_decisions_are_kept_in_order_beside_mention_decisions(store):
    record = read_record(EXTRACTED / "documents" / f"{SEED}.json")
    mention = decide(record, record.entities[0].id, "accept", "Li")
    store.add(mention)
    made = [decide_entity("park", "merge", "Li", HAIER, other=HAIER_SC),
            decide_entity("park", "host", "Wang", HUAJIAN, value="ET"),
            decide_entity("company", "reject_link", "Li", "company:huajian-group", other="company:new:huajian")]
    assert [store.add_entity_decision(d) for d in made] == [True, True, True]
    assert store.add_entity_decision(made[1]) is False  # the same uid again: nothing added
    assert store.entity_decisions() == made
    assert store.decisions() == [mention]
    assert ReviewStore(store.path).entity_decisions() == made  # what another process reads


def test_effective_entity_decisions_leave_out_undone_ones_and_keep_the_latest_host_and_scope():
    merge = decide_entity("park", "merge", "Li", HAIER, other=HAIER_SC)
    split = decide_entity("park", "split", "Li", HUAJIAN, member=SHOE_CITY)
    host_et = decide_entity("park", "host", "Li", HUAJIAN, value="ET")
    scope = decide_entity("park", "scope", "Li", HUAJIAN, value="overseas")
    host_ke = decide_entity("park", "host", "Wang", HUAJIAN, value="KE")
    host_other = decide_entity("park", "host", "Li", BELARUS_PARK, value="BY")
    scope_again = decide_entity("park", "scope", "Wang", HUAJIAN, value="domestic")
    undo_split = undo_entity_decision(split, "Li")
    undo_scope = undo_entity_decision(scope_again, "Wang")
    decisions = [merge, split, host_et, scope, host_ke, host_other, scope_again, undo_split, undo_scope]
    assert effective_entity_decisions(decisions) == [merge, scope, host_ke, host_other]
    assert (undo_split.action, undo_split.undoes, undo_split.subject, undo_split.kind) == \
        ("undo", split.uid, HUAJIAN, "park")


BAD = {
    "unknown country": (("park", "host", HUAJIAN), {"value": "XX"},
                        "invalid host decision: value XX is no ISO 3166-1 alpha-2 country code (such as BY, ET, KH)"),
    "lower case code": (("park", "host", HUAJIAN), {"value": "et"},
                        "invalid host decision: value et is no ISO 3166-1 alpha-2 country code (such as BY, ET, KH)"),
    "no host": (("park", "host", HUAJIAN), {}, "invalid host decision: host needs value"),
    "bad scope": (("park", "scope", HUAJIAN), {"value": "abroad"},
                  "invalid scope decision: value abroad is no scope: overseas or domestic"),
    "company host": (("company", "host", "company:huajian-group"), {"value": "ET"},
                     "invalid host decision: only a park has a host country and a scope"),
    "merge with itself": (("park", "merge", HAIER), {"other": HAIER},
                          "invalid merge decision: merge needs two different entities"),
    "merge alone": (("park", "merge", HAIER), {}, "invalid merge decision: merge needs other"),
    "split without member": (("park", "split", HUAJIAN), {}, "invalid split decision: split needs member"),
    "merge with a value": (("park", "merge", HAIER), {"other": HAIER_SC, "value": "ET"},
                           "invalid merge decision: merge takes no value"),
    "company id as park": (("park", "merge", HAIER), {"other": "company:huajian-group"},
                           "invalid merge decision: other company:huajian-group is no park id (park:...)"),
    "not an id": (("park", "merge", HAIER), {"other": "Haier"},
                  "invalid merge decision: other: String should match pattern '^(park|company):\\S+$'"),
    "no reviewer": (("park", "merge", HAIER, " "), {"other": HAIER_SC},
                    "invalid merge decision: reviewer: String should have at least 1 character"),
}


@pytest.mark.parametrize("args, fields, reason", BAD.values(), ids=BAD.keys())
def test_a_bad_entity_decision_is_refused_with_the_reason(args, fields, reason):
    kind, action, subject, *reviewer = args
    with pytest.raises(ReviewError) as refused:
        decide_entity(kind, action, reviewer[0] if reviewer else "Li", subject, **fields)
    assert str(refused.value) == reason


def test_export_then_import_carries_entity_decisions_once(store, tmp_path):
    record = read_record(EXTRACTED / "documents" / f"{SEED}.json")
    store.add(decide(record, record.entities[0].id, "accept", "Li"))
    merge = decide_entity("park", "merge", "Li", HAIER, other=HAIER_SC)
    for decision in (merge, decide_entity("park", "scope", "Li", BELARUS_PARK, value="overseas"),
                     undo_entity_decision(merge, "Li")):
        store.add_entity_decision(decision)
    path = tmp_path / "decisions.jsonl"
    assert store.export(path) == 4
    lines = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    assert ["kind" in line for line in lines] == [False, True, True, True]  # how the two kinds are told apart
    other = ReviewStore(tmp_path / "other.sqlite")
    assert other.import_(path) == (4, 0)
    assert other.import_(path) == (0, 4)
    assert (other.decisions(), other.entity_decisions()) == (store.decisions(), store.entity_decisions())


def test_an_export_without_entity_decisions_imports_as_before(store, tmp_path):
    """A file written before entity decisions existed: mention decisions only."""
    record = read_record(EXTRACTED / "documents" / f"{SEED}.json")
    path = tmp_path / "old.jsonl"
    old = [decide(record, e.id, "accept", "Li") for e in record.entities[:3]]
    path.write_text("".join(d.as_json() + "\n" for d in old), encoding="utf-8")
    assert store.import_(path) == (3, 0)
    assert (store.decisions(), store.entity_decisions()) == (old, [])


@pytest.mark.parametrize("field, value, reason", [
    ("value", "XX", "value XX is no ISO 3166-1 alpha-2 country code (such as BY, ET, KH)"),
    ("action", "delete", "action: Input should be 'merge', 'split', 'host', 'scope', 'accept_link', 'reject_link' "
                         "or 'undo'"),
    ("kind", "country", "kind: Input should be 'park' or 'company'"),
    ("subject", None, "host needs subject"),
    ("extra", 1, "extra: Extra inputs are not permitted"),
])
def test_import_with_a_bad_entity_line_adds_nothing_and_names_the_line(store, tmp_path, field, value, reason):
    good = decide_entity("park", "merge", "Li", HAIER, other=HAIER_SC)
    bad = json.loads(decide_entity("park", "host", "Li", HUAJIAN, value="ET").as_json())
    bad[field] = value
    path = tmp_path / "decisions.jsonl"
    path.write_text(good.as_json() + "\n" + json.dumps(bad) + "\n", encoding="utf-8")
    with pytest.raises(ReviewError) as refused:
        store.import_(path)
    assert str(refused.value) == f"{path}, line 2: not an entity decision: {reason}"
    assert store.entity_decisions() == []


def test_the_review_command_exports_and_imports_entity_decisions(tmp_path, monkeypatch):
    monkeypatch.setenv("PARKS_HOME", str(tmp_path / "home"))
    store = ReviewStore(tmp_path / "home" / "review.sqlite")
    decision = decide_entity("park", "host", "Li", HUAJIAN, value="ET")
    store.add_entity_decision(decision)
    path = tmp_path / "decisions.jsonl"
    result = CliRunner().invoke(cli, ["review", "--export", str(path)])
    assert result.exit_code == 0 and f"1 decisions written to {path}" in result.output.replace("\n", "")
    monkeypatch.setenv("PARKS_HOME", str(tmp_path / "other"))
    result = CliRunner().invoke(cli, ["review", "--import", str(path)])
    assert result.exit_code == 0 and "1 decisions added, 0 already there" in result.output
    assert ReviewStore(tmp_path / "other" / "review.sqlite").entity_decisions() == [decision]


# --- the app ---------------------------------------------------------------------------

def write_seed_dataset(out):
    """The seed document's record and dataset, with one park joined from two names and one
    candidate link, as the resolver writes them."""
    (out / "documents").mkdir()
    write_record(read_record(EXTRACTED / "documents" / f"{SEED}.json"), out)
    built = datasets.build_dataset(out)
    for park in built.parks:
        if park.id == HUAJIAN:
            park.members = [Member(id=HUAJIAN, names=[park.names.en], basis="self", score=1.0),
                            Member(id=SHOE_CITY, names=["Huajian International Shoe City"], basis="variant",
                                   score=0.9)]
        if park.id == HAIER:
            park.candidates = [CandidateLink(other=HAIER_SC, name="Haier Industrial Park (South Carolina)",
                                             name_zh="海尔美国工业园", basis="variant", score=0.7)]
    datasets.write_dataset(built, out)
    return built


@pytest.fixture()
def client(tmp_path, resources):
    built = write_seed_dataset(tmp_path)
    store = ReviewStore(tmp_path / "review.sqlite")
    client = TestClient(create_app(tmp_path, store, resources), base_url="http://127.0.0.1:8765")
    client.headers["X-CSRF-Token"] = client.get("/api/session").json()["csrf"]
    client.headers["Origin"] = "http://127.0.0.1:8765"
    client.out, client.store, client.built = tmp_path, store, built
    yield client
    store.close()


def test_the_parks_and_companies_lists_hold_every_entity_of_the_dataset(client):
    parks = client.get("/api/entities/parks").json()
    assert [p["id"] for p in parks] == [p.id for p in client.built.parks]
    huajian = next(p for p in parks if p["id"] == HUAJIAN)
    assert {k: huajian[k] for k in ("name", "name_zh", "host", "documents", "members", "candidates")} == \
        {"name": "Huajian International Light Industry City", "name_zh": "华坚国际轻工业城", "host": "ET",
         "documents": 1, "members": 2, "candidates": 0}
    companies = client.get("/api/entities/companies").json()
    assert [c["id"] for c in companies] == [c.id for c in client.built.companies]
    assert client.get("/api/entities/countries").json() == {"detail": "no such list: parks or companies"}


def test_a_park_card_holds_its_names_evidence_companies_members_and_candidates(client):
    card = client.get(f"/api/entities/parks/{SHOE_CITY}").json()  # a member's id finds its entity
    park = next(p for p in client.built.parks if p.id == HUAJIAN)
    assert card["id"] == HUAJIAN and card["kind"] == "park"
    assert (card["names"]["en"], card["names"]["zh"]) == ("Huajian International Light Industry City", "华坚国际轻工业城")
    assert card["host_country"]["iso"] == "ET" and card["host_country"]["basis"] == "gazetteer"
    assert card["documents"] == [{"doc_id": SEED, "title": "Development Modes of China's Overseas Industrial Parks "
                                                           "along the Belt and Road", "mentions": park.documents[0].mentions}]
    record = read_record(client.out / "documents" / f"{SEED}.json")
    for figure in card["figures"]:  # each claim's evidence is the sentence of the record
        assert figure["source"]["text"] == record.text[figure["source"]["start"]:figure["source"]["end"]]
        assert figure["text"] in figure["source"]["text"]
    assert len(card["figures"]) == 2
    assert card["by_role"] == {link.relation: [link.model_dump(mode="json")] for link in park.companies}
    assert [(m["id"], m["basis"]) for m in card["members"]] == [(HUAJIAN, "self"), (SHOE_CITY, "variant")]
    haier = client.get(f"/api/entities/parks/{HAIER}").json()
    assert [(c["other"], c["entity"], c["basis"], c["score"]) for c in haier["candidates"]] == \
        [(HAIER_SC, HAIER_SC, "variant", 0.7)]
    missing = client.get("/api/entities/parks/park:nowhere")
    assert (missing.status_code, missing.json()) == (404, {"detail": "no park 'park:nowhere' in parks.json"})


def decide_in_app(client, **fields):
    return client.post("/api/entity-decisions", json={"kind": "park", "reviewer": "Li", **fields})


def test_an_entity_decision_is_stored_and_the_dataset_rebuilt_with_every_decision_in_force(client, monkeypatch):
    passed, returned = [], []
    build = datasets.build_dataset

    def recorded_build(out_dir, cues=None, entity_decisions=None):
        passed.append(entity_decisions)
        returned.append(build(out_dir, cues))
        return returned[-1]

    monkeypatch.setattr(datasets, "build_dataset", recorded_build)
    merge = decide_in_app(client, action="accept_link", subject=HAIER, other=HAIER_SC)
    assert merge.status_code == 200, merge.text
    host = decide_in_app(client, action="host", subject=HUAJIAN, value="KE")
    assert host.status_code == 200, host.text
    stored = client.store.entity_decisions()
    assert [(d.uid, d.action, d.subject, d.other, d.value, d.reviewer) for d in stored] == [
        (merge.json()["decision"], "accept_link", HAIER, HAIER_SC, None, "Li"),
        (host.json()["decision"], "host", HUAJIAN, None, "KE", "Li")]
    assert host.json()["entity_id"] == HUAJIAN
    assert passed == [stored[:1], stored]
    assert json.loads((client.out / "parks.json").read_text(encoding="utf-8")) == \
        [p.model_dump(mode="json") for p in returned[-1].parks]  # the view reads the rebuilt dataset
    card = client.get(f"/api/entities/parks/{HUAJIAN}").json()
    assert [(d["action"], d["value"]) for d in card["decisions"]] == [("host", "KE")]


REFUSED = {
    "unknown subject": ({"action": "host", "subject": "park:nowhere", "value": "ET"}, 400,
                        "no park 'park:nowhere' in parks.json"),
    "unknown other": ({"action": "merge", "subject": HAIER, "other": "park:nowhere"}, 400,
                      "no park 'park:nowhere' in parks.json"),
    "a company in parks": ({"action": "merge", "kind": "company", "subject": HAIER, "other": HAIER_SC}, 400,
                           f"no company '{HAIER}' in companies.json"),
    "bad country": ({"action": "host", "subject": HUAJIAN, "value": "XX"}, 400,
                    "invalid host decision: value XX is no ISO 3166-1 alpha-2 country code (such as BY, ET, KH)"),
    "bad scope": ({"action": "scope", "subject": HUAJIAN, "value": "abroad"}, 400,
                  "invalid scope decision: value abroad is no scope: overseas or domestic"),
    "already one": ({"action": "merge", "subject": HUAJIAN, "other": SHOE_CITY}, 400,
                    f"{HUAJIAN} and {SHOE_CITY} are already one park ({HUAJIAN})"),
    "no such link": ({"action": "reject_link", "subject": HUAJIAN, "other": HAIER}, 400,
                     f"no candidate link between {HUAJIAN} and {HAIER} in parks.json"),
    "split a stranger": ({"action": "split", "subject": HUAJIAN, "member": HAIER}, 400,
                         f"{HAIER} is no member of {HUAJIAN} in parks.json"),
    "split a lone park": ({"action": "split", "subject": HAIER, "member": HAIER}, 400,
                          f"{HAIER} has one member: nothing to split off"),
    "undo by post": ({"action": "undo", "subject": HAIER}, 422,
                     "action: Input should be 'merge', 'split', 'host', 'scope', 'accept_link' or 'reject_link'"),
    "not an id": ({"action": "merge", "subject": "Haier", "other": HAIER_SC}, 422,
                  "subject: String should match pattern '^(park|company):\\S+$'"),
    "extra field": ({"action": "host", "subject": HUAJIAN, "value": "ET", "score": 1}, 422,
                    "score: Extra inputs are not permitted"),
}


@pytest.mark.parametrize("body, status, reason", REFUSED.values(), ids=REFUSED.keys())
def test_a_bad_entity_decision_gets_its_reason_and_changes_nothing(client, body, status, reason):
    before = (client.out / "parks.json").read_text(encoding="utf-8")
    response = decide_in_app(client, **body)
    assert (response.status_code, response.json()) == (status, {"detail": reason})
    assert client.store.entity_decisions() == []
    assert (client.out / "parks.json").read_text(encoding="utf-8") == before


def test_split_takes_a_member_and_undo_takes_back_the_last_decision_of_the_reviewer(client):
    split = decide_in_app(client, action="split", subject=HUAJIAN, member=SHOE_CITY)
    assert split.status_code == 200, split.text
    scope = decide_in_app(client, action="scope", subject=BELARUS_PARK, value="overseas", reviewer="Wang")
    assert scope.status_code == 200, scope.text
    undone = client.post("/api/entity-decisions/undo", json={"reviewer": "Li"})
    assert undone.json() == {"undone": split.json()["decision"], "action": "split", "kind": "park",
                             "entity_id": HUAJIAN}
    assert [d.subject for d in effective_entity_decisions(client.store.entity_decisions())] == [BELARUS_PARK]
    again = client.post("/api/entity-decisions/undo", json={"reviewer": "Li"})
    assert (again.status_code, again.json()) == (400, {"detail": "no entity decision of Li to undo"})


def test_without_the_dataset_files_the_views_say_to_run_extract(tmp_path, resources):
    (tmp_path / "documents").mkdir()
    store = ReviewStore(tmp_path / "review.sqlite")
    client = TestClient(create_app(tmp_path, store, resources), base_url="http://127.0.0.1:8765")
    response = client.get("/api/entities/parks")
    assert (response.status_code, response.json()) == (
        404, {"detail": f"{tmp_path / 'parks.json'} does not exist: run `parks extract --out {tmp_path}` first"})
    store.close()


def test_an_entity_decision_from_another_site_is_refused(client):
    response = client.post("/api/entity-decisions", json={"kind": "park", "action": "host", "subject": HUAJIAN,
                                                     "value": "ET", "reviewer": "Li"},
                           headers={"Origin": "http://evil.example"})
    assert response.status_code == 403 and client.store.entity_decisions() == []


def test_an_undo_names_what_it_undid():
    merge = decide_entity("park", "merge", "Li", HAIER, other=HAIER_SC)
    assert replace(undo_entity_decision(merge, " "), uid="u", created_at="t") == EntityDecision(
        uid="u", created_at="t", reviewer="Li", kind="park", action="undo", subject=HAIER, undoes=merge.uid)
