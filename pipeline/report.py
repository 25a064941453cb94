"""A static HTML report of the dataset: charts and tables in one folder that opens offline.

Charts are Vega-Lite specifications rendered to SVG by vl-convert (no JavaScript, no network);
the map draws Natural Earth's 1:110m countries (world-atlas 2.0.2, ISC licence) in
`data/world-110m.json`.
"""

from __future__ import annotations

import html
import json
from collections import Counter
from pathlib import Path

import pycountry

from pipeline.dataset import Dataset
from pipeline.files import write_atomically
from pipeline.records import THEME_MAP, read_record, RECORDS_DIR
from pipeline.resources import DATA_DIR

VEGA_LITE = "https://vega.github.io/schema/vega-lite/v5.json"  # schema id only; nothing is fetched
CSS = """body{font-family:system-ui,"Noto Sans CJK SC","Microsoft YaHei",sans-serif;margin:2rem auto;max-width:1100px;
color:#222;padding:0 1rem}h1{font-size:1.6rem}h2{margin-top:2.5rem;border-bottom:1px solid #ccc}
figure.chart{margin:1.5rem 0}figcaption{font-weight:600;margin-bottom:.5rem}figure.chart svg{max-width:100%;height:auto}
table{border-collapse:collapse;font-size:.85rem;width:100%}th,td{border:1px solid #ddd;padding:.3rem .4rem;
text-align:left;vertical-align:top}th{background:#f4f4f4;position:sticky;top:0}td.num{text-align:right}
.evidence{color:#555;font-size:.8rem}p.note{color:#555}
"""


def _svg(spec: dict) -> str:
    import vl_convert

    return vl_convert.vegalite_to_svg({"$schema": VEGA_LITE, **spec})


def _bar(rows: list[dict], category: str, title: str, color: str = "#4c78a8") -> dict:
    return {"width": 520, "height": {"step": 18}, "data": {"values": rows}, "mark": {"type": "bar", "color": color},
            "encoding": {"y": {"field": category, "type": "nominal", "sort": "-x", "title": None},
                         "x": {"field": "parks", "type": "quantitative", "title": title,
                               "axis": {"tickMinStep": 1, "format": "d"}}}}


def hosts_chart(dataset: Dataset) -> dict:
    counts = Counter(p.host_country.name for p in dataset.parks if p.host_country)
    return _bar([{"country": c, "parks": n} for c, n in counts.items()], "country", "parks")


def types_chart(dataset: Dataset) -> dict:
    counts = Counter(t.label for p in dataset.parks for t in p.park_types)
    untyped = sum(1 for p in dataset.parks if not p.park_types)
    if untyped:
        counts["(no type stated)"] = untyped
    return _bar([{"type": t, "parks": n} for t, n in counts.items()], "type", "parks", "#f58518")


def map_chart(dataset: Dataset) -> tuple[dict, list[str]]:
    """Parks by host country on a world map (ISO numeric codes join the map to the data), and the
    host countries too small for a 1:110m map (Singapore)."""
    world = json.loads((DATA_DIR / "world-110m.json").read_text(encoding="utf-8"))
    drawn = {g.get("id") for g in world["objects"]["countries"]["geometries"]}
    counts = Counter(p.host_country.iso for p in dataset.parks if p.host_country)
    rows, missing = [], []
    for iso, n in sorted(counts.items()):
        country = pycountry.countries.get(alpha_2=iso)
        if country and country.numeric in drawn:
            rows.append({"id": country.numeric, "parks": n, "country": country.name})
        else:
            missing.append(f"{country.name if country else iso} ({n})")
    shapes = {"values": world, "format": {"type": "topojson", "feature": "countries"}}
    return {"width": 900, "height": 450, "projection": {"type": "equalEarth"}, "layer": [
        {"data": shapes, "mark": {"type": "geoshape", "fill": "#e8e8e8", "stroke": "#fff", "strokeWidth": 0.5}},
        {"data": shapes,
         "transform": [{"lookup": "id", "from": {"data": {"values": rows}, "key": "id", "fields": ["parks", "country"]}},
                       {"filter": "datum.parks > 0"}],
         "mark": {"type": "geoshape", "stroke": "#fff", "strokeWidth": 0.5},
         "encoding": {"color": {"field": "parks", "type": "quantitative", "title": "parks",
                                "scale": {"scheme": "blues"}}}}]}, missing


def theme_documents_chart(records: list[dict]) -> dict:
    """Seeded themes (rows) by document (columns), coloured by the theme's share of the document."""
    rows = [{"document": r["doc_id"], "theme": t["label"], "score": t["score"]}
            for r in records for t in r["themes"] if not t["id"].startswith("discovered.")]
    return {"data": {"values": rows}, "mark": "rect", "width": {"step": 14}, "height": {"step": 16},
            "encoding": {"x": {"field": "document", "type": "nominal", "title": None, "axis": {"labelAngle": -60}},
                         "y": {"field": "theme", "type": "nominal", "title": None},
                         "color": {"field": "score", "type": "quantitative", "scale": {"scheme": "greens"}}}}


def theme_languages_chart(themes: dict[str, dict]) -> dict:
    """Passages carrying each seeded theme, English and Chinese side by side."""
    rows = [{"theme": t["label"], "language": {"en": "English", "zh": "Chinese"}[lang], "passages": n}
            for t in themes.values() if not t["id"].startswith("discovered.")
            for lang, n in t["passages_by_language"].items()]
    return {"data": {"values": rows}, "mark": "bar", "width": 520, "height": {"step": 10},
            "encoding": {"y": {"field": "theme", "type": "nominal", "title": None},
                         "yOffset": {"field": "language"},
                         "x": {"field": "passages", "type": "quantitative"},
                         "color": {"field": "language", "type": "nominal"}}}


class Markup(str):
    """A cell that is HTML already (escaped parts put together); every other cell is escaped."""


def _table(headers: list[str], rows: list[list], numeric: set[int] = frozenset()) -> str:
    def cell(i: int, value) -> str:
        content = value if isinstance(value, Markup) else html.escape("" if value is None else str(value))
        return f'<td class="num">{content}</td>' if i in numeric else f"<td>{content}</td>"

    head = "".join(f"<th>{html.escape(h)}</th>" for h in headers)
    body = "".join("<tr>" + "".join(cell(i, c) for i, c in enumerate(row)) + "</tr>" for row in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"



def render_report(dataset: Dataset, out_dir: Path) -> str:
    """The report page; `out_dir` is the folder `parks extract` wrote (records and theme map)."""
    out_dir = Path(out_dir)
    records = [{"doc_id": r.doc_id, "themes": [t.model_dump() for t in r.themes]}
               for r in map(read_record, sorted((out_dir / RECORDS_DIR).glob("*.json")))]
    theme_map = json.loads((out_dir / THEME_MAP).read_text(encoding="utf-8")) if (out_dir / THEME_MAP).exists() \
        else {"themes": []}
    themes = {t["id"]: t for t in theme_map["themes"]}
    world_map, off_map = map_chart(dataset)
    charts = [("chart-map", "Parks by host country: map", world_map),
              ("chart-hosts", "Parks by host country", hosts_chart(dataset)),
              ("chart-types", "Parks by type (from the themes of the passages that name them)", types_chart(dataset)),
              ("chart-theme-documents", "Theme prevalence by document", theme_documents_chart(records)),
              ("chart-theme-languages", "Theme prevalence by language (passages)", theme_languages_chart(themes))]
    figures_html = "".join(f'<figure class="chart" id="{cid}"><figcaption>{html.escape(title)}</figcaption>'
                           f"{_svg(spec)}</figure>" for cid, title, spec in charts)
    if off_map:
        figures_html = figures_html.replace("</figure>", f'<p class="note" id="off-map">Too small for this map: '
                                                         f'{html.escape(", ".join(off_map))}.</p></figure>', 1)
    parks_rows = [[p.names.en, p.names.zh,
                   f"{p.host_country.name} ({p.host_country.basis})" if p.host_country else None, p.scope,
                   ", ".join(t.label for t in p.park_types), ", ".join(t.label for t in p.development_modes),
                   "; ".join(sorted({f"{c.name or c.name_zh} ({c.relation})" for c in p.companies})),
                   ", ".join(sorted({str(f.year) for f in p.founded})), len(p.figures),
                   "; ".join(d.title or d.doc_id for d in p.documents), p.review.status] for p in dataset.parks]
    figure_rows = [[p.names.en or p.names.zh, f.kind, f.text, f.qualifier, f.as_of,
                    Markup(f'{html.escape(f.source.doc_id)}<div class="evidence">{html.escape(f.source.text)}</div>')]
                   for p in dataset.parks for f in p.figures]
    located = sum(1 for p in dataset.parks if p.host_country)
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>parks: overseas industrial parks in the literature</title>
<link rel="stylesheet" href="report.css"></head><body>
<h1>Overseas industrial parks in the literature</h1>
<p class="note">{len(records)} documents, {len(dataset.parks)} parks ({located} with a host country),
{len(dataset.companies)} companies, {len(dataset.countries)} countries. Every park, relation and figure
points to its sentence in <code>parks.json</code>; the tables below come from the same data.</p>
<h2>Charts</h2>{figures_html}
<h2>Parks</h2>{_table(["Park", "园区", "Host country (basis)", "Scope", "Type", "Development mode", "Companies",
                        "Founded", "Figures", "Documents", "Review"], parks_rows, {8})}
<h2>Figures about parks</h2>{_table(["Park", "Kind", "Figure", "Qualifier", "As of", "Source"], figure_rows)}
</body></html>
"""


def write_report(dataset: Dataset, out_dir: Path, report_dir: Path) -> Path:
    report_dir = Path(report_dir)
    write_atomically(report_dir / "report.css", CSS)
    write_atomically(report_dir / "index.html", render_report(dataset, out_dir))
    return report_dir / "index.html"
