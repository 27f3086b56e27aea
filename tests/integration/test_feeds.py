"""RSS and Atom feeds of every list, read back with feedparser, with conditional GET."""

import re

import feedparser
import pytest

from paperfeed.members.accounts import create_user
from paperfeed.ingest.files import ingest_files
from paperfeed.search.indexer import update_indexes
from tests.conftest import FIXED_NOW, make_client, write_jsonl
from tests.integration.test_members import PASSWORD, csrf_of, sign_in

TODAY = FIXED_NOW.date().isoformat()
PAPERS = [
    {"id": "2608.00001", "title": "Speculative decoding with recycled draft tokens", "date": TODAY,
     "abstract": "We reuse the tokens a verifier rejects.", "authors": ["Ada Lovelace", "Alan Turing"],
     "categories": ["cs.CL"], "upvotes": 5},
    {"id": "2608.00002", "title": "<script>alert(1)</script> & a \x01 control character", "date": TODAY,
     "abstract": "Escaping tests <b>bold</b>.", "authors": ["Eve <img src=x onerror=alert(1)>"],
     "categories": ["cs.CR"], "upvotes": 2},
    {"id": "2608.00003", "title": "Coral reefs from space", "date": TODAY, "abstract": "Remote sensing.",
     "authors": ["Ada Lovelace"], "categories": ["cs.CV"], "upvotes": 1},
]


@pytest.fixture
def site(engine, tmp_path):
    ingest_files(engine, [write_jsonl(tmp_path / "p.jsonl", PAPERS)])
    update_indexes(engine, tmp_path)
    create_user(engine, "alice", PASSWORD)
    return make_client(engine, tmp_path, semantic_search=False, base_url="http://testserver")


def parsed(client, url, **headers):
    answer = client.get(url, headers=headers)
    assert answer.status_code == 200, (url, answer.text[:300])
    feed = feedparser.parse(answer.content)
    assert not feed.bozo, (url, feed.get("bozo_exception"))
    return answer, feed


@pytest.mark.parametrize("fmt", ["atom", "rss"])
@pytest.mark.parametrize("path", ["/feeds/daily", "/feeds/weekly", "/feeds/monthly", "/feeds/trending"])
def test_list_feeds_validate_and_hold_the_list(site, path, fmt):
    answer, feed = parsed(site, f"{path}.{fmt}")
    assert answer.headers["content-type"].startswith(f"application/{fmt}+xml")
    assert feed.version == ("atom10" if fmt == "atom" else "rss20")
    titles = [entry.title for entry in feed.entries]
    assert "Speculative decoding with recycled draft tokens" in titles
    assert "<script>alert(1)</script> & a control character" in titles  # text, with the control character gone
    assert b"<script>" not in answer.content
    first = next(e for e in feed.entries if e.title.startswith("Speculative"))
    assert first.link == "http://testserver/papers/2608.00001"
    assert "We reuse the tokens" in first.summary and "https://arxiv.org/pdf/2608.00001" in first.summary
    assert "Ada Lovelace" in [author.get("name") for author in first.get("authors", [])] or \
        "Ada Lovelace" in first.get("author", "")


def test_conditional_get(site):
    answer = site.get("/feeds/daily.atom")
    etag, modified = answer.headers["etag"], answer.headers["last-modified"]
    assert site.get("/feeds/daily.atom", headers={"If-None-Match": etag}).status_code == 304
    strong = etag.removeprefix("W/")  # weak comparison (RFC 9110 §8.8.3.2): the strong form matches too
    assert site.get("/feeds/daily.atom", headers={"If-None-Match": strong}).status_code == 304
    assert site.get("/feeds/daily.atom", headers={"If-Modified-Since": modified}).status_code == 304
    assert site.get("/feeds/daily.atom", headers={"If-Modified-Since": "Mon, 01 Jan 2001 00:00:00 GMT"}).status_code == 200
    assert site.get("/feeds/daily.atom", headers={"If-Modified-Since": "yesterday-ish"}).status_code == 200
    # If-None-Match wins over If-Modified-Since (RFC 9110 §13.2.2)
    assert site.get("/feeds/daily.atom", headers={"If-None-Match": '"other"', "If-Modified-Since": modified}).status_code == 200
    assert site.get("/feeds/daily.atom").headers["etag"] == etag  # the same list, the same bytes


def test_search_author_and_category_feeds(site):
    _, feed = parsed(site, "/feeds/search.atom?q=draft+tokens")
    assert [e.link.rsplit("/", 1)[1] for e in feed.entries] == ["2608.00001"]
    assert "draft tokens" in feed.feed.title
    assert site.get("/feeds/search.atom?q=").status_code == 400
    _, feed = parsed(site, "/feeds/authors/Ada Lovelace.rss")
    assert {e.title for e in feed.entries} == {"Speculative decoding with recycled draft tokens", "Coral reefs from space"}
    assert site.get("/feeds/authors/Nobody.atom").status_code == 404
    _, feed = parsed(site, "/feeds/categories/cs.CV.atom")
    assert [e.title for e in feed.entries] == ["Coral reefs from space"]
    assert site.get("/feeds/daily.xml").status_code in (400, 404)


def test_pages_point_to_their_feeds(site):
    for page, feed in [("/", "/feeds/daily.atom"), ("/papers/trending", "/feeds/trending.atom"),
                       ("/authors/Ada Lovelace", "/feeds/authors/Ada%20Lovelace.atom"),
                       ("/search?q=coral", "/feeds/search.atom?q=coral")]:
        html = site.get(page).text
        assert 'rel="alternate" type="application/atom+xml"' in html and f'href="{feed}"' in html, page
        link = re.search(r'<a href="([^"]+\.rss[^"]*)">RSS</a>', html).group(1)
        parsed(site, link.replace("&amp;", "&"))


def test_public_collection_feed_and_private_ones_stay_private(site):
    sign_in(site)
    token = csrf_of(site.get("/library").text)
    collection = site.post("/collections", data={"name": "Reading group", "csrf": token},
                           follow_redirects=False).headers["location"]
    number = collection.rsplit("/", 1)[1]
    site.post(f"{collection}/items", data={"paper_id": "2608.00003", "csrf": token})
    site.post(f"{collection}/items", data={"paper_id": "2608.00001", "csrf": token})
    assert site.get(f"/feeds/collections/{number}.atom").status_code == 404  # private, even for its owner's session
    site.post(f"{collection}/settings", data={"name": "Reading group", "public": "true", "csrf": token})
    assert f'href="/feeds/collections/{number}.atom"' in site.get(collection).text
    _, feed = parsed(site, f"/feeds/collections/{number}.atom")
    assert "Reading group" in feed.feed.title
    assert [e.title for e in feed.entries] == ["Speculative decoding with recycled draft tokens", "Coral reefs from space"]


def test_private_feed_link(site):
    sign_in(site)
    page = site.get("/feed").text
    assert "Make a private feed link" in page
    site.post("/feed/link", data={"csrf": csrf_of(page)})
    site.post("/follows", data={"kind": "category", "value": "cs.CL", "csrf": csrf_of(page)})
    link = re.search(r'href="(/feeds/private/[^"]+)\.atom"', site.get("/feed").text).group(1)
    reader = make_client(site.app.state.engine, site.app.state.settings.data_dir / "reader", semantic_search=False)
    reader.app.state.search = site.app.state.search
    answer, feed = parsed(reader, f"{link}.atom")
    assert [e.title for e in feed.entries] == ["Speculative decoding with recycled draft tokens"]
    assert "Why you see this: in cs.CL, which you follow" in feed.entries[0].summary
    assert answer.headers["cache-control"].startswith("private")
    site.post("/feed/link", data={"csrf": csrf_of(site.get("/feed").text)})  # replace the link
    assert reader.get(f"{link}.atom").status_code == 404
    assert reader.get("/feeds/private/guess.atom").status_code == 404
