"""The scorer: distinct entities per document, names matched loosely, figures strictly."""

import json

from pipeline.evaluation import evaluate, score_document


def entity(kind, text, **fields):
    return {"type": kind, "text": text, "canonical": fields.pop("canonical", None), **fields}


RECORD = {"doc_id": "d", "language": "en", "entities": [
    entity("country", "Belarus", country="BY"), entity("country", "China", country="CN"),
    entity("country", "Egypt", country="EG"),
    entity("park", "Great Stone", canonical={"id": "park:cbip", "name": "China-Belarus Industrial Park",
                                              "name_zh": "中白工业园", "aliases": []}),
    entity("park", "Suez Zone", canonical={"id": "park:new:suez-zone", "name": "Suez Zone", "name_zh": None, "aliases": []}),
    entity("company", "Haier Group", canonical={"id": "company:haier", "name": "Haier Group", "name_zh": None, "aliases": []}),
    entity("figure", "US$ 6.5 billion", value=6.5e9, unit="USD"),
    entity("figure", "16%", value=16.0, unit="percent"),
    entity("figure", "16%", value=16.0, unit="percent"),
    entity("figure", "3 parks", value=3.0, unit="count"),
]}
GOLD = {"doc_id": "d",
        "countries": [{"iso": "BY"}, {"iso": "CN"}, {"iso": "RU"}],
        "parks": [{"name": "China-Belarus Industrial Park", "name_zh": "中白工业园", "mentions": ["中白工业园区"]},
                  {"name": "Sihanoukville SEZ", "mentions": ["SSEZ"]}],
        "companies": [{"name": "Haier", "mentions": ["Haier Group"]}],
        "figures": [{"text": "6.5 bn", "value": 6.52e9, "unit": "USD"}, {"text": "16 %", "value": 16, "unit": "percent"},
                    {"text": "3 jobs", "value": 3, "unit": "count"}, {"text": "4%", "value": 4, "unit": "percent"}]}


def test_score_document_counts_distinct_entities():
    score = score_document(RECORD, GOLD)
    got = {kind: (c.tp, c.fp, c.fn) for kind, c in score.counts.items()}
    # 6.5e9 is within 0.5 % of 6.52e9; the two 16% mentions are one figure; 3 count matches on unit and value
    assert got == {"country": (2, 1, 1), "park": (1, 1, 1), "company": (1, 0, 0), "figure": (3, 0, 1)}
    assert score.misses["park"] == ["Sihanoukville SEZ"] and score.extras["country"] == ["EG"]
    assert score.misses["figure"] == ["4% = 4 percent"]


def test_a_gold_figure_takes_the_nearest_value_within_tolerance():
    """ChinaXiv-201911.00014V1: 4 860.6 and 4 880.1 (×10⁴ USD) are both within 0.5 % of 4 860.6;
    the gold 4 860.6 must take the system's 4 860.6, not the smaller 4 847.5."""
    record = {"doc_id": "d", "entities": [entity("figure", t, value=v, unit="USD") for t, v in
                           [("4 847.5", 48_475_000.0), ("4 860.6", 48_606_000.0), ("4 880.1", 48_801_000.0)]]}
    gold = {"figures": [{"text": t, "value": v, "unit": "USD"} for t, v in [("4 860.6", 48_606_000), ("4 880.1", 48_801_000)]]}
    score = score_document(record, gold)
    assert (score.counts["figure"].tp, score.extras["figure"]) == (2, ["4.8475e+07 USD"])


def test_evaluate_reports_per_type_and_language(tmp_path):
    (tmp_path / "records").mkdir()
    (tmp_path / "gold").mkdir()
    (tmp_path / "records" / "d.json").write_text(json.dumps(RECORD), encoding="utf-8")
    (tmp_path / "gold" / "d.json").write_text(json.dumps(GOLD), encoding="utf-8")
    report = evaluate(tmp_path / "records", tmp_path / "gold")
    assert report["documents"] == 1
    assert report["overall"]["country"] == {"tp": 2, "fp": 1, "fn": 1, "precision": 0.6667, "recall": 0.6667, "f1": 0.6667}
    assert set(report["by_language"]) == {"en"}


def test_theme_interval_resamples_documents():
    from pipeline.evaluation import Counts, bootstrap_interval

    alike = {d: {"a": Counts(tp=1, fp=1)} for d in ("d1", "d2", "d3")}
    assert bootstrap_interval(alike, ["a"])["macro_f1"] == [0.6667, 0.6667]
    # one paper right, one wrong: a draw holds both (F1 0.5), or one of them twice (1.0 or 0.0)
    apart = {"right": {"a": Counts(tp=1), "b": Counts(tp=1)}, "wrong": {"a": Counts(fp=1, fn=1), "b": Counts()}}
    interval = bootstrap_interval(apart, ["a", "b"])
    assert interval["macro_f1"] == [0.0, 1.0]
    assert interval["micro_f1"] == [0.0, 1.0]
    assert (interval["documents"], interval["resamples"], interval["random_state"]) == (2, 1000, 0)
    assert bootstrap_interval(apart, ["a", "b"]) == interval  # seeded: the same every run
