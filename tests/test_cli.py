"""The `parks` command end to end: a real Prefect flow run on a small corpus of real files."""

import json
import os
import shutil
import subprocess
import sys

import pytest
from typer.testing import CliRunner

from conftest import CORPUS, EXTRACTED, PDFS
from flows.cli import app

runner = CliRunner()


@pytest.fixture(scope="module")
def small_corpus(tmp_path_factory):
    """Two catalogued seeds, a Markdown paper, a two-column PDF, an encrypted PDF and a Word file."""
    corpus = tmp_path_factory.mktemp("corpus")
    catalog = json.loads((CORPUS / "catalog.json").read_text(encoding="utf-8"))
    keep = {"001_4f04597642f4cc6c", "ChinaXiv-201704.00221V1"}
    (corpus / "catalog.json").write_text(json.dumps([e for e in catalog if e["doc_id"] in keep], ensure_ascii=False),
                                         encoding="utf-8")
    for entry in catalog:
        if entry["doc_id"] in keep:
            (corpus / entry["path"]).parent.mkdir(exist_ok=True)
            shutil.copy(CORPUS / entry["path"], corpus / entry["path"])
    shutil.copy(PDFS / "two-column-en.pdf", corpus / "suez.pdf")
    shutil.copy(PDFS / "aes-128.pdf", corpus / "locked.pdf")
    (corpus / "notes.docx").write_bytes(b"PK\x03\x04")
    return corpus


def run_parks(*args, home):
    env = {**os.environ, "PARKS_HOME": str(home)}
    return subprocess.run([sys.executable, "-m", "flows.cli", *args], capture_output=True, text=True, env=env,
                          timeout=600)


def test_extract_writes_every_record_and_reports_failures(small_corpus, tmp_path, parks_home):
    out = tmp_path / "extracted"
    result = run_parks("extract", "--corpus", str(small_corpus), "--out", str(out), home=parks_home)
    assert result.returncode == 1, result.stderr  # some documents failed; the rest are written
    records = {p.stem: json.loads(p.read_text(encoding="utf-8")) for p in (out / "documents").glob("*.json")}
    assert {doc_id: r["status"] for doc_id, r in records.items()} == {
        "001_4f04597642f4cc6c": "ok", "ChinaXiv-201704.00221V1": "ok", "suez": "ok",
        "locked": "failed", "notes": "failed"}
    assert records["locked"]["error"] == "encrypted: needs a password"
    assert records["notes"]["error"].startswith("unsupported format '.docx'")
    assert records["suez"]["language"] == "en" and records["ChinaXiv-201704.00221V1"]["language"] == "zh"
    assert (out / "schema" / "document.schema.json").is_file()
    parks = json.loads((out / "parks.json").read_text(encoding="utf-8"))  # the corpus-level dataset, refreshed
    assert "park:china-belarus-industrial-park" in {p["id"] for p in parks}
    assert "encrypted: needs a password" in result.stderr and "failed" in result.stderr
    run_log = [json.loads(line) for line in (parks_home / "runs.jsonl").read_text().splitlines()]
    assert run_log[-1]["failed"] == {"locked": "encrypted: needs a password",
                                     "notes": records["notes"]["error"]}

    # Re-running only a good document: exit 0, byte-identical record, other records untouched.
    before = {p.name: p.read_bytes() for p in (out / "documents").iterdir()}
    again = run_parks("extract", "--corpus", str(small_corpus), "--out", str(out), "--only", "suez",
                      home=parks_home)
    assert again.returncode == 0, again.stderr
    assert {p.name: p.read_bytes() for p in (out / "documents").iterdir()} == before


@pytest.mark.parametrize("args, message", [
    (["extract", "--corpus", "no/such/folder"], "no/such/folder is not a folder"),
    (["extract", "--corpus", str(CORPUS), "--only", "no-such-doc"], "unknown doc_id: no-such-doc"),
    (["extract", "--frobnicate"], "No such option"),
    (["extract", "--document-seconds", "inf"], "inf is no limit"),
    (["add", "x.txt", "--max-document-mb", "inf"], "inf is no limit"),
])
def test_usage_errors_exit_2(args, message, parks_home):
    result = runner.invoke(app, args)
    assert result.exit_code == 2
    assert message in result.output


def test_broken_catalog_is_a_usage_error(tmp_path, parks_home):
    (tmp_path / "catalog.json").write_text("[{", encoding="utf-8")
    result = runner.invoke(app, ["extract", "--corpus", str(tmp_path)])
    assert result.exit_code == 2
    assert "catalog.json" in result.output


def test_a_second_run_reuses_what_did_not_change(small_corpus, tmp_path, parks_home):
    corpus = tmp_path / "corpus"
    shutil.copytree(small_corpus, corpus)
    out = tmp_path / "extracted"
    first = run_parks("extract", "--corpus", str(corpus), "--out", str(out), "--quiet", home=parks_home)
    assert first.returncode == 1, first.stderr  # the session's cache may already know these files: no count here
    before = {p.name: p.read_bytes() for p in (out / "documents").iterdir()}
    second = run_parks("extract", "--corpus", str(corpus), "--out", str(out), "--quiet", home=parks_home)
    log = " ".join(second.stderr.split())
    assert "3 documents unchanged since the last run, 0 not parsed again, 2 extracted" in log  # the 2 that fail
    assert "the previous run of this corpus into" in log
    assert {p.name: p.read_bytes() for p in (out / "documents").iterdir()} == before
    shutil.copy(CORPUS / "seeds" / "004_214d4d4eb4e386b6.txt", corpus / "new-paper.txt")
    third = run_parks("extract", "--corpus", str(corpus), "--out", str(out), "--quiet", home=parks_home)
    assert "4 documents unchanged since the last run" not in " ".join(third.stderr.split())
    assert "3 documents unchanged since the last run" in " ".join(third.stderr.split())
    assert json.loads((out / "documents" / "new-paper.json").read_text(encoding="utf-8"))["status"] == "ok"


def test_only_transient_errors_are_retried():
    from prefect.states import Failed

    from flows.extract import transient
    from pipeline.errors import CorruptPDF

    assert transient(None, None, Failed(data=TimeoutError("network share timed out")))
    assert not transient(None, None, Failed(data=CorruptPDF("corrupt PDF: Unexpected EOF")))
    assert not transient(None, None, Failed(data=ValueError("a bug")))


def test_evaluate_reproduces_the_committed_scores(tmp_path):
    """`parks evaluate` on the committed records writes the committed evaluation, intervals and all."""
    out = tmp_path / "evaluation.json"
    result = runner.invoke(app, ["evaluate", "--records", str(EXTRACTED / "documents"),
                                 "--gold", str(EXTRACTED.parent / "tests" / "gold"), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert json.loads(out.read_text(encoding="utf-8")) == json.loads((EXTRACTED / "evaluation.json").read_text(encoding="utf-8"))
    printed = " ".join(result.output.split())  # table titles wrap
    assert "seeded themes against held-out gold, never used to revise the taxonomy" in printed
    assert "95 % intervals over resampled documents: macro F1 0.628–0.768, micro F1 0.714–0.781" in printed
    assert ("a second annotator labelled 102 of these passages blind: against the gold it scores macro F1 0.693, "
            "micro F1 0.720; the system, on the same passages, 0.416 and 0.384") in printed
