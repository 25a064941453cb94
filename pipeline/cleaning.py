"""Text clean-up: small pure functions that undo what PDF and Markdown conversion do to prose.

Each takes and returns plain text, so each can be tested on a real line from the
corpus. `clean_pages` composes them in the order the artefacts were made.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter

from bs4 import BeautifulSoup
from pylatexenc.latex2text import LatexNodes2Text

CJK = r"\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
CJK_CHAR = re.compile(f"[{CJK}]")
# Chinese punctuation that ends a sentence, and that ends a clause or a line of a heading.
ZH_TERMINAL = "。！？；…"
EN_TERMINAL = ".!?;:"

# Full-width forms whose ASCII twin means the same thing in both languages. The
# Chinese punctuation marks ，：；！？（） are kept: they carry the sentence structure.
_KEEP_FULLWIDTH = set("，：；！？（）")
_FULLWIDTH_TO_ASCII = {
    cp: cp - 0xFEE0 for cp in range(0xFF01, 0xFF5F) if chr(cp) not in _KEEP_FULLWIDTH
}
_SPACES = {cp: " " for cp in (0x00A0, 0x2002, 0x2003, 0x2009, 0x202F, 0x3000)}
_INVISIBLE = {cp: None for cp in (0x00AD, 0x200B, 0x200C, 0x200D, 0x2060, 0xFEFF)}
_LIGATURES = {cp: unicodedata.normalize("NFKC", chr(cp)) for cp in range(0xFB00, 0xFB07)}
_TRANSLATION = {**_FULLWIDTH_TO_ASCII, **_SPACES, **_INVISIBLE, **_LIGATURES}
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f]")


def normalise_unicode(text: str) -> str:
    """NFC plus the few compatibility mappings that help matching, not NFKC:
    NFKC would turn Chinese commas and brackets into ASCII ones."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = unicodedata.normalize("NFC", text).translate(_TRANSLATION)
    return _CONTROL.sub("", text)


# --- Markdown (MinerU output and hand-written notes) -------------------------------

_LATEX = LatexNodes2Text(math_mode="text", strict_latex_spaces=False)
_CIRCLED = re.compile(r"\\textcircled\s*\{\s*(\d{1,2})\s*\}")
_SUPERSCRIPT = str.maketrans("0123456789+-", "⁰¹²³⁴⁵⁶⁷⁸⁹⁺⁻")
_SUBSCRIPT = str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉")


def _circled(match: re.Match) -> str:
    number = int(match.group(1))
    return chr(0x2460 + number - 1) if 1 <= number <= 20 else match.group(1)


def latex_math_to_text(latex: str) -> str:
    """Inline math as MinerU writes it (`$3 . 1 6 \\%$`, `$\\mathrm { k m } ^ { 2 }$`) to plain text.

    MinerU puts a space between every character, so spaces are dropped; an explicit
    LaTeX space (`~`) survives as one space.
    """
    latex = _CIRCLED.sub(_circled, latex)
    try:
        text = _LATEX.latex_to_text(latex)
    except Exception:  # pylatexenc is lenient, but a malformed formula must not stop a document
        text = latex
    text = text.replace("\xa0", "\x00")
    text = re.sub(r"\s+", "", text).replace("\x00", " ")
    text = re.sub(r"\^\[([\d,\-–]+)\]", r"[\1]", text)  # ^[34]: a citation, not a power
    text = re.sub(r"\^([\d+\-]+)", lambda m: m.group(1).translate(_SUPERSCRIPT), text)
    text = re.sub(r"_(\d+)", lambda m: m.group(1).translate(_SUBSCRIPT), text)
    text = text.replace("^∘", "°").replace("∘", "°").replace("∼", "~")
    return re.sub(r" {2,}", " ", text).strip()


def html_table_to_text(table_html: str) -> str:
    """A table as one line per row, cells separated by ' | ', so each row stays a sentence."""
    soup = BeautifulSoup(table_html, "html.parser")
    rows = []
    for tr in soup.find_all("tr"):
        cells = [" ".join(cell.get_text(" ").split()) for cell in tr.find_all(["td", "th"])]
        if any(cells):
            rows.append(" | ".join(cells))
    return "\n".join(rows)


_MD_IMAGE = re.compile(r"!\[[^\]]*\]\([^)]*\)")
_MD_LINK = re.compile(r"\[([^\]]+)\]\((?:https?://|www\.|/|\.)[^)]*\)")
_MD_TABLE = re.compile(r"<table\b.*?</table>", re.S | re.I)
_MD_DISPLAY_MATH = re.compile(r"\$\$.*?\$\$", re.S)
_MD_INLINE_MATH = re.compile(r"(?<![\\$])\$([^$\n]{1,300}?)\$")
_MD_SUP_MARKER = re.compile(r"<sup>\s*[\d,\s*†‡]+\s*</sup>", re.I)
_MD_TAG = re.compile(r"</?(?:sup|sub|span|br|p|div|em|strong|b|i|u|a)\b[^>]*>", re.I)
_MD_HEADING = re.compile(r"^\s{0,3}#{1,6}\s+", re.M)
_MD_RULE = re.compile(r"^\s{0,3}(?:[-*_]\s*){3,}$", re.M)
_MD_QUOTE = re.compile(r"^\s{0,3}>\s?", re.M)
_MD_BULLET = re.compile(r"^\s{0,3}[-*+]\s+", re.M)
_MD_STRONG = re.compile(r"(\*\*|__)(?=\S)(.+?)(?<=\S)\1")
_MD_EMPHASIS = re.compile(r"(?<![\w*])\*(?=\S)([^*\n]+?)(?<=\S)\*(?![\w*])")
_MD_ESCAPE = re.compile(r"\\([\\`*_{}\[\]()#+\-.!$%&~|<>\"'])")


def markdown_to_text(markdown: str) -> str:
    """Keep the prose of a Markdown file and drop its markup, images and display formulas."""
    text = _MD_IMAGE.sub("", markdown)
    text = _MD_TABLE.sub(lambda m: "\n\n" + html_table_to_text(m.group(0)) + "\n\n", text)
    text = _MD_DISPLAY_MATH.sub("\n\n", text)
    text = _MD_INLINE_MATH.sub(lambda m: latex_math_to_text(m.group(1)), text)
    text = _MD_SUP_MARKER.sub("", text)
    text = _MD_TAG.sub("", text)
    text = _MD_LINK.sub(r"\1", text)
    text = _MD_RULE.sub("", text)
    text = _MD_HEADING.sub("\n", text)  # a heading is a paragraph of its own
    text = _MD_QUOTE.sub("", text)
    text = _MD_BULLET.sub("", text)
    text = _MD_STRONG.sub(r"\2", text)
    text = _MD_EMPHASIS.sub(r"\1", text)
    return _MD_ESCAPE.sub(r"\1", text)


def looks_like_markdown(text: str) -> bool:
    """Plain-text files are often Markdown in disguise (seed 002 is)."""
    head = text[:20000]
    signals = (
        len(re.findall(r"^#{1,6} \S", head, re.M)),
        len(_MD_IMAGE.findall(head)) + len(_MD_LINK.findall(head)),
        len(re.findall(r"\*\*\S", head)),
        len(re.findall(r"<sup>", head)),
    )
    return sum(1 for count in signals if count) >= 2


_HTML_BLOCKS = ["p", "div", "li", "h1", "h2", "h3", "h4", "h5", "h6", "tr", "blockquote",
                "section", "article", "header", "footer", "figcaption", "pre", "dt", "dd", "br", "caption"]


def html_to_text(html: str) -> tuple[str, str | None]:
    """The readable text of an HTML page (one paragraph per block element) and its <title>."""
    soup = BeautifulSoup(html, "html.parser")
    title = soup.title.get_text(" ", strip=True) if soup.title else None
    for hidden in soup(["script", "style", "noscript", "template", "head", "svg"]):
        hidden.decompose()
    for table in soup.find_all("table"):
        table.replace_with(soup.new_string("\n\n" + html_table_to_text(str(table)) + "\n\n"))
    for sup in soup.find_all("sup"):
        if re.fullmatch(r"[\d,\s*†‡\[\]]+", sup.get_text()):
            sup.decompose()
    for element in soup.find_all(_HTML_BLOCKS):
        element.insert_before("\n\n")
        element.insert_after("\n\n")
    text = soup.get_text()
    return re.sub(r"[ \t]*\n[ \t]*", "\n", text), (title or None)


# --- Page furniture: running headers, footers and page numbers -----------------------

_PAGE_NUMBER = re.compile(
    r"^\s*(?:[-–—]\s*)?(?:page\s+)?\d{1,4}(?:\s*(?:/|of)\s*\d{1,4})?(?:\s*[-–—])?\s*$"
    r"|^\s*第\s*\d{1,4}\s*页(?:\s*[/，,]?\s*共\s*\d{1,4}\s*页)?\s*$",
    re.I,
)
_EDGE_LINES = 3


def _furniture_key(line: str) -> str:
    """Headers differ from page to page only in their numbers."""
    return re.sub(r"\d+", "#", " ".join(line.split())).lower()


def remove_page_furniture(pages: list[str]) -> list[str]:
    """Drop lines repeated at the top or bottom of most pages, and bare page numbers there."""
    if len(pages) < 2:
        return pages
    page_lines = [page.split("\n") for page in pages]

    def edges(lines: list[str]) -> list[int]:
        filled = [i for i, line in enumerate(lines) if line.strip()]
        return sorted(set(filled[:_EDGE_LINES] + filled[-_EDGE_LINES:]))

    seen = Counter()
    for lines in page_lines:
        seen.update({_furniture_key(lines[i]) for i in edges(lines)})
    min_pages = max(2, (len(pages) + 1) // 2) if len(pages) >= 3 else 2
    repeated = {key for key, n in seen.items() if n >= min_pages and len(key) >= 4}

    cleaned = []
    for lines in page_lines:
        drop = {
            i for i in edges(lines)
            if _furniture_key(lines[i]) in repeated or _PAGE_NUMBER.match(lines[i])
        }
        cleaned.append("\n".join(line for i, line in enumerate(lines) if i not in drop))
    return cleaned


def split_pseudo_pages(text: str) -> list[str]:
    """Text extracted from a PDF without form feeds still shows page breaks as runs of
    three or more blank lines; form feeds, where present, are authoritative."""
    if "\f" in text:
        return text.split("\f")
    return re.split(r"\n(?:[ \t]*\n){3,}", text)


# --- Lines broken inside sentences and words ------------------------------------

_HYPHEN_SUFFIXES = (
    "ment", "ments", "tion", "tions", "sion", "sions", "ing", "ings", "ed", "ly", "ness", "ity",
    "ities", "ance", "ence", "able", "ible", "al", "ally", "ive", "ous", "er", "ers", "est", "ism",
    "ist", "ize", "ise", "ized", "ised", "ful", "less", "ship", "ure", "age", "ent", "ant", "ial",
    "ian", "ic", "ics", "ies", "es", "s", "ation", "ations", "ated", "ate", "ory", "ary",
)
_BULLET_START = re.compile(r"^\s*(?:[►•●▪■◆◇○·\-–—*]|\(?\d{1,2}[.)、]|[①-⑳]|[（(][一二三四五六七八九十\d]+[)）])\s*")


def _is_cjk(ch: str) -> bool:
    return bool(CJK_CHAR.match(ch)) or ch in "，、“”‘’《》（）：；"


def _dehyphenate(left: str, right: str, vocabulary: set[str]) -> str:
    """'develop-' + 'ment' -> 'development'; 'high-' + 'quality' -> 'high-quality'."""
    head = re.search(r"([A-Za-z]+)-$", left).group(1)
    tail = re.match(r"[a-z]+", right).group(0)
    if (head + tail).lower() in vocabulary or tail in _HYPHEN_SUFFIXES:
        return left[:-1] + right
    return left + right


def join_broken_lines(paragraph: str, vocabulary: set[str] | None = None) -> str:
    """Join lines wrapped inside a sentence; keep breaks that end headings, list items and rows."""
    vocabulary = vocabulary or set()
    lines = [line.strip() for line in paragraph.split("\n") if line.strip()]
    if len(lines) < 2:
        return lines[0] if lines else ""
    widest = max(len(line) for line in lines)
    out = lines[0]
    for prev, line in zip(lines, lines[1:]):
        last, first = prev[-1], line[0]
        wrapped = len(prev) >= 0.6 * widest and len(prev) >= 20
        if _BULLET_START.match(line):
            out += "\n" + line
        elif re.search(r"[A-Za-z]-$", prev) and first.islower():
            out = _dehyphenate(out, line, vocabulary)
        elif _is_cjk(last) and _is_cjk(first):
            out += line if (last not in "。！？" or wrapped) else "\n" + line
        elif _is_cjk(last) != _is_cjk(first) and (_is_cjk(last) or _is_cjk(first)) and wrapped:
            out += line
        elif last not in EN_TERMINAL + ZH_TERMINAL and (first.islower() or (wrapped and first.isalnum())):
            out += " " + line
        elif wrapped and last in ".,!?" and first.isupper() and len(line) >= 0.3 * widest:
            out += " " + line
        else:
            out += "\n" + line
    return out


def join_split_paragraphs(paragraphs: list[str]) -> list[str]:
    """Blank lines inside a sentence ('…parks along' / 'the Belt and Road provides…')."""
    joined: list[str] = []
    for para in paragraphs:
        if joined:
            prev = joined[-1]
            if prev[-1] not in EN_TERMINAL + ZH_TERMINAL + "\"”')" and re.match(r"[a-z]", para) \
                    and re.search(r"[A-Za-z,]$", prev) and "\n" not in prev[-80:]:
                joined[-1] = prev + " " + para
                continue
            if prev[-1] in "，、" and _is_cjk(para[0]):
                joined[-1] = prev + para
                continue
        joined.append(para)
    return joined


_FOOTNOTE_AFTER_WORD = re.compile(r"(?<=[a-z]{3})(?<!km)(?<!\bm)(\d{1,2})(?=[.,;:]?(?:\s|$))")
_FOOTNOTE_AFTER_QUOTE = re.compile(r"([a-z][.,]?[”“\"’])(\d{1,2})(?=[.,;:]?(?:\s|$))")


def strip_footnote_markers(text: str) -> str:
    """'…this year1.' -> '…this year.' Only after lower-case words, where a digit cannot
    belong to the word (unlike 'G20', 'CO2', 'km2' or '5G')."""
    text = _FOOTNOTE_AFTER_WORD.sub("", text)
    return _FOOTNOTE_AFTER_QUOTE.sub(r"\1", text)


def tidy_spaces(paragraph: str, from_pdf: bool = False) -> str:
    paragraph = re.sub(r"[ \t]+", " ", paragraph)
    paragraph = re.sub(r" ?\n ?", "\n", paragraph)
    if from_pdf:  # pdfminer spaces glyphs it cannot place: "185.5 亿", "中 国"
        paragraph = re.sub(f"(?<=[\\d{CJK}]) (?=[{CJK}])", "", paragraph)
        paragraph = re.sub(f"(?<=[{CJK}]) (?=\\d)", "", paragraph)
    return paragraph.strip()


def clean_pages(pages: list[str], from_pdf: bool = False) -> str:
    """Pages of raw text to the normalised text that every offset refers to:
    paragraphs separated by one blank line, lines kept only where they end something."""
    pages = [normalise_unicode(page) for page in pages]
    pages = remove_page_furniture(pages)
    paragraphs = [p for page in pages for p in re.split(r"\n[ \t]*\n", page) if p.strip()]
    words = re.findall(r"[A-Za-z]{4,}", " ".join(paragraphs))
    vocabulary = {word.lower() for word in words}
    paragraphs = [tidy_spaces(join_broken_lines(p, vocabulary), from_pdf) for p in paragraphs]
    paragraphs = join_split_paragraphs([p for p in paragraphs if p])
    return "\n\n".join(strip_footnote_markers(p) for p in paragraphs)
