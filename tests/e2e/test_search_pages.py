"""Search in a real browser (issue 3): the header's search box, highlighted results,
a paper's similar papers and "More like this", over the bundled sample with its
precomputed vectors.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"


def test_reader_searches_from_the_header_and_explores_similar_papers(open_page, site):
    page = open_page(site, viewport={"width": 1280, "height": 900})
    page.goto("/")
    box = page.get_by_role("searchbox", name="Search papers")
    box.fill("reuse rejected draft tokens for speculative decoding")
    box.press("Enter")
    page.wait_for_url("**/search?q=*")
    cards = page.locator("article.card")
    expect(cards.first).to_be_visible()
    assert cards.count() >= 10
    expect(page.locator("p.notice")).to_have_count(0)  # hybrid search, no keyword-only notice
    marks = page.locator("article.card mark").all_inner_texts()
    assert {m.lower() for m in marks} & {"speculative", "decoding", "draft", "tokens"}
    page.screenshot(path=str(SCREENSHOTS / "search-page.png"))

    first_title = cards.first.locator("h2 a").inner_text()
    cards.first.locator("h2 a").click()
    expect(page.locator("h1.paper-title")).to_have_text(first_title)
    similar = page.locator("section.similar li a")
    assert similar.count() == 6
    assert first_title not in similar.all_inner_texts()

    page.get_by_role("link", name="More like this").click()
    page.wait_for_url("**/search?like=*")
    expect(page.locator("article.card").first).to_be_visible()


def test_an_unusable_query_gets_a_message_not_an_error_page(open_page, site):
    page = open_page(site)
    response = page.goto("/search?q=%22a%22%20OR%20NEAR(")
    assert response.status == 200
    expect(page.locator("article.card").first).to_be_visible()
    response = page.goto("/search?q=%21%21%21")
    assert response.status == 400
    expect(page.get_by_role("alert")).to_contain_text("no words to search for")
