"""The cross-document dataset: one record per park, company and country, each claim with the
sentence it comes from.

Built from the document records (reviewers' decisions already applied: rejected mentions are
gone, corrections are in) and the relations their sentences state. Conflicting figures or
founding years from different documents stay side by side with their sources; nothing is
averaged or overwritten.
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from pathlib import Path
from typing import Literal, get_args

from babel import Locale
from pydantic import BaseModel, ConfigDict, Field

from pipeline.files import write_atomically
from pipeline.records import RECORDS_DIR, read_record
from pipeline.relations import Evidence, Relation, RelationCues, document_relations
from pipeline.types import DocumentRecord, Entity, ReviewStatus

DATASET_FILES = {"park": "parks.json", "company": "companies.json", "country": "countries.json"}
FigureKind = Literal["investment", "enterprises", "jobs", "area", "output", "tax", "trade", "other"]
CompanyRelation = Literal["develops", "operates", "invests", "tenant"]
Scope = Literal["overseas", "domestic"]
LinkBasis = Literal["gazetteer", "variant", "place name", "pinyin", "translation pair", "review"]
_EN, _ZH = Locale("en"), Locale("zh")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Source(_Strict):
    """Where a claim is stated: a sentence of a document record (offsets into its `text`)."""
    doc_id: str
    sentence: int
    start: int
    end: int
    text: str


class Names(_Strict):
    en: str | None
    zh: str | None
    aliases: list[str] = Field(description="Every surface form seen in the documents, and the gazetteer's aliases.")


class CountryRef(_Strict):
    iso: str
    name: str | None
    name_zh: str | None


class HostCountry(CountryRef):
    basis: Literal["gazetteer", "linking", "place name", "sentence", "paragraph", "document", "review"] = Field(
        description="'gazetteer': the park list names the host; 'linking': entity linking placed a park no list "
                    "knows from the words beside it; 'place name': a place in its name (Gwadar -> PK); "
                    "'sentence': a sentence places it ('Pakistan's ... Park', '... in X'); 'paragraph': the one "
                    "foreign country of the paragraphs that name it; 'document': the foreign country its "
                    "documents are about; 'review': a reviewer set it.")
    sources: list[Source] = Field(default_factory=list, description="Sentences naming the park and this country.")


class Member(_Strict):
    """One name the resolver (or a reviewer) joined into an entity: the id the document records
    give it, and why it belongs."""
    id: str = Field(description="The canonical id in the document records ('park:new:...' for a name no "
                                "gazetteer lists).")
    names: list[str] = Field(description="Its surface forms in the documents.")
    basis: LinkBasis | Literal["self"] = Field(description="'self' for the member the entity is named after.")
    score: float = Field(ge=0, le=1, description="How strongly the basis ties it (1 for a gazetteer or review).")


class CandidateLink(_Strict):
    """A link the resolver was not sure enough of to make: offered to reviewers, never merged."""
    other: str = Field(description="id of the other entity in the same file.")
    name: str | None
    name_zh: str | None
    basis: LinkBasis
    score: float = Field(ge=0, le=1)


class CompanyLink(_Strict):
    company: str = Field(description="Company id in companies.json.")
    name: str | None
    name_zh: str | None
    relation: CompanyRelation
    sources: list[Source]


class ParkFigure(_Strict):
    kind: FigureKind
    value: float | None
    unit: str | None
    as_of: int | None = Field(description="The year the sentence gives for the figure, if any.")
    qualifier: str | None = Field(description="about, more than, 约, 超过, 余 ... as written.")
    text: str
    entity: str = Field(description="id of the figure mention in its document record.")
    review_status: ReviewStatus
    source: Source


class Founding(_Strict):
    year: int
    source: Source


class ThemeLink(_Strict):
    id: str
    label: str
    label_zh: str
    passages: int = Field(description="Passages carrying the theme that mention the park.")
    sources: list[dict] = Field(description="doc_id, start, end of those passages.")


class DocumentRef(_Strict):
    doc_id: str
    title: str | None
    mentions: int


class ReviewSummary(_Strict):
    status: Literal["pending", "partly reviewed", "reviewed"]
    mentions: dict[str, int] = Field(description="Mentions by review status (rejected ones are not counted).")


class ParkRecord(_Strict):
    id: str = Field(description="Stable: kept when documents are added (an id published before wins when "
                                "entities merge).")
    names: Names
    scope: Scope | None = Field(default=None, description="'domestic' for a zone in China, 'overseas' otherwise; "
                                                          "null when no host is known.")
    scope_basis: Literal["host", "review"] | None = None
    host_country: HostCountry | None
    other_countries: list[HostCountry] = Field(default_factory=list, description="Other countries sentences place "
                                                                                 "the park in, side by side.")
    park_types: list[ThemeLink] = Field(default_factory=list)
    development_modes: list[ThemeLink] = Field(default_factory=list)
    companies: list[CompanyLink] = Field(default_factory=list)
    founded: list[Founding] = Field(default_factory=list)
    figures: list[ParkFigure] = Field(default_factory=list)
    documents: list[DocumentRef]
    members: list[Member] = Field(default_factory=list)
    candidates: list[CandidateLink] = Field(default_factory=list)
    review: ReviewSummary


class ParkLink(_Strict):
    park: str
    name: str | None
    name_zh: str | None
    relation: CompanyRelation
    sources: list[Source]


class CompanyRecord(_Strict):
    id: str
    names: Names
    country: str | None
    parks: list[ParkLink] = Field(default_factory=list)
    documents: list[DocumentRef]
    members: list[Member] = Field(default_factory=list)
    candidates: list[CandidateLink] = Field(default_factory=list)
    review: ReviewSummary


class CountryRecord(_Strict):
    id: str = Field(description="ISO 3166-1 alpha-2.")
    names: Names
    parks: list[str] = Field(default_factory=list, description="Parks it hosts (ids in parks.json).")
    documents: list[DocumentRef]
    review: ReviewSummary


class Dataset(_Strict):
    parks: list[ParkRecord]
    companies: list[CompanyRecord]
    countries: list[CountryRecord]


def _source(evidence: Evidence) -> Source:
    return Source(doc_id=evidence.doc_id, sentence=evidence.sentence, start=evidence.start, end=evidence.end,
                  text=evidence.text)


def _review(statuses: list[str]) -> ReviewSummary:
    counts = Counter(statuses)
    pending = counts.get("pending", 0)
    status = "pending" if pending == len(statuses) else "reviewed" if not pending else "partly reviewed"
    return ReviewSummary(status=status, mentions=dict(sorted(counts.items())))


def country_names(iso: str) -> tuple[str | None, str | None]:
    """CLDR names (babel), the same in every table."""
    return _EN.territories.get(iso), _ZH.territories.get(iso)


class DatasetBuilder:
    """Reads document records one at a time (the corpus is never held in memory) and collects
    what the dataset needs from each."""

    def __init__(self, cues: RelationCues):
        self.cues = cues
        self.mentions: dict[str, list[tuple[str, Entity]]] = defaultdict(list)  # canonical id -> (doc_id, mention)
        self.titles: dict[str, str | None] = {}
        self.relations: list[Relation] = []
        self.theme_links: dict[str, dict[str, ThemeLink]] = defaultdict(dict)  # park id -> theme id -> link
        self.theme_groups: dict[str, str] = {}

    def add(self, record: DocumentRecord) -> None:
        if record.status != "ok":
            return
        self.titles[record.doc_id] = record.metadata.title or record.metadata.title_zh
        for entity in record.entities:
            if entity.type != "figure" and entity.canonical and entity.source != "reference":  # not a name
                self.mentions[entity.canonical.id].append((record.doc_id, entity))
        self.relations += document_relations(record, self.cues)
        parks = [e for e in record.entities if e.type == "park" and e.canonical]
        for theme in record.themes:
            if theme.group not in ("park_type", "mode"):
                continue
            self.theme_groups[theme.id] = theme.group
            for passage in theme.passages:
                for park_id in sorted({p.canonical.id for p in parks if passage.start <= p.start < passage.end}):
                    link = self.theme_links[park_id].setdefault(theme.id, ThemeLink(
                        id=theme.id, label=theme.label, label_zh=theme.label_zh, passages=0, sources=[]))
                    link.passages += 1
                    link.sources.append({"doc_id": record.doc_id, "start": passage.start, "end": passage.end})

    def _documents(self, entity_id: str) -> list[DocumentRef]:
        counts = Counter(doc_id for doc_id, _ in self.mentions[entity_id])
        return [DocumentRef(doc_id=d, title=self.titles.get(d), mentions=n) for d, n in sorted(counts.items())]

    def _names(self, entity_id: str) -> Names:
        mentions = [m for _, m in self.mentions[entity_id]]
        canonical = mentions[0].canonical
        seen = {m.text for m in mentions} | set(canonical.aliases)
        return Names(en=canonical.name, zh=canonical.name_zh, aliases=sorted(seen - {canonical.name, canonical.name_zh}))

    def build(self) -> Dataset:
        by_park: dict[str, list[Relation]] = defaultdict(list)
        for relation in self.relations:
            by_park[relation.park.canonical.id].append(relation)
        park_ids = sorted(i for i in self.mentions if i.startswith("park:"))
        parks = [self._park(i, by_park[i]) for i in park_ids]
        return Dataset(parks=parks, companies=self._companies(parks), countries=self._countries(parks))

    def _park(self, park_id: str, relations: list[Relation]) -> ParkRecord:
        mentions = [m for _, m in self.mentions[park_id]]
        gazetteer_country = next((m.country for m in mentions if m.country), None)
        placed: dict[str, list[Source]] = defaultdict(list)
        for r in relations:
            if r.kind == "in_country" and _source(r.evidence) not in placed[r.other.country]:
                placed[r.other.country].append(_source(r.evidence))
        claims = [HostCountry(iso=iso, name=country_names(iso)[0], name_zh=country_names(iso)[1],
                              basis="sentence", sources=sources)
                  for iso, sources in sorted(placed.items(), key=lambda kv: (-len(kv[1]), kv[0]))]
        if gazetteer_country:
            host = HostCountry(iso=gazetteer_country, name=country_names(gazetteer_country)[0],
                               name_zh=country_names(gazetteer_country)[1],
                               basis="linking" if park_id.startswith("park:new:") else "gazetteer",
                               sources=placed.get(gazetteer_country, []))
        else:
            host = claims[0] if claims else None
        others = [c for c in claims if host is None or c.iso != host.iso]
        links: dict[tuple[str, str], CompanyLink] = {}
        figures, founded = [], []
        for r in relations:
            if r.kind in get_args(CompanyRelation):
                canonical = r.other.canonical
                link = links.setdefault((canonical.id, r.kind), CompanyLink(
                    company=canonical.id, name=canonical.name, name_zh=canonical.name_zh, relation=r.kind, sources=[]))
                if _source(r.evidence) not in link.sources:
                    link.sources.append(_source(r.evidence))
            elif r.kind == "figure":
                f = r.other
                figures.append(ParkFigure(kind=r.figure_kind, value=f.value, unit=f.unit, as_of=r.as_of,
                                          qualifier=r.qualifier, text=f.text, entity=f.id,
                                          review_status=f.review_status, source=_source(r.evidence)))
            elif r.kind == "founded":
                founded.append(Founding(year=r.year, source=_source(r.evidence)))
        themes = sorted(self.theme_links.get(park_id, {}).values(), key=lambda t: (-t.passages, t.id))
        return ParkRecord(
            id=park_id, names=self._names(park_id), host_country=host, other_countries=others,
            park_types=[t for t in themes if self.theme_groups[t.id] == "park_type"],
            development_modes=[t for t in themes if self.theme_groups[t.id] == "mode"],
            companies=sorted(links.values(), key=lambda c: (c.company, c.relation)),
            founded=founded, figures=figures, documents=self._documents(park_id),
            review=_review([m.review_status for m in mentions]))

    def _companies(self, parks: list[ParkRecord]) -> list[CompanyRecord]:
        links: dict[str, list[ParkLink]] = defaultdict(list)
        for park in parks:
            for c in park.companies:
                links[c.company].append(ParkLink(park=park.id, name=park.names.en, name_zh=park.names.zh,
                                                 relation=c.relation, sources=c.sources))
        return [CompanyRecord(id=i, names=self._names(i),
                              country=next((m.country for _, m in self.mentions[i] if m.country), None),
                              parks=links.get(i, []), documents=self._documents(i),
                              review=_review([m.review_status for _, m in self.mentions[i]]))
                for i in sorted(i for i in self.mentions if i.startswith("company:"))]

    def _countries(self, parks: list[ParkRecord]) -> list[CountryRecord]:
        hosted: dict[str, list[str]] = defaultdict(list)
        for park in parks:
            if park.host_country:
                hosted[park.host_country.iso].append(park.id)
        countries = []
        for iso in sorted(i for i in self.mentions if ":" not in i):
            en, zh = country_names(iso)
            names = self._names(iso)
            countries.append(CountryRecord(id=iso, names=Names(en=en, zh=zh, aliases=names.aliases),
                                           parks=hosted.get(iso, []), documents=self._documents(iso),
                                           review=_review([m.review_status for _, m in self.mentions[iso]])))
        return countries


def build_dataset(out_dir: Path, cues: RelationCues | None = None) -> Dataset:
    builder = DatasetBuilder(cues or RelationCues.load())
    for path in sorted((Path(out_dir) / RECORDS_DIR).glob("*.json")):
        builder.add(read_record(path))
    return builder.build()


def write_dataset(dataset: Dataset, out_dir: Path) -> dict[str, Path]:
    """parks.json, companies.json, countries.json and the dataset's JSON Schema; files rewritten
    only when their content changed."""
    written = {}
    for kind, items in (("park", dataset.parks), ("company", dataset.companies), ("country", dataset.countries)):
        path = Path(out_dir) / DATASET_FILES[kind]
        content = json.dumps([i.model_dump(mode="json") for i in items], ensure_ascii=False, indent=1) + "\n"
        if not path.exists() or path.read_text(encoding="utf-8") != content:
            write_atomically(path, content)
        written[kind] = path
    schema = Path(out_dir) / "schema" / "dataset.schema.json"
    content = json.dumps(Dataset.model_json_schema(), ensure_ascii=False, indent=1) + "\n"
    if not schema.exists() or schema.read_text(encoding="utf-8") != content:
        write_atomically(schema, content)
    return written


def read_dataset(out_dir: Path) -> Dataset:
    """The dataset `parks extract` wrote, with a clear error when it has not been written yet."""
    parts = {}
    for kind, name in DATASET_FILES.items():
        path = Path(out_dir) / name
        if not path.is_file():
            raise FileNotFoundError(f"{path} does not exist: run `parks extract --out {out_dir}` first")
        parts[kind] = json.loads(path.read_text(encoding="utf-8"))
    return Dataset(parks=parts["park"], companies=parts["company"], countries=parts["country"])
