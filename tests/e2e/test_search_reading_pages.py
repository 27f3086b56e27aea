"""Issue 25 in a real browser, over the bundled sample: a researcher types a person's name, a name
with a topic, a formula, a typo and a query in German into the header's search box, and reads
what the page says. Screenshots in light, dark and on a 390 px phone for docs/screenshots."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.e2e.test_daily_pages import DESKTOP, PHONE

pytestmark = pytest.mark.browser

SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
MODES = [
    ("", {"viewport": DESKTOP, "color_scheme": "light"}),
    ("-dark", {"viewport": DESKTOP, "color_scheme": "dark"}),
    ("-phone", {"viewport": PHONE, "color_scheme": "light", "is_mobile": True, "has_touch": True}),
]


def search_from_the_header(page, query: str) -> None:
    page.goto("/")
    box = page.get_by_role("searchbox", name="Search papers")
    box.fill(query)
    box.press("Enter")
    page.wait_for_url("**/search?q=*")


@pytest.mark.parametrize(("suffix", "options"), MODES)
def test_a_researcher_finds_a_person_and_their_work_on_a_topic(open_page, site, suffix, options):
    page = open_page(site, **options)
    search_from_the_header(page, "Sergey Levine")
    expect(page.locator("p.count")).to_contain_text("“Sergey Levine” is an author here")
    expect(page.locator("p.notice")).to_have_count(0)  # nothing "corrected"
    expect(page.locator("article.card").first.locator(".card-authors")).to_contain_text("Sergey Levine")
    page.screenshot(path=str(SCREENSHOTS / f"search-person{suffix}.png"))

    search_from_the_header(page, "Sergey Levine offline reinforcement learning")
    expect(page.locator("p.count")).to_contain_text("Papers by Sergey Levine on “offline reinforcement learning”")
    first = page.locator("article.card").first
    expect(first.locator(".card-authors")).to_contain_text("Sergey Levine")
    assert "offline" in first.inner_text().lower()
    page.screenshot(path=str(SCREENSHOTS / f"search-person-topic{suffix}.png"))


@pytest.mark.parametrize(("suffix", "options"), MODES)
def test_formulas_typos_and_other_languages_read_as_meant(open_page, site, suffix, options):
    page = open_page(site, **options)
    search_from_the_header(page, "MVD2")
    first = page.locator("article.card").first
    expect(first.locator("h2")).to_contain_text("Efficient Multiview 3D Reconstruction")
    expect(first.locator("h2 math")).to_have_count(1)  # the title still shows MVD² as math
    page.screenshot(path=str(SCREENSHOTS / f"search-formula{suffix}.png"))

    search_from_the_header(page, "tokenzier")
    expect(page.locator("p.notice", has_text="Showing results for “tokenizer”: no paper has “tokenzier”")).to_be_visible()
    assert "tokeniz" in page.locator("article.card").first.inner_text().lower()

    search_from_the_header(page, "Mischung von Experten")
    expect(page.locator("p.notice", has_text="This query looks German. Search reads English")).to_be_visible()
    page.screenshot(path=str(SCREENSHOTS / f"search-not-english{suffix}.png"))
