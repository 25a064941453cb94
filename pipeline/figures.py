"""Figures: money, percentages, percentage points, counts, areas, durations, index scores.

A number becomes a figure only when its meaning is on the page (a currency, %, a unit, a
counted noun); bare numbers (years, references, page numbers, postcodes) never do. Values
are normalised: scale words applied (billion, 亿, 万), Chinese numerals read (cn2an).
"""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Iterator

import cn2an

from pipeline.cleaning import CJK, TABLE_CELL_SEPARATOR
from pipeline.entities import Mention
from pipeline.resources import ARABIC, FigureVocabulary, Resources
from pipeline.segment import SegmentedBlock, Segmenter

_SUPERSCRIPT_DIGITS = str.maketrans("⁰¹²³⁴⁵⁶⁷⁸⁹", "0123456789")
_YEAR_LIKE = re.compile(r"^(?:1[89]\d\d|20\d\d)$")


def parse_number(text: str) -> float | None:
    """'1,082' -> 1082; '3.5' -> 3.5; '一百八十五点五' -> 185.5; '两' -> 2."""
    text = text.strip()
    if re.fullmatch(ARABIC, text):
        return float(text.replace(",", ""))
    try:
        return float(cn2an.cn2an(text, "smart"))
    except (ValueError, KeyError, TypeError):
        return None


def find_figures(block: SegmentedBlock, text: str, resources: Resources, segmenter: Segmenter) -> Iterator[Mention]:
    """Figures in one block's text; offsets relative to the block."""
    vocabulary = resources.figure_vocabulary
    taken: list[tuple[int, int]] = []
    for kind, pattern in vocabulary.patterns:
        for match in pattern.finditer(text):
            if any(s < match.end() and match.start() < e for s, e in taken):
                continue  # an earlier, more specific reading owns these characters
            figures = [_signed(f, text) for f in _read(kind, match, text, block, vocabulary, segmenter)]
            if figures:
                taken.append((match.start(), match.end()))
                yield from figures
    for figure in find_table_figures(text, vocabulary):
        if not any(s < figure.end and figure.start < e for s, e in taken):
            yield replace(figure, lang=block.lang)


def _signed(figure: Mention, text: str) -> Mention:
    """'-2.1%' in a table or after a space is a fall, not a range dash."""
    if figure.unit in ("count", "year", "month", "day") or figure.start == 0 or text[figure.start - 1] not in "-−":
        return figure
    if figure.start >= 2 and not re.match(r"[\s|(:：，,]", text[figure.start - 2]):
        return figure
    return replace(figure, start=figure.start - 1, text=text[figure.start - 1:figure.end], value=-figure.value)


# A table row as the cleaner writes it: cells separated by ' | '.
_CELL_NUMBER = re.compile(r"^\s*(?P<sign>[-−])?(?P<num>\d{1,3}(?:[, ]\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?)\s*$")


_COUNT_HEADER = re.compile(r"(?P<noun>论文|文献|专利|企业|项目|园区|国家|人|机构)?(?:数量|个数|数|量)(?:/(?:篇|个|家|项|人))?$"
                           r"|发文量|number of (?P<noun_en>\w+)", re.I)


def _column_unit(header: str, vocabulary: FigureVocabulary) -> tuple[str, float, str | None] | None:
    """The unit a column header states: '占比/%' -> percent; '贸易额/10⁸USD', '亿美元', 'US$ billion' -> money;
    '发文量', '企业数量' -> a count."""
    d = vocabulary.data
    compact = header.replace(" ", "")
    if re.search(r"[/（(]%|%[)）]?$|\(%\)|percent", compact, re.I):
        return "percent", 1.0, None
    count = _COUNT_HEADER.search(compact)
    if count:
        noun = count.group("noun_en") or d["count_nouns_zh"].get(count.group("noun") or "", "publication")
        return "count", 1.0, vocabulary.singular.singular_noun(noun) or noun
    for word, currency in sorted(d["currency_after"].items(), key=lambda item: -len(item[0])):
        if word in compact or word in header:
            multiplier = 1.0
            power = re.search(r"10(?:\^|)([⁰¹²³⁴⁵⁶⁷⁸⁹\d]+)", compact)
            scale = re.search(vocabulary.scale_zh, compact)
            scale_en = vocabulary.scale_en.search(header)
            if power:
                multiplier = 10 ** int(power.group(1).translate(_SUPERSCRIPT_DIGITS))
            elif scale:
                multiplier = d["scale_zh"][scale.group()]
            elif scale_en:
                multiplier = d["scale_en"][scale_en.group().lower()]
            return currency, multiplier, None
    return None


def find_table_figures(text: str, vocabulary: FigureVocabulary) -> Iterator[Mention]:
    """Numbers in table cells whose column header gives the unit (tables flattened to 'a | b' rows)."""
    lines = text.split("\n")
    offsets = [0]
    for line in lines:
        offsets.append(offsets[-1] + len(line) + 1)
    rows = [(i, line.split(TABLE_CELL_SEPARATOR)) for i, line in enumerate(lines) if TABLE_CELL_SEPARATOR in line]
    if len(rows) < 2:
        return
    header_index, header = rows[0]
    units = {col: _column_unit(cell, vocabulary) for col, cell in enumerate(header)}
    for line_index, cells in rows[1:]:
        position = offsets[line_index]
        for col, cell in enumerate(cells):
            unit = units.get(col)
            match = _CELL_NUMBER.match(cell)
            if unit and match:
                value = float(re.sub("[, ]", "", match.group("num"))) * unit[1]
                start = position + match.start("sign" if match.group("sign") else "num")
                end = position + match.end("num")
                yield Mention(start, end, "figure", text[start:end], "zh", "pattern", 0.7,
                              value=_clean_float(-value if match.group("sign") else value), unit=unit[0],
                              noun=unit[2])
            position += len(cell) + len(TABLE_CELL_SEPARATOR)


def _read(kind: str, match: re.Match, text: str, block: SegmentedBlock, vocabulary: FigureVocabulary,
          segmenter: Segmenter) -> Iterator[Mention]:
    d = vocabulary.data
    groups = match.groupdict()
    if _excluded(match, text, vocabulary):
        return
    numbers = [groups["num"]] + ([groups["num2"]] if groups.get("num2") else [])
    multiplier, unit, noun, end = 1.0, None, None, match.end()
    if groups.get("scale"):
        multiplier = d["scale_en"][groups["scale"].lower()]
    if groups.get("scale_zh"):
        multiplier = d["scale_zh"][groups["scale_zh"]]
    if groups.get("power"):
        multiplier *= 10 ** int(groups["power"].lstrip("^").translate(_SUPERSCRIPT_DIGITS))
    if kind == "money" and groups["num"] == "一" and not groups.get("scale_zh"):
        return  # 一元 / 一美元: 'per yuan' or 'univariate', not an amount
    if kind == "money":
        currencies = d["currency_before"] if match.re.pattern.startswith("(?P<cur>") else d["currency_after"]
        unit = currencies[groups["cur"]]
    elif kind == "pp":
        unit = "pp"
    elif kind == "percent":
        unit = "percent"
        if re.match(r"\s*(?:的)?(?:显著性?)?水平|\s*(?:level|significance)", text[match.end():match.end() + 8]):
            return  # a significance level, not a finding
    elif kind == "area":
        unit = d["area_units"][groups["unit"]]
    elif kind == "duration":
        unit_word = groups["unit"].lower()
        unit = d["duration_en"].get(unit_word) or d["duration_zh"].get(unit_word)
        if _YEAR_LIKE.match(groups["num"]) or (unit_word == "年" and not groups.get("more2")
                                                and not _duration_context(match, text)):
            return
        if unit_word == "年" and re.match(r"\d{1,2}月|\d", text[match.end():match.end() + 3]):
            return  # '16年12月': a date
        if unit == "decade":
            unit, multiplier = "year", 10.0
    elif kind == "count":
        unit = "count"
        counted = _count_noun(match, text, vocabulary, segmenter)
        if counted is None:
            return
        noun, end = counted
        if groups.get("scale_word"):
            multiplier = d["scale_en"][groups["scale_word"].strip().lower()]
    elif kind == "score":
        unit = "score"
    spans = [(match.start(), end)]
    if groups.get("num2"):  # a range: two figures, '80' and '160个项目'
        spans = [(match.start(), match.end("num")), (match.start("num2"), end)]
    for number, (start, stop) in zip(numbers, spans):
        value = _number_value(number, d)
        if value is None or (kind == "count" and value <= 1 and not re.fullmatch(r"\d+", number)):
            continue
        if kind == "count" and "." in number and multiplier == 1.0:
            continue  # '2.1 Current status': a section number; '1.2万家' has its scale
        if kind == "count" and _YEAR_LIKE.match(number) and not groups.get("measure"):
            continue  # '2013 reports' is ambiguous; '2000例' is a count
        yield Mention(start, stop, "figure", text[start:stop], block.lang, "pattern", 0.8,
                      value=_clean_float(value * multiplier), unit=unit, noun=noun)


def _number_value(number: str, d: dict) -> float | None:
    word = d["number_words_en"].get(number.lower())
    if number.lower() in d["number_words_en"]:
        return float(word) if word is not None else None
    return parse_number(number)


def _clean_float(value: float) -> float:
    """17.0 * 1e8 is 1700000000.0000002 in binary; records want 1700000000."""
    return float(f"{value:.12g}")


def _excluded(match: re.Match, text: str, vocabulary: FigureVocabulary) -> bool:
    """Numbers that are labels, ranks or parts of names, whatever follows them."""
    d = vocabulary.data
    before = text[max(0, match.start() - 12):match.start()]
    if vocabulary.not_figure_before_en.search(before):
        return True
    if before.endswith(tuple(d["not_figure_before_zh"])):
        return True
    if before.endswith(("数", "几", "上")) and match.group()[0] in "十百千万亿":
        return True  # 数十亿, 几百, 上万: vague amounts
    if re.search(r"[A-Za-z_.]$", before) and re.match(r"\d", match.group()):
        return True  # 'G20', 'COVID-19', 'v2.5': a number glued to a word is part of it
    return False


_DURATION_BEFORE = ("近", "多", "过去", "长达", "连续", "历经", "了", "经过", "最近", "未来", "这", "约", "为期", "期限", "每", "为", "用", "需")
_DURATION_AFTER = ("来", "间", "内", "以来", "多", "左右", "的时间", "之久", "后", "以上", "中", "期", "里")


def _duration_context(match: re.Match, text: str) -> bool:
    """'近40年来', '工期为3年' are durations; '17年' alone may be a year written short."""
    before, after = text[:match.start()], text[match.end():]
    number = parse_number(match.group("num")) or 0
    return before.endswith(_DURATION_BEFORE) or after.startswith(_DURATION_AFTER) or match.group().endswith("周年") \
        or (number <= 10 and not after.startswith(("级", "代")))


_FUNCTION_WORDS = {"of", "in", "to", "for", "from", "with", "by", "at", "on", "as", "than", "that", "which", "is",
                   "are", "was", "were", "be", "has", "have", "had", "will", "would", "the", "a", "an", "or", "per",
                   "while", "when", "where", "who", "this", "these", "those", "its", "their", "his", "her", "over",
                   "about", "more", "less", "between", "among", "into", "under", "after", "before", "since", "during"}


def _count_noun(match: re.Match, text: str, vocabulary: FigureVocabulary,
                segmenter: Segmenter) -> tuple[str | None, int] | None:
    """The counted thing as an English lemma and where its word ends, or None when the
    number counts nothing."""
    d = vocabulary.data
    groups = match.groupdict()
    if groups.get("measure"):
        following = text[match.end():match.end() + 8]
        measure = groups["measure"]
        if groups["num"] == "一" and not groups.get("more2"):
            return None  # 一个 is 'a', not a count
        if measure == "大" and not re.match(f"[{CJK}]", following):
            return None
        known = next((n for n in vocabulary.count_nouns_zh if following.startswith(n)), None)
        if known:
            return d["count_nouns_zh"][known], match.end() + len(known)
        clause = re.split(r"[，。；：、,;:]", text[:match.start()])[-1]
        named_before = [n for n in vocabulary.count_nouns_zh if n in clause[-8:]]
        if named_before and not re.match(f"[{CJK}]", following):  # 高收入国家16个: the noun came first
            return d["count_nouns_zh"][named_before[0]], match.end()
        default = d["measure_default_nouns_zh"].get(measure)
        if default:  # 36.1万名 (people), 85篇 (papers), 1702列 (trains)
            return default, match.end()
        following_words = list(segmenter.pos_tagger.cut(following))
        token = following_words[0] if following_words else None
        if token is None or not token.flag.startswith("n") or not re.fullmatch(f"[{CJK}]+", token.word):
            return None, match.end()  # 八个推进, 两项都: a count whose noun is not on the page as a noun
        return token.word, match.end() + len(token.word)
    counted = _english_count_noun(match.group("words"), vocabulary)
    if counted is None:
        return None
    noun, word_end = counted
    return noun, match.end() + 1 + word_end


_IRREGULAR_PLURALS = {"people": "person", "staff": "staff", "personnel": "personnel", "children": "child"}


def _english_count_noun(words: str, vocabulary: FigureVocabulary) -> tuple[str, int] | None:
    """'industrial parks in ...' -> 'park': the first plural noun within four words, before any
    function word ('56 of them', '20 in total' count nothing)."""
    found = list(re.finditer(r"[A-Za-z][\w&'’-]*", words))[:7]
    for i, word_match in enumerate(found):
        word = word_match.group()
        lower = word.lower()
        inside_name = lower in ("of", "and") and 0 < i < len(found) - 1 and found[i - 1].group()[0].isupper() \
            and found[i + 1].group()[0].isupper()  # 'four Ministry of Commerce-verified zones'
        if inside_name:
            continue
        if lower in _FUNCTION_WORDS or lower in vocabulary.data["not_count_nouns_en"]:
            return None
        if lower in _IRREGULAR_PLURALS:
            return _IRREGULAR_PLURALS[lower], word_match.end()
        following = found[i + 1].group() if i + 1 < len(found) else ""
        head = not following or not following[0].islower() or following in _FUNCTION_WORDS | {"and", "or"}
        if word[0].islower() and lower.endswith("s") and head:  # the noun phrase ends here
            singular = vocabulary.singular.singular_noun(lower)
            if singular:
                return singular, word_match.end()
    return None


# --- tables flattened out of PDFs: a header of unit-bearing column labels, then rows ----------

_COLUMN_MONEY = re.compile(r"\((?P<cur>US\$|USD|RMB|CNY|EUR|€)\s?(?P<scale>billion|million|bn|mn|thousand)?\)")
_COLUMN_COUNT = re.compile(r"\b[Nn]umber of (?P<noun>[a-z]+)")
_COLUMN_SCORE = re.compile(r"\bindex\b|\bscore\b", re.I)
_ROW = re.compile(r"^(?:\d{1,2}\s+(?=[A-Z]))?(?:[A-Z][A-Za-z&'’ .-]*?\s+)?(?P<cells>\(?-?\d[\d,]*(?:\.\d+)?\)?%?"
                  r"(?:\s+\(?-?\d[\d,]*(?:\.\d+)?\)?%?)*)\s*$")
_ROW_CELL = re.compile(r"\(?(?P<num>-?\d[\d,]*(?:\.\d+)?)\)?(?P<percent>%)?")


def _column_spec(line: str, vocabulary: FigureVocabulary) -> tuple[str, float, str | None] | None:
    d = vocabulary.data
    money = _COLUMN_MONEY.search(line)
    if money:
        return d["currency_before"][money.group("cur")], d["scale_en"].get((money.group("scale") or "").lower(), 1.0), None
    count = _COLUMN_COUNT.search(line)
    if count:
        return "count", 1.0, vocabulary.singular.singular_noun(count.group("noun")) or count.group("noun")
    if _COLUMN_SCORE.search(line):
        return "score", 1.0, None
    return None


def find_flattened_table_figures(text: str, vocabulary: FigureVocabulary) -> Iterator[Mention]:
    """Rows such as '1 Vietnam 64.5 12.7% 9.6%' under a header with '(US$ billion)', or
    'Indonesia 9 69.6' under 'Number of parks' and '... index': the i-th bare number of a row
    takes the i-th unit-bearing column of the header. A 'Source:' line or prose ends the table."""
    columns: list[tuple[str, float, str | None]] = []
    in_rows = False
    position = 0
    for line in text.split("\n"):
        start, position = position, position + len(line) + 1
        stripped = line.strip()
        if not stripped:
            continue
        if stripped.startswith(("Source", "Note", "Figure", "Table", "Fig.")) or len(stripped) > 90:
            columns, in_rows = [], False  # the table ends, or a caption announces the next one
            continue
        row = _ROW.match(stripped)
        if row and columns and re.search(r"\d\.\d|\s", row.group("cells") + stripped[:row.start("cells")]):
            in_rows = True
            offset = start + line.index(stripped) + row.start("cells")
            bare = [c for c in _ROW_CELL.finditer(row.group("cells")) if not c.group("percent")]
            for spec, cell in zip(columns, bare):
                value = float(cell.group("num").replace(",", "")) * spec[1]
                yield Mention(offset + cell.start("num"), offset + cell.end("num"), "figure", cell.group("num"),
                              "en", "pattern", 0.6, value=_clean_float(value), unit=spec[0], noun=spec[2])
            continue
        spec = _column_spec(stripped, vocabulary)
        if spec:
            if in_rows:
                columns, in_rows = [], False
            if not columns or columns[-1] != spec:
                columns.append(spec)
