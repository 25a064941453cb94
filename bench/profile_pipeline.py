"""Profile the single-process pipeline with pyinstrument: every stage of every document, then the
corpus-level themes, through the plain functions the flow runs (no Prefect).

    python bench/profile_pipeline.py [--docs 100] [--out bench/results/profile.txt]

Needs pyinstrument (`pip install pyinstrument`), which parks itself does not depend on.
Segmenter and gazetteers are loaded before the profile starts, as a worker has them loaded.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

DEFAULT_CORPUS = REPO.parent / "shared" / "corpora" / "bench"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--docs", type=int, default=100)
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--out", type=Path, default=REPO / "bench" / "results" / "profile.txt")
    parser.add_argument("--html", type=Path, help="also write pyinstrument's interactive HTML here")
    args = parser.parse_args(argv)
    try:
        from pyinstrument import Profiler
    except ImportError:
        parser.error("needs pyinstrument: pip install pyinstrument")

    from pipeline.run import RunSettings, extract_and_write, tools
    from pipeline.corpus import discover_documents
    from pipeline.limits import DocumentLimits
    from pipeline.records import apply_themes
    from pipeline.themes import load_taxonomy

    work = Path(tempfile.mkdtemp(prefix="parks-profile-"))
    corpus = work / "corpus"
    corpus.mkdir()
    for paper in sorted(p for p in args.corpus.iterdir() if p.is_file())[:args.docs]:
        shutil.copyfile(paper, corpus / paper.name)  # a symlink out of the corpus folder is refused
    # No time budget: its watcher thread and pyinstrument's sampler deadlock (measured).
    settings = RunSettings(work / "out", None, "{}", limits=DocumentLimits(seconds=0))
    segmenter, _ = tools(settings.reviewed)
    segmenter.nlp_en, segmenter.nlp_zh, segmenter.pos_tagger  # loaded before the clock starts
    documents = discover_documents(corpus)

    profiler = Profiler(interval=0.005)
    profiler.start()
    started = time.perf_counter()
    for document in documents:
        extract_and_write(document, settings)
    documents_seconds = time.perf_counter() - started
    apply_themes(settings.out_dir, load_taxonomy())
    total = time.perf_counter() - started
    profiler.stop()

    report = (f"{len(documents)} documents: {documents_seconds:.1f} s extracting, "
              f"{total - documents_seconds:.1f} s themes, {total:.1f} s in all (under the profiler)\n\n"
              + profiler.output_text(unicode=False, color=False, show_all=False))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(report, encoding="utf-8")
    if args.html:
        args.html.write_text(profiler.output_html(), encoding="utf-8")
    print(report)
    print(f"written: {args.out} (work folder {work})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
