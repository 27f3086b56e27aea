"""TeX math in a real browser (issue 16, item 2): a paper page of the bundled sample whose title and
abstract hold math (PanGu-$π$, arXiv 2312.17276) and a member's comment with formulas, shown as
MathML that Chromium lays out (a superscript sits above the line), with no script, no CSP violation
and no dollar sign left; photographed for docs/ in light, dark and at phone width."""

from __future__ import annotations

import re
import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest
from playwright.sync_api import expect

from paperfeed.community.comments import add_comment
from paperfeed.db.engine import create_engine
from paperfeed.db.users import find_by_username
from paperfeed.members.accounts import create_user
from tests.e2e.conftest import serve
from tests.e2e.test_daily_pages import DESKTOP, PHONE, luminance, record_browser_problems

pytestmark = pytest.mark.browser

SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
PANGU = "2312.17276"
SEARCH = "/search?q=PanGu+nonlinearity+compensation"  # PanGu-π first, its words marked around the π
TOP_PAPER = "2608.19880"  # the sample's most upvoted paper of its latest day, 2026-08-21
PANGU_TITLE = "PanGu-π: Enhancing Language Model Architectures via Nonlinearity Compensation"
COMMENT = (r"The series activation costs $\mathcal{O}(n^2)$ per layer, not $\mathcal{O}(n)$; "
           r"with $\alpha = \frac{1}{\sqrt{d}}$ and a learning rate of $10^{-3}$ it matches section 4. "
           "(A price, $5 and $10, stays a price.)")


@pytest.fixture(scope="module")
def math_site(sample_data_dir, tmp_path_factory):
    """A copy of the sample where a member commented on PanGu-π with formulas, and twice on the front
    page's top paper."""
    data_dir = shutil.copytree(sample_data_dir, tmp_path_factory.mktemp("math") / "data")
    engine = create_engine(f"sqlite:///{data_dir / 'paperfeed.db'}")
    create_user(engine, "dana", "violet staircase 42")
    with engine.connect() as connection:
        dana = find_by_username(connection, "dana")
    add_comment(engine, dana, PANGU, COMMENT, now=datetime(2026, 8, 21, 9, 30, tzinfo=UTC))
    for minute in (40, 45):  # the front page's top paper: 1 comment on Hugging Face, now 2 here
        add_comment(engine, dana, TOP_PAPER, f"Comment at 09:{minute}.",
                    now=datetime(2026, 8, 21, 9, minute, tzinfo=UTC))
    engine.dispose()
    yield from serve(data_dir)


def test_formulas_are_laid_out_as_math(open_page, math_site):
    page = open_page(math_site, viewport=DESKTOP)
    problems = record_browser_problems(page)
    violations = []
    page.on("console", lambda message: violations.append(message.text)
            if "Content Security Policy" in message.text else None)
    response = page.goto(f"/papers/{PANGU}")
    assert "script-src 'self'" in response.headers["content-security-policy"]

    title = page.locator("h1.paper-title")
    expect(title.locator("math")).to_have_count(1)
    assert shown_text(title) == PANGU_TITLE and "$" not in title.inner_text()
    abstract = page.locator("section.abstract")
    assert abstract.locator("math").count() >= 5 and "$" not in abstract.inner_text()
    assert "about 10% inference speed-up" in abstract.inner_text()  # the abstract's "10\%"

    comment = page.locator("li.comment .comment-body")
    expect(comment.locator("math")).to_have_count(4)
    assert "$5 and $10, stays a price" in comment.inner_text()
    # MathML is laid out: the exponent of n^2 sits above the n, the fraction's 1 above its square root.
    base, exponent = (comment.locator("msup").first.locator(f":scope > :nth-child({n})").bounding_box() for n in (1, 2))
    assert exponent["y"] + exponent["height"] < base["y"] + base["height"] - 2
    numerator, denominator = (comment.locator("mfrac").first.locator(f":scope > :nth-child({n})").bounding_box()
                              for n in (1, 2))
    assert numerator["y"] + numerator["height"] <= denominator["y"] + 1
    assert page.locator("script:not([src])").count() == 0
    assert problems == [] and violations == []


def test_search_marks_words_around_formulas(open_page, math_site):
    page = open_page(math_site, viewport=DESKTOP)
    page.goto(SEARCH)
    card = page.locator(".card", has=page.locator(f'a[href="/papers/{PANGU}"]')).first
    title = card.locator(".card-title")
    expect(title.locator("math")).to_have_count(1)
    assert "PanGu" in title.locator("mark").all_inner_texts()
    assert shown_text(title) == PANGU_TITLE


def test_cards_count_comments_here_and_on_hugging_face_apart(open_page, math_site):
    page = open_page(math_site, viewport=DESKTOP)
    page.goto("/")
    top = page.locator(".card").first
    expect(top.locator(".card-title a")).to_have_attribute("href", f"/papers/{TOP_PAPER}")
    expect(top.locator(".comment-count")).to_have_text("2 comments")
    expect(top.locator(".hf-comment-count")).to_have_text("1 on Hugging Face")
    expect(top.locator(".hf-comment-count")).to_have_attribute("href", f"https://huggingface.co/papers/{TOP_PAPER}")
    others = page.locator(".card .hf-comment-count")
    assert others.count() >= 10
    for text in others.all_inner_texts()[1:]:
        assert re.fullmatch(r"\d+ comments? on Hugging Face", text), text
    top.locator(".comment-count").click()
    page.wait_for_url(f"**/papers/{TOP_PAPER}#comments")
    expect(page.locator("#comments h2")).to_have_text("Discussion (2)")
    expect(page.locator(".paper-facts .comment-count")).to_have_text("2 comments")
    expect(page.locator(".paper-facts .hf-comment-count")).to_have_text("1 on Hugging Face")


@pytest.mark.parametrize(("file_name", "path", "context_options"), [
    ("comment-counts.png", "/", {"viewport": DESKTOP, "color_scheme": "light"}),
    ("comment-counts-dark.png", "/", {"viewport": DESKTOP, "color_scheme": "dark"}),
    ("comment-counts-phone.png", "/", {"viewport": PHONE, "color_scheme": "light", "is_mobile": True,
                                       "has_touch": True}),
    ("math-search.png", SEARCH, {"viewport": DESKTOP, "color_scheme": "light"}),
    ("math-search-dark.png", SEARCH, {"viewport": DESKTOP, "color_scheme": "dark"}),
    ("math-search-phone.png", SEARCH, {"viewport": PHONE, "color_scheme": "light", "is_mobile": True,
                                       "has_touch": True}),
], ids=["counts-light", "counts-dark", "counts-phone", "search-light", "search-dark", "search-phone"])
def test_cards_screenshot(open_page, math_site, file_name, path, context_options):
    page = open_page(math_site, **context_options)
    page.goto(path)
    expect(page.locator(".card").first).to_be_visible()
    widths = page.evaluate("({scroll: document.scrollingElement.scrollWidth, inner: window.innerWidth})")
    assert widths["scroll"] <= widths["inner"], f"the page scrolls sideways: {widths}"
    page.screenshot(path=SCREENSHOTS / file_name)  # the first screen: the top cards


@pytest.mark.parametrize(("file_name", "context_options"), [
    ("math-paper.png", {"viewport": DESKTOP, "color_scheme": "light"}),
    ("math-paper-dark.png", {"viewport": DESKTOP, "color_scheme": "dark"}),
    ("math-paper-phone.png", {"viewport": PHONE, "color_scheme": "light", "is_mobile": True, "has_touch": True}),
], ids=["light", "dark", "phone"])
def test_math_paper_page_screenshot(open_page, math_site, file_name, context_options):
    page = open_page(math_site, **context_options)
    page.goto(f"/papers/{PANGU}")
    expect(page.locator("h1.paper-title math")).to_have_count(1)
    title_color = page.evaluate("getComputedStyle(document.querySelector('h1.paper-title math')).color")
    page_color = page.evaluate("getComputedStyle(document.querySelector('h1.paper-title')).color")
    assert title_color == page_color, "the formula is not in the title's colour"
    background = page.evaluate("getComputedStyle(document.body).backgroundColor")
    if context_options["color_scheme"] == "dark":
        assert luminance(background) < 0.2 and luminance(title_color) > 0.6
    widths = page.evaluate("({scroll: document.scrollingElement.scrollWidth, inner: window.innerWidth})")
    assert widths["scroll"] <= widths["inner"], f"the page scrolls sideways: {widths}"
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SCREENSHOTS / file_name, full_page=True)


def shown_text(locator) -> str:
    """The element's text without the formulas' TeX annotations (which the browser does not show)."""
    return locator.evaluate("element => { const copy = element.cloneNode(true);"
                            " copy.querySelectorAll('annotation').forEach(a => a.remove()); return copy.textContent; }")
