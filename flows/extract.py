"""The extraction flow: one task per document stage, each a plain `pipeline` function."""


import time
from dataclasses import dataclass, field
from pathlib import Path

from prefect import flow, task
from prefect.cache_policies import NO_CACHE
from prefect.utilities.annotations import quote
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from pipeline.corpus import CorpusDocument, discover_documents, file_sha256
from pipeline.errors import ParksError
from pipeline.ingest import IngestedText, ingest_file
from pipeline.linking import tag_entities
from pipeline.cache import StageCache, ingest_key, record_key
from pipeline.records import (apply_themes, build_record, failed_record, pipeline_info, prune_records, update_record,
                              write_record, write_schema)
from pipeline.resources import Resources, load_resources
from pipeline.review import Decision, ReviewStore, apply_decisions, reviewed_names
from pipeline.segment import Segmentation, Segmenter, segment_text
from pipeline.themes import load_taxonomy
from pipeline.types import DocumentRecord, Entity, PipelineInfo


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
    themes: dict = field(default_factory=dict)  # theme id -> passages carrying it
    seconds: float = 0.0

    @property
    def failed(self) -> list[DocumentOutcome]:
        return [o for o in self.outcomes if o.status == "failed"]


def transient(task, task_run, state) -> bool:
    """Retry what a second try can fix (a file system or network hiccup); a document that cannot be
    read (`ParksError`: encrypted, corrupt, empty ...) fails the same way every time."""
    error = state.data
    return isinstance(error, OSError) and not isinstance(error, ParksError)


@task(name="ingest", cache_policy=NO_CACHE, retries=2, retry_delay_seconds=[1, 4], retry_condition_fn=transient)
def ingest(doc: CorpusDocument, resources: Resources) -> IngestedText | DocumentRecord:
    """Clean text, or the failed record when the file gives none (deterministic: no retry)."""
    try:
        return ingest_file(doc.path)
    except ParksError as err:
        return failed_record(doc, str(err), resources)


@task(name="segment", cache_policy=NO_CACHE)
def segment(ingested: IngestedText, segmenter: Segmenter) -> Segmentation:
    return segment_text(ingested.text, segmenter)


@task(name="entities", cache_policy=NO_CACHE)
def entities(doc: CorpusDocument, ingested: IngestedText, segmentation: Segmentation, resources: Resources,
             segmenter: Segmenter) -> list[Entity]:
    return tag_entities(doc.doc_id, ingested.text, segmentation, resources, segmenter)


@task(name="build-record", cache_policy=NO_CACHE)
def build(doc: CorpusDocument, ingested: IngestedText, segmentation: Segmentation, found: list[Entity],
          resources: Resources) -> DocumentRecord:
    return build_record(doc, ingested, segmentation, found, resources)


@task(name="write-record", cache_policy=NO_CACHE)
def write(extracted: DocumentRecord, decisions: list[Decision], out_dir: Path) -> DocumentRecord:
    """The record with the reviewers' decisions applied, written when it changed."""
    return update_record(apply_decisions(extracted, decisions), out_dir)


@task(name="themes", cache_policy=NO_CACHE)
def themes(out_dir: Path, segmenter: Segmenter) -> dict:
    """Corpus-level: every record in `out_dir` (also those this run did not touch) gets its themes."""
    return apply_themes(out_dir, segmenter, load_taxonomy())


def _extract_one(doc: CorpusDocument, segmenter: Segmenter, resources: Resources, decisions: list[Decision],
                 out_dir: Path, cache: StageCache | None) -> tuple[DocumentRecord, str | None]:
    """The document's record, and which cache served it ('record', 'ingest' or None)."""
    # quote(): Prefect would otherwise walk every gazetteer entry, token and entity looking
    # for upstream results (50 s of a 77 s run on the bundled corpus).
    quoted_segmenter, quoted_resources = quote(segmenter), quote(resources)
    mine = quote([d for d in decisions if d.doc_id == doc.doc_id])
    try:
        served = None
        ingested = None
        if cache and doc.path.is_file():
            ingest_entry = ingest_key(file_sha256(doc.path))
            ingested = cache.get_ingested(ingest_entry)
            served = "ingest" if ingested else None
        if ingested is None:
            ingested = ingest(quote(doc), quoted_resources)
            if isinstance(ingested, DocumentRecord):
                update_record(ingested, out_dir)
                return ingested, None
            if cache:
                cache.put_ingested(ingest_key(ingested.sha256), ingested)
        entry = doc.entry.model_dump(mode="json") if doc.entry else None
        extracted_key = record_key(ingested, entry, doc.relative_path, doc.doc_id, resources.digest)
        extracted = cache.get_record(extracted_key) if cache else None
        if extracted is not None:
            served = "record"
        else:
            segmentation = segment(quote(ingested), quoted_segmenter)
            found = entities(quote(doc), quote(ingested), quote(segmentation), quoted_resources, quoted_segmenter)
            extracted = build(quote(doc), quote(ingested), quote(segmentation), quote(found), quoted_resources)
            if cache:
                cache.put_record(extracted_key, extracted)
        return write(quote(extracted), mine, out_dir), served
    except Exception as err:  # a bug on one document must not cost the others their records
        record = failed_record(doc, f"internal error: {type(err).__name__}: {err}", resources)
        write_record(record, out_dir)
        return record, None


def select_documents(documents: list[CorpusDocument], only: list[str] | None) -> list[CorpusDocument]:
    if not only:
        return documents
    known = {d.doc_id for d in documents}
    unknown = sorted(set(only) - known)
    if unknown:
        raise ValueError(f"unknown doc_id: {', '.join(unknown)} (see the corpus catalog for ids)")
    return [d for d in documents if d.doc_id in set(only)]


@flow(name="extract-corpus", log_prints=False)
def extract_corpus(corpus_dir: Path = Path("corpus"), out_dir: Path = Path("extracted"),
                   only: list[str] | None = None, show_progress: bool = False,
                   review_db: Path | None = None, cache_dir: Path | None = None) -> RunSummary:
    """Extract every document of the corpus (or `only` some) into one record each, with the
    decisions of `review_db` applied and the names reviewers taught added to the gazetteers.
    With `cache_dir`, stages whose input, code and settings are unchanged are not re-done."""
    started = time.perf_counter()
    documents = select_documents(discover_documents(corpus_dir), only)
    decisions = []
    if review_db is not None:
        store = ReviewStore(review_db)
        decisions = store.decisions()
        store.close()
    segmenter, resources = Segmenter(), load_resources(reviewed=reviewed_names(decisions))
    cache = StageCache(cache_dir) if cache_dir else None
    write_schema(out_dir)
    summary = RunSummary(pipeline=pipeline_info(resources))
    progress = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                        TimeElapsedColumn(), disable=not show_progress, transient=True)
    with progress:
        bar = progress.add_task("extracting", total=len(documents))
        for doc in documents:
            progress.update(bar, description=f"extracting {doc.doc_id}")
            doc_started = time.perf_counter()
            record, served = _extract_one(doc, segmenter, resources, decisions, out_dir, cache)
            summary.outcomes.append(DocumentOutcome(
                record.doc_id, record.status, record.error, len(record.sentences), len(record.entities),
                round(time.perf_counter() - doc_started, 3), served))
            progress.advance(bar)
    if not only:
        summary.pruned = prune_records(out_dir, {d.doc_id for d in documents})
    theme_map = themes(out_dir, quote(segmenter))
    summary.themes = {t["id"]: sum(t["passages_by_language"].values()) for t in theme_map["themes"]}
    summary.seconds = round(time.perf_counter() - started, 3)
    return summary

