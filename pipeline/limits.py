"""Limits on one document, its size and its time, so that one file can never stall a run.

A 150 MB text file would hold a worker for many minutes and gigabytes; a document past
either limit becomes a failed record that says which limit and by how much, and the run goes
on. Both limits are settings (`parks extract --max-document-mb / --document-seconds`).
"""

from __future__ import annotations

import ctypes
import math
import threading
from contextlib import contextmanager
from dataclasses import dataclass

from pipeline.errors import TooLarge, TooSlow

MB = 1_000_000
RESEND_SECONDS = 1.0  # an expiry that something on the way caught is sent again this often


@dataclass(frozen=True)
class DocumentLimits:
    max_mb: float = 20.0  # of a file read, and of the text it gives (UTF-8): a long book is 2-3 MB; 0: none
    seconds: float = 300.0  # to extract one document; a 300-page paper takes about 30 s here; 0: none

    def __post_init__(self):
        for name in ("max_mb", "seconds"):
            value = getattr(self, name)
            if not (isinstance(value, (int, float)) and math.isfinite(value) and value >= 0):
                raise ValueError(f"{name} must be a finite number of at least 0 (0: no limit), not {value!r}")

    def check_size(self, size_bytes: int, what: str = "") -> None:
        """Raise `TooLarge` when `size_bytes` is over the limit."""
        if self.max_mb and size_bytes > self.max_mb * MB:
            raise TooLarge(f"too large: {size_bytes / MB:.1f} MB{' of ' + what if what else ''}, "
                           f"limit {self.max_mb:g} MB")

    def check_text(self, text: str) -> None:
        """Raise `TooLarge` when the text a file gave is over the limit (a PDF or a GB18030 file
        can give more text than its own size)."""
        if self.max_mb and len(text) > self.max_mb * MB / 4:  # fewer code points cannot exceed it in UTF-8
            self.check_size(len(text.encode("utf-8", errors="replace")), "text")

    @property
    def max_bytes(self) -> int | None:
        return int(self.max_mb * MB) if self.max_mb else None


DEFAULT_LIMITS = DocumentLimits()


class _Expired(TooSlow):
    """Sent into the thread whose time ran out. A `TooSlow`, so that one landing just as the
    block ends (outside it) still fails only its document."""


def _send(thread_id: int, exception: type[BaseException] | None) -> None:
    """Raise `exception` in the thread at its next Python instruction (None: withdraw one not yet raised)."""
    ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(thread_id),
                                               ctypes.py_object(exception) if exception else None)


@contextmanager
def time_budget(seconds: float, what: str = "extraction"):
    """Raise `TooSlow` in the calling thread once `seconds` have passed inside the block.

    The exception is sent to the thread (CPython's `PyThreadState_SetAsyncExc`, as Prefect does
    for task timeouts), so it works in worker threads where signals cannot; it lands at the
    next Python instruction, after any C call under way (one regular expression) returns. It is
    sent again every second until the block ends, should code it landed in (an `except
    Exception` that carries on) have caught it.
    """
    if not seconds:
        yield
        return
    thread_id = threading.get_ident()
    lock = threading.Lock()
    done = threading.Event()

    def expire() -> None:
        wait = seconds
        while not done.wait(wait):
            with lock:
                if not done.is_set():
                    _send(thread_id, _Expired)
            wait = RESEND_SECONDS

    def finish() -> None:
        with lock:
            done.set()
            _send(thread_id, None)  # one sent while the block was ending

    watcher = threading.Thread(target=expire, name="time-budget", daemon=True)
    expired = False
    try:
        watcher.start()  # inside: an expiry landing before `start` returns is still caught and the watcher stopped
        yield
    except _Expired:
        expired = True
    finally:
        try:
            finish()
        except _Expired:  # sent just before `done` was set, and raised before it was withdrawn
            finish()
    if expired:
        raise TooSlow(f"too slow: {what} took longer than the limit of {seconds:g} s")
