"""Locks on a records folder, shared by every process that writes it.

Two kinds of writer meet in a records folder: `parks extract` (and `parks add`) rewriting every
record, and the review app rewriting one record per decision. Whoever reads a document's review
decisions and writes its record holds `record_lock` across both, so a decision is never lost
between the read and the write. `exclusive_run` keeps a second extraction out of a folder one is
already writing. Both are `flock` locks on files in the records folder: the kernel drops them
when their process ends, killed or not, so a crash never leaves a folder locked.
"""

from __future__ import annotations

import fcntl
import json
import os
import threading
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path

from pipeline.files import RECORDS_DIR

RECORD_LOCK = ".record.lock"
RUN_LOCK = ".run.lock"


class RunInProgress(RuntimeError):
    """Another extraction is writing the same records folder."""


class _FolderLock:
    """One thread of this process at a time (re-entrant for it), then one process at a time."""

    def __init__(self, path: Path):
        self.path = path
        self.threads = threading.RLock()
        self.depth = 0
        self.handle: int | None = None


_record_locks: dict[Path, _FolderLock] = {}
_record_locks_guard = threading.Lock()
_runs_held: set[Path] = set()


def _records_folder(out_dir: Path) -> Path:
    folder = Path(out_dir).resolve() / RECORDS_DIR
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@contextmanager
def record_lock(out_dir: Path):
    """Wait for, then hold, the lock on the records of `out_dir`: read the decisions and write the
    record inside it."""
    folder = _records_folder(out_dir)
    with _record_locks_guard:
        lock = _record_locks.setdefault(folder, _FolderLock(folder / RECORD_LOCK))
    with lock.threads:
        if lock.depth == 0:
            lock.handle = os.open(lock.path, os.O_RDWR | os.O_CREAT, 0o644)
            try:
                fcntl.flock(lock.handle, fcntl.LOCK_EX)
            except BaseException:
                os.close(lock.handle)
                raise
        lock.depth += 1
        try:
            yield
        finally:
            lock.depth -= 1
            if lock.depth == 0:
                os.close(lock.handle)  # closing the last descriptor releases the flock


def holds_run(out_dir: Path) -> bool:
    """Whether this process holds `exclusive_run` on `out_dir` (the CLI takes it before the flow runs)."""
    return _records_folder(out_dir) in _runs_held


@contextmanager
def exclusive_run(out_dir: Path):
    """Hold the records folder of `out_dir` for one extraction run, or raise `RunInProgress` at once,
    naming the folder and the process that holds it."""
    folder = _records_folder(out_dir)
    handle = os.open(folder / RUN_LOCK, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        holder = _holder(handle)
        os.close(handle)
        raise RunInProgress(f"{Path(out_dir)} is being written by another parks run ({holder}): wait for it to "
                            "finish, or stop it, then run again") from None
    try:
        os.ftruncate(handle, 0)
        os.pwrite(handle, json.dumps({"pid": os.getpid(), "started": datetime.now(timezone.utc)
                                      .isoformat(timespec="seconds")}).encode(), 0)
        _runs_held.add(folder)
        yield
    finally:
        _runs_held.discard(folder)
        os.ftruncate(handle, 0)  # an idle folder's lock file is empty: records folders compare equal
        os.close(handle)


def _holder(handle: int) -> str:
    """'pid 123, started 2026-01-01T03:00:00+00:00' from the lock file, as its holder wrote it."""
    try:
        holder = json.loads(os.pread(handle, 4096, 0))
        return f"pid {holder['pid']}, started {holder['started']}"
    except (OSError, ValueError, KeyError, TypeError):
        return "its process id not yet written"
