"""Adding papers: files copied into the corpus with a catalog entry, duplicates refused or flagged.

An exact duplicate (same sha256) is refused, naming the document already there. A likely
duplicate (same DOI, or a near-identical title) is added with a warning; a paper whose English
title matches the English title of a catalogued Chinese paper (or the reverse) is linked to it
as a translation. Metadata comes from the options given, else from the file itself (flagged as
guessed).
"""

from __future__ import annotations

import difflib
import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path

from pipeline.corpus import discover_documents, doc_id_for, file_sha256, load_catalog, readable_sha256, write_catalog
from pipeline.errors import ParksError
from pipeline.ingest import FORMATS, ingest_file
from pipeline.limits import DEFAULT_LIMITS, DocumentLimits, time_budget
from pipeline.records import guess_metadata
from pipeline.segment import detect_language
from pipeline.types import CatalogEntry

ADDED_FOLDER = "added"
TITLE_SIMILARITY = 0.9


@dataclass
class AddOutcome:
    source: Path
    doc_id: str | None = None  # None: not added
    refused: str | None = None
    warnings: list[str] = field(default_factory=list)
    guessed: list[str] = field(default_factory=list)


def expand(paths: list[Path]) -> list[Path]:
    """Files as given, and every supported file below a folder."""
    files = []
    for path in paths:
        if path.is_dir():
            files += sorted(p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in FORMATS)
        else:
            files.append(path)
    return files


def _title_key(title: str | None) -> str:
    return re.sub(r"[\W_]+", "", (title or "").lower())


def add_documents(paths: list[Path], corpus_dir: Path, title: str | None = None, year: int | None = None,
                  authors: list[str] | None = None, lang: str | None = None,
                  limits: DocumentLimits = DEFAULT_LIMITS) -> list[AddOutcome]:
    """Copy the files into `corpus_dir/added/` and catalog them; the catalog is written once, at the end.
    A file over `limits` (size, time to read it) or one that cannot be read is refused with the reason."""
    corpus_dir = Path(corpus_dir)
    catalog = load_catalog(corpus_dir)
    documents = discover_documents(corpus_dir)
    known_sha = {sha: d.doc_id for d in documents if not d.unreadable and (sha := readable_sha256(d.path))}
    used_ids = {e.doc_id for e in catalog} | {d.doc_id for d in documents}
    outcomes = []
    for source in expand(paths):
        outcome = AddOutcome(source)
        outcomes.append(outcome)
        if not source.is_file():
            outcome.refused = "no such file"
            continue
        if source.suffix.lower() not in FORMATS:
            outcome.refused = f"unsupported format {source.suffix or '(none)'!r}: expected one of {', '.join(sorted(FORMATS))}"
            continue
        try:
            sha = file_sha256(source)
        except OSError as err:
            outcome.refused = f"cannot be read: {err.strerror or err}"
            continue
        if sha in known_sha:
            outcome.refused = f"already in the corpus as {known_sha[sha]} (same sha256)"
            continue
        try:
            with time_budget(limits.seconds, "reading it"):
                ingested = ingest_file(source, limits)
        except ParksError as err:
            outcome.refused = f"cannot be read: {err}"
            continue
        guessed = guess_metadata(ingested.text, ingested)
        fields = {k: v for k, v in guessed.model_dump().items() if k in ("title", "title_zh", "authors", "year", "doi")
                  and v}
        outcome.guessed = [f for f in guessed.guessed if f in fields]
        if title:
            fields["title_zh" if detect_language(title) == "zh" else "title"] = title
            outcome.guessed = [f for f in outcome.guessed if f not in ("title", "title_zh")]
        if year:
            fields["year"] = year
            outcome.guessed = [f for f in outcome.guessed if f != "year"]
        if authors:
            fields["authors"] = authors
            outcome.guessed = [f for f in outcome.guessed if f != "authors"]
        languages = [lang] if lang else sorted({detect_language(ingested.text[:20000]) or "en"})
        translations = []
        for entry in catalog:
            if fields.get("doi") and entry.doi and fields["doi"].lower() == entry.doi.lower():
                outcome.warnings.append(f"same DOI as {entry.doc_id}: likely a duplicate")
            for mine, theirs in ((fields.get("title"), entry.title), (fields.get("title_zh"), entry.title_zh)):
                similar = mine and theirs and difflib.SequenceMatcher(
                    None, _title_key(mine), _title_key(theirs)).ratio() >= TITLE_SIMILARITY
                if not similar:
                    continue
                if set(languages) != set(entry.languages or languages):
                    translations.append(entry.doc_id)
                    outcome.warnings.append(f"linked as a translation of {entry.doc_id}")
                else:
                    outcome.warnings.append(f"title nearly identical to {entry.doc_id}: likely a duplicate")
        relative = f"{ADDED_FOLDER}/{source.name}"
        n = 1
        while (corpus_dir / relative).exists():
            n += 1
            relative = f"{ADDED_FOLDER}/{source.stem}-{n}{source.suffix}"
        doc_id = base = doc_id_for(relative)
        while doc_id in used_ids:
            n += 1
            doc_id = f"{base}-{n}"
        (corpus_dir / relative).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source, corpus_dir / relative)
        entry = CatalogEntry(doc_id=doc_id, path=relative, sha256=sha, languages=languages,
                             translations=sorted(set(translations)), guessed=sorted(outcome.guessed), **fields)
        for other in catalog:
            if other.doc_id in translations:
                other.translations = sorted({*other.translations, doc_id})
        catalog.append(entry)
        known_sha[sha] = doc_id
        used_ids.add(doc_id)
        outcome.doc_id = doc_id
    write_catalog(corpus_dir, catalog)
    return outcomes
