"""Corpus-scale benchmark of `parks extract` (issue 8): throughput against the segmentation
floor, parallel speed-up, scaling of time and memory, re-runs, and PDF ingest.

    python bench/run.py              # the full protocol on 1,000 papers (about 45 min on 2 cores)
    python bench/run.py --docs 20    # a quick try (a few minutes)
    python bench/run.py --docs 200 --baseline ../before --compare-only   # against another checkout

It measures the checkout it lives in: the pipeline runs as the real command
(`python -m flows.cli extract`, Prefect included) in a subprocess whose `PYTHONPATH` is this
checkout, with `PARKS_HOME` and every output in a temporary folder. With `--baseline`, the
cold run and both re-runs are also made for another checkout, interleaved with this one's, and
compared side by side. See bench/README.md.
"""

from __future__ import annotations

import argparse
import filecmp
import html
import json
import logging
import os
import platform
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from pathlib import Path

import psutil

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))  # the pipeline of this checkout, also for the floor and the PDF ingest

DEFAULT_CORPUS = REPO.parent / "shared" / "corpora" / "bench"
DEFAULT_CACHE = Path.home() / ".cache" / "parks-bench"
GAZETTEER = Path("pipeline") / "data" / "parks.jsonl"  # in a checkout
# A park nobody writes about: it changes the gazetteer (and the resources digest), nothing else.
PROBE_ROW = {"id": "bench-probe-industrial-park", "name": "Bench Probe Industrial Park",
             "name_zh": "基准探针工业园", "country": None, "aliases": []}
TARGETS = {
    "pipeline_vs_floor": 0.50,     # pipeline chars/s over floor chars/s, single process, at least
    "speedup_2_workers": 1.7,      # at least
    "time_ratio_largest": 11.0,    # time at 1,000 docs over time at 100, at most (scaled for other sizes)
    "rss_ratio_largest": 1.3,      # peak RSS likewise, at most
    "rerun_fraction": 0.05,        # unchanged re-run over the cold run, at most
    "gazetteer_fraction": 0.40,    # gazetteer-only change over the cold run, at most
}
SAMPLE_SECONDS = 0.25


# --- corpora ----------------------------------------------------------------------

def make_corpus(papers: list[Path], folder: Path) -> Path:
    """A corpus folder of copies of `papers` (no catalog: doc_id = file stem). Not symlinks: those
    lead out of the corpus folder, and discovery refuses them (a failed record each)."""
    folder.mkdir(parents=True)
    for paper in papers:
        shutil.copyfile(paper, folder / paper.name)
    return folder


def scaling_sizes(docs: int, requested: str | None) -> list[int]:
    if requested:
        sizes = sorted({int(s) for s in requested.split(",") if s.strip()} | {docs})
        return [s for s in sizes if s <= docs]
    return sorted({s for s in (100, 300, 1000) if s <= docs} | {docs})


# --- the floor: just segmenting the same text -----------------------------------------

def measure_floor(papers: list[Path]) -> dict:
    """jieba (a fresh Tokenizer, dictionary loaded first) on the Chinese blocks and spaCy's blank
    English tokenizer on the English blocks of the text the pipeline sees (`ingest_file`), blocks
    and languages as `segment_text` makes them. Only the tokenizer calls are timed."""
    import jieba
    import spacy

    from pipeline.ingest import ingest_file
    from pipeline.segment import block_languages

    jieba.setLogLevel(logging.WARNING)
    zh = jieba.Tokenizer()
    zh.initialize()
    en = spacy.blank("en").tokenizer
    seconds = {"zh": 0.0, "en": 0.0}
    block_chars = {"zh": 0, "en": 0}
    chars, ingest_seconds = [], 0.0
    for paper in papers:
        started = time.perf_counter()
        text = ingest_file(paper).text
        ingest_seconds += time.perf_counter() - started
        chars.append(len(text))
        for start, end, lang in block_languages(text):
            block = text[start:end]
            started = time.perf_counter()
            if lang == "zh":
                list(zh.cut(block))  # what spaCy's jieba segmenter calls
            else:
                en(block)
            seconds[lang] += time.perf_counter() - started
            block_chars[lang] += len(block)
    total = sum(seconds.values())
    return {
        "documents": len(papers), "chars": sum(chars),
        "block_chars": block_chars, "seconds": {k: round(v, 3) for k, v in seconds.items()},
        "chars_per_second": round(sum(chars) / total), "ingest_seconds_untimed": round(ingest_seconds, 2),
        "chars_per_second_by_language": {k: round(block_chars[k] / seconds[k]) if seconds[k] else None
                                         for k in seconds},
    }


# --- pipeline runs -------------------------------------------------------------------

@dataclass
class Run:
    label: str
    documents: int
    workers: int
    wall_seconds: float
    flow_seconds: float | None  # the flow's own time, from the run log
    startup_seconds: float | None  # wall minus flow: interpreter, imports, Prefect's temporary server
    peak_rss_tree_mb: float  # sum over the command and all its descendants, sampled
    peak_rss_main_mb: float  # the command's own process
    peak_rss_largest_mb: float  # the largest single process
    peak_at_seconds: float  # when the tree peak was seen
    exit_code: int
    failed_documents: int | None
    served: dict | None  # documents unchanged / not parsed again / extracted, from the summary


class RssSampler(threading.Thread):
    """Peak resident memory of a process tree, sampled every `SAMPLE_SECONDS`."""

    def __init__(self, pid: int):
        super().__init__(daemon=True)
        self.root = psutil.Process(pid)
        self.started = time.perf_counter()
        self.peak_tree = self.peak_main = self.peak_largest = 0
        self.peak_at = 0.0
        self.done = threading.Event()

    def run(self) -> None:
        while not self.done.is_set():
            self.sample()
            self.done.wait(SAMPLE_SECONDS)

    def sample(self) -> None:
        try:
            processes = [self.root] + self.root.children(recursive=True)
        except psutil.Error:
            return
        total = 0
        for process in processes:
            try:
                rss = process.memory_info().rss
            except psutil.Error:
                continue
            total += rss
            self.peak_largest = max(self.peak_largest, rss)
            if process.pid == self.root.pid:
                self.peak_main = max(self.peak_main, rss)
        if total > self.peak_tree:
            self.peak_tree, self.peak_at = total, time.perf_counter() - self.started


def checkout_env(repo: Path, home: Path) -> dict[str, str]:
    """The environment of a run of `repo`'s code: `repo` first on `PYTHONPATH`, ahead of the editable
    install in the venv (whose finder comes after the path); `PARKS_HOME` = `home`."""
    env = {**os.environ, "PARKS_HOME": str(home), "PYTHONPATH": os.pathsep.join(
        [str(repo), *filter(None, [os.environ.get("PYTHONPATH")])]), "COLUMNS": "200"}
    env.pop("PREFECT_API_URL", None)  # each run on its own temporary server, as a user's first run
    return env


def imported_from(repo: Path, work: Path) -> dict[str, str]:
    """Where a run of `repo` takes `pipeline` and `flows` from, checked to be `repo` (a package found
    first elsewhere would measure other code). Importing also writes the checkout's bytecode, so
    that no timed run pays for compiling it."""
    probe = "import json, flows.cli, pipeline; print(json.dumps([pipeline.__file__, flows.cli.__file__]))"
    process = subprocess.run([sys.executable, "-c", probe], cwd=work, env=checkout_env(repo, work / "home-import"),
                             capture_output=True, text=True)
    if process.returncode:
        raise RuntimeError(f"importing the pipeline of {repo} failed:\n{process.stderr[-3000:]}")
    files = dict(zip(("pipeline", "flows.cli"), json.loads(process.stdout.splitlines()[-1])))
    for module, file in files.items():
        if not Path(file).resolve().is_relative_to(repo.resolve()):
            raise RuntimeError(f"a run of {repo} imports {module} from {file}, not from that checkout")
    return files


def run_extract(label: str, corpus: Path, out: Path, home: Path, documents: int, workers: int = 1,
                logs: Path | None = None, repo: Path = REPO) -> Run:
    """`parks extract` of the checkout `repo` as a subprocess, timed and sampled. Its working folder
    is `home`'s parent (the bench's temporary folder, which holds no package)."""
    env = checkout_env(repo, home)
    command = [sys.executable, "-m", "flows.cli", "extract", "--corpus", str(corpus), "--out", str(out), "-q"]
    if workers > 1:
        command += ["--workers", str(workers)]
    log_path = (logs or home) / f"{label}.log"
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with log_path.open("w") as log:
        started = time.perf_counter()
        process = subprocess.Popen(command, cwd=home.parent, env=env, stdout=log, stderr=subprocess.STDOUT,
                                   start_new_session=True)
        sampler = RssSampler(process.pid)
        sampler.start()
        try:
            code = process.wait()
        except BaseException:
            os.killpg(process.pid, signal.SIGTERM)  # its own session: the command and its Prefect server
            process.wait()
            raise
        finally:
            sampler.done.set()
            sampler.join()
        wall = time.perf_counter() - started
    output = log_path.read_text(errors="replace")
    if code not in (0, 1):
        raise RuntimeError(f"{label}: parks extract exited with {code}; last lines of {log_path}:\n"
                           + "\n".join(output.splitlines()[-30:]))
    entry = _last_run_log_entry(home / "runs.jsonl")
    flow = entry.get("seconds") if entry else None
    mb = 1024 * 1024
    return Run(label, documents, workers, round(wall, 2), flow, round(wall - flow, 2) if flow is not None else None,
               round(sampler.peak_tree / mb, 1), round(sampler.peak_main / mb, 1), round(sampler.peak_largest / mb, 1),
               round(sampler.peak_at, 1), code, len(entry.get("failed", {})) if entry else None, _served(output))


def _last_run_log_entry(path: Path) -> dict | None:
    if not path.exists():
        return None
    lines = [line for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return json.loads(lines[-1]) if lines else None


def _served(output: str) -> dict | None:
    """'time: 2.5 s (45 documents unchanged since the last run, 0 not parsed again, 0 extracted)'."""
    match = re.search(r"\((\d+) documents unchanged since the last run, (\d+) not parsed again, (\d+) extracted\)",
                      " ".join(output.split()))
    if not match:
        return None
    return dict(zip(("unchanged", "not_parsed_again", "extracted"), map(int, match.groups())))


@contextmanager
def gazetteer_changed(repo: Path = REPO):
    """The park gazetteer of the checkout `repo` with one more park, restored byte for byte
    afterwards (also on Ctrl+C or SIGTERM)."""
    gazetteer = repo / GAZETTEER
    original = gazetteer.read_bytes()
    if PROBE_ROW["id"].encode() in original:
        raise RuntimeError(f"{gazetteer} already holds the bench's probe park {PROBE_ROW['id']!r}, left by a run "
                           f"that was killed: restore the file (git checkout) before benchmarking")
    previous_handler = signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    try:
        gazetteer.write_bytes(original + (b"" if original.endswith(b"\n") else b"\n")
                              + json.dumps(PROBE_ROW, ensure_ascii=False).encode() + b"\n")
        yield
    finally:
        gazetteer.write_bytes(original)
        signal.signal(signal.SIGTERM, previous_handler)
        if gazetteer.read_bytes() != original:
            raise RuntimeError(f"{gazetteer} could not be restored")


def differing_files(a: Path, b: Path) -> list[str]:
    """The files below `a` or `b` (relative paths, sorted) that are not byte-identical in the other,
    including those only one of them holds."""
    files_a = {p.relative_to(a) for p in a.rglob("*") if p.is_file()}
    files_b = {p.relative_to(b) for p in b.rglob("*") if p.is_file()}
    return sorted(str(f) for f in files_a | files_b
                  if f not in files_a or f not in files_b or not filecmp.cmp(a / f, b / f, shallow=False))


def same_outputs(a: Path, b: Path) -> bool:
    """Every file below `a` and `b` byte-identical (records, schema, theme map)."""
    return not differing_files(a, b)


THEMES_PROBE = """
import json, sys, time
from pathlib import Path
from pipeline.records import apply_themes
from pipeline.themes import load_taxonomy
out = Path(sys.argv[1])
(out / "themes.json").unlink(missing_ok=True)  # so the map is recomputed, not reused
started = time.perf_counter()
apply_themes(out, load_taxonomy())
print(json.dumps({"seconds": round(time.perf_counter() - started, 2)}))
"""


def probe_themes(out: Path, work: Path) -> dict:
    """The corpus-level theme stage alone, in its own process, over a finished records folder:
    how much of a run's time and memory it accounts for."""
    copy = work / "themes-probe"
    shutil.copytree(out, copy)
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    started = time.perf_counter()
    process = subprocess.Popen([sys.executable, "-c", THEMES_PROBE, str(copy)], env=env, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)
    sampler = RssSampler(process.pid)
    sampler.start()
    stdout, stderr = process.communicate()
    sampler.done.set()
    sampler.join()
    if process.returncode:
        raise RuntimeError(f"themes probe failed:\n{stderr[-3000:]}")
    shutil.rmtree(copy)
    return {"documents": len(list((out / "documents").glob("*.json"))), **json.loads(stdout.splitlines()[-1]),
            "wall_seconds": round(time.perf_counter() - started, 2),
            "peak_rss_mb": round(sampler.peak_main / 1024 / 1024, 1)}


# --- PDF ingest ----------------------------------------------------------------------

PAGE_STYLE = ('body{font-family:"Noto Serif CJK SC","Noto Sans CJK SC",serif;font-size:10.5pt;line-height:1.45;'
              'margin:0}p{margin:0 0 .55em;text-align:justify}@page{size:A4;margin:20mm}')


def make_pdfs(papers: list[Path], cache: Path) -> list[Path]:
    """Each paper's clean text as a simple A4 HTML page, printed to PDF by headless Chromium,
    once: PDFs are cached in `cache` by paper name. (LibreOffice is not installed here.)"""
    from pipeline.ingest import ingest_file

    chromium = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
    cache.mkdir(parents=True, exist_ok=True)
    pdfs = []
    for paper in papers:
        pdf = cache / f"{paper.stem}.pdf"
        if not pdf.exists():
            if not chromium:
                raise RuntimeError("making PDFs needs Chromium (apt-get install chromium)")
            if not subprocess.run(["fc-list", ":lang=zh"], capture_output=True, text=True).stdout.strip():
                raise RuntimeError("no Chinese font: apt-get install fonts-noto-cjk")
            paragraphs = ingest_file(paper).text.split("\n\n")
            body = "\n".join(f"<p>{html.escape(p).replace(chr(10), '<br>')}</p>" for p in paragraphs)
            page = cache / f"{paper.stem}.html"
            page.write_text(f'<!doctype html><html><head><meta charset="utf-8"><style>{PAGE_STYLE}</style></head>'
                            f"<body>{body}</body></html>", encoding="utf-8")
            partial = pdf.with_suffix(".pdf.part")
            subprocess.run([chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                            "--disable-component-update", "--no-first-run", "--disable-sync",
                            "--no-pdf-header-footer", f"--print-to-pdf={partial}", page.as_uri()],
                           check=True, capture_output=True, timeout=180)
            partial.rename(pdf)
            page.unlink()
        pdfs.append(pdf)
    return pdfs


def count_pages(pdf: Path) -> int:
    from pdfminer.pdfpage import PDFPage

    with pdf.open("rb") as handle:
        return sum(1 for _ in PDFPage.get_pages(handle))


def _ingest(path: Path) -> int:
    from pipeline.ingest import ingest_file

    return len(ingest_file(path).text)


def _ready() -> None:
    import pipeline.ingest  # noqa: F401  (imports before the clock starts)


def measure_pdf(pdfs: list[Path], workers: int) -> dict:
    pages = sum(count_pages(p) for p in pdfs)
    _ready()
    started = time.perf_counter()
    for pdf in pdfs:
        _ingest(pdf)
    single = time.perf_counter() - started
    with ProcessPoolExecutor(max_workers=workers) as pool:
        for warm_up in [pool.submit(_ready) for _ in range(workers)]:
            warm_up.result()
        started = time.perf_counter()
        list(pool.map(_ingest, pdfs))
        parallel = time.perf_counter() - started
    return {"pdfs": len(pdfs), "pages": pages, "workers": workers,
            "single": {"seconds": round(single, 2), "pages_per_second": round(pages / single, 2)},
            "parallel": {"seconds": round(parallel, 2), "pages_per_second": round(pages / parallel, 2)},
            "speedup": round(single / parallel, 2)}


# --- the protocol --------------------------------------------------------------------

def spaced(items: list, count: int) -> list:
    """`count` items spread evenly over `items`, in order."""
    if count >= len(items):
        return list(items)
    return [items[i * len(items) // count] for i in range(count)]


def summarise(result: dict) -> list[dict]:
    """The figures the issue asks for, each with its target where it has one."""
    floor, runs, rows = result["floor"], result["runs"], []
    largest = max(result["sizes"])
    cold, chars = runs.get(f"cold-{largest}"), floor["chars"]

    def row(section, measure, value, unit="", target=None, met=None):
        rows.append({"section": section, "measure": measure, "value": value, "unit": unit, "target": target,
                     "met": met})

    row("floor", f"segmentation floor ({floor['documents']} docs, {chars:,} chars)", floor["chars_per_second"],
        "chars/s")
    for lang in ("zh", "en"):
        row("floor", f"  {lang} blocks ({floor['block_chars'][lang]:,} chars)",
            floor["chars_per_second_by_language"][lang], "chars/s")
    if cold:
        throughput = chars / cold["flow_seconds"]
        ratio = throughput / floor["chars_per_second"]
        row("pipeline", "1 process, flow time", round(throughput), "chars/s")
        row("pipeline", "1 process, wall time (incl. start-up)", round(chars / cold["wall_seconds"]), "chars/s")
        row("pipeline", "pipeline / floor, 1 process", round(ratio, 3), "", f">= {TARGETS['pipeline_vs_floor']}",
            ratio >= TARGETS["pipeline_vs_floor"])
        row("pipeline", "failed documents, 1 process (a failed record is no measure of extraction)",
            cold["failed_documents"])
    parallel = runs.get(f"workers-{largest}")
    if cold and parallel:
        row("pipeline", f"{parallel['workers']} workers, flow time", round(chars / parallel["flow_seconds"]), "chars/s")
        row("pipeline", f"{parallel['workers']} workers / floor", round(chars / parallel["flow_seconds"]
                                                                         / floor["chars_per_second"], 3))
        speedup = cold["flow_seconds"] / parallel["flow_seconds"]
        row("pipeline", f"speed-up with {parallel['workers']} workers (flow time)", round(speedup, 2), "x",
            f">= {TARGETS['speedup_2_workers']}", speedup >= TARGETS["speedup_2_workers"])
        row("pipeline", f"speed-up with {parallel['workers']} workers (wall time)",
            round(cold["wall_seconds"] / parallel["wall_seconds"], 2), "x")
        row("pipeline", "records identical, 1 process vs workers", result.get("records_identical_workers"))
    for size in result["sizes"]:
        run = runs[f"cold-{size}"]
        row("scaling", f"{size} docs: wall / flow / start-up",
            f"{run['wall_seconds']:.1f} / {run['flow_seconds']:.1f} / {run['startup_seconds']:.1f}", "s")
        row("scaling", f"{size} docs: peak RSS tree / main process", f"{run['peak_rss_tree_mb']:.0f} / "
                                                                     f"{run['peak_rss_main_mb']:.0f}", "MB")
    smallest = min(result["sizes"])
    if largest != smallest:
        small, big = runs[f"cold-{smallest}"], runs[f"cold-{largest}"]
        label = f"{largest} / {smallest} docs"
        time_ratio = big["flow_seconds"] / small["flow_seconds"]
        limit = TARGETS["time_ratio_largest"] / 10 * largest / smallest  # linear, with 10 % to spare
        row("scaling", f"time {label} (flow)", round(time_ratio, 2), "x", f"<= {limit:g}", time_ratio <= limit)
        row("scaling", f"time {label} (wall)", round(big["wall_seconds"] / small["wall_seconds"], 2), "x")
        rss_ratio = big["peak_rss_tree_mb"] / small["peak_rss_tree_mb"]
        row("scaling", f"peak RSS {label} (tree)", round(rss_ratio, 2), "x", f"<= {TARGETS['rss_ratio_largest']}",
            rss_ratio <= TARGETS["rss_ratio_largest"])
        row("scaling", f"peak RSS {label} (main process)",
            round(big["peak_rss_main_mb"] / small["peak_rss_main_mb"], 2), "x")
    probe = result.get("themes_probe")
    if probe:
        row("scaling", f"themes stage alone, {probe['documents']} docs: time / peak RSS",
            f"{probe['seconds']:.1f} s / {probe['peak_rss_mb']:.0f} MB")
    for key, name, target in (("rerun", "unchanged re-run", "rerun_fraction"),
                              ("gazetteer", "gazetteer-only change", "gazetteer_fraction")):
        run = runs.get(f"{key}-{largest}")
        if cold and run:
            fraction = run["flow_seconds"] / cold["flow_seconds"]
            row("re-run", f"{name}: flow {run['flow_seconds']:.1f} s of {cold['flow_seconds']:.1f} s", round(fraction, 3),
                "of cold", f"<= {TARGETS[target]}", fraction <= TARGETS[target])
            row("re-run", f"{name}: wall {run['wall_seconds']:.1f} s of {cold['wall_seconds']:.1f} s",
                round(run["wall_seconds"] / cold["wall_seconds"], 3), "of cold")
    pdf = result.get("pdf")
    if pdf:
        row("pdf", f"PDF ingest, 1 process ({pdf['pdfs']} PDFs, {pdf['pages']} pages)",
            pdf["single"]["pages_per_second"], "pages/s")
        row("pdf", f"PDF ingest, {pdf['workers']} processes", pdf["parallel"]["pages_per_second"], "pages/s")
        row("pdf", "PDF speed-up", pdf["speedup"], "x")
    startups = [r["startup_seconds"] for r in runs.values() if r["startup_seconds"] is not None]
    if startups:
        row("prefect", "start-up overhead (wall - flow), min / median / max",
            f"{min(startups):.1f} / {sorted(startups)[len(startups) // 2]:.1f} / {max(startups):.1f}", "s")
    return rows


def print_table(rows: list[dict], title: str) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title=title)
    for column in ("section", "measure", "value", "target", "met"):
        table.add_column(column, justify="right" if column == "value" else "left")
    for r in rows:
        value = f"{r['value']:,}" if isinstance(r["value"], int) and not isinstance(r["value"], bool) else str(r["value"])
        met = "" if r["met"] is None else ("yes" if r["met"] else "NO")
        table.add_row(r["section"], r["measure"], f"{value} {r['unit']}".strip(), r["target"] or "", met)
    Console(width=160).print(table)


def checkout(repo: Path = REPO) -> dict:
    """Which code was measured (read-only git queries in `repo`)."""
    def git(*args):
        try:
            return subprocess.run(["git", "-C", str(repo), *args], capture_output=True, text=True, timeout=30).stdout.strip()
        except OSError:
            return ""
    status = git("status", "--porcelain")
    return {"repo": str(repo), "commit": git("rev-parse", "HEAD") or None,
            "modified_files": len(status.splitlines()) if status else 0}


# --- side by side with another checkout ---------------------------------------------------

CHECKOUTS = ("baseline", "this")  # the order of the runs at each step
STEPS = ("cold", "rerun", "gazetteer")


def baseline_problem(baseline: Path) -> str | None:
    """Why `baseline` cannot be measured against this checkout, if it cannot."""
    if not baseline.is_dir():
        return f"--baseline {baseline}: no such folder"
    if baseline.resolve() == REPO:
        return f"--baseline {baseline}: that is this checkout; give another one (git worktree add --detach ../before <commit>)"
    for needed in (Path("flows") / "cli.py", GAZETTEER):
        if not (baseline / needed).is_file():
            return f"--baseline {baseline}: no {needed} there, not a parks checkout"
    return None


def compare_checkouts(repos: dict[str, Path], corpus: Path, documents: int, work: Path, runs: dict, note) -> list[str]:
    """The cold run, the unchanged re-run and the gazetteer-only re-run of both checkouts in `repos`
    (keyed by `CHECKOUTS`) over `corpus`, interleaved step by step so that the machine's load falls
    on both alike; each into `runs`. Returns the files that differ between their cold outputs."""
    def measure(step: str, name: str) -> None:
        run = run_extract(f"{name}-{step}-{documents}", corpus, work / f"out-{name}", work / f"home-{name}",
                          documents, logs=work / "logs", repo=repos[name])
        runs[run.label] = asdict(run)
        note(f"  {name}: wall {run.wall_seconds} s, flow {run.flow_seconds} s, peak RSS {run.peak_rss_tree_mb} MB, "
             f"{run.failed_documents} failed documents, served {run.served}")

    note(f"side by side, {documents} papers: cold runs (fresh PARKS_HOME)")
    for name in CHECKOUTS:
        measure("cold", name)
    differing = differing_files(work / "out-baseline", work / "out-this")
    note(f"  cold outputs: {'identical' if not differing else f'{len(differing)} files differ'}")
    note("side by side: re-runs, nothing changed")
    for name in CHECKOUTS:
        measure("rerun", name)
    note(f"side by side: re-runs, one park added to each checkout's {GAZETTEER} (restored afterwards)")
    for name in CHECKOUTS:
        with gazetteer_changed(repos[name]):
            measure("gazetteer", name)
    return differing


def side_by_side(comparison: dict) -> list[dict]:
    """The figures of `compare_checkouts`: measure, baseline, this checkout, this / baseline."""
    documents = comparison["documents"]
    runs = {name: {step: comparison["runs"][f"{name}-{step}-{documents}"] for step in STEPS} for name in CHECKOUTS}
    rows = []

    def row(measure: str, unit: str, value_of, ratio: bool = True) -> None:
        baseline, this = (value_of(runs[name]) for name in CHECKOUTS)
        rows.append({"measure": measure, "unit": unit, "baseline": baseline, "this": this,
                     "this_over_baseline": round(this / baseline, 2) if ratio and baseline else None})

    def fraction(step: str):
        return lambda checkout_runs: round(checkout_runs[step]["flow_seconds"] / checkout_runs["cold"]["flow_seconds"], 3)

    def served(step: str):
        return lambda checkout_runs: " / ".join(str(n) for n in (checkout_runs[step]["served"] or {}).values()) or "?"

    row("cold run: flow", "s", lambda r: r["cold"]["flow_seconds"])
    row("cold run: wall", "s", lambda r: r["cold"]["wall_seconds"])
    row("cold run: peak RSS, process tree", "MB", lambda r: r["cold"]["peak_rss_tree_mb"])
    row("cold run: failed documents", "", lambda r: r["cold"]["failed_documents"], ratio=False)
    row("unchanged re-run: flow", "s", lambda r: r["rerun"]["flow_seconds"])
    row("unchanged re-run: fraction of cold (flow)", "", fraction("rerun"))
    row("gazetteer-only change: flow", "s", lambda r: r["gazetteer"]["flow_seconds"])
    row("gazetteer-only change: fraction of cold (flow)", "", fraction("gazetteer"))
    row("unchanged re-run: served unchanged / not parsed again / extracted", "", served("rerun"), ratio=False)
    row("gazetteer-only change: served unchanged / not parsed again / extracted", "", served("gazetteer"),
        ratio=False)
    identical = "yes" if comparison["outputs_identical"] else f"NO ({comparison['differing_count']} files differ)"
    rows.append({"measure": "cold outputs byte-identical", "unit": "", "baseline": None, "this": None,
                 "this_over_baseline": identical})
    return rows


def print_side_by_side(comparison: dict, this: dict) -> None:
    from rich.console import Console
    from rich.table import Table

    def named(c: dict) -> str:
        return f"{c['repo']} at {(c['commit'] or '?')[:7]}" + (f" + {c['modified_files']} modified files"
                                                                if c["modified_files"] else "")
    table = Table(title=f"side by side, {comparison['documents']} papers: baseline {named(comparison)}, "
                        f"this checkout {named(this)}")
    for column, justify in (("measure", "left"), ("unit", "left"), ("baseline", "right"),
                            ("this checkout", "right"), ("this / baseline", "right")):
        table.add_column(column, justify=justify)
    for r in comparison["rows"]:
        table.add_row(r["measure"], r["unit"], *("" if v is None else str(v)
                                                 for v in (r["baseline"], r["this"], r["this_over_baseline"])))
    console = Console(width=160)
    console.print(table)
    if comparison["differing_files"]:
        console.print("cold outputs that differ (first 10): " + ", ".join(comparison["differing_files"]))


def measure_this_checkout(args: argparse.Namespace, papers: list[Path], sizes: list[int], work: Path,
                          result: dict, note) -> None:
    """The protocol on this checkout alone, into `result`: floor, scaling, re-runs, workers,
    themes stage, PDFs."""
    largest = max(sizes)
    note(f"floor: segmenting {largest} papers (work folder {work})")
    result["floor"] = floor = measure_floor(papers[:largest])
    note(f"floor: {floor['chars_per_second']:,} chars/s over {floor['chars']:,} chars")
    for size in sizes:
        corpus = make_corpus(papers[:size], work / f"corpus-{size}")
        home = work / f"home-{size}"
        note(f"cold run, {size} papers, 1 process")
        run = run_extract(f"cold-{size}", corpus, work / f"out-{size}", home, size, logs=work / "logs")
        result["runs"][run.label] = asdict(run)
        note(f"  wall {run.wall_seconds} s, flow {run.flow_seconds} s, peak RSS {run.peak_rss_tree_mb} MB, "
             f"{run.failed_documents} failed documents")
    corpus, home, out = work / f"corpus-{largest}", work / f"home-{largest}", work / f"out-{largest}"
    cold_outputs = work / f"out-{largest}-cold"
    shutil.copytree(out, cold_outputs)  # the re-runs below rewrite `out`
    note(f"re-run, {largest} papers, nothing changed")
    run = run_extract(f"rerun-{largest}", corpus, out, home, largest, logs=work / "logs")
    result["runs"][run.label] = asdict(run)
    note(f"  wall {run.wall_seconds} s, flow {run.flow_seconds} s, served {run.served}")
    note(f"re-run, {largest} papers, one park added to {GAZETTEER} (restored afterwards)")
    with gazetteer_changed():
        run = run_extract(f"gazetteer-{largest}", corpus, out, home, largest, logs=work / "logs")
    result["runs"][run.label] = asdict(run)
    note(f"  wall {run.wall_seconds} s, flow {run.flow_seconds} s, served {run.served}")
    note(f"cold run, {largest} papers, {args.workers} workers")
    run = run_extract(f"workers-{largest}", corpus, work / f"out-{largest}-workers", work / f"home-{largest}-workers",
                      largest, workers=args.workers, logs=work / "logs")
    result["runs"][run.label] = asdict(run)
    note(f"  wall {run.wall_seconds} s, flow {run.flow_seconds} s, peak RSS {run.peak_rss_tree_mb} MB")
    result["records_identical_workers"] = same_outputs(work / f"out-{largest}-workers", cold_outputs)
    note(f"themes stage alone over the {largest} records")
    result["themes_probe"] = probe_themes(cold_outputs, work)
    if args.pdfs:
        pdf_papers = spaced(sorted(p for p in args.corpus.iterdir() if p.is_file()), args.pdfs)
        note(f"PDFs: {len(pdf_papers)} papers printed by Chromium (cached in {args.cache / 'pdf'})")
        pdfs = make_pdfs(pdf_papers, args.cache / "pdf")
        result["pdf"] = measure_pdf(pdfs, args.workers)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--docs", type=int, default=1000, help="papers in the largest corpus (default 1000)")
    parser.add_argument("--sizes", help="corpus sizes for the scaling runs, comma-separated "
                                        "(default: 100,300,1000 up to --docs, and --docs)")
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS, help=f"the bench papers (default {DEFAULT_CORPUS})")
    parser.add_argument("--workers", type=int, default=2, help="workers of the parallel run (default 2)")
    parser.add_argument("--pdfs", type=int, default=30, help="PDFs for the PDF ingest measure (default 30; 0: skip)")
    parser.add_argument("--cache", type=Path, default=DEFAULT_CACHE, help=f"where PDFs are kept (default {DEFAULT_CACHE})")
    parser.add_argument("--out", type=Path, default=REPO / "bench" / "results" / "latest.json", help="results as JSON")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder (corpora, records, logs)")
    parser.add_argument("--baseline", type=Path, metavar="PATH",
                        help="another checkout of parks (git worktree add --detach ../before <commit>): its cold run "
                             "and re-runs at --docs papers, interleaved with this checkout's, side by side")
    parser.add_argument("--compare-only", action="store_true",
                        help="with --baseline: only the side-by-side runs (no floor, scaling, workers, themes or PDFs)")
    args = parser.parse_args(argv)

    if args.compare_only and not args.baseline:
        parser.error("--compare-only needs --baseline PATH")
    if args.baseline:
        problem = baseline_problem(args.baseline)
        if problem:
            parser.error(problem)
        args.baseline = args.baseline.resolve()
    papers = sorted(p for p in args.corpus.iterdir() if p.is_file())[:args.docs]
    if len(papers) < args.docs:
        parser.error(f"{args.corpus} holds {len(papers)} papers, fewer than --docs {args.docs}")
    sizes = [args.docs] if args.compare_only else scaling_sizes(args.docs, args.sizes)
    largest = max(sizes)
    work = Path(tempfile.mkdtemp(prefix="parks-bench-"))
    started = time.perf_counter()
    result: dict = {"meta": {"started": datetime.now(timezone.utc).isoformat(timespec="seconds"),
                             **checkout(), "python": platform.python_version(), "cpus": os.cpu_count(),
                             "memory_gb": round(psutil.virtual_memory().total / 1024 ** 3, 1),
                             "corpus": str(args.corpus), "docs": args.docs, "workers": args.workers,
                             "compare_only": args.compare_only,
                             "rss": "resident set size sampled every %.2f s; tree = the command plus all its "
                                    "descendants (Prefect server, workers), summed" % SAMPLE_SECONDS,
                             "flow_seconds": "the flow's own time from the run log; wall includes the "
                                             "interpreter, imports and Prefect's temporary server"},
                    "sizes": sizes, "runs": {}}

    def note(message: str) -> None:
        print(f"[{time.perf_counter() - started:7.1f} s] {message}", flush=True)

    try:
        if not args.compare_only:
            measure_this_checkout(args, papers, sizes, work, result, note)
        if args.baseline:
            repos = {"baseline": args.baseline, "this": REPO}
            imports = {name: imported_from(repo, work) for name, repo in repos.items()}
            note(f"side by side: the baseline imports {imports['baseline']['pipeline']}, "
                 f"this checkout {imports['this']['pipeline']}")
            comparison = result["baseline"] = {**checkout(args.baseline), "imports": imports, "documents": largest,
                                               "runs": {}}
            corpus = work / f"corpus-{largest}"
            if not corpus.exists():
                make_corpus(papers[:largest], corpus)
            differing = compare_checkouts(repos, corpus, largest, work, comparison["runs"], note)
            comparison.update(outputs_identical=not differing, differing_count=len(differing),
                              differing_files=differing[:10])
            comparison["rows"] = side_by_side(comparison)
    except BaseException as err:
        result["error"] = f"{type(err).__name__}: {err}"  # what was measured so far is still written
        raise
    finally:
        result["meta"]["bench_seconds"] = round(time.perf_counter() - started, 1)
        if args.keep:
            print(f"kept: {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
        if "error" not in result and "floor" in result:
            result["summary"] = summarise(result)
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(result, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    if "summary" in result:
        print_table(result["summary"], f"parks bench: {args.docs} papers, {os.cpu_count()} CPUs, "
                                       f"{result['meta']['bench_seconds'] / 60:.1f} min")
    if "baseline" in result:
        print_side_by_side(result["baseline"], result["meta"])
    print(f"results: {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
