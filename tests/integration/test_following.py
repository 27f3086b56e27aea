"""Author pages, follows, and the personal feed ranked by similarity to the member's upvotes."""

import re

import pytest

from paperfeed.members.accounts import create_user
from paperfeed.ingest.files import ingest_files
from paperfeed.search.indexer import update_indexes
from tests.conftest import FIXED_NOW, make_client, write_jsonl
from tests.integration.test_members import PASSWORD, csrf_of, sign_in
from tests.integration.test_semantic_search import PAPERS, embedder  # noqa: F401 (fixture)

RECENT = FIXED_NOW.date().isoformat()


@pytest.fixture
def site(engine, tmp_path, embedder):  # noqa: F811
    papers = [dict(p, date=RECENT, authors=[f"Author {n}", "Shared Coauthor"], listed=False)
              for n, p in enumerate(PAPERS)]
    papers[2]["categories"] = ["cs.CL"]  # the protein paper, in a followed category but far from the upvotes
    ingest_files(engine, [write_jsonl(tmp_path / "p.jsonl", papers)])
    update_indexes(engine, tmp_path, embedder=embedder)
    create_user(engine, "alice", PASSWORD)
    client = make_client(engine, tmp_path)
    sign_in(client)
    return client


def follow(client, kind, value, action="follow"):
    token = csrf_of(client.get("/feed").text)
    return client.post("/follows", data={"kind": kind, "value": value, "action": action, "csrf": token},
                       follow_redirects=False)


def feed_ids(client):
    return re.findall(r'class="title" href="/papers/([^"]+)"', client.get("/feed").text)


def test_author_page_lists_papers_and_coauthors(site):
    page = site.get("/authors/Author 0").text
    assert "Recycling rejected draft tokens" in page and "Shared Coauthor" in page
    assert site.get("/authors/Nobody at all").status_code == 404
    assert 'href="/authors/Author%200"' in site.get("/papers/2401.10001").text


def test_feed_follows_and_ranks_by_upvotes(site):
    assert feed_ids(site) == [] and "Nothing yet" in site.get("/feed").text
    follow(site, "category", "cs.CL")
    assert set(feed_ids(site)) == {"2401.10001", "2401.10002", "2401.10003"}
    site.post("/api/papers/2401.10001/upvote")  # speculative decoding
    ranked = feed_ids(site)
    assert ranked.index("2401.10002") < ranked.index("2401.10003")  # the other decoding paper before proteins
    page = site.get("/feed").text
    assert "in cs.CL, which you follow" in page and "which you upvoted" in page
    follow(site, "category", "cs.CL", action="unfollow")
    follow(site, "author", "Author 3")
    assert feed_ids(site) == ["2401.10004"] and "by Author 3, whom you follow" in site.get("/feed").text


def test_feed_ranks_a_followed_author_above_likeness(site):
    follow(site, "category", "cs.CL")
    follow(site, "author", "Author 2")  # wrote the protein paper, far from the upvote below
    site.post("/api/papers/2401.10001/upvote")
    ranked = feed_ids(site)
    assert ranked[0] == "2401.10003"  # cos + 1.0 (author) + 0.5 (category) beats cos + 0.5
    assert "by Author 2, whom you follow" in site.get("/feed").text


def test_on_an_old_archive_the_feed_window_ends_at_its_latest_day(engine, tmp_path):
    """Issue 16: like the demo sample, an archive whose papers are all older than the feed's 30 days:
    the window ends at its latest day, the page says so, and what is followed shows up."""
    old_day = "2025-03-14"
    ingest_files(engine, [write_jsonl(tmp_path / "old.jsonl", [
        {"id": "2503.00001", "title": "An old paper in a followed category", "date": old_day, "categories": ["cs.CL"],
         "listed": True},
        {"id": "2503.00002", "title": "An old paper elsewhere", "date": old_day, "categories": ["math.AG"],
         "listed": True},
        {"id": "2501.00003", "title": "Older than the moved window", "date": "2025-01-02", "categories": ["cs.CL"],
         "listed": True}])])
    create_user(engine, "alice", PASSWORD)
    client = make_client(engine, tmp_path)
    sign_in(client)
    empty = client.get("/feed").text
    assert "Following:\n" in empty and "nothing yet." in empty and "Nothing yet: follow authors" in empty
    follow(client, "category", "cs.CL")
    page = client.get("/feed").text
    assert "Nothing on this site was published in the last 30 days" in page
    assert "up to 14 March 2025, the latest day with papers" in page
    assert feed_ids(client) == ["2503.00001"]
    assert "nothing yet" not in page.lower() and 'aria-label="Unfollow cs.CL"' in page
    follow(client, "category", "cs.CL", action="unfollow")
    follow(client, "category", "cs.CV")
    none = client.get("/feed").text
    assert feed_ids(client) == [] and "nothing yet" not in none.lower()
    assert "is by the authors or in the categories you follow" in none


def test_a_category_is_picked_from_the_taxonomy_not_typed(engine, tmp_path):
    create_user(engine, "alice", PASSWORD)
    site = make_client(engine, tmp_path)
    sign_in(site)
    page = site.get("/feed").text
    assert '<select id="follow-category" name="value" required>' in page
    assert "<option>cs.CL</option>" in page and "<option>hep-th</option>" in page
    follow(site, "category", "cs.CL")
    assert "<option>cs.CL</option>" not in site.get("/feed").text  # followed already: not offered again
