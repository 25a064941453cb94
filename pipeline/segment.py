"""Segment: blocks (paragraphs) with a language each, then sentences and tokens per block.

Each block goes to the spaCy pipeline of its language: blank `en`, or blank `zh`
with jieba. Chinese through the English tokenizer would become one giant token.
"""

from __future__ import annotations

import logging
import re
from collections import Counter
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from functools import cached_property

import jieba
import jieba.posseg
import numpy
import spacy
import srsly
from spacy.attrs import IDX, IS_PUNCT, IS_SPACE, LENGTH, ORTH, SENT_START
from spacy.language import Language
from spacy.strings import get_string_id
from spacy.tokens import Doc

from pipeline.cleaning import CJK_CHAR
from pipeline.types import TextSpan

SENTENCE_COMPONENT = "parks_sentences"
# Strings the pipelines keep for good (a warm tokenizer cache: common words) before every
# document's own are dropped after it; past this, a corpus of 1,000 papers added 250 MB.
WARM_STRINGS = 60_000
# Sentence-final marks per language. English ';' joins clauses; Chinese '；' and '……'
# end units a reader treats as sentences.
SENTENCE_END = {
    "en": frozenset({".", "!", "?", "...", "…", "。", "！", "？"}),  # mixed blocks go to `en`
    "zh": frozenset({"。", "！", "？", "；", "…", "……", "!", "?"}),
}
_CLOSERS = frozenset({"”", "’", '"', "'", ")", "）", "」", "』", "》", "]"})
_LATIN = re.compile(r"[A-Za-z]")


@Language.factory(SENTENCE_COMPONENT, default_config={"lang": "en"})
def make_sentence_boundaries(nlp: Language, name: str, lang: str):
    return SentenceBoundaries(SENTENCE_END[lang])


class SentenceBoundaries:
    """Starts a sentence after a sentence-final mark (and any closing quotes after it)
    and after every line break the cleaner kept: list items, headings and table rows.

    Works on the Doc's attribute arrays and sets all boundaries at once: spaCy's
    `Token.is_sent_start` setter scans the whole Doc on every call, which made long
    blocks quadratic. A token's trailing whitespace is one space at most, so a kept
    line break is always a space token of its own."""

    def __init__(self, end_marks: frozenset[str]) -> None:
        self._end_ids = frozenset(get_string_id(mark) for mark in end_marks)
        self._closer_ids = frozenset(get_string_id(mark) for mark in _CLOSERS) | self._end_ids

    def __call__(self, doc: Doc) -> Doc:
        if not len(doc):
            return doc
        strings = doc.vocab.strings
        starts = []
        boundary_next, after_end_mark = True, False
        for i, (orth, is_space) in enumerate(doc.to_array([ORTH, IS_SPACE]).tolist()):
            if is_space:
                starts.append(-1 if i else 1)
                boundary_next = boundary_next or "\n" in strings[orth]
                continue
            if after_end_mark and orth in self._closer_ids:
                starts.append(-1)  # 。” and …… and ?! stay with their sentence
                continue
            starts.append(1 if boundary_next else -1)
            after_end_mark = boundary_next = orth in self._end_ids
        doc.from_array([SENT_START], numpy.array(starts, dtype=numpy.int64).astype(numpy.uint64))
        return doc


def detect_language(text: str) -> str | None:
    """'zh' or 'en' by script; None when the text has neither Chinese nor Latin letters.
    One Chinese character carries about a word, so it outweighs one Latin letter."""
    cjk = len(CJK_CHAR.findall(text))
    latin = len(_LATIN.findall(text))
    if not cjk and not latin:
        return None
    return "zh" if cjk * 3 >= latin else "en"


@dataclass(frozen=True)
class Segmenter:
    """The two spaCy pipelines. Build once per process: loading jieba takes a second or two."""

    @cached_property
    def nlp_en(self) -> Language:
        nlp = spacy.blank("en")
        nlp.add_pipe(SENTENCE_COMPONENT, config={"lang": "en"})
        return nlp

    @cached_property
    def nlp_zh(self) -> Language:
        jieba.setLogLevel(logging.WARNING)
        nlp = spacy.blank("zh", config={"nlp": {"tokenizer": {"segmenter": "jieba"}}})
        # A tokenizer of our own, so dictionary additions never leak into jieba's global one.
        nlp.tokenizer.jieba_seg = jieba.Tokenizer()
        nlp.add_pipe(SENTENCE_COMPONENT, config={"lang": "zh"})
        return nlp

    @cached_property
    def pos_tagger(self) -> jieba.posseg.POSTokenizer:
        """jieba's part-of-speech tags (ns place, nr person, nt organisation) on our tokenizer."""
        return jieba.posseg.POSTokenizer(self.nlp_zh.tokenizer.jieba_seg)

    def pipeline_for(self, lang: str) -> Language:
        return self.nlp_zh if lang == "zh" else self.nlp_en

    @contextmanager
    def memory_zone(self):
        """Docs made inside must not be used after it: spaCy's memory zones drop the strings and
        lexemes they added, or a long run's vocabulary grows with every rare word. Only once the
        vocabularies hold `WARM_STRINGS`: inside a zone the tokenizer caches nothing, so the
        first documents of a process warm it."""
        with ExitStack() as zones:
            if len(self.nlp_en.vocab.strings) + len(self.nlp_zh.vocab.strings) >= WARM_STRINGS:
                zones.enter_context(self.nlp_en.memory_zone())
                zones.enter_context(self.nlp_zh.memory_zone())
            yield


@dataclass(frozen=True, eq=False)
class SegmentedBlock:
    """A block and its spaCy Doc; token offsets are `start + token.idx`. `text` is the block's
    text, the same as `doc.text` (which spaCy rebuilds token by token on every access)."""

    start: int
    end: int
    lang: str
    doc: Doc
    text: str

    @cached_property
    def token_rows(self) -> numpy.ndarray:
        """Each token's offset in the block, length and sentence start (1 or -1): read from the
        Doc's arrays once, not token by token."""
        return self.doc.to_array([IDX, LENGTH, SENT_START]).astype(numpy.int64).reshape(-1, 3)

    @cached_property
    def token_starts(self) -> frozenset[int]:
        return frozenset(self.token_rows[:, 0].tolist())

    @cached_property
    def token_ends(self) -> frozenset[int]:
        return frozenset((self.token_rows[:, 0] + self.token_rows[:, 1]).tolist())

    def sentence_texts(self):
        """(start, text) of each sentence, offsets in the block: the Doc's sentences, cut from its text."""
        if not len(self.doc):
            return
        text = self.text
        rows = self.token_rows.tolist()
        first = 0
        for i in [i for i in range(1, len(rows)) if rows[i][2] == 1] + [len(rows)]:
            start, end = rows[first][0], rows[i - 1][0] + rows[i - 1][1]
            yield start, text[start:end]
            first = i


@dataclass(frozen=True)
class Segmentation:
    blocks: list[SegmentedBlock]

    def to_bytes(self) -> bytes:
        """Blocks and each token's offset, length and sentence start: the words come back from
        the text, so saving costs a sixtieth of segmenting and loading a seventh."""
        return srsly.msgpack_dumps({
            "blocks": [[b.start, b.end, b.lang] for b in self.blocks],
            "tokens": [b.token_rows.astype(numpy.int32).tobytes() for b in self.blocks]})

    @classmethod
    def from_bytes(cls, data: bytes, text: str, segmenter: Segmenter) -> Segmentation:
        """The segmentation `to_bytes` saved of `text`."""
        saved = srsly.msgpack_loads(data)
        blocks = []
        for (start, end, lang), tokens in zip(saved["blocks"], saved["tokens"], strict=True):
            rows = numpy.frombuffer(tokens, dtype=numpy.int32).reshape(-1, 3).tolist()
            block_text = text[start:end]
            ends = [idx + length for idx, length, _ in rows]
            follows = [idx for idx, _, _ in rows[1:]] + [len(block_text)]
            doc = Doc(segmenter.pipeline_for(lang).vocab, words=[block_text[idx:e] for (idx, _, _), e in zip(rows, ends)],
                      spaces=[nxt > e for e, nxt in zip(ends, follows)], sent_starts=[row[2] == 1 for row in rows])
            blocks.append(SegmentedBlock(start, end, lang, doc, block_text))
        return cls(blocks)

    @property
    def block_spans(self) -> list[TextSpan]:
        return [TextSpan(start=b.start, end=b.end, lang=b.lang) for b in self.blocks]

    @cached_property
    def sentence_spans(self) -> list[TextSpan]:
        spans = []
        for block in self.blocks:
            for start_char, sent_text in block.sentence_texts():
                text = sent_text.rstrip()
                if not text.strip():
                    continue
                lead = len(sent_text) - len(sent_text.lstrip())
                start = block.start + start_char + lead
                end = block.start + start_char + len(text)
                spans.append(TextSpan(start=start, end=end, lang=detect_language(text) or block.lang))
        return spans

    def document_language(self) -> str | None:
        """'mixed' when the minority language holds at least a fifth of the content,
        counted in words: a Chinese character, or a Latin word."""
        sizes = {"en": 0, "zh": 0}
        for block in self.blocks:
            sizes[block.lang] += _words(block.doc) if block.lang == "en" else len(CJK_CHAR.findall(block.text))
        total = sum(sizes.values())
        if not total:
            return None
        minority = min(sizes.values()) / total
        if minority >= 0.2:
            return "mixed"
        return max(sizes, key=sizes.get)


def _words(doc: Doc) -> int:
    """Tokens that are neither space nor punctuation."""
    if not len(doc):
        return 0
    return int((doc.to_array([IS_SPACE, IS_PUNCT]).sum(axis=1) == 0).sum())


def split_blocks(text: str) -> list[tuple[int, int]]:
    """Paragraph spans: the cleaner separates paragraphs by one blank line."""
    spans, start = [], 0
    for match in re.finditer(r"\n\s*\n", text):
        if text[start:match.start()].strip():
            spans.append((start, match.start()))
        start = match.end()
    if text[start:].strip():
        spans.append((start, len(text.rstrip())))
    return spans


def block_languages(text: str, fallback_lang: str = "en") -> list[tuple[int, int, str]]:
    """Paragraph spans with the language whose pipeline segments them."""
    spans = split_blocks(text)
    langs = [detect_language(text[s:e]) for s, e in spans]
    known = Counter(lang for lang in langs if lang)  # a tie goes to the language seen first, in every process
    default = known.most_common(1)[0][0] if known else fallback_lang
    return [(s, e, lang or default) for (s, e), lang in zip(spans, langs)]  # number-only blocks: the document's


def segment_text(text: str, segmenter: Segmenter, fallback_lang: str = "en") -> Segmentation:
    """Blocks, each with its language and its tokenised, sentence-split Doc."""
    spans = block_languages(text, fallback_lang)
    blocks: list[SegmentedBlock] = []
    for lang in ("en", "zh"):
        mine = [(start, end) for start, end, block_lang in spans if block_lang == lang]
        docs = segmenter.pipeline_for(lang).pipe(text[start:end] for start, end in mine)
        blocks += [SegmentedBlock(start, end, lang, doc, text[start:end]) for (start, end), doc in zip(mine, docs)]
    return Segmentation(sorted(blocks, key=lambda b: b.start))
