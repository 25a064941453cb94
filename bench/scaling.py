"""How tagging and figure finding grow with document size: seconds at 0.25 / 0.5 / 1 / 2 MB of
real corpus text, and for figures on runs of 2,000 to 16,000 digits inside a sentence, each with
its ratio to the size before (linear: about 2 x per doubling; quadratic: 4 x).

    python bench/scaling.py [--sizes 0.25 0.5 1 2] [--digits 2000 4000 8000 16000]

The long documents are the bundled records' texts (`extracted/documents/`) one after another,
repeated as often as needed and cut at a paragraph. Segmentation is done before the clock starts:
only `tag_entities` (names, figures, linking) is timed, then `find_document_figures` alone.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from pipeline.limits import MB  # noqa: E402
from pipeline.linking import find_document_figures, tag_entities  # noqa: E402
from pipeline.resources import load_resources  # noqa: E402
from pipeline.segment import Segmenter, segment_text  # noqa: E402

RECORDS = REPO / "extracted" / "documents"
DIGIT_SENTENCE = "截至2019年，园区累计吸引{digits}家企业入驻，总投资额达185.5亿元。"


def corpus_text(megabytes: float) -> str:
    """Paragraphs of the bundled records, in file order and repeated, up to `megabytes` of UTF-8."""
    paragraphs = [p for path in sorted(RECORDS.glob("*.json"))
                  for p in json.loads(path.read_text(encoding="utf-8"))["text"].split("\n\n") if p.strip()]
    kept, size, i = [], 0, 0
    while size < megabytes * MB:
        paragraph = paragraphs[i % len(paragraphs)]
        kept.append(paragraph)
        size += len(paragraph.encode("utf-8")) + 2
        i += 1
    return "\n\n".join(kept)


def digit_run(length: int) -> str:
    """A sentence holding a run of `length` digits where a count would be."""
    return DIGIT_SENTENCE.format(digits=("1234567890" * (length // 10 + 1))[:length])


def timed(function, *args) -> float:
    started = time.perf_counter()
    function(*args)
    return time.perf_counter() - started


def print_rows(title: str, label: str, rows: list[tuple[str, float]]) -> None:
    print(f"\n{title}\n{label:>12}  {'seconds':>9}  {'x previous':>10}")
    previous = None
    for size, seconds in rows:
        ratio = f"{seconds / previous:.2f}" if previous else ""
        print(f"{size:>12}  {seconds:9.2f}  {ratio:>10}")
        previous = seconds


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=float, nargs="+", default=[0.25, 0.5, 1.0, 2.0], help="megabytes of text")
    parser.add_argument("--digits", type=int, nargs="+", default=[2000, 4000, 8000, 16000], help="digit-run lengths")
    args = parser.parse_args(argv)
    segmenter, resources = Segmenter(), load_resources()
    warm = corpus_text(0.01)  # patterns compiled, jieba's dictionary loaded before the clock starts
    tag_entities("warm", warm, segment_text(warm, segmenter), resources, segmenter)

    document_rows = []
    for megabytes in args.sizes:
        text = corpus_text(megabytes)
        segmentation = segment_text(text, segmenter)
        seconds = timed(tag_entities, "scaling", text, segmentation, resources, segmenter)
        document_rows.append((f"{megabytes:g} MB", seconds))
        print(f"  {megabytes:g} MB ({len(text):,} characters, {len(segmentation.blocks):,} blocks): {seconds:.2f} s",
              file=sys.stderr)

    digit_rows = []
    for length in args.digits:
        text = digit_run(length)
        segmentation = segment_text(text, segmenter)
        seconds = timed(lambda: list(find_document_figures(text, segmentation, resources, segmenter)))
        digit_rows.append((f"{length:,} digits", seconds))
        print(f"  {length:,} digits: {seconds:.2f} s", file=sys.stderr)

    print_rows("tag_entities (names, figures, linking) on corpus text", "size", document_rows)
    print_rows("find_document_figures on one sentence with a digit run", "run", digit_rows)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
