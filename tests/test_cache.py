"""The stage cache: keys that follow input, code and data; entries that survive damage."""

import dataclasses
import importlib.metadata
import shutil
from pathlib import Path

from conftest import CORPUS, EXTRACTED
from pipeline.cache import INGESTED, MENTIONS, RECORD, SEGMENTATION, StageCache
from pipeline import stages
from pipeline.corpus import CorpusDocument, discover_documents, file_sha256
from pipeline.ingest import IngestedText, ingest_file
from pipeline.linking import find_document_figures, tag_entities
from pipeline.records import read_record
from pipeline.resources import DATA_DIR, load_resources
from pipeline.segment import segment_text
from pipeline.stages import DOCUMENT_STAGES, Pipeline
from pipeline.types import CatalogEntry

NOTE = CorpusDocument("note", Path("note.txt"), "note.txt", None)
PARK_ROW = {"id": "minsk-probe", "name": "Minsk Probe Park", "name_zh": None, "country": "BY", "aliases": []}


def test_keys_follow_what_each_stage_depends_on(tmp_path, segmenter, resources):
    ingested = IngestedText(text="中白工业园位于白俄罗斯。", format="txt", sha256="ab" * 32)
    pipe = Pipeline(segmenter, resources)
    base = pipe.keys(NOTE, ingested=ingested)
    assert list(base) == ["segment", "figures", "entities", "references", "record"] and base == pipe.keys(NOTE, ingested=ingested)

    def changed(keys):
        return [stage for stage in base if keys[stage] != base[stage]]

    taught = Pipeline(segmenter, load_resources(reviewed={"park": [PARK_ROW]}))  # a gazetteer changed: tag again
    assert changed(taught.keys(NOTE, ingested=ingested)) == ["entities", "references", "record"]
    catalogued = CorpusDocument("note", Path("note.txt"), "note.txt", CatalogEntry(doc_id="note", path="note.txt", title="t"))
    assert changed(pipe.keys(catalogued, ingested=ingested)) == ["entities", "references", "record"]
    other_text = IngestedText(text="中白工业园位于明斯克。", format="txt", sha256="ab" * 32)
    assert changed(pipe.keys(NOTE, ingested=other_text)) == ["segment", "figures", "entities", "references", "record"]
    data = tmp_path / "data"
    shutil.copytree(DATA_DIR, data)
    (data / "figures.json").write_text((DATA_DIR / "figures.json").read_text(encoding="utf-8").replace("万", "萬", 1),
                                       encoding="utf-8")
    assert changed(Pipeline(segmenter, load_resources(data)).keys(NOTE, ingested=ingested)) == [
        "figures", "entities", "references", "record"]
    (data / "themes.json").write_text((DATA_DIR / "themes.json").read_text(encoding="utf-8") + " ", encoding="utf-8")
    shutil.copy(DATA_DIR / "figures.json", data / "figures.json")
    assert changed(Pipeline(segmenter, load_resources(data)).keys(NOTE, ingested=ingested)) == ["record"]


def test_the_ingest_key_follows_the_file_bytes_not_its_name(tmp_path, segmenter, resources):
    pipe = Pipeline(segmenter, resources)
    for name, text in (("a.txt", "中白工业园位于白俄罗斯。"), ("b.txt", "中白工业园位于白俄罗斯。"), ("c.txt", "中白工业园位于明斯克。")):
        (tmp_path / name).write_text(text, encoding="utf-8")
    a, b, c = (pipe.keys(CorpusDocument(p.stem, p, p.name, None))["ingest"] for p in sorted(tmp_path.iterdir()))
    assert a == b != c


def test_a_run_serves_what_the_cache_holds_and_runs_again_what_is_damaged(tmp_path, segmenter, resources):
    [seed] = [d for d in discover_documents(CORPUS) if d.doc_id == "004_214d4d4eb4e386b6"]
    pipe, cache = Pipeline(segmenter, resources), StageCache(tmp_path)
    first = pipe.run(seed, cache)
    assert first.served == () and first.record == read_record(EXTRACTED / "documents" / "004_214d4d4eb4e386b6.json"
                                                               ).model_copy(update={"themes": []})
    again = pipe.run(seed, cache, cached_only=True)
    assert (again.served, again.record) == (("ingest", "record"), first.record)
    [record_entry] = (tmp_path / "record").rglob("*.json")
    record_entry.write_text("{\"doc_id\": ", encoding="utf-8")
    [segmentation_entry] = (tmp_path / "segment").rglob("*.bin")
    segmentation_entry.write_bytes(b"\x93\x00damaged")
    mended = pipe.run(seed, cache)
    assert (mended.served, mended.record) == (("ingest", "figures"), first.record)
    assert RECORD.load(record_entry.read_bytes(), pipe, None) == first.record  # written again


def test_entries_round_trip(segmenter, resources):
    ingested = IngestedText(text="text", format="md", sha256="ef" * 32, title_hint="T", warnings=["w"])
    assert INGESTED.load(INGESTED.dump(ingested), None, None) == ingested
    record = read_record(EXTRACTED / "documents" / "004_214d4d4eb4e386b6.json")
    assert RECORD.load(RECORD.dump(record), None, None) == record


def test_a_cached_segmentation_and_figures_tag_the_same_entities(segmenter, resources):
    """A gazetteer edit re-tags from the cached segmentation and figures: same tokens, sentences
    and entities."""
    ingested = ingest_file(CORPUS / "seeds/001_4f04597642f4cc6c.txt")
    text = ingested.text
    fresh = segment_text(text, segmenter)
    pipe = Pipeline(segmenter, resources)
    cached = SEGMENTATION.load(SEGMENTATION.dump(fresh), pipe, {"ingested": ingested}.get)
    assert [(b.start, b.end, b.lang, [(t.idx, t.text, t.is_sent_start) for t in b.doc]) for b in cached.blocks] == \
        [(b.start, b.end, b.lang, [(t.idx, t.text, t.is_sent_start) for t in b.doc]) for b in fresh.blocks]
    assert cached.sentence_spans == fresh.sentence_spans and len(fresh.blocks) == 10
    figures = find_document_figures(text, fresh, resources, segmenter)
    restored = MENTIONS.load(MENTIONS.dump(figures), pipe, None)
    assert restored == figures and [f.text for f in figures] == ["two countries", "two governments", "two countries",
                                                                 "two countries", "two countries"]
    assert tag_entities("001", text, cached, resources, segmenter, restored) == \
        tag_entities("001", text, fresh, resources, segmenter)


def test_a_file_edited_while_it_is_read_is_not_cached_under_its_old_bytes(tmp_path, monkeypatch, segmenter, resources):
    """The ingest key hashes the file before the stage reads it: a text read from other bytes
    (the file was being written) must not be served later to the bytes that were hashed."""
    note = tmp_path / "note.txt"
    note.write_text("中白工业园位于白俄罗斯。", encoding="utf-8")
    document = CorpusDocument("note", note, "note.txt", None)

    def hashed_then_edited(path: Path) -> str:
        digest = file_sha256(path)
        path.write_text("中白工业园位于明斯克。", encoding="utf-8")
        return digest

    pipe, cache = Pipeline(segmenter, resources), StageCache(tmp_path / "cache")
    monkeypatch.setattr(stages, "file_sha256", hashed_then_edited)
    assert pipe.run(document, cache).record.text == "中白工业园位于明斯克。"
    monkeypatch.undo()
    note.write_text("中白工业园位于白俄罗斯。", encoding="utf-8")
    again = pipe.run(document, cache)
    assert (again.served, again.record.text) == ((), "中白工业园位于白俄罗斯。")


def test_keys_follow_the_versions_of_the_libraries_a_stage_uses(monkeypatch, segmenter, resources):
    """An upgraded library can change a stage's output as its code can: babel's country names
    re-tag, cn2an's numerals find figures again, pdfminer parses again."""
    ingested = IngestedText(text="中白工业园位于白俄罗斯。", format="txt", sha256="ab" * 32)
    base = Pipeline(segmenter, resources).keys(NOTE, ingested=ingested)
    installed = importlib.metadata.version
    for upgraded, rerun in (("babel", ["entities", "references", "record"]),
                            ("cn2an", ["figures", "entities", "references", "record"]),
                            ("jieba", ["segment", "figures", "entities", "references", "record"])):
        monkeypatch.setattr(importlib.metadata, "version", lambda name: "99" if name == upgraded else installed(name))
        stages = [dataclasses.replace(s) for s in DOCUMENT_STAGES]  # versions computed afresh
        keys = Pipeline(segmenter, resources, stages=stages).keys(NOTE, ingested=ingested)
        assert [stage for stage in base if keys[stage] != base[stage]] == rerun, upgraded
    monkeypatch.setattr(importlib.metadata, "version", lambda name: "99" if name == "pdfminer.six" else installed(name))
    assert dataclasses.replace(DOCUMENT_STAGES[0]).version != DOCUMENT_STAGES[0].version


def test_a_file_whose_bytes_change_but_not_its_text_is_not_segmented_again(tmp_path, segmenter, resources):
    """Segmentation and figures read only the clean text: a file saved with Windows line endings
    is parsed again and its record made again (it cites the new bytes), from the cached tokens."""
    unix, windows = tmp_path / "unix.txt", tmp_path / "windows.txt"
    unix.write_bytes("中白工业园位于白俄罗斯。\nIt covers 112.5 square kilometres.\n".encode())
    windows.write_bytes(unix.read_bytes().replace(b"\n", b"\r\n"))
    pipe, cache = Pipeline(segmenter, resources), StageCache(tmp_path / "cache")
    first = pipe.run(CorpusDocument("paper", unix, "paper.txt", None), cache).record
    again = pipe.run(CorpusDocument("paper", windows, "paper.txt", None), cache)
    assert again.served == ("segment", "figures") and again.record.text == first.text
    assert again.record.source.sha256 == file_sha256(windows) != first.source.sha256
