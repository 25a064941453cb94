"""Review: reviewers' decisions on entities, kept for good and applied to every extraction.

Decisions live in an append-only SQLite table (WAL mode, so the review app and an extraction
run can share it). A decision is keyed by the document's text hash and the mention as it was
extracted (start, end, type); it carries the mention's text and context, so when a document's
text changes the decision is re-anchored by exact text match, or listed as an orphan, never
dropped. Undo is a decision too. `apply_decisions` turns an extracted record into the reviewed
record; `base_record` gives the extracted record back, so applying is repeatable.

Decisions on whole entities of the dataset (merge two parks, split a name off, set a park's host
country or scope, accept or reject a link the resolver offered) live in a second append-only
table, `entity_decisions`; the dataset builder re-applies them on every run.

What a decision may hold is checked by pydantic models (`Correction`, `StoredDecision`) that the
review app's request bodies, `decide`, imports and `apply_decisions` all share.
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
from typing import Annotated, Literal, get_args

import pycountry
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator
from pydantic_core import PydanticCustomError

from pipeline.files import write_atomically
from pipeline.types import DocumentRecord, Entity, EntityReview, EntityType, Scope

ACTIONS = ("accept", "reject", "correct", "undo")
CORRECTABLE = ("type", "start", "end", "canonical", "country", "value", "unit", "noun")
CONTEXT_CHARS = 40
DATABASE = "review.sqlite"
DOC_ID = r"^[A-Za-z0-9][A-Za-z0-9._-]*$"
DOC_ID_CHARS = 200
NAME_CHARS = 300  # a canonical id, name or alias, a counted noun
UNIT_CHARS = 20
ALIASES = 20
REVIEWER_CHARS = 100
ANCHOR_CHARS = 2000  # the mention's text
MAX_OFFSET = 2 ** 31 - 1
LINE_CHARS = 100_000  # one decision in an import file

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
create table if not exists entity_decisions (
    id integer primary key autoincrement,
    uid text not null unique,
    created_at text not null,
    reviewer text not null,
    kind text not null check (kind in ('park', 'company')),
    action text not null check (action in ('merge', 'split', 'host', 'scope', 'accept_link', 'reject_link', 'undo')),
    subject text,
    other text,
    member text,
    value text,
    undoes text
);
"""
ENTITY_KINDS = ("park", "company")
ENTITY_ACTIONS = ("merge", "split", "host", "scope", "accept_link", "reject_link", "undo")
SCOPES = get_args(Scope)
PAIR_ACTIONS = ("merge", "accept_link", "reject_link")  # decisions on two entities: subject and other


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


@dataclass(frozen=True)
class EntityDecision:
    """A reviewer's decision on entities of the dataset (parks.json, companies.json), by their ids
    (an entity's id or one of its members' ids): see `StoredEntityDecision` for what each action holds."""

    uid: str
    created_at: str
    reviewer: str
    kind: str
    action: str
    subject: str | None = None
    other: str | None = None
    member: str | None = None
    value: str | None = None
    undoes: str | None = None

    def as_json(self) -> str:
        return json.dumps(asdict(self), ensure_ascii=False, sort_keys=True)


# --- what a decision may hold ------------------------------------------------------

# pydantic refuses a lone surrogate (JSON can carry one, UTF-8 cannot) in any of these strings
Name = Annotated[str, Field(max_length=NAME_CHARS)]
CanonicalId = Annotated[str, Field(min_length=1, max_length=NAME_CHARS)]
Reviewer = Annotated[str, Field(min_length=1, max_length=REVIEWER_CHARS)]
Context = Annotated[str, Field(max_length=CONTEXT_CHARS)]
Offset = Annotated[int, Field(strict=True, ge=0, le=MAX_OFFSET)]
DocId = Annotated[str, Field(pattern=DOC_ID, max_length=DOC_ID_CHARS)]
Uid = Annotated[str, Field(pattern=r"^[0-9A-Za-z_-]{1,64}$")]
Number = Annotated[float, Field(strict=True, allow_inf_nan=False)]


class _Checked(BaseModel):
    model_config = ConfigDict(extra="forbid")


class CorrectedCanonical(_Checked):
    """The canonical entity a reviewer links a mention to (a gazetteer's, or a new one)."""

    id: CanonicalId
    name: Name | None = None
    name_zh: Name | None = None
    aliases: list[Name] = Field(default_factory=list, max_length=ALIASES)


class Correction(_Checked):
    """A reviewer's corrected values of one mention. A field left out keeps its value; null clears
    it (type, start and end cannot be cleared: their default is never validated, a given null is)."""

    type: EntityType = None
    start: Offset = None
    end: Offset = None
    canonical: CorrectedCanonical | None = None
    country: Annotated[str, Field(pattern=r"^[A-Z]{2}$")] | None = None
    value: Number | None = None
    unit: Annotated[str, Field(max_length=UNIT_CHARS)] | None = None
    noun: Name | None = None

    def changes(self) -> dict:
        """The fields the reviewer gave, as JSON values."""
        return {k: v for k, v in self.model_dump(mode="json").items() if k in self.model_fields_set}


class ExtractedMention(Entity):
    """A decision's `before`: the mention as extraction gave it, its value finite."""

    value: Number | None = None


class StoredDecision(_Checked):
    """A decision as the database keeps it and an import file carries it."""

    uid: Uid
    created_at: Annotated[str, Field(min_length=1, max_length=40)]
    reviewer: Reviewer
    doc_id: DocId
    text_sha: Annotated[str, Field(pattern=r"^[0-9a-f]{64}$")]
    start: Offset
    end: Offset
    type: EntityType
    action: Literal[ACTIONS]
    before: ExtractedMention | None
    after: Correction | None
    anchor: Annotated[str, Field(min_length=1, max_length=ANCHOR_CHARS)]
    context_before: Context
    context_after: Context
    undoes: Uid | None = None

    @model_validator(mode="after")
    def _consistent(self) -> StoredDecision:
        if self.end <= self.start:
            raise PydanticCustomError("span", "end {end} is not after start {start}",
                                      {"end": self.end, "start": self.start})
        if (self.action == "correct") != (self.after is not None):
            raise PydanticCustomError("after", "a correction needs its corrected values (after)"
                                      if self.action == "correct" else "only a correction has corrected values (after)")
        if (self.action == "undo") != (self.undoes is not None):
            raise PydanticCustomError("undoes", "an undo names the decision it undoes (undoes)"
                                      if self.action == "undo" else "only an undo undoes a decision (undoes)")
        return self


EntityId = Annotated[str, Field(pattern=r"^(park|company):\S+$", max_length=NAME_CHARS)]


class StoredEntityDecision(_Checked):
    """An entity decision as the database keeps it and an import file carries it (a line with a
    `kind`). merge, accept_link, reject_link: `subject` and `other`; split: `subject` and the
    `member` taken out of it; host: a park's ISO 3166-1 alpha-2 code in `value`; scope: 'overseas'
    or 'domestic' in `value`; undo: the uid it `undoes`."""

    uid: Uid
    created_at: Annotated[str, Field(min_length=1, max_length=40)]
    reviewer: Reviewer
    kind: Literal[ENTITY_KINDS]
    action: Literal[ENTITY_ACTIONS]
    subject: EntityId | None = None
    other: EntityId | None = None
    member: EntityId | None = None
    value: Annotated[str, Field(max_length=20)] | None = None
    undoes: Uid | None = None

    @model_validator(mode="after")
    def _consistent(self) -> StoredEntityDecision:
        needs = {"merge": ("subject", "other"), "accept_link": ("subject", "other"),
                 "reject_link": ("subject", "other"), "split": ("subject", "member"), "host": ("subject", "value"),
                 "scope": ("subject", "value"), "undo": ("undoes",)}[self.action]
        optional = ("subject",) if self.action == "undo" else ()  # an undo names what it undid, for the record
        for field in ("subject", "other", "member", "value", "undoes"):
            given = getattr(self, field) is not None
            if field in needs and not given:
                raise PydanticCustomError("needs", "{action} needs {field}", {"action": self.action, "field": field})
            if given and field not in needs and field not in optional:
                raise PydanticCustomError("extra", "{action} takes no {field}", {"action": self.action, "field": field})
        for field in ("subject", "other", "member"):
            entity_id = getattr(self, field)
            if entity_id is not None and not entity_id.startswith(f"{self.kind}:"):
                raise PydanticCustomError("kind", "{field} {id} is no {kind} id ({kind}:...)",
                                          {"field": field, "id": entity_id, "kind": self.kind})
        if self.action in PAIR_ACTIONS and self.subject == self.other:
            raise PydanticCustomError("pair", "{action} needs two different entities", {"action": self.action})
        if self.action in ("host", "scope") and self.kind != "park":
            raise PydanticCustomError("park", "only a park has a host country and a scope", {})
        if self.action == "host" and (not re.fullmatch(r"[A-Z]{2}", self.value)
                                      or pycountry.countries.get(alpha_2=self.value) is None):
            raise PydanticCustomError("host", "value {value} is no ISO 3166-1 alpha-2 country code (such as BY, ET, KH)",
                                      {"value": self.value})
        if self.action == "scope" and self.value not in SCOPES:
            raise PydanticCustomError("scope", "value {value} is no scope: overseas or domestic", {"value": self.value})
        return self


def describe(errors: list[dict]) -> str:
    """'field.path: problem' for each error; the input is never echoed (it may be huge, or not JSON:
    NaN, a lone surrogate)."""
    return "; ".join(": ".join(filter(None, (".".join(map(str, e["loc"])), e["msg"]))) for e in errors)


def unappliable(decision: Decision) -> str | None:
    """Why a stored decision cannot be applied (say, one an older version wrote), or None."""
    try:
        StoredDecision.model_validate(asdict(decision))
    except ValidationError as err:
        return describe(err.errors())
    return None


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
        with self._lock:
            return self._insert(decision)

    def _insert(self, decision: Decision) -> bool:
        row = asdict(decision)
        row["before"] = json.dumps(row["before"], ensure_ascii=False) if row["before"] is not None else None
        row["after"] = json.dumps(row["after"], ensure_ascii=False) if row["after"] is not None else None
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

    def add_entity_decision(self, decision: EntityDecision) -> bool:
        """Append an entity decision; False when one with its uid is already there."""
        with self._lock:
            return self._insert_entity_decision(decision)

    def _insert_entity_decision(self, decision: EntityDecision) -> bool:
        cursor = self._db.execute(
            "insert or ignore into entity_decisions (uid, created_at, reviewer, kind, action, subject, other, member,"
            " value, undoes) values (:uid, :created_at, :reviewer, :kind, :action, :subject, :other, :member, :value,"
            " :undoes)", asdict(decision))
        return cursor.rowcount == 1

    def entity_decisions(self) -> list[EntityDecision]:
        """Every entity decision, in the order they were made."""
        with self._lock:
            rows = self._db.execute("select uid, created_at, reviewer, kind, action, subject, other, member, value,"
                                    " undoes from entity_decisions order by id").fetchall()
        return [EntityDecision(*row) for row in rows]

    def export(self, path: Path) -> int:
        """Every decision, one JSON line each, into `path` (written whole or not at all): the mention
        decisions, then the entity decisions (the lines with a `kind`)."""
        decisions = [*self.decisions(), *self.entity_decisions()]
        write_atomically(Path(path), "".join(d.as_json() + "\n" for d in decisions))
        return len(decisions)

    def import_(self, path: Path) -> tuple[int, int]:
        """(added, already there). Every line is checked as the review app checks a request, then all
        are added in one transaction: a line that is no decision stops the import, naming its line,
        and nothing is added. Files exported before entity decisions existed import as they did."""
        decisions = [_imported(path, number, line) for number, line in enumerate(_utf8(path).split("\n"), 1)
                     if line.strip()]
        with self._lock:
            self._db.execute("begin immediate")
            try:
                added = sum(self._insert_entity_decision(d) if isinstance(d, EntityDecision) else self._insert(d)
                            for d in decisions)
            except BaseException:
                self._db.execute("rollback")
                raise
            self._db.execute("commit")
        return added, len(decisions) - added


def _utf8(path: Path) -> str:
    data = Path(path).read_bytes()
    try:
        return data.decode("utf-8-sig")  # a byte-order mark, as Windows editors save, is no decision
    except UnicodeDecodeError as err:
        line = data.count(b"\n", 0, err.start) + 1
        raise ReviewError(f"{path}, line {line}, byte {err.start}: not UTF-8") from None


def _imported(path: Path, number: int, line: str) -> Decision | EntityDecision:
    """One line of an import file as a decision, checked like a stored one: a line with a `kind`
    is an entity decision, any other a mention decision."""
    what = "a decision"
    try:
        if len(line) > LINE_CHARS:
            raise ValueError(f"longer than {LINE_CHARS:,} characters")
        data = json.loads(line)
        if isinstance(data, dict) and "kind" in data:
            what = "an entity decision"
            StoredEntityDecision.model_validate(data)
            return EntityDecision(**data)
        StoredDecision.model_validate(data)
    except ValidationError as err:
        raise ReviewError(f"{path}, line {number}: not {what}: {describe(err.errors())}") from None
    except (ValueError, RecursionError) as err:
        raise ReviewError(f"{path}, line {number}: not {what}: {err}") from None
    return Decision(**data)


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


def _checked_correction(after: dict) -> dict:
    """The corrected values the reviewer gave, checked like the review app's request body."""
    unknown = set(after) - set(CORRECTABLE)
    if unknown:
        raise ReviewError(f"cannot correct {', '.join(sorted(unknown))}; correctable: {', '.join(CORRECTABLE)}")
    try:
        return Correction.model_validate(after).changes()
    except ValidationError as err:
        raise ReviewError(f"invalid correction: {describe(err.errors())}") from None


def _check_span(start: int, end: int, text: str) -> None:
    if not 0 <= start < end <= len(text):
        raise ReviewError(f"span {start}-{end} is outside the text (0-{len(text)})")
    if text[start:end] != text[start:end].strip():
        raise ReviewError("a span cannot start or end with a space")


def _validated_after(entity: Entity, record: DocumentRecord, after: dict) -> dict:
    merged = {**entity.model_dump(mode="json"), **after}
    _check_span(merged["start"], merged["end"], record.text)
    try:
        Entity.model_validate({**merged, "text": record.text[merged["start"]:merged["end"]]})
    except ValueError as err:
        raise ReviewError(f"invalid correction: {err}") from err
    return after


def _corrections(entity: Entity) -> dict:
    """What the corrections in force changed on a mention (the values that differ from the ones the
    next decision's `before` holds), so the next correction, or an accept, builds on them."""
    if not entity.review or entity.review.status != "corrected":
        return {}
    current = entity.model_dump(mode="json", include=set(CORRECTABLE))
    start, end, kind = entity_key(entity)
    base = entity.review.extracted or {**current, "start": start, "end": end, "type": kind}
    return {k: v for k, v in current.items() if base.get(k) != v}


def decide(record: DocumentRecord, entity_id: str, action: str, reviewer: str, after: dict | None = None) -> Decision:
    """A new decision on one mention of `record` (not yet stored). A correction builds on the mention
    as last corrected: `after` need only hold what changes now."""
    if action not in ("accept", "reject", "correct"):
        raise ReviewError(f"unknown action {action!r}: accept, reject or correct")
    if not reviewer.strip():
        raise ReviewError("a decision needs the reviewer's name")
    entity = find_entity(record, entity_id)
    earlier = _corrections(entity)
    if action == "accept" and earlier:
        action, after = "correct", {}  # accepting a corrected mention keeps the correction
    elif action == "correct" and not after:
        raise ReviewError("a correction needs the corrected values")
    if action == "correct":
        after = _validated_after(entity, record, {**earlier, **_checked_correction(after)})
    start, end, kind = entity_key(entity)
    extracted = entity.review.extracted if entity.review and entity.review.extracted else None
    before = extracted or {k: v for k, v in entity.model_dump(mode="json").items() if k not in ("review", "review_status")}
    return Decision(uuid.uuid4().hex, now(), reviewer.strip(), record.doc_id, text_sha(record.text), start, end, kind,
                    action, before, after if action == "correct" else None, record.text[start:end],
                    record.text[max(0, start - CONTEXT_CHARS):start], record.text[end:end + CONTEXT_CHARS])


def last_in_force(decisions: list, reviewer: str):
    """The reviewer's latest decision that no undo has taken back (a mention or an entity
    decision), or None: what their next undo takes back."""
    undone = {d.undoes for d in decisions if d.action == "undo"}
    mine = [d for d in decisions if d.action != "undo" and d.uid not in undone and d.reviewer == reviewer]
    return mine[-1] if mine else None


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
    moved to `rejected_entities`, corrections in place; decisions that cannot be placed in the text, or
    cannot be applied, are listed as orphans with the reason."""
    record = base_record(record)
    if record.status != "ok":
        return record
    sha = text_sha(record.text)
    in_force: dict[tuple[int, int, str], Decision] = {}
    orphans = []
    for (decided_sha, *_), decision in effective([d for d in decisions if d.doc_id == record.doc_id]).items():
        key = decision.key
        problem = unappliable(decision)
        if problem:
            orphans.append(_orphan(decision, problem))
            continue
        if decided_sha != sha:
            span = reanchor(decision, record.text)
            if span is None:
                orphans.append(_orphan(decision, "the text changed and the mention is not found in it"))
                continue
            key = (*span, decision.type)
        in_force[key] = decision
    kept, rejected = [], []
    for entity in record.entities:
        decision = in_force.pop((entity.start, entity.end, entity.type), None)
        if decision is None:
            kept.append(entity)
            continue
        try:
            reviewed = _reviewed(entity, decision, record, extracted=True)
        except ReviewError as err:
            orphans.append(_orphan(decision, str(err)))
            kept.append(entity)
            continue
        (rejected if decision.action == "reject" else kept).append(reviewed)
    for (start, end, kind), decision in in_force.items():  # extraction no longer finds these mentions
        if decision.action == "reject" or not decision.before:
            continue
        try:
            _check_span(start, end, record.text)
            restored = Entity.model_validate({**decision.before, "start": start, "end": end, "type": kind,
                                              "text": record.text[start:end], "source": "review"})
            kept.append(_reviewed(restored, decision, record, extracted=False))
        except ReviewError as err:
            orphans.append(_orphan(decision, str(err)))
    return record.model_copy(update={"entities": sorted(kept, key=lambda e: (e.start, e.end, e.type)),
                                     "rejected_entities": sorted(rejected, key=lambda e: (e.start, e.end, e.type)),
                                     "review_orphans": orphans})


def _orphan(decision: Decision, reason: str) -> dict:
    return {"decision": decision.uid, "action": decision.action, "type": decision.type, "text": decision.anchor,
            "context": decision.context_before + "[" + decision.anchor + "]" + decision.context_after,
            "reviewer": decision.reviewer, "at": decision.created_at, "reason": reason}


def _reviewed(entity: Entity, decision: Decision, record: DocumentRecord, extracted: bool) -> Entity:
    """The mention with the decision applied; a correction that does not fit the text is a ReviewError."""
    status = {"accept": "accepted", "reject": "rejected", "correct": "corrected"}[decision.action]
    fields = entity.model_dump(mode="json", exclude={"review", "review_status"})
    review = EntityReview(status=status, decision=decision.uid, reviewer=decision.reviewer, at=decision.created_at,
                          key={"start": entity.start, "end": entity.end, "type": entity.type},
                          extracted=fields if status == "corrected" and extracted else None)
    if status == "corrected":
        fields.update(decision.after or {})
        _check_span(fields["start"], fields["end"], record.text)
        fields.update(text=record.text[fields["start"]:fields["end"]], source="review", confidence=1.0)
        fields["sentence"] = next((i for i, s in enumerate(record.sentences) if s.start <= fields["start"] < s.end),
                                  fields["sentence"])
    try:
        return Entity.model_validate({**fields, "review_status": status, "review": review.model_dump()})
    except ValidationError as err:
        raise ReviewError(describe(err.errors())) from None


# --- decisions on entities of the dataset ------------------------------------------------

def decide_entity(kind: str, action: str, reviewer: str, subject: str, other: str | None = None,
                  member: str | None = None, value: str | None = None) -> EntityDecision:
    """A new entity decision (not yet stored), checked as an import checks one; whether its ids
    are in the dataset is the caller's to check (the review app does)."""
    if action == "undo":
        raise ReviewError("an undo is made with undo_entity_decision")
    fields = {"uid": uuid.uuid4().hex, "created_at": now(), "reviewer": reviewer.strip(), "kind": kind,
              "action": action, "subject": subject, "other": other, "member": member, "value": value}
    try:
        StoredEntityDecision.model_validate(fields)
    except ValidationError as err:
        raise ReviewError(f"invalid {action} decision: {describe(err.errors())}") from None
    return EntityDecision(**fields)


def undo_entity_decision(last: EntityDecision, reviewer: str) -> EntityDecision:
    return EntityDecision(uuid.uuid4().hex, now(), reviewer.strip() or last.reviewer, last.kind, "undo",
                          subject=last.subject, undoes=last.uid)


def effective_entity_decisions(decisions: list[EntityDecision]) -> list[EntityDecision]:
    """The entity decisions in force, in the order they were made: undone ones and undos left out,
    and of the host (or scope) decisions on one entity only the latest."""
    undone = {d.undoes for d in decisions if d.action == "undo"}
    kept = [d for d in decisions if d.action != "undo" and d.uid not in undone]
    latest = {(d.kind, d.action, d.subject): d.uid for d in kept if d.action in ("host", "scope")}
    return [d for d in kept if d.action not in ("host", "scope") or latest[(d.kind, d.action, d.subject)] == d.uid]


# --- what reviews teach the gazetteers ---------------------------------------------------

def reviewed_names(decisions: list[Decision]) -> dict[str, list[dict]]:
    """Gazetteer rows from corrections that link a mention to a park or company: the mention's
    text becomes an alias of that entity (or names a new one), so the next run finds it everywhere."""
    rows: dict[str, dict[str, dict]] = {"park": {}, "company": {}}
    for decision in effective(decisions).values():
        if decision.action != "correct" or unappliable(decision):
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
