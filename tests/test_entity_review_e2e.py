"""The Parks view in a real headless Chromium: find a park, accept its candidate link, merge it
with another park and undo, all with the keyboard; the decisions are in the review store; an
evidence sentence opens the document view at that sentence."""


import pytest

from browser import CHROMIUM, chromium, served_app
from pipeline.review import effective_entity_decisions
from test_entity_review import HAIER, HAIER_SC, HUAJIAN, SEED, write_seed_dataset

pytestmark = pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium: sudo apt-get install chromium")
LODZ = "park:new:lodz-china-europe-international-logistics-industry-cooperation-park"


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    from pipeline.review import ReviewStore

    out = tmp_path_factory.mktemp("parks-view")
    write_seed_dataset(out)
    store = ReviewStore(out / "review.sqlite")
    with served_app(out, store) as url:
        yield url, store
    store.close()


@pytest.fixture(scope="module")
def browser():
    with chromium() as browser:
        yield browser


def open_page(browser, url: str):
    """A new page at `url`, and the list its script errors are collected in."""
    page = browser.new_page()
    errors = []
    page.on("pageerror", lambda err: errors.append(str(err)))
    page.goto(url)
    return page, errors


def test_merge_a_park_with_the_keyboard_then_undo(served, browser):
    url, store = served
    page, errors = open_page(browser, f"{url}/#/parks")
    page.fill("#reviewer", "Li Wei")
    page.wait_for_selector("#entity-rows tr.current")
    page.fill("#search", "haier")  # any name: Haier Industrial Park, Haier-Ruba ..., 海尔美国工业园
    page.keyboard.press("Escape")
    shown = page.eval_on_selector_all("#entity-rows tr", "rows => rows.map(r => r.dataset.id)")
    assert HAIER in shown and HAIER_SC in shown
    page.wait_for_selector("#card-id")
    for _ in range(shown.index(HAIER)):
        page.keyboard.press("j")
    page.wait_for_selector(f"#card-id:text-is('{HAIER}')")
    assert page.text_content("#candidate-0").startswith("Haier Industrial Park (South Carolina) · 海尔美国工业园 variant 0.7")

    # a: accept the chosen candidate link
    page.keyboard.press("a")
    page.wait_for_selector("#message.ok")
    assert page.text_content("#message") == f"Saved: accept_link {HAIER} {HAIER_SC}."

    # m: merge Huajian's park with another one, picked in the search box by its name
    page.fill("#search", "华坚")
    page.keyboard.press("Escape")
    page.wait_for_selector(f"#card-id:text-is('{HUAJIAN}')")
    page.keyboard.press("m")
    assert page.evaluate("document.activeElement.id") == "merge-search"
    page.keyboard.type("Lodz China-Europe International Logistics Industry Cooperation Park")
    page.keyboard.press("Enter")
    page.wait_for_selector("#message:has-text('Saved: merge')")
    decisions = store.entity_decisions()
    assert [(d.kind, d.action, d.subject, d.other, d.reviewer) for d in decisions] == [
        ("park", "accept_link", HAIER, HAIER_SC, "Li Wei"), ("park", "merge", HUAJIAN, LODZ, "Li Wei")]

    # u: the merge is undone, as a new decision; the accepted link stays
    page.locator("h1").click()
    page.keyboard.press("u")
    page.wait_for_selector("#message:text-is('Undone: merge.')")
    assert [d.action for d in effective_entity_decisions(store.entity_decisions())] == ["accept_link"]
    assert "entity-view" in page.get_attribute("body", "class")
    assert errors == []
    page.close()


def test_an_evidence_sentence_opens_the_document_there(served, browser):
    url, _ = served
    page, errors = open_page(browser, f"{url}/#/parks/{HUAJIAN}")
    page.wait_for_selector(".figure .evidence a")
    sentence = page.evaluate("document.querySelector('.figure .evidence').firstChild.textContent")
    page.click(".figure .evidence a")
    page.wait_for_selector("#text")
    page.wait_for_function("() => CSS.highlights.has('evidence')")
    assert page.evaluate("[...CSS.highlights.get('evidence')].map(range => range.toString())") == [sentence]
    assert page.url.startswith(f"{url}/#/doc/{SEED}/@")
    assert errors == []
    page.close()
