"""The review app in a real headless Chromium: keyboard accept, click reject, a figure correction,
a re-extraction that keeps all three, document text that is never run as HTML, and a theme's
passages shown in the text."""

import json
import shutil

import pytest

from browser import CHROMIUM, chromium, served_app
from conftest import CORPUS
from test_cli import run_parks

SEED = "002_f3389fd23886204c"

pytestmark = pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium: sudo apt-get install chromium")


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    corpus = tmp_path_factory.mktemp("review-corpus")
    catalog = [e for e in json.loads((CORPUS / "catalog.json").read_text(encoding="utf-8")) if e["doc_id"] == SEED]
    (corpus / "catalog.json").write_text(json.dumps(catalog), encoding="utf-8")
    (corpus / "seeds").mkdir()
    shutil.copy(CORPUS / catalog[0]["path"], corpus / catalog[0]["path"])
    (corpus / "hostile.txt").write_text(
        "A report on the Sihanoukville Special Economic Zone in Cambodia.\n\n"
        "<script>window.__injected = 1</script><img src=x onerror=\"window.__injected = 2\"> "
        "The zone hosts 170 enterprises.\n", encoding="utf-8")
    return corpus


@pytest.fixture(scope="module")
def home(parks_home):
    return parks_home  # one Prefect database per test session; decisions go to its review.sqlite


@pytest.fixture(scope="module")
def out(corpus, home, tmp_path_factory):
    out = tmp_path_factory.mktemp("review-out")
    result = run_parks("extract", "--corpus", str(corpus), "--out", str(out), "--quiet", home=home)
    assert result.returncode == 0, result.stderr
    return out


@pytest.fixture(scope="module")
def server(out, home):
    from pipeline.review import ReviewStore

    store = ReviewStore(home / "review.sqlite")
    with served_app(out, store) as url:
        yield url
    store.close()


@pytest.fixture(scope="module")
def browser():
    with chromium() as browser:
        yield browser


def record(out, doc_id):
    return json.loads((out / "documents" / f"{doc_id}.json").read_text(encoding="utf-8"))


def test_review_with_keyboard_and_clicks_then_reextract(server, browser, out, corpus, home):
    page = browser.new_page()
    errors = []
    page.on("pageerror", lambda err: errors.append(str(err)))
    page.goto(f"{server}/#/")
    page.wait_for_selector(f"a[href='#/doc/{SEED}']")
    page.fill("#reviewer", "Li Wei")
    page.click(f"a[href='#/doc/{SEED}']")
    page.wait_for_selector("mark.current")

    # 1. accept the first entity with the keyboard
    first = page.get_attribute("mark.current", "data-id")
    page.locator("h1").click()  # focus the page, not the reviewer box
    page.keyboard.press("a")
    page.wait_for_selector(f"#e-{first}.status-accepted")
    assert page.get_attribute("mark.current", "data-id") != first  # moved on to the next one

    # 2. reject another with a click
    doc = record(out, SEED)
    huajian = next(e for e in doc["entities"] if e["text"] == "Huajian Group")
    page.click(f"#e-{huajian['id']}")
    page.click("#reject")
    page.wait_for_selector(f"#e-{huajian['id']}.status-rejected")

    # 3. correct a figure's value and noun
    jobs = next(e for e in doc["entities"] if e["type"] == "figure" and e["noun"] == "job")
    page.click(f"#e-{jobs['id']}")
    page.fill("#correct input[name=value]", "4200")
    page.fill("#correct input[name=noun]", "local job")
    page.click("#save-correction")
    page.wait_for_selector(f"#e-{jobs['id']}.status-corrected")
    assert "4200" in page.text_content("#entity-value")
    assert page.text_content("footer").count("accept") >= 1  # the shortcuts are on screen
    assert errors == []

    # re-run extraction: all three decisions are still applied, in the records and on screen
    result = run_parks("extract", "--corpus", str(corpus), "--out", str(out), "--quiet", home=home)
    assert result.returncode == 0, result.stderr
    doc = record(out, SEED)
    statuses = {e["id"]: (e["review_status"], e["value"], e["noun"]) for e in doc["entities"]}
    assert statuses[first][0] == "accepted"
    assert statuses[jobs["id"]] == ("corrected", 4200.0, "local job")
    assert [e["id"] for e in doc["rejected_entities"]] == [huajian["id"]]
    page.reload()
    page.wait_for_selector(f"#e-{jobs['id']}.status-corrected")
    assert "status-accepted" in page.get_attribute(f"#e-{first}", "class")
    assert "status-rejected" in page.get_attribute(f"#e-{huajian['id']}", "class")

    # undo (u) takes back the correction, as a new decision
    page.locator("h1").click()
    page.keyboard.press("u")
    page.wait_for_selector(f"#e-{jobs['id']}.status-pending")
    page.close()


def test_script_in_a_document_is_shown_as_text(server, browser):
    page = browser.new_page()
    page.goto(f"{server}/#/doc/hostile")
    page.wait_for_selector("#text")
    text = page.text_content("#text")
    assert "<script>window.__injected = 1</script>" in text and "onerror" in text
    assert page.evaluate("window.__injected") is None
    assert page.locator("#text script, #text img").count() == 0
    page.close()


def test_a_theme_shows_its_passages_and_terms(server, browser, out):
    doc = record(out, SEED)
    theme = max(doc["themes"], key=lambda t: (len(t["passages"]), t["id"]))  # the one with most passages
    assert len(theme["passages"]) >= 2
    page = browser.new_page()
    errors = []
    page.on("pageerror", lambda err: errors.append(str(err)))
    page.goto(f"{server}/#/doc/{SEED}")
    button = page.locator(f"[id='theme-{theme['id']}']")
    assert button.text_content() == f"{theme['label']} {theme['label_zh']} · {len(theme['passages'])}"
    button.click()
    highlighted = page.evaluate("[...CSS.highlights.get('theme')].map(range => range.toString())")
    assert highlighted == [doc["text"][p["start"]:p["end"]] for p in theme["passages"]]
    first, second = theme["passages"][:2]
    assert f"passage 1 of {len(theme['passages'])}" in page.text_content("#theme-passage")
    assert ", ".join(first["terms"]) == page.text_content("#theme-passage strong")
    button.click()  # again: the next passage
    assert f"passage 2 of {len(theme['passages'])}, characters {second['start']}–{second['end']}" \
        in page.text_content("#theme-passage")
    assert errors == []
    page.close()
