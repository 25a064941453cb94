"""`parks extract` against races and mistakes: review decisions made during a run, two runs at
once, an empty or unmounted corpus, what a crash leaves, and the data folder found from anywhere."""

import json
import os
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from conftest import CORPUS, EXTRACTED
from flows.cli import app
from flows.environment import data_dir
from pipeline.corpus import discover_documents, load_catalog, write_catalog
from pipeline.files import remove_stale_temporaries
from pipeline.locks import RUN_LOCK, RunInProgress, exclusive_run, record_lock
from pipeline.records import PruneRefused, check_prune
from pipeline.stages import Pipeline
from pipeline.review import DATABASE, ReviewStore, decide

runner = CliRunner()
ROOT = Path(__file__).resolve().parent.parent
STALE = ("001_4f04597642f4cc6c", "002_f3389fd23886204c", "003_7f203e26457c0911")


def printed(result) -> str:
    return " ".join(result.output.split())


@pytest.fixture()
def two_papers(tmp_path):
    """A corpus of two real abstracts, uncatalogued: their ids are their file names."""
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    shutil.copy(CORPUS / "seeds" / "004_214d4d4eb4e386b6.txt", corpus / "race-a.txt")
    shutil.copy(CORPUS / "seeds" / "000_0e4e401a83931e9e.txt", corpus / "race-b.txt")
    return corpus


def records_folder_with(out: Path, doc_ids) -> Path:
    """`out/documents` holding committed records of the bundled corpus."""
    (out / "documents").mkdir(parents=True)
    for doc_id in doc_ids:
        shutil.copy(EXTRACTED / "documents" / f"{doc_id}.json", out / "documents" / f"{doc_id}.json")
    return out / "documents"


def leave_crash_leftover(folder: Path, name: str) -> Path:
    """A temporary file as `write_atomically` names them, left by a run killed ten minutes ago."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f".{name}.k3x_9q2z.tmp"
    path.write_text("{", encoding="utf-8")
    old = time.time() - 600
    os.utime(path, (old, old))
    return path


# --- item 3: a decision made while a run is under way -----------------------------------------

def test_a_decision_made_during_the_run_is_in_its_record(two_papers, tmp_path, parks_home, monkeypatch,
                                                        segmenter, resources):
    """The reviewer rejects a mention of race-b after the run has started (while race-b is being
    tagged); the record the run writes carries the rejection. The run also clears what a crashed
    run left in the records folder and the stage cache, and says how many."""
    import pipeline.linking

    home = tmp_path / "home"
    monkeypatch.setenv("PARKS_HOME", str(home))
    out = tmp_path / "extracted"
    record = Pipeline(segmenter, resources).extract(
        next(d for d in discover_documents(two_papers) if d.doc_id == "race-b")).record
    mention = next(e for e in record.entities if e.type == "country")
    store = ReviewStore(home / DATABASE)
    decision = decide(record, mention.id, "reject", "Li Wei")
    leftovers = [leave_crash_leftover(out / "documents", "race-a.json"),
                 leave_crash_leftover(home / "cache" / "record" / "ab", "ab12.json")]

    tag_entities = pipeline.linking.tag_entities

    def tag_while_a_reviewer_decides(doc_id, *args, **kwargs):
        found = tag_entities(doc_id, *args, **kwargs)
        if doc_id == "race-b":
            store.add(decision)
        return found

    monkeypatch.setattr(pipeline.linking, "tag_entities", tag_while_a_reviewer_decides)
    # A new cache: every document is tagged.
    result = runner.invoke(app, ["extract", "--corpus", str(two_papers), "--out", str(out), "--quiet"])
    assert result.exit_code == 0, result.output
    written = json.loads((out / "documents" / "race-b.json").read_text(encoding="utf-8"))
    assert [(e["id"], e["review_status"], e["review"]["decision"]) for e in written["rejected_entities"]] == [
        (mention.id, "rejected", decision.uid)]
    assert mention.id not in {e["id"] for e in written["entities"]}
    assert [path.exists() for path in leftovers] == [False, False]
    assert "removed 2 temporary files an interrupted run left behind" in printed(result)
    assert f"data folder: {home}" in printed(result)


# --- item 3: one run at a time per records folder ----------------------------------------------

def holder_of(out: Path) -> str:
    holder = json.loads((out / "documents" / RUN_LOCK).read_text(encoding="utf-8"))
    return f"pid {holder['pid']}, started {holder['started']}"


def test_a_second_run_on_the_same_folder_is_refused_in_process(tmp_path):
    out = tmp_path / "extracted"
    with exclusive_run(out):
        with pytest.raises(RunInProgress) as refused:
            with exclusive_run(out):
                pass
        assert str(refused.value) == (f"{out} is being written by another parks run ({holder_of(out)}): wait for "
                                      "it to finish, or stop it, then run again")
        assert holder_of(out).startswith(f"pid {os.getpid()}, started ")
        with exclusive_run(tmp_path / "elsewhere"):  # another records folder is free
            pass
    with exclusive_run(out):  # released
        pass
    assert list((out / "documents").iterdir()) == []  # no lock file outlives its holder


def test_a_run_held_by_another_process_is_refused_until_that_process_is_killed(tmp_path):
    out = tmp_path / "extracted"
    holder = subprocess.Popen(
        [sys.executable, "-c", "import sys, time\nfrom pipeline.locks import exclusive_run\n"
                               "with exclusive_run(sys.argv[1]):\n    print('held', flush=True)\n    time.sleep(120)",
         str(out)], cwd=ROOT, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline() == "held\n"
        with pytest.raises(RunInProgress, match=rf"\(pid {holder.pid}, started "):
            with exclusive_run(out):
                pass
    finally:
        holder.kill()
        holder.wait()
    with exclusive_run(out):  # the kernel dropped the dead process's lock
        pass


def test_parks_extract_is_refused_while_another_run_writes_the_folder(two_papers, tmp_path, parks_home):
    out = tmp_path / "extracted"
    with exclusive_run(out):
        result = runner.invoke(app, ["extract", "--corpus", str(two_papers), "--out", str(out)])
        assert result.exit_code == 2
        assert (f"error: {out} is being written by another parks run ({holder_of(out)}): wait for it to finish, "
                "or stop it, then run again") in printed(result)
    assert list((out / "documents").glob("*.json")) == []


def test_parks_add_is_refused_while_another_run_writes_the_folder(two_papers, tmp_path, parks_home):
    out = tmp_path / "extracted"
    catalog = CORPUS / "seeds" / "002_f3389fd23886204c.txt"
    with exclusive_run(out):
        result = runner.invoke(app, ["add", str(catalog), "--corpus", str(two_papers), "--out", str(out)])
        assert result.exit_code == 2
        assert f"error: {out} is being written by another parks run ({holder_of(out)})" in printed(result)
    assert sorted(p.name for p in two_papers.iterdir()) == ["race-a.txt", "race-b.txt"]  # nothing copied
    assert not (out / "documents" / RUN_LOCK).exists()  # released: no lock file outlives its run


def test_the_record_lock_is_held_by_one_thread_and_one_process_at_a_time(tmp_path):
    out = tmp_path / "extracted"
    order = []

    def write_a_record():
        with record_lock(out):
            order.append("other thread")

    with record_lock(out):
        with record_lock(out):  # re-entrant in the thread that holds it
            pass
        other = threading.Thread(target=write_a_record)
        other.start()
        probe = subprocess.run([sys.executable, "-c", "import fcntl, sys\nhandle = open(sys.argv[1], 'a')\ntry:\n"
                                "    fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)\nexcept BlockingIOError:\n"
                                "    print('locked')", str(out / "documents" / ".record.lock")],
                               capture_output=True, text=True, timeout=60)
        assert probe.stdout == "locked\n"
        other.join(timeout=0.5)
        order.append("holder")
    other.join(timeout=60)
    assert order == ["holder", "other thread"]


# --- item 4: an empty or wrong corpus must not delete the records ---------------------------

def test_an_empty_corpus_is_refused_and_every_record_kept(tmp_path, parks_home):
    corpus, out = tmp_path / "mnt" / "corpus", tmp_path / "extracted"
    corpus.mkdir(parents=True)
    records = records_folder_with(out, STALE)
    result = runner.invoke(app, ["extract", "--corpus", str(corpus), "--out", str(out)])
    assert result.exit_code == 2
    assert (f"error: {corpus} holds no documents (an empty or unmounted folder?): nothing to extract, and a full "
            f"run would remove every record in {out / 'documents'}. Pass --prune to run it anyway") in printed(result)
    assert sorted(p.stem for p in records.glob("*.json")) == list(STALE)
    assert sorted(p.name for p in out.iterdir()) == ["documents"]  # no theme map, no dataset rebuilt


def test_a_corpus_missing_most_documents_is_refused_and_nothing_removed(two_papers, tmp_path, parks_home):
    out = tmp_path / "extracted"
    records = records_folder_with(out, STALE)
    result = runner.invoke(app, ["extract", "--corpus", str(two_papers), "--out", str(out)])
    assert result.exit_code == 2
    assert (f"error: 3 of the 3 records in {records} would be removed because their documents are not in the "
            f"corpus ({', '.join(STALE)}), and that is more than 2 records and more than 10% of them: nothing was "
            "extracted or removed. Check the corpus folder, or pass --prune to remove them") in printed(result)
    assert sorted(p.stem for p in records.glob("*.json")) == list(STALE)
    assert sorted(p.name for p in out.iterdir()) == ["documents"]


def test_prune_empties_the_records_folder_when_asked(tmp_path, parks_home):
    corpus, out = tmp_path / "corpus", tmp_path / "extracted"
    corpus.mkdir()
    records = records_folder_with(out, STALE)
    result = subprocess.run([sys.executable, "-m", "flows.cli", "extract", "--corpus", str(corpus), "--out", str(out),
                             "--quiet", "--prune"], cwd=ROOT, capture_output=True, text=True, timeout=600,
                            env={**os.environ, "PARKS_HOME": str(parks_home)})
    assert result.returncode == 0, result.stderr
    assert list(records.glob("*.json")) == []
    assert json.loads((out / "parks.json").read_text(encoding="utf-8")) == []
    assert f"removed records of documents no longer in the corpus: {', '.join(STALE)}" in " ".join(result.stderr.split())


@pytest.mark.parametrize("stale, total, corpus, refused", [
    (2, 3, {"kept"}, False),  # two records may always go
    (4, 40, {"kept"}, False),  # 10 % of the records
    (5, 40, {"kept"}, True),
    (1, 1, set(), True),  # an empty corpus removes nothing without --prune
    (0, 0, set(), False),
])
def test_how_many_records_a_run_may_remove(tmp_path, stale, total, corpus, refused):
    folder = tmp_path / "documents"
    folder.mkdir()
    ids = [f"doc-{n:02d}" for n in range(total)]
    for doc_id in ids:
        (folder / f"{doc_id}.json").write_text("{}", encoding="utf-8")
    keep = set(ids[stale:]) | corpus if corpus else set()
    if refused:
        with pytest.raises(PruneRefused, match=f"^{stale} of the {total} records in "):
            check_prune(tmp_path, keep)
    else:
        assert check_prune(tmp_path, keep) == ids[:stale]


# --- low items: crash leftovers, atomic catalog and exports, the data folder ----------------------

def test_only_old_temporaries_of_atomic_writes_are_removed(tmp_path):
    old = leave_crash_leftover(tmp_path / "documents", "doc.json")
    fresh = tmp_path / "documents" / ".doc.json.a1b2c3d4.tmp"
    fresh.write_text("{", encoding="utf-8")  # another process's write in flight
    other = [tmp_path / "documents" / name for name in (".notes.tmp", "doc.json.tmp", ".doc.json.a1b2.tmp")]
    for path in other:
        path.write_text("mine", encoding="utf-8")
        os.utime(path, (time.time() - 600,) * 2)
    assert remove_stale_temporaries(tmp_path, time.time(), recursive=True) == 1
    assert not old.exists() and fresh.exists() and all(path.exists() for path in other)


def test_the_catalog_is_written_atomically(tmp_path, monkeypatch):
    (tmp_path / "catalog.json").write_bytes((CORPUS / "catalog.json").read_bytes())
    entries = load_catalog(tmp_path)

    def disk_full(*args):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", disk_full)
    with pytest.raises(OSError, match="No space left on device"):
        write_catalog(tmp_path, entries[:1])
    assert (tmp_path / "catalog.json").read_bytes() == (CORPUS / "catalog.json").read_bytes()
    assert [p.name for p in tmp_path.iterdir()] == ["catalog.json"]


@pytest.fixture(scope="module")
def tables():
    from pipeline.dataset import read_dataset
    from pipeline.export import dataset_tables

    return dataset_tables(read_dataset(EXTRACTED), EXTRACTED)


@pytest.mark.parametrize("fmt", ["csv", "jsonl", "xlsx"])
def test_an_export_that_fails_leaves_the_previous_one_whole(tables, tmp_path, monkeypatch, fmt):
    from pipeline.export import write_tables

    small = {name: rows[:3] for name, rows in tables.items()}
    before = {path.name: path.read_bytes() for path in write_tables(small, tmp_path, fmt)}

    def crash(*args):
        raise KeyboardInterrupt  # Ctrl-C while the files are written

    monkeypatch.setattr(os, "replace", crash)
    with pytest.raises(KeyboardInterrupt):
        write_tables(tables, tmp_path, fmt)
    assert {path.name: path.read_bytes() for path in tmp_path.iterdir()} == before


def test_a_bad_cell_leaves_the_previous_csv_whole(tables, tmp_path):
    from pipeline.export import write_tables

    small = {"parks": tables["parks"][:3]}
    [path] = write_tables(small, tmp_path, "csv")
    before = path.read_bytes()
    bad = {**tables["parks"][1], "aliases": ["A | B"]}
    with pytest.raises(ValueError, match="cannot write the list"):
        write_tables({"parks": tables["parks"][:1] + [bad]}, tmp_path, "csv")
    assert path.read_bytes() == before


def test_the_data_folder_is_the_projects_from_anywhere_below_it(tmp_path, monkeypatch):
    monkeypatch.delenv("PARKS_HOME", raising=False)
    project = tmp_path / "project"
    (project / "corpus").mkdir(parents=True)
    (project / "pyproject.toml").write_text("[project]\nname = 'parks'\n", encoding="utf-8")
    (project / "notes" / "2026").mkdir(parents=True)
    monkeypatch.chdir(project / "notes" / "2026")
    assert data_dir() == project / ".parks"
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    assert data_dir() == elsewhere / ".parks"
    (tmp_path / "shared" / ".parks").mkdir(parents=True)
    assert data_dir(tmp_path / "shared" / "extracted") == tmp_path / "shared" / ".parks"  # beside --out
    monkeypatch.setenv("PARKS_HOME", str(tmp_path / "home"))
    assert data_dir(tmp_path / "shared" / "extracted") == tmp_path / "home"


def test_review_export_finds_the_projects_decisions_from_a_subfolder(tmp_path, monkeypatch):
    monkeypatch.delenv("PARKS_HOME", raising=False)
    project = tmp_path / "project"
    (project / "corpus").mkdir(parents=True)
    (project / "pyproject.toml").write_text("[project]\nname = 'parks'\n", encoding="utf-8")
    record = json.loads((EXTRACTED / "documents" / "004_214d4d4eb4e386b6.json").read_text(encoding="utf-8"))
    from pipeline.types import DocumentRecord

    record = DocumentRecord.model_validate(record)
    store = ReviewStore(project / ".parks" / DATABASE)
    store.add(decide(record, record.entities[0].id, "accept", "Li Wei"))
    store.close()
    (project / "notes").mkdir()
    monkeypatch.chdir(project / "notes")
    result = runner.invoke(app, ["review", "--export", "decisions.jsonl"])
    assert result.exit_code == 0, result.output
    assert f"data folder: {project / '.parks'}" in printed(result)
    assert "1 decisions written to decisions.jsonl" in printed(result)
    assert not (project / "notes" / ".parks").exists()


def test_review_export_without_a_review_database_is_refused(tmp_path, monkeypatch):
    monkeypatch.delenv("PARKS_HOME", raising=False)
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(app, ["review", "--export", "decisions.jsonl"])
    assert result.exit_code == 2
    assert (f"error: no review database at {tmp_path / '.parks' / DATABASE}, nothing to export: run this in the "
            "project folder, or set PARKS_HOME to the project's data folder (.parks)") in printed(result)
    assert sorted(p.name for p in tmp_path.iterdir()) == []
