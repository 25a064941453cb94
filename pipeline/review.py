"""Review: reviewers' decisions on entities, kept for good and applied to every extraction.

Decisions live in an append-only SQLite table (WAL mode, so the review app and an extraction
run can share it). A decision is keyed by the document's text hash and the mention as it was
extracted (start, end, type); it carries the mention's text and context, so when a document's
text changes the decision is re-anchored by exact text match, or listed as an orphan, never
dropped. Undo is a decision too. `apply_decisions` turns an extracted record into the reviewed
record; `base_record` gives the extracted record back, so applying is repeatable.
"""

from __future__ import annotations

import hashlib
import json
import re
import sqlite3
import threading
import uuid
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from pathlib import Path

from pipeline.types import DocumentRecord, Entity, EntityReview

ACTIONS = ("accept", "reject", "correct", "undo")
CORRECTABLE = ("type", "start", "end", "canonical", "country", "value", "unit", "noun")
CONTEXT_CHARS = 40
DATABASE = "review.sqlite"

_SCHEMA = """
create table if not exists decisions (
    id integer primary key autoincrement,
    uid text not null unique,
    created_at text not null,
    reviewer text not null,
    doc_id text not null,
    text_sha text not null,
    start integer not null,
    "end" integer not null,
    type text not null,
    action text not null check (action in ('accept', 'reject', 'correct', 'undo')),
    before text,
    after text,
    anchor text not null,
    context_before text not null,
    context_after text not null,
    undoes text
);
create index if not exists decisions_doc on decisions (doc_id);
"""


class ReviewError(ValueError):
    """A decision that cannot be made (unknown mention, bad correction)."""


@dataclass(frozen=True)
class Decision:
    uid: str
    created_at: str
    reviewer: str
    doc_id: str
    text_sha: str
    start: int
    end: int
    type: str
    action: str
    before: dict | None
    after: dict | None
    anchor: str
    context_before: str
    context_after: str
    undoes: str | None = None

    @property
    def key(self) -> tuple[int, int, str]:
        return self.start, self.end, self.type

    def as_json(self) -> str:
        return json.dumps(asdict(self), ensure_ascii=False, sort_keys=True)


def text_sha(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


class ReviewStore:
    """The decisions database. Safe to share between threads and processes."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._db = sqlite3.connect(self.path, check_same_thread=False, timeout=30, isolation_level=None)
        self._db.execute("pragma journal_mode=wal")
        self._db.execute("pragma busy_timeout=30000")
        self._db.executescript(_SCHEMA)

    def close(self) -> None:
        self._db.close()

    def add(self, decision: Decision) -> bool:
        """Append a decision; False when one with its uid is already there (imports are idempotent)."""
        row = asdict(decision)
        row["before"] = json.dumps(row["before"], ensure_ascii=False) if row["before"] is not None else None
        row["after"] = json.dumps(row["after"], ensure_ascii=False) if row["after"] is not None else None
        with self._lock:
            cursor = self._db.execute(
                'insert or ignore into decisions (uid, created_at, reviewer, doc_id, text_sha, start, "end", type,'
                " action, before, after, anchor, context_before, context_after, undoes) values (:uid, :created_at,"
                " :reviewer, :doc_id, :text_sha, :start, :end, :type, :action, :before, :after, :anchor,"
                " :context_before, :context_after, :undoes)", row)
        return cursor.rowcount == 1

    def decisions(self, doc_id: str | None = None) -> list[Decision]:
        query = 'select uid, created_at, reviewer, doc_id, text_sha, start, "end", type, action, before, after,' \
                " anchor, context_before, context_after, undoes from decisions"
        with self._lock:
            rows = self._db.execute(query + (" where doc_id = ? order by id" if doc_id else " order by id"),
                                    (doc_id,) if doc_id else ()).fetchall()
        return [Decision(*row[:9], json.loads(row[9]) if row[9] else None, json.loads(row[10]) if row[10] else None,
                         *row[11:]) for row in rows]

    def export(self, path: Path) -> int:
        decisions = self.decisions()
        Path(path).write_text("".join(d.as_json() + "\n" for d in decisions), encoding="utf-8")
        return len(decisions)

    def import_(self, path: Path) -> tuple[int, int]:
        """(added, already there). A line that is no decision stops the import with its line number."""
        added = skipped = 0
        for number, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), 1):
            if not line.strip():
                continue
            try:
                decision = Decision(**json.loads(line))
                if decision.action not in ACTIONS:
                    raise ValueError(f"unknown action {decision.action!r}")
            except (TypeError, ValueError) as err:
                raise ReviewError(f"{path}, line {number}: not a decision ({err})") from err
            if self.add(decision):
                added += 1
            else:
                skipped += 1
        return added, skipped


# --- making decisions --------------------------------------------------------------

def entity_key(entity: Entity) -> tuple[int, int, str]:
    """The mention as extracted: a reviewed entity keeps the key it was decided under."""
    if entity.review:
        return entity.review.key["start"], entity.review.key["end"], entity.review.key["type"]
    return entity.start, entity.end, entity.type


def find_entity(record: DocumentRecord, entity_id: str) -> Entity:
    for entity in record.entities + record.rejected_entities:
        if entity.id == entity_id:
            return entity
    raise ReviewError(f"{record.doc_id}: no entity {entity_id}")


def _validated_after(entity: Entity, record: DocumentRecord, after: dict) -> dict:
    unknown = set(after) - set(CORRECTABLE)
    if unknown:
        raise ReviewError(f"cannot correct {', '.join(sorted(unknown))}; correctable: {', '.join(CORRECTABLE)}")
    merged = {**entity.model_dump(mode="json"), **after}
    start, end = merged["start"], merged["end"]
    if not (isinstance(start, int) and isinstance(end, int) and 0 <= start < end <= len(record.text)):
        raise ReviewError(f"span {start}-{end} is outside the text (0-{len(record.text)})")
    if record.text[start:end] != record.text[start:end].strip():
        raise ReviewError("a span cannot start or end with a space")
    try:
        Entity.model_validate({**merged, "text": record.text[start:end]})
    except ValueError as err:
        raise ReviewError(f"invalid correction: {err}") from err
    return after


def decide(record: DocumentRecord, entity_id: str, action: str, reviewer: str, after: dict | None = None) -> Decision:
    """A new decision on one mention of `record` (not yet stored)."""
    if action not in ("accept", "reject", "correct"):
        raise ReviewError(f"unknown action {action!r}: accept, reject or correct")
    if not reviewer.strip():
        raise ReviewError("a decision needs the reviewer's name")
    entity = find_entity(record, entity_id)
    if action == "accept" and entity.review and entity.review.status == "corrected":
        # accepting a corrected mention keeps the correction
        action, after = "correct", {k: getattr(entity, k) if k != "canonical" else (
            entity.canonical.model_dump() if entity.canonical else None) for k in CORRECTABLE}
    if action == "correct":
        if not after:
            raise ReviewError("a correction needs the corrected values")
        after = _validated_after(entity, record, after)
    start, end, kind = entity_key(entity)
    extracted = entity.review.extracted if entity.review and entity.review.extracted else None
    before = extracted or {k: v for k, v in entity.model_dump(mode="json").items() if k not in ("review", "review_status")}
    return Decision(uuid.uuid4().hex, now(), reviewer.strip(), record.doc_id, text_sha(record.text), start, end, kind,
                    action, before, after if action == "correct" else None, record.text[start:end],
                    record.text[max(0, start - CONTEXT_CHARS):start], record.text[end:end + CONTEXT_CHARS])


def undo(last: Decision, reviewer: str) -> Decision:
    return Decision(uuid.uuid4().hex, now(), reviewer.strip() or last.reviewer, last.doc_id, last.text_sha, last.start,
                    last.end, last.type, "undo", None, None, last.anchor, last.context_before, last.context_after,
                    undoes=last.uid)


# --- applying decisions ------------------------------------------------------------

def effective(decisions: list[Decision]) -> dict[tuple[str, int, int, str], Decision]:
    """The decision in force per mention: the latest one not undone (an undone decision gives
    way to the one before it)."""
    undone = {d.undoes for d in decisions if d.action == "undo"}
    current: dict[tuple[str, int, int, str], Decision] = {}
    for decision in decisions:
        if decision.action != "undo" and decision.uid not in undone:
            current[(decision.text_sha, *decision.key)] = decision
    return current


def reanchor(decision: Decision, text: str) -> tuple[int, int] | None:
    """Where the decided mention is in a changed text: its exact text with the most context around it."""
    candidates = [m.start() for m in re.finditer(re.escape(decision.anchor), text)]
    if not candidates:
        return None

    def context_score(start: int) -> tuple[int, int]:
        before = text[max(0, start - CONTEXT_CHARS):start]
        after = text[start + len(decision.anchor):start + len(decision.anchor) + CONTEXT_CHARS]
        same_before = len(_common_suffix(before, decision.context_before))
        same_after = len(_common_prefix(after, decision.context_after))
        return same_before + same_after, -abs(start - decision.start)

    best = max(candidates, key=context_score)
    if len(candidates) > 1 and context_score(best)[0] == 0:
        return None  # several places and nothing to tell them apart: the reviewer decides
    return best, best + len(decision.anchor)


def _common_prefix(a: str, b: str) -> str:
    n = 0
    while n < min(len(a), len(b)) and a[n] == b[n]:
        n += 1
    return a[:n]


def _common_suffix(a: str, b: str) -> str:
    return _common_prefix(a[::-1], b[::-1])[::-1]


def base_record(record: DocumentRecord) -> DocumentRecord:
    """The record as extraction made it: corrections undone, rejected mentions back, review marks gone."""
    entities = []
    for entity in record.entities + record.rejected_entities:
        if entity.review and entity.review.status == "corrected":
            if entity.review.extracted is None:
                continue  # kept only by the reviewer
            entity = Entity.model_validate({**entity.review.extracted, "review_status": "pending", "review": None})
        elif entity.review:
            if entity.source == "review":
                continue
            entity = entity.model_copy(update={"review_status": "pending", "review": None})
        entities.append(entity)
    return record.model_copy(update={"entities": sorted(entities, key=lambda e: (e.start, e.end, e.type)),
                                     "rejected_entities": [], "review_orphans": []})


def apply_decisions(record: DocumentRecord, decisions: list[Decision]) -> DocumentRecord:
    """The reviewed record: accepted mentions marked (and kept if extraction lost them), rejected ones
    moved to `rejected_entities`, corrections in place, undecidable decisions listed as orphans."""
    record = base_record(record)
    if record.status != "ok":
        return record
    sha = text_sha(record.text)
    in_force: dict[tuple[int, int, str], Decision] = {}
    orphans = []
    for (decided_sha, *_), decision in effective([d for d in decisions if d.doc_id == record.doc_id]).items():
        key = decision.key
        if decided_sha != sha:
            span = reanchor(decision, record.text)
            if span is None:
                orphans.append({"decision": decision.uid, "action": decision.action, "type": decision.type,
                                "text": decision.anchor, "context": decision.context_before + "[" + decision.anchor
                                + "]" + decision.context_after, "reviewer": decision.reviewer,
                                "at": decision.created_at})
                continue
            key = (*span, decision.type)
        in_force[key] = decision
    kept, rejected = [], []
    for entity in record.entities:
        decision = in_force.pop((entity.start, entity.end, entity.type), None)
        if decision is None:
            kept.append(entity)
            continue
        reviewed = _reviewed(entity, decision, record, extracted=True)
        (rejected if decision.action == "reject" else kept).append(reviewed)
    for (start, end, kind), decision in in_force.items():  # extraction no longer finds these mentions
        if decision.action == "reject" or not decision.before:
            continue
        restored = Entity.model_validate({**decision.before, "start": start, "end": end, "type": kind,
                                          "text": record.text[start:end], "source": "review"})
        kept.append(_reviewed(restored, decision, record, extracted=False))
    return record.model_copy(update={"entities": sorted(kept, key=lambda e: (e.start, e.end, e.type)),
                                     "rejected_entities": sorted(rejected, key=lambda e: (e.start, e.end, e.type)),
                                     "review_orphans": orphans})


def _reviewed(entity: Entity, decision: Decision, record: DocumentRecord, extracted: bool) -> Entity:
    status = {"accept": "accepted", "reject": "rejected", "correct": "corrected"}[decision.action]
    fields = entity.model_dump(mode="json", exclude={"review", "review_status"})
    review = EntityReview(status=status, decision=decision.uid, reviewer=decision.reviewer, at=decision.created_at,
                          key={"start": entity.start, "end": entity.end, "type": entity.type},
                          extracted=fields if status == "corrected" and extracted else None)
    if status == "corrected":
        fields.update(decision.after or {})
        fields.update(text=record.text[fields["start"]:fields["end"]], source="review", confidence=1.0)
        fields["sentence"] = next((i for i, s in enumerate(record.sentences) if s.start <= fields["start"] < s.end),
                                  fields["sentence"])
    return Entity.model_validate({**fields, "review_status": status, "review": review.model_dump()})


# --- what reviews teach the gazetteers ---------------------------------------------------

def reviewed_names(decisions: list[Decision]) -> dict[str, list[dict]]:
    """Gazetteer rows from corrections that link a mention to a park or company: the mention's
    text becomes an alias of that entity (or names a new one), so the next run finds it everywhere."""
    rows: dict[str, dict[str, dict]] = {"park": {}, "company": {}}
    for decision in effective(decisions).values():
        if decision.action != "correct" or not decision.after:
            continue
        kind = decision.after.get("type", decision.type)
        canonical = decision.after.get("canonical") or {}
        if kind not in rows or not canonical.get("id"):
            continue
        prefix = f"{kind}:"
        row_id = canonical["id"][len(prefix):] if canonical["id"].startswith(prefix) else canonical["id"]
        row = rows[kind].setdefault(row_id, {"id": row_id, "name": canonical.get("name"),
                                             "name_zh": canonical.get("name_zh"), "aliases": [],
                                             "country": decision.after.get("country")})
        for alias in (decision.anchor, *canonical.get("aliases", [])):
            if alias and alias not in row["aliases"] and alias not in (row["name"], row["name_zh"]):
                row["aliases"].append(alias)
    return {kind: [r for _, r in sorted(by_id.items())] for kind, by_id in rows.items()}
