"""The bundled corpus and its catalog."""

import hashlib
import json
import os
from pathlib import Path

import pytest

from conftest import CORPUS
from pipeline.corpus import CatalogError, discover_documents, doc_id_for, file_sha256, load_catalog


def test_every_bundled_document_is_catalogued_with_its_hash():
    documents = discover_documents(CORPUS)
    assert len(documents) == 45
    assert all(doc.entry is not None for doc in documents)
    for doc in documents:
        assert doc.entry.sha256 == file_sha256(doc.path), doc.doc_id


def test_catalog_facts_for_seeds():
    entries = {e.doc_id: e for e in load_catalog(CORPUS)}
    belarus = entries["001_4f04597642f4cc6c"]
    assert belarus.doi == "10.11821/dlxb202006007" and belarus.year == 2020 and belarus.kind == "abstract page"
    assert entries["003_7f203e26457c0911"].kind == "report"
    chinaxiv = [e for e in entries.values() if e.path.startswith("bri-zh/")]
    assert len(chinaxiv) == 40 and {e.licence for e in chinaxiv} == {"CC BY 4.0"}
    assert all(e.url.startswith("http://chinaxiv.org/items/chinaxiv-") for e in chinaxiv)


def test_uncatalogued_files_get_ids_from_their_names(tmp_path):
    (tmp_path / "notes").mkdir()
    (tmp_path / "Great Stone (2019).md").write_text("# Great Stone", encoding="utf-8")
    (tmp_path / "notes" / "paper.pdf").write_bytes(b"%PDF-1.4")
    (tmp_path / "notes" / "paper.md").write_text("# paper", encoding="utf-8")
    (tmp_path / "more").mkdir()
    (tmp_path / "more" / "paper.pdf").write_bytes(b"%PDF-1.4")
    (tmp_path / ".hidden.txt").write_text("x", encoding="utf-8")
    (tmp_path / "NOTICE.md").write_text("licences", encoding="utf-8")
    ids = [(d.doc_id, d.relative_path) for d in discover_documents(tmp_path)]
    assert ids == [("Great-Stone-2019", "Great Stone (2019).md"), ("paper", "more/paper.pdf"),
                   ("paper-md", "notes/paper.md"), ("paper-pdf", "notes/paper.pdf")]


def test_catalogued_file_that_is_missing_is_still_listed(tmp_path):
    (tmp_path / "catalog.json").write_text(json.dumps([{"doc_id": "gone", "path": "gone.pdf"}]), encoding="utf-8")
    [doc] = discover_documents(tmp_path)
    assert (doc.doc_id, doc.path.exists()) == ("gone", False)


@pytest.mark.parametrize("catalog, message", [
    ("[{", "Expecting"),
    ('[{"doc_id": "a b", "path": "x.md"}]', "String should match pattern"),
    ('[{"doc_id": "a", "path": "x.md"}, {"doc_id": "a", "path": "y.md"}]', "doc_id 'a' appears twice"),
    ('[{"doc_id": "a", "path": "x.md", "kind": "blog"}]', "Input should be 'paper'"),
])
def test_broken_catalog_is_a_clear_error(tmp_path, catalog, message):
    (tmp_path / "catalog.json").write_text(catalog, encoding="utf-8")
    with pytest.raises(CatalogError, match="catalog.json") as raised:
        discover_documents(tmp_path)
    assert message in str(raised.value)


def test_doc_id_for():
    assert doc_id_for("bri-zh/ChinaXiv-201704.00221V1.md") == "ChinaXiv-201704.00221V1"
    assert doc_id_for("_draft.txt") == "draft"
    assert doc_id_for("中白工业园.pdf") == "doc-" + hashlib.sha256("中白工业园.pdf".encode()).hexdigest()[:10]
    assert doc_id_for("西港特区 SSEZ.pdf") == "SSEZ-" + hashlib.sha256("西港特区 SSEZ.pdf".encode()).hexdigest()[:10]


def test_paths_that_lead_out_of_the_corpus_or_loop_are_listed_with_why(tmp_path):
    """Listed, not followed: discovery ends, and each gets a failed record saying why."""
    (tmp_path / "secret").mkdir()
    (tmp_path / "secret" / "secret.txt").write_text("not for the corpus", encoding="utf-8")
    corpus = tmp_path / "x" / "corpus"
    (corpus / "sub" / "inner").mkdir(parents=True)
    (corpus / "paper.md").write_text("# paper", encoding="utf-8")
    (corpus / "catalog.json").write_text(json.dumps([
        {"doc_id": "escape", "path": "../../secret/secret.txt"},
        {"doc_id": "absolute", "path": str(tmp_path / "secret" / "secret.txt")},
        {"doc_id": "through-link", "path": "outside/secret.txt"},
        {"doc_id": "nul", "path": "paper\u0000.md"}]), encoding="utf-8")
    (corpus / "linked.txt").symlink_to(tmp_path / "secret" / "secret.txt")
    (corpus / "outside").symlink_to(tmp_path / "secret")
    (corpus / "a.txt").symlink_to("b.txt")
    (corpus / "b.txt").symlink_to("a.txt")
    (corpus / "sub" / "inner" / "up").symlink_to("..")
    (corpus / "sub" / "self").symlink_to("self")
    (corpus / "sub" / "gone.txt").symlink_to("nowhere.txt")
    (corpus / "sub" / "same.md").symlink_to("../paper.md")
    (corpus / "sub" / "sideways").symlink_to("inner")  # a folder found anyway: not walked twice
    found = [(d.doc_id, d.relative_path, d.unreadable) for d in discover_documents(corpus)]
    assert found == [
        ("a", "a.txt", "symlink loop: a.txt"),
        ("absolute", str(tmp_path / "secret" / "secret.txt"),
         f"catalog path '{tmp_path / 'secret' / 'secret.txt'}' is outside the corpus folder"),
        ("b", "b.txt", "symlink loop: b.txt"),
        ("escape", "../../secret/secret.txt", "catalog path '../../secret/secret.txt' is outside the corpus folder"),
        ("gone", "sub/gone.txt", "broken symlink: sub/gone.txt"),
        ("linked", "linked.txt", "symlink 'linked.txt' points outside the corpus folder"),
        ("nul", "paper\x00.md", "catalog path 'paper\\x00.md' is not a valid path (it holds a NUL character)"),
        ("outside", "outside", "symlink 'outside' points outside the corpus folder"),
        ("paper", "paper.md", None),
        ("same", "sub/same.md", None),
        ("self", "sub/self", "symlink loop: sub/self"),
        ("through-link", "outside/secret.txt", "catalog path 'outside/secret.txt' is outside the corpus folder"),
        ("up", "sub/inner/up", "symlink loop: sub/inner/up"),
    ]


def test_lone_surrogates_in_the_catalog_are_replaced_with_a_warning(tmp_path):
    """A JSON escape of half a surrogate pair is valid JSON but cannot be written as UTF-8."""
    (tmp_path / "paper.md").write_text("# paper", encoding="utf-8")
    (tmp_path / "catalog.json").write_text('[{"doc_id": "paper", "path": "paper.md", "title": "Great \\ud800 Stone",'
                                           ' "authors": ["Li \\udfff", "Wang"]}]', encoding="utf-8")
    [doc] = discover_documents(tmp_path)
    assert (doc.entry.title, doc.entry.authors) == ("Great \ufffd Stone", ["Li \ufffd", "Wang"])
    assert doc.warnings == ("catalog: invalid characters (lone surrogates) in title, authors replaced by U+FFFD",)


def test_a_catalog_that_is_not_utf8_is_a_clear_error(tmp_path):
    catalog = '[{"doc_id": "a", "path": "a.md", "title": "中白工业园"}]'
    (tmp_path / "catalog.json").write_bytes(catalog.encode("gb18030"))
    with pytest.raises(CatalogError, match=r"catalog.json: 'utf-8' codec can't decode byte 0xd6 in position 43: "
                                           "invalid continuation byte"):
        discover_documents(tmp_path)


def test_a_file_name_that_is_not_utf8_is_shown_mended(tmp_path):
    (tmp_path / os.fsdecode(b"Great Stone \xff.md")).write_text("# paper", encoding="utf-8")
    [doc] = discover_documents(tmp_path)
    assert (doc.doc_id, doc.relative_path, doc.path.read_text(encoding="utf-8")) == \
        ("Great-Stone-f0e49e8b1c", "Great Stone \ufffd.md", "# paper")
    assert doc.warnings == ("file name is not UTF-8: shown with U+FFFD for the bytes that are not",)


def test_a_corpus_folder_that_cannot_be_listed_stops_the_run(tmp_path, monkeypatch):
    """It was one failed pseudo-document '.', and a full run then pruned the records."""
    listing = os.scandir

    def refuse_the_root(folder):
        if Path(folder) == tmp_path:
            raise PermissionError(13, "Permission denied")
        return listing(folder)

    monkeypatch.setattr(os, "scandir", refuse_the_root)
    with pytest.raises(CatalogError) as refused:
        discover_documents(tmp_path)
    assert str(refused.value) == f"{tmp_path}: cannot list the corpus folder (Permission denied)"
