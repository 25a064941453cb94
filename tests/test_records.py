"""Records: the committed dataset, its schema, offsets, determinism and atomic writes."""

import errno
import json
import os
from pathlib import Path

import jsonschema
import pytest

from conftest import CORPUS, EXTRACTED, PDFS
from pipeline import extract_document, extract_text, ingest
from pipeline.corpus import CorpusDocument, discover_documents
from pipeline.records import (THEME_MAP, document_schema, read_record, record_json, record_path, schema_json,
                              write_atomically, write_record)
from pipeline.stages import Pipeline
from pipeline.themes import load_taxonomy, previous_discovered, theme_corpus
from pipeline.types import Metadata


@pytest.fixture(scope="module")
def committed_records():
    return {path.stem: json.loads(path.read_text(encoding="utf-8"))
            for path in sorted((EXTRACTED / "documents").glob("*.json"))}


def test_committed_schema_is_generated_from_the_models():
    assert (EXTRACTED / "schema" / "document.schema.json").read_text(encoding="utf-8") == schema_json()


def test_one_valid_record_per_bundled_document(committed_records):
    ids = {doc.doc_id for doc in discover_documents(CORPUS)}
    assert set(committed_records) == ids and len(ids) == 45
    validator = jsonschema.Draft202012Validator(document_schema())
    for doc_id, record in committed_records.items():
        validator.validate(record)
        assert record["status"] == "ok", (doc_id, record["error"])


def test_committed_records_are_up_to_date_with_the_code(segmenter, resources):
    """Re-extracts the bundled corpus and its themes; if this fails, run `parks extract` and
    commit extracted/."""
    records = [Pipeline(segmenter, resources).extract(doc).record for doc in discover_documents(CORPUS)]
    committed_map = json.loads((EXTRACTED / THEME_MAP).read_text(encoding="utf-8"))
    themed = theme_corpus(records, load_taxonomy(), previous_discovered(committed_map))
    stale = [r.doc_id for r in records if record_path(EXTRACTED, r.doc_id).read_text(encoding="utf-8")
             != record_json(r.model_copy(update={"themes": themed.themes[r.doc_id]}))]
    assert stale == []
    assert themed.theme_map == committed_map


def test_every_span_round_trips(committed_records):
    for doc_id, record in committed_records.items():
        text = record["text"]
        blocks, sentences = record["blocks"], record["sentences"]
        assert blocks and sentences, doc_id
        for spans in (blocks, sentences):
            for span in spans:
                piece = text[span["start"]:span["end"]]
                assert piece and piece == piece.strip(), (doc_id, span)
            assert all(a["end"] <= b["start"] for a, b in zip(spans, spans[1:])), doc_id
        block_ranges = [(b["start"], b["end"]) for b in blocks]
        for sentence in sentences:
            assert any(s <= sentence["start"] and sentence["end"] <= e for s, e in block_ranges), (doc_id, sentence)


def test_languages_of_the_bundled_corpus(committed_records):
    languages = {doc_id: record["language"] for doc_id, record in committed_records.items()}
    assert languages["000_0e4e401a83931e9e"] == "mixed"
    assert languages["001_4f04597642f4cc6c"] == "mixed"
    assert [languages[f"00{n}_{h}"] for n, h in ((2, "f3389fd23886204c"), (3, "7f203e26457c0911"),
                                                  (4, "214d4d4eb4e386b6"))] == ["en", "en", "en"]
    assert {lang for doc_id, lang in languages.items() if doc_id.startswith("ChinaXiv")} == {"zh"}


def test_record_metadata_comes_from_the_catalog(committed_records):
    record = committed_records["001_4f04597642f4cc6c"]
    assert record["metadata"]["doi"] == "10.11821/dlxb202006007"
    assert record["metadata"]["guessed"] == []
    assert record["source"] == {"path": "seeds/001_4f04597642f4cc6c.txt", "format": "txt",
                                "sha256": "e347328d4e584c0c4638ed8edba045a44117bf626394ffe38b98c4e9216803a7"}


def test_extraction_is_deterministic(segmenter, resources):
    doc = next(d for d in discover_documents(CORPUS) if d.doc_id == "002_f3389fd23886204c")
    pipe = Pipeline(segmenter, resources)
    assert record_json(pipe.extract(doc).record) == record_json(pipe.extract(doc).record)


def test_library_api_on_a_pdf_guesses_metadata(segmenter, resources):
    record = extract_document(PDFS / "two-column-en.pdf", segmenter=segmenter, resources=resources)
    assert (record.doc_id, record.status, record.language, record.source.format) == ("two-column-en", "ok", "en", "pdf")
    assert record.metadata.title == "Development Modes of China's Overseas Industrial Parks along the Belt and Road"
    assert record.metadata.authors == ["Wuzhati Yeerken", "Zhang Wei", "Liu Zhigao"]
    assert record.metadata.year is None  # 'initiated in 1998' is no publication year
    assert record.metadata.guessed == ["authors", "title"]
    assert len(record.sentences) == 15  # five sentences, three times


def test_library_api_on_text_in_memory(segmenter, resources):
    record = extract_text("中白工业园位于白俄罗斯。It is also called Great Stone.", doc_id="note",
                          metadata=Metadata(title="A note"), segmenter=segmenter, resources=resources)
    assert [record.text[s.start:s.end] for s in record.sentences] == ["中白工业园位于白俄罗斯。", "It is also called Great Stone."]
    assert record.metadata.title == "A note"


def test_guessed_metadata_of_an_uncatalogued_text(tmp_path, segmenter, resources):
    path = tmp_path / "abstract.txt"
    path.write_text((CORPUS / "seeds/004_214d4d4eb4e386b6.txt").read_text(encoding="utf-8"), encoding="utf-8")
    metadata = extract_document(path, segmenter=segmenter, resources=resources).metadata
    assert (metadata.doi, metadata.year) == ("10.1007/s11442-018-1526-5", 2018)
    assert metadata.title == ("Chinese overseas industrial parks in Southeast Asia: An examination of policy "
                              "mobility from the perspective of embeddedness")
    assert metadata.guessed == ["doi", "title", "year"]


@pytest.mark.parametrize("name, reason", [
    ("aes-128.pdf", "encrypted: needs a password"),
    ("pdf-with-jbig2.pdf", "needs OCR: no text layer (1 of 1 pages are images)"),
])
def test_failed_document_gets_a_failed_record(segmenter, resources, name, reason):
    record = extract_document(PDFS / name, segmenter=segmenter, resources=resources)
    assert (record.status, record.error, record.text, record.sentences) == ("failed", reason, "", [])
    assert record.source.sha256 and record.source.format == "pdf"


def test_write_is_atomic_and_keeps_the_previous_record(tmp_path, segmenter, resources, monkeypatch):
    record = extract_text("中白工业园位于白俄罗斯。", doc_id="doc", segmenter=segmenter, resources=resources)
    path = write_record(record, tmp_path)
    before = path.read_bytes()

    def crash(*args):
        raise KeyboardInterrupt  # the user presses Ctrl-C between writing and renaming

    monkeypatch.setattr(os, "replace", crash)
    with pytest.raises(KeyboardInterrupt):
        write_record(record.model_copy(update={"text": "changed"}), tmp_path)
    assert path.read_bytes() == before
    assert [p.name for p in path.parent.iterdir()] == ["doc.json"]
    assert read_record(path) == record


def test_write_atomically_creates_folders(tmp_path):
    target = tmp_path / "a" / "b" / "c.json"
    write_atomically(target, "{}\n")
    assert target.read_text() == "{}\n"


def test_a_catalog_path_outside_the_corpus_is_never_read(tmp_path, segmenter, resources, monkeypatch):
    (tmp_path / "secret").mkdir()
    (tmp_path / "secret" / "secret.txt").write_text("The secret ledger of the Great Stone park.", encoding="utf-8")
    corpus = tmp_path / "x" / "corpus"
    corpus.mkdir(parents=True)
    (corpus / "catalog.json").write_text(json.dumps([{"doc_id": "secret", "path": "../../secret/secret.txt",
                                                      "title": "Ledger"}]), encoding="utf-8")
    opened = []
    real_open = Path.open
    monkeypatch.setattr(Path, "open", lambda path, *args, **kw: opened.append(path) or real_open(path, *args, **kw))
    [doc] = discover_documents(corpus)
    record = Pipeline(segmenter, resources).extract(doc).record
    assert (record.status, record.error, record.text) == (
        "failed", "catalog path '../../secret/secret.txt' is outside the corpus folder", "")
    assert (record.source.path, record.source.sha256, record.metadata.title) == \
        ("../../secret/secret.txt", "", "Ledger")
    assert opened == [corpus / "catalog.json"]


def test_a_failed_record_naming_a_file_that_is_not_utf8_can_be_written(tmp_path, segmenter, resources):
    """A catalogued file that is gone, its name not UTF-8: the reason names it with U+FFFD."""
    path = tmp_path / os.fsdecode(b"gone \xff.txt")
    doc = CorpusDocument("gone", path, "gone.txt", None)
    record = Pipeline(segmenter, resources).extract(doc).record
    assert record.error == f"file not found: {tmp_path}/gone \ufffd.txt"
    assert read_record(write_record(record, tmp_path / "out")) == record


def test_library_api_gives_a_failed_record_on_any_file_system_error(tmp_path, monkeypatch, segmenter, resources):
    """Outside a run nothing retries: a file system error is the file's failed record, transient or not."""
    long_name = "x" * 300 + ".txt"
    record = extract_document(tmp_path / long_name, segmenter=segmenter, resources=resources)
    assert (record.status, record.error) == ("failed", f"cannot be read: {long_name}: file name too long")
    note = tmp_path / "note.txt"
    note.write_text("中白工业园位于白俄罗斯。", encoding="utf-8")

    def share_gone(path, limits):
        raise OSError(errno.EIO, "Input/output error", str(path))

    monkeypatch.setattr(ingest, "ingest_file", share_gone)
    record = extract_document(note, segmenter=segmenter, resources=resources)
    assert (record.status, record.error) == ("failed", "cannot be read: note.txt: input/output error")
