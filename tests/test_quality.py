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


# --- the bundled corpus: seed gold and cross-lingual abstracts ----------------------

def seed_park(name, name_zh, mentions, host, companies=(), figures=(), founded=None):
    return {"name": name, "name_zh": name_zh, "mentions": list(mentions),
            "host_country": {"iso": host, "evidence": None}, "companies": list(companies),
            "founded": {"year": founded, "evidence": "launched"} if founded else None, "figures": list(figures)}


def seed_company(name, mention, relation):
    return {"name": name, "mention": mention, "relation": relation, "evidence": mention}


SUEZ = seed_park("China-Egypt Suez Economic and Trade Cooperation Zone", "中埃·泰达苏伊士经贸合作区",
                 ["China-Egypt Suez Economic and Trade Cooperation Zone"], "EG",
                 companies=[seed_company("Egypt TEDA Investment Company", "Egypt TEDA Investment Company", "develops"),
                            seed_company("Egypt TEDA Investment Company", "Egypt TEDA", "operates")],
                 figures=[{"text": "68 enterprises", "value": 68, "unit": "count", "kind": "enterprises"}],
                 founded=1998)
SUEZ_TEDA = seed_park("China-Egypt TEDA Suez Economic and Trade Cooperation Zone", "中埃泰达苏伊士经贸合作区",
                      ["China-Egypt TEDA Suez"], "EG")
SUZHOU = seed_park("Singapore-Suzhou Industrial Park", "苏州工业园区", ["Singapore-Suzhou Industrial Park"], "CN")


def write_seed_gold(folder, documents):
    folder.mkdir()
    for doc_id, parks in documents.items():
        (folder / f"{doc_id}.json").write_text(json.dumps({"doc_id": doc_id, "source": f"seeds/{doc_id}.txt",
                                                           "annotation": "", "parks": parks}))
    return folder


def test_seed_gold_is_read_as_devset_gold_one_group_per_document(tmp_path):
    """The same park in two documents (Chinese names equal up to punctuation) gets one key, the first
    entry's name; relations become roles, companies are keyed by their gold name, scope follows the
    host; every document is its own group, of no one language."""
    gold = quality.load_seed_gold(write_seed_gold(tmp_path / "parks", {"s2": [SUEZ, SUZHOU], "s3": [SUEZ_TEDA],
                                                                       "s4": []}))
    suez = "China-Egypt Suez Economic and Trade Cooperation Zone"
    assert gold.groups == {"seed": {"s2": ["s2"], "s3": ["s3"], "s4": ["s4"]}}
    assert [e["park"] for e in gold.documents["s3"]["parks"]] == [suez]
    first, suzhou = gold.documents["s2"]["parks"]
    assert (first["park"], first["scope"], suzhou["park"], suzhou["scope"]) == (
        suez, "overseas", "Singapore-Suzhou Industrial Park", "domestic")
    assert first["companies"] == [
        {"company": "Egypt TEDA Investment Company", "mention": "Egypt TEDA Investment Company", "role": "developer"},
        {"company": "Egypt TEDA Investment Company", "mention": "Egypt TEDA", "role": "operator"}]
    assert gold.documents["s2"]["companies"] == [
        {"company": "Egypt TEDA Investment Company", "name": "Egypt TEDA Investment Company", "name_zh": None,
         "mentions": ["Egypt TEDA Investment Company", "Egypt TEDA"]}]
    assert gold.documents["s4"] == {"doc_id": "s4", "lang": None, "parks": [], "companies": []}


def test_seed_gold_with_a_relation_it_does_not_define_is_refused(tmp_path):
    park = seed_park("Haier-Ruba Economic Zone", None, ["Haier-Ruba Economic Zone"], "PK",
                     companies=[seed_company("Haier Group", "Haier Group", "tenant")])
    folder = write_seed_gold(tmp_path / "parks", {"s1": [park]})
    with pytest.raises(ValueError) as err:
        quality.load_seed_gold(folder)
    assert str(err.value) == (f"{folder / 's1.json'}: Haier Group of Haier-Ruba Economic Zone has relation "
                              f"'tenant', not one of develops, operates, invests")


def test_seed_gold_without_a_field_is_refused(tmp_path):
    park = seed_park("Haier-Ruba Economic Zone", None, ["Haier-Ruba Economic Zone"], "PK")
    del park["figures"]
    folder = write_seed_gold(tmp_path / "parks", {"s1": [park]})
    with pytest.raises(ValueError) as err:
        quality.load_seed_gold(folder)
    assert str(err.value) == f"{folder / 's1.json'}: no 'figures' field where tests/gold/parks/README.md has one"


def test_seed_gold_names_shared_with_two_other_parks_are_refused(tmp_path):
    joined = seed_park("China-Egypt TEDA Suez Economic and Trade Cooperation Zone", "苏州工业园区", ["Suez"], "EG")
    folder = write_seed_gold(tmp_path / "parks", {"s1": [SUEZ_TEDA, SUZHOU], "s2": [joined]})
    with pytest.raises(ValueError) as err:
        quality.load_seed_gold(folder)
    assert str(err.value) == (f"{folder / 's2.json'}: the names of China-Egypt TEDA Suez Economic and Trade "
                              f"Cooperation Zone belong to two parks (China-Egypt TEDA Suez Economic and "
                              f"Trade Cooperation Zone and Singapore-Suzhou Industrial Park)")


def write_records(folder, parks, companies, documents):
    (folder / "documents").mkdir(parents=True)
    (folder / "parks.json").write_text(json.dumps(parks))
    (folder / "companies.json").write_text(json.dumps(companies))
    for document in documents:
        (folder / "documents" / f"{document['doc_id']}.json").write_text(json.dumps(document))
    return folder


def test_bundled_dataset_against_the_seed_gold(tmp_path):
    """One record answers the Suez zone in both documents (one gold park), a second record with its
    short name is a duplicate; the developer is found, the operator missed; founding year and
    figure found; Suzhou has the wrong scope. Seed errors are not listed, even with `errors`."""
    gold_dir = write_seed_gold(tmp_path / "parks", {"s2": [SUEZ, SUZHOU], "s3": [SUEZ_TEDA]})
    suez_links = [{"company": "company:teda", "name": "Egypt TEDA Investment Company", "name_zh": None,
                   "relation": "develops", "sources": [source("s2")]}]
    parks = [{**record("park:suez", en="China-Egypt Suez Economic and Trade Cooperation Zone",
                       zh="中埃泰达苏伊士经贸合作区", documents=[("s2", 3), ("s3", 1)], host="EG",
                       companies=suez_links,
                       figures=[{"kind": "enterprises", "value": 68, "unit": "count", "source": source("s2")}],
                       founded=[{"year": 1998, "source": source("s2")}]), "scope": "overseas"},
             {**record("park:new:teda", en="China-Egypt TEDA Suez", documents=[("s3", 1)], host="EG"),
              "scope": "overseas"},
             {**record("park:sip", en="Singapore-Suzhou Industrial Park", documents=[("s2", 1)], host="SG"),
              "scope": "overseas"}]
    records = write_records(tmp_path / "out", parks, [],
                            [{"doc_id": d, "status": "ok", "language": "en", "blocks": [], "entities": []}
                             for d in ("s2", "s3")])
    report = quality.score_bundled(records, gold_dir, errors=True)
    seed, measures = report["seed"], report["seed"]["measures"]
    assert (seed["documents"], seed["groups"], seed["records"]) == (2, 2, {"right": 2, "duplicate": 1, "junk": 0})
    assert "errors" not in seed
    assert seed["not measured"] == {"cross-lingual one record": "see the abstracts"}
    assert "cross-lingual one record" not in measures
    rates = {m: (measures[m]["hits"], measures[m]["n"]) for m in (
        "record precision", "duplicate share", "park recall", "host country right", "scope right",
        "relations precision", "relations recall", "figures recall", "founded precision")}
    assert rates == {"record precision": (2, 3), "duplicate share": (1, 3), "park recall": (2, 2),
                     "host country right": (1, 2), "scope right": (1, 2), "relations precision": (1, 1),
                     "relations recall": (1, 2), "figures recall": (1, 1), "founded precision": (1, 1)}


def test_a_records_folder_without_the_seed_documents_is_refused(tmp_path):
    gold_dir = write_seed_gold(tmp_path / "parks", {"s2": [SUZHOU]})
    records = write_records(tmp_path / "out", [], [], [])
    with pytest.raises(FileNotFoundError) as err:
        quality.score_bundled(records, gold_dir)
    assert str(err.value) == f"{records / 'documents'} has no record of s2: not a dataset built from the bundled corpus"


ABSTRACT_TEXT = ("中白工业园位于明斯克，华为公司已入驻。\n\n"
                 "Abstract: The China-Belarus Industrial Park near Minsk hosts Huawei and Zhongxing, "
                 "see 中兴通讯.\n\n"
                 "[1] Liu Z. Parks of China[J]. Springer, 2020, 75(6): 1-9. "
                 "[2] Wang T. Zones[J]. Acta, 2019, 3(2): 5-9.")


def mention(kind, name, canonical, lang, text=ABSTRACT_TEXT):
    return {"type": kind, "text": name, "start": text.index(name), "lang": lang, "canonical": {"id": canonical},
            "review_status": "pending"}


def abstract_paper(doc_id, language="zh"):
    paragraphs = ABSTRACT_TEXT.split("\n\n")
    starts = [ABSTRACT_TEXT.index(p) for p in paragraphs]
    return {"doc_id": doc_id, "status": "ok", "language": language, "text": ABSTRACT_TEXT,
            "blocks": [{"start": s, "end": s + len(p), "lang": lang}
                       for s, p, lang in zip(starts, paragraphs, ("zh", "en", "en"))],
            "entities": [mention("park", "中白工业园", "park:new:zh-belarus", "zh"),
                         mention("company", "华为公司", "company:huawei", "zh"),
                         mention("park", "China-Belarus Industrial Park", "park:china-belarus", "en"),
                         mention("company", "Huawei", "company:huawei", "en"),
                         mention("company", "Zhongxing", "company:new:zhongxing", "en"),
                         mention("company", "中兴通讯", "company:new:zhongxing", "zh"),
                         mention("company", "Springer", "company:springer", "en")]}


def test_abstract_names_get_the_ids_of_the_chinese_text(tmp_path):
    """The park's Chinese name is a member of the English name's entity (a hit), Huawei is one id
    (a hit), Zhongxing is named in Chinese only inside the English abstract, which is neither part
    (a miss); Springer in the English bibliography is left out; an English paper is not
    a Chinese paper with an abstract."""
    parks = [{**record("park:china-belarus", en="China-Belarus Industrial Park", zh="中白工业园"),
              "members": [{"id": "park:china-belarus", "names": ["China-Belarus Industrial Park"], "basis": "self",
                           "score": 1.0},
                          {"id": "park:new:zh-belarus", "names": ["中白工业园"], "basis": "place name", "score": 0.9}]}]
    companies = [{"id": i, "names": {"en": None, "zh": None, "aliases": []}}
                 for i in ("company:huawei", "company:new:zhongxing", "company:springer")]
    records = write_records(tmp_path / "out", parks, companies,
                            [abstract_paper("p1"), abstract_paper("e1", language="en")])
    rates, papers, misses = quality.score_abstracts(records, quality.dataset_ids(parks, companies))
    assert rates.groups == ["p1"]
    assert papers == {"papers": 1, "papers with names": 1, "English mentions in bibliography entries (not counted)": 1}
    assert rates.total("abstract parks") == (1, 1)
    assert rates.total("abstract companies") == (1, 2)
    assert rates.total("abstract parks and companies") == (2, 3)
    assert misses == [{"doc_id": "p1", "type": "company", "names": ["Zhongxing"], "id": "company:new:zhongxing"}]


def test_an_abstract_name_not_in_the_dataset_is_a_miss(tmp_path):
    paper = abstract_paper("p1")
    paper["entities"] = [mention("company", "Huawei", "company:new:rejected", "en"),
                         mention("company", "华为公司", "company:huawei", "zh")]
    records = write_records(tmp_path / "out", [], [{"id": "company:huawei",
                                                    "names": {"en": None, "zh": None, "aliases": []}}], [paper])
    rates, _, misses = quality.score_abstracts(records, {"company:huawei": "company:huawei"})
    assert rates.total("abstract companies") == (0, 1)
    assert misses == [{"doc_id": "p1", "type": "company", "names": ["Huawei"], "id": "not in the dataset"}]


def test_bundled_command_prints_and_writes_both(tmp_path, capsys):
    gold_dir = write_seed_gold(tmp_path / "parks", {"p1": [seed_park("China-Belarus Industrial Park", "中白工业园",
                                                                     ["China-Belarus Industrial Park", "中白工业园"],
                                                                     "BY", founded=2010)]})
    parks = [record("park:china-belarus", en="China-Belarus Industrial Park", zh="中白工业园",
                    documents=[("p1", 2)], host="BY")]
    records = write_records(tmp_path / "out", parks, [], [abstract_paper("p1")])
    out = tmp_path / "bundled.json"
    assert quality.main(["--bundled", "--records", str(records), "--seed-gold", str(gold_dir), "--errors",
                         "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "cross-lingual abstracts: 1 Chinese papers with English blocks" in printed
    assert '"abstract misses"' in printed
    report = json.loads(out.read_text())
    assert report["seed"]["measures"]["founded recall"]["n"] == 1
    assert report["seed"]["records"] == {"right": 1, "duplicate": 0, "junk": 0}
    assert report["abstracts"]["measures"]["abstract parks"] == {"value": 0.0, "hits": 0, "n": 1,
                                                                 "interval": [0.0, 0.0]}
    assert [m["names"] for m in report["abstracts"]["misses"]] == [["Huawei"], ["Zhongxing"],
                                                                   ["China-Belarus Industrial Park"]]


def test_bundled_refuses_the_devset_options(capsys):
    with pytest.raises(SystemExit) as exit_:
        quality.main(["--bundled", "--texts", "texts"])
    assert exit_.value.code == 2
    assert "--bundled scores a records folder (--records); --texts and --keep are for the devset run" in \
        capsys.readouterr().err
