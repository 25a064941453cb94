"""Park figures a researcher can cite (issue 19, item 5): the figure's shape read right, its kind,
the park it belongs to, and the figures that are a plant's or a project's, not the park's.

Sentences are the seeds' (and a ChinaXiv paper's) own, some with the figure written in a shape news
about parks uses ('4 000', 'work opportunities', '35-40家', 'residents'), said at each."""

import pytest

from pipeline.relations import RelationCues, document_relations
from pipeline.stages import extract_text

# seed 001, the China-Belarus paper's abstract
BELARUS = ("This article tries to fill this gap to examine the multi-scale coupling mechanisms of intergovernmental "
           "cooperative parks in the framework of the BRI, taking the China-Belarus Industrial Park as an example. "
           "This industrial park was launched in 2010 jointly by the presidents of the two countries as a flagship "
           "project of the BRI.")
# seed 002
HUAJIAN = ("In 2012, Guangdong's Huajian Group invested 3.2 billion RMB to establish the Huajian International Light "
           "Industry Park in Ethiopia, transferring shoe manufacturing operations and creating {jobs}.")
MOSCOW = "The Moscow China Trade City, launched in 2007 with a planned $300 million investment and 2010 completion, remains unfinished."


@pytest.fixture(scope="module")
def park_figures(segmenter, resources):
    """(park as written, figure as written, kind, value, qualifier) of each figure relation."""
    def read(text):
        record = extract_text(text, doc_id="t", segmenter=segmenter, resources=resources)
        return [(r.park.text, r.other.text, r.figure_kind, r.other.value, r.qualifier)
                for r in document_relations(record, RelationCues.load()) if r.kind == "figure"]
    return read


def test_thousands_set_apart_by_a_space_are_one_number(park_figures):
    """'4 000 local jobs' used to be read as '000 local jobs', a figure of 0 jobs."""
    assert park_figures(HUAJIAN.format(jobs="nearly 4 000 local jobs")) == [
        ("Huajian International Light Industry Park", "3.2 billion RMB", "investment", 3_200_000_000, None),
        ("Huajian International Light Industry Park", "4 000 local jobs", "jobs", 4000, "nearly")]


def test_a_count_of_people_is_jobs_when_its_clause_speaks_of_work(park_figures):
    """'work opportunities for 4,000 Ethiopian nationals', 为当地解决就业3000多个: the noun counts people or
    nothing, the clause says they are jobs (the figure was 'other' and, without a park in its
    sentence, dropped)."""
    assert park_figures(HUAJIAN.format(jobs="work opportunities for 4,000 Ethiopian nationals"))[1] == (
        "Huajian International Light Industry Park", "4,000 Ethiopian nationals", "jobs", 4000, None)
    assert park_figures("西哈努克港经济特区位于柬埔寨西哈努克省。该园区为当地解决就业3000多个。") == [
        ("该园区", "3000多个", "jobs", 3000, "多")]


def test_a_range_is_one_figure_with_its_upper_end(park_figures):
    """35-40家 was two figures of the park, 35 and 40 enterprises; now one, 35 'to 40家'."""
    assert park_figures("西哈努克港经济特区位于柬埔寨西哈努克省。该园区已入驻企业35-40家。") == [
        ("该园区", "35", "enterprises", 35, "to 40家")]


def test_a_special_economic_zones_residents_are_its_enterprises(park_figures):
    """Belarusian and Russian zones call their companies residents ('It has 68 residents', after
    seed 001's abstract); local residents stay people."""
    assert park_figures(BELARUS + " It has 68 residents.") == [("It", "68 residents", "enterprises", 68, None)]
    assert park_figures(BELARUS + " It has 68 local residents.") == [("It", "68 local residents", "jobs", 68, None)]


def test_a_plants_or_a_named_projects_figure_is_not_the_parks(park_figures):
    """Seed 002's Moscow China Trade City keeps its planned investment; a plant inside it does not
    give the park its cost. ChinaXiv-201712.00321V1's Angel Yeast plant in Egypt, as the Suez zone's
    first project: its investment is the plant's. The park's own project (中白工业园项目) is the park."""
    assert park_figures(MOSCOW) == [("Moscow China Trade City", "$300 million", "investment", 300_000_000, None)]
    assert park_figures("The Moscow China Trade City, launched in 2007, includes a textile plant with a planned "
                        "$300 million investment.") == []
    assert park_figures("2010年底，安琪酵母埃及工厂项目作为苏伊士经贸合作区首个入园项目，投资总额7500万美元。") == []
    assert park_figures("中白工业园项目规划面积91.5平方公里。") == [("中白工业园", "91.5平方公里", "area", 91.5, None)]


def test_money_invested_in_a_park_named_after_it_is_that_parks(park_figures):
    """Seed 002's Haier-Ruba zone 'expanded from the original Haier Industrial Park': money invested
    'in the Haier-Ruba Economic Zone' is that zone's, not the park named before the figure."""
    assert park_figures("The Haier Industrial Park's developer invested another $50 million in the Haier-Ruba "
                        "Economic Zone.") == [("Haier-Ruba Economic Zone", "$50 million", "investment", 50_000_000, None)]


def test_areas_in_acres_and_amounts_in_ringgit_are_park_figures(park_figures):
    """Acres and ringgit were recognised but had no kind, so no park figure (seed 001's park, its
    area written in acres and its investment in ringgit, as Malaysian sources write them)."""
    assert park_figures(BELARUS + " It covers 22,000 acres and has drawn RM11 billion.") == [
        ("It", "22,000 acres", "area", 22_000, None), ("It", "RM11 billion", "investment", 11_000_000_000, None)]


def test_a_company_quoted_as_the_source_does_not_take_the_figure_from_the_park(park_figures):
    """A sentence naming no park gives its figures to its paragraph's park unless it names a company,
    whose figures they would be; a company that is only the source ('according to ...') does not
    (seed 002's Huajian sentence, then what the company says and what it has)."""
    text = (HUAJIAN.format(jobs="jobs").replace(", transferring shoe manufacturing operations and creating jobs", "")
            + " According to Huajian Group, 4,000 local jobs have been created. Huajian Group employs 4,000 workers"
              " in China.")
    assert park_figures(text)[1:] == [("Huajian International Light Industry Park", "4,000 local jobs", "jobs", 4000, None)]


def test_money_written_short_and_in_host_currencies(park_figures):
    """'$300m' was read as 300 dollars; 'US$1.4bn', baht and 印尼盾 are amounts too (seed 002's
    Moscow China Trade City sentence, its amount written as news writes it)."""
    assert park_figures(MOSCOW.replace("$300 million", "$300m")) == [
        ("Moscow China Trade City", "$300m", "investment", 300_000_000, None)]
    assert park_figures(MOSCOW.replace("$300 million", "US$1.4bn")) == [
        ("Moscow China Trade City", "US$1.4bn", "investment", 1_400_000_000, None)]
    assert park_figures(MOSCOW.replace("$300 million", "20 billion baht")) == [
        ("Moscow China Trade City", "20 billion baht", "investment", 20_000_000_000, None)]
    assert park_figures("西港特区入驻企业签约金额达5000亿印尼盾。") == [
        ("西港特区", "5000亿印尼盾", "investment", 500_000_000_000, "达")]


def test_tenants_are_enterprises_and_capital_or_bilateral_trade_no_park_figure(park_figures):
    """A park's tenants are its enterprises; a company's registered capital and two countries' trade
    are not the park's (they were its 'investment')."""
    assert park_figures(MOSCOW.replace("a planned $300 million investment", "35 tenants")) == [
        ("Moscow China Trade City", "35 tenants", "enterprises", 35, None)]
    assert park_figures(MOSCOW.replace("a planned $300 million investment", "a registered capital of $10 million")) == []
    assert park_figures("西哈努克港经济特区开发公司注册资本1亿美元。") == []
    assert park_figures(MOSCOW.replace("a planned $300 million investment", "bilateral trade of $2 billion")) == []
