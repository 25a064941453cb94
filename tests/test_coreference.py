"""Resolved references ("This industrial park", "It", 该园区, 园区) and the relations they carry
across sentences (issue 19, items 4 and 5)."""

import pytest

from pipeline.coreference import ReferenceCues, resolve_references
from pipeline.dataset import DatasetBuilder
from pipeline.evaluation import score_document
from pipeline.relations import RelationCues, document_relations
from pipeline.review import apply_decisions, decide
from pipeline.stages import extract_text

# seed 001 (the China-Belarus paper's abstract), as written
BELARUS = ("This article tries to fill this gap to examine the multi-scale coupling mechanisms of intergovernmental "
           "cooperative parks in the framework of the BRI, taking the China-Belarus Industrial Park as an example. "
           "This industrial park was launched in 2010 jointly by the presidents of the two countries as a flagship "
           "project of the BRI.")


@pytest.fixture(scope="module")
def extract(segmenter, resources):
    return lambda text: extract_text(text, doc_id="t", segmenter=segmenter, resources=resources)


def references(record):
    names = {e.id: e for e in record.entities}
    return [(e.text, names[e.antecedent].text, e.canonical.id, e.country) for e in record.entities
            if e.source == "reference"]


def relations(record):
    return [(r.kind, r.park.text, r.park.canonical.id, r.other.text if r.other else None, r.figure_kind, r.year,
             r.evidence.text) for r in document_relations(record, RelationCues.load())]


def test_a_definite_description_resolves_to_the_park_before_it_and_carries_its_founding_year(extract):
    record = extract(BELARUS)
    assert references(record) == [("This industrial park", "China-Belarus Industrial Park",
                                   "park:china-belarus-industrial-park", "BY")]
    reference = next(e for e in record.entities if e.source == "reference")
    assert (reference.type, reference.sentence, reference.confidence) == ("park", 1, 0.8)
    assert relations(record) == [
        ("founded", "This industrial park", "park:china-belarus-industrial-park", None, None, 2010,
         "This industrial park was launched in 2010 jointly by the presidents of the two countries as a flagship "
         "project of the BRI.")]


def test_it_opening_a_sentence_and_the_zone_take_the_park_of_the_sentences_before(extract):
    """The issue's own examples after seed 002's sentence naming the park."""
    record = extract("In 2012, Guangdong's Huajian Group invested 3.2 billion RMB to establish the Huajian "
                     "International Light Industry City in Ethiopia. It was launched in 2010. The zone employs "
                     "3,000 workers. It is necessary to strengthen systematic planning.")
    assert references(record) == [
        ("It", "Huajian International Light Industry City", "park:huajian-international-light-industry-city", "ET"),
        ("The zone", "Huajian International Light Industry City", "park:huajian-international-light-industry-city",
         "ET")]
    found = [(kind, park, figure_kind, other, year) for kind, park, _, other, figure_kind, year, _ in relations(record)]
    assert ("founded", "It", None, None, 2010) in found
    assert ("figure", "The zone", "jobs", "3,000 workers", None) in found


def test_chinese_references_and_a_figure_of_a_sentence_without_its_subject(extract):
    record = extract("西哈努克港经济特区位于柬埔寨西哈努克省。该园区已入驻企业35家。园区于2008年成立。"
                     "已累计引入企业109家。\n\n据介绍，中国在该区域的经贸合作区已有20个。")
    assert references(record) == [
        ("该园区", "西哈努克港经济特区", "park:sihanoukville-special-economic-zone", "KH"),
        ("园区", "西哈努克港经济特区", "park:sihanoukville-special-economic-zone", "KH")]
    found = [(kind, park, other, figure_kind, year) for kind, park, _, other, figure_kind, year, _ in relations(record)]
    assert found == [("in_country", "西哈努克港经济特区", "柬埔寨", None, None),
                     ("figure", "该园区", "35家", "enterprises", None),
                     ("founded", "园区", None, None, 2008),
                     ("figure", "西哈努克港经济特区", "109家", "enterprises", None)]


def test_words_that_refer_to_no_park_are_no_references(segmenter, resources):
    """'该区域' is "this region" (a bundled ChinaXiv paper), 经贸合作区 after a noun is the category,
    a cue inside a name is the name's, and "It is necessary to" refers to nothing (seed 003)."""
    record = extract_text("特殊的地质环境使得该区域成为各种自然灾害的活跃区。中国境外经贸合作区发展迅速。"
                          "泰中罗勇工业园位于泰国。\n\nThe Sihanoukville Special Economic Zone is in Cambodia. "
                          "It is necessary to strengthen systematic planning.", doc_id="t", segmenter=segmenter,
                          resources=resources)
    assert references(record) == []


def test_with_no_park_named_nothing_is_a_reference():
    assert resolve_references("t", "The zone grew.", [], [], [], ReferenceCues.load()) == []


def test_tenants_are_not_investors(extract):
    record = extract("The Eastern Industrial Zone lies near Addis Ababa.\n\nIn 2011 Huajian Group settled in the "
                     "zone. Hongdou Group invested in the zone too.")
    found = {(kind, park, other) for kind, park, _, other, *_ in relations(record) if kind in ("tenant", "invests")}
    assert found == {("tenant", "the zone", "Huajian Group"), ("invests", "the zone", "Hongdou Group")}


def test_references_are_neither_names_of_the_park_nor_mentions_to_score(extract):
    record = extract(BELARUS)
    builder = DatasetBuilder(RelationCues.load())
    builder.add(record)
    park = next(p for p in builder.build().parks if p.id == "park:china-belarus-industrial-park")
    assert "This industrial park" not in park.names.aliases
    assert [(d.doc_id, d.mentions) for d in park.documents] == [("t", 1)]
    assert [f.year for f in park.founded] == [2010]
    gold = {"parks": [{"name": "China-Belarus Industrial Park", "mentions": ["China-Belarus Industrial Park"]}]}
    scored = score_document(record.model_dump(mode="json"), gold)
    assert (scored.counts["park"].tp, scored.counts["park"].fp, scored.extras["park"]) == (1, 0, [])


def test_a_reference_to_a_rejected_park_mention_stands_for_nothing(extract):
    record = extract(BELARUS)
    park = next(e for e in record.entities if e.source == "gazetteer" and e.type == "park")
    reviewed = apply_decisions(record, [decide(record, park.id, "reject", "ana")])
    assert relations(reviewed) == []
