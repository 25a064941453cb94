"""The benchmark's own helpers (bench/run.py): what it measures must be what a user's run does."""

import importlib.util
import json
import sys
from pathlib import Path

import pytest

from pipeline.corpus import discover_documents

REPO = Path(__file__).resolve().parents[1]
SPEC = importlib.util.spec_from_file_location("bench_run", REPO / "bench" / "run.py")
bench = sys.modules["bench_run"] = importlib.util.module_from_spec(SPEC)  # dataclasses look it up
SPEC.loader.exec_module(bench)

PAPER = "中国—白俄罗斯工业园（巨石）位于明斯克州。\n\nThe China-Belarus Industrial Park lies near Minsk.\n"


def test_bench_corpus_is_read_like_a_user_corpus(tmp_path):
    """The papers live outside the bench's corpus folder; symlinks to them are refused by discovery
    (a failed record each), so every run measured failures."""
    papers = tmp_path / "papers"
    papers.mkdir()
    for name in ("a.md", "b.md"):
        (papers / name).write_text(PAPER, encoding="utf-8")
    corpus = bench.make_corpus(sorted(papers.iterdir()), tmp_path / "corpus-2")
    documents = discover_documents(corpus)
    assert [(d.doc_id, d.unreadable) for d in documents] == [("a", None), ("b", None)]
    assert (corpus / "a.md").read_text(encoding="utf-8") == PAPER


def test_differing_files_names_changed_and_missing_files(tmp_path):
    for side in ("before", "after"):
        (tmp_path / side / "documents").mkdir(parents=True)
        (tmp_path / side / "documents" / "a.json").write_text('{"doc_id": "a"}')
    (tmp_path / "before" / "documents" / "b.json").write_text('{"doc_id": "b", "entities": []}')
    (tmp_path / "after" / "documents" / "b.json").write_text('{"doc_id": "b", "entities": [1]}')
    (tmp_path / "after" / "themes.json").write_text("{}")
    assert bench.differing_files(tmp_path / "before", tmp_path / "after") == ["documents/b.json", "themes.json"]
    assert not bench.same_outputs(tmp_path / "before", tmp_path / "after")
    (tmp_path / "after" / "themes.json").unlink()
    (tmp_path / "after" / "documents" / "b.json").write_text('{"doc_id": "b", "entities": []}')
    assert bench.differing_files(tmp_path / "before", tmp_path / "after") == []


def test_gazetteer_of_another_checkout_changed_and_restored(tmp_path):
    gazetteer = tmp_path / "pipeline" / "data" / "parks.jsonl"
    gazetteer.parent.mkdir(parents=True)
    original = b'{"_meta": {"version": "1.0"}}\n{"id": "tianjin-egypt-suez", "name": "TEDA Suez"}'  # no last newline
    gazetteer.write_bytes(original)
    with pytest.raises(KeyError):
        with bench.gazetteer_changed(tmp_path):
            lines = gazetteer.read_text(encoding="utf-8").splitlines()
            assert json.loads(lines[-1]) == bench.PROBE_ROW and len(lines) == 3
            raise KeyError("interrupted")
    assert gazetteer.read_bytes() == original


def test_gazetteer_left_changed_by_a_killed_run_is_refused(tmp_path):
    gazetteer = tmp_path / "pipeline" / "data" / "parks.jsonl"
    gazetteer.parent.mkdir(parents=True)
    gazetteer.write_text(json.dumps(bench.PROBE_ROW, ensure_ascii=False) + "\n", encoding="utf-8")
    with pytest.raises(RuntimeError, match="already holds the bench's probe park 'bench-probe-industrial-park'"):
        with bench.gazetteer_changed(tmp_path):
            pass


def test_baseline_must_be_another_parks_checkout(tmp_path):
    assert bench.baseline_problem(REPO) == (f"--baseline {REPO}: that is this checkout; give another one "
                                            "(git worktree add --detach ../before <commit>)")
    assert bench.baseline_problem(tmp_path) == f"--baseline {tmp_path}: no flows/cli.py there, not a parks checkout"
    assert bench.baseline_problem(tmp_path / "gone") == f"--baseline {tmp_path / 'gone'}: no such folder"
