"""The HTML pages, as a browser without JavaScript sees them."""

import re

import pytest

from paperfeed.ingest.files import ingest_files
from tests.conftest import FIXED_NOW, HF_API_FIXTURES, make_client, write_jsonl


@pytest.fixture
def pages(client, engine, tmp_path):
    ingest_files(engine, sorted(HF_API_FIXTURES.glob("*.json")))
    ingest_files(engine, [write_jsonl(tmp_path / "extra.jsonl", [
        {"id": "local:xss", "title": "<script>alert('t')</script><img src=x onerror=alert(1)>",
         "abstract": "<b>bold?</b>", "authors": ["<i>Eve</i>"], "date": "2025-06-02", "upvotes": 0,
         "github_repo": "https://github.com/org/repo", "github_stars": 1234},
        {"id": "2409.00001", "title": "Only in the search index", "date": "2024-09-01"},
    ])])
    return client


def _titles(html: str) -> list[str]:
    return re.findall(r'<h2 class="card-title"><a href="/papers/([^"]+)">', html)


def test_front_page_shows_the_latest_day_most_upvoted_first(pages):
    response = pages.get("/")
    assert response.status_code == 200
    assert "Friday, 21 August 2026" in response.text
    ids = _titles(response.text)
    assert len(ids) == 17 and ids[0] == "2608.19880"  # 163 upvotes, the day's top paper
    assert 'rel="prev" class="button" href="/papers/date/2025-06-02"' in response.text  # skips empty days


def test_day_navigation_skips_empty_days_both_ways(pages):
    html = pages.get("/papers/date/2025-06-02").text
    assert 'href="/papers/date/2024-05-27"' in html and 'href="/papers/date/2026-08-21"' in html
    empty = pages.get("/papers/date/2025-01-01")
    assert empty.status_code == 200 and "No papers were listed on this day" in empty.text
    assert 'href="/papers/date/2024-05-27"' in empty.text


def test_week_and_month_pages(pages):
    week = pages.get("/papers/week/2025-W23").text
    assert "Papers of the week" in week and len(_titles(week)) == 21
    month = pages.get("/papers/month/2024-05").text
    assert "May 2024" in month and len(_titles(month)) == 13
    assert pages.get("/papers/week", follow_redirects=False).headers["location"] == "/papers/week/2026-W34"
    assert pages.get("/papers/month", follow_redirects=False).headers["location"] == "/papers/month/2026-08"


def test_trending_page_shows_scores_and_their_parts(pages):
    html = pages.get("/papers/trending").text
    assert "How the trending score works" in html
    assert re.search(r"score <strong>\d+\.\d{4}</strong> =\s+\(\d+ votes", html)


def test_trending_window_moves_back_when_nothing_is_recent(engine, tmp_path):
    ingest_files(engine, sorted(HF_API_FIXTURES.glob("*.json")))
    later = FIXED_NOW.replace(year=2027)
    html = make_client(engine, tmp_path, now=later).get("/papers/trending").text
    assert "Nothing was listed in the last days" in html and len(_titles(html)) == 17


def test_paper_page_shows_everything_a_reader_needs(pages):
    html = pages.get("/papers/2608.19880").text
    for expected in ("EnvHarness: Awakening Static Worlds for Agent Learning", "Chengsong Huang",
                     "163 upvotes", "21 August 2026", 'href="https://arxiv.org/abs/2608.19880"',
                     'href="https://arxiv.org/pdf/2608.19880"', 'href="https://github.com/google-research/envharness"',
                     "★ 8", 'href="https://envharness.com/"', "AI keywords", "EnvRigger"):
        assert expected in html


def test_versioned_ids_redirect_to_the_canonical_page(pages):
    response = pages.get("/papers/2608.19880v2", follow_redirects=False)
    assert response.status_code == 301 and response.headers["location"] == "/papers/2608.19880"


@pytest.mark.parametrize(
    ("path", "status", "words"),
    [
        ("/papers/2608.99999", 404, "No paper with id"),
        ("/papers/not-a-paper", 400, "neither an arXiv id"),
        ("/papers/date/2025-02-30", 400, "not a real date"),
        ("/papers/date/..%2F..%2Fetc%2Fpasswd", 400, "neither an arXiv id"),
        ("/papers/date/etc%00passwd", 400, "the NUL character is not allowed"),  # refused before routing
        ("/papers/week/2025-W60", 400, "not a real ISO week"),
        ("/papers/month/13-2025", 400, "not a month"),
        ("/nowhere", 404, "There is no page at /nowhere"),
        ("/papers/trending?page=0", 400, "page"),
        ("/?page=abc", 400, "page"),
    ],
)
def test_bad_urls_get_a_friendly_page_not_a_500(pages, path, status, words):
    response = pages.get(path, headers={"accept": "text/html"})
    assert response.status_code == status
    assert response.headers["content-type"].startswith("text/html")
    assert words in response.text and "Go to today's papers" in response.text


def test_html_in_titles_authors_and_abstracts_is_shown_as_text(pages):
    for path in ("/papers/date/2025-06-02", "/papers/local:xss"):
        html = pages.get(path).text
        assert "<script>alert" not in html and "<img src=x" not in html and "<i>Eve</i>" not in html
        assert "&lt;script&gt;alert(&#39;t&#39;)&lt;/script&gt;" in html


def test_security_headers_on_every_page(pages):
    for path in ("/", "/papers/2608.19880", "/papers/nope", "/api/daily_papers"):
        headers = pages.get(path).headers
        assert "script-src 'self'" in headers["content-security-policy"]
        assert "frame-ancestors 'none'" in headers["content-security-policy"]
        assert headers["x-content-type-options"] == "nosniff"
        assert headers["referrer-policy"]


def test_empty_instance_explains_how_to_load_papers(client):
    assert "paperfeed demo --load-only" in client.get("/").text
