"""The park dataset from the bundled corpus's records: relations read from sentences, exports
that round-trip, and a report that renders."""

import json

import pytest

from conftest import EXTRACTED
from pipeline.dataset import build_dataset, read_dataset, write_dataset
from pipeline.evaluation import evaluate_parks
from pipeline.export import COLUMNS, dataset_tables, read_csv, write_tables


@pytest.fixture(scope="module")
def dataset():
    return build_dataset(EXTRACTED)


@pytest.fixture(scope="module")
def parks(dataset):
    return {p.id: p for p in dataset.parks}


def companies(park):
    return sorted((c.name or c.name_zh, c.relation) for c in park.companies)


def figures(park):
    return [(f.text, f.kind, f.value, f.unit, f.as_of, f.qualifier) for f in park.figures]


def test_the_seed_parks_have_their_host_countries(parks):
    hosts = {pid: parks[pid].host_country.iso for pid in (
        "park:china-belarus-industrial-park", "park:suez-teda-zone", "park:sihanoukville-special-economic-zone",
        "park:rayong-industrial-zone", "park:longjiang-industrial-park",
        "park:ussuriysk-economic-and-trade-cooperation-zone", "park:haier-ruba-economic-zone",
        "park:huajian-international-light-industry-city", "park:pengsheng-industrial-park")}
    assert hosts == {"park:china-belarus-industrial-park": "BY", "park:suez-teda-zone": "EG",
                     "park:sihanoukville-special-economic-zone": "KH", "park:rayong-industrial-zone": "TH",
                     "park:longjiang-industrial-park": "VN", "park:ussuriysk-economic-and-trade-cooperation-zone": "RU",
                     "park:haier-ruba-economic-zone": "PK", "park:huajian-international-light-industry-city": "ET",
                     "park:pengsheng-industrial-park": "UZ"}
    belarus = parks["park:china-belarus-industrial-park"]
    assert belarus.names.zh == "中白工业园" and "Great Stone" in belarus.names.aliases
    assert {d.doc_id for d in belarus.documents} >= {"001_4f04597642f4cc6c", "003_7f203e26457c0911"}
    # "Pakistan's Gwadar Energy and Chemical Park": placed by the sentence itself
    lodz = parks["park:new:lodz-china-europe-international-logistics-industry-cooperation-park"]
    assert (lodz.host_country.iso, lodz.host_country.basis) == ("PL", "sentence")
    assert lodz.host_country.sources[0].text.startswith("The parks are also diversifying into trade logistics")


def test_developers_and_figures_come_with_their_sentence(parks):
    huajian = parks["park:huajian-international-light-industry-city"]
    assert companies(huajian) == [("Huajian Group", "develops")]  # "invested ... to establish": the developer
    assert figures(huajian) == [("3.2 billion RMB", "investment", 3.2e9, "CNY", 2012, None),
                                ("4,000 local jobs", "jobs", 4000.0, "count", 2012, "nearly")]
    source = huajian.figures[1].source
    record = json.loads((EXTRACTED / "documents" / f"{source.doc_id}.json").read_text(encoding="utf-8"))
    assert record["text"][source.start:source.end] == source.text
    assert source.text.startswith("In 2012, Guangdong's Huajian Group invested 3.2 billion RMB")
    assert companies(parks["park:sihanoukville-special-economic-zone"]) == [
        ("Cambodia International Investment Development Group", "develops"), ("Hongdou Group", "develops")]
    assert companies(parks["park:pengsheng-industrial-park"]) == [("Wenzhou Jinsheng Trading Co., Ltd.", "develops")]
    assert [f.year for f in parks["park:suez-teda-zone"].founded] == [1998]
    assert [f.year for f in parks["park:huajian-international-light-industry-city"].founded] == [2012]
    # "the China-led CHEC Port City Colombo project kicked off in September 2014"
    colombo = parks["park:colombo-port-city"]
    assert (companies(colombo), [f.year for f in colombo.founded]) == ([("China Harbour Engineering Company", "develops")], [2014])
    assert [f.year for f in parks["park:dubai-dragon-mart"].founded] == [2004]  # 'Dubai's "Dragon Market" ... (2004)'
    szolnok = next(p for p in parks.values() if p.names.zh == "索尔诺克工业园")
    assert figures(szolnok) == [("1.34亿美元", "investment", 1.34e8, "USD", 2014, None)]
    # "a GDP of US$ 60.5 billion" is Belarus's, and "62人死亡" are deaths, not jobs
    assert parks["park:china-belarus-industrial-park"].figures == []
    assert all(f.kind != "jobs" for p in parks.values() for f in p.figures if "死亡" in f.source.text)


def test_companies_and_countries_link_back_to_parks(dataset):
    tus = next(c for c in dataset.companies if c.id == "company:tus-holdings")
    assert [(link.park, link.relation) for link in tus.parks] == [("park:tsinghua-science-park", "develops")]
    belarus = next(c for c in dataset.countries if c.id == "BY")
    assert (belarus.names.en, belarus.names.zh) == ("Belarus", "白俄罗斯")
    assert "park:china-belarus-industrial-park" in belarus.parks


def test_the_committed_dataset_is_what_the_records_give(dataset, tmp_path):
    write_dataset(dataset, tmp_path)
    for name in ("parks.json", "companies.json", "countries.json"):
        assert (tmp_path / name).read_bytes() == (EXTRACTED / name).read_bytes(), name
    assert read_dataset(EXTRACTED) == dataset


def test_relations_against_the_gold_of_the_seeds():
    scores = evaluate_parks(EXTRACTED, EXTRACTED.parent / "tests" / "gold" / "parks")
    assert {k: (v["tp"], v["fp"], v["fn"]) for k, v in scores.items()} == {
        "parks": (53, 1, 4), "host_country": (47, 0, 5), "companies": (7, 2, 8), "figures": (5, 0, 3),
        "founded": (7, 1, 1)}  # seed 001: "This industrial park was launched in 2010"


def test_csv_exports_read_back_equal_to_the_tables(dataset, tmp_path):
    tables = dataset_tables(dataset, EXTRACTED)
    written = write_tables(tables, tmp_path, "csv")
    assert sorted(p.name for p in written) == sorted(f"{name}.csv" for name in COLUMNS)
    for name, rows in tables.items():
        assert read_csv(tmp_path / f"{name}.csv", name) == rows, name
    assert (tmp_path / "parks.csv").read_bytes().startswith(b"\xef\xbb\xbfpark_id,")  # Excel reads it as UTF-8
    belarus = next(r for r in tables["parks"] if r["park_id"] == "park:china-belarus-industrial-park")
    assert (belarus["name_zh"], belarus["host_iso"], belarus["host_name_zh"]) == ("中白工业园", "BY", "白俄罗斯")
    financing = [r for r in tables["theme_passages"]
                 if (r["doc_id"], r["theme_id"]) == ("002_f3389fd23886204c", "challenge.financing")]
    assert financing[0]["text"].startswith("(2) Financing difficulties.")  # the evidence, as the record has it
    assert financing[0]["terms"] == ["financing", "loans", "Financing difficulties"]
    assert len(tables["theme_passages"]) == sum(r["passages"] for r in tables["document_themes"])
    jsonl = write_tables(tables, tmp_path / "jsonl", "jsonl")
    assert [json.loads(line) for line in (tmp_path / "jsonl" / "figures.jsonl").read_text(encoding="utf-8").splitlines()] \
        == tables["figures"] and len(jsonl) == len(COLUMNS)


def test_the_xlsx_workbook_has_one_sheet_per_table(dataset, tmp_path):
    from openpyxl import load_workbook

    tables = dataset_tables(dataset, EXTRACTED)
    [path] = write_tables(tables, tmp_path, "xlsx")
    workbook = load_workbook(path, read_only=True)
    assert workbook.sheetnames == list(COLUMNS)
    rows = list(workbook["parks"].iter_rows(values_only=True))
    assert rows[0] == tuple(COLUMNS["parks"]) and len(rows) == len(tables["parks"]) + 1
    assert any(row[2] == "中白工业园" for row in rows)


def test_review_decisions_carry_into_the_dataset():
    from pipeline.dataset import DatasetBuilder
    from pipeline.records import read_record
    from pipeline.relations import RelationCues
    from pipeline.review import apply_decisions, decide

    record = read_record(EXTRACTED / "documents" / "002_f3389fd23886204c.json")
    huajian = next(e for e in record.entities if e.type == "park" and "Huajian" in e.text)
    jobs = next(e for e in record.entities if e.text == "4,000 local jobs")
    pengsheng = next(e for e in record.entities if e.type == "park" and "Pengsheng" in e.text)
    decisions = [decide(record, huajian.id, "accept", "ana"), decide(record, jobs.id, "accept", "ana"),
                 decide(record, pengsheng.id, "reject", "ana")]
    builder = DatasetBuilder(RelationCues.load())
    builder.add(apply_decisions(record, decisions))
    parks = {p.id: p for p in builder.build().parks}
    park = parks["park:huajian-international-light-industry-city"]
    assert (park.review.status, park.review.mentions) == ("reviewed", {"accepted": 1})
    assert [(f.text, f.review_status) for f in park.figures] == [("3.2 billion RMB", "pending"),
                                                                 ("4,000 local jobs", "accepted")]
    assert "park:pengsheng-industrial-park" not in parks  # rejected: gone, with its relations


def test_a_city_beside_a_park_places_it_in_the_country_the_text_names(parks):
    """'Sany Heavy Industry Park in Pune, India': Pune is a GeoNames city of India, which seed 002 names."""
    sany = next(p for p in parks.values() if p.names.en == "Sany Heavy Industry Park")
    assert (sany.host_country.iso, sany.host_country.basis, sany.scope) == ("IN", "sentence", "overseas")
    assert sany.host_country.sources[0].text.startswith("Manufacturing parks like the China-Belarus Industrial Park")
    suzhou = parks["park:china-singapore-suzhou-industrial-park"]
    assert (suzhou.host_country.iso, suzhou.scope) == ("CN", "domestic")


def test_the_overseas_dataset_leaves_the_zones_in_china_out_everywhere(dataset):
    from pipeline.dataset import overseas

    domestic = {p.id for p in dataset.parks if p.scope == "domestic"}
    assert "park:china-singapore-suzhou-industrial-park" in domestic
    abroad = overseas(dataset)
    assert [p.id for p in abroad.parks] == [p.id for p in dataset.parks if p.id not in domestic]
    china = next(c for c in abroad.countries if c.id == "CN")
    assert china.parks == [] and all(link.park not in domestic for c in abroad.companies for link in c.parks)


def test_export_leaves_domestic_zones_out_unless_asked(tmp_path):
    from typer.testing import CliRunner

    from flows.cli import app

    runner = CliRunner()
    export = ["export", "--format", "jsonl", "--records", str(EXTRACTED), "--out"]
    left = runner.invoke(app, [*export, str(tmp_path / "abroad")])
    assert left.exit_code == 0, left.output
    assert "zones in China left out (--domestic shows them)" in left.output
    every = runner.invoke(app, [*export, str(tmp_path / "all"), "--domestic"])
    assert every.exit_code == 0, every.output

    def scopes(folder):
        return [json.loads(line)["scope"] for line in (folder / "parks.jsonl").read_text(encoding="utf-8").splitlines()]
    assert "domestic" not in scopes(tmp_path / "abroad") and "domestic" in scopes(tmp_path / "all")
    assert len(scopes(tmp_path / "all")) - len(scopes(tmp_path / "abroad")) == int(left.output.split()[0])
