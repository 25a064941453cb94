"""`parks add` in the library: copies, catalog entries, duplicates refused or flagged, translations linked."""

import json
import shutil

import pytest

from conftest import CORPUS, PDFS
from pipeline.add import add_documents
from pipeline.corpus import discover_documents, load_catalog

AGRICULTURE = "ChinaXiv-201801.00120V1"


@pytest.fixture()
def corpus(tmp_path):
    corpus = tmp_path / "corpus"
    (corpus / "bri-zh").mkdir(parents=True)
    catalog = [e for e in json.loads((CORPUS / "catalog.json").read_text(encoding="utf-8"))
               if e["doc_id"] in (AGRICULTURE, "002_f3389fd23886204c")]
    (corpus / "seeds").mkdir()
    for entry in catalog:
        shutil.copy(CORPUS / entry["path"], corpus / entry["path"])
    (corpus / "catalog.json").write_text(json.dumps(catalog, ensure_ascii=False), encoding="utf-8")
    return corpus


def test_a_new_pdf_is_copied_and_catalogued_with_guessed_metadata(corpus):
    [outcome] = add_documents([PDFS / "chinese-zh.pdf"], corpus, year=2019)
    assert outcome.refused is None and outcome.doc_id == "chinese-zh"
    entry = next(e for e in load_catalog(corpus) if e.doc_id == "chinese-zh")
    assert entry.path == "added/chinese-zh.pdf" and (corpus / entry.path).read_bytes() == (PDFS / "chinese-zh.pdf").read_bytes()
    assert entry.year == 2019 and "year" not in entry.guessed and entry.languages == ["zh"]
    assert "chinese-zh" in {d.doc_id for d in discover_documents(corpus)}


def test_an_exact_duplicate_is_refused_naming_the_document(corpus):
    [outcome] = add_documents([CORPUS / "seeds" / "002_f3389fd23886204c.txt"], corpus)
    assert outcome.refused == "already in the corpus as 002_f3389fd23886204c (same sha256)"
    assert not (corpus / "added").exists()


def test_a_likely_duplicate_is_added_with_a_warning(corpus):
    [outcome] = add_documents([PDFS / "two-column-en.pdf"], corpus)  # seed 002's text, as a PDF
    assert outcome.doc_id == "two-column-en"
    assert outcome.warnings == ["title nearly identical to 002_f3389fd23886204c: likely a duplicate"]


def test_a_translation_is_linked_not_refused(corpus, tmp_path):
    english = tmp_path / "agriculture-en.txt"
    english.write_text("The Strategic Position of Agriculture in the “Belt and Road” Construction\n\n"
                       "Agriculture is an important part of the Belt and Road construction.\n", encoding="utf-8")
    [outcome] = add_documents([english], corpus, lang="en")
    assert outcome.warnings == [f"linked as a translation of {AGRICULTURE}"]
    catalog = {e.doc_id: e for e in load_catalog(corpus)}
    assert catalog["agriculture-en"].translations == [AGRICULTURE]
    assert catalog[AGRICULTURE].translations == ["agriculture-en"]


def test_a_folder_adds_every_supported_file_and_says_why_others_are_not(corpus, tmp_path):
    folder = tmp_path / "inbox"
    folder.mkdir()
    shutil.copy(PDFS / "aes-128.pdf", folder / "locked.pdf")
    (folder / "notes.md").write_text("# Lekki Free Zone\n\nThe Lekki Free Trade Zone is in Nigeria.\n", encoding="utf-8")
    (folder / "scan.docx").write_bytes(b"PK\x03\x04")
    outcomes = {o.source.name: o for o in add_documents([folder], corpus)}
    assert set(outcomes) == {"locked.pdf", "notes.md"}  # a folder gives its supported files
    assert outcomes["notes.md"].doc_id == "notes"
    assert outcomes["locked.pdf"].refused == "cannot be read: encrypted: needs a password"
    [docx] = add_documents([folder / "scan.docx"], corpus)
    assert docx.refused.startswith("unsupported format '.docx'")


def test_a_file_over_the_size_limit_is_refused_with_the_limit(corpus):
    from pipeline.limits import DocumentLimits

    [outcome] = add_documents([PDFS / "chinese-zh.pdf"], corpus, limits=DocumentLimits(max_mb=0.001))
    size = (PDFS / "chinese-zh.pdf").stat().st_size / 1e6
    assert outcome.refused == f"cannot be read: too large: {size:.1f} MB, limit 0.001 MB"
    assert not (corpus / "added").exists()


def test_a_file_slower_to_read_than_the_time_limit_is_refused(corpus):
    from pipeline.limits import DocumentLimits

    [outcome] = add_documents([PDFS / "chinese-zh.pdf"], corpus, limits=DocumentLimits(seconds=1e-6))
    assert outcome.refused == "cannot be read: too slow: reading it took longer than the limit of 1e-06 s"
    assert not (corpus / "added").exists()
