"""Evaluation: records against gold annotations, per entity type and document language,
over the distinct entities of each document (gold format: tests/gold/README.md)."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path

from pipeline.resources import name_key

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
        hit = next((s for s in sorted(unmatched) if s[1] == unit and abs(s[0] - value) <= FIGURE_TOLERANCE * abs(value)), None)
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
        for e in (e for e in entities if e["type"] == kind):
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
