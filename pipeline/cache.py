"""Stage outputs cached by what made them (`stages.Stage` says what that is for each stage).

PDF parsing is the slow part of a run, and most runs change nothing about most documents: the
cache keeps each cached stage's output under its key, `root/<stage>/<key[:2]>/<key><suffix>`.
Entries are written atomically; a damaged entry counts as missing.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Callable

from pipeline.entities import Mention
from pipeline.files import write_atomically
from pipeline.ingest import IngestedText
from pipeline.segment import Segmentation
from pipeline.types import DocumentRecord


class StageCache:
    """Bytes by stage and key, in a folder."""

    def __init__(self, root: Path):
        self.root = Path(root)

    def path(self, stage: str, entry_key: str, suffix: str) -> Path:
        return self.root / stage / entry_key[:2] / f"{entry_key}{suffix}"

    def get(self, stage: str, entry_key: str, suffix: str) -> bytes | None:
        try:
            return self.path(stage, entry_key, suffix).read_bytes()
        except OSError:
            return None

    def put(self, stage: str, entry_key: str, suffix: str, data: bytes) -> None:
        write_atomically(self.path(stage, entry_key, suffix), data)


@dataclass(frozen=True)
class Store:
    """How a stage's output is kept: a file suffix, and how the value becomes bytes and back.
    `load(data, pipe, value)` may ask `value(name)` for what the stage read (the text a
    segmentation is restored onto)."""

    suffix: str
    dump: Callable[[Any], bytes]
    load: Callable[[bytes, Any, Callable[[str], Any]], Any]


def _json(value) -> bytes:
    return json.dumps(value, ensure_ascii=False).encode("utf-8", "surrogatepass")


INGESTED = Store(".json", lambda ingested: _json(asdict(ingested)),
                 lambda data, pipe, value: IngestedText(**json.loads(data)))
SEGMENTATION = Store(".bin", Segmentation.to_bytes,
                     lambda data, pipe, value: Segmentation.from_bytes(data, value("ingested").text, pipe.segmenter))
MENTIONS = Store(".json", lambda mentions: _json([asdict(m) for m in mentions]),
                 lambda data, pipe, value: [Mention(**m) for m in json.loads(data)])
RECORD = Store(".json", lambda record: record.model_dump_json().encode(),
               lambda data, pipe, value: DocumentRecord.model_validate_json(data))
