"""The pipeline: every stage a document goes through, in order, and the corpus stages after them.

`DOCUMENT_STAGES` and `CORPUS_STAGES` below are the one place the stages are listed. A stage is
one plain function with one job. As a spaCy component declares what it `requires` and
`assigns`, a stage declares the values of a document's run it reads and the one it writes, the
modules whose code makes its output and the data files it depends on. A `Pipeline` runs the
stages a document's record needs, each one after what it reads, and caches the outputs of the
stages that have a `store`.

A stage's cache key hashes its name, its version (the source of its function and modules, and
its settings), its data files and what it reads: an input's content (the file's bytes, the
catalog entry, the ingested text), or the key of the stage that wrote it. So every key is known
once the text is, before anything is segmented: an unchanged document is served its record
without loading spaCy, and a gazetteer edit re-runs the stages that read the gazetteers and
those after them, no others (`parks stages` shows which).

To add a stage: write `def stage(pipe, <what it reads>) -> <what it writes>` and add one
`Stage(...)` line where it belongs in `DOCUMENT_STAGES` (with `spacy_docs=True` when it makes
spaCy docs: the run enters spaCy's memory zone, which loads the pipelines, only for such a stage).
"""

from __future__ import annotations

import errno
import hashlib
import importlib.metadata
import inspect
import json
import logging
from contextlib import ExitStack
from dataclasses import asdict, dataclass, field, replace
from functools import cached_property
from pathlib import Path
from types import ModuleType
from typing import Any, Callable

from pipeline import (cleaning, coreference, dataset, entities, figures, ingest, linking, records, relations,
                      resolution, resources, review, segment, themes, types)
from pipeline.cache import INGESTED, MENTIONS, RECORD, SEGMENTATION, StageCache, Store
from pipeline.corpus import CorpusDocument, doc_id_for, file_sha256
from pipeline.errors import NotReadable, ParksError, TooLarge
from pipeline.ingest import PDF_LAYOUT, IngestedText
from pipeline.limits import DEFAULT_LIMITS, DocumentLimits, time_budget
from pipeline.resources import DATA_DIR, DATA_FILES, Resources, load_resources
from pipeline.segment import Segmenter
from pipeline.types import DocumentRecord, Metadata

log = logging.getLogger(__name__)

REVIEWED = "reviewed"  # the names reviewers taught, a data source beside the files


# --- the stages' functions --------------------------------------------------------------

def ingest_text(pipe: Pipeline, file: Path) -> IngestedText:
    """Clean text and metadata hints out of a PDF, HTML, Markdown or text file, within the size limit."""
    return ingest.ingest_file(file, pipe.limits)


def segment_text(pipe: Pipeline, ingested: IngestedText) -> segment.Segmentation:
    """Blocks in one language each, tokens and sentences."""
    return segment.segment_text(ingested.text, pipe.segmenter)


def find_figures(pipe: Pipeline, ingested: IngestedText, segmentation: segment.Segmentation) -> list[entities.Mention]:
    """Figure candidates (amounts, areas, counts, years), in sentences and flattened tables."""
    return linking.find_document_figures(ingested.text, segmentation, pipe.resources, pipe.segmenter)


def tag_entities(pipe: Pipeline, document: CorpusDocument, ingested: IngestedText,
                 segmentation: segment.Segmentation, figures: list[entities.Mention]) -> list[types.Entity]:
    """Countries, parks, companies and figures, one reading per span, linked to the gazetteers."""
    return linking.tag_entities(document.doc_id, ingested.text, segmentation, pipe.resources, pipe.segmenter, figures)


def resolve_references(pipe: Pipeline, document: CorpusDocument, ingested: IngestedText,
                       segmentation: segment.Segmentation, entities: list[types.Entity]) -> list[types.Entity]:
    """References to parks ("the zone", "It", 该园区), each resolved to the park mention it stands for."""
    return coreference.resolve_references(document.doc_id, ingested.text, segmentation.block_spans,
                                          segmentation.sentence_spans, entities, coreference.ReferenceCues.load())


def build_record(pipe: Pipeline, document: CorpusDocument, ingested: IngestedText,
                 segmentation: segment.Segmentation, entities: list[types.Entity],
                 references: list[types.Entity]) -> DocumentRecord:
    """The typed record: metadata, text, blocks, sentences and entities (references among them, in
    text order), with what made it."""
    return records.build_record(document, ingested, segmentation, sorted(entities + references, key=lambda e: e.start),
                                pipe.resources)


def bytes_read(ingested: IngestedText) -> str:
    return ingested.sha256


def text_within_limits(pipe: Pipeline, ingested: IngestedText) -> None:
    """A cached text is measured against this run's size limit, not the one of the run that cached it."""
    pipe.limits.check_text(ingested.text)


def library_versions(*distributions: str) -> dict:
    return {f"{name} version": importlib.metadata.version(name) for name in distributions}


def pdf_layout() -> dict:
    return {"pdf layout (ingest.PDF_LAYOUT)": {k: v for k, v in vars(PDF_LAYOUT).items() if not k.startswith("_")}}


# A stage's settings: what `parks stages` names each, and its value now.

def ingest_settings() -> dict:
    return {**pdf_layout(), **library_versions("pdfminer.six", "chardet", "beautifulsoup4", "pylatexenc")}


def segment_settings() -> dict:
    return library_versions("spacy", "jieba")


def figures_settings() -> dict:
    return library_versions("cn2an")  # Chinese numerals


def entities_settings() -> dict:
    return library_versions("babel", "inflect")  # country names, singular forms


def record_settings() -> dict:
    """A record's pipeline info names them."""
    return {"package version (pipeline.__version__)": records.__version__, **pdf_layout()}


# --- declaring stages --------------------------------------------------------------------

@dataclass(frozen=True)
class Stage:
    """One step of a document's way to its record."""

    name: str
    run: Callable[..., Any]  # run(pipe, **reads) -> the value it writes
    reads: tuple[str, ...]
    writes: str
    code: tuple[ModuleType, ...] = ()  # modules besides its function whose code makes its output
    data: tuple[str, ...] = ()  # files of `pipeline/data` (and `REVIEWED`) its output depends on
    settings: Callable[[], dict] | None = None  # settings and library versions its output depends on, by name
    store: Store | None = None  # how its output is cached; None: not cached
    check_cached: Callable[[Pipeline, Any], None] | None = None  # what the stage would check, on a cached output
    reads_only: dict[str, str] = field(default_factory=dict, hash=False)  # value read -> its one field the stage uses
    read_sha256: Callable[[Any], str] | None = None  # of a stage reading 'file': the sha256 of the bytes it read
    spacy_docs: bool = False  # it makes spaCy docs (run, or restored from the cache): inside the run's memory zone

    @cached_property
    def version(self) -> str:
        return code_version(self.run, self.code, self.settings() if self.settings else {})

    @property
    def description(self) -> str:
        return " ".join(inspect.getdoc(self.run).split("\n\n")[0].split())


def code_version(function: Callable, modules: tuple[ModuleType, ...], settings: dict) -> str:
    """The source of a stage's function and modules, and its settings: a change to any re-runs
    the stage, with no version number to forget to bump."""
    digest = hashlib.sha256(inspect.getsource(function).encode())
    for module in modules:
        digest.update(Path(module.__file__).read_bytes())
    digest.update(json.dumps(settings, sort_keys=True, default=str).encode())
    return digest.hexdigest()[:12]


# The inputs of a document's run, and what their digest hashes; every other value is a stage's.
INPUTS = {
    "document": "its id, path, catalog entry and warnings",
    "file": "the file's bytes (sha256)",
}

DOCUMENT_STAGES = [
    Stage("ingest", ingest_text, reads=("file",), writes="ingested", code=(ingest, cleaning), settings=ingest_settings,
          store=INGESTED, check_cached=text_within_limits, read_sha256=bytes_read),
    Stage("segment", segment_text, reads=("ingested",), reads_only={"ingested": "text"}, writes="segmentation",
          code=(segment, cleaning), settings=segment_settings, store=SEGMENTATION, spacy_docs=True),
    Stage("figures", find_figures, reads=("ingested", "segmentation"), reads_only={"ingested": "text"},
          writes="figures", code=(figures, entities, linking, resources), data=("figures.json",),
          settings=figures_settings, store=MENTIONS),
    Stage("entities", tag_entities, reads=("document", "ingested", "segmentation", "figures"),
          reads_only={"ingested": "text"}, writes="entities", code=(entities, figures, linking, resources),
          data=("countries.jsonl", "parks.jsonl", "companies.jsonl", "names.json", "figures.json", REVIEWED),
          settings=entities_settings),
    Stage("references", resolve_references, reads=("document", "ingested", "segmentation", "entities"),
          reads_only={"ingested": "text"}, writes="references", code=(coreference,), data=("references.json",)),
    Stage("record", build_record, reads=("document", "ingested", "segmentation", "entities", "references"),
          writes="record",
          code=(records, types), data=(*DATA_FILES, REVIEWED), settings=record_settings, store=RECORD),
]


def document_digest(document: CorpusDocument) -> str:
    entry = document.entry.model_dump(mode="json") if document.entry else None
    return _hash([document.doc_id, document.relative_path, entry, list(document.warnings)])


def ingested_digest(ingested: IngestedText) -> str:
    return _hash(asdict(ingested))


def _hash(value) -> str:
    return hashlib.sha256(json.dumps(value, sort_keys=True, ensure_ascii=False, default=str)
                          .encode("utf-8", "surrogatepass")).hexdigest()


# Values whose digest is their content, not the key of the stage that wrote them: the stages after
# ingest re-run when the text changes, not whenever the parsing code does.
CONTENT_DIGESTS = {"document": document_digest, "ingested": ingested_digest}


@dataclass(frozen=True)
class Extraction:
    """A document's record, and the stages whose output the cache served."""

    record: DocumentRecord
    served: tuple[str, ...] = ()


class NotCached(Exception):
    """A stage would have to run (`Pipeline.run(..., cached_only=True)`)."""


class Pipeline:
    """The document stages with what they use: the segmenter, the gazetteers and the limits.

    >>> pipe = Pipeline()  # doctest: +SKIP
    >>> pipe.extract(CorpusDocument("paper", Path("paper.pdf"), "paper.pdf", None)).record  # doctest: +SKIP
    """

    def __init__(self, segmenter: Segmenter | None = None, resources: Resources | None = None,
                 limits: DocumentLimits = DEFAULT_LIMITS, stages: list[Stage] = DOCUMENT_STAGES):
        self.segmenter = segmenter or Segmenter()
        self.resources = resources or load_resources()
        self.limits = limits
        self.stages = list(stages)
        self.writer = {stage.writes: stage for stage in self.stages}
        check_stages(self.stages)

    def run(self, document: CorpusDocument, cache: StageCache | None = None, *, ingested: IngestedText | None = None,
            cached_only: bool = False) -> Extraction:
        """The record of `document` (from its file, or from `ingested` when the text is already
        in hand), within the time limit. Errors raise; with `cached_only`, `NotCached` when a
        stage would have to run."""
        if document.unreadable:
            raise NotReadable(document.unreadable)
        inputs = run_inputs(document, ingested)
        # Serving from the cache runs no stage: no watcher thread per document for it.
        with time_budget(0 if cached_only else self.limits.seconds), ExitStack() as zone:
            run = DocumentRun(self, inputs, cache, zone, cached_only)
            return Extraction(run.value("record"), tuple(run.served))

    def extract(self, document: CorpusDocument, cache: StageCache | None = None, *,
                raise_transient: bool = True) -> Extraction:
        """The record of `document`, or its failed record when the document cannot be extracted
        (unreadable, too large, too slow, no permission ...). Bugs raise, and transient file
        system errors for a caller that retries them (`raise_transient`)."""
        try:
            return self.run(document, cache)
        except (ParksError, OSError) as err:
            if raise_transient and is_transient(err):
                raise
            return Extraction(self.failed_record(document, err))

    def failed_record(self, document: CorpusDocument, error: BaseException) -> DocumentRecord:
        """A file over the size limit is not read to hash it."""
        return records.failed_record(document, records.failure_reason(document, error), self.resources,
                                     hash_file=not isinstance(error, TooLarge))

    def keys(self, document: CorpusDocument, *, ingested: IngestedText | None = None) -> dict[str, str | None]:
        """The cache key of every stage for `document` (ingesting it when `ingested` is not given)."""
        inputs = run_inputs(document, ingested)
        with ExitStack() as zone:
            run = DocumentRun(self, inputs, None, zone, cached_only=False)
            return {stage.name: run.key(stage) for stage in self.stages if stage.writes not in inputs}


def run_inputs(document: CorpusDocument, ingested: IngestedText | None) -> dict:
    """The document, and its file, or its text when that is already in hand (`extract_text`)."""
    return {"document": document, **({"ingested": ingested} if ingested else {"file": document.path})}


def check_stages(stages: list[Stage]) -> None:
    """Every stage reads the document's inputs or what an earlier stage wrote, depends on data
    files its key can hash (those the gazetteers load), no value is written twice, and one stage
    writes the record."""
    known, written = set(INPUTS) | {"ingested"}, set(INPUTS)  # a run may start from ingested text
    for stage in stages:
        missing = [name for name in stage.reads if name not in known]
        if missing:
            raise ValueError(f"stage {stage.name!r} reads {', '.join(missing)}, which no earlier stage writes")
        narrowed = [name for name in stage.reads_only if name not in stage.reads or name not in CONTENT_DIGESTS]
        if narrowed:
            raise ValueError(f"stage {stage.name!r} reads only a field of {', '.join(narrowed)}, which it does not "
                             f"read or which is not digested by its content")
        unhashed = [name for name in stage.data if name not in (*DATA_FILES, REVIEWED)]
        if unhashed:
            raise ValueError(f"stage {stage.name!r} depends on {', '.join(unhashed)}, which its cache key cannot "
                             f"hash: only the data files of resources.DATA_FILES")
        if stage.writes in written:
            raise ValueError(f"stage {stage.name!r} writes {stage.writes!r}, which an input or an earlier stage holds")
        known.add(stage.writes)
        written.add(stage.writes)
    if "record" not in written:
        raise ValueError("no stage writes 'record'")


class DocumentRun:
    """The values of one document's run: produced on demand, each stage's from the cache when it
    holds it, else by running the stage after what it reads."""

    def __init__(self, pipe: Pipeline, inputs: dict, cache: StageCache | None, zone: ExitStack, cached_only: bool):
        self.pipe, self.cache, self.zone, self.cached_only = pipe, cache, zone, cached_only
        self.values = dict(inputs)
        self.keys: dict[str, str | None] = {}
        self.served: list[str] = []
        self.file_sha256: str | None = None  # of the file's bytes, once hashed for a key
        self.content_digests: dict[tuple[str, str | None], str] = {}
        self.zoned = False

    def value(self, name: str):
        if name not in self.values:
            self.values[name] = self._produce(self.pipe.writer[name])
        return self.values[name]

    def key(self, stage: Stage) -> str | None:
        """None when something it reads has no digest (a path that is no file: the stage says why)."""
        if stage.name not in self.keys:
            digests = [self.digest(name, stage.reads_only.get(name)) for name in stage.reads]
            data = {name: self.pipe.resources.data_digests.get(name) for name in stage.data}
            self.keys[stage.name] = None if None in digests else _hash([stage.name, stage.version, data, digests])
        return self.keys[stage.name]

    def digest(self, name: str, only: str | None = None) -> str | None:
        """Of an input or a value digested by its content: its content, or only its field `only`;
        of another value: the key of the stage that wrote it."""
        if name == "file":
            path = self.values["file"]
            if not path.is_file():
                return None
            self.pipe.limits.check_size(path.stat().st_size)  # before reading it to hash it
            self.file_sha256 = file_sha256(path)
            return self.file_sha256
        if name in CONTENT_DIGESTS:
            if (name, only) not in self.content_digests:  # a text is hashed once, not once per stage reading it
                value = self.value(name)
                self.content_digests[name, only] = _hash(getattr(value, only)) if only else CONTENT_DIGESTS[name](value)
            return self.content_digests[name, only]
        return self.key(self.pipe.writer[name])

    def _produce(self, stage: Stage):
        entry_key = self.key(stage) if self.cache and stage.store else None
        if stage.spacy_docs and not self.zoned:  # the spaCy docs live no longer than the run; none before it
            self.zone.enter_context(self.pipe.segmenter.memory_zone())
            self.zoned = True
        if entry_key:
            cached = self._cached(stage, entry_key)
            if cached is not None:
                if stage.check_cached:
                    stage.check_cached(self.pipe, cached)
                self.served.append(stage.name)
                return cached
        if self.cached_only:
            raise NotCached(stage.name)
        reads = {name: self.value(name) for name in stage.reads}
        output = stage.run(self.pipe, **reads)
        if entry_key and self.read_what_was_hashed(stage, output):
            self.cache.put(stage.name, entry_key, stage.store.suffix, stage.store.dump(output))
        return output

    def read_what_was_hashed(self, stage: Stage, output) -> bool:
        """A file written to between hashing it for the key and the stage reading it gave an
        output of other bytes, which must not be cached under the key of the hashed ones."""
        return not stage.read_sha256 or stage.read_sha256(output) == self.file_sha256

    def _cached(self, stage: Stage, entry_key: str):
        data = self.cache.get(stage.name, entry_key, stage.store.suffix)
        if data is None:
            return None
        try:
            return stage.store.load(data, self.pipe, self.value)
        except Exception as err:  # a damaged entry counts as missing
            log.warning("cached %s %s unreadable (%s: %s); running the stage again", stage.name, entry_key,
                        type(err).__name__, err)
            return None


# File system errors that a second try meets again.
_LASTING_OS_ERRORS = (PermissionError, FileNotFoundError, IsADirectoryError, NotADirectoryError)


def is_transient(error: BaseException) -> bool:
    """What a second try can fix (a file system or network hiccup); a document that cannot be
    read (`ParksError`: encrypted, corrupt, empty, too large, too slow ...; or no permission,
    no file, a symlink loop, a name too long) fails the same way every time."""
    return (isinstance(error, OSError) and not isinstance(error, _LASTING_OS_ERRORS)
            and error.errno not in (errno.ELOOP, errno.ENAMETOOLONG))


# --- the library's front door ------------------------------------------------------------

def extract_document(path: str | Path, *, doc_id: str | None = None, segmenter: Segmenter | None = None,
                     resources: Resources | None = None, limits: DocumentLimits = DEFAULT_LIMITS) -> DocumentRecord:
    """Extract one file outside any corpus: metadata is guessed from the file. A file that
    cannot be extracted gives its failed record, which says why (nothing retries here: a
    transient file system error too).

    >>> record = extract_document("paper.pdf")  # doctest: +SKIP
    >>> record.status, record.language, len(record.entities)  # doctest: +SKIP
    """
    path = Path(path)
    document = CorpusDocument(doc_id or doc_id_for(path.name), path, path.name, None)
    return Pipeline(segmenter, resources, limits).extract(document, raise_transient=False).record


def extract_text(text: str, *, doc_id: str, metadata: Metadata | None = None, segmenter: Segmenter | None = None,
                 resources: Resources | None = None, limits: DocumentLimits = DEFAULT_LIMITS) -> DocumentRecord:
    """Extract from text already in memory (Markdown or plain), e.g. pasted or fetched elsewhere.
    Text over the size limit raises `TooLarge`, an extraction over the time budget `TooSlow`."""
    limits.check_text(text)
    pipe = Pipeline(segmenter, resources, replace(limits, seconds=0))  # the budget below holds the cleaning too
    with time_budget(limits.seconds):
        raw = cleaning.markdown_to_text(text) if cleaning.looks_like_markdown(text) else text
        ingested = IngestedText(text=cleaning.clean_pages(cleaning.split_pseudo_pages(raw)), format="txt",
                                sha256=hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest())
        document = CorpusDocument(doc_id, Path(f"{doc_id}.txt"), f"{doc_id}.txt", None)
        record = pipe.run(document, ingested=ingested).record
    return record.model_copy(update={"metadata": metadata}) if metadata else record


# --- corpus stages -----------------------------------------------------------------------

def theme_records(out_dir: Path) -> dict[str, int]:
    """Seeded and discovered themes for every record's passages, and the corpus theme map; not
    re-done while no text, the taxonomy or the theme code changed (the map's fingerprint)."""
    theme_map = records.apply_themes(out_dir, themes.load_taxonomy())
    return {t["id"]: sum(t["passages_by_language"].values()) for t in theme_map["themes"]}


def build_dataset(out_dir: Path, review_db: Path | None = None) -> dict[str, int]:
    """One record per park, company and country from every record's entities, decisions and relations,
    with the reviewers' entity decisions (merges, splits, links, hosts, scopes) of `review_db` applied."""
    decisions = []
    if review_db is not None and Path(review_db).is_file():
        store = review.ReviewStore(review_db)
        try:
            decisions = review.effective_entity_decisions(store.entity_decisions())
        finally:
            store.close()
    built = dataset.build_dataset(out_dir, entity_decisions=decisions)
    dataset.write_dataset(built, out_dir)
    return {"parks": len(built.parks), "companies": len(built.companies), "countries": len(built.countries)}


@dataclass(frozen=True)
class CorpusStage:
    """A step over every record in the records folder, after the documents' stages."""

    name: str
    run: Callable[..., dict]  # run(out_dir[, review_db]) -> what it made, counted, for the run's summary
    reads: tuple[str, ...]
    writes: tuple[str, ...]
    code: tuple[ModuleType, ...] = ()
    data: tuple[str, ...] = ()
    reviewed: bool = False  # reads the reviewers' entity decisions

    @cached_property
    def version(self) -> str:
        """Its code and data files: shown by `parks stages` (the themes stage keeps its own fingerprint)."""
        return code_version(self.run, self.code, {name: _hash((DATA_DIR / name).read_text(encoding="utf-8"))
                                                  for name in self.data})

    description = Stage.description


CORPUS_STAGES = [
    CorpusStage("themes", theme_records, reads=("records: text, sentences",), writes=("records: themes", "themes.json"),
                code=(themes, records), data=("themes.json", "stopwords.json")),
    CorpusStage("dataset", build_dataset, reads=("records: entities, sentences, review decisions",
                                                 "entity decisions"),
                writes=("parks.json", "companies.json", "countries.json"), code=(dataset, relations, resolution),
                data=("relations.json", "resolution.json"), reviewed=True),
]


def run_corpus_stage(stage: CorpusStage, out_dir: Path, review_db: Path | None = None) -> dict:
    """One corpus stage over the records of `out_dir`; the one that reads reviewers' entity
    decisions gets them from `review_db`."""
    return stage.run(out_dir, review_db) if stage.reviewed else stage.run(out_dir)


# --- describing the stages ---------------------------------------------------------------

def depends_on(stage: Stage | CorpusStage) -> list[str]:
    """What a stage's output depends on besides what it reads: its code, data files and settings."""
    code = [f"pipeline/{Path(inspect.getfile(stage.run)).name}:{stage.run.__name__}"]
    code += [f"pipeline/{Path(module.__file__).name}" for module in stage.code]
    data = ["names reviewers taught" if name == REVIEWED else f"pipeline/data/{name}" for name in stage.data]
    settings = list(stage.settings()) if getattr(stage, "settings", None) else []
    return code + data + settings


def reruns(stages: list[Stage] = DOCUMENT_STAGES,
           corpus_stages: list[CorpusStage] = CORPUS_STAGES) -> dict[str, list[str]]:
    """For each thing a stage depends on: the stages an edit to it re-runs, that stage and every
    document stage that reads, directly or not, what it writes (past a value digested by its
    content, the ingested text, only for documents whose text changes)."""
    after: dict[str, list[str]] = {stage.name: [stage.name] for stage in corpus_stages}
    for stage in reversed(stages):
        readers = [s for s in stages if stage.writes in s.reads and stage.writes not in CONTENT_DIGESTS]
        after[stage.name] = list(dict.fromkeys([stage.name] + [n for s in readers for n in after[s.name]]))
    order = [s.name for s in [*stages, *corpus_stages]]
    edits: dict[str, set[str]] = {}
    for stage in [*stages, *corpus_stages]:
        for dependency in depends_on(stage):
            edits.setdefault(dependency, set()).update(after[stage.name])
    return {dependency: sorted(names, key=order.index) for dependency, names in sorted(edits.items())}
