"""Linking: one reading per stretch of text, every mention tied to a canonical entity, and
the same name linked the same way throughout a document."""

from __future__ import annotations

import bisect
import hashlib
import re
from dataclasses import replace

from pipeline.entities import Covered, Mention, find_entities
from pipeline.figures import find_figures, find_flattened_table_figures
from pipeline.resources import Canonical, Resources, name_key
from pipeline.segment import Segmentation, Segmenter
from pipeline.types import CanonicalEntity, Entity, TextSpan

_NAMES = ("park", "company")


def resolve_overlaps(mentions: list[Mention]) -> list[Mention]:
    """Names and figures may not overlap each other; countries may sit inside names
    (China-Belarus Industrial Park names two countries) but not inside figures or each other.
    Gazetteer beats pattern, longer beats shorter; a pattern name that contains a gazetteer
    name of its kind keeps its span and takes the gazetteer's link.

    Overlaps are looked up by character (`Covered`), not against every mention kept, so a
    document twice as long takes twice as long (every mention covers at least one character)."""
    size = max((m.end for m in mentions), default=0)
    kept_names: dict[int, Mention] = {}  # by the order they were kept in, which ties are broken by
    name_at: dict[int, int] = {}  # character -> key of the kept name covering it
    nested: list[Mention] = []
    order = sorted((m for m in mentions if m.type in _NAMES),
                   key=lambda m: (m.source != "gazetteer", -(m.end - m.start), m.start))
    for key, mention in enumerate(order):
        clash_keys = sorted({name_at[i] for i in range(mention.start, mention.end) if i in name_at})
        clash = [kept_names[k] for k in clash_keys]
        inside_park = mention.type == "park" and mention.source == "pattern" and clash and all(
            k.type == "company" and mention.start <= k.start and k.end <= mention.end for k in clash)
        if inside_park:  # 'Sany Heavy Industry Park' names its company: keep both
            nested += clash
        elif clash and mention.source == "pattern" and all(
                k.source == "gazetteer" and k.type == mention.type and mention.start <= k.start and k.end <= mention.end
                and _wider_by_words(mention, k) for k in clash):
            mention = replace(mention, canonical_id=clash[0].canonical_id,
                              country=clash[0].country or mention.country, source="gazetteer")
        elif clash:
            continue
        for replaced in clash_keys:  # all of them inside `mention`, whose characters are now its own
            del kept_names[replaced]
        kept_names[key] = mention
        name_at.update(dict.fromkeys(range(mention.start, mention.end), key))
    names = list(kept_names.values())
    named = Covered(size, names + nested)
    figures = [m for m in mentions if m.type == "figure" and not named.overlaps(m.start, m.end)]
    kept_figures = _longest_first(figures, size)
    in_figures = Covered(size, kept_figures)
    countries = [m for m in mentions if m.type == "country" and not in_figures.overlaps(m.start, m.end)]
    return sorted(names + nested + kept_figures + _longest_first(countries, size),
                  key=lambda m: (m.start, m.end, m.type))


def _wider_by_words(outer: Mention, inner: Mention) -> bool:
    """'Vietnam Longjiang Industrial Park' around 'Longjiang Industrial Park': more name, same park."""
    return outer.text.endswith(inner.text) or outer.lang == "zh"


def _longest_first(mentions: list[Mention], size: int) -> list[Mention]:
    kept: list[Mention] = []
    covered = Covered(size)
    for mention in sorted(mentions, key=lambda m: (-(m.end - m.start), m.start)):
        if not covered.overlaps(mention.start, mention.end):
            kept.append(mention)
            covered.add(mention.start, mention.end)
    return kept


def _new_canonical_id(kind: str, name: str) -> str:
    """'park:new:gwadar-energy-and-chemical-park'; a Chinese name gets a hash of its loose key."""
    name = re.sub("园区$", "园", name)
    if name.isascii():
        return f"{kind}:new:" + re.sub(r"[^a-z0-9]+", "-", name.lower().replace("'s ", " ")).strip("-")
    return f"{kind}:new:{hashlib.sha256(name_key(name).encode()).hexdigest()[:12]}"


def link_mentions(mentions: list[Mention], text: str, resources: Resources) -> list[Mention]:
    """Canonical ids for names found by shape, host countries for parks, and the same names
    (and their parenthesised abbreviations) linked wherever else they occur in the document."""
    linked = []
    for mention in mentions:
        if mention.type in _NAMES and mention.canonical_id is None:
            gazetteer = resources.parks if mention.type == "park" else resources.companies
            known = gazetteer.lookup(mention.text)
            canonical_id = known or _new_canonical_id(mention.type, mention.text)
            country = mention.country or (gazetteer.entries[known].country if known else None)
            mention = replace(mention, canonical_id=canonical_id, country=country)
        if mention.type == "park" and mention.country is None:
            mention = replace(mention, country=_host_country_nearby(mention, text, resources))
        linked.append(mention)
    return resolve_overlaps(linked + _repeat_across_document(linked, text))


def _host_country_nearby(park: Mention, text: str, resources: Resources) -> str | None:
    """'Longjiang Industrial Park in Vietnam', 'Thailand's Rayong Industrial Park', '柬埔寨西港特区'."""
    lexicon = resources.countries
    after = re.match(r"\s*(?:,\s*)?(?:in|of|,)\s+(?:the\s+)?", text[park.end:park.end + 12])
    if after:
        found = lexicon.en_pattern.match(text, park.end + after.end())
        if found:
            return lexicon.en_names[found.group()]
    before = re.search(r"([A-Z][\w ]+?)['’]s\s+$", text[max(0, park.start - 40):park.start])
    if before and before.group(1) in lexicon.en_names:
        return lexicon.en_names[before.group(1)]
    preceding = text[max(0, park.start - 8):park.start]
    zh = [m for m in lexicon.zh_pattern.finditer(preceding) if m.end() == len(preceding)]
    if zh:
        return lexicon.zh_names[zh[-1].group()]
    return None


def _repeat_across_document(mentions: list[Mention], text: str) -> list[Mention]:
    """Once a name is linked in a document, its other occurrences are too, and so is an
    abbreviation defined right after it: 'Malaysia-China Kuantan Industrial Park (MCKIP)'."""
    forms: dict[str, Mention] = {}
    for mention in mentions:
        if mention.type not in _NAMES:
            continue
        forms.setdefault(mention.text, mention)
        abbreviation = re.match(r"\s?[(（]([A-Z][A-Z&-]{1,9})[)）]", text[mention.end:mention.end + 14])
        if abbreviation:
            forms.setdefault(abbreviation.group(1), mention)
    found = []
    for form, first in forms.items():
        pattern = re.escape(form) if not form.isascii() else rf"(?<![A-Za-z0-9]){re.escape(form)}(?![A-Za-z0-9])"
        for match in re.finditer(pattern, text):
            found.append(replace(first, start=match.start(), end=match.end(), text=form,
                                 confidence=min(first.confidence, 0.9)))
    return found


def canonical_of(mention: Mention, resources: Resources) -> Canonical | None:
    if mention.type == "country":
        return resources.countries.by_iso[mention.canonical_id]
    if mention.type == "park":
        gazetteer = resources.parks
    elif mention.type == "company":
        gazetteer = resources.companies
    else:
        return None
    if mention.canonical_id in gazetteer.entries:
        return gazetteer.entries[mention.canonical_id]
    english = mention.text if mention.text.isascii() else None
    return Canonical(mention.canonical_id, english, None if english else mention.text)


def to_entities(doc_id: str, mentions: list[Mention], sentences: list[TextSpan], resources: Resources,
                discovered_aliases: dict[str, set[str]]) -> list[Entity]:
    """Record entities, sorted by position; a discovered entity lists every form seen in the document."""
    starts = [s.start for s in sentences]
    entities = []
    for mention in mentions:
        canonical = canonical_of(mention, resources)
        record_canonical = None
        if canonical is not None:
            aliases = set(canonical.aliases)
            if ":new:" in canonical.id:  # known entities show their gazetteer names only, the same in every record
                aliases |= discovered_aliases.get(canonical.id, set())
            aliases -= {canonical.name, canonical.name_zh}
            record_canonical = CanonicalEntity(id=canonical.id, name=canonical.name, name_zh=canonical.name_zh,
                                               aliases=sorted(aliases))
        digest = hashlib.sha256(f"{doc_id}|{mention.type}|{mention.start}|{mention.end}".encode()).hexdigest()[:16]
        entities.append(Entity(
            id=digest, type=mention.type, text=mention.text, start=mention.start, end=mention.end,
            sentence=max(0, bisect.bisect_right(starts, mention.start) - 1), lang=mention.lang,
            canonical=record_canonical,
            country=mention.canonical_id if mention.type == "country" else mention.country,
            value=mention.value, unit=mention.unit, noun=mention.noun,
            confidence=mention.confidence, source=mention.source))
    return entities


def discovered_forms(mentions: list[Mention]) -> dict[str, set[str]]:
    """Surface forms seen for each canonical entity id that no gazetteer entry lists."""
    forms: dict[str, set[str]] = {}
    for mention in mentions:
        if mention.type in _NAMES and mention.canonical_id:
            forms.setdefault(mention.canonical_id, set()).add(mention.text)
    return forms


def find_document_figures(text: str, segmentation: Segmentation, resources: Resources,
                          segmenter: Segmenter) -> list[Mention]:
    """Every figure candidate of a document: in its blocks, then in tables flattened out of a PDF.
    They depend on the text and `figures.json` only, so a gazetteer edit can reuse them."""
    figures = []
    for block in segmentation.blocks:
        figures += [m.shifted(block.start) for m in find_figures(block, text[block.start:block.end], resources, segmenter)]
    found = Covered(len(text), figures)
    return figures + [m for m in find_flattened_table_figures(text, resources.figure_vocabulary)
                      if not found.overlaps(m.start, m.end)]


def tag_entities(doc_id: str, text: str, segmentation: Segmentation, resources: Resources,
                 segmenter: Segmenter, figures: list[Mention] | None = None) -> list[Entity]:
    """The entity stage: candidates from every finder (`figures` when already found), one
    reading per span, linked."""
    mentions = find_entities(segmentation, text, resources, segmenter)
    mentions += find_document_figures(text, segmentation, resources, segmenter) if figures is None else figures
    linked = link_mentions(resolve_overlaps(mentions), text, resources)
    return to_entities(doc_id, linked, segmentation.sentence_spans, resources, discovered_forms(linked))
