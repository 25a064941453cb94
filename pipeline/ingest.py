"""Ingest: any supported file to clean text, or a specific `IngestError` saying why not."""

from __future__ import annotations

import codecs
import hashlib
import logging
import re
import struct
import zlib
from dataclasses import dataclass, field, replace
from pathlib import Path

import chardet
from pdfminer.high_level import extract_pages
from pdfminer.layout import LAParams, LTFigure, LTImage, LTText, LTTextContainer
from pdfminer.pdfdocument import PDFDocument, PDFPasswordIncorrect
from pdfminer.pdfparser import PDFParser
from pdfminer.psexceptions import PSException
from pdfminer.utils import decode_text

from pipeline import cleaning
from pipeline.errors import (CorruptPDF, EmptyDocument, EncryptedPDF, MissingFile, NeedsOCR, NotText,
                             UnsupportedFormat)
from pipeline.limits import DEFAULT_LIMITS, DocumentLimits

FORMATS = {".txt": "txt", ".text": "txt", ".md": "md", ".markdown": "md",
           ".html": "html", ".htm": "html", ".pdf": "pdf"}

# Line margin and box flow suited to one- and two-column papers: boxes are ordered
# column by column; vertical CJK text is recognised.
PDF_LAYOUT = LAParams(line_margin=0.5, char_margin=2.0, boxes_flow=0.5, detect_vertical=True)


@dataclass(frozen=True)
class IngestedText:
    """What ingest knows about a file: its clean text, and hints for the metadata."""

    text: str
    format: str
    sha256: str = ""  # of the bytes read, so the record cites exactly what was extracted
    title_hint: str | None = None
    authors_hint: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def detect_format(path: Path) -> str:
    fmt = FORMATS.get(path.suffix.lower())
    if fmt is None:
        supported = ", ".join(sorted(FORMATS))
        raise UnsupportedFormat(f"unsupported format {path.suffix or '(no extension)'!r}: expected one of {supported}")
    return fmt


def ingest_file(path: str | Path, limits: DocumentLimits = DEFAULT_LIMITS) -> IngestedText:
    """Read one document. Raises an `IngestError` whose message is the reason shown to users
    (`TooLarge` for a file, or the text it gives, over `limits`: the size of a file is known
    before it is read), or the `OSError` of a file that cannot be read."""
    path = Path(path)
    fmt = detect_format(path)
    if not path.is_file():
        raise MissingFile(f"file not found: {path}")
    limits.check_size(path.stat().st_size)
    with path.open("rb") as handle:
        data = handle.read(limits.max_bytes + 1 if limits.max_bytes else -1)
    limits.check_size(len(data))  # grown since it was measured: not read further
    if not data.strip():
        raise EmptyDocument("empty file")
    ingested = _ingest_bytes(path, fmt, data)
    limits.check_text(ingested.text)
    return replace(ingested, sha256=hashlib.sha256(data).hexdigest())


def _ingest_bytes(path: Path, fmt: str, data: bytes) -> IngestedText:
    if fmt == "pdf":
        return _ingest_pdf(path, data)
    decoded = decode_text_bytes(data)
    text = decoded.text
    if fmt == "html":
        body, title = cleaning.html_to_text(text)
        return _cleaned(body, fmt, title_hint=title, warnings=decoded.warnings)
    if fmt == "md" or cleaning.looks_like_markdown(text):
        text = cleaning.markdown_to_text(text)
    return _cleaned(text, fmt, warnings=decoded.warnings)


def _cleaned(raw: str, fmt: str, **hints) -> IngestedText:
    text = cleaning.clean_pages(cleaning.split_pseudo_pages(raw))
    if not text.strip():
        raise EmptyDocument("no text after removing markup")
    return IngestedText(text=text, format=fmt, **hints)


# --- text encodings --------------------------------------------------------------

_BOMS = ((b"\xef\xbb\xbf", "utf-8-sig"), (b"\xff\xfe", "utf-16"), (b"\xfe\xff", "utf-16"))


@dataclass(frozen=True)
class DecodedText:
    """A text file's characters, and a warning when its encoding is a guess its detector calls weak."""

    text: str
    warnings: list[str] = field(default_factory=list)


def decode_text_bytes(data: bytes) -> DecodedText:
    """Bytes of a text file to str: BOM first, then strict UTF-8, then UTF-16 by its zero bytes, then chardet.

    chardet weighs every legacy encoding's byte and character frequencies, so Big5, Shift-JIS and
    EUC-KR are not read as GB18030 (which decodes almost any byte pair) nor Latin-1 as cp1250. Its
    guess is weak when its confidence is at most `chardet.MINIMUM_THRESHOLD` (0.2, below which
    `detect_all` drops candidates): short texts mostly, whose few bytes fit several encodings."""
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            return DecodedText(_checked_text(data.decode(encoding)))
    try:
        return DecodedText(_checked_text(data.decode("utf-8")))
    except UnicodeDecodeError:
        pass
    if _looks_like_utf16(data):
        encoding = "utf-16-le" if data[1::2].count(0) > data[0::2].count(0) else "utf-16-be"
        return DecodedText(_checked_text(data.decode(encoding)))
    mostly_utf8 = data.decode("utf-8", errors="replace")
    bad = mostly_utf8.count("\ufffd")
    if len(mostly_utf8) - len(mostly_utf8.encode("ascii", "ignore")) >= 20 * bad:
        # UTF-8 with a few stray bytes (a cut or a bad copy), not a legacy encoding, whose letters
        # are almost never valid UTF-8 sequences
        return DecodedText(_checked_text(mostly_utf8), [f"encoding: UTF-8 with {bad} invalid byte sequences, "
                                                        "shown as U+FFFD"])
    guess = chardet.detect(_non_ascii_lines(data), prefer_superset=True)
    if guess["encoding"] is None:
        raise NotText("binary content, not text (no text encoding fits)")
    encoding = codecs.lookup(guess["encoding"]).name
    text = _checked_text(data.decode(encoding, errors="replace"))
    warnings = [] if guess["confidence"] > chardet.MINIMUM_THRESHOLD else [
        f"encoding: guessed {encoding} (not UTF-8; check the text)"]
    undecodable = text.count("\ufffd")
    if undecodable:
        warnings.append(f"encoding: {undecodable} byte sequences not {encoding}, shown as U+FFFD")
    return DecodedText(text, warnings)


def _non_ascii_lines(data: bytes, most: int = 200_000) -> bytes:
    """What chardet should weigh: the lines with non-ASCII bytes (it reads only its first 200 kB,
    so an English preface would otherwise decide the encoding of the Chinese after it)."""
    lines = [line for line in data.split(b"\n") if not line.isascii()]
    return b"\n".join(lines)[:most]


def _looks_like_utf16(data: bytes) -> bool:
    sample = data[:4000]
    if len(sample) < 4 or len(sample) % 2:
        return False
    zeros_even, zeros_odd = sample[0::2].count(0), sample[1::2].count(0)
    half = len(sample) // 2
    return max(zeros_even, zeros_odd) > 0.3 * half and min(zeros_even, zeros_odd) < 0.05 * half


def _checked_text(text: str) -> str:
    """Decoding succeeded, but is it text? Control characters and NULs say it is not."""
    sample = text[:20000]
    junk = sum(1 for ch in sample if (ord(ch) < 32 and ch not in "\n\r\t\f") or ch == "\ufffd")
    if sample and junk > 0.01 * len(sample):
        raise NotText(f"binary content, not text ({junk} control or undecodable characters in the first {len(sample)})")
    return text


# --- PDF -------------------------------------------------------------------------

class _WarningCollector(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        text = record.getMessage()
        if "should not allow text extraction" in text:
            text = "marked as not allowing text extraction; extracted anyway"
        message = "pdf: " + re.sub(r"\s*<_io\.\w+ name=[^>]*>", "", text)
        if message not in self.messages:
            self.messages.append(message)


# What a damaged PDF makes pdfminer raise besides its own exceptions.
_PDF_DAMAGE = (PSException, ValueError, KeyError, TypeError, IndexError, AssertionError,
               RecursionError, struct.error, zlib.error)


def _ingest_pdf(path: Path, data: bytes) -> IngestedText:
    if not data.lstrip().startswith(b"%PDF"):
        raise CorruptPDF("corrupt PDF: no %PDF header")
    collector = _WarningCollector()
    pdf_logger = logging.getLogger("pdfminer")
    pdf_logger.addHandler(collector)
    try:
        title, authors = _pdf_info(path)
        pages, image_pages = [], 0
        for page in extract_pages(path, password="", laparams=PDF_LAYOUT):
            boxes = [_layout_text(el) for el in page]
            pages.append("\n\n".join(box.strip("\n") for box in boxes if box.strip()))
            image_pages += any(isinstance(el, (LTImage, LTFigure)) for el in page)
    except PDFPasswordIncorrect:
        raise EncryptedPDF("encrypted: needs a password") from None
    except _PDF_DAMAGE as err:
        detail = str(err) or type(err).__name__
        raise CorruptPDF(f"corrupt PDF: {detail}") from None
    finally:
        pdf_logger.removeHandler(collector)
    if not pages:
        raise CorruptPDF("corrupt PDF: no pages")
    if not any(page.strip() for page in pages):
        if image_pages:
            raise NeedsOCR(f"needs OCR: no text layer ({image_pages} of {len(pages)} pages are images)")
        raise EmptyDocument(f"PDF has no text ({len(pages)} blank pages)")
    text = cleaning.clean_pages(pages)
    return IngestedText(text=text, format="pdf", title_hint=title, authors_hint=authors,
                        warnings=collector.messages)


def _layout_text(element) -> str:
    """Text of a layout element; text inside figures (form XObjects) counts too."""
    if isinstance(element, LTTextContainer):
        return element.get_text()
    if isinstance(element, LTFigure):
        return "".join(_layout_text(child) if isinstance(child, LTFigure) else child.get_text()
                       for child in element if isinstance(child, (LTFigure, LTText)))
    return ""


_PLACEHOLDER_INFO = {"", "untitled", "anonymous", "unknown", "author", "title", "microsoft word"}


def _pdf_info(path: Path) -> tuple[str | None, list[str]]:
    """Title and authors from the PDF's document information, when it has any."""
    with path.open("rb") as handle:
        document = PDFDocument(PDFParser(handle), password="")
        info = document.info[0] if document.info else {}

    def field_text(key: str) -> str | None:
        value = info.get(key)
        if isinstance(value, bytes):
            value = decode_text(value)
        value = " ".join(value.split()) if isinstance(value, str) else ""
        return value if value.lower() not in _PLACEHOLDER_INFO else None  # what PDF producers write for "none"

    author = field_text("Author")
    authors = [a.strip() for a in re.split(r"[;,，、]| and ", author) if a.strip()] if author else []
    return field_text("Title"), authors
