"""Records: a document's typed record, built from the stages' outputs (`stages.build_record`)
or saying why it failed, written atomically; pruning, and the records' themes."""

from __future__ import annotations

import errno
import hashlib
import json
import re
from pathlib import Path

from pipeline import __version__
from pipeline.corpus import CorpusDocument, mend_text, readable_sha256
from pipeline.errors import ParksError
from pipeline.files import RECORDS_DIR, write_atomically
from pipeline.ingest import FORMATS, PDF_LAYOUT, IngestedText
from pipeline.locks import record_lock
from pipeline.resources import Resources
from pipeline.segment import SENTENCE_END, Segmentation, detect_language
from pipeline.themes import (Taxonomy, ThemeParameters, corpus_fingerprint, previous_discovered, theme_corpus,
                             theme_source)
from pipeline.types import SCHEMA_VERSION, DocumentRecord, Entity, Metadata, PipelineInfo, Source

SCHEMA_PATH = Path("schema") / "document.schema.json"
THEME_MAP = "themes.json"


def pipeline_info(resources: Resources) -> PipelineInfo:
    """The version and a hash of every setting and data file that changes output, so records
    say what made them."""
    config = {
        "schema_version": SCHEMA_VERSION,
        "data": resources.digest,
        "pdf_layout": {k: v for k, v in vars(PDF_LAYOUT).items() if not k.startswith("_")},
        "sentence_end": {lang: sorted(marks) for lang, marks in SENTENCE_END.items()},
    }
    digest = hashlib.sha256(json.dumps(config, sort_keys=True, default=str).encode()).hexdigest()
    return PipelineInfo(version=__version__, config_hash=digest[:16], data_versions=resources.versions)


# --- metadata ----------------------------------------------------------------------

_DOI = re.compile(r"\b(10\.\d{4,9}/[^\s\"<>，。；、]+)", re.I)
_CITATION_LINE = re.compile(r"\b(?:vol\.?|volume|issue|no\.|published|received|copyright)\b|©|卷|期|收稿|出版", re.I)
_YEAR = re.compile(r"(?<!\d)(19[5-9]\d|20[0-4]\d)(?!\d)")


def _looks_like_title(line: str) -> bool:
    """Not a journal banner, navigation, bullet, reference or sentence: a title."""
    if not 15 <= len(line) <= 250 or _DOI.search(line) or re.search(r"[›»|@]", line):
        return False
    if re.match(r"^(?:doi|https?:|www\.|©|\d|[•►·\-–*\[(（])", line, re.I) or line[-1] in ".,;:，。；：":
        return False
    words = len(re.findall(r"[A-Za-z]+", line))
    return words >= 4 or len(re.findall(r"[\u4e00-\u9fff]", line)) >= 6


def guess_metadata(text: str, ingested: IngestedText | None = None) -> Metadata:
    """Title, DOI, year and authors read off the document itself, flagged as guessed."""
    head = text[:5000]
    fields: dict = {}
    title = ingested.title_hint if ingested else None
    if not title:
        title = next((line.strip() for line in head.split("\n")[:40] if _looks_like_title(line.strip())), None)
    if title:
        fields["title_zh" if detect_language(title) == "zh" else "title"] = title
    if ingested and ingested.authors_hint:
        fields["authors"] = ingested.authors_hint
    doi = _DOI.search(head)
    if doi:
        fields["doi"] = doi.group(1).rstrip(".,;)]")
    # A year in the body is more often an event than the publication: trust only citation lines.
    citation_lines = [line for line in head.split("\n") if _CITATION_LINE.search(line)]
    year = next((m for m in (_YEAR.search(line) for line in citation_lines) if m), None)
    if year:
        fields["year"] = int(year.group(1))
    return Metadata(**fields, guessed=sorted(fields))


def catalog_metadata(doc: CorpusDocument) -> Metadata:
    entry = doc.entry.model_dump()
    return Metadata(**{field: entry[field] for field in Metadata.model_fields if field in entry})


# --- building records ----------------------------------------------------------------

def build_record(doc: CorpusDocument, ingested: IngestedText, segmentation: Segmentation,
                 entities: list[Entity], resources: Resources) -> DocumentRecord:
    metadata = catalog_metadata(doc) if doc.entry else guess_metadata(ingested.text, ingested)
    return DocumentRecord(
        doc_id=doc.doc_id,
        status="ok",
        warnings=[*doc.warnings, *ingested.warnings],
        source=Source(path=doc.relative_path, sha256=ingested.sha256, format=ingested.format),
        metadata=metadata,
        language=segmentation.document_language(),
        pipeline=pipeline_info(resources),
        text=ingested.text,
        blocks=segmentation.block_spans,
        sentences=segmentation.sentence_spans,
        entities=entities,
    )


def failure_reason(doc: CorpusDocument, error: BaseException) -> str:
    """What a failed record says about the error that stopped its document: the reason a
    `ParksError` gives, the file system's word naming the file (relative to the corpus), or
    the error of a bug."""
    if isinstance(error, ParksError):
        return str(error)
    if isinstance(error, OSError) and error.filename is not None and str(error.filename) != str(doc.path):
        return f"file system error: {error}"  # another file than the document's: the record's, say
    if isinstance(error, PermissionError):
        return f"permission denied: {doc.relative_path}"
    if isinstance(error, OSError) and error.errno == errno.ELOOP:
        return f"symlink loop: {doc.relative_path}"
    if isinstance(error, OSError):
        return f"cannot be read: {doc.relative_path}: {(error.strerror or str(error)).lower()}"
    return f"internal error: {type(error).__name__}: {error}"


def failed_record(doc: CorpusDocument, reason: str, resources: Resources, hash_file: bool = True) -> DocumentRecord:
    """A record that says why a document gave no text; its catalog metadata is kept. Never
    raises: a file that cannot be read (or must not be, or is too large to read: `hash_file`
    False) gets no sha256, a reason naming a file whose name is not UTF-8 is mended."""
    sha256 = (readable_sha256(doc.path) or "") if hash_file and not doc.unreadable else ""
    return DocumentRecord(
        doc_id=doc.doc_id,
        status="failed",
        error=mend_text(reason),
        warnings=list(doc.warnings),
        source=Source(path=doc.relative_path, sha256=sha256, format=FORMATS.get(doc.path.suffix.lower())),
        metadata=catalog_metadata(doc) if doc.entry else Metadata(),
        pipeline=pipeline_info(resources),
    )


# --- writing -------------------------------------------------------------------------

def record_json(record: DocumentRecord) -> str:
    """Deterministic serialisation: same record, same bytes (pydantic's encoder: `json.dumps` with
    an indent falls back to pure Python, six times slower)."""
    return record.model_dump_json(indent=1) + "\n"


def record_path(out_dir: Path, doc_id: str) -> Path:
    return Path(out_dir) / RECORDS_DIR / f"{doc_id}.json"


def write_record(record: DocumentRecord, out_dir: Path) -> Path:
    path = record_path(out_dir, record.doc_id)
    write_atomically(path, record_json(record))
    return path


def update_record(record: DocumentRecord, out_dir: Path) -> DocumentRecord:
    """Write a re-extracted record over the previous one, reading that once: the themes it had
    stay while its text is the same (themes are corpus-level), and a byte-identical record (with
    its modification time) is left alone."""
    path = record_path(out_dir, record.doc_id)
    try:
        previous = path.read_text(encoding="utf-8") if path.exists() else None
        old = DocumentRecord.model_validate_json(previous) if previous is not None else None
    except (OSError, ValueError):  # a damaged previous record is replaced, not a reason to fail
        previous = old = None
    if old is not None and old.text == record.text:
        record = record.model_copy(update={"themes": old.themes})
    content = record_json(record)
    if content != previous:
        write_atomically(path, content)
    return record


def read_record(path: Path) -> DocumentRecord:
    return DocumentRecord.model_validate_json(Path(path).read_text(encoding="utf-8"))


def document_schema() -> dict:
    schema = DocumentRecord.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["$id"] = "https://parks.invalid/schema/document.schema.json"
    return schema


def schema_json() -> str:
    return json.dumps(document_schema(), ensure_ascii=False, indent=2, sort_keys=True) + "\n"


def write_schema(out_dir: Path) -> Path:
    path = Path(out_dir) / SCHEMA_PATH
    write_atomically(path, schema_json())
    return path


PRUNE_SHARE = 0.10  # of the records: a run may remove more only when told to (`prune=True`, `--prune`)
PRUNE_ALWAYS = 2  # records a run may always remove (a paper or two taken out of a small corpus)


class PruneRefused(ValueError):
    """A run would remove many records, most likely because the corpus folder is wrong or empty."""


def _record_ids(out_dir: Path) -> list[str]:
    return [path.stem for path in sorted((Path(out_dir) / RECORDS_DIR).glob("*.json"))]


def check_prune(out_dir: Path, keep: set[str]) -> list[str]:
    """The records a full run over a corpus of `keep` would remove; raises `PruneRefused` when the
    corpus holds no document and records would go, or when more than `PRUNE_ALWAYS` records and
    more than `PRUNE_SHARE` of them would: an unmounted share or a mistyped `--corpus` must not
    empty the records folder."""
    records = _record_ids(out_dir)
    stale = [doc_id for doc_id in records if doc_id not in keep]
    total = len(records)
    if not stale or (keep and (len(stale) <= PRUNE_ALWAYS or len(stale) <= PRUNE_SHARE * total)):
        return stale
    why = ("the corpus holds no document (an empty or unmounted folder?)" if not keep else
           f"that is more than {PRUNE_ALWAYS} records and more than {PRUNE_SHARE:.0%} of them")
    examples = ", ".join(stale[:5]) + (", ..." if len(stale) > 5 else "")
    raise PruneRefused(f"{len(stale)} of the {total} records in {Path(out_dir) / RECORDS_DIR} would be removed "
                       f"because their documents are not in the corpus ({examples}), and {why}: nothing was "
                       "extracted or removed. Check the corpus folder, or pass --prune to remove them")


def prune_records(out_dir: Path, keep: set[str]) -> list[str]:
    """Remove records of documents no longer in the corpus; returns their ids. Call `check_prune`
    first unless the user asked for the removal."""
    removed = [doc_id for doc_id in _record_ids(out_dir) if doc_id not in keep]
    with record_lock(out_dir):
        for doc_id in removed:
            record_path(out_dir, doc_id).unlink(missing_ok=True)
    return removed


def read_records(out_dir: Path) -> list[DocumentRecord]:
    return [read_record(path) for path in sorted((Path(out_dir) / RECORDS_DIR).glob("*.json"))]


def apply_themes(out_dir: Path, taxonomy: Taxonomy) -> dict:
    """Themes for every record in `out_dir`, and the corpus theme map beside them.

    The previous map's discovered themes are matched first, so their ids and labels survive;
    only records whose themes changed are rewritten. Records are read one at a time, twice at
    most: a corpus is never held in memory. Returns the new theme map."""
    out_dir = Path(out_dir)
    map_path = out_dir / THEME_MAP
    previous = json.loads(map_path.read_text(encoding="utf-8")) if map_path.exists() else None
    paths = sorted((out_dir / RECORDS_DIR).glob("*.json"))
    if previous and previous.get("fingerprint") == corpus_fingerprint(
            [theme_source(read_record(path), passages=False) for path in paths], taxonomy, ThemeParameters()):
        return previous  # no text, taxonomy or code changed since the map was made
    sources, before = [], {}
    for path in paths:
        record = read_record(path)
        sources.append(theme_source(record))
        before[record.doc_id] = record.themes
    themed = theme_corpus(sources, taxonomy, previous_discovered(previous))
    for path, source in zip(paths, sources):
        if themed.themes[source.doc_id] != before[source.doc_id]:
            with record_lock(out_dir):  # the review app may have rewritten the record since it was read
                write_record(read_record(path).model_copy(update={"themes": themed.themes[source.doc_id]}), out_dir)
    write_atomically(map_path, json.dumps(themed.theme_map, ensure_ascii=False, indent=1) + "\n")
    return themed.theme_map
