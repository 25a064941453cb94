"""The extraction flow: tasks of whole documents, running the plain `pipeline` stages in order.

A document is the unit of work that is worth sending to another process: its stages pass
spaCy docs and entity lists to each other, which are cheap in memory and costly to pickle.
Tasks (one document each, or batches of documents in worker processes) run one at a time by
default, in worker processes with `--workers N`, or on a Dask cluster with `--dask-address`;
each process loads the segmenter and gazetteers once."""


import errno
import json
import math
import time
from contextlib import nullcontext
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from prefect import flow, task
from prefect.cache_policies import NO_CACHE
from prefect.futures import as_completed
from prefect.task_runners import ProcessPoolTaskRunner, TaskRunner, ThreadPoolTaskRunner
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from pipeline.cache import StageCache, figures_key, ingest_key, record_key, segment_key
from pipeline.corpus import CorpusDocument, discover_documents, file_sha256
from pipeline.dataset import build_dataset, write_dataset
from pipeline.entities import Mention
from pipeline.errors import NotReadable, TooLarge
from pipeline.ingest import IngestedText, ingest_file
from pipeline.limits import DEFAULT_LIMITS, DocumentLimits, time_budget
from pipeline.linking import find_document_figures, tag_entities
from pipeline.files import remove_stale_temporaries
from pipeline.locks import exclusive_run, holds_run, record_lock
from pipeline.records import (RECORDS_DIR, SCHEMA_PATH, apply_themes, build_record, check_prune, failed_record,
                              failure_reason, pipeline_info, prune_records, record_path, update_record, write_schema)
from pipeline.resources import Resources, load_resources
from pipeline.review import ReviewStore, apply_decisions, reviewed_names
from pipeline.segment import Segmentation, Segmenter, segment_text
from pipeline.themes import load_taxonomy
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


@dataclass
class RunSummary:
    pipeline: PipelineInfo
    outcomes: list[DocumentOutcome] = field(default_factory=list)
    pruned: list[str] = field(default_factory=list)
    temporaries_removed: int = 0  # left by a crashed run's atomic writes
    themes: dict = field(default_factory=dict)  # theme id -> passages carrying it
    dataset: dict = field(default_factory=dict)  # parks, companies, countries -> records
    seconds: float = 0.0

    @property
    def failed(self) -> list[DocumentOutcome]:
        return [o for o in self.outcomes if o.status == "failed"]


@dataclass(frozen=True)
class RunSettings:
    """What each document's task needs besides the document: small, so it travels to workers cheaply."""
    out_dir: Path
    cache_dir: Path | None
    reviewed: str  # JSON of the gazetteer rows reviewers taught (`review.reviewed_names`)
    review_db: Path | None = None  # decisions are read from it as each record is written, not at the start
    limits: DocumentLimits = DEFAULT_LIMITS  # of one document's size and time


@lru_cache(maxsize=1)
def tools(reviewed: str) -> tuple[Segmenter, Resources]:
    """Once per process (per review state): jieba's dictionary and the gazetteers take seconds to load."""
    return Segmenter(), load_resources(reviewed=json.loads(reviewed))


@lru_cache(maxsize=4)
def review_store(path: Path) -> ReviewStore:
    """Once per process: the decisions database, opened for reading as records are written. The
    flow made it before any task ran; one missing here (a Dask worker on a machine that does not
    share the data folder) is an error, never a new empty database that would drop the decisions."""
    if not Path(path).is_file():
        raise FileNotFoundError(f"no review database at {path}: workers need the data folder the flow uses")
    return ReviewStore(path)


def write_reviewed(record: DocumentRecord, settings: RunSettings) -> DocumentRecord:
    """Write `record` with its document's review decisions as they are now: read and written under
    the records folder's lock, which the review app takes too, so a decision made while the run
    was under way is in the record (reading them when the run started would lose it)."""
    with record_lock(settings.out_dir):
        decisions = review_store(settings.review_db).decisions(record.doc_id) if settings.review_db else []
        return update_record(apply_decisions(record, decisions), settings.out_dir)


# File system errors that a second try meets again.
_LASTING_OS_ERRORS = (PermissionError, FileNotFoundError, IsADirectoryError, NotADirectoryError)


def is_transient(error: BaseException) -> bool:
    """What a second try can fix (a file system or network hiccup); a document that cannot be
    read (`ParksError`: encrypted, corrupt, empty, too large, too slow ...; or no permission,
    no file, a symlink loop) fails the same way every time."""
    return (isinstance(error, OSError) and not isinstance(error, _LASTING_OS_ERRORS)
            and error.errno != errno.ELOOP)


def transient(task, task_run, state) -> bool:
    return is_transient(state.data)


def extract_document(doc: CorpusDocument, settings: RunSettings) -> DocumentOutcome:
    """Ingest (or take the cached text), segment, tag, build and write one record with the
    reviewers' decisions applied (`write_reviewed`), within the size and time limits of
    `settings`. Errors of the document become its failed record, except transient file system
    errors, which are raised so that the task is retried."""
    started = time.perf_counter()
    segmenter, resources = tools(settings.reviewed)
    cache = StageCache(settings.cache_dir) if settings.cache_dir else None
    limits = settings.limits
    served = None
    try:
        if doc.unreadable:
            raise NotReadable(doc.unreadable)
        with time_budget(limits.seconds):
            ingested = None
            if cache and doc.path.is_file():
                limits.check_size(doc.path.stat().st_size)  # before hashing it to look it up
                ingested = cache.get_ingested(ingest_key(file_sha256(doc.path)))
                if ingested:
                    served = "ingest"
                    limits.check_text(ingested.text)  # measured against the limit of the run that cached it
            if ingested is None:
                ingested = ingest_file(doc.path, limits)
                if cache:
                    cache.put_ingested(ingest_key(ingested.sha256), ingested)
            extracted_key = document_record_key(doc, ingested, resources)
            extracted = cache.get_record(extracted_key) if cache else None
            if extracted is not None:
                served = "record"
            else:
                with segmenter.memory_zone():  # the spaCy docs live no longer than this
                    segmentation = cached_segmentation(ingested.text, segmenter, cache)
                    figures = cached_figures(ingested.text, segmentation, resources, segmenter, cache)
                    found = tag_entities(doc.doc_id, ingested.text, segmentation, resources, segmenter, figures)
                    extracted = build_record(doc, ingested, segmentation, found, resources)
                if cache:
                    cache.put_record(extracted_key, extracted)
        return _outcome(write_reviewed(extracted, settings), started, served)
    except Exception as err:  # a bug on one document must not cost the others their records
        if is_transient(err):
            raise
        return _outcome(write_failed(doc, err, settings), started, None)


def document_record_key(doc: CorpusDocument, ingested: IngestedText, resources: Resources) -> str:
    entry = doc.entry.model_dump(mode="json") if doc.entry else None
    return record_key(ingested, entry, doc.relative_path, doc.doc_id, resources.digest)


def serve_cached(doc: CorpusDocument, settings: RunSettings) -> DocumentOutcome | None:
    """The outcome of a document whose record the cache holds for its file, code and gazetteers,
    the record written; None when the document needs its task. Run in the flow itself: Prefect's
    bookkeeping of a task takes longer than serving a record."""
    if not settings.cache_dir or doc.unreadable or not doc.path.is_file():
        return None
    started = time.perf_counter()
    cache = StageCache(settings.cache_dir)
    try:
        settings.limits.check_size(doc.path.stat().st_size)  # before reading it to hash it
        ingested = cache.get_ingested(ingest_key(file_sha256(doc.path)))
        extracted = cache.get_record(document_record_key(doc, ingested, tools(settings.reviewed)[1])) if ingested else None
        if extracted is None:
            return None
        settings.limits.check_text(extracted.text)  # the limits may be lower than when it was cached
        return _outcome(write_reviewed(extracted, settings), started, "record")
    except Exception:  # the task will retry, or report, whatever went wrong
        return None


def cached_segmentation(text: str, segmenter: Segmenter, cache: StageCache | None) -> Segmentation:
    """The cached segmentation of `text`, or a new one (then cached): a gazetteer edit re-tags
    every document but need not tokenise any again."""
    entry_key = segment_key(text) if cache else None
    segmentation = cache.get_segmentation(entry_key, text, segmenter) if cache else None
    if segmentation is None:
        segmentation = segment_text(text, segmenter)
        if cache:
            cache.put_segmentation(entry_key, segmentation)
    return segmentation


def cached_figures(text: str, segmentation: Segmentation, resources: Resources, segmenter: Segmenter,
                   cache: StageCache | None) -> list[Mention]:
    """The cached figures of `text`, or new ones (then cached): they need no gazetteer."""
    entry_key = figures_key(text, resources.figures) if cache else None
    figures = cache.get_figures(entry_key) if cache else None
    if figures is None:
        figures = find_document_figures(text, segmentation, resources, segmenter)
        if cache:
            cache.put_figures(entry_key, figures)
    return figures


def write_failed(doc: CorpusDocument, error: BaseException, settings: RunSettings) -> DocumentRecord:
    """The failed record of a document whose extraction (or writing) raised, written with its
    decisions. Never raises: a record that cannot be written either (a full disk, no permission)
    still gives the run its reason, with why it was not written."""
    record = failed_record(doc, failure_reason(doc, error), tools(settings.reviewed)[1],
                           hash_file=not isinstance(error, TooLarge))
    try:
        return write_reviewed(record, settings)
    except Exception as write_error:
        return record.model_copy(update={"error": f"{record.error}; record not written: "
                                                  f"{type(write_error).__name__}: {write_error}"})


def _not_extracted(doc: CorpusDocument, error: Exception, settings: RunSettings, started: float) -> DocumentOutcome:
    """A document whose task failed: its failed record, unless an earlier run left a record, which
    stays (a worker process that died, or a network share that stayed away, is no reason to lose it)."""
    if record_path(settings.out_dir, doc.doc_id).exists():
        return DocumentOutcome(doc.doc_id, "failed", f"not re-extracted, previous record kept: "
                               f"{type(error).__name__}: {error}", 0, 0, round(time.perf_counter() - started, 3))
    return _outcome(write_failed(doc, error, settings), started, None)


def _outcome(record: DocumentRecord, started: float, served: str | None) -> DocumentOutcome:
    return DocumentOutcome(record.doc_id, record.status, record.error, len(record.sentences), len(record.entities),
                           round(time.perf_counter() - started, 3), served)


def extract_documents(docs: list[CorpusDocument], settings: RunSettings) -> list[DocumentOutcome]:
    """`extract_document` for each of a batch of documents, in one task."""
    return [extract_document(doc, settings) for doc in docs]


def documents_per_task(documents: int, parallel: int) -> int:
    """One document per task in this process; batches when tasks run in worker processes or on
    Dask, where Prefect rebuilds a task's context at a cost of about 0.3 s of CPU (measured with
    no-op tasks on 2 processes), close to what a paper takes. Four batches per worker at least
    keep the workers evenly busy; at most 32 documents keep a retried batch short."""
    if parallel <= 1:
        return 1
    return max(1, min(32, math.ceil(documents / (parallel * 4))))


extract_documents_task = task(extract_documents, name="extract-documents", cache_policy=NO_CACHE, retries=2,
                              retry_delay_seconds=[1, 4], retry_condition_fn=transient)


@task(name="themes", cache_policy=NO_CACHE)
def themes(out_dir: Path) -> dict:
    """Corpus-level: every record in `out_dir` (also those this run did not touch) gets its themes."""
    return apply_themes(out_dir, load_taxonomy())


@task(name="dataset", cache_policy=NO_CACHE)
def dataset(out_dir: Path) -> dict[str, int]:
    """Corpus-level: parks.json, companies.json and countries.json from every record in `out_dir`."""
    built = build_dataset(out_dir)
    write_dataset(built, out_dir)
    return {"parks": len(built.parks), "companies": len(built.companies), "countries": len(built.countries)}


def written_folders(out_dir: Path) -> list[Path]:
    """The folders a run writes files into: the theme map and dataset, the records, the schemas."""
    return [out_dir, out_dir / RECORDS_DIR, (out_dir / SCHEMA_PATH).parent]


def select_documents(documents: list[CorpusDocument], only: list[str] | None) -> list[CorpusDocument]:
    if not only:
        return documents
    known = {d.doc_id for d in documents}
    unknown = sorted(set(only) - known)
    if unknown:
        raise ValueError(f"unknown doc_id: {', '.join(unknown)} (see the corpus catalog for ids)")
    return [d for d in documents if d.doc_id in set(only)]


def task_runner(workers: int = 1, dask_address: str | None = None) -> TaskRunner:
    """One document at a time in this process, `workers` processes, or an existing Dask cluster."""
    if dask_address:
        from prefect_dask import DaskTaskRunner

        return DaskTaskRunner(address=dask_address)
    if workers > 1:
        return ProcessPoolTaskRunner(max_workers=workers)
    return ThreadPoolTaskRunner(max_workers=1)


@flow(name="extract-corpus", log_prints=False, task_runner=task_runner())
def extract_corpus(corpus_dir: Path = Path("corpus"), out_dir: Path = Path("extracted"),
                   only: list[str] | None = None, show_progress: bool = False,
                   review_db: Path | None = None, cache_dir: Path | None = None, parallel: int = 1,
                   prune: bool = False, limits: DocumentLimits = DEFAULT_LIMITS) -> RunSummary:
    """Extract every document of the corpus (or `only` some) into one record each, with the
    decisions of `review_db` applied and the names reviewers taught added to the gazetteers.
    With `cache_dir`, stages whose input, code and settings are unchanged are not re-done.
    Run it with `task_runner(...)` as its task runner (`with_options`) to spread the documents,
    and `parallel`, how many tasks that runs at once, to batch them. A document over `limits`
    (its size, its time) gets a failed record and the run goes on.

    One run at a time writes `out_dir` (`exclusive_run`, unless this process holds it already);
    a full run that would remove many records (an empty or unmounted corpus) is refused before
    anything is written (`check_prune`), unless `prune`."""
    out_dir, cache_dir = Path(out_dir), Path(cache_dir) if cache_dir else None
    with nullcontext() if holds_run(out_dir) else exclusive_run(out_dir):
        started, wall_started = time.perf_counter(), time.time()
        documents = select_documents(discover_documents(Path(corpus_dir)), only)
        if not only and not prune:
            check_prune(out_dir, {d.doc_id for d in documents})
        with record_lock(out_dir):  # no record is being written: what a crash left is all that matches
            temporaries = sum(remove_stale_temporaries(folder, wall_started) for folder in written_folders(out_dir))
        temporaries += remove_stale_temporaries(cache_dir, wall_started, recursive=True) if cache_dir else 0
        review_db = Path(review_db) if review_db is not None else None
        if review_db:
            ReviewStore(review_db).close()  # made here when no review happened yet, for the tasks to read
        decisions = review_store(review_db).decisions() if review_db else []  # for the gazetteers only
        settings = RunSettings(out_dir, cache_dir, json.dumps(reviewed_names(decisions), sort_keys=True,
                                                              ensure_ascii=False), review_db, limits)
        resources = tools(settings.reviewed)[1]
        write_schema(out_dir)
        summary = RunSummary(pipeline=pipeline_info(resources), temporaries_removed=temporaries)
        progress = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                            TimeElapsedColumn(), disable=not show_progress, transient=True)
        with progress:
            bar = progress.add_task("extracting", total=len(documents))
            outcomes = {}
            for doc in documents:  # unchanged documents first, without tasks
                served = serve_cached(doc, settings)
                if served:
                    outcomes[doc.doc_id] = served
                    progress.advance(bar)
            pending = [doc for doc in documents if doc.doc_id not in outcomes]
            size = documents_per_task(len(pending), parallel)
            batches = [pending[i:i + size] for i in range(0, len(pending), size)]
            # Small arguments, no `quote()`: Dask turns a NamedTuple into a plain tuple.
            futures = {extract_documents_task.submit(batch, settings): batch for batch in batches}
            submitted = time.perf_counter()
            for future in as_completed(list(futures)):
                batch = futures[future]
                try:
                    outcomes.update((outcome.doc_id, outcome) for outcome in future.result())
                except Exception as err:  # retries spent, or a worker died: the run goes on
                    outcomes.update((doc.doc_id, _not_extracted(doc, err, settings, submitted)) for doc in batch)
                progress.update(bar, description=f"extracted {batch[-1].doc_id}")
                progress.advance(bar, len(batch))
        summary.outcomes = [outcomes[doc.doc_id] for doc in documents]
        if not only:
            summary.pruned = prune_records(out_dir, {d.doc_id for d in documents})
        theme_map = themes(out_dir)
        summary.themes = {t["id"]: sum(t["passages_by_language"].values()) for t in theme_map["themes"]}
        summary.dataset = dataset(out_dir)
        summary.seconds = round(time.perf_counter() - started, 3)
        return summary
