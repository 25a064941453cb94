"""Review decisions: storing, applying, re-anchoring, undo, export/import, what they teach the
gazetteers, and the review app's API and its safety rules."""

import json
import os
import threading
import uuid
from dataclasses import replace

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from conftest import EXTRACTED
from flows.cli import app as cli
from pipeline.linking import tag_entities
from pipeline.records import read_record, write_record
from pipeline.resources import load_resources
from pipeline.review import (Decision, ReviewError, ReviewStore, apply_decisions, base_record, decide,
                             reviewed_names, undo)
from pipeline.review_app import create_app
from pipeline.segment import segment_text

SEED = "002_f3389fd23886204c"


@pytest.fixture()
def record():
    return read_record(EXTRACTED / "documents" / f"{SEED}.json")


@pytest.fixture()
def store(tmp_path):
    store = ReviewStore(tmp_path / "review.sqlite")
    yield store
    store.close()


def mention(record, text, kind):
    return next(e for e in record.entities if e.text == text and e.type == kind)


def test_store_is_sqlite_in_wal_mode(store):
    assert store._db.execute("pragma journal_mode").fetchone()[0] == "wal"


def test_accept_reject_and_correct_are_applied(record, store):
    suez = mention(record, "China-Egypt Suez Economic and Trade Cooperation Zone", "park")
    huajian = mention(record, "Huajian Group", "company")
    jobs = next(e for e in record.entities if e.type == "figure" and e.noun == "job")
    for decision in (decide(record, suez.id, "accept", "Li"), decide(record, huajian.id, "reject", "Li"),
                     decide(record, jobs.id, "correct", "Li", {"value": 4000.0, "noun": "local job"})):
        store.add(decision)
    reviewed = apply_decisions(record, store.decisions())
    by_id = {e.id: e for e in reviewed.entities}
    assert by_id[suez.id].review_status == "accepted" and by_id[suez.id].review.reviewer == "Li"
    assert huajian.id not in by_id and [e.id for e in reviewed.rejected_entities] == [huajian.id]
    corrected = by_id[jobs.id]
    assert (corrected.value, corrected.noun, corrected.source, corrected.review_status) == \
        (4000.0, "local job", "review", "corrected")
    assert corrected.review.extracted["value"] == jobs.value
    assert sum(e.review_status == "pending" for e in reviewed.entities) == len(record.entities) - 3
    # applying again, or to the reviewed record, changes nothing; the base is the extraction
    assert apply_decisions(reviewed, store.decisions()) == reviewed
    assert base_record(reviewed) == record


def test_undo_is_a_new_decision_and_the_earlier_one_returns(record, store):
    park = mention(record, "China-Belarus Industrial Park", "park")
    first = decide(record, park.id, "accept", "Li")
    store.add(first)
    second = decide(apply_decisions(record, store.decisions()), park.id, "reject", "Li")
    store.add(second)
    store.add(undo(second, "Li"))
    assert [d.action for d in store.decisions()] == ["accept", "reject", "undo"]
    entity = next(e for e in apply_decisions(record, store.decisions()).entities if e.id == park.id)
    assert entity.review_status == "accepted"


def test_accepted_mention_stays_when_extraction_no_longer_finds_it(record, store):
    park = mention(record, "Huajian International Light Industry Park", "park")
    store.add(decide(record, park.id, "accept", "Li"))
    later_run = record.model_copy(update={"entities": [e for e in record.entities if e.id != park.id]})
    kept = next(e for e in apply_decisions(later_run, store.decisions()).entities if e.start == park.start)
    assert (kept.text, kept.source, kept.review_status) == (park.text, "review", "accepted")


def test_decisions_follow_the_text_when_it_changes(record, store):
    park = mention(record, "Huajian International Light Industry Park", "park")
    store.add(decide(record, park.id, "reject", "Li"))
    shift = "A note added at the top.\n\n"
    moved = record.model_copy(update={
        "text": shift + record.text,
        "entities": [e.model_copy(update={"start": e.start + len(shift), "end": e.end + len(shift)})
                     for e in record.entities]})
    reviewed = apply_decisions(moved, store.decisions())
    assert [(e.text, e.start) for e in reviewed.rejected_entities] == [(park.text, park.start + len(shift))]
    gone = moved.model_copy(update={"text": moved.text.replace(park.text, "the Ethiopian park")})
    orphaned = apply_decisions(gone, store.decisions())
    assert [o["text"] for o in orphaned.review_orphans] == [park.text] and not orphaned.rejected_entities


def test_bad_corrections_are_refused_with_the_reason(record):
    figure = next(e for e in record.entities if e.type == "figure")
    with pytest.raises(ReviewError, match="outside the text"):
        decide(record, figure.id, "correct", "Li", {"end": len(record.text) + 5})
    with pytest.raises(ReviewError, match="cannot correct confidence"):
        decide(record, figure.id, "correct", "Li", {"confidence": 1})
    with pytest.raises(ReviewError, match="reviewer"):
        decide(record, figure.id, "accept", " ")
    with pytest.raises(ReviewError, match="no entity"):
        decide(record, "0000000000000000", "accept", "Li")


def test_export_then_import_twice_loses_and_duplicates_nothing(record, store, tmp_path):
    for entity in record.entities[:5]:
        store.add(decide(record, entity.id, "accept", "Li"))
    assert store.export(tmp_path / "decisions.jsonl") == 5
    other = ReviewStore(tmp_path / "other.sqlite")
    assert other.import_(tmp_path / "decisions.jsonl") == (5, 0)
    assert other.import_(tmp_path / "decisions.jsonl") == (0, 5)
    assert other.decisions() == store.decisions()
    (tmp_path / "broken.jsonl").write_text('{"uid": "x"}\n', encoding="utf-8")
    with pytest.raises(ReviewError, match="line 1: not a decision"):
        other.import_(tmp_path / "broken.jsonl")


CAMBODIA = {"id": "KH", "name": "Cambodia", "name_zh": "柬埔寨", "aliases": []}
BELARUS = "6558b2600eed70ee"  # the first "Belarus", country BY
MONOGRAPHS = "c3e80992899a1b41"  # "two Belt and Road monographs": 2.0 monograph


def test_a_second_correction_builds_on_the_first(record, store):
    for entity_id, first, second in ((BELARUS, {"country": "KH"}, {"canonical": CAMBODIA}),
                                     (MONOGRAPHS, {"value": 12345}, {"noun": "book"})):
        store.add(decide(record, entity_id, "correct", "Li", first))
        store.add(decide(apply_decisions(record, store.decisions()), entity_id, "correct", "Li", second))
    by_id = {e.id: e for e in apply_decisions(record, store.decisions()).entities}
    assert (by_id[BELARUS].country, by_id[BELARUS].canonical.id, by_id[BELARUS].text) == ("KH", "KH", "Belarus")
    assert (by_id[MONOGRAPHS].value, by_id[MONOGRAPHS].noun, by_id[MONOGRAPHS].unit) == (12345.0, "book", "count")
    store.add(undo(store.decisions()[-1], "Li"))  # undoing the second correction gives the first back
    figure = next(e for e in apply_decisions(record, store.decisions()).entities if e.id == MONOGRAPHS)
    assert (figure.value, figure.noun, figure.review_status) == (12345.0, "monograph", "corrected")


def test_accepting_a_corrected_mention_keeps_every_correction(record, store):
    store.add(decide(record, MONOGRAPHS, "correct", "Li", {"value": 12345}))
    store.add(decide(apply_decisions(record, store.decisions()), MONOGRAPHS, "correct", "Li", {"noun": "book"}))
    accepted = decide(apply_decisions(record, store.decisions()), MONOGRAPHS, "accept", "Wang")
    assert (accepted.action, accepted.after) == ("correct", {"value": 12345.0, "noun": "book"})


def test_a_second_correction_in_the_app_builds_on_the_first(client, record):
    for entity_id, first, second, shown in (
            (BELARUS, {"country": "KH"}, {"canonical": CAMBODIA}, {"country": "KH", "canonical": CAMBODIA}),
            (MONOGRAPHS, {"value": 12345}, {"noun": "book"}, {"value": 12345.0, "noun": "book", "unit": "count"})):
        for after in (first, second):
            response = client.post("/api/decisions", json={"doc_id": SEED, "entity_id": entity_id,
                                                           "action": "correct", "reviewer": "Li", "after": after})
            assert response.status_code == 200, response.text
        entity = response.json()["entity"]
        assert {k: entity[k] for k in shown} == shown
        replayed = next(e for e in apply_decisions(record, client.store.decisions()).entities if e.id == entity_id)
        on_disk = next(e for e in read_record(client.out / "documents" / f"{SEED}.json").entities if e.id == entity_id)
        assert {k: v for k, v in entity.items() if k != "context"} == replayed.model_dump(mode="json") \
            == on_disk.model_dump(mode="json")


def good_decisions(record) -> list[Decision]:
    return [decide(record, BELARUS, "accept", "Li"), decide(record, MONOGRAPHS, "reject", "Li"),
            decide(record, MONOGRAPHS, "correct", "Li", {"value": 3.0, "noun": "book"})]


BAD_LINES = {
    "text start": ("start", "abc", "start: Input should be a valid integer"),
    "negative end": ("end", -1, "end: Input should be greater than or equal to 0"),
    "huge start": ("start", 2 ** 70, "start: Input should be less than or equal to 2147483647"),
    "end before start": ("end", 1, "end 1 is not after start 23739"),
    "unknown action": ("action", "delete", "action: Input should be 'accept', 'reject', 'correct' or 'undo'"),
    "lone surrogate": ("reviewer", "Li\ud800", "reviewer: Input should be a valid string, unable to parse raw data as a unicode string"),
    "no after": ("after", None, "a correction needs its corrected values (after)"),
    "NaN value": ("after", {"value": float("nan")}, "after.value: Input should be a finite number"),
    "long noun": ("after", {"noun": "x" * 301}, "after.noun: String should have at most 300 characters"),
    "extra field": ("after", {"confidence": 1}, "after.confidence: Extra inputs are not permitted"),
    "text sha": ("text_sha", "abc", "text_sha: String should match pattern '^[0-9a-f]{64}$'"),
    "infinite before": ("before", {"value": float("inf")}, "before.value: Input should be a finite number"),
}


@pytest.mark.parametrize("field, value, reason", BAD_LINES.values(), ids=BAD_LINES.keys())
def test_import_with_a_bad_line_adds_nothing_and_names_the_line(record, store, tmp_path, field, value, reason):
    lines = [decision.as_json() for decision in good_decisions(record)]
    bad = json.loads(lines[2])
    bad.update(uid=uuid.uuid4().hex, **{field: {**bad[field], **value} if isinstance(value, dict) else value})
    path = tmp_path / "decisions.jsonl"
    path.write_text("\n".join([*lines, json.dumps(bad)]) + "\n", encoding="utf-8")
    with pytest.raises(ReviewError) as refused:
        store.import_(path)
    assert str(refused.value) == f"{path}, line 4: not a decision: {reason}"
    assert store.decisions() == []


def test_import_of_a_file_that_is_not_utf8_is_refused(record, store, tmp_path, monkeypatch):
    path = tmp_path / "decisions.jsonl"
    first = good_decisions(record)[0].as_json().encode("utf-8") + b"\n"
    path.write_bytes(first + b'{"reviewer": "Li \xff"}\n')
    with pytest.raises(ReviewError) as refused:
        store.import_(path)
    assert str(refused.value) == f"{path}, line 2, byte {len(first) + 17}: not UTF-8"
    assert store.decisions() == []
    monkeypatch.setenv("PARKS_HOME", str(tmp_path / "home"))
    result = CliRunner().invoke(cli, ["review", "--import", str(path)])
    assert result.exit_code == 2 and "not UTF-8" in result.output and "Traceback" not in result.output


def test_an_import_file_saved_with_a_byte_order_mark_is_read(record, store, tmp_path):
    path = tmp_path / "decisions.jsonl"
    decisions = good_decisions(record)
    path.write_bytes(b"\xef\xbb\xbf" + "".join(d.as_json() + "\n" for d in decisions).encode("utf-8"))
    assert store.import_(path) == (len(decisions), 0)


def test_a_stored_decision_that_cannot_be_applied_becomes_an_orphan(record, store):
    correction = decide(record, MONOGRAPHS, "correct", "Li", {"value": 3.0})
    store.add(replace(correction, after={"start": "abc"}))  # as an older database may hold it
    lost = decide(record, BELARUS, "accept", "Li")
    store.add(replace(lost, uid=uuid.uuid4().hex, start=0, end=7, before={**lost.before, "value": "many"}))
    reviewed = apply_decisions(record, store.decisions())
    assert [(o["decision"], o["reason"]) for o in reviewed.review_orphans] == [
        (correction.uid, "after.start: Input should be a valid integer"),
        (store.decisions()[1].uid, "before.value: Input should be a valid number")]
    figure = next(e for e in reviewed.entities if e.id == MONOGRAPHS)
    assert (figure.value, figure.review_status) == (2.0, "pending")
    assert reviewed.entities == record.entities


def test_a_stored_correction_that_cannot_be_applied_teaches_the_gazetteer_nothing(record, store):
    huajian = mention(record, "Huajian International Light Industry Park", "park")
    correction = decide(record, huajian.id, "correct", "Li", {"country": "ET"})
    store.add(replace(correction, after={"canonical": "park:review:huajian"}))  # as an older database may hold it
    assert reviewed_names(store.decisions()) == {"company": [], "park": []}


def test_export_leaves_the_earlier_file_whole_when_writing_fails(record, store, tmp_path, monkeypatch):
    for decision in good_decisions(record):
        store.add(decision)
    path = tmp_path / "decisions.jsonl"
    path.write_text("the earlier export\n", encoding="utf-8")

    def disk_full(fd):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", disk_full)
    with pytest.raises(OSError, match="No space left"):
        store.export(path)
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []
    assert path.read_text(encoding="utf-8") == "the earlier export\n"


def test_two_reviewers_at_once_lose_nothing(record, tmp_path):
    path = tmp_path / "review.sqlite"
    stores = [ReviewStore(path), ReviewStore(path)]  # two connections, as two app processes would have

    def review(store, entities):
        for entity in entities:
            store.add(decide(record, entity.id, "accept", f"reviewer {id(store)}"))

    halves = [record.entities[0::2][:40], record.entities[1::2][:40]]
    threads = [threading.Thread(target=review, args=pair) for pair in zip(stores, halves)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(ReviewStore(path).decisions()) == len(halves[0]) + len(halves[1])


def test_a_corrected_link_teaches_the_gazetteer(record, store, segmenter):
    mention_ = mention(record, "Huajian International Light Industry Park", "park")
    store.add(decide(record, mention_.id, "correct", "Li", {"canonical": {
        "id": "park:review:huajian-ethiopia", "name": "Huajian International Light Industry Park",
        "name_zh": "华坚国际轻工业园", "aliases": ["华坚国际鞋城"]}, "country": "ET"}))
    rows = reviewed_names(store.decisions())
    assert rows == {"company": [], "park": [{
        "id": "review:huajian-ethiopia", "name": "Huajian International Light Industry Park",
        "name_zh": "华坚国际轻工业园", "aliases": ["华坚国际鞋城"], "country": "ET"}]}
    text = "华坚国际鞋城位于埃塞俄比亚。"
    found = tag_entities("note", text, segment_text(text, segmenter), load_resources(reviewed=rows), segmenter)
    park = next(e for e in found if e.type == "park")
    assert (park.text, park.canonical.id, park.country) == ("华坚国际鞋城", "park:review:huajian-ethiopia", "ET")


# --- the app -------------------------------------------------------------------------

@pytest.fixture()
def client(tmp_path, resources):
    (tmp_path / "documents").mkdir()
    write_record(read_record(EXTRACTED / "documents" / f"{SEED}.json"), tmp_path)
    store = ReviewStore(tmp_path / "review.sqlite")
    app = create_app(tmp_path, store, resources)
    client = TestClient(app, base_url="http://127.0.0.1:8765")
    client.headers["X-CSRF-Token"] = client.get("/api/session").json()["csrf"]
    client.headers["Origin"] = "http://127.0.0.1:8765"  # as the browser sends it with a POST
    client.out, client.store = tmp_path, store
    return client


def test_app_lists_documents_and_writes_decisions_into_the_record(client):
    listing = client.get("/api/documents").json()
    assert [d["doc_id"] for d in listing] == [SEED]
    doc = client.get(f"/api/documents/{SEED}").json()
    first = doc["entities"][0]
    response = client.post("/api/decisions", json={"doc_id": SEED, "entity_id": first["id"], "action": "reject",
                                                   "reviewer": "Li"})
    assert response.status_code == 200 and response.json()["entity"]["review_status"] == "rejected"
    on_disk = read_record(client.out / "documents" / f"{SEED}.json")
    assert [e.id for e in on_disk.rejected_entities] == [first["id"]]
    assert client.post("/api/undo", json={"reviewer": "Li"}).json()["entity_id"] == first["id"]
    assert read_record(client.out / "documents" / f"{SEED}.json").rejected_entities == []


def test_bulk_decides_every_mention_of_one_entity(client):
    doc = client.get(f"/api/documents/{SEED}").json()
    china = [e for e in doc["entities"] if e["canonical"] and e["canonical"]["id"] == "CN"]
    response = client.post("/api/bulk", json={"doc_id": SEED, "canonical_id": "CN", "action": "accept",
                                              "scope": "document", "reviewer": "Li"})
    assert response.json() == {"decided": len(china)} and len(china) > 10
    counts = client.get("/api/documents").json()[0]["counts"]["country"]
    assert counts["accepted"] == len(china)


def test_queue_starts_with_the_lowest_confidence(client):
    queue = client.get("/api/queue?limit=500").json()
    confidences = [item["confidence"] for item in queue]
    assert confidences == sorted(confidences) and len(queue) == len(client.get(f"/api/documents/{SEED}").json()["entities"])


def test_app_refuses_unsafe_requests(client):
    entity = client.get(f"/api/documents/{SEED}").json()["entities"][0]
    body = {"doc_id": SEED, "entity_id": entity["id"], "action": "accept", "reviewer": "Li"}
    assert client.post("/api/decisions", json=body, headers={"X-CSRF-Token": "wrong"}).status_code == 403
    assert client.post("/api/decisions", json=body, headers={"Origin": "http://evil.example"}).status_code == 403
    assert client.post("/api/decisions", json={**body, "doc_id": "../../etc/passwd"}).status_code == 422
    assert client.post("/api/decisions", json={**body, "action": "delete"}).status_code == 422
    assert client.post("/api/decisions", json={**body, "extra": 1}).status_code == 422
    assert client.get("/api/documents/..%2F..%2Fetc%2Fpasswd").status_code == 404
    assert client.get("/static/..%2F..%2Frecords.py").status_code == 404
    bad = client.post("/api/decisions", json={**body, "action": "correct", "after": {"start": -3}})
    assert bad.json() == {"detail": "after.start: Input should be greater than or equal to 0"} \
        and bad.status_code == 422
    assert client.store.decisions() == []


def test_a_decision_waits_for_an_extraction_writing_the_record(client):
    """The app takes the records folder's lock that `parks extract` holds while it reads a
    document's decisions and writes its record, so neither writes over the other's work."""
    import subprocess
    import sys
    import threading

    holder = subprocess.Popen([sys.executable, "-c", "import sys, time\nfrom pipeline.locks import record_lock\n"
                               f"with record_lock({str(client.out)!r}):\n    print('held', flush=True)\n"
                               "    sys.stdin.readline()\n"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    assert holder.stdout.readline() == "held\n"
    first = client.get(f"/api/documents/{SEED}").json()["entities"][0]
    answers = []
    decision = threading.Thread(target=lambda: answers.append(client.post("/api/decisions", json={
        "doc_id": SEED, "entity_id": first["id"], "action": "reject", "reviewer": "Li"})))
    decision.start()
    decision.join(2)
    assert decision.is_alive() and client.store.decisions() == []  # waiting for the extraction
    holder.communicate("\n", timeout=30)
    decision.join(30)
    assert answers[0].status_code == 200
    assert [e.id for e in read_record(client.out / "documents" / f"{SEED}.json").rejected_entities] == [first["id"]]
