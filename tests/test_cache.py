"""The stage cache: keys that follow input, code and settings; entries that survive damage."""

from conftest import CORPUS, EXTRACTED
from flows.extract import tools
from pipeline.cache import StageCache, figures_key, ingest_key, record_key, segment_key
from pipeline.ingest import IngestedText, ingest_file
from pipeline.linking import find_document_figures, tag_entities
from pipeline.records import read_record
from pipeline.segment import segment_text


def test_keys_follow_what_each_stage_depends_on():
    ingested = IngestedText(text="中白工业园位于白俄罗斯。", format="txt", sha256="ab" * 32)
    assert ingest_key("ab" * 32) == ingest_key("ab" * 32) != ingest_key("cd" * 32)
    base = record_key(ingested, None, "note.txt", "note", "digest-1")
    assert base == record_key(ingested, None, "note.txt", "note", "digest-1")
    assert base != record_key(ingested, None, "note.txt", "note", "digest-2")  # a gazetteer changed: tag again
    assert base != record_key(ingested, {"title": "t"}, "note.txt", "note", "digest-1")  # the catalog changed
    changed = IngestedText(text="中白工业园位于明斯克。", format="txt", sha256="ab" * 32)
    assert base != record_key(changed, None, "note.txt", "note", "digest-1")
    assert segment_key(ingested.text) == segment_key(ingested.text) != segment_key(changed.text)
    figure_data = {"scale_zh": {"亿": 1e8}}
    assert figures_key(ingested.text, figure_data) != figures_key(changed.text, figure_data)
    assert figures_key(ingested.text, figure_data) != figures_key(ingested.text, {"scale_zh": {"万": 1e4}})


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


def test_a_cached_segmentation_and_figures_tag_the_same_entities(tmp_path, segmenter):
    """A gazetteer edit re-tags from the cached segmentation and figures: same tokens, sentences
    and entities."""
    _, resources = tools("{}")
    text = ingest_file(CORPUS / "seeds/001_4f04597642f4cc6c.txt").text
    fresh = segment_text(text, segmenter)
    cache = StageCache(tmp_path)
    cache.put_segmentation("k3", fresh)
    cached = cache.get_segmentation("k3", text, segmenter)
    assert [(b.start, b.end, b.lang, [(t.idx, t.text, t.is_sent_start) for t in b.doc]) for b in cached.blocks] == \
        [(b.start, b.end, b.lang, [(t.idx, t.text, t.is_sent_start) for t in b.doc]) for b in fresh.blocks]
    assert cached.sentence_spans == fresh.sentence_spans and len(fresh.blocks) == 10
    figures = find_document_figures(text, fresh, resources, segmenter)
    cache.put_figures("k5", figures)
    assert cache.get_figures("k5") == figures and [f.text for f in figures] == ["two countries", "two governments", "two countries", "two countries"]
    assert tag_entities("001", text, cached, resources, segmenter, cache.get_figures("k5")) == \
        tag_entities("001", text, fresh, resources, segmenter)
    (tmp_path / "segment" / "k3"[:2] / "k3.bin").write_bytes(b"\x93\x00damaged")
    assert cache.get_segmentation("k3", text, segmenter) is None and cache.get_segmentation("k4", text, segmenter) is None
