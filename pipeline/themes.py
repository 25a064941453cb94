"""Themes: which challenges, development modes and park types a passage discusses, and the
recurring themes the taxonomy lacks, in Chinese and English alike.

Two languages meet through a bilingual bridge, never through translation: every concept of the
seeded taxonomy (`data/themes.json`) becomes one language-neutral token (融资难 and "financing
difficulties" are both `@challenge.financing#0`), and term alignment pairs further English and
Chinese words whose contexts over those concepts look alike. Seeded themes are scored from
the seed terms found in a passage, so every assignment names its terms. Discovery runs NMF
over TF-IDF of the bridged tokens; its components are matched to the themes of the previous
theme map by similarity before new ids are made, so ids and labels survive a growing corpus.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from bisect import bisect_left, bisect_right
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from itertools import accumulate
from pathlib import Path
from typing import Iterable

import inflect
import jieba
import numpy as np
from sklearn.decomposition import NMF
from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS, TfidfVectorizer

from pipeline.cleaning import CJK, CJK_CHAR, TABLE_CELL_SEPARATOR
from pipeline.resources import DATA_DIR, alternation
from pipeline.types import DocumentRecord, DocumentTheme, ThemePassage

SEEDED_GROUPS = ("challenge", "mode", "park_type")
DISCOVERED = "discovered"

# --- the taxonomy -------------------------------------------------------------------


@dataclass(frozen=True)
class Concept:
    """One bilingual concept: its English and Chinese terms are the same feature."""

    key: str  # "<theme id>#<index>"
    theme_id: str
    terms_en: tuple[str, ...]
    terms_zh: tuple[str, ...]
    weight: float = 1.0  # how telling the terms are
    patterns: dict[str, tuple[str, ...]] = field(default_factory=dict)  # lang -> regexes of phrasings terms miss

    @property
    def name_en(self) -> str:
        return self.terms_en[0] if self.terms_en else self.key

    @property
    def name_zh(self) -> str:
        return self.terms_zh[0] if self.terms_zh else self.key


@dataclass(frozen=True)
class SeedTheme:
    id: str
    group: str
    label: str
    label_zh: str
    definition: str
    concepts: tuple[Concept, ...]


@dataclass(frozen=True)
class Taxonomy:
    version: str
    groups: dict
    themes: tuple[SeedTheme, ...]
    stopwords_en: frozenset[str]
    stopwords_zh: frozenset[str]
    not_terms: dict[str, tuple[str, ...]]  # phrases that never count as seed terms
    digest: str

    @cached_property
    def by_id(self) -> dict[str, SeedTheme]:
        return {theme.id: theme for theme in self.themes}

    @cached_property
    def concepts(self) -> dict[str, Concept]:
        """Built once: every passage's terms are looked up here."""
        return {c.key: c for theme in self.themes for c in theme.concepts}


def load_taxonomy(data_dir: Path = DATA_DIR) -> Taxonomy:
    data_dir = Path(data_dir)
    raw = (data_dir / "themes.json").read_bytes()
    stop_raw = (data_dir / "stopwords.json").read_bytes()
    data, stop = json.loads(raw), json.loads(stop_raw)
    themes = []
    for entry in data["themes"]:
        if entry["group"] not in data["groups"]:
            raise ValueError(f"themes.json: theme {entry['id']} has unknown group {entry['group']!r}")
        concepts = tuple(Concept(f"{entry['id']}#{i}", entry["id"], tuple(c.get("en", [])), tuple(c.get("zh", [])),
                                 float(c.get("weight", 1.0)),
                                 {lang: tuple(p) for lang, p in c.get("patterns", {}).items()})
                         for i, c in enumerate(entry["concepts"]))
        themes.append(SeedTheme(entry["id"], entry["group"], entry["label"], entry["label_zh"],
                                entry.get("definition", ""), concepts))
    digest = hashlib.sha256(raw + b"\0" + stop_raw).hexdigest()[:16]
    not_terms = {lang: tuple(data.get("not_terms", {}).get(lang, [])) for lang in ("en", "zh")}
    return Taxonomy(data["version"], data["groups"], tuple(themes), frozenset(ENGLISH_STOP_WORDS | set(stop["en"])),
                    frozenset(stop["zh"]), not_terms, digest)


# --- passages ---------------------------------------------------------------------

MAX_PASSAGE_CHARS = {"en": 600, "zh": 400}
MIN_PASSAGE_CHARS = {"en": 80, "zh": 40}
_REFERENCES = re.compile(r"^\W*(?:\d+\W*)?(?:references?|bibliography|参考文献|参\s*考\s*文\s*献)\W*$", re.I)
_LIST_ITEM = re.compile(r"\s*(?:[(（]\s*(?:\d{1,2}|[一二三四五六七八九十])\s*[)）]|[①②③④⑤⑥⑦⑧⑨⑩]|"
                        r"[一二三四五六七八九十]是|第[一二三四五六七八九十]，|\d{1,2}\)\s)")
# Front matter and apparatus: what a paragraph about a theme never starts with.
_FRONT_MATTER = re.compile(
    r"^\W*(?:key\s*words?|关\s*键\s*词|摘\s*要\s*[:：]?\s*$|ai translation|doi\b|收稿日期|基金项目|作者简介|"
    r"通讯作者|corresponding author|e-?mail|引用格式|cite this|citation:|中图分类号|文献标识码|文章编号)", re.I)
_AFFILIATION = re.compile(r"(?:universit|institute|laborator|academy|college|school of|大学|研究所|研究院|实验室|学院)", re.I)
# Bibliography entries where no references heading stands alone: document-type tags ([J] journal,
# [M] book, [EB/OL] web page ...), "et al", volume(issue):pages.
_CITATION = re.compile(r"\[(?:J|M|C|D|R|N|P|S|Z|A|G|EB/OL|J/OL|DB/OL)\]|\bet\s?al\b|\d{4}\s*[,，]\s*\d+\s*[(（]\d+[)）]\s*[:：]", re.I)
_LETTER = re.compile(rf"[A-Za-z{CJK}]")
_EMAIL_OR_ID = re.compile(r"@[\w-]+\.|orcid|(?<![\d.,])\d{6}(?![\d.,%])", re.I)  # a postcode


def is_front_matter(content: str) -> bool:
    """Keywords, affiliations, e-mail and funding lines: no themes to find there."""
    head = content.strip()
    if _FRONT_MATTER.match(head) or _EMAIL_OR_ID.search(head[:300]) and len(head) < 400:
        return True
    return len(head) < 250 and bool(_AFFILIATION.search(head)) and not re.search(r"[。！？]|[.!?]\s", head + " ")


def is_apparatus(content: str) -> bool:
    """Bibliography entries (two or more citation marks) and chart residue (mostly numbers): what
    a passage about a theme is not, wherever it stands in the document."""
    if len(_CITATION.findall(content)) >= 2:
        return True
    visible = re.sub(r"\s", "", content)
    return len(_LETTER.findall(visible)) < 0.4 * len(visible)


@dataclass(frozen=True)
class Passage:
    doc_id: str
    start: int
    end: int
    lang: str
    text: str


def passages_of(record: DocumentRecord) -> list[Passage]:
    """Paragraphs as passages; a long one is cut into windows of whole sentences.

    Headings, captions, tables, bibliography entries and everything after the references heading
    are no passages."""
    text, passages = record.text, []
    sentences = record.sentences  # in text order
    starts = [s.start for s in sentences]
    for block in record.blocks:
        content = text[block.start:block.end]
        if _REFERENCES.match(content.strip()):
            break
        if len(content) < MIN_PASSAGE_CHARS[block.lang] or content.count(TABLE_CELL_SEPARATOR) >= 2 or is_front_matter(content):
            continue
        limit = MAX_PASSAGE_CHARS[block.lang]
        if len(content) <= limit:
            passages.append(Passage(record.doc_id, block.start, block.end, block.lang, content))
            continue
        inside = [s for s in sentences[bisect_left(starts, block.start):bisect_left(starts, block.end)]
                  if s.end <= block.end]
        window_start = window_end = None
        for sentence in inside:
            item = _LIST_ITEM.match(text, sentence.start)  # "(2) Financing difficulties." opens a passage
            if window_start is not None and (sentence.end - window_start > limit or item):
                passages.append(Passage(record.doc_id, window_start, window_end, block.lang,
                                        text[window_start:window_end]))
                window_start = None
            if window_start is None:
                window_start = sentence.start
            window_end = sentence.end
        if window_start is not None:
            passages.append(Passage(record.doc_id, window_start, window_end, block.lang, text[window_start:window_end]))
    return [p for p in passages if not is_apparatus(p.text)]


# --- bridged tokens ---------------------------------------------------------------

_EN_WORD = re.compile(r"[A-Za-z][A-Za-z0-9]*(?:[&'’][A-Za-z0-9]+)*")  # 'company-led' is two words
_JOINTS = frozenset(" \t\n-‐–")  # what may stand between the words of any English term
_inflect = inflect.engine()
_ACRONYM_PLURAL = re.compile(r"[A-Z]{2,}s")


@lru_cache(maxsize=65536)
def english_form(word: str) -> str:
    """Lower case, singular and without a possessive, so 'Parks' and "Council's" are 'park' and 'council'
    (and an acronym's plural its acronym: 'SOEs' is 'soe', never the word 'so')."""
    if _ACRONYM_PLURAL.fullmatch(word):
        return word[:-1].lower()
    word = word.lower().replace("’", "'")
    if word.endswith("'s") and len(word) > 3:
        word = word[:-2]
    if len(word) > 3 and word.isalpha() and not word.endswith(("ss", "us", "is", "ics")):
        return _inflect.singular_noun(word) or word
    return word


def _forms(term: str) -> tuple[str, ...]:
    """A term as the English forms of its words: what the tokenizer compares."""
    return tuple(english_form(w) for w in _EN_WORD.findall(term))


@dataclass(frozen=True)
class AlignedTerm:
    en: str
    zh: str
    similarity: float


def bridge_token(pair: AlignedTerm) -> str:
    return f"~{pair.en}|{pair.zh}"


@dataclass(frozen=True)
class TermMatch:
    concept: str
    term: str  # as written in the taxonomy
    surface: str  # as written in the passage: what the explanation shows
    start: int  # offset in the passage


@dataclass(frozen=True)
class PassageTokens:
    """A passage's seed-term matches and its bag of bridged tokens."""

    matches: tuple[TermMatch, ...]
    tokens: tuple[str, ...]
    size: int  # English words or Chinese characters: how much text the evidence is spread over
    lead: int = 0  # end of the first sentence (or heading): where a paragraph says what it is about


def term_pattern(terms, flags: int = 0) -> re.Pattern:
    """What `resources.alternation(terms, flags)` matches (the longest term at the leftmost
    position), as a trie: 融资|融资难|融资渠道 becomes 融资(?:渠道|难)?, and a node's many branches
    are split in halves behind a look-ahead on their first characters. Python's regex engine tries
    a flat alternation's branches one by one at every position, so with the thousands of terms
    alignment finds in a large corpus it cost more per character the larger the corpus grew."""
    trie: dict = {}
    for term in {t for t in terms if t}:
        node = trie
        for char in term:
            node = node.setdefault(char, {})
        node[""] = {}  # a term ends here
    if not trie or flags & re.I and _case_twins(trie):
        return alternation(terms, flags=flags)  # nothing to match, or branches a case-blind match could confuse
    return re.compile(_trie_regex(trie), flags)


def _case_twins(node: dict) -> bool:
    """Two branches of a node that match the same character when case is ignored (s and ſ)."""
    chars = [c for c in node if c]
    folded = {c.upper().lower() if len(c.upper()) == 1 else c for c in chars}
    return len(folded) < len(chars) or any(_case_twins(child) for child in node.values())


def _trie_regex(node: dict) -> str:
    branches = sorted((char, re.escape(char) + _trie_regex(child)) for char, child in node.items() if char)
    if not branches:
        return ""
    body = _split_branches(branches)
    if "" in node:
        return f"(?:{body})?"  # greedy: the longer term first, as in the longest-first alternation
    return body if len(branches) == 1 else f"(?:{body})"


def _split_branches(branches: list[tuple[str, str]], fan: int = 8) -> str:
    if len(branches) <= fan:
        return "|".join(regex for _, regex in branches)
    half = len(branches) // 2
    return "|".join(f"(?=[{''.join(re.escape(char) for char, _ in part)}])(?:{_split_branches(part, fan)})"
                    for part in (branches[:half], branches[half:]))


@lru_cache(maxsize=2)
def term_jieba(terms: tuple[str, ...]) -> jieba.Tokenizer:
    """A jieba of its own that knows the seed terms as words (the segmenter's stays as it is)."""
    tokenizer = jieba.Tokenizer()
    for term in terms:
        tokenizer.add_word(term)
    return tokenizer


class BridgeTokenizer:
    """Tokens for theme work: seed terms become their concept's token, other words stay words.

    English words are lower-cased and made singular; Chinese is cut by a jieba that knows the seed
    terms as words, so it never splits 融资难."""

    def __init__(self, taxonomy: Taxonomy, aligned: list[AlignedTerm] = ()):
        self.taxonomy = taxonomy
        self.aligned = list(aligned)
        self._en_terms: dict[str, list[tuple[tuple[str, ...], str | None, str, frozenset[str]]]] = defaultdict(list)
        zh_terms: dict[str, tuple[str | None, str]] = {}
        # key None: consumed, never counted; "~…": an aligned pair, a concept without a theme
        entries = [(None, taxonomy.not_terms["en"], taxonomy.not_terms["zh"])]
        entries += [(bridge_token(pair), (pair.en,), (pair.zh,)) for pair in aligned]
        entries += [(c.key, c.terms_en, c.terms_zh) for c in taxonomy.concepts.values()]
        for key, terms_en, terms_zh in entries:
            for term in terms_en:
                forms = _forms(term)
                if forms:
                    self._en_terms[forms[0]].append((forms, key, term, frozenset(_EN_WORD.sub(" ", term)) | _JOINTS))
            for term in terms_zh:
                zh_terms.setdefault(term.lower(), (key, term))
        for candidates in self._en_terms.values():
            candidates.sort(key=lambda c: -len(c[0]))
        self._zh_terms = zh_terms
        self.term_jieba = term_jieba(tuple(sorted(zh_terms)))
        self._zh_pattern = term_pattern(zh_terms, flags=re.I)
        self._patterns = {lang: [(c, re.compile(p, re.I)) for c in taxonomy.concepts.values()
                                 for p in c.patterns.get(lang, ())] for lang in ("en", "zh")}
        self._words: dict[str, str] = {}  # one string per distinct word: a corpus repeats its words millions of times

    def _word(self, word: str) -> str:
        return self._words.setdefault(word, word)

    def __call__(self, passage: Passage) -> PassageTokens:
        tokens = self._english(passage.text) if passage.lang == "en" else self._chinese(passage.text)
        return self._with_patterns(tokens, passage)

    def _with_patterns(self, tokens: PassageTokens, passage: Passage) -> PassageTokens:
        """Phrasings no fixed term catches (政府要引导和推进, "state departments lead"): each
        pattern of a concept is one more term of it. Where a term of the same theme stands inside
        the phrasing, the more telling of the two counts: "led by governments" is the pattern, not
        the general word 'governments'."""
        concepts = self.taxonomy.concepts
        matches, changed = list(tokens.matches), False
        for concept, pattern in self._patterns[passage.lang]:
            for match in pattern.finditer(passage.text):
                inside = [m for m in matches if concepts[m.concept].theme_id == concept.theme_id
                          and m.start < match.end() and match.start() < m.start + len(m.surface)]
                if all(concepts[m.concept].weight < concept.weight for m in inside):
                    matches = [m for m in matches if m not in inside]
                    matches.append(TermMatch(concept.key, pattern.pattern, match.group(), match.start()))
                    changed = True
        return PassageTokens(tuple(matches), tokens.tokens, tokens.size, tokens.lead) if changed else tokens

    def _english(self, text: str) -> PassageTokens:
        words = list(_EN_WORD.finditer(text))
        forms = [english_form(w.group()) for w in words]
        matches, tokens, i = [], [], 0
        while i < len(words):
            for term_forms, key, term, joints in self._en_terms.get(forms[i], ()):
                if tuple(forms[i:i + len(term_forms)]) == term_forms and _joined(text, words[i:i + len(term_forms)], joints):
                    if key and key.startswith("~"):
                        tokens.append(key)
                    elif key:
                        start, end = words[i].start(), words[i + len(term_forms) - 1].end()
                        matches.append(TermMatch(key, term, text[start:end], start))
                        tokens.append(self._word("@" + key))
                    i += len(term_forms)
                    break
            else:
                if self._telling(forms[i]):
                    tokens.append(self._word(forms[i]))
                i += 1
        return PassageTokens(tuple(matches), tuple(tokens), len(words), lead_end(text))

    def _chinese(self, text: str) -> PassageTokens:
        """One jieba pass (a jieba that knows the seed terms) gives both where terms may stand
        and the words between them."""
        bounds = list(accumulate(map(len, self.term_jieba.lcut(text)), initial=0))  # word i: bounds[i] to bounds[i + 1]
        matches, tokens, position = [], [], 0
        for start, end in self._zh_spans(text, bounds):
            tokens += self._words_between(text, bounds, position, start)
            key, term = self._zh_terms[text[start:end].lower()]
            if key and key.startswith("~"):
                tokens.append(key)
            elif key:
                matches.append(TermMatch(key, term, text[start:end], start))
                tokens.append(self._word("@" + key))
            position = end
        tokens += self._words_between(text, bounds, position, len(text))
        return PassageTokens(tuple(matches), tuple(tokens), len(CJK_CHAR.findall(text)) // 2 + len(_EN_WORD.findall(text)),
                             lead_end(text))

    def _zh_spans(self, text: str, bounds: list[int]) -> Iterable[tuple[int, int]]:
        """Where Chinese terms stand, leftmost and longest first, but never starting in the tail of
        a word that ends inside the term: 商机 (business opportunity) is not in 协商|机制, nor 国企 in
        中国|企业. A term at the end of a word counts (污染 in 大气污染: Chinese words end in their
        head), and so does one running into the next word (生态环境 in 生态|环境保护)."""
        position = 0
        while match := self._zh_pattern.search(text, position):
            start, end = match.span()
            word = bisect_right(bounds, start) - 1
            if bounds[word] < start and bounds[word + 1] < end:
                position = start + 1
                continue
            yield start, end
            position = end

    def _words_between(self, text: str, bounds: list[int], start: int, end: int) -> list[str]:
        """The words from `start` to `end` (a word a term cuts into keeps its part outside the term)."""
        words = []
        for i in range(bisect_right(bounds, start) - 1, len(bounds) - 1):
            if bounds[i] >= end:
                break
            word = text[max(bounds[i], start):min(bounds[i + 1], end)].strip()
            if CJK_CHAR.search(word):
                if len(word) > 1 and word not in self.taxonomy.stopwords_zh:
                    words.append(self._word(word))
            elif _EN_WORD.fullmatch(word) and self._telling(english_form(word)):
                words.append(self._word(english_form(word)))
        return words

    def _telling(self, form: str) -> bool:
        """An English word worth a token: not a letter alone, not a stop word."""
        return len(form) > 1 and form not in self.taxonomy.stopwords_en


def _joined(text: str, words: list[re.Match], joints: frozenset[str]) -> bool:
    """The words of a term stand together: only `joints` (spaces, hyphens and what the term
    itself writes between them) in between, so "countries, risks" is no 'country risk'."""
    return all(set(text[a.end():b.start()]) <= joints for a, b in zip(words, words[1:]))


_SENTENCE_END = re.compile(r"[。！？；]|[.!?;](?=\s|$)")


def lead_end(text: str) -> int:
    match = _SENTENCE_END.search(text)
    return match.end() if match else len(text)


def token_language(token: str) -> str | None:
    if token.startswith("@"):
        return None
    return "zh" if CJK_CHAR.search(token) else "en"


# --- term alignment ---------------------------------------------------------------

_KEYWORDS_ZH = re.compile(r"关\s*键\s*词\s*[:：]?\s*(.+)")
_KEYWORDS_EN = re.compile(r"key\s*words?\s*[:：]?\s*(.+)", re.I)
_KEYWORDS_END = re.compile(r"\s*(?:DOI\b|中图分类号|分类号|文献标识码|文章编号|收稿日期).*")


def keyword_pairs(text: str) -> list[tuple[str, str]]:
    """A paper's Chinese and English keyword lists, paired by position when they have the same length.

    The lists translate each other item by item (关键词 气候变化，巴黎协定 / Keywords climate change,
    the Paris Agreement): a small parallel lexicon in every paper that has both."""
    zh, en = _KEYWORDS_ZH.search(text), _KEYWORDS_EN.search(text)
    if not (zh and en):
        return []
    zh_items = [i.strip(" “”\"'") for i in re.split(r"[，,；;、]", _KEYWORDS_END.sub("", zh.group(1)))]
    en_items = [i.strip(" “”\"'") for i in re.split(r"[，,；;]", _KEYWORDS_END.sub("", en.group(1)))]
    en_items = [re.split(r"[\u4e00-\u9fff]", i)[0].strip() for i in en_items]  # an author's biography glued on
    if len(zh_items) < 2 or len(zh_items) != len(en_items):
        return []
    return [(e, z) for e, z in zip(en_items, zh_items)
            if e and z and CJK_CHAR.search(z) and not CJK_CHAR.search(e) and len(z) <= 12 and len(e.split()) <= 6]


def align_terms(keyword_lists: list[list[tuple[str, str]]], taxonomy: Taxonomy) -> list[AlignedTerm]:
    """English-Chinese term pairs from the corpus's keyword lists (`keyword_pairs` of each paper);
    `similarity` is the share of papers pairing the two among those listing either."""
    together, listed = Counter(), Counter()
    for pairs in keyword_lists:
        for en, zh in set(pairs):
            together[(en.lower(), zh)] += 1
    for (en, zh), n in together.items():
        listed[en] += n
        listed[zh] += n
    skip = {t.lower() for terms in taxonomy.not_terms.values() for t in terms}
    seeds_zh = {t.lower() for c in taxonomy.concepts.values() for t in c.terms_zh}
    seeds_en = {_forms(t) for c in taxonomy.concepts.values() for t in c.terms_en} - {()}
    pairs = []
    for (en, zh), n in sorted(together.items()):
        if en in skip or zh in skip or any(t in en for t in ("belt and road", "silk road")) or "一带一路" in zh:
            continue
        if any(t in zh for t in seeds_zh) or _holds(_forms(en), seeds_en):
            continue  # 农产品贸易 would hide the seed term 农产品 it holds: the seed term bridges it already
        pairs.append(AlignedTerm(en, zh, round(2 * n / (listed[en] + listed[zh]), 3)))
    best: dict[str, AlignedTerm] = {}
    for pair in pairs:  # one partner per term: the most consistent pairing
        for side in (pair.en, pair.zh):
            if side not in best or pair.similarity > best[side].similarity:
                best[side] = pair
    return [p for p in pairs if best[p.en] is p and best[p.zh] is p]


def _holds(forms: tuple[str, ...], terms: set[tuple[str, ...]]) -> bool:
    """Some term of `terms` stands in `forms` as consecutive words."""
    return any(forms[i:i + n] in terms for n in {len(t) for t in terms} for i in range(len(forms) - n + 1))


# --- the model -------------------------------------------------------------------

@dataclass(frozen=True)
class PassageTheme:
    theme_id: str
    score: float
    terms: tuple[str, ...]


@dataclass
class DiscoveredTheme:
    id: str
    label: str
    label_zh: str
    signature: dict[str, float]  # top terms and weights: what later runs match against
    top_terms: dict[str, list[str]] = field(default_factory=dict)


@dataclass(frozen=True)
class ThemeParameters:
    """Everything that changes assignments; recorded in the theme map."""

    threshold: float = 0.6  # seeded theme score from which a passage carries the theme
    lead_weight: float = 1.5  # a term in the first sentence (or the heading) counts this much more
    relative: float = 0.3  # ...and at least this share of the passage's strongest theme's evidence...
    facet_groups: tuple[str, ...] = ("challenge", "mode")  # ...of its own group, for these groups
    size_reference: int = 120  # words (or Chinese character pairs) over which evidence is not diluted
    full_weight_share: float = 0.05  # a seed term in at most this share of passages weighs fully
    min_weight: float = 0.3
    n_components: int = 14
    discovered_threshold: float = 0.45  # share of a passage's NMF weight to carry a discovered theme
    covered_share: float = 0.4  # a component this much about one seeded theme is not a new theme
    min_documents: int = 2  # a discovered theme recurs: at least this many documents...
    max_document_share: float = 0.4  # ...but is no theme when it is in most documents (a language, a genre)
    max_language_share: float = 0.1  # discovery ignores words this common within one language
    match_similarity: float = 0.5  # cosine to a previous discovered theme to keep its id
    random_state: int = 0


class ThemeModel:
    """Seeded themes from the bridge's terms, discovered themes from NMF (scikit-learn style).

    `fit` learns term weights, the aligned terms and the discovered themes from passages;
    `transform` gives each passage its themes. `previous` is the last theme map's discovered
    themes: a component similar to one of them keeps its id and label."""

    def __init__(self, taxonomy: Taxonomy, parameters: ThemeParameters = ThemeParameters(),
                 previous: list[DiscoveredTheme] | None = None, aligned: list[AlignedTerm] = ()):
        self.taxonomy = taxonomy
        self.parameters = parameters
        self.previous = previous or []
        self.aligned = list(aligned)
        self.groups_ = {theme.id: theme.group for theme in taxonomy.themes}

    def fit(self, passages: list[Passage], tokenized: list[PassageTokens]) -> ThemeModel:
        self._fit(passages, tokenized)
        return self

    def transform(self, passages: list[Passage], tokenized: list[PassageTokens]) -> list[list[PassageTheme]]:
        return self._assign([self._seeded(t) for t in tokenized], self.nmf_.transform(self._matrix(tokenized)))

    def fit_transform(self, passages: list[Passage], tokenized: list[PassageTokens]) -> list[list[PassageTheme]]:
        """`fit` then `transform`, scoring each passage and projecting the corpus once."""
        return self._assign(*self._fit(passages, tokenized))

    def _fit(self, passages: list[Passage], tokenized: list[PassageTokens]) -> tuple[list, np.ndarray]:
        """Term weights and concept names from every passage; the discovered themes from the
        passages no seeded theme explains, so discovery finds what the taxonomy lacks. Returns
        every passage's seeded themes and NMF weights."""
        p = self.parameters
        self.n_passages_ = len(passages)
        term_passages = Counter(term for tokens in tokenized for term in {m.term for m in tokens.matches})
        self.term_weight_ = {term: self._weight(n) for term, n in term_passages.items()}
        self.concept_names_ = self._concept_names(tokenized)
        seeded = [self._seeded(tokens) for tokens in tokenized]
        residual = [i for i, themes in enumerate(seeded) if not themes]
        self.common_ = self._common_words([tokenized[i] for i in residual], [passages[i].lang for i in residual])
        self.vectorizer_ = TfidfVectorizer(analyzer=_as_is, min_df=2, max_df=0.4, sublinear_tf=True)
        self.vectorizer_.fit(self._words([tokenized[i] for i in residual]))
        self.vocabulary_ = self.vectorizer_.get_feature_names_out()
        everything = self._matrix(tokenized)
        matrix = everything[residual]
        n_components = min(p.n_components, matrix.shape[0], matrix.shape[1])
        self.nmf_ = NMF(n_components=n_components, init="nndsvda", random_state=p.random_state, max_iter=400)
        self.nmf_.fit(matrix)
        weights = self.nmf_.transform(everything)
        self.discovered_ = self._name_components(weights, passages)
        return seeded, weights

    def _words(self, tokenized: list[PassageTokens]) -> list[list[str]]:
        return [[t for t in x.tokens if t not in self.common_] for x in tokenized]

    def _matrix(self, tokenized: list[PassageTokens]):
        return self.vectorizer_.transform(self._words(tokenized))

    def _assign(self, seeded: list[list[PassageTheme]], weights: np.ndarray) -> list[list[PassageTheme]]:
        """A passage's seeded themes, or when it has none its discovered ones: discovery covers
        what the taxonomy does not."""
        return [themes or self._discovered(row) for themes, row in zip(seeded, weights)]

    def _common_words(self, tokenized: list[PassageTokens], languages: list[str]) -> frozenset[str]:
        """Words in more than `max_language_share` of their own language's passages: they say
        which language a passage is in ('park' in English papers here), not what it is about."""
        df = {"en": Counter(), "zh": Counter()}
        for tokens, lang in zip(tokenized, languages):
            df[lang].update({t for t in tokens.tokens if token_language(t) == lang})
        sizes = Counter(languages)
        return frozenset(t for lang, counts in df.items() for t, n in counts.items()
                         if n > self.parameters.max_language_share * sizes[lang])

    def _concept_names(self, tokenized: list[PassageTokens]) -> dict[str, tuple[str, str]]:
        """A concept is named by its terms most used in the corpus, in each language (a pattern
        is no name)."""
        patterns = {p for c in self.taxonomy.concepts.values() for ps in c.patterns.values() for p in ps}
        used: dict[str, Counter] = defaultdict(Counter)
        for tokens in tokenized:
            for match in tokens.matches:
                if match.term not in patterns:
                    used[match.concept][match.term] += 1
        names = {}
        for key, concept in self.taxonomy.concepts.items():
            ranked = [t for t, _ in used[key].most_common()]
            en = [t for t in ranked if not CJK_CHAR.search(t)]
            zh = [t for t in ranked if CJK_CHAR.search(t)]
            names[key] = (en[0] if en else concept.name_en, zh[0] if zh else concept.name_zh)
        return names

    # seeded

    def _weight(self, passages_with_term: int) -> float:
        """Rare terms tell more: full weight up to `full_weight_share` of passages, less above."""
        p = self.parameters
        idf = math.log(max(self.n_passages_, 1) / passages_with_term)
        full = math.log(1 / p.full_weight_share)
        return round(min(1.0, max(p.min_weight, idf / full)), 4)

    def theme_scores(self, tokens: PassageTokens) -> dict[str, float]:
        """Every seeded theme's score in a passage before any cut: what a passage's themes are
        chosen from, and what a learned model can be given to weigh (bench/themes_learned.py)."""
        counts, weights, _ = self._terms(tokens)
        evidence = self._evidence(counts, weights)
        return {theme.id: self._score(evidence.get(theme.id, 0.0), tokens) for theme in self.taxonomy.themes}

    def _terms(self, tokens: PassageTokens) -> tuple[dict[str, Counter], dict[str, float], dict[str, str]]:
        """Each theme's seed terms and how often they occur; each term's weight: its concept's
        weight times its rarity, more in the lead; the term as the passage writes it."""
        p = self.parameters
        concepts = self.taxonomy.concepts
        counts: dict[str, Counter] = defaultdict(Counter)
        weights: dict[str, float] = {}
        surface: dict[str, str] = {}  # the term as the passage writes it, for the explanation
        for match in tokens.matches:
            concept = concepts[match.concept]
            counts[concept.theme_id][match.term] += 1
            lead = p.lead_weight if match.start < tokens.lead else 1.0
            weight = concept.weight * self.term_weight_.get(match.term, 1.0) * lead
            weights[match.term] = max(weight, weights.get(match.term, 0.0))
            surface.setdefault(match.term, match.surface)
        return counts, weights, surface

    @staticmethod
    def _evidence(counts: dict[str, Counter], weights: dict[str, float]) -> dict[str, float]:
        """Distinct terms add up, a repeated term counts a little more."""
        return {theme_id: sum(weights[t] * (1 + 0.5 * math.log(n)) for t, n in terms.items())
                for theme_id, terms in counts.items()}

    def _score(self, evidence: float, tokens: PassageTokens) -> float:
        """From 0 to 1; evidence spread over a long passage counts less."""
        return 1 - math.exp(-evidence / math.sqrt(max(1.0, tokens.size / self.parameters.size_reference)))

    def _seeded(self, tokens: PassageTokens) -> list[PassageTheme]:
        p = self.parameters
        counts, weights, surface = self._terms(tokens)
        evidence = self._evidence(counts, weights)
        strongest = self._strongest(evidence)
        found = []
        for theme_id, terms in counts.items():
            score = self._score(evidence[theme_id], tokens)
            if score >= p.threshold and evidence[theme_id] >= p.relative * strongest[theme_id]:
                ordered = sorted(terms, key=lambda t: (-terms[t] * weights[t], t))
                found.append(PassageTheme(theme_id, round(score, 3), tuple(dict.fromkeys(surface[t] for t in ordered))))
        return sorted(found, key=lambda t: (-t.score, t.theme_id))

    def _strongest(self, evidence: dict[str, float]) -> dict[str, float]:
        """What each theme's evidence is cut against: in a group of `facet_groups` the strongest
        theme of that group (a passage weighs challenges, or modes, and names its park type side
        by side: a long case of a technology park does not silence the government behind it);
        otherwise the passage's strongest theme (an industry named in passing is no park type)."""
        by_group: dict[str, float] = defaultdict(float)
        for theme_id, value in evidence.items():
            group = self.groups_[theme_id]
            by_group[group] = max(by_group[group], value)
        overall = max(evidence.values(), default=0.0)
        return {theme_id: by_group[self.groups_[theme_id]] if self.groups_[theme_id] in self.parameters.facet_groups
                else overall for theme_id in evidence}

    # discovered

    def _discovered(self, row: np.ndarray) -> list[PassageTheme]:
        total = row.sum()
        if total <= 0:
            return []
        found = []
        for component, theme in self.discovered_.items():
            share = row[component] / total
            if share >= self.parameters.discovered_threshold:
                found.append(PassageTheme(theme.id, round(float(share), 3), tuple(theme.top_terms.get("all", [])[:5])))
        return found

    def _name_components(self, weights: np.ndarray, passages: list[Passage]) -> dict[int, DiscoveredTheme]:
        """New components that recur and are not a seeded theme again, with ids kept from `previous`."""
        p = self.parameters
        concepts = self.taxonomy.concepts
        candidates = {}
        for component, loadings in enumerate(self.nmf_.components_):
            order = np.argsort(-loadings)[:30]
            top = {self.vocabulary_[i]: float(loadings[i]) for i in order if loadings[i] > 0}
            mass = sum(top.values()) or 1.0
            by_theme = Counter()
            for token, weight in top.items():
                if token.startswith("@"):
                    by_theme[concepts[token[1:]].theme_id] += weight
            if by_theme and by_theme.most_common(1)[0][1] / mass >= p.covered_share:
                continue
            shares = weights[:, component] / np.maximum(weights.sum(axis=1), 1e-12)
            documents = {passages[i].doc_id for i in np.flatnonzero(shares >= p.discovered_threshold)}
            if not p.min_documents <= len(documents) <= p.max_document_share * len({x.doc_id for x in passages}):
                continue
            total = sum(top.values())
            candidates[component] = {t: round(w / total, 4) for t, w in top.items()}
        return self._keep_ids(candidates)

    def _keep_ids(self, candidates: dict[int, dict[str, float]]) -> dict[int, DiscoveredTheme]:
        p = self.parameters
        pairs = sorted(((_cosine(signature, old.signature), component, n)
                        for component, signature in candidates.items() for n, old in enumerate(self.previous)),
                       key=lambda x: (-x[0], x[1], x[2]))
        kept: dict[int, DiscoveredTheme] = {}
        used = set()
        for similarity, component, n in pairs:
            if similarity < p.match_similarity or component in kept or n in used:
                continue
            old = self.previous[n]
            kept[component] = DiscoveredTheme(old.id, old.label, old.label_zh, candidates[component])
            used.add(n)
        taken = [_discovered_number(t.id) for t in self.previous]
        next_number = max(taken, default=0) + 1
        for component in sorted(candidates):
            if component not in kept:
                label, label_zh = self._label(candidates[component])
                kept[component] = DiscoveredTheme(f"{DISCOVERED}.{next_number}", label, label_zh,
                                                  candidates[component])
                next_number += 1
        for theme in kept.values():
            theme.top_terms = self._top_terms(theme.signature)
        return dict(sorted(kept.items()))

    def _top_terms(self, signature: dict[str, float], n: int = 8) -> dict[str, list[str]]:
        ordered = sorted(signature, key=lambda t: (-signature[t], t))
        named = {"en": [], "zh": [], "all": []}
        for token in (t for t in ordered if not t.startswith("@")):  # seeded concepts would name a seeded theme
            en, zh = self.token_names(token)
            named["all"].append(en if en else zh)
            if en and en not in named["en"]:
                named["en"].append(en)
            if zh and zh not in named["zh"]:
                named["zh"].append(zh)
        return {lang: names[:n] for lang, names in named.items()}

    def _label(self, signature: dict[str, float]) -> tuple[str, str]:
        """Top terms; a label with fewer than two English terms is better read in Chinese."""
        top = self._top_terms(signature, 3)
        zh = " / ".join(top["zh"]) or " / ".join(top["en"])
        return (" / ".join(top["en"]) if len(top["en"]) >= 2 else zh), zh

    def token_names(self, token: str) -> tuple[str | None, str | None]:
        """A token's English and Chinese names: both for a concept or an aligned pair."""
        if token.startswith("@"):
            return self.concept_names_[token[1:]]
        if token.startswith("~"):
            en, zh = token[1:].split("|", 1)
            return en, zh
        return (None, token) if token_language(token) == "zh" else (token, None)


def _as_is(tokens):
    return tokens


def _cosine(a: dict[str, float], b: dict[str, float]) -> float:
    dot = sum(w * b.get(t, 0.0) for t, w in a.items())
    norm = math.sqrt(sum(w * w for w in a.values())) * math.sqrt(sum(w * w for w in b.values()))
    return dot / norm if norm else 0.0


def _discovered_number(theme_id: str) -> int:
    tail = theme_id.rsplit(".", 1)[-1]
    return int(tail) if tail.isdigit() else 0


# --- the corpus ------------------------------------------------------------------

THEME_MAP_VERSION = "1.0"
REPRESENTATIVE_PASSAGES = 5


@dataclass
class ThemedCorpus:
    themes: dict[str, list[DocumentTheme]]  # doc_id -> the record's themes
    theme_map: dict  # what `extracted/themes.json` holds


@dataclass(frozen=True)
class ThemeSource:
    """What the theme stage keeps of a record: its passages and keywords, not its sentences
    and entities, which for 1,000 papers would hold hundreds of megabytes at once."""
    doc_id: str
    text_sha256: str | None  # None: a failed record
    passages: list[Passage]
    keyword_pairs: list[tuple[str, str]]


def theme_source(record: DocumentRecord, passages: bool = True) -> ThemeSource:
    """`passages=False`: the text's digest alone, all `corpus_fingerprint` needs."""
    if record.status != "ok":
        return ThemeSource(record.doc_id, None, [], [])
    return ThemeSource(record.doc_id, hashlib.sha256(record.text.encode()).hexdigest(),
                       passages_of(record) if passages else [], keyword_pairs(record.text) if passages else [])


def previous_discovered(theme_map: dict | None) -> list[DiscoveredTheme]:
    """The discovered themes of an earlier theme map, to keep their ids and labels."""
    themes = (theme_map or {}).get("themes", [])
    return [DiscoveredTheme(t["id"], t["label"], t["label_zh"], t["signature"])
            for t in themes if t.get("group") == DISCOVERED and t.get("signature")]


def corpus_fingerprint(sources: list[ThemeSource], taxonomy: Taxonomy, parameters: ThemeParameters) -> str:
    """What the theme map depends on: every text, the taxonomy, the parameters and this code."""
    digest = hashlib.sha256(Path(__file__).read_bytes())
    digest.update(json.dumps([taxonomy.digest, vars(parameters)], sort_keys=True).encode())
    for source in sorted(sources, key=lambda s: s.doc_id):
        if source.text_sha256:
            digest.update(source.doc_id.encode() + b"\0" + bytes.fromhex(source.text_sha256))
    return digest.hexdigest()[:16]


def bridge_tokenizer(sources: list[ThemeSource], taxonomy: Taxonomy) -> BridgeTokenizer:
    """The corpus's tokenizer: the seed terms and the term pairs its keyword lists align."""
    return BridgeTokenizer(taxonomy, align_terms([s.keyword_pairs for s in sources if s.text_sha256], taxonomy))


def theme_corpus(records: Iterable[DocumentRecord | ThemeSource], taxonomy: Taxonomy,
                 previous: list[DiscoveredTheme] | None = None,
                 parameters: ThemeParameters = ThemeParameters()) -> ThemedCorpus:
    """Fit the theme model on every passage of the corpus and give each record its themes.

    Records are taken one at a time and only their passages kept; passages go in doc_id order,
    so the order records come in changes nothing."""
    sources = sorted((r if isinstance(r, ThemeSource) else theme_source(r) for r in records), key=lambda s: s.doc_id)
    passages = [p for source in sources for p in source.passages]
    tokenizer = bridge_tokenizer(sources, taxonomy)
    tokenized = [tokenizer(p) for p in passages]
    model, assigned = None, []
    if passages:
        model = ThemeModel(taxonomy, parameters, previous, tokenizer.aligned)
        assigned = model.fit_transform(passages, tokenized)
    per_doc: dict[str, list[tuple[Passage, list[PassageTheme]]]] = defaultdict(list)
    for passage, themes in zip(passages, assigned):
        per_doc[passage.doc_id].append((passage, themes))
    themes = {s.doc_id: _document_themes(per_doc.get(s.doc_id, []), model) for s in sources}
    theme_map = _theme_map(taxonomy, parameters, model, passages, assigned, previous or [])
    theme_map["fingerprint"] = corpus_fingerprint(sources, taxonomy, parameters)
    return ThemedCorpus(themes, theme_map)


def _describe(theme_id: str, model: ThemeModel) -> tuple[str, str, str]:
    seeded = model.taxonomy.by_id.get(theme_id)
    if seeded:
        return seeded.label, seeded.label_zh, seeded.group
    theme = next(t for t in model.discovered_.values() if t.id == theme_id)
    return theme.label, theme.label_zh, DISCOVERED


def _document_themes(passages: list[tuple[Passage, list[PassageTheme]]], model: ThemeModel) -> list[DocumentTheme]:
    carried: dict[str, list[tuple[Passage, PassageTheme]]] = defaultdict(list)
    for passage, themes in passages:
        for theme in themes:
            carried[theme.theme_id].append((passage, theme))
    found = []
    for theme_id, hits in carried.items():
        label, label_zh, group = _describe(theme_id, model)
        terms = Counter(t for _, hit in hits for t in hit.terms)
        found.append(DocumentTheme(
            id=theme_id, label=label, label_zh=label_zh, group=group,
            score=round(sum(hit.score for _, hit in hits) / len(passages), 3),
            terms=[t for t, _ in sorted(terms.items(), key=lambda x: (-x[1], x[0]))[:8]],
            passages=[ThemePassage(start=p.start, end=p.end, score=hit.score, terms=list(hit.terms)) for p, hit in hits],
        ))
    return sorted(found, key=lambda t: (-t.score, t.id))


def _theme_map(taxonomy: Taxonomy, parameters: ThemeParameters, model: ThemeModel | None,
               passages: list[Passage], assigned: list[list[PassageTheme]],
               previous: list[DiscoveredTheme]) -> dict:
    hits: dict[str, list[tuple[Passage, PassageTheme]]] = defaultdict(list)
    for passage, themes in zip(passages, assigned):
        for theme in themes:
            hits[theme.theme_id].append((passage, theme))
    entries = []
    for seeded in taxonomy.themes:
        entries.append(_map_entry(seeded.id, seeded.label, seeded.label_zh, seeded.group, hits[seeded.id],
                                  _seed_terms(hits[seeded.id])))
    discovered = list(model.discovered_.values()) if model else []
    active = {t.id for t in discovered}
    for theme in discovered:
        entry = _map_entry(theme.id, theme.label, theme.label_zh, DISCOVERED, hits[theme.id],
                           {"en": theme.top_terms["en"], "zh": theme.top_terms["zh"]})
        entries.append({**entry, "signature": theme.signature})
    for theme in previous:  # kept so their ids are never given to another theme
        if theme.id not in active:
            entries.append({**_map_entry(theme.id, theme.label, theme.label_zh, DISCOVERED, [], {"en": [], "zh": []}),
                            "signature": theme.signature})
    languages = Counter(p.lang for p in passages)
    return {
        "version": THEME_MAP_VERSION,
        "taxonomy": {"version": taxonomy.version, "digest": taxonomy.digest},
        "parameters": {k: list(v) if isinstance(v, tuple) else v for k, v in vars(parameters).items()},  # as JSON reads back
        "documents": len({p.doc_id for p in passages}),
        "passages": {"en": languages["en"], "zh": languages["zh"]},
        "bridge": [vars(a) for a in model.aligned] if model else [],
        "themes": entries,
    }


def _seed_terms(hits: list[tuple[Passage, PassageTheme]]) -> dict[str, list[str]]:
    counts = {"en": Counter(), "zh": Counter()}
    for _, hit in hits:
        for term in hit.terms:
            counts["zh" if CJK_CHAR.search(term) else "en"][term] += 1
    return {lang: [t for t, _ in sorted(c.items(), key=lambda x: (-x[1], x[0]))[:10]] for lang, c in counts.items()}


def _map_entry(theme_id: str, label: str, label_zh: str, group: str, hits: list[tuple[Passage, PassageTheme]],
               top_terms: dict[str, list[str]]) -> dict:
    documents: dict[str, list[float]] = defaultdict(list)
    for passage, hit in hits:
        documents[passage.doc_id].append(hit.score)
    best = sorted(hits, key=lambda h: (-h[1].score, h[0].doc_id, h[0].start))[:REPRESENTATIVE_PASSAGES]
    return {
        "id": theme_id, "label": label, "label_zh": label_zh, "group": group,
        "top_terms": top_terms,
        "passages_by_language": dict(sorted(Counter(p.lang for p, _ in hits).items())),
        "documents": [{"doc_id": d, "passages": len(s), "score": round(max(s), 3)} for d, s in sorted(documents.items())],
        "representative_passages": [
            {"doc_id": p.doc_id, "start": p.start, "end": p.end, "lang": p.lang, "score": hit.score,
             "terms": list(hit.terms), "excerpt": p.text[:240]} for p, hit in best],
    }
