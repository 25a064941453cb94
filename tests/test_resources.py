"""Every data file loads and is consistent: what the linking relies on."""

import json

from conftest import ROOT
from pipeline.resources import DATA_DIR, DATA_FILES, read_jsonl


def test_every_data_file_has_a_version():
    for name in DATA_FILES:
        path = DATA_DIR / name
        meta = read_jsonl(path)[0] if name.endswith(".jsonl") else json.loads(path.read_text(encoding="utf-8"))
        assert meta.get("version"), name


def test_gazetteer_ids_are_unique_and_countries_are_iso(resources):
    for name in ("parks.jsonl", "companies.jsonl"):
        ids = [row["id"] for row in read_jsonl(DATA_DIR / name)[1]]
        assert len(ids) == len(set(ids)), name
    for entry in resources.parks.entries.values():
        assert entry.country is None or entry.country in resources.countries.by_iso, entry.id


def test_no_alias_names_two_entities():
    for name in ("parks.jsonl", "companies.jsonl"):
        owner = {}
        for row in read_jsonl(DATA_DIR / name)[1]:
            for alias in {row["name"], row.get("name_zh"), *row["aliases"]} - {None}:
                assert owner.setdefault(alias, row["id"]) == row["id"], (name, alias)


def test_country_lexicon_uses_cldr_chinese_names(resources):
    lexicon = resources.countries
    assert (lexicon.by_iso["KH"].name_zh, lexicon.by_iso["KR"].name_zh, lexicon.by_iso["BY"].name) == ("柬埔寨", "韩国", "Belarus")
    assert lexicon.zh_names["白俄罗斯"] == "BY" and lexicon.en_names["Burma"] == "MM"
    assert "TW" not in lexicon.by_iso and "EU" not in lexicon.by_iso


def test_gold_files_follow_the_format():
    for path in sorted((ROOT / "tests" / "gold").glob("*.json")):
        gold = json.loads(path.read_text(encoding="utf-8"))
        assert gold["doc_id"] == path.stem
        assert (ROOT / "corpus" / gold["source"]).is_file(), path
        for figure in gold["figures"]:
            assert isinstance(figure["value"], (int, float)) and figure["unit"], (path.name, figure)
