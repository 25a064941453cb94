"""Entities: find countries, parks and companies in a block, from gazetteers and from name shapes.

Each finder is a generator over one block's text and yields `Mention`s with document
offsets. `find_entities` runs them all over a segmented document; linking (canonical ids,
document-level consistency) and overlap resolution come after, in `linking`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import Iterable, Iterator

from pipeline.cleaning import CJK
from pipeline.resources import Resources
from pipeline.segment import Segmentation, SegmentedBlock, Segmenter


@dataclass(frozen=True)
class Mention:
    """A candidate entity mention; offsets are into the document text."""

    start: int
    end: int
    type: str
    text: str
    lang: str
    source: str  # gazetteer | pattern | model | review
    confidence: float
    canonical_id: str | None = None
    country: str | None = None
    value: float | None = None
    unit: str | None = None
    noun: str | None = None

    def shifted(self, offset: int) -> Mention:
        return replace(self, start=self.start + offset, end=self.end + offset)


class Covered:
    """The characters some spans cover, so that testing a span for overlap costs its own
    length, whatever the number of spans already there: overlap checks stay linear in a document."""

    def __init__(self, size: int, mentions: Iterable[Mention] = ()) -> None:
        self._covered = bytearray(size)
        for mention in mentions:
            self.add(mention.start, mention.end)

    def overlaps(self, start: int, end: int) -> bool:
        return self._covered.find(1, start, end) != -1

    def add(self, start: int, end: int) -> None:
        self._covered[start:end] = b"\x01" * (end - start)


# --- countries -------------------------------------------------------------------------

def find_countries(block: SegmentedBlock, text: str, resources: Resources) -> Iterator[Mention]:
    """Country names in both languages, and the countries inside compounds (China-Belarus, 中白)."""
    lexicon = resources.countries
    for match in lexicon.en_pattern.finditer(text):
        yield Mention(match.start(), match.end(), "country", match.group(), "en", "gazetteer", 0.95,
                      lexicon.en_names[match.group()])
    for match in lexicon.compound_en_pattern.finditer(text):
        for form in re.split(r"[-–]", match.group()):
            iso = lexicon.resolve_en(form)
            if iso and form not in lexicon.en_names:  # plain names were found above
                start = match.start() + match.group().index(form)
                yield Mention(start, start + len(form), "country", form, "en", "pattern", 0.85, iso)
    for match in lexicon.zh_pattern.finditer(text):
        if _on_word_boundaries(block, match.start(), match.end()):
            yield Mention(match.start(), match.end(), "country", match.group(), "zh", "gazetteer", 0.95,
                          lexicon.zh_names[match.group()])
    if block.lang == "zh":
        yield from _chinese_compounds(block, text, resources)


def _on_word_boundaries(block: SegmentedBlock, start: int, end: int) -> bool:
    """In Chinese, a name must start and end where jieba's words do: 海地 is not a country in
    沿海地区, nor 蒙古 in 内蒙古, nor 印度 in 印度洋, nor 美国 in 美国人."""
    if block.lang != "zh":
        return True
    return start in block.token_starts and end in block.token_ends


def _chinese_compounds(block: SegmentedBlock, text: str, resources: Resources) -> Iterator[Mention]:
    """中白 / 泰中 / 中蒙俄: one-character forms at word boundaries, one of them 中 (China)."""
    lexicon = resources.countries
    named: dict[str, bool] = {}  # whether the block names a country in full, looked up once per country
    for match in lexicon.compound_zh_pattern.finditer(text):
        if not _on_word_boundaries(block, match.start(), match.end()) or "中" not in match.group():
            continue
        if lexicon.zh_pattern.match(text, match.start()):  # a full name such as 中非共和国 starts here
            continue
        position = match.start()
        for unit in _split_abbreviations(match.group(), lexicon.abbrev_zh):
            candidates = lexicon.abbrev_zh[unit]
            iso = _choose(candidates, text, lexicon, named)
            yield Mention(position, position + len(unit), "country", unit, "zh", "pattern", 0.8, iso)
            position += len(unit)


def _split_abbreviations(run: str, abbrev: dict) -> list[str]:
    units, i = [], 0
    while i < len(run):
        unit = next(u for u in sorted(abbrev, key=len, reverse=True) if run.startswith(u, i))
        units.append(unit)
        i += len(unit)
    return units


def _choose(candidates: tuple[str, ...], text: str, lexicon, named: dict[str, bool]) -> str:
    """巴 is Pakistan unless the text names Brazil and not Pakistan. `named` remembers which
    countries `text` names, so a long block is searched once per country, not once per mention."""
    if len(candidates) == 1:
        return candidates[0]
    for iso in candidates:
        if iso not in named:
            named[iso] = bool(lexicon.by_iso[iso].name_zh) and lexicon.by_iso[iso].name_zh in text
    in_text = [iso for iso in candidates if named[iso]]
    return in_text[0] if len(in_text) == 1 else candidates[0]


# --- parks and companies from gazetteers ---------------------------------------------------

def find_gazetteer_names(block: SegmentedBlock, text: str, resources: Resources) -> Iterator[Mention]:
    """Known parks and companies by any of their names; a Chinese park name may take a final 区."""
    for kind, gazetteer in (("park", resources.parks), ("company", resources.companies)):
        for pattern, lang in ((gazetteer.en_pattern, "en"), (gazetteer.zh_pattern, "zh")):
            for match in pattern.finditer(text):
                end = match.end()
                if kind == "park" and lang == "zh" and text.startswith("区", end) and not match.group().endswith("区"):
                    end += 1
                if lang == "zh" and not _on_word_boundaries(block, match.start(), end):
                    continue
                canonical_id = gazetteer.alias_to_id[match.group()]
                yield Mention(match.start(), end, kind, text[match.start():end], lang, "gazetteer", 0.95,
                              canonical_id, gazetteer.entries[canonical_id].country)


# --- names by their shape ----------------------------------------------------------------

_CONNECTORS = {"of", "and", "for", "the", "de"}


def _trim_en_name(words: list[str], generic: set[str], breaks: set[str]) -> list[str]:
    """Drop what precedes a name: possessives ('Thailand's'), a headline's words up to its last
    verb or preposition ('... Turns Old Factory Into Free Industrial Zone'), articles, generic words."""
    cut = [i for i, w in enumerate(words) if w.endswith(("'s", "’s")) or w in breaks]
    if cut:
        words = words[cut[-1] + 1:]
    while words and (words[0].lower() in generic or words[0] in _CONNECTORS or words[0].endswith(("'s", "’s"))):
        words = words[1:]
    return words


def _after_last_list_and(words: list[str], descriptive: set[str], resources: Resources) -> list[str]:
    """'Minsk and Sany Heavy Industry Park', 'Haier Factory and JW Forland Facility Park': two things,
    the park is the second; an 'and' between descriptive words is inside the name ('Gwadar Energy
    and Chemical Park', 'Commerce and Logistics Park'), and so is one inside a country's name."""
    for i in reversed(range(len(words) - 1)):
        if words[i] != "and" or i == 0:
            continue
        if words[i + 1].lower() in descriptive or words[i - 1].lower() in descriptive:
            continue
        if resources.countries.en_pattern.fullmatch(f"{words[i - 1]} and {words[i + 1]}"):
            continue  # 'Bosnia and Herzegovina'
        return words[i + 1:]
    return words


def find_english_parks(block: SegmentedBlock, text: str, resources: Resources) -> Iterator[Mention]:
    """Title-case phrases headed by Park / Zone / SEZ / City ...: 'Pakistan Rashakai Special Economic Zone'."""
    names = resources.names
    generic, breaks = set(names["park_generic_en"]), set(names["name_breaks_en"])
    category = set(names["park_category_words_en"])
    for match in resources.park_en_pattern.finditer(text):
        words = _trim_en_name(match.group(1).split(), generic, breaks)
        if category & set(words):
            continue  # 'Jiangsu Province Overseas Industrial Park', 'the First Industrial Park': a category
        words = _after_last_list_and(words, generic | {w.lower() for w in names["park_descriptors_en"]}, resources)
        if not words or all(w.lower() in generic or w.lower() in _CONNECTORS for w in words):
            continue  # 'Overseas Industrial Park', 'Special Economic Zone'
        if match.group(2) in names["park_bare_heads_en"] and (
                len(words) < 2 or "National" in words or not set(words) & set(names["park_descriptors_en"])):
            continue  # 'Arid Zone' (a journal), 'Seong Chan Park' (a person), 'Yellowstone National Park'
        if any(re.fullmatch(r"[A-Z]\.", w) for w in words):
            continue  # initials: 'S. C. Park' is an author
        start = text.rfind(words[0], match.start(), match.start(2))
        name = text[start:match.end()]
        yield Mention(start, match.end(), "park", name, "en", "pattern", 0.75, country=_country_in(name, resources))


_LEGAL_TAIL = re.compile(r",?\s*(?:Ltd\.?|Limited|Inc\.|(?:Sdn\.?\s)?Bhd\.?|Berhad|JSC|PLC)")


def find_english_companies(block: SegmentedBlock, text: str, resources: Resources) -> Iterator[Mention]:
    """Title-case phrases ending in a legal form: 'Tianjin TEDA Investment Holding Co., Ltd.'."""
    names = resources.names
    blocked, breaks = names["not_company_words_en"], set(names["name_breaks_en"])
    for match in resources.company_en_pattern.finditer(text):
        words = _trim_en_name(match.group(1).split(), {"the", "a", "an", "this", "that", "its", "their", "our"}, breaks)
        if not words or all(w in _CONNECTORS for w in words):
            continue
        start = text.rfind(words[0], match.start(), match.start(2))
        name = text[start:match.end()]
        if any(word in name for word in blocked) and match.group(2) != "Press" or \
                len(words) == 1 and words[0].lower() in {"china", "chinese"}:
            continue
        end = match.end()
        tail = _LEGAL_TAIL.match(text, end)
        if tail:
            end = tail.end()
        yield Mention(start, end, "company", text[start:end], "en", "pattern", 0.7)


def find_chinese_names(block: SegmentedBlock, text: str, resources: Resources, segmenter: Segmenter) -> Iterator[Mention]:
    """Chinese park and company names: proper nouns (jieba's ns/nr/nz/nt) before a head such as
    工业园 / 经贸合作区 / 经济特区 or a legal form such as 有限公司 / 集团."""
    if block.lang != "zh" and not re.search(f"[{CJK}]", text):
        return
    names = resources.names
    for kind, head_pattern, generic, blocked, breaks, inner in (
        ("park", resources.park_zh_pattern, set(names["park_generic_zh"]), (), _park_category_breaks(names), set()),
        ("company", resources.company_zh_pattern, set(names["company_generic_zh"]), names["not_company_words_zh"],
         None, set(names["company_inner_words_zh"])),
    ):
        for match in head_pattern.finditer(text):
            window_start = max(0, match.start() - 24)
            left = _proper_name_before(text[window_start:match.start()], generic, resources, segmenter, breaks, inner)
            if not left:
                continue
            start = match.start() - len(left)
            name = text[start:match.end()]
            if _holds_blocked_word(name, blocked, segmenter) and not match.group().endswith("出版社"):
                continue  # 浙江大学出版社 is a publisher, 浙江大学 a university
            if kind == "park" and any(group in name for group in names["park_not_groupings"]):
                continue  # 中国-东盟自贸区 is a trade agreement
            country = _country_in(name, resources) if kind == "park" else None
            start += len(_leading_country(left, resources, segmenter))
            yield Mention(start, match.end(), kind, text[start:match.end()], "zh", "pattern", 0.7, country=country)


def _holds_blocked_word(name: str, blocked: list[str], segmenter: Segmenter) -> bool:
    """A word no company's name holds: a longer one anywhere (委员会), a one-character one only
    where it ends a word (商务部, 税务局), not inside one (北部湾国际港务集团)."""
    if any(len(word) > 1 and word in name for word in blocked):
        return True
    single = {word for word in blocked if len(word) == 1 and word in name}
    return bool(single) and any(token.word[-1] in single for token in segmenter.pos_tagger.cut(name))


_NAME_TAGS = {"ns", "nr", "nrt", "nrfg", "nz", "nt", "j", "eng"}
_DESCRIPTIVE_TAGS = {"n", "l", "s", "f", "m", "a"}  # 新 / 材料 / 东方 / 农业 inside names
_JOINERS = {"·", "-", "－", "（", "）", "(", ")"}  # not the dash: 东宁境外园区——乌苏里斯克经贸合作区 is two names


def _park_category_breaks(names: dict):
    """Whether a word before a park head makes the phrase a category, not a name: 境内 / 首个 /
    第一批 (埃塞俄比亚境内首个工业园区), or a government body (商务部合作区办公室). The name, if any,
    starts after it."""
    words = set(names["park_category_words_zh"])
    shapes = re.compile("|".join(f"(?:{p})" for p in names["park_category_patterns_zh"]))
    bodies = tuple(names["park_body_suffixes_zh"])

    def breaks(word: str, tag: str) -> bool:
        return word in words or bool(shapes.fullmatch(word)) or tag == "nt" and word.endswith(bodies)
    return breaks


def _proper_name_before(window: str, generic: set[str], resources: Resources, segmenter: Segmenter,
                        breaks=None, inner: set[str] = frozenset()) -> str:
    """The name that ends where `window` ends: the run of proper nouns (jieba's ns/nr/nz/nt),
    joiners and short descriptive words before the head, trimmed to start at a proper noun.
    `breaks(word, tag)`: words no name holds (a category's), where the run stops. `inner`: words
    a name holds after its proper noun though they are generic or verbs (the 投资 and 开发 of
    柬埔寨国际投资开发集团)."""
    countries = resources.countries.zh_pattern
    tokens = list(segmenter.pos_tagger.cut(window))

    def tagged_name(i: int) -> bool:
        return tokens[i].flag in _NAME_TAGS and tokens[i].word not in generic

    def is_name(i: int) -> bool:
        token = tokens[i]
        if countries.fullmatch(token.word):
            return True
        if token.flag in ("nr", "nrfg") and len(token.word) < 3:
            # jieba calls common words personal names (文明); a transliteration comes in pieces (索尔|诺克)
            return any(0 <= j < len(tokens) and tagged_name(j) and len(tokens[j].word) >= 2 for j in (i - 1, i + 1))
        return tagged_name(i)

    run: list[int] = []
    for i in reversed(range(len(tokens))):
        word, tag = tokens[i].word, tokens[i].flag
        if re.search(r"[\s，。、；：！？“”《》,.;:!?—]", word) or resources.park_zh_pattern.fullmatch(word) \
                or resources.company_zh_pattern.fullmatch(word) or breaks and breaks(word, tag) \
                or inner and _ends_with_head(word, resources.company_zh_pattern):
            break  # punctuation, the head of another name (红豆集团|投资建设公司), or a category word
        # verbal nouns count (生化, 合作) unless generic (建设): 埃塞俄比亚建设东方工业园 is a sentence
        descriptive = (tag in _DESCRIPTIVE_TAGS or tag == "vn" and word not in generic or word in inner) \
            and len(word) <= 4 and not word.isdigit()
        if is_name(i) or word in _JOINERS or descriptive:
            run.append(i)
        else:
            break
    closing = next((k for k, i in enumerate(run) if tokens[i].word in "）)"), None)
    if closing is not None and not any(tokens[i].word in "（(" for i in run[closing:]):
        run = run[:closing]  # 'AQI）日报': the bracket closes something before the name
    while run and not is_name(run[-1]):
        run.pop()  # the name starts with a proper noun
    if run and _starts_inside_a_word(tokens, run[-1], generic):
        return ""  # 希园区 of 谦比希园区: jieba cut a transliteration, the name's start is not here
    name = "".join(tokens[i].word for i in reversed(run))
    named = {tokens[i].word for i in run if is_name(i)}
    one_country = len(named) == 1 and countries.fullmatch(next(iter(named)))
    if re.match(r"^[^（(]*[）)]", name) or one_country and all(is_name(i) or tokens[i].word in generic for i in run):
        return ""  # 'AQI）日报'; 中国境外经贸合作区 (one country and generic words) is no name
    return name


def _ends_with_head(word: str, heads: re.Pattern) -> bool:
    return any(m.end() == len(word) for m in heads.finditer(word))


def _starts_inside_a_word(tokens: list, first: int, generic: set[str]) -> bool:
    """A one-character start right after another lone character (谦|比|希 before 园区) is the tail
    of a word jieba did not know and cut into letters; a lone function word or verb before a name
    (的, 和, 如吉扎克工业园区) is a boundary, and so is a whole word (包括吉扎克工业园区)."""
    if len(tokens[first].word) != 1 or first == 0:
        return False
    before = tokens[first - 1]
    return bool(re.fullmatch(f"[{CJK}]", before.word)) and before.word not in generic and before.flag != "v"


def _leading_country(left: str, resources: Resources, segmenter: Segmenter) -> str:
    """'匈牙利' of 匈牙利索尔诺克工业园: the host country says where the park is, the rest is its
    name. Kept when nothing but generic words would remain (埃塞俄比亚东方工业园, 中国·印尼经贸合作区)
    or another country follows (中国越南(深圳-海防)经济贸易合作区)."""
    found = resources.countries.zh_pattern.match(left)
    if not found:
        return ""
    rest = [t for t in segmenter.pos_tagger.cut(left[found.end():]) if t.word not in _JOINERS]
    if rest and resources.countries.zh_pattern.fullmatch(rest[0].word):
        return ""  # two countries open a bilateral name: 中国越南(深圳-海防)经济贸易合作区
    rest_has_name = any(t.flag in _NAME_TAGS and not resources.countries.zh_pattern.fullmatch(t.word) for t in rest)
    return found.group() if rest_has_name else ""


def _country_in(name: str, resources: Resources) -> str | None:
    """The host country a park's own name states: 'Pakistan Rashakai ...', '中国·印尼...' (China last)."""
    lexicon = resources.countries
    found = [lexicon.en_names[m.group()] for m in lexicon.en_pattern.finditer(name)]
    found += [lexicon.zh_names[m.group()] for m in lexicon.zh_pattern.finditer(name)]
    found += [lexicon.adjectives[m] for m in re.findall(r"[A-Z][a-z]+", name) if m in lexicon.adjectives and m not in ("Chinese", "Sino")]
    compound = lexicon.compound_zh_pattern.match(name)  # 中哈国际合作示范区
    if compound and "中" in compound.group():
        found += [lexicon.abbrev_zh[unit][0] for unit in _split_abbreviations(compound.group(), lexicon.abbrev_zh)]
    hosts = [iso for iso in found if iso != "CN"]
    return hosts[0] if hosts else None


# An item holds no separator, so a run has one way of being cut into items: were 和 both a letter
# and a separator, the pattern would try every cut of a long run (time exponential in its length).
_LIST_ITEM = rf"(?:(?![和及与])[{CJK}A-Za-z0-9]){{2,10}}"
_ENUMERATION = re.compile(
    rf"(?P<items>(?:{_LIST_ITEM}[、，,和及与])+{_LIST_ITEM})等"
    rf"(?P<kind>[{CJK}]{{0,6}}?)(?:公司|企业|厂商|集团|药企|巨头|银行)")
_ITEM_SEPARATORS = re.compile(r"[、，,和及与]")
# Where such a list can end: the pattern is not tried past the last of these.
_LIST_END = re.compile(rf"等[{CJK}]{{0,6}}?(?:公司|企业|厂商|集团|药企|巨头|银行)")
# A list opened after the companies it names: '引入了一批优质外来企业，如A、B、C等'; items joined
# by 、 / 和 only, so that no clause after a comma is read as a company.
_OPENED_LIST = re.compile(
    rf"(?:公司|企业|厂商)[，,：:]?(?:有|包括|如|例如|比如|诸如)[：:]?"
    rf"(?P<items>(?:{_LIST_ITEM}[、和及与])+(?:(?!等)[{CJK}A-Za-z0-9]){{2,10}}?)(?=等|[。；，,;])")
_VERB_TAGS = ("v", "p", "f", "uj", "ul")


def find_listed_companies(block: SegmentedBlock, text: str, resources: Resources,
                          segmenter: Segmenter) -> Iterator[Mention]:
    """Companies named in a list closed by 等公司 / 等企业 / 等厂商 ('微软、谷歌、脸谱等互联网公司'),
    or opened by 企业有 / 企业，如 ('引入了一批优质外来企业，如智城汇、迈斯卡缔、宝志等')."""
    if block.lang != "zh":
        return
    generic = set(resources.names["company_generic_zh"])
    last_end = max((m.end() for m in _LIST_END.finditer(text)), default=0)
    closed = (m for m in _ENUMERATION.finditer(text, 0, last_end)  # no list can end later: no search there
              if "国家" not in m.group("kind") and "的" not in m.group("kind"))  # 中国、加拿大、印度等多个国家的企业
    for match in [*closed, *_OPENED_LIST.finditer(text)]:
        position = match.start("items")
        for number, item in enumerate(_ITEM_SEPARATORS.split(match.group("items"))):
            start = text.index(item, position)
            position = start + len(item)
            if number == 0:
                start += _words_before_first_item(item, segmenter)
                item = text[start:position]
            if item in generic or resources.countries.zh_pattern.fullmatch(item) or len(item) < 2:
                continue
            opened = number == 0 and match.re is _OPENED_LIST  # the opener ends a word (如|智城汇), whatever jieba cut
            if not (opened or start in block.token_starts) or start + len(item) not in block.token_ends:
                continue
            yield Mention(start, start + len(item), "company", item, "zh", "pattern", 0.6)


def _words_before_first_item(item: str, segmenter: Segmenter) -> int:
    """A list's first item starts at the proper noun after the last verb or preposition before it:
    '园区内已有|天虹纺织厂' (a verb that starts the item is part of its name: 联合钢铁). Returns the
    characters to skip."""
    tokens = list(segmenter.pos_tagger.cut(item))
    offsets = [sum(len(t.word) for t in tokens[:i + 1]) for i in range(len(tokens))]
    cuts = [offsets[i] for i in range(1, len(tokens) - 1)
            if tokens[i].flag in _VERB_TAGS and tokens[i + 1].flag in _NAME_TAGS]
    return cuts[-1] if cuts else 0


def find_entities(segmentation: Segmentation, text: str, resources: Resources, segmenter: Segmenter) -> list[Mention]:
    """Every candidate mention of every block, in document offsets (overlaps not yet resolved)."""
    mentions: list[Mention] = []
    for block in segmentation.blocks:
        block_text = text[block.start:block.end]
        found = [*find_countries(block, block_text, resources),
                 *find_gazetteer_names(block, block_text, resources),
                 *find_english_parks(block, block_text, resources),
                 *find_english_companies(block, block_text, resources),
                 *find_chinese_names(block, block_text, resources, segmenter),
                 *find_listed_companies(block, block_text, resources, segmenter)]
        mentions += [m.shifted(block.start) for m in found]
    return mentions
