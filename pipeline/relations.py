"""Relations stated in sentences: park in country, company develops / operates / invests in / is a
tenant of park, figure about park, park founded in a year.

What one sentence says: a relation needs both ends in the same sentence (and a cue word for a
company), and carries that sentence as its evidence. A park is in a sentence by its name or by a
resolved reference to it ("the zone", "It", 该园区: `pipeline.coreference`), so relations reach
across sentences; and a figure in a sentence naming no park belongs to the one park of its
paragraph, when the paragraph names one (Chinese drops the subject: 园区… 。已入驻企业35家). The
cues live in `data/relations.json`.
"""

from __future__ import annotations

import json
import re
from bisect import bisect_right
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Literal

from pipeline.resources import DATA_DIR
from pipeline.types import DocumentRecord, Entity

CLAUSE_END = re.compile(r"[,;，；:：、]|\band\b|\bwhile\b|\bwith\b")
RANGE_GAP = re.compile(r"\s?[-–—~～]\s?")  # '30000-50000个', '10亿-20亿美金'; not 从10家到35家, a change



@dataclass(frozen=True)
class Evidence:
    doc_id: str
    sentence: int
    start: int
    end: int
    text: str


RelationKind = Literal["in_country", "develops", "operates", "invests", "tenant", "figure", "founded"]


@dataclass(frozen=True)
class Relation:
    kind: RelationKind
    park: Entity
    evidence: Evidence
    other: Entity | None = None       # the country, company or figure
    figure_kind: str | None = None    # investment, enterprises, jobs, area, output, tax, trade, other
    as_of: int | None = None
    qualifier: str | None = None
    year: int | None = None           # founded


def _bounded(cue: str) -> str:
    """English cues start at a word boundary; Chinese has none."""
    return f"(?:{cue})" if re.search(r"[\u4e00-\u9fff]", cue) or cue.startswith("(?<") else rf"\b(?:{cue})"


def _alternation(cues: list[str]) -> re.Pattern:
    """Longest cue first, so 'investment attraction' is not read as 'investment'."""
    return re.compile("|".join(_bounded(c) for c in sorted(cues, key=len, reverse=True)), re.I)


class RelationCues:
    """`data/relations.json`, compiled."""

    def __init__(self, data: dict):
        self.version = data["version"]
        cues = sorted(((cue, kind) for kind, cues in data["company_relations"].items() for cue in cues),
                      key=lambda pair: len(pair[0]), reverse=True)
        self.company_kinds = {f"cue{i}": kind for i, (_, kind) in enumerate(cues)}
        self.company = re.compile("|".join(f"(?P<cue{i}>{_bounded(cue)})" for i, (cue, _) in enumerate(cues)), re.I)
        kinds = data["figure_kinds"]
        self.money_units = set(kinds["money"]["units"])
        self.area_units = set(kinds["area"])
        self.money_default = kinds["money"]["default"]
        self.money = {kind: _alternation(cues) for kind, cues in kinds["money"]["cues"].items()}
        self.count = {kind: _alternation(cues) for kind, cues in kinds["count"].items()}
        self.count_clause = {kind: _alternation(cues) for kind, cues in data["count_clause_kinds"].items()}
        owners = data["not_park_figure_owners"]
        self.not_park_owner_en = re.compile(owners["en"], re.I)
        self.not_park_owner_zh = re.compile(owners["zh"])
        self.park_after = re.compile(data["figure_park_after"], re.I)
        self.source_before = re.compile(data["figure_source_before"], re.I)
        self.not_park_nouns = set(data["not_park_count_nouns"])
        self.not_park = _alternation(data["not_park_cues"])
        self.company_not = _alternation(data["company_not_cues"])
        self.company_window = data["company_cue_window"]
        self.country_before = re.compile(data["in_country"]["country_before"], re.I)
        self.country_after = re.compile(data["in_country"]["country_after"], re.I)
        self.place_after = re.compile(data["in_country"]["place_after"])  # a city's name is capitalised
        self.qualifier = re.compile(rf"(?<![A-Za-z])(?:{'|'.join(sorted(map(re.escape, data['qualifiers']), key=len, reverse=True))})"
                                    r"\s*$", re.I)
        self.qualifier_suffixes = data["qualifier_suffixes"]
        self.as_of = [re.compile(p, re.I) for p in data["as_of"]]
        self.founded = [re.compile(p, re.I) for p in data["founded"]]
        self.founded_before = [re.compile(p) for p in data["founded_before"]]
        self.founded_right_after = re.compile(data["founded_right_after"])
        self.year = re.compile(r"(?<!\d)((?:19|20)\d{2})\s*年")
        self.company_possessive = re.compile(data["company_possessive"])
        self.paragraph_figures = data["paragraph_figures"]

    @classmethod
    def load(cls, path: Path = DATA_DIR / "relations.json") -> RelationCues:
        return cls(json.loads(Path(path).read_text(encoding="utf-8")))


class SentenceRelations:
    """The relations of one document's sentences that mention a park."""

    def __init__(self, record: DocumentRecord, cues: RelationCues):
        self.record, self.cues = record, cues

    @cached_property
    def entities(self) -> list[Entity]:
        """Names, and references standing for the park they resolve to now (a reviewer may have
        corrected it); a reference to a rejected mention stands for nothing."""
        by_id = {e.id: e for e in self.record.entities if e.source != "reference"}
        entities = []
        for entity in self.record.entities:
            if entity.source == "reference":
                antecedent = by_id.get(entity.antecedent)
                if antecedent is None or antecedent.canonical is None:
                    continue
                entity = entity.model_copy(update={"canonical": antecedent.canonical, "country": antecedent.country})
            entities.append(entity)
        return entities

    @cached_property
    def by_sentence(self) -> dict[int, list[Entity]]:
        """Mentions by the sentence their offsets fall in (a mention a review brought back may carry
        the sentence index of an older segmentation)."""
        starts = [s.start for s in self.record.sentences]
        grouped: dict[int, list[Entity]] = {}
        for entity in self.entities:
            index = bisect_right(starts, entity.start) - 1
            if index >= 0 and entity.end <= self.record.sentences[index].end:
                grouped.setdefault(index, []).append(entity)
        return grouped

    @cached_property
    def paragraph_park(self) -> dict[int, Entity]:
        """Sentence index -> the one park its paragraph names or refers to, for paragraphs with one."""
        block_starts = [b.start for b in self.record.blocks]
        parks: dict[int, dict[str, Entity]] = {}
        for index, entities in self.by_sentence.items():
            block = bisect_right(block_starts, self.record.sentences[index].start) - 1
            for park in (e for e in entities if e.type == "park" and e.canonical):
                parks.setdefault(block, {}).setdefault(park.canonical.id, park)
        only = {block: next(iter(found.values())) for block, found in parks.items() if len(found) == 1}
        return {index: only[block] for index, sentence in enumerate(self.record.sentences)
                if (block := bisect_right(block_starts, sentence.start) - 1) in only}

    def relations(self) -> list[Relation]:
        found = []
        for index, entities in sorted(self.by_sentence.items()):
            entities = sorted(entities, key=lambda e: e.start)
            parks = [e for e in entities if e.type == "park" and e.canonical]
            if parks:
                found += self._sentence(index, entities, parks)
            elif self.cues.paragraph_figures and index in self.paragraph_park:
                found += self._paragraph_figures(index, entities, self.paragraph_park[index])
        return _once(found)

    def _evidence(self, index: int) -> Evidence:
        span = self.record.sentences[index]
        return Evidence(self.record.doc_id, index, span.start, span.end, self.record.text[span.start:span.end])

    def _paragraph_figures(self, index: int, entities: list[Entity], park: Entity) -> list[Relation]:
        """Figures of a sentence naming no park (nor a company, unless as the source of what it says,
        or a country but China and the park's host, whose figures they would be), about the one park
        of its paragraph."""
        evidence = self._evidence(index)
        if any((e.type == "company" and not self._source(e, evidence))
               or (e.type == "country" and e.country not in ("CN", park.country))
               for e in entities):  # "中国有色集团…拥有9家出资企业": the company's figures, not the park's
            return []
        return [r for figure in entities if figure.type == "figure"
                for r in self._figure(figure, [park], evidence) if r.figure_kind != "other"]

    def _source(self, company: Entity, evidence: Evidence) -> bool:
        """The company is who a figure comes from ("according to ..., First Deputy Director General of
        the Industrial Park Development Company, 2,820 jobs ..."; 据…公司介绍), not whose it is."""
        return bool(self.cues.source_before.search(self.record.text[evidence.start:company.start]))

    def _sentence(self, index: int, entities: list[Entity], parks: list[Entity]) -> list[Relation]:
        span = self.record.sentences[index]
        evidence = self._evidence(index)
        # cue words count outside mentions: "Egypt TEDA Investment Company" invests in nothing
        masked = list(self.record.text[span.start:span.end])
        for entity in entities:
            masked[entity.start - span.start:entity.end - span.start] = " " * (entity.end - entity.start)
        bare = "".join(masked)
        relations = []
        for park in parks:
            for country in (e for e in entities if e.type == "country" and e.country and self._places(e, park)):
                relations.append(Relation("in_country", park, evidence, country))
            if (year := self._founded(park, evidence, parks)) is not None:
                relations.append(Relation("founded", park, evidence, year=year))
        companies = [e for e in entities if e.type == "company" and e.canonical and not any(_inside(e, p) for p in parks)]
        for company in companies:
            park = min(parks, key=lambda p: _distance(p, company))
            for kind in self._company_kinds(company, park, bare, span.start):
                relations.append(Relation(kind, park, evidence, company))
        for figure in (e for e in entities if e.type == "figure"):
            relations += self._figure(figure, parks, evidence)
        return relations

    def _company_kinds(self, company: Entity, park: Entity, bare: str, offset: int) -> list[str]:
        """The cues between the company and the park, and a few words around them ("TusHoldings,
        the developer of Tsinghua Science Park"; "the ... Zone, co-developed by Hongdou Group")."""
        start = max(min(company.start, park.start) - self.cues.company_window - offset, 0)
        window = bare[start:max(company.end, park.end) + self.cues.company_window - offset]
        window = self.cues.company_not.sub(lambda m: " " * len(m.group(0)), window)  # "一带一路建设"
        kinds = {self.cues.company_kinds[m.lastgroup] for m in self.cues.company.finditer(window)}
        if kinds & {"develops", "tenant"}:  # "invested ... to establish the park": its developer; 入驻: a tenant
            kinds.discard("invests")
        if "tenant" in kinds:  # 带动招商，引入了…企业，如A、B: the park's operator attracted them, they are tenants
            kinds.discard("operates")
        text = self.record.text
        if company.end <= park.start and self.cues.company_possessive.match(text[company.end:park.start]):
            kinds.add("develops")  # "Yunnan Rubber Investment's Rubber Plantation Zone"
        return sorted(kinds)

    def _places(self, country: Entity, park: Entity) -> bool:
        """A country in the name of a park no list places ("Huaxin China-Russia ... Zone"; China,
        the partner, aside), or right beside the park: "Pakistan's Gwadar ... Park",
        "柬埔寨西哈努克港经济特区"; not "Sany Heavy Industry Park in Pune, India" (a city between),
        nor the 中 of a split 中韩自贸区."""
        if _inside(country, park):
            return park.country is None and country.country != "CN"
        text = self.record.text
        if country.end <= park.start:
            gap = text[country.end:park.start]
            return bool(self.cues.country_before.match(gap)) and not (country.country == "CN" and not gap.strip())
        return bool(self.cues.country_after.match(text[park.end:country.start]))

    def _founded(self, park: Entity, evidence: Evidence, parks: list[Entity]) -> int | None:
        """A founding year stated after this park and before the next one ("..., launched in 2007"),
        leading up to it ("In 2012, ... invested 3.2 billion RMB to establish the ... Park"; "First
        established in 2007, the zone"), or around it (2007年…为…合作区揭牌)."""
        following = [p.start for p in parks if p.start > park.end]
        preceding = [p.end for p in parks if p.end <= park.start]
        after = self.record.text[park.end:min(following + [evidence.end])]
        before = self.record.text[max(preceding + [evidence.start]):park.start]
        for patterns, clause in ((self.cues.founded, after), (self.cues.founded_before, before)):
            for pattern in patterns:
                if match := pattern.search(clause):
                    return int(match.group(1))
        years = self.cues.year.findall(before)  # "2008年，由该集团主导建设的西港特区在柬埔寨奠基"
        if years and self.cues.founded_right_after.match(after):
            return int(years[-1])
        return None

    def _figure(self, figure: Entity, parks: list[Entity], evidence: Evidence) -> list[Relation]:
        upper, lower = self.ranges
        if figure.id in lower:
            return []  # '30000-50000个': the range is one figure, its lower end's (below)
        kind = self._figure_kind(figure, evidence)
        if kind is None:
            return []
        park = self._park_of(figure, parks, kind)
        if park is None or self._owned_by_other(figure, park, parks, evidence):
            return []
        text = self.record.text
        qualifier = self.cues.qualifier.search(text[max(evidence.start, figure.start - 16):figure.start])
        suffix = next((s for s in self.cues.qualifier_suffixes if s in figure.text), None)
        qualifier = qualifier.group(0).strip().lower() if qualifier else suffix
        if figure.id in upper:
            qualifier = f"{qualifier} " * bool(qualifier) + f"to {upper[figure.id].text}"
        return [Relation("figure", park, evidence, figure, figure_kind=kind, as_of=self._as_of(figure, evidence),
                         qualifier=qualifier)]

    def _park_of(self, figure: Entity, parks: list[Entity], kind: str) -> Entity | None:
        """The park named last before the figure ("The SSEZ ... 74 companies"), unless the figure goes
        into a park named right after it ("invest another $50 million in the MFEZ"); a figure before
        the sentence's one park is that park's."""
        after = [p for p in parks if p.start >= figure.end]
        if after and self.cues.park_after.search(self.record.text[figure.end:after[0].start]):
            return after[0]
        before = [p for p in parks if p.end <= figure.start]
        if before:
            return before[-1]
        return parks[0] if len(parks) == 1 and kind != "other" else None

    def _owned_by_other(self, figure: Entity, park: Entity, parks: list[Entity], evidence: Evidence) -> bool:
        """A plant's or a manufacturer's figure, or a named project's, not the park's: in English such a
        word between the park (or the sentence's start, when the park comes later) and the figure ("the
        first ever copper foil plant with a total investment of $400 million"); in Chinese a named
        project opening a clause of the sentence before the figure (联合钢铁项目作为…产业园首个入园项目,
        …总投资14亿美元), where the park's own project (塞尔维亚中国工业园项目) and 项目 alone are the park's."""
        text = self.record.text
        if figure.lang == "zh":
            masked = list(text[evidence.start:figure.start])
            for other in parks:
                if other.end <= figure.start:
                    masked[other.start - evidence.start:other.end - evidence.start] = "，" * (other.end - other.start)
            return bool(self.cues.not_park_owner_zh.search("。" + "".join(masked)))
        start = park.end if park.end <= figure.start else evidence.start
        return bool(self.cues.not_park_owner_en.search(text[start:figure.start]))

    @cached_property
    def ranges(self) -> tuple[dict[str, Entity], dict[str, Entity]]:
        """The ranges of every sentence, found once: (lower end's id -> upper end, upper end's id ->
        lower end) for two figures of one unit, ascending, with only a dash between them (so next to
        each other: figures do not overlap)."""
        upper, lower = {}, {}
        for entities in self.by_sentence.values():
            figures = sorted((e for e in entities if e.type == "figure"), key=lambda e: e.start)
            for low, high in zip(figures, figures[1:]):
                if low.end <= high.start and low.unit == high.unit and low.value <= high.value \
                        and RANGE_GAP.fullmatch(self.record.text[low.end:high.start]):
                    upper[low.id], lower[high.id] = high, low
        return upper, lower

    def _clause(self, figure: Entity, evidence: Evidence) -> str:
        """The figure and the words around it up to the nearest clause breaks."""
        text = self.record.text
        left = text[evidence.start:figure.start]
        breaks = list(CLAUSE_END.finditer(left))
        start = evidence.start + breaks[-1].end() if breaks else evidence.start
        right = text[figure.end:evidence.end]
        after = CLAUSE_END.search(right)
        return text[start:figure.end + (after.start() if after else len(right))]

    def _figure_kind(self, figure: Entity, evidence: Evidence) -> str | None:
        if figure.unit in self.cues.area_units:
            return "area"
        clause = self._clause(figure, evidence)
        if self.cues.not_park.search(clause):
            return None
        if figure.unit in self.cues.money_units:
            return next((kind for kind, cue in self.cues.money.items() if cue.search(clause)), self.cues.money_default)
        if figure.unit != "count" or (figure.noun or "") in self.cues.not_park_nouns:
            return None
        words = figure.text + " " + (figure.noun or "")
        for kind, cue in self.cues.count.items():
            if cue.search(words):
                return kind
        for kind, cue in self.cues.count_clause.items():  # "work opportunities to 14,000 Cambodian nationals"
            if cue.search(clause):                           # 就业30000个, 创造3-5万个劳动就业岗位
                return kind
        return "other"

    def _as_of(self, figure: Entity, evidence: Evidence) -> int | None:
        """The last year marker before the figure in its sentence."""
        before = self.record.text[evidence.start:figure.start]
        years = [(m.start(), int(m.group(1))) for pattern in self.cues.as_of for m in pattern.finditer(before)]
        return max(years)[1] if years else None


def _once(relations: list[Relation]) -> list[Relation]:
    """A park named and referred to in one sentence: each claim once."""
    seen, kept = set(), []
    for r in relations:
        key = (r.kind, r.park.canonical.id, r.evidence, r.other.id if r.other else None, r.figure_kind, r.year)
        if key not in seen:
            seen.add(key)
            kept.append(r)
    return kept


def _inside(inner: Entity, outer: Entity) -> bool:
    return outer.start <= inner.start and inner.end <= outer.end


def _distance(a: Entity, b: Entity) -> int:
    return max(a.start - b.end, b.start - a.end, 0)


def document_relations(record: DocumentRecord, cues: RelationCues) -> list[Relation]:
    return SentenceRelations(record, cues).relations() if record.status == "ok" else []
