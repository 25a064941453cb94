"""Limits on one document, its size and its time, so that one file can never stall a run.

A 150 MB text file would hold a worker for many minutes and gigabytes; a document past
either limit becomes a failed record that says which limit and by how much, and the run goes
on. Both limits are settings (`parks extract --max-document-mb / --document-seconds`).
"""

from __future__ import annotations

import ctypes
import threading
from contextlib import contextmanager
from dataclasses import dataclass

from pipeline.errors import TooLarge, TooSlow

MB = 1_000_000


@dataclass(frozen=True)
class DocumentLimits:
    max_mb: float = 20.0  # of a file read, and of the text it gives (UTF-8): a long book is 2-3 MB
    seconds: float = 300.0  # to extract one document; a 300-page paper takes about 30 s here; 0: none

    def check_size(self, size_bytes: int, what: str = "") -> None:
        """Raise `TooLarge` when `size_bytes` is over the limit."""
        if self.max_mb and size_bytes > self.max_mb * MB:
            raise TooLarge(f"too large: {size_bytes / MB:.1f} MB{' of ' + what if what else ''}, "
                           f"limit {self.max_mb:g} MB")


DEFAULT_LIMITS = DocumentLimits()


@contextmanager
def time_budget(seconds: float, what: str = "extraction"):
    """Raise `TooSlow` in the calling thread once `seconds` have passed inside the block.

    The exception is sent to the thread (CPython's `PyThreadState_SetAsyncExc`, as Prefect does
    for task timeouts), so it works in worker threads where signals cannot; it lands at the
    next Python instruction, after any C call under way (one regular expression) returns.
    """
    if not seconds:
        yield
        return
    thread_id = threading.get_ident()
    lock = threading.Lock()
    state = {"done": False, "fired": False}

    def expire() -> None:
        with lock:
            if not state["done"]:
                state["fired"] = True
                ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(thread_id), ctypes.py_object(TooSlow))

    timer = threading.Timer(seconds, expire)
    timer.daemon = True
    timer.start()
    try:
        yield
    except TooSlow:
        raise TooSlow(f"too slow: {what} took longer than the limit of {seconds:g} s") from None
    finally:
        with lock:
            state["done"] = True
        timer.cancel()
