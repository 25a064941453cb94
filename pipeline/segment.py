"""Segment: blocks (paragraphs) with a language each, then sentences and tokens per block.

Each block goes to the spaCy pipeline of its language: blank `en`, or blank `zh`
with jieba. Chinese through the English tokenizer would become one giant token.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from functools import cached_property

import jieba
import jieba.posseg
import spacy
from spacy.language import Language
from spacy.tokens import Doc

from pipeline.cleaning import CJK_CHAR
from pipeline.types import TextSpan

SENTENCE_COMPONENT = "parks_sentences"
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
    and after every line break the cleaner kept: list items, headings and table rows."""

    def __init__(self, end_marks: frozenset[str]) -> None:
        self.end_marks = end_marks

    def __call__(self, doc: Doc) -> Doc:
        boundary_next, after_end_mark = True, False
        for token in doc:
            if token.is_space:
                token.is_sent_start = False if token.i else True
                boundary_next = boundary_next or "\n" in token.text
                continue
            if after_end_mark and (token.text in _CLOSERS or token.text in self.end_marks):
                token.is_sent_start = False  # 。” and …… and ?! stay with their sentence
                continue
            token.is_sent_start = boundary_next
            after_end_mark = token.text in self.end_marks
            boundary_next = after_end_mark or "\n" in token.whitespace_
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


@dataclass(frozen=True, eq=False)
class SegmentedBlock:
    """A block and its spaCy Doc; token offsets are `start + token.idx`."""

    start: int
    end: int
    lang: str
    doc: Doc

    @cached_property
    def token_starts(self) -> frozenset[int]:
        return frozenset(token.idx for token in self.doc)

    @cached_property
    def token_ends(self) -> frozenset[int]:
        return frozenset(token.idx + len(token.text) for token in self.doc)


@dataclass(frozen=True)
class Segmentation:
    blocks: list[SegmentedBlock]

    @property
    def block_spans(self) -> list[TextSpan]:
        return [TextSpan(start=b.start, end=b.end, lang=b.lang) for b in self.blocks]

    @property
    def sentence_spans(self) -> list[TextSpan]:
        spans = []
        for block in self.blocks:
            for sent in block.doc.sents:
                text = sent.text.rstrip()
                if not text.strip():
                    continue
                lead = len(sent.text) - len(sent.text.lstrip())
                start = block.start + sent.start_char + lead
                end = block.start + sent.start_char + len(text)
                spans.append(TextSpan(start=start, end=end, lang=detect_language(text) or block.lang))
        return spans

    def document_language(self) -> str | None:
        """'mixed' when the minority language holds at least a fifth of the content,
        counted in words: a Chinese character, or a Latin word."""
        sizes = {"en": 0, "zh": 0}
        for block in self.blocks:
            sizes[block.lang] += sum(1 for t in block.doc if not (t.is_space or t.is_punct)) if block.lang == "en" \
                else len(CJK_CHAR.findall(block.doc.text))
        total = sum(sizes.values())
        if not total:
            return None
        minority = min(sizes.values()) / total
        if minority >= 0.2:
            return "mixed"
        return max(sizes, key=sizes.get)


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


def segment_text(text: str, segmenter: Segmenter, fallback_lang: str = "en") -> Segmentation:
    """Blocks, each with its language and its tokenised, sentence-split Doc."""
    spans = split_blocks(text)
    langs = [detect_language(text[s:e]) for s, e in spans]
    known = [lang for lang in langs if lang]
    default = max(set(known), key=known.count) if known else fallback_lang
    langs = [lang or default for lang in langs]  # number-only blocks take the document's language
    blocks: list[SegmentedBlock] = []
    for lang in ("en", "zh"):
        indices = [i for i, block_lang in enumerate(langs) if block_lang == lang]
        docs = segmenter.pipeline_for(lang).pipe(text[spans[i][0]:spans[i][1]] for i in indices)
        blocks += [SegmentedBlock(spans[i][0], spans[i][1], lang, doc) for i, doc in zip(indices, docs)]
    return Segmentation(sorted(blocks, key=lambda b: b.start))
