"""The bundled corpus and its catalog."""

import hashlib
import json

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
