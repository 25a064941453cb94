"""Themes: the taxonomy, the bilingual bridge, seeded and discovered themes, their stability,
and their evaluation against gold passages."""

import json
import random

import pytest

from conftest import EXTRACTED
from pipeline.evaluation import evaluate_themes, predicted_themes
from pipeline.records import read_records
from pipeline.themes import (BridgeTokenizer, Passage, keyword_pairs, load_taxonomy, passages_of,
                             previous_discovered, theme_corpus)


@pytest.fixture(scope="module")
def taxonomy():
    return load_taxonomy()


@pytest.fixture(scope="module")
def records():
    return read_records(EXTRACTED)


@pytest.fixture(scope="module")
def by_id(records):
    return {r.doc_id: r for r in records}


@pytest.fixture(scope="module")
def committed_map():
    return json.loads((EXTRACTED / "themes.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def tokenizer(taxonomy):
    return BridgeTokenizer(taxonomy)


def passage_themes(record, starts_with: str) -> list[str]:
    """Theme ids of the passage holding the start of this text, strongest first."""
    start = record.text.index(starts_with)
    found = [(p.score, t.id) for t in record.themes for p in t.passages if p.start <= start < p.end]
    assert found, starts_with
    return [theme_id for _, theme_id in sorted(found, key=lambda x: (-x[0], x[1]))]


# --- the taxonomy and the bridge ------------------------------------------------------

def test_taxonomy_covers_the_groups_and_themes_the_researchers_asked_for(taxonomy):
    by_group = {}
    for theme in taxonomy.themes:
        by_group.setdefault(theme.group, []).append(theme.id)
    assert {g: len(ids) for g, ids in by_group.items()} == {"challenge": 8, "mode": 4, "park_type": 6}
    for theme in taxonomy.themes:
        assert theme.label and theme.label_zh and theme.definition, theme.id
        assert any(c.terms_en for c in theme.concepts) and any(c.terms_zh for c in theme.concepts), theme.id


def test_no_seed_term_belongs_to_two_themes(taxonomy):
    owner = {}
    for concept in taxonomy.concepts.values():
        for term in concept.terms_en + concept.terms_zh:
            assert owner.setdefault(term.lower(), concept.theme_id) == concept.theme_id, term


def test_an_acronym_plural_is_its_acronym_not_a_word(tokenizer):
    text = "Some SOEs invest, so the park grows."
    matches = tokenizer(Passage("x", 0, len(text), "en", text)).matches
    assert [(m.concept.split("#")[0], m.surface) for m in matches] == [("mode.government-driven", "SOEs")]


def test_a_pattern_outweighs_the_general_word_inside_it(tokenizer):
    """'governments' alone is weak evidence (0.4); "led by governments" is the government-driven phrasing."""
    text = "Although overseas industrial parks are often led by governments, the operation is left to enterprises."
    matches = tokenizer(Passage("x", 0, len(text), "en", text)).matches
    assert [m.surface for m in matches if m.concept.startswith("mode.government-driven")] == ["led by governments"]


def test_financing_difficulties_and_融资难_are_one_token(tokenizer):
    en = tokenizer(Passage("x", 0, 0, "en", "(2) Financing difficulties. Without services like \"overseas guarantees\"."))
    zh = tokenizer(Passage("x", 0, 0, "zh", "境外园区企业普遍面临融资难、融资贵的问题。"))
    assert "@challenge.financing#0" in en.tokens and "@challenge.financing#0" in zh.tokens
    assert [m.term for m in zh.matches] == ["融资难", "融资贵"]


def test_the_road_of_belt_and_road_is_no_infrastructure(tokenizer):
    passage = tokenizer(Passage("x", 0, 0, "en", "Overseas parks are a primary component of the Belt and Road Initiative."))
    assert passage.matches == ()
    zh = tokenizer(Passage("x", 0, 0, "zh", "“一带一路”沿线国家道路设施落后。"))
    assert [m.term for m in zh.matches] == ["道路"]


def test_keyword_lists_pair_terms_across_languages(by_id):
    assert keyword_pairs(by_id["ChinaXiv-201709.00107V1"].text) == [
        ("climate change", "气候变化"), ("the Paris Agreement", "巴黎协定"),
        ("Belt and Road Initiative", "一带一路"), ("green transformation", "绿色转型")]


def test_bridge_in_the_theme_map_pairs_translations(committed_map):
    bridge = {(a["en"], a["zh"]) for a in committed_map["bridge"]}
    assert {("the paris agreement", "巴黎协定"), ("overseas industrial parks", "境外园区"), ("corrosion", "腐蚀"),
            ("yadong area", "亚东地区")} <= bridge
    assert not any("一带一路" in zh for _, zh in bridge)


def test_a_keyword_pair_holding_a_seed_term_is_no_bridge(committed_map, by_id):
    """农产品贸易 / 'agricultural products trade' would hide the seed term 农产品 in every passage of
    the agricultural-trade paper; the seed term bridges it already."""
    bridge = {(a["en"], a["zh"]) for a in committed_map["bridge"]}
    assert ("agricultural products trade", "农产品贸易") in keyword_pairs(by_id["ChinaXiv-201810.00132V1"].text)
    assert not any("农产品" in zh or "landslide" in en for en, zh in bridge)
    abstract = next(t for t in by_id["ChinaXiv-201810.00132V1"].themes if t.id == "park_type.agriculture").passages[0]
    assert by_id["ChinaXiv-201810.00132V1"].text[abstract.start:abstract.start + 16] == "摘要：农产品贸易是中国与“一带一"
    assert abstract.terms == ["农产品"]


# --- passages -----------------------------------------------------------------------

def test_passages_skip_front_matter_and_references(by_id):
    record = by_id["002_f3389fd23886204c"]
    passages = passages_of(record)
    texts = [p.text for p in passages]
    assert not any(t.startswith(("AI translation", "Keywords", "Institute of Geographic")) for t in texts)
    assert not any("Farole T, Akinci G" in t for t in texts)  # a reference
    assert all(len(p.text) <= 600 and record.text[p.start:p.end] == p.text for p in passages)


def test_bibliography_entries_and_chart_residue_are_no_passages(by_id):
    """This paper's references follow no heading of their own; the chart's axis labels are a block."""
    texts = [p.text for p in passages_of(by_id["ChinaXiv-202001.00035V1"])]
    assert not any("Walter I,Ugelow JL" in t or "郭红燕，韩立岩" in t for t in texts)
    assert any(t.startswith("摘要：“一带一路”倡议在中国西北干旱半干旱区的实施") for t in texts)
    texts = [p.text for p in passages_of(by_id["ChinaXiv-201704.00225V1"])]
    assert not any(t.startswith("7000 70%5000 6000") for t in texts)


def test_long_paragraphs_become_windows_of_whole_sentences(by_id):
    record = by_id["ChinaXiv-201801.00120V1"]
    sentence_bounds = {s.start for s in record.sentences}, {s.end for s in record.sentences}
    for passage in passages_of(record):
        assert len(passage.text) <= 400 or passage.start in {b.start for b in record.blocks}
        assert passage.start in sentence_bounds[0] | {b.start for b in record.blocks}


# --- seeded themes on the bundled corpus ------------------------------------------------

def test_seed_002_modes_are_the_top_themes_of_their_passages(by_id):
    record = by_id["002_f3389fd23886204c"]
    assert passage_themes(record, "2.1 High-Level Government-Driven")[0] == "mode.government-driven"
    assert passage_themes(record, "2.2 Industrial Park Development Company-Led")[0] == "mode.developer-led"
    assert passage_themes(record, "2.3 Private Enterprise-Led")[0] == "mode.private-enterprise-led"


def test_seed_002_challenges_are_the_top_themes_of_their_passages(by_id):
    record = by_id["002_f3389fd23886204c"]
    assert passage_themes(record, "(1) Lack of strategic, systematic planning")[0] == "challenge.planning"
    assert passage_themes(record, "(2) Financing difficulties")[0] == "challenge.financing"
    assert passage_themes(record, "Chinese enterprises have limited overseas experience, and language")[0] \
        == "challenge.talent-integration"


def test_ey_report_challenges_and_park_types(by_id):
    record = by_id["003_7f203e26457c0911"]
    themes = {t.id for t in record.themes}
    assert {"challenge.political-risk", "challenge.planning", "mode.joint-venture"} <= themes
    assert {"park_type.manufacturing", "park_type.technology", "park_type.comprehensive",
            "park_type.agriculture", "park_type.trade-logistics", "park_type.resources-energy"} <= themes
    assert passage_themes(record, "Political level: political instability")[0] == "challenge.political-risk"


def test_chinese_papers_get_themes_of_the_same_ids(by_id):
    assert "challenge.financing" in passage_themes(by_id["ChinaXiv-201704.00226V1"], "目前政府补贴是绝大部分")
    assert by_id["ChinaXiv-201801.00120V1"].themes[0].id == "park_type.agriculture"
    assert by_id["ChinaXiv-201704.00226V1"].themes[0].id == "park_type.trade-logistics"


def test_every_assignment_names_the_terms_in_its_passage(records):
    for record in records:
        for theme in record.themes:
            for passage in theme.passages:
                text = record.text[passage.start:passage.end].lower()
                assert passage.terms, (record.doc_id, theme.id)
                if theme.group != "discovered":
                    assert all(t.lower() in text for t in passage.terms), (record.doc_id, theme.id, passage.terms)


# --- discovery and stability ---------------------------------------------------------

def test_discovered_themes_recur_and_are_named_in_both_languages(committed_map):
    discovered = [t for t in committed_map["themes"] if t["group"] == "discovered" and t["documents"]]
    assert len(discovered) >= 5
    for theme in discovered:
        assert len(theme["documents"]) >= 2 and theme["label"] and theme["label_zh"], theme["id"]
        assert theme["top_terms"]["zh"] or theme["top_terms"]["en"], theme["id"]
    assert sum(bool(t["top_terms"]["zh"] and t["top_terms"]["en"]) for t in discovered) >= 3


def test_shuffled_document_order_changes_nothing(records, taxonomy, committed_map):
    shuffled = list(records)
    random.Random(7).shuffle(shuffled)
    themed = theme_corpus(shuffled, taxonomy, previous_discovered(committed_map))
    assert themed.theme_map == committed_map
    assert themed.themes == {r.doc_id: r.themes for r in records}


def test_adding_a_document_keeps_every_theme_id_and_label(records, taxonomy):
    without = [r for r in records if r.doc_id != "ChinaXiv-201901.00069V1"]
    before = theme_corpus(without, taxonomy).theme_map
    after = theme_corpus(records, taxonomy, previous_discovered(before)).theme_map
    labels_before = {t["id"]: (t["label"], t["label_zh"]) for t in before["themes"]}
    labels_after = {t["id"]: (t["label"], t["label_zh"]) for t in after["themes"]}
    assert {k: labels_after.get(k) for k in labels_before} == labels_before
    active_before = {t["id"] for t in before["themes"] if t["group"] == "discovered" and t["documents"]}
    active_after = {t["id"] for t in after["themes"] if t["group"] == "discovered" and t["documents"]}
    # The library-science paper reshapes a cluster: one fades (kept in the map, no passages) and
    # the new ones get new ids; the other ten are matched and keep theirs.
    assert (len(active_before), len(active_before & active_after)) == (11, 10)
    assert min(active_after - active_before) == f"discovered.{len(labels_before) - 18 + 1}"


# --- evaluation ----------------------------------------------------------------------

def test_a_gold_passage_is_scored_against_the_passages_covering_it(by_id):
    record = by_id["002_f3389fd23886204c"].model_dump(mode="json")
    start = record["text"].index("(2) Financing difficulties")
    assert "challenge.financing" in predicted_themes(record, (start, start + 40))
    assert predicted_themes(record, (0, 5)) == set()


def test_theme_evaluation_counts_exactly(tmp_path, by_id, taxonomy):
    record = by_id["002_f3389fd23886204c"]
    (tmp_path / "documents").mkdir()
    (tmp_path / "documents" / f"{record.doc_id}.json").write_text(record.model_dump_json(), encoding="utf-8")
    start = record.text.index("(2) Financing difficulties")
    end = record.text.index("\n", start)
    gold = {"doc_id": record.doc_id, "passages": [
        {"quote": record.text[start:end], "themes": ["challenge.financing", "challenge.security"]}]}
    (tmp_path / "gold" / "themes").mkdir(parents=True)
    (tmp_path / "gold" / "themes" / "g.json").write_text(json.dumps(gold), encoding="utf-8")
    seeded = {t.id for t in taxonomy.themes}
    predicted = predicted_themes(record.model_dump(mode="json"), (start, end)) & seeded
    report = evaluate_themes(tmp_path / "documents", tmp_path / "gold", {t.id: t.group for t in taxonomy.themes})
    assert predicted
    assert report["passages"] == {"en": 1}
    assert report["by_theme"]["challenge.financing"]["tp"] == 1
    assert report["by_theme"]["challenge.security"]["fn"] == int("challenge.security" not in predicted)
    assert sum(v["fp"] for v in report["by_theme"].values()) == len(predicted - {"challenge.financing",
                                                                                 "challenge.security"})


def test_gold_quotes_are_in_the_records():
    from conftest import ROOT

    paths = sorted((ROOT / "tests" / "gold" / "themes").glob("*.json"))
    heldout = sorted((ROOT / "tests" / "gold" / "themes-heldout").glob("*.json"))
    assert len(paths) == 27 and len(heldout) == 17
    assert not {p.name for p in paths} & {p.name for p in heldout}  # no document in both
    for path in paths + heldout:
        gold = json.loads(path.read_text(encoding="utf-8"))
        text = json.loads((EXTRACTED / "documents" / f"{gold['doc_id']}.json").read_text(encoding="utf-8"))["text"]
        for item in gold["passages"]:
            assert text.count(item["quote"]) == 1, (path.name, item["quote"][:30])
    # the second annotator labelled gold passages, as quoted in the gold
    gold_quotes = {(g["doc_id"], item["quote"]) for g in map(json.loads, (p.read_text(encoding="utf-8") for p in paths + heldout))
                   for item in g["passages"]}
    second = [json.loads(p.read_text(encoding="utf-8")) for p in (ROOT / "tests" / "gold" / "themes-second").glob("*.json")]
    assert sum(len(g["passages"]) for g in second) == 207
    assert all((g["doc_id"], item["quote"]) in gold_quotes for g in second for item in g["passages"])


def test_a_fitted_model_transforms_passages_as_fit_transform_did(records, taxonomy):
    from pipeline.themes import ThemeModel, bridge_tokenizer, theme_source

    sources = [theme_source(r) for r in records]
    passages = [p for s in sources for p in s.passages]
    tokenizer = bridge_tokenizer(sources, taxonomy)
    tokenized = [tokenizer(p) for p in passages]
    model = ThemeModel(taxonomy, aligned=tokenizer.aligned)
    assigned = model.fit_transform(passages, tokenized)
    assert assigned == model.transform(passages, tokenized)
    # a passage's themes are the ones its uncut scores carry, at those scores
    for tokens, themes in zip(tokenized, assigned):
        scores = model.theme_scores(tokens)
        assert all(round(scores[t.theme_id], 3) == t.score for t in themes if t.theme_id in scores)
