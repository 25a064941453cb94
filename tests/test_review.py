"""Review decisions: storing, applying, re-anchoring, undo, export/import, what they teach the
gazetteers, and the review app's API and its safety rules."""

import threading

import pytest
from fastapi.testclient import TestClient

from conftest import EXTRACTED
from pipeline.linking import tag_entities
from pipeline.records import read_record, write_record
from pipeline.resources import load_resources
from pipeline.review import (ReviewError, ReviewStore, apply_decisions, base_record, decide, reviewed_names,
                             undo)
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
    client = TestClient(app)
    client.headers["X-CSRF-Token"] = client.get("/api/session").json()["csrf"]
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
    assert bad.status_code == 400 and "outside the text" in bad.json()["detail"]
    assert client.store.decisions() == []
