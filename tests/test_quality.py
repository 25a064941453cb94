"""bench/quality.py's scoring of the park dataset against the devset gold, on hand-made datasets
and gold (the devset texts are not ours to copy)."""

import importlib.util
import json
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SPEC = importlib.util.spec_from_file_location("bench_quality", REPO / "bench" / "quality.py")
quality = sys.modules["bench_quality"] = importlib.util.module_from_spec(SPEC)  # dataclasses look it up
SPEC.loader.exec_module(quality)

OMAN = "中国-阿曼(杜库姆)产业园"


def park_entry(key, mentions, host=None, scope="overseas", companies=(), figures=(), founded=None):
    return {"park": key, "name": None, "name_zh": None, "mentions": list(mentions), "part_of": None,
            "host_country": {"iso": host, "evidence": None}, "scope": scope, "companies": list(companies),
            "founded": {"year": founded, "via": "name", "evidence": ""} if founded else None,
            "figures": list(figures)}


def gold_text(doc_id, lang, parks, companies=()):
    return {"doc_id": doc_id, "lang": lang, "parks": parks, "companies": list(companies)}


def record(park_id, en=None, zh=None, aliases=(), documents=(("d1", 1),), host=None, companies=(), figures=(),
           founded=()):
    return {"id": park_id, "names": {"en": en, "zh": zh, "aliases": list(aliases)},
            "host_country": {"iso": host} if host else None, "companies": list(companies),
            "figures": list(figures), "founded": list(founded),
            "documents": [{"doc_id": d, "title": None, "mentions": n} for d, n in documents]}


def source(doc_id):
    return {"doc_id": doc_id, "sentence": 0, "start": 0, "end": 1, "text": "x"}


def make_gold(documents, heldout=None, development=None, parks=None, companies=None):
    return quality.Gold({"heldout": heldout or {"g1": ["d1"], "g2": ["d2"]},
                         "development": development or {"g3": ["d3"]}},
                        parks or {}, companies or {}, {d["doc_id"]: d for d in documents})


def rate(score, measure):
    return score.rates.total(measure)


def test_records_are_right_duplicate_or_junk_by_normalised_name():
    """One record answers a gold park; a second with its name (any case, full-width punctuation)
    is a duplicate; a name no gold park of its text has (a phrase swallowing the words before the
    name) is junk; records of the other half's texts are not counted."""
    gold = make_gold([gold_text("d1", "zh", [park_entry("oman-duqm", [OMAN]),
                                             park_entry("hofusan", ["北美华富山工业园"])]),
                      gold_text("d2", "en", [park_entry("rayong", ["Rayong Industrial Zone"])]),
                      gold_text("d3", "en", [park_entry("lekki-ftz", ["Lekki Free Trade Zone"])])])
    parks = [record("park:oman", zh="中国－阿曼（杜库姆）产业园", documents=[("d1", 3)]),
             record("park:new:b", aliases=["中国-阿曼(杜库姆)产业园区"], documents=[("d1", 1)]),
             record("park:new:c", zh="全面启动北美华富山工业园", documents=[("d1", 1)]),
             record("park:rayong", en="Thai-Chinese Rayong Industrial Zone", aliases=["rayong  industrial zone"],
                    documents=[("d2", 2)]),
             record("park:lekki", en="Lekki Free Trade Zone", documents=[("d3", 2)])]
    score = quality.score_half(parks, [], gold, "heldout")
    assert score.records == {"right": 2, "duplicate": 1, "junk": 1}
    assert rate(score, "record precision") == (2, 4)
    assert rate(score, "duplicate share") == (1, 4)
    assert rate(score, "junk share") == (1, 4)
    assert rate(score, "park recall") == (2, 3)
    assert [e["record"] for e in score.errors["duplicate"]] == ["park:new:b"]
    assert score.errors["missed"] == [{"park": "hofusan", "documents": ["d1"]}]
    assert quality.score_half(parks, [], gold, "development").records == {"right": 1, "duplicate": 0, "junk": 0}


def test_a_name_of_a_park_from_another_text_does_not_match():
    """A record is matched only to gold parks of its own texts."""
    gold = make_gold([gold_text("d1", "en", [park_entry("rayong", ["Rayong Industrial Zone"])]),
                      gold_text("d2", "en", []), gold_text("d3", "en", [])])
    score = quality.score_half([record("park:r", en="Rayong Industrial Zone", documents=[("d2", 1)])], [], gold,
                               "heldout")
    assert score.records == {"right": 0, "duplicate": 0, "junk": 1}


def test_each_record_answers_one_park_and_as_many_parks_as_possible():
    assert quality.match_records({"r1": ["a", "b"], "r2": ["a"]}) == {"r1": "b", "r2": "a"}
    assert quality.match_records({"r1": ["a"], "r2": ["a"], "r3": []}) == {"r1": "a"}


def test_host_country_of_the_record_answering_each_gold_park():
    gold = make_gold([gold_text("d1", "en", [park_entry("oman-duqm", ["Duqm Park"], host="OM"),
                                             park_entry("rayong", ["Rayong Zone"], host="TH"),
                                             park_entry("lekki-ftz", ["Lekki Zone"], host=None)]),
                      gold_text("d2", "en", []), gold_text("d3", "en", [])])
    parks = [record("park:o", en="Duqm Park", host="OM"), record("park:r", en="Rayong Zone"),
             record("park:l", en="Lekki Zone", host="NG")]
    score = quality.score_half(parks, [], gold, "heldout")
    assert rate(score, "host country right") == (1, 2)
    assert rate(score, "no host") == (1, 3)
    assert score.errors["host"] == [{"park": "rayong", "record": "park:r", "gold": "TH", "found": None}]


def test_scope_is_measured_only_when_the_dataset_has_it():
    gold = make_gold([gold_text("d1", "zh", [park_entry("qinzhou", ["中马钦州产业园"], scope="domestic")]),
                      gold_text("d2", "en", []), gold_text("d3", "en", [])])
    without = quality.score_half([record("park:q", zh="中马钦州产业园")], [], gold, "heldout")
    assert not without.scope_in_dataset and rate(without, "scope right") == (0, 0)
    with_scope = quality.score_half([{**record("park:q", zh="中马钦州产业园"), "scope": "overseas"}], [], gold,
                                    "heldout")
    assert with_scope.scope_in_dataset and rate(with_scope, "scope right") == (0, 1)


def test_relations_by_role_and_any_role():
    """The dataset's 'develops' is the gold's developer; a company is matched by the gold names of
    the texts its sentence is in; the gold's tenants have no dataset relation."""
    cadf = {"company": "cadf", "name": "China-Africa Development Fund", "name_zh": "中非发展基金",
            "mentions": ["中非发展基金"]}
    cccc = {"company": "cccc", "name": "China Communications Construction", "name_zh": None, "mentions": ["CCCC"]}
    gold = make_gold([gold_text("d1", "zh", [park_entry("lekki-ftz", ["莱基自贸区"], companies=[
        {"company": "cadf", "mention": "中非发展基金", "role": "developer"},
        {"company": "cccc", "mention": "CCCC", "role": "operator"},
        {"company": "cccc", "mention": "CCCC", "role": "tenant"}])], [cadf, cccc]),
        gold_text("d2", "en", []), gold_text("d3", "en", [])])
    links = [{"company": "company:cadf", "name": "China Africa Development Fund", "name_zh": None,
              "relation": "develops", "sources": [source("d1")]},
             {"company": "company:cccc", "name": None, "name_zh": None, "relation": "invests",
              "sources": [source("d1")]},
             {"company": "company:x", "name": "Lekki Port", "name_zh": None, "relation": "develops",
              "sources": [source("d1")]}]
    companies = [{"id": "company:cccc", "names": {"en": None, "zh": None, "aliases": ["CCCC"]}}]
    score = quality.score_half([record("park:l", zh="莱基自贸区", companies=links)], companies, gold, "heldout")
    assert rate(score, "relations precision") == (1, 3)
    assert rate(score, "relations recall") == (1, 3)
    assert rate(score, "relations (any role) precision") == (2, 3)
    assert rate(score, "relations (any role) recall") == (2, 2)
    assert sorted(score.errors["relations"]["missed"]) == [("lekki-ftz", "cccc", "operator"),
                                                           ("lekki-ftz", "cccc", "tenant")]


def test_figures_within_one_percent_of_the_same_kind_and_unit():
    def figure(kind, value, unit):
        return {"kind": kind, "value": value, "unit": unit, "text": "", "source": source("d1")}

    gold_figures = [{"text": "12平方公里", "value": 12, "unit": "km2", "kind": "area"},
                    {"text": "107亿美元", "value": 10700000000, "unit": "USD", "kind": "investment"},
                    {"text": "5年", "value": 5, "unit": "year", "kind": "other"}]
    gold = make_gold([gold_text("d1", "zh", [park_entry("oman-duqm", [OMAN], figures=gold_figures)]),
                      gold_text("d2", "en", []), gold_text("d3", "en", [])])
    found = [figure("area", 12.1, "km2"), figure("other", 10700000000, "USD"), figure("other", 5.1, "year"),
             figure("jobs", 3000, "count")]
    score = quality.score_half([record("park:o", zh=OMAN, figures=found)], [], gold, "heldout")
    assert rate(score, "figures precision") == (1, 4)
    assert rate(score, "figures recall") == (1, 3)
    assert rate(score, "figures (any kind) precision") == (2, 4)
    assert rate(score, "figures (any kind) recall") == (2, 3)


def test_founding_years_and_claims_of_junk_records():
    gold = make_gold([gold_text("d1", "en", [park_entry("rayong", ["Rayong Zone"], founded=2005)]),
                      gold_text("d2", "en", []), gold_text("d3", "en", [])])
    years = [{"year": 2005, "source": source("d1")}, {"year": 2006, "source": source("d1")}]
    parks = [record("park:r", en="Rayong Zone", founded=years),
             record("park:j", en="The Rayong", founded=[{"year": 2005, "source": source("d1")}])]
    score = quality.score_half(parks, [], gold, "heldout")
    assert rate(score, "founded precision") == (1, 3)
    assert rate(score, "founded recall") == (1, 1)


def test_cross_lingual_parks_are_one_record_in_both_languages():
    gold = make_gold([gold_text("d1", "zh", [park_entry("rayong", ["泰中罗勇工业园"]),
                                             park_entry("lekki-ftz", ["莱基自贸区"])]),
                      gold_text("d2", "en", [park_entry("rayong", ["Rayong Industrial Zone"]),
                                             park_entry("lekki-ftz", ["Lekki Free Zone"])]),
                      gold_text("d3", "en", [])])
    parks = [record("park:r", en="Rayong Industrial Zone", zh="泰中罗勇工业园", documents=[("d1", 1), ("d2", 1)]),
             record("park:l", zh="莱基自贸区", documents=[("d1", 1)]),
             record("park:new:l", en="Lekki Free Zone", documents=[("d2", 1)])]
    score = quality.score_half(parks, [], gold, "heldout")
    assert rate(score, "cross-lingual one record") == (1, 2)
    assert score.errors["cross-lingual"] == [{"park": "lekki-ftz", "records": ["park:l", "park:new:l"]}]


def test_intervals_resample_park_groups():
    rates = quality.Rates(["g1", "g2"])
    for group, hit in (("g1", True), ("g1", False), ("g2", False), ("g2", False)):
        rates.add("park recall", group, hit)
    summary = quality.summarise(rates)
    assert summary["park recall"] == {"value": 0.25, "hits": 1, "n": 4, "interval": [0.0, 0.5]}
    assert summary["founded recall"] == {"value": None, "hits": 0, "n": 0, "interval": None}


@pytest.fixture
def devset(tmp_path):
    """A gold folder and a records folder as `parks extract` writes them."""
    gold_dir, records = tmp_path / "gold", tmp_path / "out"
    (records / "documents").mkdir(parents=True)
    gold_dir.mkdir()
    split = {"heldout": {"groups": {"rayong": ["d1"]}}, "development": {"groups": {"lekki-ftz": ["d2"]}}}
    (gold_dir / "split.json").write_text(json.dumps(split))
    (gold_dir / "parks.json").write_text(json.dumps({"parks": {"rayong": {"name": "Thai-Chinese Rayong Industrial Zone",
                                                                          "name_zh": "泰中罗勇工业园"}}}))
    (gold_dir / "companies.json").write_text(json.dumps({"companies": {}}))
    for doc_id, key, mention in (("d1", "rayong", "Rayong Zone"), ("d2", "lekki-ftz", "Lekki Zone")):
        (gold_dir / f"{doc_id}.json").write_text(json.dumps(gold_text(doc_id, "en", [park_entry(key, [mention])])))
        (records / "documents" / f"{doc_id}.json").write_text(json.dumps({"doc_id": doc_id, "status": "ok"}))
    parks = [record("park:r", zh="泰中罗勇工业园", documents=[("d1", 1)]),
             record("park:x", en="Lekki Port", documents=[("d2", 1)])]
    (records / "parks.json").write_text(json.dumps(parks))
    (records / "companies.json").write_text("[]")
    return gold_dir, records


def test_score_lists_errors_of_the_development_half_only(devset):
    gold_dir, records = devset
    report = quality.score(records, gold_dir, errors=True)
    assert list(report["halves"]) == ["heldout", "development"]
    heldout, development = report["halves"]["heldout"], report["halves"]["development"]
    assert "errors" not in heldout
    assert development["errors"]["junk"] == [{"record": "park:x", "names": ["Lekki Port", None], "park": None,
                                              "documents": ["d2"]}]
    assert heldout["records"] == {"right": 1, "duplicate": 0, "junk": 0}
    assert heldout["scope"] == "not in the dataset" and "scope right" not in heldout["measures"]
    assert heldout["measures"]["park recall"] == {"value": 1.0, "hits": 1, "n": 1, "interval": [1.0, 1.0]}


def test_a_records_folder_without_the_devset_texts_is_refused(devset):
    gold_dir, records = devset
    (records / "documents" / "d2.json").unlink()
    with pytest.raises(FileNotFoundError) as err:
        quality.score(records, gold_dir)
    assert str(err.value) == f"{records / 'documents'} has no record of d2: not a dataset built from the devset texts"


def test_a_missing_dataset_file_is_named(devset):
    gold_dir, records = devset
    (records / "companies.json").unlink()
    with pytest.raises(FileNotFoundError) as err:
        quality.score(records, gold_dir)
    assert str(err.value) == f"{records / 'companies.json'} does not exist"


def test_a_split_without_both_halves_is_refused(devset):
    gold_dir, records = devset
    (gold_dir / "split.json").write_text(json.dumps({"heldout": {"groups": {"rayong": ["d1"]}}}))
    with pytest.raises(ValueError) as err:
        quality.score(records, gold_dir)
    assert str(err.value) == f"{gold_dir / 'split.json'} has no groups of development"
