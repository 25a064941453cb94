"""The stage cache: keys that follow input, code and settings; entries that survive damage."""

from conftest import EXTRACTED
from pipeline.cache import StageCache, ingest_key, record_key
from pipeline.ingest import IngestedText
from pipeline.records import read_record


def test_keys_follow_what_each_stage_depends_on():
    ingested = IngestedText(text="中白工业园位于白俄罗斯。", format="txt", sha256="ab" * 32)
    assert ingest_key("ab" * 32) == ingest_key("ab" * 32) != ingest_key("cd" * 32)
    base = record_key(ingested, None, "note.txt", "note", "digest-1")
    assert base == record_key(ingested, None, "note.txt", "note", "digest-1")
    assert base != record_key(ingested, None, "note.txt", "note", "digest-2")  # a gazetteer changed: tag again
    assert base != record_key(ingested, {"title": "t"}, "note.txt", "note", "digest-1")  # the catalog changed
    changed = IngestedText(text="中白工业园位于明斯克。", format="txt", sha256="ab" * 32)
    assert base != record_key(changed, None, "note.txt", "note", "digest-1")


def test_entries_round_trip_and_damage_counts_as_missing(tmp_path):
    cache = StageCache(tmp_path)
    ingested = IngestedText(text="text", format="md", sha256="ef" * 32, title_hint="T", warnings=["w"])
    cache.put_ingested("k1", ingested)
    assert cache.get_ingested("k1") == ingested
    record = read_record(EXTRACTED / "documents" / "004_214d4d4eb4e386b6.json")
    cache.put_record("k2", record)
    assert cache.get_record("k2") == record
    (tmp_path / "record" / "k2"[:2] / "k2.json").write_text("{\"doc_id\": ", encoding="utf-8")
    assert cache.get_record("k2") is None and cache.get_ingested("missing") is None
