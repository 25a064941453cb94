"""One bad file never takes down a run: unreadable files, paths out of the corpus, symlink loops,
documents over the size or time limit each get a failed record, and the others their records."""

import ctypes
import errno
import inspect
import json
import os
import shutil
import subprocess
import sys
import time
import tracemalloc
from pathlib import Path

import pytest

from conftest import CORPUS, ROOT
from pipeline.corpus import CorpusDocument, discover_documents
from pipeline.errors import TooLarge, TooSlow
from pipeline.ingest import ingest_file
from pipeline.limits import DEFAULT_LIMITS, DocumentLimits, time_budget
from pipeline.stages import Pipeline

SEED = CORPUS / "seeds" / "004_214d4d4eb4e386b6.txt"
BELARUS = CORPUS / "seeds" / "001_4f04597642f4cc6c.txt"
PAPER = CORPUS / "bri-zh" / "ChinaXiv-201704.00221V1.md"
PR_CAPBSET_DROP, CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH = 24, 1, 2


def without_override() -> None:
    """In the child before it runs the command: root gives up the capabilities that let it read
    any file, so that a file without read permission is really unreadable."""
    libc = ctypes.CDLL(None, use_errno=True)
    for capability in (CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH):
        if libc.prctl(PR_CAPBSET_DROP, capability, 0, 0, 0):
            raise OSError(ctypes.get_errno(), "prctl(PR_CAPBSET_DROP)")


def unprivileged(command: list[str], **kwargs) -> subprocess.CompletedProcess:
    """Run `command` unable to read what its user may not (as root, too)."""
    return subprocess.run(command, capture_output=True, text=True, cwd=ROOT, timeout=600,
                          preexec_fn=without_override if os.geteuid() == 0 else None, **kwargs)


def bad_corpus(base: Path) -> Path:
    """Two good papers (one catalogued with a lone surrogate in its title) among every kind of bad file."""
    (base / "secret").mkdir()
    (base / "secret" / "secret.txt").write_text("The secret ledger of the Great Stone park.", encoding="utf-8")
    corpus = base / "x" / "corpus"
    (corpus / "sub").mkdir(parents=True)
    shutil.copy(BELARUS, corpus / "seed.txt")
    shutil.copy(PAPER, corpus / "paper.md")
    (corpus / "catalog.json").write_text(
        '[{"doc_id": "seed", "path": "seed.txt", "title": "Bad \\ud800 title"},\n'
        ' {"doc_id": "secret", "path": "../../secret/secret.txt"},\n'
        f' {{"doc_id": "absolute", "path": "{base / "secret" / "secret.txt"}"}}]', encoding="utf-8")
    shutil.copy(SEED, corpus / "locked.txt")
    (corpus / "locked.txt").chmod(0)
    (corpus / "linked.txt").symlink_to(base / "secret" / "secret.txt")
    (corpus / "a.txt").symlink_to("b.txt")
    (corpus / "b.txt").symlink_to("a.txt")
    (corpus / "sub" / "up").symlink_to("..")
    with (corpus / "huge.txt").open("wb") as huge:  # sparse: 25 MB on paper, nothing on disk
        huge.truncate(25_000_000)
    return corpus


BAD_FILES = {
    "a": "symlink loop: a.txt",
    "absolute": "catalog path '{base}/secret/secret.txt' is outside the corpus folder",
    "b": "symlink loop: b.txt",
    "huge": "too large: 25.0 MB, limit 20 MB",
    "linked": "symlink 'linked.txt' points outside the corpus folder",
    "locked": "permission denied: locked.txt",
    "secret": "catalog path '../../secret/secret.txt' is outside the corpus folder",
    "up": "symlink loop: sub/up",
}


def test_a_run_goes_on_past_every_bad_file(tmp_path):
    """A real `parks extract` that cannot read locked.txt."""
    corpus = bad_corpus(tmp_path)
    home, out = tmp_path / "home", tmp_path / "out"
    run = unprivileged([sys.executable, "-m", "flows.cli", "extract", "--corpus", str(corpus), "--out", str(out),
                     "--quiet", "--max-document-mb", "20"],
                       env={**os.environ, "PARKS_HOME": str(home)})
    assert run.returncode == 1, run.stderr
    assert "Traceback" not in run.stderr
    records = {path.stem: json.loads(path.read_text(encoding="utf-8"))
               for path in (out / "documents").glob("*.json")}
    failed = {doc_id: r["error"] for doc_id, r in records.items() if r["status"] == "failed"}
    assert failed == {doc_id: reason.format(base=tmp_path) for doc_id, reason in BAD_FILES.items()}
    assert {doc_id for doc_id, r in records.items() if r["status"] == "ok"} == {"paper", "seed"}
    assert records["seed"]["metadata"]["title"] == "Bad \ufffd title"
    assert records["seed"]["warnings"] == ["catalog: invalid characters (lone surrogates) in title replaced by U+FFFD"]
    assert records["locked"]["source"]["sha256"] == ""
    assert all("secret ledger" not in path.read_text(encoding="utf-8") for path in out.rglob("*.json"))
    parks = json.loads((out / "parks.json").read_text(encoding="utf-8"))
    assert "park:china-belarus-industrial-park" in {park["id"] for park in parks}
    assert json.loads((out / "themes.json").read_text(encoding="utf-8"))["themes"]
    [logged] = [json.loads(line) for line in (home / "runs.jsonl").read_text(encoding="utf-8").splitlines()]
    assert logged["failed"] == failed and logged["documents"] == 10
    summary = " ".join(run.stderr.split())
    assert "│ failed │ 8 │" in summary and "│ ok │ 2 │" in summary


def test_the_library_gives_an_unreadable_file_its_failed_record(tmp_path):
    shutil.copy(SEED, tmp_path / "locked.txt")
    (tmp_path / "locked.txt").chmod(0)
    run = unprivileged([sys.executable, "-c", "from pipeline import extract_document; "
                        f"r = extract_document({str(tmp_path / 'locked.txt')!r}); "
                        "print(r.status, r.error, repr(r.source.sha256), sep='|')"])
    assert run.stdout.strip() == "failed|permission denied: locked.txt|''", run.stderr


def test_a_file_over_the_size_limit_is_never_read(tmp_path, segmenter, resources):
    with (tmp_path / "huge.txt").open("wb") as huge:
        huge.truncate(25_000_000)
    doc = CorpusDocument("huge", tmp_path / "huge.txt", "huge.txt", None)
    tracemalloc.start()
    try:
        record = Pipeline(segmenter, resources, DocumentLimits(max_mb=20)).extract(doc).record
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert (record.status, record.error, record.source.sha256) == ("failed", "too large: 25.0 MB, limit 20 MB", "")
    assert peak < 4_000_000  # never held whole (and not hashed either)


def test_a_cached_record_is_not_served_past_a_lower_size_limit(tmp_path):
    """Served from the cache, a document escaped the size limit the run was given."""
    from pipeline.run import RunSettings, extract_documents, serve_cached
    from pipeline.review import reviewed_names

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    shutil.copy(SEED, corpus / "seed.txt")
    [seed] = discover_documents(corpus)
    reviewed = json.dumps(reviewed_names([]), sort_keys=True)
    cached = RunSettings(tmp_path / "out", tmp_path / "cache", reviewed)
    [first] = extract_documents([seed], cached)
    assert first.status == "ok" and serve_cached(seed, cached).cached == "record"
    lower = RunSettings(tmp_path / "out", tmp_path / "cache", reviewed, limits=DocumentLimits(max_mb=0.001))
    assert serve_cached(seed, lower) is None
    [again] = extract_documents([seed], lower)
    size = SEED.stat().st_size / 1e6
    assert (again.status, again.error) == ("failed", f"too large: {size:.1f} MB, limit 0.001 MB")


def test_the_text_a_file_gives_is_held_to_the_size_limit_too(tmp_path):
    """GB18030 Chinese takes 2 bytes a character, UTF-8 3: the text is larger than the file."""
    chinese = "".join(ch for ch in PAPER.read_text(encoding="utf-8") if "\u4e00" <= ch <= "\u9fff")
    (tmp_path / "gbk.txt").write_bytes((chinese * 20)[:100_000].encode("gb18030"))  # 0.2 MB
    with pytest.raises(TooLarge) as raised:
        ingest_file(tmp_path / "gbk.txt", DocumentLimits(max_mb=0.25))
    assert str(raised.value) == "too large: 0.3 MB of text, limit 0.25 MB"


def test_a_document_over_its_time_budget_fails_and_the_next_is_extracted(tmp_path):
    """The flow's own per-document function, as a task runs it: the slow document is the Chinese
    papers of the corpus four times over in one file (about 20 s to extract, 4 MB), the next one
    takes a few hundredths of a second (a few tenths on a busy machine)."""
    from pipeline.run import RunSettings, extract_documents
    from pipeline.review import reviewed_names

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    papers = [p.read_text(encoding="utf-8") for p in sorted((CORPUS / "bri-zh").glob("*.md"))]
    (corpus / "everything.md").write_text("\n\n".join(papers * 4), encoding="utf-8")
    shutil.copy(SEED, corpus / "seed.txt")
    settings = RunSettings(tmp_path / "out", None, json.dumps(reviewed_names([]), sort_keys=True),
                           limits=DocumentLimits(seconds=5))
    everything, seed = discover_documents(corpus)
    extract_documents([seed], settings)  # the first document of a process loads jieba's dictionary
    slow, quick = extract_documents([everything, seed], settings)
    assert (slow.doc_id, slow.status, slow.error) == ("everything", "failed",
                                                      "too slow: extraction took longer than the limit of 5 s")
    assert (quick.doc_id, quick.status, quick.error) == ("seed", "ok", None) and quick.entities > 0, (slow, quick)
    written = json.loads((tmp_path / "out" / "documents" / "everything.json").read_text(encoding="utf-8"))
    assert written["error"] == slow.error


def test_a_tiny_time_budget_fails_a_real_document(segmenter, resources):
    doc = CorpusDocument("seed", SEED, "seed.txt", None)
    record = Pipeline(segmenter, resources, DocumentLimits(seconds=0.001)).extract(doc).record
    assert (record.status, record.error) == ("failed", "too slow: extraction took longer than the limit of 0.001 s")
    assert Pipeline(segmenter, resources).extract(doc).record.status == "ok"  # the thread is none the worse


def busy(seconds: float) -> None:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        pass


def test_a_time_budget_outlasts_code_that_catches_its_expiry():
    """Code that treats any error as a miss and carries on (a cache read) cannot escape the budget."""
    caught = []
    started = time.monotonic()
    with pytest.raises(TooSlow, match=r"^too slow: extraction took longer than the limit of 0.05 s$"):
        with time_budget(0.05):
            try:
                busy(10)
            except Exception as err:
                caught.append(isinstance(err, TooSlow))
            busy(10)
    assert caught == [True] and time.monotonic() - started < 5


@pytest.mark.parametrize("error, retried", [
    (TimeoutError("network share timed out"), True),
    (OSError(errno.EIO, "Input/output error"), True),
    (PermissionError(errno.EACCES, "Permission denied"), False),
    (FileNotFoundError(errno.ENOENT, "No such file or directory"), False),
    (IsADirectoryError(errno.EISDIR, "Is a directory"), False),
    (NotADirectoryError(errno.ENOTDIR, "Not a directory"), False),
    (OSError(errno.ELOOP, "Too many levels of symbolic links"), False),
    (OSError(errno.ENAMETOOLONG, "File name too long"), False),
    (TooLarge("too large: 25.0 MB, limit 20 MB"), False),
    (TooSlow("too slow: extraction took longer than the limit of 300 s"), False),
])
def test_only_file_system_hiccups_are_retried(error, retried):
    from pipeline.stages import is_transient

    assert is_transient(error) is retried


def test_the_command_line_limits_default_to_the_library_limits():
    from flows.cli import add, extract

    for command in (extract, add):
        parameters = inspect.signature(command).parameters
        assert (parameters["max_document_mb"].default, parameters["document_seconds"].default) == \
            (DEFAULT_LIMITS.max_mb, DEFAULT_LIMITS.seconds)


def test_a_budget_that_expires_at_once_stays_inside_its_block():
    """The watcher fired before it had started to be watched: its exception escaped the block and
    it went on sending one every second into the thread, wherever that thread had gone."""
    import threading
    import time

    from pipeline.errors import TooSlow
    from pipeline.limits import time_budget

    for _ in range(300):
        try:
            with time_budget(1e-6):
                pass
        except TooSlow as err:
            assert str(err) == "too slow: extraction took longer than the limit of 1e-06 s"
    time.sleep(1.5)  # a watcher left running would have sent one more by now
    assert not [t for t in threading.enumerate() if t.name == "time-budget"]


def test_a_damaged_previous_record_is_replaced_and_an_unwritable_one_reported(tmp_path):
    """Writing a record read the previous one outside any guard: a record file that is not UTF-8
    raised out of the document's task and cost its whole batch; a record that cannot be written
    at all must still leave its document a reason."""
    from pipeline.run import RunSettings, extract_documents
    from pipeline.review import reviewed_names

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    shutil.copy(SEED, corpus / "seed.txt")
    (corpus / "other.txt").write_text("中白工业园位于白俄罗斯明斯克州。", encoding="utf-8")
    out = tmp_path / "out"
    (out / "documents").mkdir(parents=True)
    (out / "documents" / "seed.json").write_bytes(b'{"doc_id": "seed", "text": "\xff\xfe broken')
    (out / "documents" / "other.json").mkdir()  # where the record should go, a folder: no write can succeed
    settings = RunSettings(out, None, json.dumps(reviewed_names([]), sort_keys=True))
    other, seed = extract_documents(discover_documents(corpus), settings)
    assert (seed.status, seed.error) == ("ok", None)
    assert json.loads((out / "documents" / "seed.json").read_text(encoding="utf-8"))["status"] == "ok"
    assert other.status == "failed" and other.error.startswith("file system error: [Errno 21] Is a directory:") \
        and "; record not written: IsADirectoryError" in other.error


def test_text_in_memory_is_cleaned_within_the_time_budget(monkeypatch, segmenter, resources):
    """`extract_text` cleans the text (Markdown, formulas) as ingesting does a file: inside the budget."""
    from pipeline import cleaning
    from pipeline.stages import extract_text

    def slow_cleaning(pages):
        busy(5)
        return "\n".join(pages)

    monkeypatch.setattr(cleaning, "clean_pages", slow_cleaning)
    started = time.monotonic()
    with pytest.raises(TooSlow, match=r"^too slow: extraction took longer than the limit of 0.2 s$"):
        extract_text("中白工业园位于白俄罗斯。", doc_id="note", segmenter=segmenter, resources=resources,
                     limits=DocumentLimits(seconds=0.2))
    assert time.monotonic() - started < 4
