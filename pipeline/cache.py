"""Stage outputs cached by what made them: the input's hash, the stage's code and its settings.

PDF parsing is the slow part of a run, and most runs change nothing about most documents.
A stage's key hashes its input (the file's sha256, or the ingested text), the source code of
the modules that compute it and its configuration, so editing a gazetteer re-runs tagging but
neither parsing, segmentation nor figure finding, and changing `cleaning.py` re-runs everything
after it.
Entries are written atomically (JSON; segmentations as msgpack); a damaged entry counts as
missing.
"""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import asdict
from functools import cache
from pathlib import Path

import jieba
import spacy

from pipeline import cleaning, entities, figures, ingest, linking, records, resources, segment, types
from pipeline.entities import Mention
from pipeline.ingest import PDF_LAYOUT, IngestedText
from pipeline.files import write_atomically
from pipeline.segment import Segmentation, Segmenter
from pipeline.types import DocumentRecord

INGEST_MODULES = (ingest, cleaning)
SEGMENT_MODULES = (segment, cleaning)
FIGURE_MODULES = (figures, entities, resources, segment, cleaning)  # entities: Mention; resources: the patterns
RECORD_MODULES = (segment, entities, figures, linking, resources, records, types)
log = logging.getLogger(__name__)


@cache
def code_hash(*modules) -> str:
    """The modules' source: a stage re-runs when its code changes, with no version to forget to bump."""
    digest = hashlib.sha256()
    for module in modules:
        digest.update(Path(module.__file__).read_bytes())
    return digest.hexdigest()[:16]


def key(*parts) -> str:
    return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str, ensure_ascii=False).encode()).hexdigest()


def ingest_key(file_sha256: str) -> str:
    layout = {k: v for k, v in vars(PDF_LAYOUT).items() if not k.startswith("_")}
    return key("ingest", file_sha256, code_hash(*INGEST_MODULES), layout)


def segment_key(text: str) -> str:
    return key("segment", hashlib.sha256(text.encode()).hexdigest(), code_hash(*SEGMENT_MODULES),
               spacy.__version__, jieba.__version__)


def figures_key(text: str, figure_vocabulary: dict) -> str:
    return key("figures", hashlib.sha256(text.encode()).hexdigest(), code_hash(*FIGURE_MODULES),
               spacy.__version__, jieba.__version__, figure_vocabulary)


def record_key(ingested: IngestedText, catalog_entry: dict | None, relative_path: str, doc_id: str,
               resources_digest: str) -> str:
    return key("record", doc_id, relative_path, hashlib.sha256(ingested.text.encode()).hexdigest(), ingested.sha256,
               ingested.format, catalog_entry, code_hash(*RECORD_MODULES), resources_digest)


class StageCache:
    """`root/<stage>/<key[:2]>/<key>.json`."""

    def __init__(self, root: Path):
        self.root = Path(root)

    def _path(self, stage: str, entry_key: str, suffix: str = ".json") -> Path:
        return self.root / stage / entry_key[:2] / f"{entry_key}{suffix}"

    def _read(self, stage: str, entry_key: str) -> dict | None:
        path = self._path(stage, entry_key)
        try:
            return json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None

    def get_ingested(self, entry_key: str) -> IngestedText | None:
        data = self._read("ingest", entry_key)
        try:
            return IngestedText(**data) if data else None
        except TypeError:
            return None

    def put_ingested(self, entry_key: str, ingested: IngestedText) -> None:
        write_atomically(self._path("ingest", entry_key), json.dumps(asdict(ingested), ensure_ascii=False))

    def get_record(self, entry_key: str) -> DocumentRecord | None:
        data = self._read("record", entry_key)
        try:
            return DocumentRecord.model_validate(data) if data else None
        except ValueError:
            return None

    def put_record(self, entry_key: str, record: DocumentRecord) -> None:
        write_atomically(self._path("record", entry_key), record.model_dump_json())

    def get_segmentation(self, entry_key: str, text: str, segmenter: Segmenter) -> Segmentation | None:
        try:
            return Segmentation.from_bytes(self._path("segment", entry_key, ".bin").read_bytes(), text, segmenter)
        except OSError:
            return None
        except Exception as err:  # a damaged entry: segment again
            log.warning("cached segmentation %s unreadable (%s: %s); segmenting again", entry_key, type(err).__name__, err)
            return None

    def put_segmentation(self, entry_key: str, segmentation: Segmentation) -> None:
        write_atomically(self._path("segment", entry_key, ".bin"), segmentation.to_bytes())

    def get_figures(self, entry_key: str) -> list[Mention] | None:
        data = self._read("figures", entry_key)
        try:
            return [Mention(**m) for m in data] if data is not None else None
        except TypeError:
            return None

    def put_figures(self, entry_key: str, figures: list[Mention]) -> None:
        write_atomically(self._path("figures", entry_key), json.dumps([asdict(m) for m in figures], ensure_ascii=False))
