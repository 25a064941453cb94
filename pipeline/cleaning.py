"""Text clean-up: small pure functions that undo what PDF and Markdown conversion do to prose.

Each takes and returns plain text, so each can be tested on a real line from the
corpus. `clean_pages` composes them in the order the artefacts were made.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from functools import lru_cache

from bs4 import BeautifulSoup
from pylatexenc.latex2text import LatexNodes2Text
from pylatexenc.latexwalker import LatexWalker, get_default_latex_context_db

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
# A lone surrogate (half of a UTF-16 pair, from a lenient decoder or a caller's str) cannot be
# written as UTF-8: each becomes one U+FFFD, so the text keeps its length.
LONE_SURROGATES = dict.fromkeys(range(0xD800, 0xE000), 0xFFFD)  # for `str.translate`
_TRANSLATION = {**_FULLWIDTH_TO_ASCII, **_SPACES, **_INVISIBLE, **_LIGATURES, **LONE_SURROGATES}
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f]")


def normalise_unicode(text: str) -> str:
    """NFC plus the few compatibility mappings that help matching, not NFKC:
    NFKC would turn Chinese commas and brackets into ASCII ones. The first step of
    `clean_pages`, which every text passes through, so lone surrogates end here."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = unicodedata.normalize("NFC", text).translate(_TRANSLATION)
    return _CONTROL.sub("", text)


# --- Markdown (MinerU output and hand-written notes) -------------------------------

_LATEX = LatexNodes2Text(math_mode="text", strict_latex_spaces=False)
# pylatexenc builds its table of known macros anew for every formula unless given one: build it once.
_LATEX_CONTEXT = get_default_latex_context_db()
_CIRCLED = re.compile(r"\\textcircled\s*\{\s*(\d{1,2})\s*\}")
_SUPERSCRIPT = str.maketrans("0123456789+-", "⁰¹²³⁴⁵⁶⁷⁸⁹⁺⁻")
_SUBSCRIPT = str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉")


def _circled(match: re.Match) -> str:
    number = int(match.group(1))
    return chr(0x2460 + number - 1) if 1 <= number <= 20 else match.group(1)


@lru_cache(maxsize=16384)
def latex_math_to_text(latex: str) -> str:
    """Inline math as MinerU writes it (`$3 . 1 6 \\%$`, `$\\mathrm { k m } ^ { 2 }$`) to plain text.

    MinerU puts a space between every character, so spaces are dropped; an explicit
    LaTeX space (`~`) survives as one space. Papers repeat their formulas (`$\\%$`, units):
    each is converted once.
    """
    latex = _CIRCLED.sub(_circled, latex)
    try:
        text = _LATEX.nodelist_to_text(LatexWalker(latex, latex_context=_LATEX_CONTEXT).get_latex_nodes()[0])
    except Exception:  # pylatexenc is lenient, but a malformed formula must not stop a document
        text = latex
    text = text.replace("\xa0", "\x00")
    text = re.sub(r"\s+", "", text).replace("\x00", " ")
    text = re.sub(r"\^\[([\d,\-–]+)\]", r"[\1]", text)  # ^[34]: a citation, not a power
    text = re.sub(r"\^([\d+\-]+)", lambda m: m.group(1).translate(_SUPERSCRIPT), text)
    text = re.sub(r"_(\d+)", lambda m: m.group(1).translate(_SUBSCRIPT), text)
    text = text.replace("^∘", "°").replace("∘", "°").replace("∼", "~")
    return re.sub(r" {2,}", " ", text).strip()


TABLE_CELL_SEPARATOR = " | "


def is_table_row(line: str) -> bool:
    """A line `html_table_to_text` wrote: cells joined by ' | ' (a first cell left empty by a
    row span leaves the line starting with '|' once the line is stripped)."""
    return TABLE_CELL_SEPARATOR in line or line.startswith("| ")


def table_row_cells(line: str) -> list[tuple[int, str]]:
    """The cells of a table row line, each with its offset in the line."""
    cells, position = [], 0
    for piece in line.split("|"):
        content = piece.strip()
        cells.append((position + len(piece) - len(piece.lstrip()), content))
        position += len(piece) + 1
    return cells


def html_table_to_text(table_html: str) -> str:
    """A table as one line per row, cells separated by ' | ', so each row stays a sentence.

    Cells spanning rows or columns leave empty cells where they reach, so every row's i-th
    cell stands under the header's i-th: the header's unit then applies to the right numbers."""
    soup = BeautifulSoup(table_html, "html.parser")
    table_rows = soup.find_all("tr")
    grid: list[dict[int, str]] = [{} for _ in table_rows]
    for r, tr in enumerate(table_rows):
        c = 0
        for cell in tr.find_all(["td", "th"]):
            while c in grid[r]:
                c += 1
            columns_spanned = _span(cell, "colspan")
            for row in grid[r:r + _span(cell, "rowspan")]:
                row.update(dict.fromkeys(range(c, c + columns_spanned), ""))
            grid[r][c] = " ".join(cell.get_text(" ").split())
            c += columns_spanned
    lines = []
    for row in grid:
        cells = [row.get(c, "") for c in range(max(row, default=-1) + 1)]
        while cells and not cells[-1]:
            cells.pop()
        if any(cells):
            lines.append(TABLE_CELL_SEPARATOR.join(cells))
    return "\n".join(lines)


def _span(cell, attribute: str) -> int:
    try:
        return max(1, min(int(cell.get(attribute, 1)), 100))
    except ValueError:
        return 1


_MD_IMAGE = re.compile(r"!\[[^\]]*\]\([^)]*\)")
_MD_LINK = re.compile(r"\[([^\]]+)\]\((?:https?://|www\.|/|\.)[^)]*\)")
_MD_TABLE = re.compile(r"<table\b.*?</table>", re.S | re.I)
_MD_DISPLAY_MATH = re.compile(r"\$\$.*?\$\$", re.S)
_MD_INLINE_MATH = re.compile(r"(?<![\\$])\$([^$\n]{1,300}?)\$")
_MD_SUP_MARKER = re.compile(r"<sup>\s*[\d,\s*†‡]+\s*</sup>", re.I)
_UNIT_POWER = re.compile(r"\b(km|cm|mm|m|ft|mi)<sup>\s*([23])\s*</sup>", re.I)  # km², not footnote 2
# Raw HTML that PDF-to-Markdown converters leave: elements by name (so `p<0.05` and `<lift<9` stay),
# attributes quoted or not; the text between the tags is kept.
_HTML_ELEMENTS = ("a|abbr|article|aside|b|big|blockquote|body|br|caption|center|cite|code|col|colgroup|dd|del|div|dl|"
                  "dt|em|figcaption|figure|font|footer|h[1-6]|head|header|hr|html|i|img|ins|kbd|li|mark|nav|ol|p|"
                  "picture|pre|q|s|section|small|source|span|strike|strong|sub|summary|sup|table|tbody|td|tfoot|th|"
                  "thead|tr|tt|u|ul|wbr")
_MD_TAG = re.compile(rf"</?(?:{_HTML_ELEMENTS})(?=[\s/>])(?:[^<>\"']|\"[^\"]*\"|'[^']*')*>", re.I)
_MD_LINE_BREAK = re.compile(r"<br\s*/?>", re.I)
_MD_COMMENT = re.compile(r"<!--.*?-->", re.S)
_MD_HEADING = re.compile(r"^\s{0,3}#{1,6}\s+", re.M)
_MD_RULE = re.compile(r"^\s{0,3}(?:[-*_]\s*){3,}$", re.M)
_MD_QUOTE = re.compile(r"^\s{0,3}>\s?", re.M)
_MD_BULLET = re.compile(r"^\s{0,3}[-*+]\s+", re.M)
_MD_STRONG = re.compile(r"(\*\*|__)(?=\S)(.+?)(?<=\S)\1")
_MD_EMPHASIS = re.compile(r"(?<![\w*])\*(?=\S)([^*\n]+?)(?<=\S)\*(?![\w*])")
_PARKED = 0xE000
_MD_ESCAPE = re.compile(r"\\([\\`*_{}\[\]()#+\-.!$%&~|<>\"'])")


def markdown_to_text(markdown: str) -> str:
    """Keep the prose of a Markdown file and drop its markup, images (also <img> tags), raw HTML tags and
    display formulas."""
    # Escaped characters ('\\*', '\\$') are parked in the private use area so no rule reads them as markup.
    text = _MD_ESCAPE.sub(lambda m: chr(_PARKED + ord(m.group(1))), markdown)
    text = _MD_IMAGE.sub("", text)
    text = _MD_TABLE.sub(lambda m: "\n\n" + html_table_to_text(m.group(0)) + "\n\n", text)
    text = _MD_DISPLAY_MATH.sub("\n\n", text)
    text = _MD_INLINE_MATH.sub(lambda m: latex_math_to_text(m.group(1)), text)
    text = _UNIT_POWER.sub(lambda m: m.group(1) + m.group(2).translate(_SUPERSCRIPT), text)
    text = _MD_SUP_MARKER.sub("", text)
    text = _MD_COMMENT.sub("", text)
    text = _MD_LINE_BREAK.sub("\n", text)
    text = _MD_TAG.sub("", text)
    text = _MD_LINK.sub(r"\1", text)
    text = _MD_RULE.sub("", text)
    text = _MD_HEADING.sub("\n", text)  # a heading is a paragraph of its own
    text = _MD_QUOTE.sub("", text)
    text = _MD_BULLET.sub("", text)
    text = _MD_STRONG.sub(r"\2", text)
    text = _MD_EMPHASIS.sub(r"\1", text)
    return re.sub("[\ue000-\ue07f]", lambda m: chr(ord(m.group(0)) - _PARKED), text)


def looks_like_markdown(text: str) -> bool:
    """Plain-text files are often Markdown in disguise (seed 002 is)."""
    head = text[:20000]
    signals = (
        len(re.findall(r"^#{1,6} \S", head, re.M)),
        len(_MD_IMAGE.findall(head)) + len(_MD_LINK.findall(head)),
        len(re.findall(r"\*\*\S", head)),
        len(_MD_TAG.findall(head)),
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
        before = sup.previous_sibling if isinstance(sup.previous_sibling, str) else ""
        if re.fullmatch(r"[23]", sup.get_text().strip()) and re.search(r"\b(?:km|cm|mm|m|ft|mi)$", before, re.I):
            sup.replace_with(sup.get_text().strip().translate(_SUPERSCRIPT))
        elif re.fullmatch(r"[\d,\s*†‡\[\]]+", sup.get_text()):
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
    # On most pages (alternating left/right headers reach half), and never fewer than three
    # unless the document has only two pages.
    min_pages = min(len(pages), max(3, (len(pages) + 1) // 2))
    repeated = {key for key, n in seen.items() if n >= min_pages and 4 <= len(key) <= 150}

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

_LIST_START = re.compile(
    r"^\s*(?:[►•●▪■◆◇○·\-–—*]|\(?\d{1,2}[.)、]\s|\[\d{1,3}\]|[①-⑳]|[（(][一二三四五六七八九十\d]+[)）])"
)
_ZH_SENTENCE_END = "。！？"


def _is_cjk(ch: str) -> bool:
    return bool(CJK_CHAR.match(ch)) or ch in "，、“”‘’《》（）：；"


def _dehyphenate(left: str, right: str, vocabulary: set[str]) -> str:
    """'develop-' + 'ment' -> 'development', but 'high-' + 'quality' -> 'high-quality' when the
    document itself writes the compound, or both halves as words and never the joined form."""
    head = re.search(r"([A-Za-z]+)-$", left).group(1).lower()
    tail = re.match(r"[a-z]+", right).group(0)
    compound = f"{head}-{tail}" in vocabulary or (head in vocabulary and tail in vocabulary)
    if compound and head + tail not in vocabulary:
        return left + right
    return left[:-1] + right


def document_vocabulary(text: str) -> set[str]:
    """Lower-cased words and hyphenated compounds, the evidence for de-hyphenation."""
    text = re.sub(r"[A-Za-z]+-[ \t]*\n\s*[a-z]+", " ", text)  # the fragments in question are no evidence
    return {word.lower() for word in re.findall(r"[A-Za-z]+(?:-[A-Za-z]+)*", text)} | {
        part.lower() for part in re.findall(r"[A-Za-z]+", text)}


def join_if_continued(prev: str, line: str, vocabulary: set[str], wrapped: bool, across_blank: bool,
                      line_is_full: bool = False) -> str | None:
    """`prev + line` joined as one sentence when `line` continues it, else None.

    `wrapped`: the last line of `prev` ran to the margin, so its break was the layout's,
    not the author's. `line_is_full`: `line` is no short heading. `across_blank`: a blank
    line separates them, which asks for more proof.
    """
    last, first = prev[-1], line[0]
    if _LIST_START.match(line) or is_table_row(line) or is_table_row(prev.rsplit("\n", 1)[-1]):
        return None  # a table row is a line of its own, even when rows end and start with numbers
    if (first in "，。、；：！？）%" and (_is_cjk(last) or last.isdigit())) or (last.isdigit() and re.match(r"[.,]\d", line)):
        return prev + line  # '增长了3' / '.47倍': a number or a clause cut by the line end
    if re.search(r"[A-Za-z]-$", prev) and re.match(r"[a-z]", line):
        return _dehyphenate(prev, line, vocabulary)
    cjk_last, cjk_first = _is_cjk(last), _is_cjk(first)
    if cjk_last and cjk_first:
        if across_blank:
            joins = wrapped and last not in _ZH_SENTENCE_END + "；："
        else:
            joins = wrapped or last not in _ZH_SENTENCE_END
        return prev + line if joins else None
    if last in ",，" and (across_blank or wrapped):  # nobody ends a paragraph with a comma
        return prev + ("" if last == "，" or _is_cjk(first) and last != "," else " ") + line
    mixed = (cjk_last or cjk_first) and (last.isalnum() or first.isalnum()) and last not in _ZH_SENTENCE_END
    if mixed and wrapped and not across_blank:
        # Chinese sets numbers without spaces ('185.5亿'); ASCII punctuation keeps its space.
        return prev + (" " if last in ".,;:" else "") + line
    if last in EN_TERMINAL + _ZH_SENTENCE_END:
        if not across_blank and wrapped and last in ".!?" and first.isupper():
            return prev + " " + line
        return None
    letter = _first_letter(line)
    if letter.islower():
        return prev + " " + line
    dangling = _DANGLING_WORD.search(prev) is not None  # '…higher than that of' / '2019'
    if not across_blank and letter.isdigit() and re.search(r"\b[a-z]+$", prev):
        return prev + " " + line
    if wrapped and letter.isalnum() and (dangling or not across_blank and line_is_full):
        return prev + " " + line
    return None


_DANGLING_WORD = re.compile(
    r"\b(?:a|an|the|of|and|or|to|in|on|at|by|for|from|with|as|than|that|into|its|their|between|"
    r"such|including|via|per|about|over|under|among|within|is|are|was|were|be|has|have|had),?$"
)


def _first_letter(line: str) -> str:
    """The first character that says how a line starts, past opening quotes and brackets."""
    match = re.match(r"[\"“‘'(\[]*(.)", line)
    return match.group(1) if match else line[0]


def join_broken_lines(paragraph: str, vocabulary: set[str] | None = None) -> str:
    """Join lines wrapped inside a sentence; keep breaks that end headings, list items and rows."""
    vocabulary = vocabulary or set()
    lines = [line.strip() for line in paragraph.split("\n") if line.strip()]
    if not lines:
        return ""
    widest = max(len(line) for line in lines)
    out, prev = lines[0], lines[0]
    for line in lines[1:]:
        wrapped = len(prev) >= 0.6 * widest and len(prev) >= 20
        joined = join_if_continued(out, line, vocabulary, wrapped, across_blank=False,
                                   line_is_full=len(line) >= 0.5 * widest)
        out = joined if joined is not None else out + "\n" + line
        prev = line
    return out


def join_split_paragraphs(paragraphs: list[str], vocabulary: set[str] | None = None) -> list[str]:
    """Blank lines inside a sentence ('…parks along' / 'the Belt and Road provides…')."""
    vocabulary = vocabulary or set()
    joined: list[str] = []
    for para in paragraphs:
        if joined:
            last_line = joined[-1].rsplit("\n", 1)[-1]
            wrapped = len(last_line) >= 30
            merged = join_if_continued(joined[-1], para, vocabulary, wrapped, across_blank=True)
            if merged is not None:
                joined[-1] = merged
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


_CJK_MARKS = "，。、；：！？（）“”《》"
_CJK_OR_MARK = CJK + _CJK_MARKS
# Spaces a converter put between Chinese and a number, or around a Chinese mark. A space
# between two Chinese characters stays: it often separates names ('研究所 中国科学院').
_SPACE_BEFORE_CJK = re.compile(f"(?<=[\\d%]) (?=[{_CJK_OR_MARK}])|(?<=[{CJK}]) (?=[{_CJK_MARKS}])")
_SPACE_BEFORE_NUMBER = re.compile(f"(?<=[{_CJK_OR_MARK}]) (?=[\\d%])")
_SPACE_AFTER_MARK = re.compile(f"(?<=[{_CJK_MARKS}]) (?=\\S)")


def tidy_spaces(paragraph: str) -> str:
    """One space at most, and none between Chinese and numbers: PDF converters space glyphs
    they cannot place ('185.5 亿', '达到了 3.16% ，'), and Chinese sets numbers solid."""
    paragraph = re.sub(r"[ \t]+", " ", paragraph)
    paragraph = re.sub(r" ?\n ?", "\n", paragraph)
    for spacing in (_SPACE_BEFORE_CJK, _SPACE_BEFORE_NUMBER, _SPACE_AFTER_MARK):
        paragraph = spacing.sub("", paragraph)
    return paragraph.strip()


def clean_pages(pages: list[str]) -> str:
    """Pages of raw text to the normalised text that every offset refers to:
    paragraphs separated by one blank line, lines kept only where they end something."""
    pages = [normalise_unicode(page) for page in pages]
    pages = remove_page_furniture(pages)
    paragraphs = [p for page in pages for p in re.split(r"\n[ \t]*\n", page) if p.strip()]
    vocabulary = document_vocabulary("\n".join(paragraphs))
    paragraphs = [tidy_spaces(join_broken_lines(p, vocabulary)) for p in paragraphs]
    paragraphs = join_split_paragraphs([p for p in paragraphs if p], vocabulary)
    return "\n\n".join(strip_footnote_markers(p) for p in paragraphs)
