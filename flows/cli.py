"""The `parks` command."""

from __future__ import annotations

import json
import math
import os
import sys
from datetime import datetime, timezone
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.console import Console
from rich.table import Table

from flows.environment import configure_prefect, data_dir, shared_api

app = typer.Typer(add_completion=False, no_args_is_help=True,
                  help="Text mining of the literature on China's overseas industrial parks.")
console = Console(stderr=True)

def _finite(value: float) -> float:
    """Click's range lets inf and nan through."""
    if not math.isfinite(value):
        raise typer.BadParameter(f"{value} is no limit: give a number of at least 0 (0: no limit)")
    return value


# The defaults are `pipeline.limits.DEFAULT_LIMITS`'s, not imported here: importing `pipeline` loads spaCy.
MaxDocumentMB = Annotated[float, typer.Option(min=0, callback=_finite, help="Largest file, and largest text a file gives (UTF-8), in "
                                                         "MB; a larger document gets a failed record (0: no limit).")]
DocumentSeconds = Annotated[float, typer.Option(min=0, callback=_finite, help="Time to extract one document, in seconds; a slower one "
                                                           "gets a failed record (0: no limit).")]


@app.callback()
def main() -> None:
    """parks: extract structured records from bilingual papers on overseas industrial parks."""


@app.command()
def extract(
    corpus: Annotated[Path, typer.Option(help="Folder of source documents (and catalog.json).")] = Path("corpus"),
    out: Annotated[Path, typer.Option(help="Folder the records are written to.")] = Path("extracted"),
    only: Annotated[Optional[list[str]], typer.Option("--only", help="Extract just this doc_id (repeatable).")] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar.")] = False,
    no_cache: Annotated[bool, typer.Option("--no-cache", help="Re-do every stage of every document.")] = False,
    workers: Annotated[int, typer.Option(min=1, help="Documents extracted in parallel, each in its own process "
                                                    "(with --dask-address: the cluster's workers, at least 4 assumed).")] = 1,
    dask_address: Annotated[Optional[str], typer.Option(help="Run the documents on this Dask cluster "
                                                             "(tcp://host:port). Its workers need this package and, on "
                                                             "other machines, a Prefect server they can reach "
                                                             "(PREFECT_API_URL).")] = None,
    prune: Annotated[bool, typer.Option("--prune", help="Remove the records of documents not in the corpus even "
                                                        "when that is many of them, or the corpus is empty.")] = False,
    max_document_mb: MaxDocumentMB = 20.0,
    document_seconds: DocumentSeconds = 300.0,
) -> None:
    """Extract every document of the corpus into extracted/documents/<doc_id>.json.

    Exit code 0 when every document succeeded, 1 when some failed (the others are
    still written), 2 on usage errors, an empty corpus, a run that would remove many
    records (without --prune) and while another run writes the same records folder.
    """
    if not corpus.is_dir():
        raise typer.BadParameter(f"{corpus} is not a folder", param_hint="--corpus")
    home = _announce(data_dir(out, corpus))
    configure_prefect(home)
    from pipeline.corpus import CatalogError, discover_documents
    from pipeline.locks import RunInProgress, exclusive_run
    from pipeline.records import PruneRefused, check_prune
    from pipeline.run import select_documents

    try:
        documents = select_documents(discover_documents(corpus), only)
    except (CatalogError, ValueError) as err:
        raise typer.BadParameter(str(err), param_hint="--only" if isinstance(err, ValueError) and only else "--corpus")
    if not documents and not prune:
        _refuse(f"{corpus} holds no documents (an empty or unmounted folder?): nothing to extract, and a full run "
                f"would remove every record in {out / 'documents'}. Pass --prune to run it anyway")
    try:
        with exclusive_run(out):
            if not only and not prune:
                check_prune(out, {d.doc_id for d in documents})
            summary = _run_extraction(home, corpus, out, only, show_progress=not quiet and sys.stderr.isatty(),
                                      use_cache=not no_cache, workers=workers, dask_address=dask_address, prune=prune,
                                      limits=(max_document_mb, document_seconds))
    except (RunInProgress, PruneRefused) as err:
        _refuse(str(err))
    raise typer.Exit(1 if summary.failed else 0)


def _announce(home: Path) -> Path:
    """Say which data folder (review decisions, cache, run log) a command uses: it is looked up."""
    console.print(f"data folder: {home}", soft_wrap=True, markup=False, highlight=False)
    return home


def _refuse(message: str) -> None:
    """A usage error that is no single option's fault: the message, exit code 2."""
    console.print(f"error: {message}", soft_wrap=True, markup=False, highlight=False)
    raise typer.Exit(2)


DASK_PARALLEL = 4  # tasks a Dask cluster runs at once, for batching, unless --workers says more

def _run_extraction(home: Path, corpus: Path, out: Path, only: list[str] | None, show_progress: bool = False,
                    use_cache: bool = True, workers: int = 1, dask_address: str | None = None, prune: bool = False,
                    limits: tuple[float, float] | None = None):
    """The flow run behind `extract` and `add` (the caller holds `exclusive_run` on `out`):
    decisions and cache from the data folder, the summary printed, the run logged; `limits`:
    each document's MB and seconds (None: the defaults)."""
    from flows.extract import extract_corpus, task_runner  # Prefect reads its settings on import
    from pipeline.limits import DocumentLimits
    from pipeline.review import DATABASE

    started = datetime.now(timezone.utc)
    previous_seconds = _previous_seconds(home / "runs.jsonl", corpus, out, only)
    run = extract_corpus.with_options(task_runner=task_runner(workers, dask_address))
    with shared_api():
        summary = run(corpus_dir=corpus, out_dir=out, only=only, show_progress=show_progress,
                      review_db=home / DATABASE, cache_dir=home / "cache" if use_cache else None,
                      parallel=max(workers, DASK_PARALLEL) if dask_address else workers, prune=prune,
                      limits=DocumentLimits(*limits) if limits else DocumentLimits())
    _print_summary(summary, out, previous_seconds)
    _append_run_log(home / "runs.jsonl", started, corpus, out, only, summary)
    return summary


@app.command()
def stages() -> None:
    """List the pipeline's stages in order: what each reads and writes, its version, what it
    depends on, and which stages an edit re-runs (a gazetteer edit: entities and record)."""
    from pipeline.stages import CORPUS_STAGES, DOCUMENT_STAGES, depends_on, reruns

    listing = Console()  # a listing to read or pipe: standard output

    for title, listed in (("document stages, in order", DOCUMENT_STAGES),
                          ("corpus stages, over every record after the documents", CORPUS_STAGES)):
        listing.print(f"[bold]{title}[/bold]")
        for number, stage in enumerate(listed, 1):
            writes = stage.writes if isinstance(stage.writes, str) else ", ".join(stage.writes)
            cached = ("cached" if stage.store else "not cached") if hasattr(stage, "store") else ""
            listing.print(f"{number}. [bold]{stage.name}[/bold]  {', '.join(stage.reads)} -> {writes}  "
                          f"version {stage.version}  {cached}".rstrip(), highlight=False)
            listing.print(f"   {stage.description}", highlight=False)
            listing.print(f"   depends on: {', '.join(depends_on(stage))}", highlight=False)
    listing.print("[bold]what an edit re-runs[/bold] (the stages after ingest only for documents whose text changes)")
    for dependency, names in reruns().items():
        listing.print(f"  {dependency}: {', '.join(names)}", highlight=False)


@app.command()
def add(
    paths: Annotated[list[Path], typer.Argument(help="Files, or folders whose supported files are all added.")],
    corpus: Annotated[Path, typer.Option(help="The corpus folder to add to.")] = Path("corpus"),
    out: Annotated[Path, typer.Option(help="Folder the records are written to.")] = Path("extracted"),
    title: Annotated[Optional[str], typer.Option(help="Title (English or Chinese), instead of the guessed one.")] = None,
    year: Annotated[Optional[int], typer.Option(help="Publication year.")] = None,
    authors: Annotated[Optional[str], typer.Option(help="Authors, separated by ';'.")] = None,
    lang: Annotated[Optional[str], typer.Option(help="Language of the document: zh or en.")] = None,
    max_document_mb: MaxDocumentMB = 20.0,
    document_seconds: DocumentSeconds = 300.0,
) -> None:
    """Copy papers into the corpus, catalog them, and extract just them.

    Exit code 0 when every file was added and extracted, 1 when some were refused or failed,
    2 on usage errors and while another run writes the same records folder."""
    if lang not in (None, "zh", "en"):
        raise typer.BadParameter("zh or en", param_hint="--lang")
    if not corpus.is_dir():
        raise typer.BadParameter(f"{corpus} is not a folder", param_hint="--corpus")
    from pipeline.locks import RunInProgress, exclusive_run

    home = _announce(data_dir(out, corpus))
    try:
        with exclusive_run(out):
            _add_and_extract(paths, corpus, out, home, title, year, authors, lang, (max_document_mb, document_seconds))
    except RunInProgress as err:
        _refuse(str(err))


def _add_and_extract(paths: list[Path], corpus: Path, out: Path, home: Path, title: str | None, year: int | None,
                     authors: str | None, lang: str | None, limits: tuple[float, float]) -> None:
    """`add` under the run lock: no extraction reads the catalog or writes the records meanwhile."""
    from pipeline.add import add_documents
    from pipeline.corpus import CatalogError
    from pipeline.limits import DocumentLimits

    try:
        outcomes = add_documents(paths, corpus, title=title, year=year, lang=lang,
                                 authors=[a.strip() for a in authors.split(";") if a.strip()] if authors else None,
                                 limits=DocumentLimits(*limits))
    except CatalogError as err:
        raise typer.BadParameter(str(err), param_hint="--corpus")
    table = Table(title=f"parks add -> {corpus}")
    for column in ("file", "doc_id", "result"):
        table.add_column(column)
    for o in outcomes:
        notes = [f"refused: {o.refused}"] if o.refused else ["added"]
        notes += o.warnings + ([f"guessed: {', '.join(o.guessed)}"] if o.guessed else [])
        table.add_row(str(o.source), o.doc_id or "-", "; ".join(notes))
    console.print(table)
    added = [o.doc_id for o in outcomes if o.doc_id]
    if not added:
        raise typer.Exit(1)
    summary = _run_extraction(configure_prefect(home), corpus, out, added, limits=limits)
    raise typer.Exit(1 if summary.failed or len(added) < len(outcomes) else 0)


@app.command()
def server(
    port: Annotated[int, typer.Option(help="Port of the Prefect server and its UI.")] = 4200,
) -> None:
    """Start a local Prefect server (UI and schedules) on 127.0.0.1, its database in the project
    data folder. Leave it running; point other commands at it with PREFECT_API_URL."""
    home = configure_prefect()
    env = {**os.environ, "PREFECT_UI_ENABLED": "true", "PREFECT_SERVER_API_HOST": "127.0.0.1",
           "PREFECT_SERVER_API_PORT": str(port)}
    env.pop("PREFECT_API_URL", None)  # the server is not its own client
    console.print(f"Prefect server: http://127.0.0.1:{port}/ (state in {home / 'prefect'}). For schedules, in "
                  f"another shell: export PREFECT_API_URL=http://127.0.0.1:{port}/api; parks schedule")
    # exec, not a child process: a stop signal reaches the server itself
    os.execve(sys.executable, [sys.executable, "-m", "prefect", "server", "start", "--host", "127.0.0.1",
                               "--port", str(port)], env)


@app.command()
def schedule(
    cron: Annotated[str, typer.Option(help="When to re-extract, as a cron expression (default: 03:00 daily).")]
    = "0 3 * * *",
    corpus: Annotated[Path, typer.Option(help="Folder of source documents.")] = Path("corpus"),
    out: Annotated[Path, typer.Option(help="Folder the records are written to.")] = Path("extracted"),
    name: Annotated[str, typer.Option(help="Name of the deployment in Prefect.")] = "scheduled-re-extraction",
    api_url: Annotated[Optional[str], typer.Option(help="The Prefect server's API (default: PREFECT_API_URL, "
                                                        "else http://127.0.0.1:4200/api).")] = None,
) -> None:
    """Register the re-extraction of the corpus on a schedule with a Prefect server (`parks server`)
    and serve it: runs fire at the cron times while this command runs."""
    import urllib.request

    os.environ["PREFECT_API_URL"] = api_url or os.environ.get("PREFECT_API_URL", "http://127.0.0.1:4200/api")
    try:
        urllib.request.urlopen(os.environ["PREFECT_API_URL"].rstrip("/") + "/health", timeout=5)
    except OSError as err:
        raise typer.BadParameter(f"no Prefect server at {os.environ['PREFECT_API_URL']} ({err}); start one "
                                 "with `parks server`", param_hint="--api-url")
    try:
        from prefect.client.schemas.schedules import CronSchedule

        CronSchedule(cron=cron)
    except ValueError as err:
        raise typer.BadParameter(f"{cron!r} is no cron expression: {err}", param_hint="--cron")
    if not corpus.is_dir():
        raise typer.BadParameter(f"{corpus} is not a folder", param_hint="--corpus")
    home = configure_prefect(_announce(data_dir(out, corpus)))
    from flows.extract import extract_corpus
    from pipeline.review import DATABASE

    console.print(f"serving {name!r} ({cron}) on {os.environ['PREFECT_API_URL']}; watch the runs in the Prefect UI "
                  "under Deployments. Ctrl+C to stop.")
    extract_corpus.serve(name=name, cron=cron, parameters={
        "corpus_dir": str(corpus.resolve()), "out_dir": str(out.resolve()),
        "review_db": str(home / DATABASE), "cache_dir": str(home / "cache")})


def _interval(bounds: list[float]) -> str:
    return f"{bounds[0]:.3f}–{bounds[1]:.3f}"


def _agreement(agreement: dict | None) -> str | None:
    if not agreement:
        return None
    reader, system = agreement["second_annotator"], agreement["system"]
    return (f"a second annotator labelled {agreement['passages']} of these passages blind: against the gold it scores "
            f"macro F1 {reader['macro']['f1']:.3f}, micro F1 {reader['micro']['f1']:.3f}; the system, on the same "
            f"passages, {system['macro']['f1']:.3f} and {system['micro']['f1']:.3f}")


@app.command()
def evaluate(
    records: Annotated[Path, typer.Option(help="Folder of document records.")] = Path("extracted/documents"),
    gold: Annotated[Path, typer.Option(help="Folder of gold annotations (tests/gold/README.md).")] = Path("tests/gold"),
    out: Annotated[Path, typer.Option(help="Where the scores are written as JSON.")] = Path("extracted/evaluation.json"),
) -> None:
    """Precision, recall and F1 against gold annotations: entities (per type and language), seeded
    themes (per group and language; development and held-out gold apart) and the park dataset's
    relations (gold/parks/)."""
    from pipeline.evaluation import (ENTITY_TYPES, THEMES_GOLD, THEMES_HELDOUT, evaluate as score, evaluate_parks,
                                     evaluate_themes)
    from pipeline.files import write_atomically
    from pipeline.themes import load_taxonomy

    for folder, option in ((records, "--records"), (gold, "--gold")):
        if not folder.is_dir():
            raise typer.BadParameter(f"{folder} is not a folder", param_hint=option)
    try:
        report = score(records, gold)
        seeded = {t.id: t.group for t in load_taxonomy().themes}
        theme_sets = {folder: evaluate_themes(records, gold, seeded, folder)
                      for folder in (THEMES_GOLD, THEMES_HELDOUT) if (gold / folder).is_dir()}
        parks = evaluate_parks(records.parent, gold / "parks") if (gold / "parks").is_dir() else None
    except (FileNotFoundError, ValueError) as err:
        raise typer.BadParameter(str(err), param_hint="--records")
    table = Table(title=f"entities against gold: {report['documents']} documents (distinct entities per document)")
    table.add_column("language")
    table.add_column("type")
    for column in ("gold", "found", "correct", "precision", "recall", "F1"):
        table.add_column(column, justify="right")
    for language, kinds in (("all", report["overall"]), *report["by_language"].items()):
        for kind in ENTITY_TYPES:
            c = kinds[kind]
            table.add_row(language, kind, str(c["tp"] + c["fn"]), str(c["tp"] + c["fp"]), str(c["tp"]),
                          f"{c['precision']:.3f}", f"{c['recall']:.3f}", f"{c['f1']:.3f}")
    Console().print(table)
    for folder, scores in theme_sets.items():
        passages, micro, interval = scores["passages"], scores["micro"], scores["interval"]
        kind = "held-out gold, never used to revise the taxonomy" if folder == THEMES_HELDOUT else "development gold"
        table = Table(title=f"seeded themes against {kind} ({gold / folder}): {sum(passages.values())} passages "
                            f"({', '.join(f'{n} {lang}' for lang, n in sorted(passages.items()))}) of "
                            f"{interval['documents']} documents; macro over themes, micro over decisions "
                            f"P {micro['precision']:.3f} R {micro['recall']:.3f} F1 {micro['f1']:.3f}; 95 % intervals "
                            f"over resampled documents: macro F1 {_interval(interval['macro_f1'])}, "
                            f"micro F1 {_interval(interval['micro_f1'])}", caption=_agreement(scores["agreement"]))
        for column in ("language", "group", "themes", "precision", "recall", "F1"):
            table.add_column(column, justify="left" if column in ("language", "group") else "right")
        rows = [("all", "all", scores["macro"]), *(("all", g, m) for g, m in scores["by_group"].items()),
                *((lang, g, m) for lang, groups in scores["by_language"].items() for g, m in groups.items())]
        for language, group, m in rows:
            table.add_row(language, group, str(m["themes"]), f"{m['precision']:.3f}", f"{m['recall']:.3f}",
                          f"{m['f1']:.3f}")
        Console().print(table)
    if parks:
        table = Table(title=f"park dataset against gold ({gold / 'parks'}): parks found by name; host countries of "
                            "found parks; companies (park, company, relation), figures (park, value, unit) and founding "
                            "years from each document's sentences")
        for column in ("what", "gold", "found", "correct", "precision", "recall", "F1"):
            table.add_column(column, justify="left" if column == "what" else "right")
        for what, c in parks.items():
            table.add_row(what, str(c["tp"] + c["fn"]), str(c["tp"] + c["fp"]), str(c["tp"]), f"{c['precision']:.3f}",
                          f"{c['recall']:.3f}", f"{c['f1']:.3f}")
        Console().print(table)
    write_atomically(out, json.dumps({**report, "themes": theme_sets.get(THEMES_GOLD),
                                      "themes_heldout": theme_sets.get(THEMES_HELDOUT), "parks": parks},
                                     ensure_ascii=False, indent=1) + "\n")
    console.print(f"written: {out}")


@app.command()
def export(
    format: Annotated[str, typer.Option("--format", help="csv, jsonl or xlsx.")] = "csv",
    out: Annotated[Path, typer.Option(help="Folder the tables are written to.")] = Path("extracted/export"),
    records: Annotated[Path, typer.Option(help="Folder `parks extract` wrote (dataset and records).")]
    = Path("extracted"),
    domestic: Annotated[bool, typer.Option("--domestic", help="Include the zones in China (scope 'domestic'), "
                                                            "left out by default.")] = False,
) -> None:
    """Flat tables of the dataset (parks, companies, countries, park_companies, figures, mentions,
    document_themes) for Excel and pandas, UTF-8 with Chinese intact."""
    from pipeline.export import FORMATS, dataset_tables, write_tables

    if format not in FORMATS:
        raise typer.BadParameter(f"one of {', '.join(FORMATS)}", param_hint="--format")
    dataset = _dataset(records, domestic)
    tables = dataset_tables(dataset, records)
    for path in write_tables(tables, out, format):
        console.print(f"written: {path}")
    console.print(", ".join(f"{name}: {len(rows)} rows" for name, rows in tables.items()))


@app.command()
def report(
    out: Annotated[Path, typer.Option(help="Folder the report is written to.")] = Path("extracted/report"),
    records: Annotated[Path, typer.Option(help="Folder `parks extract` wrote (dataset and records).")]
    = Path("extracted"),
    domestic: Annotated[bool, typer.Option("--domestic", help="Include the zones in China (scope 'domestic'), "
                                                            "left out by default.")] = False,
) -> None:
    """A static HTML report (charts and tables) that opens offline; `parks review` links to it."""
    from pipeline.report import write_report

    console.print(f"written: {write_report(_dataset(records, domestic), records, out)}")


def _dataset(records: Path, domestic: bool):
    """The dataset `parks extract` wrote, overseas parks only unless `domestic`; a clear error when
    there is none."""
    from pipeline.dataset import overseas, read_dataset

    try:
        dataset = read_dataset(records)
    except (FileNotFoundError, ValueError) as err:
        raise typer.BadParameter(str(err), param_hint="--records")
    left_out = sum(p.scope == "domestic" for p in dataset.parks)
    if left_out and not domestic:
        console.print(f"{left_out} zones in China left out (--domestic shows them)")
        return overseas(dataset)
    return dataset


@app.command()
def review(
    out: Annotated[Path, typer.Option(help="Folder of the records to review (as given to `parks extract --out`).")]
    = Path("extracted"),
    port: Annotated[int, typer.Option(help="Port of the local web app.")] = 8765,
    host: Annotated[str, typer.Option(help="Address to bind; the default keeps the app on this machine. The app "
                                           "answers only requests addressed to a loopback name or to this host.")]
    = "127.0.0.1",
    export: Annotated[Optional[Path], typer.Option("--export", help="Write every decision to this JSONL file "
                                                                     "and exit.")] = None,
    import_: Annotated[Optional[Path], typer.Option("--import", help="Add the decisions of this JSONL file "
                                                                     "(importing twice changes nothing) and exit.")] = None,
) -> None:
    """Review the extracted entities in the browser; decisions are kept in the project data folder
    and re-applied by every `parks extract`."""
    from pipeline.review import DATABASE, ReviewError, ReviewStore

    database = _announce(data_dir(out)) / DATABASE
    if export and not database.is_file():
        _refuse(f"no review database at {database}, nothing to export: run this in the project folder, or set "
                "PARKS_HOME to the project's data folder (.parks)")
    store = ReviewStore(database)
    if export:
        console.print(f"{store.export(export)} decisions written to {export}")
        return
    if import_:
        if not import_.is_file():
            raise typer.BadParameter(f"{import_} is not a file", param_hint="--import")
        try:
            added, known = store.import_(import_)
        except ReviewError as err:
            raise typer.BadParameter(str(err), param_hint="--import")
        except OSError as err:
            raise typer.BadParameter(f"{import_}: cannot read ({err.strerror})", param_hint="--import")
        console.print(f"{added} decisions added, {known} already there. Run `parks extract` to apply them to the records.")
        return
    if not (out / "documents").is_dir():
        raise typer.BadParameter(f"{out}/documents does not exist: run `parks extract` first", param_hint="--out")
    import uvicorn

    from pipeline.resources import load_resources
    from pipeline.review import reviewed_names
    from pipeline.review_app import create_app

    app_ = create_app(out, store, load_resources(reviewed=reviewed_names(store.decisions())), allowed_hosts=[host])
    console.print(f"parks review: http://{host}:{port}/  (decisions: {store.path}; Ctrl+C to stop)")
    uvicorn.run(app_, host=host, port=port, log_level="warning")


def _previous_seconds(log: Path, corpus: Path, out: Path, only) -> float | None:
    """How long the last run of the same corpus into the same folder took, from the run log."""
    if not log.exists():
        return None
    for line in reversed(log.read_text(encoding="utf-8").splitlines()):
        try:
            entry = json.loads(line)
        except ValueError:
            continue
        if (entry.get("corpus"), entry.get("out"), entry.get("only")) == (str(corpus), str(out), only):
            return entry.get("seconds")
    return None


def _print_summary(summary, out: Path, previous_seconds: float | None = None) -> None:
    ok = [o for o in summary.outcomes if o.status == "ok"]
    table = Table(title=f"parks extract: {len(summary.outcomes)} documents -> {out}/documents")
    for column in ("status", "documents", "sentences", "entities"):
        table.add_column(column, justify="left" if column == "status" else "right")
    for label, group in (("ok", ok), ("failed", summary.failed)):
        table.add_row(label, str(len(group)), f"{sum(o.sentences for o in group):,}", f"{sum(o.entities for o in group):,}")
    console.print(table)
    if summary.failed:
        failures = Table(title="failed documents")
        failures.add_column("doc_id")
        failures.add_column("reason")
        for outcome in summary.failed:
            failures.add_row(outcome.doc_id, outcome.error)
        console.print(failures)
    if summary.corpus.get("themes"):
        carried = {t: n for t, n in summary.corpus["themes"].items() if n}
        discovered = [t for t in carried if t.startswith("discovered.")]
        console.print(f"themes: {len(carried) - len(discovered)} seeded and {len(discovered)} discovered themes carried "
                      f"by passages -> {out}/themes.json")
    if summary.corpus.get("dataset"):
        d = summary.corpus["dataset"]
        console.print(f"dataset: {d['parks']} parks, {d['companies']} companies, {d['countries']} countries -> "
                      f"{out}/parks.json, companies.json, countries.json")
    if summary.pruned:
        console.print(f"removed records of documents no longer in the corpus: {', '.join(summary.pruned)}")
    if summary.temporaries_removed:
        console.print(f"removed {summary.temporaries_removed} temporary files an interrupted run left behind")
    served = [o.cached for o in summary.outcomes]
    console.print(f"time: {summary.seconds:.1f} s ({served.count('record')} documents unchanged since the last run, "
                  f"{served.count('ingest')} not parsed again, {served.count(None)} extracted)")
    if previous_seconds is not None:
        console.print(f"the previous run of this corpus into {out} took {previous_seconds:.1f} s")


def _append_run_log(path: Path, started: datetime, corpus: Path, out: Path, only, summary) -> None:
    """Run metadata lives here, not in the records, so records stay byte-identical across runs."""
    path.parent.mkdir(parents=True, exist_ok=True)
    entry = {
        "started": started.isoformat(timespec="seconds"),
        "seconds": summary.seconds,
        "corpus": str(corpus), "out": str(out), "only": only,
        "pipeline": summary.pipeline.model_dump(),
        "documents": len(summary.outcomes),
        "failed": {o.doc_id: o.error for o in summary.failed},
        "pruned": summary.pruned,
        "temporaries_removed": summary.temporaries_removed,
    }
    with path.open("a", encoding="utf-8") as log:
        log.write(json.dumps(entry, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    app()
