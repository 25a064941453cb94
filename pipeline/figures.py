"""Figures: money, percentages, percentage points, counts, areas, durations, index scores.

A number becomes a figure only when its meaning is on the page (a currency, %, a unit, a
counted noun); bare numbers (years, references, page numbers, postcodes) never do. Values
are normalised: scale words applied (billion, 亿, 万), Chinese numerals read (cn2an).
"""

from __future__ import annotations

import math
import re
from dataclasses import replace
from typing import Iterator

import cn2an

from pipeline.cleaning import CJK, CJK_CHAR, is_table_row, table_row_cells
from pipeline.entities import Covered, Mention
from pipeline.resources import ARABIC, CHINESE_NUMERAL, RANGE, FigureVocabulary, Resources
from pipeline.segment import SegmentedBlock, Segmenter

_SUPERSCRIPT_DIGITS = str.maketrans("⁰¹²³⁴⁵⁶⁷⁸⁹", "0123456789")
_MAX_POWER = 308  # 10^308 is the largest power of ten a float holds
_YEAR_LIKE = re.compile(r"^(?:1[89]\d\d|20\d\d)$")


def parse_number(text: str) -> float | None:
    """'1,082' -> 1082; '2 500' -> 2500; '3.5' -> 3.5; '一百八十五点五' -> 185.5; '两' -> 2. None for no
    number, and for one past the range of a float (309 digits and more), which no record could store."""
    text = text.strip()
    arabic = re.fullmatch(ARABIC, text) or re.fullmatch(r"[1-9]\d{0,2}(?: \d{3})+", text)
    try:
        value = float(re.sub(r"[, ]", "", text)) if arabic else float(cn2an.cn2an(text, "smart"))
    except (ValueError, KeyError, TypeError, OverflowError):
        return None
    return value if math.isfinite(value) else None


def power_of_ten(exponent: str) -> float | None:
    """'⁸' or '^8' (of '×10⁸', '10^8') -> 1e8; None past the range of a float ('10^999')."""
    digits = exponent.lstrip("^").translate(_SUPERSCRIPT_DIGITS).lstrip("0") or "0"
    return float(10 ** int(digits)) if len(digits) <= 3 and int(digits) <= _MAX_POWER else None


def scaled_value(number: float, multiplier: float) -> float | None:
    """`number` times its scale, to 12 significant digits; None when the product is past the range
    of a float: such a figure cannot be saved, so it is no figure."""
    value = number * multiplier
    return _clean_float(value) if math.isfinite(value) else None


def find_figures(block: SegmentedBlock, text: str, resources: Resources, segmenter: Segmenter) -> Iterator[Mention]:
    """Figures in one block's text; offsets relative to the block."""
    vocabulary = resources.figure_vocabulary
    taken = Covered(len(text))
    for kind, pattern in vocabulary.patterns:
        for match in pattern.finditer(text):
            if taken.overlaps(match.start(), match.end()):
                continue  # an earlier, more specific reading owns these characters
            figures = [_signed(f, text) for f in _read(kind, match, text, block, vocabulary, segmenter)]
            if figures:
                taken.add(match.start(), match.end())
                yield from figures
    for figure in find_table_figures(text, vocabulary):
        if not taken.overlaps(figure.start, figure.end):
            yield replace(figure, lang=block.lang)


def _signed(figure: Mention, text: str) -> Mention:
    """'-2.1%' in a table or after a space is a fall, not a range dash."""
    if figure.unit in ("count", "year", "month", "day") or figure.start == 0 or text[figure.start - 1] not in "-−":
        return figure
    if figure.start >= 2 and not re.match(r"[\s|(:：，,]", text[figure.start - 2]):
        return figure
    return replace(figure, start=figure.start - 1, text=text[figure.start - 1:figure.end], value=-figure.value)


# --- tables the cleaner wrote as 'a | b' rows: the header's units apply to the cells below -----

ColumnUnit = tuple[str, float, str | None]  # unit, multiplier, counted noun
_UNREADABLE: ColumnUnit = ("", 0.0, None)  # the header names a unit whose scale was lost

_VALUE = r"(?P<sign>[-−])?(?P<num>\d{1,3}(?:[, ]\d{3})+(?:\.\d+)?|\d+(?:\.\s?\d+)?)(?P<scale>万亿|亿|万)?"
_CELL_VALUE = re.compile(rf"^(?:[<>≤≥＜＞]\s?)?{_VALUE}(?:以上|以下)?$")
_CELL_RANGE = re.compile(rf"^{_VALUE}\s?[~～—–-]\s?(?P<num2>\d+(?:\.\d+)?)(?P<scale2>万亿|亿|万)?$")
_LISTED_VALUE = re.compile(rf"[(（]\s?{_VALUE}\s?[)）]")  # '泰国(8597.45）印尼(6236.37）'

_COUNT_HEADER = re.compile(r"(?:(?P<noun>论文|文献|专利|企业|项目|园区|国家|人|机构)(?:数量|个数|数|量)|数量|个数)(?:/(?:篇|个|家|项|人))?$"
                           r"|发文量|number of (?P<noun_en>\w+)", re.I)


def _column_unit(header: str, vocabulary: FigureVocabulary) -> ColumnUnit | None:
    """The unit a column header states: '占比/%' -> percent; '贸易额/10⁸USD', '亿美元', 'US$ billion' -> money;
    '发文量', '企业数量' -> a count. '贸易额/10USD' lost its exponent: unreadable."""
    d = vocabulary.data
    compact = header.replace(" ", "")
    if re.search(r"[/（(]%|%[)）]?$|\(%\)|percent", compact, re.I):
        return "percent", 1.0, None
    count = _COUNT_HEADER.search(compact)
    if count:
        noun = count.group("noun_en") or d["count_nouns_zh"].get(count.group("noun") or "") \
            or ("publication" if "发文" in compact else None)
        return "count", 1.0, noun and (vocabulary.singular.singular_noun(noun) or noun)
    for word, currency in vocabulary.currencies_after:
        if word in compact if CJK_CHAR.search(word) else re.search(rf"(?<![A-Za-z]){re.escape(word)}(?![a-z])", header):
            if re.search(rf"(?<![\d.^])10{re.escape(word.replace(' ', ''))}", compact):
                return _UNREADABLE
            multiplier = 1.0
            power = re.search(r"10(?:\^|)([⁰¹²³⁴⁵⁶⁷⁸⁹\d]+)", compact)
            scale = re.search(vocabulary.scale_zh, compact)
            scale_en = vocabulary.scale_en.search(header)
            if power:
                multiplier = power_of_ten(power.group(1))
                if multiplier is None:
                    return _UNREADABLE  # '贸易额/10^999USD': no float holds such amounts
            elif scale:
                multiplier = d["scale_zh"][scale.group()]
            elif scale_en:
                multiplier = d["scale_en"][scale_en.group().lower()]
            return currency, multiplier, None
    return None


def find_table_figures(text: str, vocabulary: FigureVocabulary) -> Iterator[Mention]:
    """Numbers in table cells whose column header gives the unit.

    The header is the rows above the first row holding a number. A cell may be a number
    ('1 374.59', '1240万'), a range or bound ('0~10', '<0', '30以上'), or a list of names with
    their numbers in brackets; when a single header cell states a unit, such lists in columns
    without one take it ('年均增速/% | 主要国家' over '<0 | 阿尔巴尼亚(-5.59）')."""
    rows, position = [], 0
    for line in text.split("\n"):
        if is_table_row(line):
            rows.append([(position + offset, cell) for offset, cell in table_row_cells(line)])
        position += len(line) + 1
    first_data = next((i for i, row in enumerate(rows) if any(_cell_values(cell) for _, cell in row)), len(rows))
    if not 0 < first_data <= 3:
        return
    units: dict[int, ColumnUnit] = {}
    for row in rows[:first_data]:
        for col, (_, cell) in enumerate(row):
            unit = _column_unit(cell, vocabulary) if col not in units else None
            if unit:
                units[col] = unit
    table_unit = next(iter(units.values())) if len(units) == 1 else None
    header_words = _words(rows[first_data - 1])
    word_units = None
    for row in rows[first_data:]:
        cells, cell_units = row, units
        words = _words(row) if len(header_words) > len(rows[first_data - 1]) and _merged(row) else []
        if words and len(words) == len(header_words):  # '1 | 美国 39711 | 13.06%' under '序号 | 国家 | 论文数 占比'
            if word_units is None:
                word_units = {i: _column_unit(word, vocabulary) for i, (_, word) in enumerate(header_words)}
            cells, cell_units = words, word_units
        for col, (start, cell) in enumerate(cells):
            unit = cell_units.get(col)
            values = _cell_values(cell)
            if unit is None and table_unit and values and values[0][0] is _LISTED_VALUE:
                unit = table_unit
            if not unit or unit is _UNREADABLE:
                continue
            for _, match, number, scale in values:
                value = scaled_value(float(re.sub(r"[, ]", "", match.group(number))) * unit[1],
                                     vocabulary.data["scale_zh"].get(match.group(scale) or "", 1.0))
                if value is None:
                    continue
                negative = number == "num" and match.group("sign")
                begin = start + match.start("sign" if negative else number)
                end = start + match.end(scale if match.group(scale) else number)
                yield Mention(begin, end, "figure", text[begin:end], "zh", "pattern", 0.7,
                              value=-value if negative else value, unit=unit[0], noun=unit[2])


_WORD = re.compile(rf"[{CJK}]+|[^\s{CJK}]+")


def _words(row: list[tuple[int, str]]) -> list[tuple[int, str]]:
    """A row's cells split into words (at spaces and where Chinese meets digits), except cells
    that are one number ('1 528.9')."""
    words = []
    for start, cell in row:
        if _CELL_VALUE.match(cell):
            words.append((start, cell))
        else:
            words.extend((start + m.start(), m.group()) for m in _WORD.finditer(cell))
    return words


def _merged(row: list[tuple[int, str]]) -> bool:
    """Two cells of a row the PDF's converter merged into one: '美国39711', '8232 2.71%'."""
    return any(re.search(r"\d", cell) and len(_WORD.findall(cell)) > 1 and not _cell_values(cell) for _, cell in row)


def _cell_values(cell: str) -> list[tuple[re.Pattern, re.Match, str, str]]:
    """The numbers of a cell: (the form that read it, the match, its number and scale groups)."""
    whole = _CELL_VALUE.match(cell)
    if whole:
        return [(_CELL_VALUE, whole, "num", "scale")]
    span = _CELL_RANGE.match(cell)
    if span:
        return [(_CELL_RANGE, span, "num", "scale"), (_CELL_RANGE, span, "num2", "scale2")]
    if re.search(rf"[{CJK}A-Za-z]", cell):
        return [(_LISTED_VALUE, m, "num", "scale") for m in _LISTED_VALUE.finditer(cell)]
    return []


def _read(kind: str, match: re.Match, text: str, block: SegmentedBlock, vocabulary: FigureVocabulary,
          segmenter: Segmenter) -> Iterator[Mention]:
    d = vocabulary.data
    groups = match.groupdict()
    if _excluded(match, text, vocabulary):
        return
    numbers = [groups["num"]] + ([groups["num2"]] if groups.get("num2") else [])
    if re.match(CHINESE_NUMERAL, groups["num"]) and _in_idiom(match, text, segmenter):
        return
    multiplier, unit, noun, end = 1.0, None, None, match.end()
    if groups.get("scale"):
        multiplier = d["scale_en"][groups["scale"].lower()]
    if groups.get("scale_zh"):
        multiplier = d["scale_zh"][groups["scale_zh"]]
    if groups.get("power"):
        power = power_of_ten(groups["power"])
        if power is None:
            return
        multiplier *= power
    if groups.get("power_scale_zh"):  # '3.5×10^4万美元': the scale word after the power
        multiplier *= d["scale_zh"][groups["power_scale_zh"]]
    if "\n" in match.group() and is_table_row(text[text.rfind("\n", 0, match.start()) + 1:match.start()]):
        return  # '| 98.70\n印尼盾 | 82.76': a row's last cell, then the next row's first
    if kind == "money" and groups["num"] == "一" and not groups.get("scale_zh"):
        return  # 一元 / 一美元: 'per yuan' or 'univariate', not an amount
    if kind == "money":
        currencies = d["currency_before"] if match.re.pattern.startswith("(?P<cur>") else d["currency_after"]
        unit = currencies[groups["cur"]]
    elif kind == "pp":
        unit = "pp"
    elif kind == "percent":
        unit = "percent"
        if re.match(r"\s*(?:的)?(?:显著性?)?(?:水平|临界值)|\s*(?:level|significance|critical)", text[match.end():match.end() + 8]):
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
        if unit_word == "年" and text.startswith(("规划", "计划"), match.end()):
            return  # 五年规划: the Five-Year Plan, a name
        if unit == "decade":
            unit, multiplier = "year", 10.0
    elif kind == "count":
        unit = "count"
        counted = _count_noun(match, text, vocabulary, segmenter)
        if counted is None:
            return
        noun, end = counted
        if groups.get("scale_word"):
            multiplier = d["scale_en"][groups["scale_word"].lstrip(" -").lower()]  # '16-thousand locals'
    elif kind == "score":
        unit = "score"
    elif kind == "scaled":
        measured = _scaled_unit(match, text, block, vocabulary, segmenter)
        if measured is None:
            return
        unit, noun = measured
    spans = [(match.start(), end)]
    if groups.get("num2"):  # a range: two figures, '80' and '160个项目'
        spans = [(match.start(), match.end("num")), (match.start("num2"), end)]
    for number, (start, stop) in zip(numbers, spans):
        value = _number_value(number, d)
        scaled = None if value is None else scaled_value(value, multiplier)
        if scaled is None or (kind == "count" and value <= 1 and not re.fullmatch(r"\d+", number)):
            continue
        if kind == "count" and "." in number and multiplier == 1.0:
            continue  # '2.1 Current status': a section number; '1.2万家' has its scale
        if kind == "count" and _YEAR_LIKE.match(number) and not groups.get("measure"):
            continue  # '2013 reports' is ambiguous; '2000例' is a count
        yield Mention(start, stop, "figure", text[start:stop], block.lang, "pattern", 0.8,
                      value=scaled, unit=unit, noun=noun)


def _scaled_unit(match: re.Match, text: str, block: SegmentedBlock, vocabulary: FigureVocabulary,
                 segmenter: Segmenter) -> tuple[str, str | None] | None:
    """What a bare amount with 亿 or 万 measures, read from its neighbours: the unit of the figure
    a range joins it to ('4万亿到5万亿元'), else a noun of money or of people right after it
    ('2.5亿经济损失', '220万儿童') or before it in its clause ('产值约1.9万亿', '网民规模达7.31亿')."""
    d = vocabulary.data
    after = text[match.end():match.end() + 12]
    joined = re.match(RANGE, after)
    if joined:
        for kind, pattern in vocabulary.patterns:
            partner = pattern.match(text, match.end() + joined.end()) if kind in ("money", "count", "area") else None
            figure = next(_read(kind, partner, text, block, vocabulary, segmenter), None) if partner else None
            if figure:
                return figure.unit, figure.noun
    clause = _clause_before(text, match.start())
    if re.match(rf"[{CJK}A-Za-z]", after):
        clause = ""  # '用户的月发博字数已超过三万字': what follows it is what it measures
    for names in (after.startswith, clause.__contains__):  # right after it first, then before it
        if any(map(names, d["money_nouns_zh"])):
            return d["default_currency_zh"], None
        people = next(filter(names, d["population_nouns_zh"]), None)
        if people:
            return "count", d["count_nouns_zh"][people]
    return None


def _clause_before(text: str, position: int, width: int = 16) -> str:
    """Up to `width` characters before `position`, back to the clause's start."""
    return re.split(r"[，。；：、,;:]", text[max(0, position - width):position])[-1]


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
    if before.endswith(("/", "／", "=", "＝", "^")):
        return True  # '贸易额/10⁴USD', '面积/km²': a column's unit; 'η=0': a formula; '10^8': an exponent
    if re.search(r"(?:19|20)\d\d[-/.]$", before):
        return True  # '2016-12-06': a date
    if before.endswith(("数", "几", "上")) and match.group()[0] in "十百千万亿":
        return True  # 数十亿, 几百, 上万: vague amounts
    if re.search(r"[A-Za-z_.]$", before) and re.match(r"\d", match.group()):
        return True  # 'G20', 'COVID-19', 'v2.5': a number glued to a word is part of it
    return False


_DURATION_BEFORE = ("近", "多", "过去", "长达", "连续", "历经", "了", "经过", "最近", "未来", "这", "约", "为期", "期限", "每", "为", "用", "需")
_DURATION_AFTER = ("来", "间", "内", "以来", "多", "左右", "的时间", "之久", "后", "以上", "中", "期", "里")


def _duration_context(match: re.Match, text: str) -> bool:
    """'近40年来', '工期为3年' are durations; '17年' alone may be a year written short."""
    number = parse_number(match.group("num")) or 0
    return text.endswith(_DURATION_BEFORE, 0, match.start()) or text.startswith(_DURATION_AFTER, match.end()) \
        or match.group().endswith("周年") or (number <= 10 and not text.startswith(("级", "代"), match.end()))


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
        if groups["num"] == "二" and measure == "次":
            return None  # 二次传播, 二次开发: 'secondary', where two times is 两次
        if (match.start() == 0 or text[match.start() - 1] == "\n") and \
                len(_first_token(text[match.start("measure"):match.end() + 4], segmenter).word) > len(measure):
            return None  # '1国家发展和改革委员会…': a numbered line, whose 国 starts the word 国家
        if text.startswith(tuple(d["not_measure_words_zh"]), match.start("measure")):
            return None  # 两部分: 'two parts'
        if measure == "大" and not _content_word_first(following, segmenter):
            return None  # 三大板块, 四大类 count; 十九大把… names a congress
        known = next((n for n in vocabulary.count_nouns_zh if following.startswith(n)), None)
        if known and len(known) == 1 and len(_first_token(following, segmenter).word) > 1:
            known = None  # 两国人文交流: 人 starts the word 人文, what 两国 counts is countries
        if known:
            return d["count_nouns_zh"][known], match.end() + len(known)
        clause = _clause_before(text, match.start(), 8)
        named_before = [n for n in vocabulary.count_nouns_zh if n in clause]
        if named_before and not re.match(f"[{CJK}]", following):  # 高收入国家16个: the noun came first
            return d["count_nouns_zh"][named_before[0]], match.end()
        default = d["measure_default_nouns_zh"].get(measure)
        if default:  # 36.1万名 (people), 85篇 (papers), 1702列 (trains)
            return default, match.end()
        noun = _noun_first(following, segmenter)
        if noun is None:
            return None, match.end()  # 八个推进, 两项都: a count whose noun is not on the page as a noun
        return noun, match.end() + len(noun)
    title = bool(re.search(r"\b[A-Z][a-z]*\s+$", text[:match.start()]))  # 'Plans to Finalize Deal With 4 New Companies'
    counted = _english_count_noun(match.group("words"), vocabulary, title)
    if counted is None:
        return None
    noun, word_end = counted
    return noun, match.end() + 1 + word_end


def _first_token(text: str, segmenter: Segmenter):
    """jieba's first word of `text` with its part-of-speech tag, or None for no text."""
    return next(iter(segmenter.pos_tagger.cut(text)), None)


def _noun_first(text: str, segmenter: Segmenter) -> str | None:
    """The Chinese noun `text` starts with, if it starts with one."""
    token = _first_token(text, segmenter)
    return token.word if token and token.flag.startswith("n") and re.fullmatch(f"[{CJK}]+", token.word) else None


_FUNCTION_TAGS = ("p", "d", "c", "u", "r", "f", "x", "y", "e")  # jieba: preposition, adverb, conjunction, particle...


def _content_word_first(text: str, segmenter: Segmenter) -> bool:
    """`text` starts with a Chinese word that can carry meaning (noun, verb, adjective,
    classifier), not a function word or punctuation."""
    token = _first_token(text, segmenter)
    return bool(token) and bool(re.match(f"[{CJK}]", token.word)) and not token.flag.startswith(_FUNCTION_TAGS)


def _in_idiom(match: re.Match, text: str, segmenter: Segmenter) -> bool:
    """五花八门, 三位一体: numerals inside an idiom count nothing (两国政府, a set phrase with
    one numeral, still counts two governments)."""
    start = max(0, match.start() - 3)
    position = start
    for token in segmenter.pos_tagger.cut(text[start:match.end() + 3]):
        end = position + len(token.word)
        set_phrase = token.flag == "i" or (token.flag == "l" and len(re.findall(CHINESE_NUMERAL, token.word)) > 1)
        if set_phrase and position < match.end() and match.start() < end:
            return True
        position = end
    return False


_IRREGULAR_PLURALS = {"people": "person", "staff": "staff", "personnel": "personnel", "children": "child"}


def _english_count_noun(words: str, vocabulary: FigureVocabulary, title: bool = False) -> tuple[str, int] | None:
    """'industrial parks in ...' -> 'park': the first plural noun within four words, before any
    function word ('56 of them', '20 in total' count nothing). A noun phrase ends before a verb
    ('enterprises employing'); in a title (`title`: a capitalised word before the number) its
    capitalised nouns count too ('With 4 New Companies')."""
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
        if title and word[0].isupper():
            head = not following or following[0].islower()  # the title's capitalised words end here
        else:
            head = not following or not following[0].islower() or following in _FUNCTION_WORDS | {"and", "or"} \
                or following.endswith(("ing", "ed"))
        if (word[0].islower() or title) and lower.endswith("s") and head:  # the noun phrase ends here
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
                value = scaled_value(float(cell.group("num").replace(",", "")), spec[1])
                if value is not None:
                    yield Mention(offset + cell.start("num"), offset + cell.end("num"), "figure", cell.group("num"),
                                  "en", "pattern", 0.6, value=value, unit=spec[0], noun=spec[2])
            continue
        spec = _column_spec(stripped, vocabulary)
        if spec:
            if in_rows:
                columns, in_rows = [], False
            if not columns or columns[-1] != spec:
                columns.append(spec)
