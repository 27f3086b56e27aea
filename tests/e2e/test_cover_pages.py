"""Covers in a real browser (issue 16, item 1).

Over a copy of the bundled sample, `paperfeed covers --limit 12` draws twelve covers of the latest
day from PDFs a local server makes for each paper (its title, authors, abstract and a coloured
figure: a first page as arXiv would serve it); the other cards keep their generated covers. A
reader sees every card with a picture that loaded, drawn from the PDF or generated, all from this
site; the paper page shows its cover beside the title, linking to the PDF. The daily page and
the paper page are photographed for docs/ in light, dark and phone sizes.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
import zlib
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from paperfeed.catalog.listings import listing_page
from paperfeed.db.engine import create_engine
from paperfeed.periods import day_period
from tests.e2e.conftest import CLI_TIMEOUT_SECONDS, cli_environment, serve
from tests.e2e.test_daily_pages import (DESKTOP, PHONE, SAMPLE_LATEST_DAY, SCREENSHOTS,
                                        check_theme_and_width, record_browser_problems)
from tests.pdf_pages import make_pdf
from tests.replay_server import ReplayServer, Reply

pytestmark = pytest.mark.browser

DRAWN = 12
# Figure colours of the PDFs, one per paper (by its id): what a rendered cover must show.
FIGURES = [(0.86, 0.35, 0.18), (0.18, 0.45, 0.75), (0.22, 0.6, 0.38), (0.55, 0.3, 0.7), (0.9, 0.7, 0.15)]
MODES = [
    ("light", {"viewport": DESKTOP, "color_scheme": "light"}),
    ("dark", {"viewport": DESKTOP, "color_scheme": "dark"}),
    ("phone", {"viewport": PHONE, "color_scheme": "light", "is_mobile": True, "has_touch": True}),
]


def figure_of(paper_id: str) -> tuple[float, float, float]:
    return FIGURES[zlib.crc32(paper_id.encode()) % len(FIGURES)]


@pytest.fixture(scope="module")
def covered(sample_data_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, list[str]]]:
    """A site over a copy of the sample whose latest day has :data:`DRAWN` covers drawn; yields its
    URL and the ids of the papers drawn."""
    data_dir = shutil.copytree(sample_data_dir, tmp_path_factory.mktemp("covers") / "data")
    engine = create_engine(f"sqlite:///{data_dir / 'paperfeed.db'}")
    with engine.connect() as connection:
        papers = {item.paper.id: item.paper for item in
                  listing_page(connection, day_period(SAMPLE_LATEST_DAY), limit=50, offset=0).items}
    engine.dispose()

    def first_page(path: str, params: dict) -> Reply:
        paper = papers.get(path.removeprefix("/pdf/"))
        if paper is None:
            return Reply(status=404)
        authors = ", ".join(paper.authors[:4]) + (" et al." if len(paper.authors) > 4 else "")
        return Reply(body=make_pdf(paper.title, band_rgb=None, authors=authors, body=paper.abstract,
                                   figure_rgb=figure_of(paper.id)), headers={"Content-Type": "application/pdf"})

    with ReplayServer(first_page) as server:
        environment = cli_environment(data_dir) | {"PAPERFEED_ARXIV_PDF_URL": server.url + "/pdf",
                                                   "PAPERFEED_ARXIV_DELAY_S": "0"}
        result = subprocess.run([sys.executable, "-m", "paperfeed.cli", "covers", "--limit", str(DRAWN)],
                                env=environment, capture_output=True, text=True, timeout=CLI_TIMEOUT_SECONDS)
    assert result.returncode == 0, result.stderr
    assert f"covers: {DRAWN} covers rendered" in result.stderr
    drawn = [request.path.removeprefix("/pdf/") for request in server.requests]
    assert len(drawn) == DRAWN and set(drawn) <= papers.keys()
    yield from ((base_url, drawn) for base_url in serve(data_dir))


def test_every_card_shows_a_cover_drawn_from_its_pdf_or_generated(open_page, covered):
    base_url, drawn = covered
    page = open_page(base_url, viewport=DESKTOP)
    problems = record_browser_problems(page)
    page.goto("/")
    covers = load_every_cover(page)
    assert len(covers) == page.locator(".card").count() == 17
    assert all(cover["loaded"] for cover in covers), [c["src"] for c in covers if not c["loaded"]]
    assert all(cover["src"].startswith(base_url + "/covers/") for cover in covers)  # nothing from elsewhere
    by_paper = {cover["paper"]: cover for cover in covers}
    assert {paper for paper, cover in by_paper.items() if ".png?v=" in cover["src"]} == set(drawn)
    assert all(cover["src"].endswith(".svg") for paper, cover in by_paper.items() if paper not in drawn)

    # The drawn cover is the PDF's page: white paper, and the paper's figure colour.
    for paper_id in drawn[:3]:
        colours = cover_colours(page, paper_id)
        expected = tuple(round(channel * 255) for channel in figure_of(paper_id))
        assert colours["corner"][:3] == [255, 255, 255]
        share = page.evaluate(COLOUR_SHARE, {"id": paper_id, "rgb": list(expected)})
        assert share > 0.08, f"{paper_id}: the figure's colour covers {share:.1%} of the cover"
    assert problems == []


def test_the_paper_page_shows_its_cover_beside_the_title_and_links_the_pdf(open_page, covered):
    base_url, drawn = covered
    page = open_page(base_url, viewport=DESKTOP)
    page.goto(f"/papers/{drawn[0]}")
    cover = page.locator("a.paper-cover")
    expect(cover).to_have_attribute("href", f"https://arxiv.org/pdf/{drawn[0]}")
    expect(cover.locator("img")).to_have_attribute("alt", "First page of the PDF")
    wait_until_loaded(page, "a.paper-cover img")
    cover_box = cover.bounding_box()
    title_lines = page.evaluate(TEXT_LINES, "h1.paper-title")
    assert max(line["right"] for line in title_lines) <= cover_box["x"], "the title runs under the cover"
    assert abs(cover_box["y"] - title_lines[0]["top"]) < 20, "the cover is not beside the title"


@pytest.mark.parametrize(("mode", "context_options"), MODES, ids=[mode for mode, _ in MODES])
def test_daily_page_with_covers_screenshot(open_page, covered, mode, context_options):
    base_url, _drawn = covered
    page = open_page(base_url, **context_options)
    page.goto("/")
    covers = load_every_cover(page)
    assert all(cover["loaded"] for cover in covers)
    check_theme_and_width(page, context_options)
    for cover in covers:  # a cover keeps its shape and stays inside its card
        assert abs(cover["height"] / cover["width"] - 388 / 300) < 0.02, cover
        assert cover["right"] <= cover["cardRight"] + 0.5, cover
    if mode == "phone":
        assert 60 <= covers[0]["width"] <= 90, "the phone cover should be a small thumbnail"
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    suffix = "" if mode == "light" else f"-{mode}"
    page.screenshot(path=SCREENSHOTS / f"daily-covers{suffix}.png", full_page=True)


@pytest.mark.parametrize(("mode", "context_options"), MODES, ids=[mode for mode, _ in MODES])
def test_paper_page_with_its_cover_screenshot(open_page, covered, mode, context_options):
    base_url, drawn = covered
    page = open_page(base_url, **context_options)
    page.goto(f"/papers/{drawn[0]}")
    wait_until_loaded(page, "a.paper-cover img")
    check_theme_and_width(page, context_options)
    suffix = "" if mode == "light" else f"-{mode}"
    page.screenshot(path=SCREENSHOTS / f"paper-cover{suffix}.png", full_page=False)


# --- helpers ---------------------------------------------------------------------------------

COVERS = """() => [...document.querySelectorAll('.card')].map(card => {
  const img = card.querySelector('.card-cover img'), box = img.getBoundingClientRect();
  return {paper: card.querySelector('.card-title a').getAttribute('href').replace('/papers/', ''),
          src: img.currentSrc || img.src, loaded: img.complete && img.naturalWidth > 0,
          width: box.width, height: box.height, right: box.right,
          cardRight: card.getBoundingClientRect().right};
})"""

PIXELS = """(id) => {
  const img = [...document.querySelectorAll('.card')].find(card =>
    card.querySelector('.card-title a').getAttribute('href') === '/papers/' + id).querySelector('.card-cover img');
  const canvas = document.createElement('canvas');
  canvas.width = img.naturalWidth; canvas.height = img.naturalHeight;
  const context = canvas.getContext('2d');
  context.drawImage(img, 0, 0);
  return {corner: [...context.getImageData(2, 2, 1, 1).data]};
}"""

TEXT_LINES = """(selector) => {
  const range = document.createRange();
  range.selectNodeContents(document.querySelector(selector));
  return [...range.getClientRects()].map(rect => ({top: rect.top, right: rect.right}));
}"""

COLOUR_SHARE = """({id, rgb}) => {
  const img = [...document.querySelectorAll('.card')].find(card =>
    card.querySelector('.card-title a').getAttribute('href') === '/papers/' + id).querySelector('.card-cover img');
  const canvas = document.createElement('canvas');
  canvas.width = img.naturalWidth; canvas.height = img.naturalHeight;
  const context = canvas.getContext('2d');
  context.drawImage(img, 0, 0);
  const data = context.getImageData(0, 0, canvas.width, canvas.height).data;
  let near = 0;
  for (let i = 0; i < data.length; i += 4) {
    if (Math.abs(data[i] - rgb[0]) < 12 && Math.abs(data[i + 1] - rgb[1]) < 12 && Math.abs(data[i + 2] - rgb[2]) < 12) near++;
  }
  return near / (data.length / 4);
}"""


def load_every_cover(page: Page) -> list[dict]:
    """Load the lazy covers below the fold too (as scrolling would), then describe each card's."""
    page.locator(".card-cover img").evaluate_all("images => images.forEach(image => { image.loading = 'eager'; })")
    wait_until_loaded(page, ".card-cover img")
    return page.evaluate(COVERS)


def wait_until_loaded(page: Page, selector: str, timeout_s: float = 10.0) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if page.locator(selector).evaluate_all("images => images.every(image => image.complete)"):
            return
        time.sleep(0.05)
    pytest.fail(f"the images {selector} did not finish loading in {timeout_s} s")


def cover_colours(page: Page, paper_id: str) -> dict:
    return page.evaluate(PIXELS, paper_id)
