"""People, organisations, the calendar and re-weighted trending in a real browser (issue 16, items 3, 6, 7).

A reader goes from a card to its organisation's page and its submitter's page, finds a day in the
month's calendar and with the date picker (JavaScript off: plain forms and links), re-weights
trending with the form and with a preset link, and the pages are photographed for docs/ in light,
dark and phone sizes. The server is the real CLI over the bundled sample (latest day 2026-08-21).
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.test_daily_pages import DESKTOP, PHONE, SCREENSHOTS, check_theme_and_width, record_browser_problems

pytestmark = pytest.mark.browser

SAMPLE_MONTH = "2026-08"
STARS_ONLY = "votes=0&comments=0&stars=1&gravity=1.5"


def test_reader_goes_from_a_card_to_its_organisation_and_its_submitter(open_page, site):
    page = open_page(site, viewport=DESKTOP)
    problems = record_browser_problems(page)
    page.goto("/")
    card = page.locator("article.card", has=page.locator("a.organization")).first
    organization = card.locator("a.organization")
    name = organization.locator("span:not(.avatar)").inner_text()
    initials = organization.locator(".avatar").inner_text()
    assert re.fullmatch(r"[A-Z0-9\u0080-\uffff]{1,2}", initials), initials
    organization.click()
    page.wait_for_url(re.compile(r"/orgs/"))
    expect(page.locator("h1")).to_have_text(name)
    expect(page.locator(".entity-head .avatar")).to_have_text(initials)
    expect(page.locator("article.card").first).to_be_visible()
    expect(page.locator("link[rel=alternate][type='application/atom+xml']")).to_have_attribute(
        "href", re.compile(r"^/feeds/orgs/.+\.atom$"))

    page.go_back()
    submitter = page.locator("article.card a.person").first
    who = submitter.locator("span:not(.avatar)").inner_text()
    colour = submitter.locator(".avatar").evaluate("element => getComputedStyle(element).backgroundColor")
    submitter.click()
    page.wait_for_url(re.compile(r"/users/"))
    expect(page.locator("h1")).to_have_text(who)
    expect(page.locator(".entity-head")).to_contain_text("papers submitted")
    big = page.locator(".entity-head .avatar")
    assert big.evaluate("element => getComputedStyle(element).backgroundColor") == colour  # same colour everywhere
    assert page.locator(".avatar img, img.avatar").count() == 0, "an avatar is drawn here, never an image"
    sources = page.locator("img").evaluate_all("images => images.map(image => image.getAttribute('src'))")
    assert all(source.startswith("/covers/") for source in sources), sources  # covers, from this site
    assert problems == []


def test_reader_finds_a_day_in_the_calendar_and_with_the_date_picker_without_javascript(open_page, site):
    page = open_page(site, viewport=DESKTOP, java_script_enabled=False)
    page.goto(f"/papers/month/{SAMPLE_MONTH}")
    calendar = page.locator("table.calendar")
    expect(calendar.locator("thead th").nth(1)).to_have_text("Mon")
    day_link = calendar.locator("td.has-papers a").nth(4)
    count = int(day_link.locator(".day-count").inner_text())
    day_link.click()
    page.wait_for_url(re.compile(r"/papers/date/2026-08-\d\d$"))
    expect(page.locator("article.card")).to_have_count(count)

    page.get_by_label("Go to a day").fill("2026-08-03")
    page.get_by_role("button", name="Go", exact=True).click()
    page.wait_for_url("**/papers/date/2026-08-03")
    expect(page.locator(".period-head h1 small")).to_have_text("Monday, 3 August 2026")
    page.get_by_role("link", name="Calendar of August 2026").click()
    page.wait_for_url(f"**/papers/month/{SAMPLE_MONTH}")

    page.goto("/papers/date?date=2026-02-30")
    expect(page.locator(".form-error")).to_contain_text("'2026-02-30' is not a real date")


def test_reader_reweights_trending_with_the_form_and_a_preset(open_page, site):
    page = open_page(site, viewport=DESKTOP, java_script_enabled=False)
    page.goto("/papers/trending")
    expect(page.locator(".weights-used")).to_contain_text("the site's default weights")
    default_first = page.locator("article.card .card-title").first.inner_text()

    page.get_by_label("Votes", exact=True).fill("0")
    page.get_by_label("Comments", exact=True).fill("0")
    page.get_by_label("Stars", exact=True).fill("1")
    page.get_by_label("Gravity", exact=True).fill("0")
    page.get_by_role("button", name="Re-rank").click()
    page.wait_for_url(re.compile(r"/papers/trending\?votes=0&comments=0&stars=1&gravity=0$"))
    expect(page.locator(".weights-used")).to_contain_text("your weights")
    expect(page.locator("article.card .score").first).to_contain_text("0 × ")
    stars = [int(text.replace(",", "").removeprefix("★ ")) for text in
             page.locator("article.card").locator("a.stars").all_inner_texts()[:5] if text != "★ code"]
    assert stars == sorted(stars, reverse=True), f"by stars alone, the most starred come first: {stars}"
    assert page.locator("article.card .card-title").first.inner_text() != default_first

    page.get_by_role("link", name="stars only").click()
    page.wait_for_url(f"**/papers/trending?{STARS_ONLY}")
    expect(page.get_by_role("link", name="stars only")).to_have_attribute("aria-current", "true")
    expect(page.get_by_label("Gravity", exact=True)).to_have_value("1.5")

    page.goto("/papers/trending?stars=lots")
    expect(page.locator(".form-error")).to_contain_text("stars: must be a number from 0 to 100, not 'lots'")


SCREENS = [
    ("orgs", "/orgs/NVIDIA"),
    ("calendar", f"/papers/month/{SAMPLE_MONTH}"),
    ("trending-weights", f"/papers/trending?{STARS_ONLY}"),
    ("submitter", "/users/akhaliq"),
    ("new-papers", "/papers/new"),
]
MODES = {
    "": {"viewport": DESKTOP, "color_scheme": "light"},
    "-dark": {"viewport": DESKTOP, "color_scheme": "dark"},
    "-phone": {"viewport": PHONE, "color_scheme": "light", "is_mobile": True, "has_touch": True},
}


@pytest.mark.parametrize("suffix", list(MODES), ids=["light", "dark", "phone"])
@pytest.mark.parametrize(("name", "path"), SCREENS, ids=[name for name, _ in SCREENS])
def test_screenshot(open_page, site, name, path, suffix):
    options = MODES[suffix]
    page = open_page(site, **options)
    problems = record_browser_problems(page)
    answer = page.goto(path)
    assert answer.status == 200
    expect(page.locator("main h1")).to_be_visible()
    check_theme_and_width(page, options)
    assert problems == []
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SCREENSHOTS / f"{name}{suffix}.png")  # the first screen: the lists run on for 50 cards
