"""The corpus folder: which documents it holds and what the catalog says about each."""

from __future__ import annotations

import errno
import hashlib
import json
import os
import re
from dataclasses import dataclass
from pathlib import Path

from pydantic import ValidationError

from pipeline.cleaning import LONE_SURROGATES
from pipeline.files import write_atomically
from pipeline.types import CatalogEntry

CATALOG_NAME = "catalog.json"
# Files in the corpus folder that are about the corpus, not part of it.
_NOT_DOCUMENTS = {CATALOG_NAME, "README.md", "NOTICE.md", "LICENSE", "LICENSE.md"}


class CatalogError(ValueError):
    """The catalog file, or the corpus folder itself, is unreadable: the whole run stops, since
    metadata would be wrong (or every record would look removed)."""


@dataclass(frozen=True)
class CorpusDocument:
    """A file to extract, with its catalog entry when it has one."""

    doc_id: str
    path: Path
    relative_path: str
    entry: CatalogEntry | None
    unreadable: str | None = None  # why the file must not be read (out of the corpus ...): its failed record's reason
    warnings: tuple[str, ...] = ()  # about its catalog entry or file name, for its record


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def readable_sha256(path: Path) -> str | None:
    """The file's sha256, or None when it is no file or cannot be read (no permission, a loop)."""
    try:
        return file_sha256(path) if path.is_file() else None
    except OSError:
        return None


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


_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")  # a UTF-8 file gives a lone surrogate only through one


def mend_text(text: str) -> str:
    """`text` with lone surrogates (a JSON "\\ud800" escape, a file name that is not UTF-8)
    replaced by U+FFFD: they cannot be written as UTF-8, so a record holding one could not be written."""
    return text.translate(LONE_SURROGATES)


def _mended_value(value):
    if isinstance(value, str):
        return mend_text(value)
    if isinstance(value, list):
        return [_mended_value(item) for item in value]
    return value


def read_catalog(corpus_dir: Path) -> tuple[list[CatalogEntry], dict[str, list[str]]]:
    """The catalog's entries, and by doc_id warnings about what had to be mended in them."""
    path = corpus_dir / CATALOG_NAME
    if not path.exists():
        return [], {}
    entries, warnings = [], {}
    try:
        text = path.read_text(encoding="utf-8")
        raw, escapes = json.loads(text), _SURROGATE_ESCAPE.search(text)
        for item in raw:
            mended = [field for field, value in item.items() if _mended_value(value) != value] \
                if escapes and isinstance(item, dict) else []
            if mended:
                item = {field: _mended_value(value) for field, value in item.items()}
            entry = CatalogEntry.model_validate(item)
            entries.append(entry)
            if mended:
                warnings[entry.doc_id] = [f"catalog: invalid characters (lone surrogates) in {', '.join(mended)} "
                                          "replaced by U+FFFD"]
    except (json.JSONDecodeError, UnicodeDecodeError, ValidationError, TypeError) as err:
        raise CatalogError(f"{path}: {err}") from err
    seen: set[str] = set()
    for entry in entries:
        if entry.doc_id in seen:
            raise CatalogError(f"{path}: doc_id {entry.doc_id!r} appears twice")
        seen.add(entry.doc_id)
    return entries, warnings


def load_catalog(corpus_dir: Path) -> list[CatalogEntry]:
    return read_catalog(corpus_dir)[0]


def write_catalog(corpus_dir: Path, entries: list[CatalogEntry]) -> None:
    """Atomically: a crash while `parks add` writes it must not leave a catalog that stops every run."""
    ordered = sorted(entries, key=lambda e: e.doc_id)
    payload = [{k: v for k, v in e.model_dump(exclude_none=True).items() if v != [] or k in ("authors", "languages")}
               for e in ordered]
    write_atomically(Path(corpus_dir) / CATALOG_NAME, json.dumps(payload, ensure_ascii=False, indent=2) + "\n")


def _inside(path: str, root: str) -> bool:
    return os.path.commonpath([path, root]) == root


def _link_problem(link: Path, relative: str, root: str) -> str | None:
    """Why a symlink in the corpus must not be followed; None for a link to a file inside the corpus."""
    try:
        link.stat()
    except OSError as err:
        if err.errno == errno.ELOOP:
            return f"symlink loop: {relative}"
        return f"broken symlink: {relative}"
    target = os.path.realpath(link)
    if not _inside(target, root):
        return f"symlink {relative!r} points outside the corpus folder"
    if link.is_dir() and _inside(os.path.realpath(link.parent), target):
        return f"symlink loop: {relative}"
    return None


def _corpus_files(corpus_dir: Path) -> list[tuple[Path, str | None]]:
    """Every file below the corpus folder (hidden ones aside) with why it must not be read (None:
    it may), sorted by path. Folders behind symlinks are not walked (a link inside the corpus
    leads to files found anyway), so no link can loop or lead out; FIFOs and devices are no documents."""
    root = os.path.realpath(corpus_dir)
    found, folders = [], [corpus_dir]
    while folders:
        folder = folders.pop()
        try:
            entries = list(os.scandir(folder))
        except OSError as err:
            if folder == corpus_dir:  # nothing can be known of the corpus: no run may start on it
                raise CatalogError(f"{corpus_dir}: cannot list the corpus folder ({err.strerror or err})") from None
            relative = folder.relative_to(corpus_dir).as_posix()
            found.append((folder, f"{(err.strerror or str(err)).lower()}: {relative}/ (folder not read)"))
            continue
        for entry in entries:
            path = Path(entry.path)
            if entry.name.startswith("."):
                continue
            if entry.is_symlink():
                problem = _link_problem(path, path.relative_to(corpus_dir).as_posix(), root)
                if problem or path.is_file():
                    found.append((path, problem))
            elif entry.is_dir(follow_symlinks=False):
                folders.append(path)
            elif entry.is_file(follow_symlinks=False):
                found.append((path, None))
    return sorted(found)


def _catalog_path_problem(entry: CatalogEntry, corpus_dir: Path) -> str | None:
    """Why a catalog path not found in the corpus must not be read: it is no path, or it leads out
    of the folder."""
    if "\x00" in entry.path:
        return f"catalog path {entry.path!r} is not a valid path (it holds a NUL character)"
    if Path(entry.path).is_absolute() or not _inside(os.path.realpath(corpus_dir / entry.path),
                                                       os.path.realpath(corpus_dir)):
        return f"catalog path {entry.path!r} is outside the corpus folder"
    return None


def discover_documents(corpus_dir: Path) -> list[CorpusDocument]:
    """Every file below the corpus folder, catalogued or not, sorted by doc_id.

    Files of unsupported formats are included: they get a failed record saying so,
    rather than disappearing silently. So do paths that must not be read: a catalog path or
    a symlink leading out of the corpus folder, a symlink loop, a folder that cannot be listed.
    """
    corpus_dir = Path(corpus_dir)
    entries, catalog_warnings = read_catalog(corpus_dir)
    by_path = {entry.path: entry for entry in entries}
    documents, used_ids = [], {entry.doc_id for entry in by_path.values()}
    for path, problem in _corpus_files(corpus_dir):
        relative = path.relative_to(corpus_dir).as_posix()
        if relative in _NOT_DOCUMENTS:
            continue
        warnings = ()
        if mend_text(relative) != relative:
            relative = mend_text(relative)
            warnings = ("file name is not UTF-8: shown with U+FFFD for the bytes that are not",)
        entry = by_path.pop(relative, None)
        if entry is not None:
            doc_id = entry.doc_id
            warnings += tuple(catalog_warnings.get(doc_id, ()))
        else:
            doc_id = base_id = doc_id_for(relative)
            suffix = path.suffix.lstrip(".").lower() or "file"
            for n in range(1, len(used_ids) + 2):  # 'paper.pdf' beside 'paper.md', or in another folder
                if doc_id not in used_ids:
                    break
                doc_id = f"{base_id}-{suffix}" if n == 1 else f"{base_id}-{suffix}{n}"
            used_ids.add(doc_id)
        documents.append(CorpusDocument(doc_id, path, relative, entry, problem, warnings))
    # A catalogued file that is gone still gets a (failed) record, so its absence is seen.
    documents += [CorpusDocument(e.doc_id, corpus_dir / e.path, e.path, e, _catalog_path_problem(e, corpus_dir),
                                 tuple(catalog_warnings.get(e.doc_id, ()))) for e in by_path.values()]
    return sorted(documents, key=lambda d: d.doc_id)
