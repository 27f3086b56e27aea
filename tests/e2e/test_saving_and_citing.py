"""Saving and citing in a real browser (issue 16, items 4 and 8): a member saves a paper from its card
and sees it saved without a reload, in a new collection and then in a second one; without JavaScript
the same forms post and come back to the same page. On a paper page "Cite" shows BibTeX, CSL-JSON
and RIS as tabs, copies to the clipboard, and downloads the file (with or without JavaScript).
Screenshots for docs/: the open Save menu on a card and the Cite panel, light, dark and phone."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import bibtexparser
import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import cli_environment, serve

pytestmark = pytest.mark.browser

SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
PASSWORD = "violet staircase 42"
DESKTOP = {"width": 1280, "height": 860}
PHONE = {"width": 390, "height": 844}
MATH_PAPER = "2312.17276"  # PanGu-$π$: the sample's title with math
VIEWS = [({"viewport": DESKTOP, "color_scheme": "light"}, ""),
         ({"viewport": DESKTOP, "color_scheme": "dark"}, "-dark"),
         ({"viewport": PHONE, "color_scheme": "light", "is_mobile": True, "has_touch": True}, "-phone")]


@pytest.fixture(scope="module")
def saving_site(sample_data_dir, tmp_path_factory):
    data_dir = shutil.copytree(sample_data_dir, tmp_path_factory.mktemp("saving") / "data")
    for name in ("carla", "dmitri", "erin"):
        subprocess.run([sys.executable, "-m", "paperfeed.cli", "user", "add", name, "--password-stdin"],
                       input=PASSWORD + "\n", env=cli_environment(data_dir), text=True, check=True, capture_output=True)
    yield from serve(data_dir)


def sign_in(page: Page, name: str) -> None:
    page.goto("/signin")
    page.get_by_label("Name").fill(name)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/")


def test_save_from_a_card_without_a_reload(open_page, saving_site):
    page = open_page(saving_site, viewport=DESKTOP)
    sign_in(page, "carla")
    page.goto("/?page=1")
    card = page.locator("article.card").first
    title = card.locator(".card-title a").inner_text()
    save = card.locator(".save-control")
    expect(save.locator("summary")).to_have_text("☆ Save")
    page.evaluate("window.__same_page = true")

    save.locator("summary").click()
    expect(save.locator(".save-status")).to_have_text("Not in your collections yet.")
    expect(save.get_by_label("Save in a new collection")).to_have_value("Reading list")
    save.get_by_role("button", name="Save", exact=True).click()
    expect(save.locator(".save-status")).to_have_text("Saved in Reading list.")
    expect(save.locator("summary")).to_have_text("★ Saved")
    expect(save).to_have_attribute("open", "")  # still open, to add it elsewhere too

    save.get_by_label("New collection").fill("Group meeting")
    save.get_by_role("button", name="Create and save").click()
    expect(save.locator(".save-status")).to_have_text("Saved in Group meeting, Reading list.")
    save.get_by_role("button", name="Reading list").click()  # take it out of one
    expect(save.locator(".save-status")).to_have_text("Saved in Group meeting.")
    expect(save.get_by_role("button", name="Reading list")).to_have_attribute("aria-pressed", "false")
    assert page.evaluate("window.__same_page") is True, "the page reloaded"
    assert page.url.endswith("/?page=1")

    page.reload()  # what was stored
    expect(card.locator(".save-control summary")).to_have_text("★ Saved")
    page.goto("/library")
    page.get_by_role("link", name="Group meeting").click()
    expect(page.locator(".collection-items")).to_contain_text(title)


def test_save_without_javascript_comes_back_to_the_same_page(open_page, saving_site):
    page = open_page(saving_site, viewport=DESKTOP, java_script_enabled=False)
    sign_in(page, "dmitri")
    page.goto("/papers/trending?page=1")
    card = page.locator("article.card").nth(2)
    paper_id = card.locator(".card-title a").get_attribute("href").removeprefix("/papers/")
    card.locator(".save-control summary").click()
    card.get_by_role("button", name="Save", exact=True).click()
    page.wait_for_url(f"**/papers/trending?page=1#save-{paper_id}")
    saved = page.locator(f'[id="save-{paper_id}"]')
    expect(saved.locator("summary")).to_have_text("★ Saved")
    saved.locator("summary").click()
    expect(saved.locator(".save-status")).to_have_text("Saved in Reading list.")


def test_cite_shows_copies_and_downloads_the_formats(open_page, saving_site):
    page = open_page(saving_site, viewport=DESKTOP)
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=saving_site)
    page.goto(f"/papers/{MATH_PAPER}")
    page.locator(".cite-control summary").click()
    bibtex = page.locator("#cite-text-bibtex")
    expect(bibtex).to_be_visible()
    expect(page.locator("#cite-text-ris")).to_be_hidden()
    text = bibtex.inner_text()
    assert text.startswith("@misc{wang2023pangu,") and "PanGu-$π$" in text and r"\$π\$" not in text
    [entry] = bibtexparser.parse_string(text).entries
    assert entry["doi"] == f"10.48550/arXiv.{MATH_PAPER}" and entry["eprint"] == MATH_PAPER

    page.get_by_role("button", name="Copy BibTeX").click()
    expect(page.locator(".cite-format-bibtex .copy-status")).to_have_text("Copied.")
    assert page.evaluate("navigator.clipboard.readText()") == bibtex.text_content()

    page.locator(".cite-tabs label", has_text="CSL-JSON").click()
    expect(bibtex).to_be_hidden()
    [item] = json.loads(page.locator("#cite-text-csl-json").inner_text())
    assert item["title"].startswith("PanGu-$π$") and item["author"][0] == {"family": "Wang", "given": "Yunhe"}
    page.locator(".cite-tabs label", has_text="RIS").click()
    with page.expect_download() as download:
        page.get_by_role("link", name="Download wang2023pangu.ris").click()
    assert download.value.suggested_filename == "wang2023pangu.ris"
    assert Path(download.value.path()).read_text().startswith("TY  - GEN")


def test_cite_without_javascript_is_selectable_and_downloads(open_page, saving_site):
    page = open_page(saving_site, viewport=DESKTOP, java_script_enabled=False)
    page.goto(f"/papers/{MATH_PAPER}")
    page.locator(".cite-control summary").click()
    expect(page.locator("#cite-text-bibtex")).to_be_visible()
    expect(page.get_by_role("button", name="Copy BibTeX")).to_be_hidden()  # nothing that cannot work
    page.locator(".cite-tabs label", has_text="RIS").click()  # the tabs are radio buttons: no script
    expect(page.locator("#cite-text-ris")).to_be_visible()
    expect(page.locator("#cite-text-bibtex")).to_be_hidden()
    page.locator(".cite-tabs label", has_text="BibTeX").click()
    with page.expect_download() as download:
        page.get_by_role("link", name="Download wang2023pangu.bib").click()
    assert Path(download.value.path()).read_text().startswith("@misc{wang2023pangu,")


def no_sideways_scrolling(page: Page) -> None:
    widths = page.evaluate("({scroll: document.scrollingElement.scrollWidth, inner: window.innerWidth})")
    assert widths["scroll"] <= widths["inner"], f"the page scrolls sideways: {widths}"


@pytest.mark.parametrize(("context_options", "suffix"), VIEWS, ids=["light", "dark", "phone"])
def test_save_menu_screenshot(open_page, saving_site, context_options, suffix):
    page = open_page(saving_site, **context_options)
    sign_in(page, "erin")  # the same member in each view: saving again changes nothing
    page.goto("/")
    second = page.locator("article.card").nth(1).locator(".save-control")
    second.locator("summary").click()
    if second.locator(".save-status").inner_text() == "Not in your collections yet.":
        second.locator('input[name="new_collection"]').fill("Group meeting")
        second.locator(".save-new button").click()
        expect(second.locator(".save-status")).to_have_text("Saved in Group meeting.")
    first = page.locator("article.card").first.locator(".save-control")
    first.locator("summary").click()
    expect(second).not_to_have_attribute("open", "")  # one menu open at a time
    reading_list = first.get_by_role("button", name="Reading list")
    if reading_list.count() == 0:
        first.locator('input[name="new_collection"]').fill("Reading list")
        first.locator(".save-new button").click()  # this menu was drawn before "Group meeting" existed
    elif reading_list.get_attribute("aria-pressed") == "false":
        reading_list.click()
    expect(first.locator(".save-status")).to_have_text("Saved in Reading list.")
    page.reload()  # the picture: both collections listed, one ticked
    first.locator("summary").click()
    expect(first.locator(".save-status")).to_have_text("Saved in Reading list.")
    expect(first.locator(".save-list li")).to_have_count(2)
    expect(first.locator(".save-panel")).to_be_visible()
    no_sideways_scrolling(page)
    page.evaluate("window.scrollTo(0, document.querySelector('article.card').offsetTop - 12)")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SCREENSHOTS / f"save-card{suffix}.png")


@pytest.mark.parametrize(("context_options", "suffix"), VIEWS, ids=["light", "dark", "phone"])
def test_cite_panel_screenshot(open_page, saving_site, context_options, suffix):
    page = open_page(saving_site, **context_options)
    page.goto(f"/papers/{MATH_PAPER}")
    page.locator(".cite-control summary").click()
    expect(page.locator("#cite-text-bibtex")).to_be_visible()
    expect(page.get_by_role("button", name="Copy BibTeX")).to_be_visible()
    no_sideways_scrolling(page)
    page.evaluate("window.scrollTo(0, document.querySelector('.paper-links').offsetTop - 12)")
    page.screenshot(path=SCREENSHOTS / f"cite-bibtex{suffix}.png")
