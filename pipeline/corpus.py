"""The corpus folder: which documents it holds and what the catalog says about each."""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from pathlib import Path

from pydantic import ValidationError

from pipeline.files import write_atomically
from pipeline.types import CatalogEntry

CATALOG_NAME = "catalog.json"
# Files in the corpus folder that are about the corpus, not part of it.
_NOT_DOCUMENTS = {CATALOG_NAME, "README.md", "NOTICE.md", "LICENSE", "LICENSE.md"}


class CatalogError(ValueError):
    """The catalog file itself is unreadable: the whole run stops, since metadata would be wrong."""


@dataclass(frozen=True)
class CorpusDocument:
    """A file to extract, with its catalog entry when it has one."""

    doc_id: str
    path: Path
    relative_path: str
    entry: CatalogEntry | None


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def doc_id_for(relative_path: str) -> str:
    """A stable, file-name-safe id from the file name: 'seeds/002_f3389.txt' -> '002_f3389'.
    Names in other scripts keep a short hash of the path, so '中白工业园.pdf' and
    '西港特区.pdf' stay apart."""
    stem = Path(relative_path).stem
    slug = re.sub(r"[^A-Za-z0-9._-]+", "-", stem).strip("-._")
    if stem.isascii() and slug:
        return slug
    digest = hashlib.sha256(relative_path.encode("utf-8")).hexdigest()[:10]
    return f"{slug}-{digest}" if slug else f"doc-{digest}"


def load_catalog(corpus_dir: Path) -> list[CatalogEntry]:
    path = corpus_dir / CATALOG_NAME
    if not path.exists():
        return []
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
        entries = [CatalogEntry.model_validate(item) for item in raw]
    except (json.JSONDecodeError, ValidationError, TypeError) as err:
        raise CatalogError(f"{path}: {err}") from err
    seen: set[str] = set()
    for entry in entries:
        if entry.doc_id in seen:
            raise CatalogError(f"{path}: doc_id {entry.doc_id!r} appears twice")
        seen.add(entry.doc_id)
    return entries


def write_catalog(corpus_dir: Path, entries: list[CatalogEntry]) -> None:
    """Atomically: a crash while `parks add` writes it must not leave a catalog that stops every run."""
    ordered = sorted(entries, key=lambda e: e.doc_id)
    payload = [{k: v for k, v in e.model_dump(exclude_none=True).items() if v != [] or k in ("authors", "languages")}
               for e in ordered]
    write_atomically(Path(corpus_dir) / CATALOG_NAME, json.dumps(payload, ensure_ascii=False, indent=2) + "\n")


def discover_documents(corpus_dir: Path) -> list[CorpusDocument]:
    """Every file below the corpus folder, catalogued or not, sorted by doc_id.

    Files of unsupported formats are included: they get a failed record saying so,
    rather than disappearing silently.
    """
    corpus_dir = Path(corpus_dir)
    by_path = {entry.path: entry for entry in load_catalog(corpus_dir)}
    documents, used_ids = [], {entry.doc_id for entry in by_path.values()}
    for path in sorted(p for p in corpus_dir.rglob("*") if p.is_file()):
        relative = path.relative_to(corpus_dir).as_posix()
        if relative in _NOT_DOCUMENTS or any(part.startswith(".") for part in Path(relative).parts):
            continue
        entry = by_path.pop(relative, None)
        if entry is not None:
            doc_id = entry.doc_id
        else:
            doc_id = base_id = doc_id_for(relative)
            suffix = path.suffix.lstrip(".").lower() or "file"
            for n in range(1, len(used_ids) + 2):  # 'paper.pdf' beside 'paper.md', or in another folder
                if doc_id not in used_ids:
                    break
                doc_id = f"{base_id}-{suffix}" if n == 1 else f"{base_id}-{suffix}{n}"
            used_ids.add(doc_id)
        documents.append(CorpusDocument(doc_id, path, relative, entry))
    # A catalogued file that is gone still gets a (failed) record, so its absence is seen.
    documents += [CorpusDocument(e.doc_id, corpus_dir / e.path, e.path, e) for e in by_path.values()]
    return sorted(documents, key=lambda d: d.doc_id)
