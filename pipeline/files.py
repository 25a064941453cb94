"""Writing files so that a crash never leaves half of one, and clearing what a crash left behind.

A leaf module (standard library only): the corpus catalog, records, the stage cache and exports
all write through it without importing each other."""

from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path

RECORDS_DIR = "documents"  # the records folder inside a run's output folder
# `write_atomically`'s temporary files: '.<name>.' + mkstemp's eight random characters + '.tmp'
TEMPORARY = re.compile(r"^\..+\.[a-z0-9_]{8}\.tmp$")
STALE_SECONDS = 60  # a temporary this much older than a run is no other process's write in flight


def write_atomically(path: Path, content: str | bytes) -> None:
    """Temp file in the same folder, then rename: readers see the old file or the new one, never half."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with (os.fdopen(handle, "wb") if isinstance(content, bytes) else os.fdopen(handle, "w", encoding="utf-8")) as out:
            out.write(content)
            out.flush()
            os.fsync(out.fileno())
        os.chmod(temp, 0o644)  # mkstemp's 0600 would hide records from the rest of a team
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


def remove_stale_temporaries(folder: Path, started: float, recursive: bool = False) -> int:
    """Remove the temporary files a crashed `write_atomically` left in `folder` (and below it when
    `recursive`): only names of its pattern, last modified `STALE_SECONDS` or more before
    `started` (a `time.time()`), so a write another process has in flight is left alone. Returns
    how many went."""
    folder = Path(folder)
    if not folder.is_dir():
        return 0
    cutoff = started - STALE_SECONDS
    removed = 0
    for path in folder.rglob(".*.tmp") if recursive else folder.glob(".*.tmp"):
        try:
            if TEMPORARY.match(path.name) and path.is_file() and path.stat().st_mtime < cutoff:
                path.unlink()
                removed += 1
        except FileNotFoundError:  # renamed or removed meanwhile by its writer
            continue
    return removed
