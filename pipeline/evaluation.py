"""Evaluation: records against gold annotations, per entity type and document language,
over the distinct entities of each document (gold format: tests/gold/README.md)."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from pipeline.resources import name_key
from pipeline.segment import detect_language

ENTITY_TYPES = ("country", "park", "company", "figure")
FIGURE_TOLERANCE = 0.005  # strict on figures: same unit, value within 0.5 %


@dataclass
class Counts:
    tp: int = 0
    fp: int = 0
    fn: int = 0

    def add(self, other: Counts) -> None:
        self.tp, self.fp, self.fn = self.tp + other.tp, self.fp + other.fp, self.fn + other.fn

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 0.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 0.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    def as_dict(self) -> dict:
        return {"tp": self.tp, "fp": self.fp, "fn": self.fn, "precision": round(self.precision, 4),
                "recall": round(self.recall, 4), "f1": round(self.f1, 4)}


@dataclass
class DocumentScore:
    doc_id: str
    language: str
    counts: dict[str, Counts]
    misses: dict[str, list] = field(default_factory=dict)
    extras: dict[str, list] = field(default_factory=dict)


def _surface_key(name: str) -> str:
    return re.sub("园区$", "园", name_key(name))


def _names_match(gold_keys: set[str], system_keys: set[str]) -> bool:
    """Same name up to case and punctuation; a name that contains the other (a PDF line break cut
    it short, or a host country precedes it: 匈牙利索尔诺克工业园) still matches when the shorter is
    long enough to be a name of its own (8 letters, or 5 Chinese characters)."""
    if gold_keys & system_keys:
        return True

    def long_enough(key: str) -> bool:
        return len(key) >= (8 if key.isascii() else 5)

    return any(long_enough(g) and long_enough(s) and (g in s or s in g) for g in gold_keys for s in system_keys)


def _match_names(gold: list[dict], system: dict[str, set[str]]) -> tuple[Counts, list, list]:
    unmatched = dict(system)
    counts, misses = Counts(), []
    for item in gold:
        keys = {_surface_key(n) for n in [item.get("name"), item.get("name_zh"), *item.get("mentions", [])] if n}
        hit = next((cid for cid, names in unmatched.items() if _names_match(keys, names)), None)
        if hit:
            counts.tp += 1
            del unmatched[hit]
        else:
            counts.fn += 1
            misses.append(item.get("name") or item.get("name_zh") or item["mentions"][0])
    counts.fp = len(unmatched)
    return counts, misses, sorted(unmatched)


def _match_figures(gold: list[dict], system: set[tuple[float, str]]) -> tuple[Counts, list, list]:
    unmatched = set(system)
    counts, misses = Counts(), []
    for item in gold:
        value, unit = float(item["value"]), item["unit"]
        near = [s for s in unmatched if s[1] == unit and abs(s[0] - value) <= FIGURE_TOLERANCE * abs(value)]
        hit = min(near, key=lambda s: (abs(s[0] - value), s), default=None)  # the nearest: 4 847.5 is not 4 860.6
        if hit:
            counts.tp += 1
            unmatched.discard(hit)
        else:
            counts.fn += 1
            misses.append(f"{item.get('text')} = {value:g} {unit}")
    counts.fp = len(unmatched)
    return counts, misses, [f"{v:g} {u}" for v, u in sorted(unmatched)]


def score_document(record: dict, gold: dict) -> DocumentScore:
    entities = record.get("entities", [])
    counts, misses, extras = {}, {}, {}
    system_countries = {e["country"] for e in entities if e["type"] == "country"}
    gold_countries = {c["iso"] for c in gold.get("countries", [])}
    counts["country"] = Counts(len(system_countries & gold_countries), len(system_countries - gold_countries),
                               len(gold_countries - system_countries))
    misses["country"], extras["country"] = sorted(gold_countries - system_countries), sorted(system_countries - gold_countries)
    for kind, key in (("park", "parks"), ("company", "companies")):
        names: dict[str, set[str]] = {}
        for e in (e for e in entities if e["type"] == kind and e.get("source") != "reference"):  # not names
            canonical = e.get("canonical") or {}
            forms = [e["text"], canonical.get("name"), canonical.get("name_zh"), *canonical.get("aliases", [])]
            names.setdefault(canonical.get("id") or e["text"], set()).update(_surface_key(f) for f in forms if f)
        counts[kind], misses[kind], extras[kind] = _match_names(gold.get(key, []), names)
    figures = {(e["value"], e["unit"]) for e in entities if e["type"] == "figure" and e.get("value") is not None}
    counts["figure"], misses["figure"], extras["figure"] = _match_figures(gold.get("figures", []), figures)
    return DocumentScore(record["doc_id"], record.get("language") or "unknown", counts, misses, extras)


def evaluate(records_dir: Path, gold_dir: Path) -> dict:
    """Scores of every gold document: per type, per type and language, per document."""
    scores = []
    for gold_path in sorted(Path(gold_dir).glob("*.json")):
        gold = json.loads(gold_path.read_text(encoding="utf-8"))
        record_path = Path(records_dir) / f"{gold['doc_id']}.json"
        if not record_path.exists():
            raise FileNotFoundError(f"{gold_path}: no record {record_path} (run `parks extract` first)")
        scores.append(score_document(json.loads(record_path.read_text(encoding="utf-8")), gold))
    overall = {kind: Counts() for kind in ENTITY_TYPES}
    by_language: dict[str, dict[str, Counts]] = {}
    for score in scores:
        for kind in ENTITY_TYPES:
            overall[kind].add(score.counts[kind])
            by_language.setdefault(score.language, {k: Counts() for k in ENTITY_TYPES})[kind].add(score.counts[kind])
    return {
        "documents": len(scores),
        "overall": {kind: c.as_dict() for kind, c in overall.items()},
        "by_language": {lang: {kind: c.as_dict() for kind, c in kinds.items()} for lang, kinds in sorted(by_language.items())},
        "by_document": {s.doc_id: {"language": s.language,
                                   **{kind: {**s.counts[kind].as_dict(), "missed": s.misses[kind], "extra": s.extras[kind]}
                                      for kind in ENTITY_TYPES}} for s in scores},
    }


# --- themes ------------------------------------------------------------------------

THEMES_GOLD = "themes"  # development gold: passages the taxonomy was revised against
THEMES_HELDOUT = "themes-heldout"  # passages never used to revise anything: the unbiased estimate
THEMES_SECOND = "themes-second"  # a second annotator's labels of some gold passages: how far readers agree
BOOTSTRAP_RESAMPLES = 1000


@dataclass
class ThemeScores:
    by_theme: dict[str, Counts]
    by_theme_language: dict[str, dict[str, Counts]]
    passages: dict[str, int]
    errors: list[dict]
    by_document: dict[str, dict[str, Counts]]  # doc_id -> theme -> counts: what the interval resamples
    decisions: dict[tuple[str, str], tuple[set[str], set[str]]]  # (doc_id, quote) -> (gold, predicted) themes


def _overlap(a: tuple[int, int], b: tuple[int, int]) -> int:
    return max(0, min(a[1], b[1]) - max(a[0], b[0]))


def predicted_themes(record: dict, span: tuple[int, int]) -> set[str]:
    """Themes of the record's passages that cover most of the gold passage (or that it covers)."""
    found = set()
    for theme in record.get("themes", []):
        for passage in theme["passages"]:
            p = (passage["start"], passage["end"])
            if _overlap(p, span) * 2 > min(p[1] - p[0], span[1] - span[0]):
                found.add(theme["id"])
    return found


def _label_decisions(truth: set[str], predicted: set[str]) -> dict[str, Counts]:
    """One passage's decisions: a theme in either set is a true positive, a false positive or a miss."""
    return {t: Counts(int(t in truth and t in predicted), int(t not in truth), int(t not in predicted))
            for t in truth | predicted}


def score_themes(records_dir: Path, gold_dir: Path, seeded: dict[str, str], folder: str = THEMES_GOLD) -> ThemeScores:
    """Passage-level precision and recall of every seeded theme (`seeded`: id -> group) against the
    gold passages in `gold_dir / folder`."""
    by_theme = {t: Counts() for t in seeded}
    by_language: dict[str, dict[str, Counts]] = {}
    passages: dict[str, int] = {}
    errors = []
    by_document: dict[str, dict[str, Counts]] = {}
    decisions = {}
    for gold_path in sorted((Path(gold_dir) / folder).glob("*.json")):
        gold = json.loads(gold_path.read_text(encoding="utf-8"))
        document_counts = by_document.setdefault(gold["doc_id"], {t: Counts() for t in seeded})
        record_path = Path(records_dir) / f"{gold['doc_id']}.json"
        if not record_path.exists():
            raise FileNotFoundError(f"{gold_path}: no record {record_path} (run `parks extract` first)")
        record = json.loads(record_path.read_text(encoding="utf-8"))
        for item in gold["passages"]:
            start = record["text"].find(item["quote"])
            if start < 0:
                raise ValueError(f"{gold_path}: quote not in the record's text: {item['quote'][:40]!r}")
            span = (start, start + len(item["quote"]))
            lang = detect_language(item["quote"]) or "en"
            passages[lang] = passages.get(lang, 0) + 1
            truth = set(item["themes"]) & set(seeded)
            predicted = predicted_themes(record, span) & set(seeded)
            decisions[gold["doc_id"], item["quote"]] = (truth, predicted)
            language_counts = by_language.setdefault(lang, {t: Counts() for t in seeded})
            for theme_id, hit in _label_decisions(truth, predicted).items():
                by_theme[theme_id].add(hit)
                language_counts[theme_id].add(hit)
                document_counts[theme_id].add(hit)
            if truth != predicted:
                errors.append({"doc_id": gold["doc_id"], "start": span[0], "missed": sorted(truth - predicted),
                               "extra": sorted(predicted - truth), "quote": item["quote"][:80]})
    return ThemeScores(by_theme, by_language, passages, errors, by_document, decisions)


def _macro_average(counts: dict[str, Counts], theme_ids) -> dict:
    """Mean over the themes the gold has (a theme nobody annotated has no recall to measure)."""
    present = [counts[t] for t in theme_ids if counts[t].tp + counts[t].fn]
    n = len(present) or 1
    return {"themes": len(present), "precision": round(sum(c.precision for c in present) / n, 4),
            "recall": round(sum(c.recall for c in present) / n, 4), "f1": round(sum(c.f1 for c in present) / n, 4)}


def bootstrap_interval(by_document: dict[str, dict[str, Counts]], theme_ids, resamples: int = BOOTSTRAP_RESAMPLES,
                       random_state: int = 0) -> dict:
    """95 % intervals of macro and micro F1 over documents drawn with replacement: passages of one
    paper are labelled alike and err alike, so the paper, not the passage, is the unit that varies.
    A gold set of a few hundred passages from a few dozen papers moves by several points."""
    theme_ids = list(theme_ids)
    docs = sorted(by_document)
    # documents x themes x (tp, fp, fn)
    table = np.array([[[by_document[d][t].tp, by_document[d][t].fp, by_document[d][t].fn] for t in theme_ids]
                      for d in docs], dtype=float).reshape(len(docs), len(theme_ids), 3)
    rng = np.random.RandomState(random_state)
    draws = table[rng.randint(0, len(docs), size=(resamples, len(docs)))].sum(axis=1)  # resamples x themes x 3
    tp, fp, fn = draws[..., 0], draws[..., 1], draws[..., 2]
    f1 = np.divide(2 * tp, 2 * tp + fp + fn, out=np.zeros_like(tp), where=tp > 0)
    present = tp + fn > 0  # as `_macro_average`: a theme the drawn gold lacks has no recall to measure
    macro = (f1 * present).sum(axis=1) / np.maximum(present.sum(axis=1), 1)
    totals = draws.sum(axis=1)
    micro = np.divide(2 * totals[:, 0], totals @ [2, 1, 1], out=np.zeros(resamples), where=totals[:, 0] > 0)
    return {"unit": "document", "documents": len(docs), "resamples": resamples, "random_state": random_state,
            "macro_f1": [round(float(v), 4) for v in np.percentile(macro, [2.5, 97.5])],
            "micro_f1": [round(float(v), 4) for v in np.percentile(micro, [2.5, 97.5])]}


def annotator_agreement(scores: ThemeScores, gold_dir: Path, seeded: dict[str, str],
                        second: str = THEMES_SECOND) -> dict | None:
    """On the scored gold passages a second annotator also labelled (the same quotes): its labels and
    the system's, each scored against the gold. What a reader reaches, beside what the system does."""
    reader, system = [], []
    for path in sorted((Path(gold_dir) / second).glob("*.json")):
        other = json.loads(path.read_text(encoding="utf-8"))
        for item in other["passages"]:
            truth, predicted = scores.decisions.get((other["doc_id"], item["quote"]), (None, None))
            if truth is not None:
                reader.append((truth, set(item["themes"]) & set(seeded)))
                system.append((truth, predicted))
    if not reader:
        return None
    return {"passages": len(reader), "second_annotator": label_scores(reader, seeded),
            "system": label_scores(system, seeded)}


def label_scores(pairs: list[tuple[set[str], set[str]]], seeded: dict[str, str]) -> dict:
    """Macro and micro P/R/F1 of (gold, predicted) label sets of passages, as `evaluate_themes` counts them."""
    counts = {t: Counts() for t in seeded}
    for truth, predicted in pairs:
        for theme_id, hit in _label_decisions(truth, predicted).items():
            counts[theme_id].add(hit)
    return _averages(counts, seeded)


def _averages(counts: dict[str, Counts], theme_ids) -> dict:
    """The macro average over themes and the micro average over every decision."""
    total = Counts()
    for theme_id in theme_ids:
        total.add(counts[theme_id])
    return {"macro": _macro_average(counts, theme_ids), "micro": total.as_dict()}


def evaluate_themes(records_dir: Path, gold_dir: Path, seeded: dict[str, str], folder: str = THEMES_GOLD) -> dict:
    """Macro P/R/F1 over seeded themes: all, per group, per language, per group and language; and
    micro P/R/F1 over every (passage, theme) decision, steadier than the macro mean when a theme has
    few gold passages; how far both move when other papers had been labelled (`interval`); and how
    far a second reader agrees with the gold (`agreement`, where one labelled the same passages)."""
    scores = score_themes(records_dir, gold_dir, seeded, folder)
    groups = sorted(set(seeded.values()))
    in_group = {g: [t for t, group in seeded.items() if group == g] for g in groups}
    return {
        "passages": scores.passages,
        **_averages(scores.by_theme, seeded),
        "interval": bootstrap_interval(scores.by_document, seeded),
        "agreement": annotator_agreement(scores, gold_dir, seeded),
        "by_group": {g: _macro_average(scores.by_theme, ids) for g, ids in in_group.items()},
        "by_language": {lang: {"all": _macro_average(c, seeded), **{g: _macro_average(c, ids) for g, ids in in_group.items()}}
                        for lang, c in sorted(scores.by_theme_language.items())},
        "by_theme": {t: {"group": seeded[t], **c.as_dict()} for t, c in scores.by_theme.items()},
        "errors": scores.errors,
    }


# --- the park dataset ------------------------------------------------------------------

PARK_FIELDS = ("parks", "host_country", "companies", "figures", "founded")


def _park_keys(park: dict) -> set[str]:
    names = park["names"]
    return {_surface_key(n) for n in [names["en"], names["zh"], *names["aliases"]] if n}


def _company_keys(link: dict, aliases: dict[str, list[str]]) -> set[str]:
    return {_surface_key(n) for n in [link["name"], link["name_zh"], *aliases.get(link["company"], [])] if n}


def score_parks(dataset_dir: Path, gold_dir: Path) -> dict[str, Counts]:
    """Gold park relations (`tests/gold/parks/`) against parks.json, document by document: a gold
    park is found when a park of that document has one of its names (each park answers one gold
    park; the others count as false parks); host countries count when found; companies as (park, company, relation), figures as (park, value, unit), founding years as
    (park, year), each from sentences of that document."""
    parks = json.loads((Path(dataset_dir) / "parks.json").read_text(encoding="utf-8"))
    companies = json.loads((Path(dataset_dir) / "companies.json").read_text(encoding="utf-8"))
    aliases = {c["id"]: c["names"]["aliases"] for c in companies}
    counts = {f: Counts() for f in PARK_FIELDS}
    for gold_path in sorted(Path(gold_dir).glob("*.json")):
        gold = json.loads(gold_path.read_text(encoding="utf-8"))
        doc_id = gold["doc_id"]
        present = [p for p in parks if any(d["doc_id"] == doc_id for d in p["documents"])]
        matched: dict[str, dict] = {}
        for g in gold["parks"]:
            mentioned = {_surface_key(n) for n in g["mentions"]}
            keys = mentioned | {_surface_key(n) for n in [g["name"], g["name_zh"]] if n}
            # the park whose names include a mention as written, else one with a matching name
            unclaimed = [p for p in present if p["id"] not in matched]
            park = next((p for p in unclaimed if mentioned & _park_keys(p)), None) or \
                next((p for p in unclaimed if _names_match(keys, _park_keys(p))), None)
            counts["parks"].add(Counts(tp=1) if park else Counts(fn=1))
            if park is None:  # the relations of a gold park not found are all missed
                counts["companies"].add(Counts(fn=len(g["companies"])))
                counts["figures"].add(Counts(fn=len(g["figures"])))
                counts["founded"].add(Counts(fn=int(bool(g.get("founded")))))
                continue
            matched[park["id"]] = g
            gold_iso = (g.get("host_country") or {}).get("iso")
            found_iso = (park["host_country"] or {}).get("iso")
            if gold_iso or found_iso:
                counts["host_country"].add(Counts(tp=1) if gold_iso == found_iso else
                                           Counts(fp=int(bool(found_iso)), fn=int(bool(gold_iso))))
        counts["parks"].add(Counts(fp=sum(1 for p in present if p["id"] not in matched)))
        for park in present:
            g = matched.get(park["id"], {"companies": [], "figures": [], "founded": None})
            links = [c for c in park["companies"] if any(s["doc_id"] == doc_id for s in c["sources"])]
            found_links = {(c["relation"], frozenset(_company_keys(c, aliases))) for c in links}
            gold_links = [(c["relation"], {_surface_key(c["name"]), _surface_key(c["mention"])}) for c in g["companies"]]
            hit = sum(1 for rel, keys in gold_links if any(rel == r and _names_match(keys, set(k)) for r, k in found_links))
            found_hit = sum(1 for r, k in found_links if any(rel == r and _names_match(keys, set(k))
                                                             for rel, keys in gold_links))
            counts["companies"].add(Counts(tp=hit, fn=len(gold_links) - hit, fp=len(found_links) - found_hit))
            found_figures = {(f["value"], f["unit"]) for f in park["figures"] if f["source"]["doc_id"] == doc_id}
            gold_figures = {(f["value"], f["unit"]) for f in g["figures"]}
            counts["figures"].add(Counts(tp=len(found_figures & gold_figures), fp=len(found_figures - gold_figures),
                                         fn=len(gold_figures - found_figures)))
            found_years = {f["year"] for f in park["founded"] if f["source"]["doc_id"] == doc_id}
            gold_years = {g["founded"]["year"]} if g.get("founded") else set()
            counts["founded"].add(Counts(tp=len(found_years & gold_years), fp=len(found_years - gold_years),
                                         fn=len(gold_years - found_years)))
    return counts


def evaluate_parks(dataset_dir: Path, gold_dir: Path) -> dict:
    return {field: c.as_dict() for field, c in score_parks(dataset_dir, gold_dir).items()}
