"""Resolved references: "the zone", "this industrial park", "It" opening a sentence, 该园区, 园区,
合作区, 该区 stand for the park they refer to, so that what their sentences say about it can be
attached to it (`pipeline.relations`).

A reference resolves to the closest park named before it in its paragraph that its head word fits
(a "zone" is not an "Industrial Park"), else to the document's main park: the park named most
often, when one is. "It" opening a sentence resolves to the first park of the sentence before.
References are park entities with `source: "reference"` and the id of the mention they resolve
to (`antecedent`), carrying its canonical entity and host country. They are not names: the
evaluation and the dataset do not count them as mentions of a park. The cues live in
`data/references.json`.
"""

from __future__ import annotations

import hashlib
import json
import re
from bisect import bisect_right
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from pipeline.resources import DATA_DIR
from pipeline.types import Entity, TextSpan

REFERENCES_FILE = "references.json"
CJK = re.compile(r"[\u4e00-\u9fff]")
# How sure a resolution is: a park of the same paragraph, the sentence before ("It"), the main park.
CONFIDENCE = {"paragraph": 0.8, "sentence": 0.7, "document": 0.6}


@dataclass(frozen=True)
class Reference:
    start: int
    end: int
    head: str  # the class of parks it can stand for: a key of `compatible` in the data file


class ReferenceCues:
    """`data/references.json`, compiled."""

    def __init__(self, data: dict):
        self.version = data["version"]
        english, chinese = data["english"], data["chinese"]
        self.english_heads = {head.lower(): kind for head, kind in english["heads"].items()}
        modifiers = "|".join(map(re.escape, sorted(english["modifiers"], key=len, reverse=True)))
        self.english = re.compile(
            rf"\b(?:{'|'.join(map(re.escape, english['determiners']))})\s+(?:(?:{modifiers})\s+){{0,{english['max_modifiers']}}}"
            rf"(?P<head>{'|'.join(map(re.escape, sorted(english['heads'], key=len, reverse=True)))})\b(?![-’'])", re.I)
        self.pronoun = re.compile(english["pronoun"])
        self.not_pronoun = re.compile(english["not_pronoun"])
        self.chinese_heads = chinese["heads"]
        heads = "|".join(map(re.escape, sorted(self.chinese_heads, key=len, reverse=True)))
        bare = "|".join(map(re.escape, sorted(set(self.chinese_heads) - set(chinese["only_after_demonstrative"]),
                                              key=len, reverse=True)))
        anywhere = "|".join(map(re.escape, chinese["demonstratives_anywhere"]))
        demonstratives = "|".join(map(re.escape, sorted(chinese["demonstratives"], key=len, reverse=True)))
        # at the start of a clause or after a function word, not the tail of a longer word (经贸合作区, 日本园区)
        boundary = rf"(?:(?<![\u4e00-\u9fff])|(?<=[{re.escape(chinese['bare_after'])}]))"
        longer = rf"(?![{re.escape(chinese['not_followed_by'])}])"  # 该区域 is "this region"
        self.chinese = re.compile(rf"(?:{anywhere}|{boundary}(?:{demonstratives}))(?P<head>{heads}){longer}"
                                  rf"|{boundary}(?P<bare>{bare}){longer}")
        self.compatible = {kind: [w.lower() for w in words] for kind, words in data["compatible"].items()}

    @classmethod
    def load(cls, path: Path = DATA_DIR / REFERENCES_FILE) -> ReferenceCues:
        return cls(json.loads(Path(path).read_text(encoding="utf-8")))

    def fits(self, head: str, park: Entity) -> bool:
        """A park can be called this: its names hold a word of the head's class ('zone', '区')."""
        words = self.compatible[head]
        if not words:
            return True
        canonical = park.canonical
        names = " ".join(n for n in (park.text, canonical.name, canonical.name_zh, *canonical.aliases) if n).lower()
        return any(w in names for w in words)

    def find(self, text: str, sentences: list[TextSpan]) -> list[Reference]:
        """Definite descriptions and Chinese reference words anywhere; 'It' only opening a sentence."""
        found = []
        for match in self.english.finditer(text):
            found.append(Reference(match.start(), match.end(), self.english_heads[match.group("head").lower()]))
        for match in self.chinese.finditer(text):
            head = match.group("head") or match.group("bare")
            found.append(Reference(match.start(), match.end(), self.chinese_heads[head]))
        for sentence in sentences:
            opening = text[sentence.start:sentence.end]
            if sentence.lang == "en" and (m := self.pronoun.match(opening)) and not self.not_pronoun.match(opening):
                found.append(Reference(sentence.start + m.start(), sentence.start + m.end(), "pronoun"))
        return sorted(found, key=lambda r: r.start)


class ReferenceResolver:
    """The references of one document and the park mentions they resolve to."""

    def __init__(self, doc_id: str, text: str, blocks: list[TextSpan], sentences: list[TextSpan],
                 entities: list[Entity], cues: ReferenceCues):
        self.doc_id, self.text, self.blocks, self.sentences, self.cues = doc_id, text, blocks, sentences, cues
        self.parks = sorted((e for e in entities if e.type == "park" and e.canonical), key=lambda e: e.start)
        self.covered = bytearray(len(text))
        for entity in entities:
            self.covered[entity.start:entity.end] = b"\1" * (entity.end - entity.start)
        self.sentence_starts = [s.start for s in sentences]
        self.block_starts = [b.start for b in blocks]

    def main_park(self) -> str | None:
        """The canonical id of the park named most often, when one park is."""
        counts = Counter(p.canonical.id for p in self.parks).most_common(2)
        if not counts or (len(counts) == 2 and counts[0][1] == counts[1][1]):
            return None
        return counts[0][0]

    def references(self) -> list[Entity]:
        if not self.parks:
            return []
        main = self.main_park()
        resolved: list[Entity] = []
        for reference in self.cues.find(self.text, self.sentences):
            if any(self.covered[reference.start:reference.end]):
                continue  # part of a name: "the Sihanoukville SEZ", 中白工业园区
            if reference.head == "pronoun":
                antecedent, basis = self._previous_sentence(reference, resolved), "sentence"
            else:
                antecedent, basis = self._in_paragraph(reference), "paragraph"
                if antecedent is None:
                    antecedent, basis = self._main(reference, main), "document"
            if antecedent is not None:
                resolved.append(self._entity(reference, antecedent, CONFIDENCE[basis]))
        return resolved

    def _in_paragraph(self, reference: Reference) -> Entity | None:
        block = self._index(self.block_starts, reference.start)
        start = self.blocks[block].start if block >= 0 else 0
        before = [p for p in self.parks if start <= p.start and p.end <= reference.start]
        return next((p for p in reversed(before) if self.cues.fits(reference.head, p)), None)

    def _main(self, reference: Reference, main: str | None) -> Entity | None:
        """The main park's last mention before the reference (else its first), when its names fit."""
        mentions = [p for p in self.parks if p.canonical.id == main]
        if not mentions or not self.cues.fits(reference.head, mentions[0]):
            return None
        before = [p for p in mentions if p.end <= reference.start]
        return before[-1] if before else mentions[0]

    def _previous_sentence(self, reference: Reference, resolved: list[Entity]) -> Entity | None:
        """'It' opening a sentence: the first park the sentence before names or refers to."""
        index = self._index(self.sentence_starts, reference.start)
        if index <= 0:
            return None
        previous = self.sentences[index - 1]
        in_previous = [e for e in [*self.parks, *resolved] if previous.start <= e.start and e.end <= previous.end]
        if not in_previous:
            return None
        first = min(in_previous, key=lambda e: e.start)
        return next(p for p in self.parks if p.id == first.antecedent) if first.antecedent else first

    @staticmethod
    def _index(starts: list[int], offset: int) -> int:
        return bisect_right(starts, offset) - 1

    def _entity(self, reference: Reference, antecedent: Entity, confidence: float) -> Entity:
        sentence = max(0, self._index(self.sentence_starts, reference.start))
        lang = self.sentences[sentence].lang if self.sentences else ("zh" if CJK.search(antecedent.text) else "en")
        digest = hashlib.sha256(f"{self.doc_id}|park|{reference.start}|{reference.end}".encode()).hexdigest()[:16]
        return Entity(id=digest, type="park", text=self.text[reference.start:reference.end], start=reference.start,
                      end=reference.end, sentence=sentence, lang=lang, canonical=antecedent.canonical,
                      country=antecedent.country, confidence=confidence, source="reference",
                      antecedent=antecedent.id)


def resolve_references(doc_id: str, text: str, blocks: list[TextSpan], sentences: list[TextSpan],
                       entities: list[Entity], cues: ReferenceCues) -> list[Entity]:
    """The document's references to parks, each resolved to a park mention of `entities`."""
    return ReferenceResolver(doc_id, text, blocks, sentences, entities, cues).references()
