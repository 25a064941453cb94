"""`parks report` renders in headless Chromium with its charts and tables, and the review app serves it."""

import json
import shutil

import pytest
from fastapi.testclient import TestClient

from browser import CHROMIUM, FLAGS
from conftest import EXTRACTED
from pipeline.review import ReviewStore
from pipeline.review_app import create_app
from test_cli import run_parks

CHARTS = ["chart-map", "chart-hosts", "chart-types", "chart-theme-documents", "chart-theme-languages"]


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    out = tmp_path_factory.mktemp("extracted")
    shutil.copytree(EXTRACTED, out, dirs_exist_ok=True)
    result = run_parks("report", "--records", str(out), "--out", str(out / "report"), home=out / "home")
    assert result.returncode == 0, result.stderr
    return out


def test_the_report_renders_its_charts_and_tables(report):
    playwright_api = pytest.importorskip("playwright.sync_api")
    if not CHROMIUM.exists():
        pytest.skip("needs Debian's chromium: sudo apt-get install chromium")
    parks = [p for p in json.loads((report / "parks.json").read_text(encoding="utf-8")) if p["scope"] != "domestic"]
    hosts = {p["host_country"]["name"] for p in parks if p["host_country"]}  # zones in China are left out
    with playwright_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=FLAGS)
        page = browser.new_page()
        requests = []
        page.on("request", lambda request: requests.append(request.url))
        page.goto((report / "report" / "index.html").as_uri())
        assert page.eval_on_selector_all("figure.chart", "els => els.map(e => e.id)") == CHARTS
        for chart in CHARTS:
            assert page.locator(f"#{chart} svg path").count() > 0, chart
        # one bar per host country, labelled with its name
        labels = page.eval_on_selector_all("#chart-hosts svg .role-axis-label text", "els => els.map(e => e.textContent)")
        assert hosts <= set(labels)
        assert page.locator("#chart-hosts svg .mark-rect.role-mark path").count() == len(hosts)
        # the map: every country drawn, the host countries coloured on top
        assert page.locator("#chart-map svg .mark-shape.role-mark").count() == 2
        assert page.locator("#chart-map svg .layer_1_marks path").count() == len(
            {p["host_country"]["iso"] for p in parks if p["host_country"]}) - 1
        assert page.inner_text("#off-map") == "Too small for this map: Singapore (1)."
        rows = page.locator("table").first.locator("tbody tr")
        assert rows.count() == len(parks)
        assert "中白工业园" in page.locator("table").first.inner_text()
        assert all(url.startswith("file://") for url in requests)  # nothing fetched from the network
        browser.close()


def test_the_review_app_links_to_the_report(report, resources):
    app = create_app(report, ReviewStore(report / "review.sqlite"), resources)
    client = TestClient(app, base_url="http://127.0.0.1:8765")  # the app answers loopback hosts only
    assert 'href="/report/"' in client.get("/").text
    page = client.get("/report/")
    assert page.status_code == 200 and '<figure class="chart" id="chart-map">' in page.text
    assert client.get("/report/report.css").headers["content-type"].startswith("text/css")
    assert client.get("/report/../parks.json").status_code == 404


def test_the_parks_table_gives_host_basis_scope_and_document_titles():
    from pipeline.dataset import read_dataset
    from pipeline.report import render_report

    page = render_report(read_dataset(EXTRACTED), EXTRACTED)
    row = next(r for r in page.split("<tr>") if r.startswith("<td>China-Belarus Industrial Park</td>"))
    assert row.startswith("<td>China-Belarus Industrial Park</td><td>中白工业园</td><td>Belarus (gazetteer)</td>"
                          "<td>overseas</td>")
    assert "The multi-scale coupling construction mechanism of China&#x27;s overseas intergovernmental" in row
