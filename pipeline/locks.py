"""Locks on a records folder, shared by every process that writes it.

Two kinds of writer meet in a records folder: `parks extract` (and `parks add`) rewriting every
record, and the review app rewriting one record per decision. Whoever reads a document's review
decisions and writes its record holds `record_lock` across both, so a decision is never lost
between the read and the write. `exclusive_run` keeps a second extraction out of a folder one is
already writing. Both are `flock` locks on files in the records folder: the kernel drops them
when their process ends, killed or not, so a crash never leaves a folder locked. The holder
removes its lock file as it lets go; a killed holder's file stays, unlocked, until the next
holder lets go.
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


def _take(path: Path, blocking: bool) -> int | None:
    """A descriptor holding the flock of the lock file `path`, or None when another process holds
    it and not `blocking`. A holder removes the file as it lets go (no lock file outlives its run),
    so a lock won on a file already removed is let go and taken on the file now at `path`."""
    while True:
        try:
            handle = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        except PermissionError:  # a teammate's lock file (a killed run's): flock needs no write access
            handle = os.open(path, os.O_RDONLY)
        try:
            fcntl.flock(handle, fcntl.LOCK_EX if blocking else fcntl.LOCK_EX | fcntl.LOCK_NB)
            if _is_at(handle, path):
                return handle
        except BlockingIOError:
            if _is_at(handle, path):
                os.close(handle)
                return None
        except BaseException:
            os.close(handle)
            raise
        os.close(handle)


def _is_at(handle: int, path: Path) -> bool:
    try:
        found = os.stat(path)
    except FileNotFoundError:
        return False
    held = os.fstat(handle)
    return (found.st_dev, found.st_ino) == (held.st_dev, held.st_ino)


def _let_go(handle: int, path: Path) -> None:
    path.unlink(missing_ok=True)  # while still held: whoever waits on this file sees it gone and retries
    os.close(handle)  # closing the descriptor releases the flock


@contextmanager
def record_lock(out_dir: Path):
    """Wait for, then hold, the lock on the records of `out_dir`: read the decisions and write the
    record inside it."""
    folder = _records_folder(out_dir)
    with _record_locks_guard:
        lock = _record_locks.setdefault(folder, _FolderLock(folder / RECORD_LOCK))
    with lock.threads:
        if lock.depth == 0:
            lock.handle = _take(lock.path, blocking=True)
        lock.depth += 1
        try:
            yield
        finally:
            lock.depth -= 1
            if lock.depth == 0:
                _let_go(lock.handle, lock.path)


def holds_run(out_dir: Path) -> bool:
    """Whether this process holds `exclusive_run` on `out_dir` (the CLI takes it before the flow runs)."""
    return _records_folder(out_dir) in _runs_held


@contextmanager
def exclusive_run(out_dir: Path):
    """Hold the records folder of `out_dir` for one extraction run, or raise `RunInProgress` at once,
    naming the folder and the process that holds it."""
    folder = _records_folder(out_dir)
    path = folder / RUN_LOCK
    handle = _take(path, blocking=False)
    if handle is None:
        raise RunInProgress(f"{Path(out_dir)} is being written by another parks run ({_holder(path)}): wait for it "
                            "to finish, or stop it, then run again")
    try:
        try:
            os.ftruncate(handle, 0)  # what a killed holder wrote
            os.write(handle, json.dumps({"pid": os.getpid(), "started": datetime.now(timezone.utc)
                                         .isoformat(timespec="seconds")}).encode())
        except OSError:  # opened read-only (another user's file): the lock holds all the same
            pass
        _runs_held.add(folder)
        yield
    finally:
        _runs_held.discard(folder)
        _let_go(handle, path)


def _holder(path: Path) -> str:
    """'pid 123, started 2026-01-01T03:00:00+00:00' from the lock file, as its holder wrote it."""
    try:
        holder = json.loads(path.read_text(encoding="utf-8"))
        return f"pid {holder['pid']}, started {holder['started']}"
    except (OSError, ValueError, KeyError, TypeError):
        return "its process id not yet written"
