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
from functools import cache, lru_cache
from typing import Iterable, Literal, Sequence, get_args

from babel import Locale
from pydantic import BaseModel, ConfigDict, Field

from pipeline.files import write_atomically
from pipeline.records import RECORDS_DIR, read_record
from pipeline.relations import Evidence, Relation, RelationCues, document_relations
from pipeline.resolution import EntityResolver, Link, NameReader, name_forms
from pipeline.resources import load_resources
from pipeline.types import DocumentRecord, DocumentTheme, Entity, ReviewStatus, Scope

DATASET_FILES = {"park": "parks.json", "company": "companies.json", "country": "countries.json"}
FigureKind = Literal["investment", "enterprises", "jobs", "area", "output", "tax", "trade", "other"]
CompanyRelation = Literal["develops", "operates", "invests", "tenant"]
LinkBasis = Literal["variant", "place name", "pinyin", "review"]  # resolution.BASES, and a reviewer's merge
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


@lru_cache(maxsize=1)
def bundled_name_reader() -> NameReader:
    """The name reader over the bundled data files (reading GeoNames takes a second: once per process)."""
    return NameReader.load(load_resources().countries)


def default_resolver() -> EntityResolver:
    reader = bundled_name_reader()
    return EntityResolver(reader, reader.merge_at, reader.offer_at, reader.max_block)


def country_names(iso: str) -> tuple[str | None, str | None]:
    """CLDR names (babel), the same in every table."""
    return _EN.territories.get(iso), _ZH.territories.get(iso)


class DatasetBuilder:
    """Reads document records one at a time (the corpus is never held in memory) and collects
    what the dataset needs from each; `build` then resolves the names into entities."""

    def __init__(self, cues: RelationCues, resolver: EntityResolver | None = None, entity_decisions: Sequence = (),
                 published: Iterable[str] = ()):
        self.cues, self.resolver = cues, resolver or default_resolver()
        self.entity_decisions, self.published = list(entity_decisions), set(published)
        self.mentions: dict[str, list[tuple[str, Entity]]] = defaultdict(list)  # canonical id -> (doc_id, mention)
        self.titles: dict[str, str | None] = {}
        self.relations: list[Relation] = []
        self.theme_passages: dict[str, list[tuple[str, dict]]] = defaultdict(list)  # park id -> (theme, passage)
        self.themes: dict[str, DocumentTheme] = {}  # theme id -> the theme (label, group)
        self.paragraph_countries: dict[str, Counter] = defaultdict(Counter)  # park id -> foreign countries beside it
        self.document_focus: dict[str, str] = {}  # doc_id -> the foreign country it is about
        self.document_countries: dict[str, set[str]] = {}  # doc_id -> every country it names
        self.city_countries: dict[str, list[tuple[str, Source]]] = defaultdict(list)  # park id -> city's country

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
            self.themes[theme.id] = theme
            for passage in theme.passages:
                for park_id in sorted({p.canonical.id for p in parks if passage.start <= p.start < passage.end}):
                    self.theme_passages[park_id].append(
                        (theme.id, {"doc_id": record.doc_id, "start": passage.start, "end": passage.end}))
        self._add_places(record, parks)

    def _add_places(self, record: DocumentRecord, parks: list[Entity]) -> None:
        """The foreign countries named in each park's paragraphs, and the one the document is about
        (named at least three times and more than half as often as all others together)."""
        foreign = [e for e in record.entities if e.type == "country" and e.country and e.country != "CN"]
        for block in record.blocks:
            named = {e.country for e in foreign if block.start <= e.start < block.end}
            for park in (p for p in parks if block.start <= p.start < block.end):
                self.paragraph_countries[park.canonical.id].update(named)
        self.document_countries[record.doc_id] = {e.country for e in record.entities if e.type == "country"}
        places = self.resolver.reader.places
        for park in (p for p in parks if p.source != "reference"):
            beside = self.cues.place_after.match(record.text, park.end)
            place = beside and places.opening(beside.group("place"), beside.group("place_zh"))
            if place:  # 'Sany Heavy Industry Park in Pune, India', '...合作区位于越南海防市'
                sentence = record.sentences[park.sentence]
                self.city_countries[park.canonical.id].append((place.country, Source(
                    doc_id=record.doc_id, sentence=park.sentence, start=sentence.start, end=sentence.end,
                    text=record.text[sentence.start:sentence.end])))
        counts = Counter(e.country for e in foreign).most_common()
        if counts and counts[0][1] >= 3 and counts[0][1] * 2 > sum(n for _, n in counts):
            self.document_focus[record.doc_id] = counts[0][0]

    def _documents(self, entity_id: str) -> list[DocumentRef]:
        counts = Counter(doc_id for doc_id, _ in self.mentions[entity_id])
        return [DocumentRef(doc_id=d, title=self.titles.get(d), mentions=n) for d, n in sorted(counts.items())]

    @cache
    def _names(self, entity_id: str) -> Names:
        """The gazetteer's names when a member is listed; else the most used name in each language
        (asked for once per record, relation and candidate naming the entity: read once, after `_resolve`)."""
        mentions = [m for _, m in self.mentions[entity_id]]
        listed = next((m.canonical for m in mentions if ":new:" not in m.canonical.id), None)
        seen = Counter(m.text for m in mentions)
        by_use = [text for text, _ in seen.most_common()]
        en = listed.name if listed and listed.name else next((t for t in by_use if t.isascii()), None)
        zh = listed.name_zh if listed and listed.name_zh else next((t for t in by_use if not t.isascii()), None)
        aliases = set(seen) | {a for m in mentions for a in m.canonical.aliases}
        return Names(en=en, zh=zh, aliases=sorted(aliases - {en, zh}))

    def _resolve(self) -> None:
        """Joins the records' canonical ids into entities and regroups what was collected by them."""
        self.resolver.fit(name_forms({i: [m for _, m in found] for i, found in self.mentions.items()}),
                          self.entity_decisions, self.published)
        self.member_names = {i: sorted({m.text for _, m in found}) for i, found in self.mentions.items()}
        self.members = _regrouped({i: [i] for i in self.mentions}, self.resolver.entity_of_, list)
        self.mentions = _regrouped(self.mentions, self.resolver.entity_of_, list)
        self.theme_passages = _regrouped(self.theme_passages, self.resolver.entity_of_, list)
        self.paragraph_countries = _regrouped(self.paragraph_countries, self.resolver.entity_of_, Counter)
        self.city_countries = _regrouped(self.city_countries, self.resolver.entity_of_, list)
        self.candidates: dict[str, list[Link]] = defaultdict(list)
        for link in self.resolver.candidates_:
            self.candidates[link.a].append(link)
            self.candidates[link.b].append(link)

    def _theme_links(self, park_id: str) -> list[ThemeLink]:
        """The park's types and development modes: each theme with the passages that name the park."""
        links: dict[str, ThemeLink] = {}
        for theme_id, source in self.theme_passages.get(park_id, []):
            theme = self.themes[theme_id]
            link = links.setdefault(theme_id, ThemeLink(id=theme_id, label=theme.label, label_zh=theme.label_zh,
                                                        passages=0, sources=[]))
            link.passages += 1
            link.sources.append(source)
        return list(links.values())

    def _members(self, entity_id: str) -> list[Member]:
        links = self.resolver.links_
        return [Member(id=i, names=self.member_names[i], basis=links[i].basis if i in links else "self",
                       score=links[i].score if i in links else 1.0)
                for i in sorted(self.members[entity_id], key=lambda i: (i != entity_id, i))]

    def _candidates(self, entity_id: str) -> list[CandidateLink]:
        found = []
        for link in self.candidates[entity_id]:
            other = link.b if link.a == entity_id else link.a
            names = self._names(other)
            found.append(CandidateLink(other=other, name=names.en, name_zh=names.zh, basis=link.basis,
                                       score=link.score))
        return sorted(found, key=lambda c: (-c.score, c.other))

    def build(self) -> Dataset:
        self._resolve()
        entity_of = self.resolver.entity_of_
        decided = {(d.action, entity_of.get(d.subject, d.subject)): d.value for d in self.entity_decisions
                   if d.action in ("host", "scope")}
        by_park: dict[str, list[Relation]] = defaultdict(list)
        for relation in self.relations:
            by_park[entity_of.get(relation.park.canonical.id, relation.park.canonical.id)].append(relation)
        park_ids = sorted(i for i in self.mentions if i.startswith("park:"))
        parks = [self._park(i, by_park[i], decided, entity_of) for i in park_ids]
        return Dataset(parks=parks, companies=self._companies(parks), countries=self._countries(parks))

    def _host(self, park_id: str, relations: list[Relation], decided: dict) -> tuple[HostCountry | None,
                                                                                   list[HostCountry]]:
        """The host country from the strongest evidence there is, in this order: a reviewer, the
        gazetteer, a foreign country or place in the park's name, linking, the sentences that place
        it, a Chinese place in its name, the one foreign country of its paragraphs, its documents' focus.
        Other countries the sentences place it in are kept beside it."""
        mentions = [m for _, m in self.mentions[park_id]]
        placed: dict[str, list[Source]] = defaultdict(list)
        for r in relations:
            if r.kind == "in_country" and _source(r.evidence) not in placed[r.other.country]:
                placed[r.other.country].append(_source(r.evidence))
        named = set().union(*(self.document_countries.get(d, set()) for d, _ in self.mentions[park_id]))
        for iso, source in self.city_countries[park_id]:
            if iso in named and source not in placed[iso]:  # a city beside the name, in a country the text names
                placed[iso].append(source)
        claims = [_host_country(iso, "sentence", sources)
                  for iso, sources in sorted(placed.items(), key=lambda kv: (-len(kv[1]), kv[0]))]
        listed = next((m.country for m in mentions if m.country and ":new:" not in m.canonical.id), None)
        linked = Counter(m.country for m in mentions if m.country).most_common(1)
        # a place's country counts when the park's documents name it: not Plantation (Florida) in
        # 'Rubber Plantation Zone'
        in_name = [iso for iso in self.resolver.reader.places_in([m.text for m in mentions]) if iso in named]
        paragraph = [iso for iso, _ in self.paragraph_countries[park_id].most_common()]
        focus = Counter(self.document_focus[d] for d, _ in self.mentions[park_id] if d in self.document_focus)
        evidence = [("review", decided.get(("host", park_id))), ("gazetteer", listed),
                    ("place name", next((iso for iso in in_name if iso != "CN"), None)),
                    ("linking", linked[0][0] if linked else None),
                    ("sentence", claims[0].iso if claims else None),
                    ("place name", "CN" if "CN" in in_name else None),
                    ("paragraph", paragraph[0] if len(paragraph) == 1 else None),
                    ("document", focus.most_common(1)[0][0] if len(focus) == 1 else None)]
        basis, iso = next(((b, i) for b, i in evidence if i), (None, None))
        host = _host_country(iso, basis, placed.get(iso, [])) if iso else None
        return host, [c for c in claims if host is None or c.iso != host.iso]

    def _park(self, park_id: str, relations: list[Relation], decided: dict, entity_of: dict) -> ParkRecord:
        mentions = [m for _, m in self.mentions[park_id]]
        host, others = self._host(park_id, relations, decided)
        scope = decided.get(("scope", park_id))
        scope_basis = "review" if scope else "host" if host else None
        scope = scope or (("domestic" if host.iso == "CN" else "overseas") if host else None)
        links: dict[tuple[str, str], CompanyLink] = {}
        figures, founded = [], []
        for r in relations:
            if r.kind in get_args(CompanyRelation):
                company = entity_of.get(r.other.canonical.id, r.other.canonical.id)
                names = self._names(company)
                link = links.setdefault((company, r.kind), CompanyLink(
                    company=company, name=names.en, name_zh=names.zh, relation=r.kind, sources=[]))
                if _source(r.evidence) not in link.sources:
                    link.sources.append(_source(r.evidence))
            elif r.kind == "figure":
                f = r.other
                figures.append(ParkFigure(kind=r.figure_kind, value=f.value, unit=f.unit, as_of=r.as_of,
                                          qualifier=r.qualifier, text=f.text, entity=f.id,
                                          review_status=f.review_status, source=_source(r.evidence)))
            elif r.kind == "founded":
                founded.append(Founding(year=r.year, source=_source(r.evidence)))
        themes = sorted(self._theme_links(park_id), key=lambda t: (-t.passages, t.id))
        return ParkRecord(
            id=park_id, names=self._names(park_id), scope=scope, scope_basis=scope_basis, host_country=host,
            other_countries=others,
            park_types=[t for t in themes if self.themes[t.id].group == "park_type"],
            development_modes=[t for t in themes if self.themes[t.id].group == "mode"],
            companies=sorted(links.values(), key=lambda c: (c.company, c.relation)),
            founded=founded, figures=figures, documents=self._documents(park_id),
            members=self._members(park_id), candidates=self._candidates(park_id),
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
                              members=self._members(i), candidates=self._candidates(i),
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


def _regrouped(by_id: dict, entity_of: dict[str, str], empty: type) -> dict:
    """What was collected by canonical id, joined by the entity each id belongs to (lists
    concatenated, counters added)."""
    joined = defaultdict(empty)
    for canonical_id, value in by_id.items():
        joined[entity_of.get(canonical_id, canonical_id)] += value
    return joined


def _host_country(iso: str, basis: str, sources: list[Source]) -> HostCountry:
    en, zh = country_names(iso)
    return HostCountry(iso=iso, name=en, name_zh=zh, basis=basis, sources=sources)


def published_ids(out_dir: Path) -> set[str]:
    """Entity ids the dataset in `out_dir` was last written with (none when there is none)."""
    ids = set()
    for kind in ("park", "company"):
        path = Path(out_dir) / DATASET_FILES[kind]
        if path.is_file():
            try:
                ids |= {item["id"] for item in json.loads(path.read_text(encoding="utf-8"))}
            except (ValueError, KeyError, TypeError):
                continue  # a damaged file is rewritten; its ids are only a preference
    return ids


def build_dataset(out_dir: Path, cues: RelationCues | None = None, entity_decisions: Sequence = (),
                  resolver: EntityResolver | None = None) -> Dataset:
    """`entity_decisions`: reviewers' decisions in force (`review.effective_entity_decisions`)."""
    builder = DatasetBuilder(cues or RelationCues.load(), resolver, entity_decisions, published_ids(out_dir))
    for path in sorted((Path(out_dir) / RECORDS_DIR).glob("*.json")):
        builder.add(read_record(path))
    return builder.build()


def overseas(dataset: Dataset) -> Dataset:
    """The dataset without the zones in China (scope 'domestic'), as exports, report and map show it
    unless asked for them; parks of unknown scope stay."""
    domestic = {p.id for p in dataset.parks if p.scope == "domestic"}
    return Dataset(parks=[p for p in dataset.parks if p.id not in domestic],
                   companies=[c.model_copy(update={"parks": [link for link in c.parks if link.park not in domestic]})
                              for c in dataset.companies],
                   countries=[c.model_copy(update={"parks": [i for i in c.parks if i not in domestic]})
                              for c in dataset.countries])


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
