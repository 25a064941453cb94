"""Flat tables of the dataset for Excel and pandas: CSV (UTF-8 with a byte-order mark, so Excel
reads the Chinese right), JSON Lines or one XLSX workbook.

Every table is a list of rows with declared column types, so a CSV read back converts to
exactly the rows that were written (`read_csv`)."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

from pipeline.dataset import Dataset
from pipeline.files import write_atomically
from pipeline.records import RECORDS_DIR, read_record

FORMATS = ("csv", "jsonl", "xlsx")
LIST_SEPARATOR = " | "  # list cells: aliases, documents (`_cell` refuses an item containing it)

COLUMNS: dict[str, dict[str, type | str]] = {
    "parks": {"park_id": str, "name_en": str, "name_zh": str, "aliases": list, "scope": str, "host_iso": str,
              "host_name": str, "host_name_zh": str, "host_basis": str, "other_countries": list, "park_types": list,
              "development_modes": list, "developers": list, "operators": list, "investors": list, "tenants": list,
              "founded": list, "figures": int, "documents": list, "review_status": str},
    "companies": {"company_id": str, "name_en": str, "name_zh": str, "aliases": list, "country": str,
                  "parks": list, "documents": list, "review_status": str},
    "countries": {"iso": str, "name_en": str, "name_zh": str, "aliases": list, "parks": list, "documents": list},
    "park_companies": {"park_id": str, "company_id": str, "company_name": str, "relation": str, "doc_id": str,
                       "sentence_start": int, "sentence_end": int, "evidence": str},
    "figures": {"park_id": str, "park_name": str, "kind": str, "value": float, "unit": str, "as_of": int,
                "qualifier": str, "text": str, "review_status": str, "doc_id": str, "sentence_start": int,
                "sentence_end": int, "evidence": str},
    "mentions": {"doc_id": str, "entity_id": str, "type": str, "text": str, "start": int, "end": int, "lang": str,
                 "canonical_id": str, "canonical_name": str, "canonical_name_zh": str, "country": str,
                 "value": float, "unit": str, "review_status": str},
    "document_themes": {"doc_id": str, "theme_id": str, "label": str, "label_zh": str, "group": str,
                        "score": float, "passages": int, "terms": list},
    "theme_passages": {"doc_id": str, "theme_id": str, "label": str, "group": str, "start": int, "end": int,
                       "score": float, "terms": list, "text": str},
}


def _names(items) -> list[str]:
    return sorted({i for i in items if i})


def dataset_tables(dataset: Dataset, out_dir: Path) -> dict[str, list[dict]]:
    """The tables, from the dataset and (for mentions and themes) the document records."""
    parks = []
    for p in dataset.parks:
        by_relation = {r: _names(c.name or c.name_zh for c in p.companies if c.relation == r)
                       for r in ("develops", "operates", "invests", "tenant")}
        host = p.host_country
        parks.append({"park_id": p.id, "name_en": p.names.en, "name_zh": p.names.zh, "aliases": p.names.aliases,
                      "scope": p.scope, "host_iso": host.iso if host else None, "host_name": host.name if host else None,
                      "host_name_zh": host.name_zh if host else None, "host_basis": host.basis if host else None,
                      "other_countries": [c.iso for c in p.other_countries],
                      "park_types": [t.id for t in p.park_types], "development_modes": [t.id for t in p.development_modes],
                      "developers": by_relation["develops"], "operators": by_relation["operates"],
                      "investors": by_relation["invests"], "tenants": by_relation["tenant"], "founded": sorted({str(f.year) for f in p.founded}),
                      "figures": len(p.figures), "documents": [d.doc_id for d in p.documents],
                      "review_status": p.review.status})
    companies = [{"company_id": c.id, "name_en": c.names.en, "name_zh": c.names.zh, "aliases": c.names.aliases,
                  "country": c.country, "parks": _names(link.park for link in c.parks),
                  "documents": [d.doc_id for d in c.documents], "review_status": c.review.status}
                 for c in dataset.companies]
    countries = [{"iso": c.id, "name_en": c.names.en, "name_zh": c.names.zh, "aliases": c.names.aliases,
                  "parks": c.parks, "documents": [d.doc_id for d in c.documents]} for c in dataset.countries]
    links = [{"park_id": p.id, "company_id": c.company, "company_name": c.name or c.name_zh, "relation": c.relation,
              "doc_id": s.doc_id, "sentence_start": s.start, "sentence_end": s.end, "evidence": s.text}
             for p in dataset.parks for c in p.companies for s in c.sources]
    figures = [{"park_id": p.id, "park_name": p.names.en or p.names.zh, "kind": f.kind, "value": f.value,
                "unit": f.unit, "as_of": f.as_of, "qualifier": f.qualifier, "text": f.text,
                "review_status": f.review_status, "doc_id": f.source.doc_id, "sentence_start": f.source.start,
                "sentence_end": f.source.end, "evidence": f.source.text}
               for p in dataset.parks for f in p.figures]
    mentions, themes, theme_passages = [], [], []
    for path in sorted((Path(out_dir) / RECORDS_DIR).glob("*.json")):
        record = read_record(path)
        for e in record.entities:
            mentions.append({"doc_id": record.doc_id, "entity_id": e.id, "type": e.type, "text": e.text,
                             "start": e.start, "end": e.end, "lang": e.lang,
                             "canonical_id": e.canonical.id if e.canonical else None,
                             "canonical_name": e.canonical.name if e.canonical else None,
                             "canonical_name_zh": e.canonical.name_zh if e.canonical else None,
                             "country": e.country, "value": e.value, "unit": e.unit,
                             "review_status": e.review_status})
        for t in record.themes:
            themes.append({"doc_id": record.doc_id, "theme_id": t.id, "label": t.label, "label_zh": t.label_zh,
                           "group": t.group, "score": t.score, "passages": len(t.passages), "terms": t.terms})
            theme_passages += [{"doc_id": record.doc_id, "theme_id": t.id, "label": t.label, "group": t.group,
                                "start": p.start, "end": p.end, "score": p.score, "terms": p.terms,
                                "text": record.text[p.start:p.end]} for p in t.passages]
    return {"parks": parks, "companies": companies, "countries": countries, "park_companies": links,
            "figures": figures, "mentions": mentions, "document_themes": themes, "theme_passages": theme_passages}


def _cell(value, kind) -> str | int | float | None:
    """The value as written; refuses what would not read back the same (`read_csv`)."""
    if kind is list:
        if any(not item or LIST_SEPARATOR in item for item in value):
            raise ValueError(f"cannot write the list {value!r} as one cell: an item is empty or contains "
                             f"{LIST_SEPARATOR!r}")
        return LIST_SEPARATOR.join(value)
    if value == "":
        raise ValueError("an empty text cell would read back as null")
    return value


def write_tables(tables: dict[str, list[dict]], out_dir: Path, fmt: str) -> list[Path]:
    """Each file built in memory, then written atomically: a bad cell or a crash leaves the previous
    export whole, never a table cut short."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r}: one of {', '.join(FORMATS)}")
    out_dir = Path(out_dir)
    if fmt == "xlsx":
        from openpyxl import Workbook

        workbook = Workbook()
        workbook.remove(workbook.active)
        for name, rows in tables.items():
            sheet = workbook.create_sheet(name)
            sheet.append(list(COLUMNS[name]))
            for row in rows:
                sheet.append([_cell(row[c], kind) for c, kind in COLUMNS[name].items()])
            sheet.freeze_panes = "A2"
        content = io.BytesIO()
        workbook.save(content)
        path = out_dir / "parks-dataset.xlsx"
        write_atomically(path, content.getvalue())
        return [path]
    contents = {}
    for name, rows in tables.items():
        if fmt == "csv":
            text = io.StringIO(newline="")
            writer = csv.DictWriter(text, fieldnames=list(COLUMNS[name]))
            writer.writeheader()
            writer.writerows({c: _cell(row[c], kind) for c, kind in COLUMNS[name].items()} for row in rows)
            contents[name] = text.getvalue().encode("utf-8-sig")
        else:
            contents[name] = "".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows)
    written = []
    for name, content in contents.items():
        path = out_dir / f"{name}.{fmt}"
        write_atomically(path, content)
        written.append(path)
    return written


def read_csv(path: Path, table: str) -> list[dict]:
    """A CSV table back as typed rows: empty cells are null, lists split, numbers parsed."""
    def parse(text: str, kind):
        if kind is list:
            return text.split(LIST_SEPARATOR) if text else []
        if text == "":
            return None
        return kind(text)

    with Path(path).open(encoding="utf-8-sig", newline="") as handle:
        return [{c: parse(row[c], kind) for c, kind in COLUMNS[table].items()} for row in csv.DictReader(handle)]
