"""A run over a corpus: every document through the pipeline (`stages.Pipeline`) to its record,
written with the reviewers' decisions, then the corpus stages.

Plain functions, no Prefect: the flow (`flows/extract.py`) decides where they run (this process,
worker processes, a Dask cluster), in which tasks, and retries those that fail transiently.
A document is the unit of work worth sending to another process: its stages pass spaCy docs and
entity lists to each other, which are cheap in memory and costly to pickle.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from pipeline.cache import StageCache
from pipeline.corpus import CorpusDocument, discover_documents
from pipeline.files import remove_stale_temporaries
from pipeline.limits import DEFAULT_LIMITS, DocumentLimits
from pipeline.locks import record_lock
from pipeline.records import (RECORDS_DIR, SCHEMA_PATH, check_prune, pipeline_info, record_path, update_record,
                              write_schema)
from pipeline.resources import Resources, load_resources
from pipeline.review import ReviewStore, apply_decisions, reviewed_names
from pipeline.segment import Segmenter
from pipeline.stages import Extraction, Pipeline, is_transient
from pipeline.types import DocumentRecord, PipelineInfo


@dataclass(frozen=True)
class DocumentOutcome:
    doc_id: str
    status: str
    error: str | None
    sentences: int
    entities: int
    seconds: float
    cached: str | None = None  # 'record': nothing re-done; 'ingest': parsing skipped


@dataclass(frozen=True)
class RunSettings:
    """What each document's task needs besides the document: small, so it travels to workers cheaply."""
    out_dir: Path
    cache_dir: Path | None
    reviewed: str  # JSON of the gazetteer rows reviewers taught (`review.reviewed_names`)
    review_db: Path | None = None  # decisions are read from it as each record is written, not at the start
    limits: DocumentLimits = DEFAULT_LIMITS  # of one document's size and time


@dataclass(frozen=True)
class PreparedRun:
    documents: list[CorpusDocument]
    settings: RunSettings
    pipeline: PipelineInfo
    temporaries_removed: int  # left by a crashed run's atomic writes


@lru_cache(maxsize=1)
def tools(reviewed: str) -> tuple[Segmenter, Resources]:
    """Once per process (per review state): jieba's dictionary and the gazetteers take seconds to load."""
    return Segmenter(), load_resources(reviewed=json.loads(reviewed))


def pipeline_for(settings: RunSettings) -> Pipeline:
    return _pipeline(settings.reviewed, settings.limits)


@lru_cache(maxsize=4)
def _pipeline(reviewed: str, limits: DocumentLimits) -> Pipeline:
    """Once per process (per review state and limits), not once per document."""
    return Pipeline(*tools(reviewed), limits=limits)


@lru_cache(maxsize=4)
def review_store(path: Path) -> ReviewStore:
    """Once per process: the decisions database, opened for reading as records are written. The
    run made it before any task ran; one missing here (a Dask worker on a machine that does not
    share the data folder) is an error, never a new empty database that would drop the decisions."""
    if not Path(path).is_file():
        raise FileNotFoundError(f"no review database at {path}: workers need the data folder the flow uses")
    return ReviewStore(path)


def prepare_run(corpus_dir: Path, out_dir: Path, only: list[str] | None, review_db: Path | None,
                cache_dir: Path | None, prune: bool, limits: DocumentLimits) -> PreparedRun:
    """Before any document: the documents, a full run refused when it would remove many records
    (`check_prune`, unless `prune`), what a crashed run left removed, the review database made
    for the tasks to read and the names reviewers taught, and the records' schema written. The
    caller holds the run lock of `out_dir`."""
    wall_started = time.time()
    documents = select_documents(discover_documents(Path(corpus_dir)), only)
    if not only and not prune:
        check_prune(out_dir, {d.doc_id for d in documents})
    with record_lock(out_dir):  # no record is being written: what a crash left is all that matches
        temporaries = sum(remove_stale_temporaries(folder, wall_started) for folder in written_folders(out_dir))
    temporaries += remove_stale_temporaries(cache_dir, wall_started, recursive=True) if cache_dir else 0
    if review_db:
        ReviewStore(review_db).close()  # made here when no review happened yet, for the tasks to read
    decisions = review_store(review_db).decisions() if review_db else []  # for the gazetteers only
    settings = RunSettings(out_dir, cache_dir, json.dumps(reviewed_names(decisions), sort_keys=True,
                                                          ensure_ascii=False), review_db, limits)
    write_schema(out_dir)
    return PreparedRun(documents, settings, pipeline_info(tools(settings.reviewed)[1]), temporaries)


def select_documents(documents: list[CorpusDocument], only: list[str] | None) -> list[CorpusDocument]:
    if not only:
        return documents
    known = {d.doc_id for d in documents}
    unknown = sorted(set(only) - known)
    if unknown:
        raise ValueError(f"unknown doc_id: {', '.join(unknown)} (see the corpus catalog for ids)")
    return [d for d in documents if d.doc_id in set(only)]


def written_folders(out_dir: Path) -> list[Path]:
    """The folders a run writes files into: the theme map and dataset, the records, the schemas."""
    return [out_dir, out_dir / RECORDS_DIR, (out_dir / SCHEMA_PATH).parent]


def extract_and_write(doc: CorpusDocument, settings: RunSettings) -> DocumentOutcome:
    """One document through the pipeline (stages the cache holds are served), its record written
    with the reviewers' decisions (`write_reviewed`). Errors of the document become its failed
    record, except transient file system errors, which are raised so that the task is retried."""
    started = time.perf_counter()
    pipe = pipeline_for(settings)
    try:
        extraction = pipe.extract(doc, StageCache(settings.cache_dir) if settings.cache_dir else None)
        if extraction.record.status == "ok":
            return _outcome(write_reviewed(extraction.record, settings), started, served_from(extraction))
        record = extraction.record
    except Exception as err:  # a bug on one document must not cost the others their records
        if is_transient(err):
            raise
        record = pipe.failed_record(doc, err)
    return _outcome(write_failed(record, settings), started, None)


def extract_documents(docs: list[CorpusDocument], settings: RunSettings) -> list[DocumentOutcome]:
    """`extract_and_write` for each of a batch of documents, in one task."""
    return [extract_and_write(doc, settings) for doc in docs]


def serve_cached(doc: CorpusDocument, settings: RunSettings) -> DocumentOutcome | None:
    """The outcome of a document whose record the cache holds for its file, code and data, the
    record written; None when the document needs its task. Cheap enough to run in the flow
    itself: Prefect's bookkeeping of a task takes longer than serving a record."""
    if not settings.cache_dir or doc.unreadable or not doc.path.is_file():
        return None
    started = time.perf_counter()
    try:
        extraction = pipeline_for(settings).run(doc, StageCache(settings.cache_dir), cached_only=True)
        return _outcome(write_reviewed(extraction.record, settings), started, "record")
    except Exception:  # the task will retry, or report, whatever went wrong
        return None


def served_from(extraction: Extraction) -> str | None:
    return next((stage for stage in ("record", "ingest") if stage in extraction.served), None)


def write_reviewed(record: DocumentRecord, settings: RunSettings) -> DocumentRecord:
    """Write `record` with its document's review decisions as they are now: read and written under
    the records folder's lock, which the review app takes too, so a decision made while the run
    was under way is in the record (reading them when the run started would lose it)."""
    with record_lock(settings.out_dir):
        decisions = review_store(settings.review_db).decisions(record.doc_id) if settings.review_db else []
        return update_record(apply_decisions(record, decisions), settings.out_dir)


def write_failed(record: DocumentRecord, settings: RunSettings) -> DocumentRecord:
    """Write a failed record with its decisions. Never raises: a record that cannot be written
    either (a full disk, no permission) still gives the run its reason, with why it was not written."""
    try:
        return write_reviewed(record, settings)
    except Exception as write_error:
        return record.model_copy(update={"error": f"{record.error}; record not written: "
                                                  f"{type(write_error).__name__}: {write_error}"})


def not_extracted(doc: CorpusDocument, error: Exception, settings: RunSettings, started: float) -> DocumentOutcome:
    """A document whose task failed: its failed record, unless an earlier run left a record, which
    stays (a worker process that died, or a network share that stayed away, is no reason to lose it)."""
    if record_path(settings.out_dir, doc.doc_id).exists():
        return DocumentOutcome(doc.doc_id, "failed", f"not re-extracted, previous record kept: "
                               f"{type(error).__name__}: {error}", 0, 0, round(time.perf_counter() - started, 3))
    return _outcome(write_failed(pipeline_for(settings).failed_record(doc, error), settings), started, None)


def _outcome(record: DocumentRecord, started: float, served: str | None) -> DocumentOutcome:
    return DocumentOutcome(record.doc_id, record.status, record.error, len(record.sentences), len(record.entities),
                           round(time.perf_counter() - started, 3), served)
