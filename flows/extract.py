"""The extraction flow: the documents of a corpus in tasks, then the corpus stages.

Orchestration only: which task runner (this process, worker processes, a Dask cluster), how
documents are batched into tasks, retries of what failed transiently, progress and the run's
summary. What happens to a document is `pipeline.run.extract_and_write`, which runs the library
pipeline (`pipeline.stages`); each process loads the segmenter and gazetteers once."""


import math
import time
from contextlib import nullcontext
from dataclasses import dataclass, field
from pathlib import Path

from prefect import flow, task
from prefect.cache_policies import NO_CACHE
from prefect.futures import as_completed
from prefect.task_runners import ProcessPoolTaskRunner, TaskRunner, ThreadPoolTaskRunner
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from pipeline.limits import DEFAULT_LIMITS, DocumentLimits
from pipeline.locks import exclusive_run, holds_run
from pipeline.records import prune_records
from pipeline.run import DocumentOutcome, extract_documents, not_extracted, prepare_run, serve_cached
from pipeline.stages import CORPUS_STAGES, is_transient, run_corpus_stage
from pipeline.types import PipelineInfo


@dataclass
class RunSummary:
    pipeline: PipelineInfo
    outcomes: list[DocumentOutcome] = field(default_factory=list)
    pruned: list[str] = field(default_factory=list)
    temporaries_removed: int = 0  # left by a crashed run's atomic writes
    corpus: dict[str, dict] = field(default_factory=dict)  # corpus stage -> what it made, counted
    seconds: float = 0.0

    @property
    def failed(self) -> list[DocumentOutcome]:
        return [o for o in self.outcomes if o.status == "failed"]


def transient(task, task_run, state) -> bool:
    return is_transient(state.data)


def documents_per_task(documents: int, parallel: int) -> int:
    """One document per task in this process; batches when tasks run in worker processes or on
    Dask, where Prefect rebuilds a task's context at a cost of about 0.3 s of CPU (measured with
    no-op tasks on 2 processes), close to what a paper takes. Four batches per worker at least
    keep the workers evenly busy; at most 32 documents keep a retried batch short."""
    if parallel <= 1:
        return 1
    return max(1, min(32, math.ceil(documents / (parallel * 4))))


extract_documents_task = task(extract_documents, name="extract-documents", cache_policy=NO_CACHE, retries=2,
                              retry_delay_seconds=[1, 4], retry_condition_fn=transient)


corpus_stage_task = task(run_corpus_stage, name="corpus stage", task_run_name="{stage.name}", cache_policy=NO_CACHE)


def task_runner(workers: int = 1, dask_address: str | None = None) -> TaskRunner:
    """One document at a time in this process, `workers` processes, or an existing Dask cluster."""
    if dask_address:
        from prefect_dask import DaskTaskRunner

        return DaskTaskRunner(address=dask_address)
    if workers > 1:
        return ProcessPoolTaskRunner(max_workers=workers)
    return ThreadPoolTaskRunner(max_workers=1)


@flow(name="extract-corpus", log_prints=False, task_runner=task_runner())
def extract_corpus(corpus_dir: Path = Path("corpus"), out_dir: Path = Path("extracted"),
                   only: list[str] | None = None, show_progress: bool = False,
                   review_db: Path | None = None, cache_dir: Path | None = None, parallel: int = 1,
                   prune: bool = False, limits: DocumentLimits = DEFAULT_LIMITS) -> RunSummary:
    """Extract every document of the corpus (or `only` some) into one record each, with the
    decisions of `review_db` applied and the names reviewers taught added to the gazetteers.
    With `cache_dir`, stages whose input, code and settings are unchanged are not re-done.
    Run it with `task_runner(...)` as its task runner (`with_options`) to spread the documents,
    and `parallel`, how many tasks that runs at once, to batch them. A document over `limits`
    (its size, its time) gets a failed record and the run goes on.

    One run at a time writes `out_dir` (`exclusive_run`, unless this process holds it already);
    a full run that would remove many records (an empty or unmounted corpus) is refused before
    anything is written (`check_prune`), unless `prune`."""
    out_dir, cache_dir = Path(out_dir), Path(cache_dir) if cache_dir else None
    with nullcontext() if holds_run(out_dir) else exclusive_run(out_dir):
        started = time.perf_counter()
        run = prepare_run(Path(corpus_dir), out_dir, only, Path(review_db) if review_db is not None else None,
                          cache_dir, prune, limits)
        documents, settings = run.documents, run.settings
        summary = RunSummary(pipeline=run.pipeline, temporaries_removed=run.temporaries_removed)
        progress = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                            TimeElapsedColumn(), disable=not show_progress, transient=True)
        with progress:
            bar = progress.add_task("extracting", total=len(documents))
            outcomes = {}
            for doc in documents:  # unchanged documents first, without tasks
                served = serve_cached(doc, settings)
                if served:
                    outcomes[doc.doc_id] = served
                    progress.advance(bar)
            pending = [doc for doc in documents if doc.doc_id not in outcomes]
            size = documents_per_task(len(pending), parallel)
            batches = [pending[i:i + size] for i in range(0, len(pending), size)]
            # Small arguments, no `quote()`: Dask turns a NamedTuple into a plain tuple.
            futures = {extract_documents_task.submit(batch, settings): batch for batch in batches}
            submitted = time.perf_counter()
            for future in as_completed(list(futures)):
                batch = futures[future]
                try:
                    outcomes.update((outcome.doc_id, outcome) for outcome in future.result())
                except Exception as err:  # retries spent, or a worker died: the run goes on
                    outcomes.update((doc.doc_id, not_extracted(doc, err, settings, submitted)) for doc in batch)
                progress.update(bar, description=f"extracted {batch[-1].doc_id}")
                progress.advance(bar, len(batch))
        summary.outcomes = [outcomes[doc.doc_id] for doc in documents]
        if not only:
            summary.pruned = prune_records(out_dir, {d.doc_id for d in documents})
        for stage in CORPUS_STAGES:
            summary.corpus[stage.name] = corpus_stage_task(stage, out_dir, review_db)
        summary.seconds = round(time.perf_counter() - started, 3)
        return summary
