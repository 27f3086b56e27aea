"""Issue 14, item 5: results can be ordered by relevance, date or upvotes, on the page, the API and
the CLI; the page says how many there are and pages through them with previous/next links that
keep the query, the filters and the order."""

import re
from datetime import date, timedelta

import pytest

from paperfeed.ingest.files import ingest_files
from paperfeed.search.indexer import update_indexes
from paperfeed.web.pages import SEARCH_PAGE_SIZE
from tests.conftest import write_jsonl
from tests.integration.test_cli import run_cli

COUNT = 60
PAPERS = [{"id": f"2503.{n:05d}", "title": f"Sparse attention for long documents, variant {n}",
           "abstract": "Sparse attention " * (1 + n % 5), "upvotes": (n * 37) % 101,
           "date": (date(2025, 1, 1) + timedelta(days=n)).isoformat()} for n in range(COUNT)]
# Newer than all of them, and it has one of the two words: it comes after the papers with both.
ONE_WORD = {"id": "2512.00001", "title": "Attention in vision", "abstract": "Pixels.", "date": "2025-12-01"}


@pytest.fixture
def site(client, engine, tmp_path):
    ingest_files(engine, [write_jsonl(tmp_path / "papers.jsonl", PAPERS + [ONE_WORD])])
    update_indexes(engine, tmp_path)
    return client


def api_ids(site, **params) -> list[str]:
    return [item["paper"]["id"] for item in site.get("/api/papers/search", params={"q": "sparse attention",
                                                                                    "limit": 100, **params}).json()]


def test_newest_and_most_upvoted_first(site):
    newest = api_ids(site, sort="newest")
    assert newest[:3] == ["2503.00059", "2503.00058", "2503.00057"] and newest[COUNT] == "2512.00001"
    upvoted = api_ids(site, sort="upvotes")
    votes = {paper["id"]: paper["upvotes"] for paper in PAPERS}
    assert [votes[i] for i in upvoted[:COUNT]] == sorted(votes.values(), reverse=True)
    assert set(api_ids(site)) == set(newest)  # the same matches, in another order


def test_the_page_counts_pages_and_keeps_the_order_in_its_links(site):
    page = site.get("/search", params={"q": "sparse attention", "sort": "newest"}).text
    pages = -(-(COUNT + 1) // SEARCH_PAGE_SIZE)
    assert f"{COUNT + 1} results for “sparse attention”" in page and f"Page 1 of {pages}" in page
    assert '<strong aria-current="true">newest</strong>' in page
    following = re.search(r'<a rel="next" href="([^"]+)">', page)[1].replace("&amp;", "&")
    assert following == "/search?page=2&q=sparse+attention&sort=newest"
    second = site.get(following).text
    assert f"Page 2 of {pages}" in second and 'rel="prev" href="/search?q=sparse+attention&amp;sort=newest"' in second
    shown = set(re.findall(r'<h2 class="card-title"><a href="/papers/([^"]+)"', second))
    assert shown == {f"2503.{n:05d}" for n in range(COUNT - 2 * SEARCH_PAGE_SIZE, COUNT - SEARCH_PAGE_SIZE)}
    upvotes_link = re.search(r'<a href="([^"]+)">most upvoted</a>', page)[1].replace("&amp;", "&")
    assert upvotes_link == "/search?q=sparse+attention&sort=upvotes"


def test_the_cli_sorts_too_and_a_bad_order_is_refused(site, database_url, tmp_path):
    done = run_cli("search", "sparse attention", "--sort", "newest", "--limit", "2", data_dir=tmp_path,
                   database_url=database_url, check_rc=0)
    assert "2503.00059" in done.stdout and "2503.00058" in done.stdout
    bad = run_cli("search", "sparse attention", "--sort", "oldest", data_dir=tmp_path, database_url=database_url)
    assert bad.returncode == 1 and "--sort must be one of relevance, newest, upvotes" in bad.stderr
    api = site.get("/api/papers/search", params={"q": "x", "sort": "oldest"})
    assert api.status_code == 400 and api.json()["field"] == "sort"
    assert site.get("/search", params={"q": "x", "sort": "oldest"}).status_code == 400
