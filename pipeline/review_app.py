"""The review web app: records and their entities in the browser, decisions into the review store.

A small FastAPI app over the records folder. Pages are static files that fetch JSON; all
document text reaches the page as JSON and is put into the DOM as text, never as HTML.
Every request must name this machine as its Host (a loopback name, or the host the app was started
with), so a page of another site whose name resolves to 127.0.0.1 (DNS rebinding) gets nothing.
State-changing requests are POST with a per-process CSRF token (sent back in a header) from the
app's own origin (Origin, or else Referer, equal to the Host); bodies are validated by pydantic
models, and a bad one gets a 4xx naming the field, before anything is stored. Only records in the
records folder and the review database are read or written.

The Parks and Companies views read the dataset files (parks.json, companies.json) of the same
folder; an entity decision is stored, then the dataset is rebuilt with every entity decision in
force and rewritten, so the view shows its result.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import asdict
from collections.abc import Iterable
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

from fastapi import FastAPI, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, JSONResponse, Response
from pydantic import BaseModel, ConfigDict, Field

from pipeline import dataset as datasets
from pipeline.dataset import DATASET_FILES, CompanyRecord, Dataset, ParkRecord
from pipeline.locks import record_lock
from pipeline.records import RECORDS_DIR, read_record, write_record
from pipeline.resources import Resources
from pipeline.review import (DOC_ID, DOC_ID_CHARS, ENTITY_ACTIONS, CanonicalId, Correction, DocId, EntityDecision,
                             EntityId, Reviewer, ReviewError, ReviewStore, apply_decisions, decide, decide_entity,
                             describe, effective_entity_decisions, entity_key, last_in_force, undo,
                             undo_entity_decision)
from pipeline.types import DocumentRecord, Entity

STATIC = Path(__file__).parent / "review_static"
ENTITY_TYPES = ("park", "country", "company", "figure")
STATUSES = ("pending", "accepted", "rejected", "corrected")
LOOPBACK = re.compile(r"localhost|\[::1\]|127(\.\d{1,3}){3}")
HOST = re.compile(r"(?P<name>\[[0-9a-f:.]+\]|[^:\[\]]+)(:\d{1,5})?")
SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": "default-src 'self'; script-src 'self'; style-src 'self'; object-src 'none'; "
                               "frame-ancestors 'none'",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
}


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class DecisionBody(_Body):
    doc_id: DocId
    entity_id: str = Field(pattern=r"^[0-9a-f]{6,64}$")
    action: Literal["accept", "reject", "correct"]
    reviewer: Reviewer
    after: Correction | None = None


class BulkBody(_Body):
    doc_id: DocId
    canonical_id: CanonicalId
    action: Literal["accept", "reject"]
    scope: Literal["document", "corpus"]
    reviewer: Reviewer


class UndoBody(_Body):
    reviewer: Reviewer


class EntityDecisionBody(_Body):
    kind: Literal["park", "company"]
    action: Literal[tuple(a for a in ENTITY_ACTIONS if a != "undo")]
    subject: EntityId
    other: EntityId | None = None
    member: EntityId | None = None
    value: str | None = Field(default=None, max_length=20)
    reviewer: Reviewer


class DatasetCache:
    """The dataset files of the records folder, read once and again only when one of them changes."""

    def __init__(self, out_dir: Path):
        self.out_dir = Path(out_dir)
        self._cached: tuple[tuple, Dataset] | None = None

    def get(self) -> Dataset:
        paths = [self.out_dir / name for name in DATASET_FILES.values()]
        version = tuple((p.stat().st_ino, p.stat().st_mtime_ns, p.stat().st_size) if p.is_file() else None
                        for p in paths)
        if not self._cached or self._cached[0] != version:
            try:
                self._cached = (version, datasets.read_dataset(self.out_dir))
            except FileNotFoundError as err:
                raise HTTPException(404, str(err)) from None
        return self._cached[1]


class EntityIndex:
    """The parks (or companies) of the dataset by id, and the entity each member id was joined into."""

    def __init__(self, data: Dataset, kind: str):
        self.kind = kind
        self.file = DATASET_FILES[kind]
        self.entities: dict[str, ParkRecord | CompanyRecord] = {
            e.id: e for e in (data.parks if kind == "park" else data.companies)}
        self.owner = {m.id: e.id for e in self.entities.values() for m in e.members}
        self.owner.update({i: i for i in self.entities})

    def entity(self, entity_id: str) -> ParkRecord | CompanyRecord:
        """The entity that holds `entity_id` (its own id or a member's); a 400 naming the file if none."""
        if entity_id not in self.owner:
            raise ReviewError(f"no {self.kind} {entity_id!r} in {self.file}")
        return self.entities[self.owner[entity_id]]

    def ids(self, entity: ParkRecord | CompanyRecord) -> set[str]:
        return {entity.id, *(m.id for m in entity.members)}


def _checked_against_dataset(body: EntityDecisionBody, index: EntityIndex) -> None:
    """A ReviewError (400) saying why the decision does not fit the dataset as it is."""
    subject = index.entity(body.subject)
    if body.other is not None:
        other = index.entity(body.other)
        if body.action == "merge" and other.id == subject.id:
            raise ReviewError(f"{body.subject} and {body.other} are already one {index.kind} ({subject.id})")
        if body.action in ("accept_link", "reject_link") and not (
                any(c.other in index.ids(other) for c in subject.candidates)
                or any(c.other in index.ids(subject) for c in other.candidates)):
            raise ReviewError(f"no candidate link between {subject.id} and {other.id} in {index.file}")
    if body.member is not None:
        if body.member not in {m.id for m in subject.members}:
            raise ReviewError(f"{body.member} is no member of {subject.id} in {index.file}")
        if len(subject.members) < 2:
            raise ReviewError(f"{subject.id} has one member: nothing to split off")


def _listed(entity: ParkRecord | CompanyRecord) -> dict:
    """One row of the Parks (Companies) list."""
    host = getattr(entity, "host_country", None)
    return {"id": entity.id, "name": entity.names.en, "name_zh": entity.names.zh, "aliases": entity.names.aliases,
            "host": host.iso if host else getattr(entity, "country", None), "scope": getattr(entity, "scope", None),
            "documents": len(entity.documents), "mentions": sum(d.mentions for d in entity.documents),
            "members": len(entity.members), "candidates": len(entity.candidates), "review": entity.review.status}


def _entity_card(entity: ParkRecord | CompanyRecord, index: EntityIndex, decisions: list[EntityDecision]) -> dict:
    """Everything a reviewer judges an entity by: the record, its links grouped by role, the names
    of its candidate links, and the reviewers' decisions in force that name it or its members."""
    data = entity.model_dump(mode="json")
    data["kind"] = index.kind
    links = data["companies"] if index.kind == "park" else data["parks"]
    data["by_role"] = {role: [link for link in links if link["relation"] == role]
                       for role in dict.fromkeys(link["relation"] for link in links)}
    for candidate in data["candidates"]:
        candidate["entity"] = index.owner.get(candidate["other"])
    ids = index.ids(entity)
    data["decisions"] = [asdict(d) for d in decisions
                         if d.kind == index.kind and ids & {d.subject, d.other, d.member}]
    return data


class RecordCache:
    """Records read once and again only when their file changes."""

    def __init__(self, out_dir: Path):
        self.folder = Path(out_dir) / RECORDS_DIR
        self._cache: dict[str, tuple[float, DocumentRecord]] = {}

    def ids(self) -> list[str]:
        return sorted(p.stem for p in self.folder.glob("*.json") if re.fullmatch(DOC_ID, p.stem))

    def get(self, doc_id: str) -> DocumentRecord:
        if len(doc_id) > DOC_ID_CHARS:
            raise HTTPException(400, f"document id longer than {DOC_ID_CHARS} characters")
        path = self.folder / f"{doc_id}.json"  # the pattern allows no '/' and no leading '.': inside the folder
        if not re.fullmatch(DOC_ID, doc_id) or not path.is_file():
            raise HTTPException(404, f"no document {doc_id!r}")
        stat = path.stat()
        version = (stat.st_ino, stat.st_mtime_ns, stat.st_size)  # every write is a new file (rename): a new inode
        cached = self._cache.get(doc_id)
        if not cached or cached[0] != version:
            cached = (version, read_record(path))
            self._cache[doc_id] = cached
        return cached[1]


def _counts(record: DocumentRecord) -> dict:
    counts = {t: {s: 0 for s in STATUSES} for t in ENTITY_TYPES}
    for entity in record.entities + record.rejected_entities:
        counts[entity.type][entity.review_status] += 1
    return counts


def _entity_json(entity: Entity, record: DocumentRecord) -> dict:
    data = entity.model_dump(mode="json")
    sentence = record.sentences[entity.sentence] if entity.sentence < len(record.sentences) else None
    data["context"] = {"start": sentence.start, "end": sentence.end} if sentence else None
    return data


def _bracketed(host: str) -> str:
    """An IPv6 address as a Host header writes it."""
    return f"[{host}]" if ":" in host and not host.startswith("[") else host


def _cross_origin(request: Request, host: str) -> str | None:
    """Why a state-changing request does not come from this app's own pages (None when it does):
    its Origin, or else its Referer, must be on the request's (allowed) Host."""
    origin = request.headers.get("origin")
    header, url = ("Origin", origin) if origin is not None else ("Referer", request.headers.get("referer"))
    if url is None:
        return "cross-origin request refused: no Origin or Referer"
    try:
        parts = urlsplit(url)
        same = parts.scheme in ("http", "https") and parts.netloc.lower() == host.lower()
    except ValueError:
        same = False
    return None if same else f"cross-origin request refused: {header} {url!r}"


def create_app(out_dir: Path, store: ReviewStore, resources: Resources, allowed_hosts: Iterable[str] = ()) -> FastAPI:
    """The app over the records of `out_dir`. It answers requests whose Host is a loopback name or
    one of `allowed_hosts` (the host given to `parks review --host`)."""
    app = FastAPI(title="parks review", docs_url=None, redoc_url=None, openapi_url=None)
    records = RecordCache(out_dir)
    csrf = secrets.token_urlsafe(32)
    app.state.csrf = csrf
    hosts = {_bracketed(host.lower()) for host in allowed_hosts}

    def host_allowed(host: str) -> bool:
        match = HOST.fullmatch(host.lower())
        return bool(match) and (bool(LOOPBACK.fullmatch(match["name"])) or match["name"] in hosts)

    @app.exception_handler(ReviewError)
    async def review_error(request: Request, err: ReviewError):
        return JSONResponse({"detail": str(err)}, status_code=400)

    @app.exception_handler(RequestValidationError)
    async def bad_request(request: Request, err: RequestValidationError):
        """The fields and what is wrong with them (the body's own fields named without 'body.')."""
        return JSONResponse({"detail": describe([{**e, "loc": e["loc"][1:]} for e in err.errors()])}, status_code=422)

    @app.middleware("http")
    async def guard(request: Request, call_next):
        host = request.headers.get("host", "")
        changes_state = request.method not in ("GET", "HEAD")
        if not host_allowed(host):
            response = JSONResponse({"detail": f"host not allowed: {host!r}; open the app at 127.0.0.1 or localhost, or "
                                               "start it with --host set to the name used to reach it"},
                                    status_code=421)
        elif changes_state and (refused := _cross_origin(request, host)):
            response = JSONResponse({"detail": refused}, status_code=403)
        elif changes_state and not secrets.compare_digest(  # as bytes: a header may hold any Latin-1 character
                request.headers.get("x-csrf-token", "").encode("latin-1"), csrf.encode("ascii")):
            response = JSONResponse({"detail": "missing or wrong CSRF token (reload the page)"}, status_code=403)
        else:
            response = await call_next(request)
        response.headers.update(SECURITY_HEADERS)
        return response

    def page(name: str) -> FileResponse:
        return FileResponse(STATIC / name, media_type={"html": "text/html", "js": "text/javascript",
                                                        "css": "text/css"}[name.rsplit(".", 1)[1]])

    @app.get("/")
    def index():
        return page("index.html")

    @app.get("/favicon.ico")
    def favicon():
        return Response(status_code=204)

    @app.get("/static/{name}")
    def static(name: str):
        if name not in ("app.js", "style.css"):
            raise HTTPException(404, "no such file")
        return page(name)

    @app.get("/report/")
    @app.get("/report/{name}")
    def report(name: str = "index.html"):
        """The static report `parks report` wrote beside the records (extracted/report/)."""
        if name not in ("index.html", "report.css"):
            raise HTTPException(404, "no such file")
        path = out_dir / "report" / name
        if not path.is_file():
            raise HTTPException(404, f"no report in {out_dir / 'report'}: run `parks report --records {out_dir}`")
        return FileResponse(path, media_type="text/html" if name.endswith(".html") else "text/css")

    @app.get("/api/session")
    def session():
        return {"csrf": csrf}

    @app.get("/api/documents")
    def documents():
        listing = []
        for doc_id in records.ids():
            record = records.get(doc_id)
            counts = _counts(record)
            listing.append({"doc_id": doc_id, "title": record.metadata.title, "title_zh": record.metadata.title_zh,
                            "language": record.language, "status": record.status, "counts": counts,
                            "orphans": len(record.review_orphans)})
        return listing

    @app.get("/api/documents/{doc_id}")
    def document(doc_id: str):
        record = records.get(doc_id)
        return {"doc_id": doc_id, "title": record.metadata.title or record.metadata.title_zh,
                "language": record.language, "status": record.status, "error": record.error, "text": record.text,
                "entities": [_entity_json(e, record) for e in record.entities],
                "rejected": [_entity_json(e, record) for e in record.rejected_entities],
                "orphans": record.review_orphans, "counts": _counts(record),
                "themes": [t.model_dump(mode="json") for t in record.themes]}

    @app.get("/api/queue")
    def queue(limit: int = 50, type: str | None = None):
        if type is not None and type not in ENTITY_TYPES:
            raise HTTPException(400, f"type must be one of {', '.join(ENTITY_TYPES)}")
        pending = [(e.confidence, doc_id, e.start, e) for doc_id in records.ids()
                   for e in records.get(doc_id).entities
                   if e.review_status == "pending" and (type is None or e.type == type)]
        pending.sort(key=lambda x: x[:3])
        return [{"doc_id": doc_id, "entity_id": e.id, "type": e.type, "text": e.text, "confidence": e.confidence}
                for _, doc_id, _, e in pending[:max(1, min(limit, 500))]]

    @app.get("/api/canonical")
    def canonical(q: str = "", type: Literal["park", "company", "country"] = "park"):
        """Canonical entities to link to: the gazetteers and what the records already link."""
        needle = q.strip().lower()
        found: dict[str, dict] = {}
        if type in ("park", "company"):
            gazetteer = resources.parks if type == "park" else resources.companies
            for entry in gazetteer.entries.values():
                found[entry.id] = entry.as_record()
        else:
            for iso, entry in resources.countries.by_iso.items():
                found[iso] = entry.as_record()
        for doc_id in records.ids():
            for e in records.get(doc_id).entities:
                if e.type == type and e.canonical and e.canonical.id not in found:
                    found[e.canonical.id] = e.canonical.model_dump()
        hits = [c for c in found.values()
                if not needle or any(needle in (n or "").lower() for n in (c["id"], c["name"], c["name_zh"], *c["aliases"]))]
        return sorted(hits, key=lambda c: (c["name"] or c["name_zh"] or c["id"]).lower())[:30]

    def _rewrite(doc_id: str) -> DocumentRecord:
        record = apply_decisions(records.get(doc_id), store.decisions(doc_id))
        write_record(record, Path(out_dir))
        return record

    @app.post("/api/decisions")
    def make_decision(body: DecisionBody):
        with record_lock(out_dir):  # shared with `parks extract`: no decision lost between runs' reads and writes
            record = records.get(body.doc_id)
            decision = decide(record, body.entity_id, body.action, body.reviewer,
                              body.after.changes() if body.after else None)
            store.add(decision)
            record = _rewrite(body.doc_id)
        entity = next((e for e in record.entities + record.rejected_entities if e.id == body.entity_id), None)
        return {"decision": decision.uid, "entity": _entity_json(entity, record) if entity else None,
                "counts": _counts(record)}

    @app.post("/api/bulk")
    def bulk(body: BulkBody):
        target = {"accept": "accepted", "reject": "rejected"}[body.action]
        touched = 0
        with record_lock(out_dir):
            doc_ids = [body.doc_id] if body.scope == "document" else records.ids()
            for doc_id in doc_ids:
                record = records.get(doc_id)
                decisions = [decide(record, e.id, body.action, body.reviewer)
                             for e in record.entities + record.rejected_entities
                             if e.canonical and e.canonical.id == body.canonical_id and e.review_status != target]
                for decision in decisions:
                    store.add(decision)
                if decisions:
                    _rewrite(doc_id)
                    touched += len(decisions)
        return {"decided": touched}

    @app.post("/api/undo")
    def undo_last(body: UndoBody):
        with record_lock(out_dir):
            last = last_in_force(store.decisions(), body.reviewer)
            if last is None:
                raise ReviewError(f"nothing to undo for {body.reviewer}")
            store.add(undo(last, body.reviewer))
            record = _rewrite(last.doc_id)
        entity = next((e for e in record.entities + record.rejected_entities if entity_key(e) == last.key), None)
        return {"undone": last.uid, "doc_id": last.doc_id, "entity_id": entity.id if entity else None}

    # --- entities of the dataset: the Parks and Companies views ---------------------------

    dataset_files = DatasetCache(out_dir)

    def entity_kind(plural: str) -> str:
        if plural not in ("parks", "companies"):
            raise HTTPException(404, "no such list: parks or companies")
        return "park" if plural == "parks" else "company"

    @app.get("/api/entities/{plural}")
    def entity_list(plural: str):
        index = EntityIndex(dataset_files.get(), entity_kind(plural))
        return [_listed(e) for e in index.entities.values()]

    @app.get("/api/entities/{plural}/{entity_id}")
    def entity_card(plural: str, entity_id: str):
        index = EntityIndex(dataset_files.get(), entity_kind(plural))
        if entity_id not in index.owner:
            raise HTTPException(404, f"no {index.kind} {entity_id!r} in {index.file}")
        return _entity_card(index.entity(entity_id), index, effective_entity_decisions(store.entity_decisions()))

    def rebuild_dataset() -> Dataset:
        """The dataset with every entity decision in force, written where `parks extract` writes it."""
        built = datasets.build_dataset(out_dir, entity_decisions=effective_entity_decisions(store.entity_decisions()))
        datasets.write_dataset(built, out_dir)
        return built

    def now_in(built: Dataset, kind: str, entity_id: str | None) -> str | None:
        """The id of the entity that holds `entity_id` in the rebuilt dataset (None when it is gone)."""
        index = EntityIndex(built, kind)
        return index.owner.get(entity_id) if entity_id else None

    @app.post("/api/entity-decisions")
    def make_entity_decision(body: EntityDecisionBody):
        with record_lock(out_dir):
            _checked_against_dataset(body, EntityIndex(dataset_files.get(), body.kind))
            decision = decide_entity(body.kind, body.action, body.reviewer, body.subject, body.other, body.member,
                                     body.value)
            store.add_entity_decision(decision)
            built = rebuild_dataset()
        return {"decision": decision.uid, "entity_id": now_in(built, body.kind, body.subject)}

    @app.post("/api/entity-decisions/undo")
    def undo_entity(body: UndoBody):
        with record_lock(out_dir):
            last = last_in_force(store.entity_decisions(), body.reviewer)
            if last is None:
                raise ReviewError(f"no entity decision of {body.reviewer} to undo")
            store.add_entity_decision(undo_entity_decision(last, body.reviewer))
            built = rebuild_dataset()
        return {"undone": last.uid, "action": last.action, "kind": last.kind,
                "entity_id": now_in(built, last.kind, last.subject)}

    return app
