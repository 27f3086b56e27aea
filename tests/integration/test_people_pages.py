"""People and organisations (issue 16, item 3): submitters link to their page with a generated
avatar, organisations to /orgs/{name} (their papers, newest first, paged, with a feed), GitHub
stars to the repository. As a browser without JavaScript sees the pages."""

from __future__ import annotations

import re
from urllib.parse import quote

import feedparser
import pytest

from paperfeed.formatting import avatar_colour, initials
from paperfeed.ingest.files import ingest_files
from paperfeed.members.accounts import create_user
from tests.conftest import FIXED_NOW, HF_API_FIXTURES, write_jsonl
from tests.integration.test_members import PASSWORD, csrf_of, sign_in

@pytest.fixture
def site(client, engine):
    ingest_files(engine, sorted(HF_API_FIXTURES.glob("*.json")))
    return client


def _card_ids(html: str) -> list[str]:
    return re.findall(r'<h2 class="card-title"><a href="/papers/([^"]+)">', html)


def _card_of(html: str, paper_id: str) -> str:
    start = html.index(f'<a href="/papers/{paper_id}">')
    return html[start:html.index("</article>", start)]


def test_a_card_links_its_submitter_organisation_and_code(site):
    card = _card_of(site.get("/papers/date/2026-08-21").text, "2608.20335")  # Ant Research, by krahets, 20 stars
    assert re.search(r'<a class="person" href="/users/krahets"><span class="avatar avatar-\d+ avatar-round" '
                     r'aria-hidden="true">K</span><span>krahets</span></a>', card)
    assert re.search(r'<a class="organization" href="/orgs/Ant%20Research"><span class="avatar avatar-\d+ '
                     r'avatar-square" aria-hidden="true">AR</span><span>Ant Research</span></a>', card)
    assert re.search(r'<a class="stars" href="https://github.com/[^"]+" rel="noopener nofollow"[^>]*>★ 20</a>', card)
    assert "<img" not in card  # the avatar is drawn here, never fetched from another site


def test_avatars_keep_their_colour_and_initials_from_page_to_page(site):
    daily = site.get("/papers/date/2026-08-21").text
    paper = site.get("/papers/2608.19880").text  # submitted by taesiri, from Google
    colour = avatar_colour("taesiri")
    tag = f'<span class="avatar avatar-{colour} avatar-round" aria-hidden="true">T</span><span>taesiri</span>'
    assert tag in daily and tag in paper and tag in site.get("/users/taesiri").text
    assert f'href="/orgs/Google"><span class="avatar avatar-{avatar_colour("Google")} avatar-square"' in paper
    assert (initials("Tencent Hunyuan"), initials("SteveZeyuZhang"), initials("Franck-Dernoncourt")) == (
        "TH", "SZ", "FD")
    assert len({avatar_colour(name) for name in ("taesiri", "krahets", "DobyXu", "mengru", "yxzwang",
                                                   "asdfo123", "KouShi2")}) > 3  # names spread over the palette


def test_an_organisations_page_lists_its_papers_newest_first(site):
    answer = site.get("/orgs/Tencent%20Hunyuan")
    assert answer.status_code == 200
    assert "<h1>Tencent Hunyuan</h1>" in answer.text and "1 paper from this organisation" in answer.text
    assert _card_ids(answer.text) == ["2608.20336"]
    taesiri = site.get("/users/taesiri").text  # Google's and Deepmind's, and one of 2025 without an organisation
    assert "3 papers submitted" in taesiri
    assert _card_ids(taesiri) == ["2608.19880", "2608.19891", "2505.23941"]  # the most recently listed first


def test_an_organisations_page_is_paged_newest_first(site, engine, tmp_path):
    ingest_files(engine, [write_jsonl(tmp_path / "lab.jsonl", [
        {"id": f"2601.{number:05d}", "title": f"Lab paper {number}", "date": f"2026-01-{number % 28 + 1:02d}",
         "organization": "Example Lab", "upvotes": number}
        for number in range(1, 56)
    ])])
    newest_first = [f"2601.{number:05d}" for number in sorted(range(1, 56), key=lambda n: (n % 28, n), reverse=True)]
    first = site.get("/orgs/Example%20Lab").text
    assert "55 papers from this organisation" in first and _card_ids(first) == newest_first[:50]
    assert 'rel="next" href="/orgs/Example%20Lab?page=2"' in first
    assert _card_ids(site.get("/orgs/Example%20Lab?page=2").text) == newest_first[50:]


def test_an_organisations_feed_holds_its_papers(site):
    for fmt in ("atom", "rss"):
        answer = site.get(f"/feeds/orgs/{quote('Ant Research')}.{fmt}")
        assert answer.status_code == 200 and answer.headers["content-type"].startswith(f"application/{fmt}+xml")
        assert [entry.link for entry in feedparser.parse(answer.content).entries] == [
            "http://127.0.0.1:8000/papers/2608.20335"]
    feed = feedparser.parse(site.get("/feeds/orgs/Google.atom").content)
    assert feed.feed.title == "Papers from Google · paperfeed"
    assert [entry.title for entry in feed.entries] == ["EnvHarness: Awakening Static Worlds for Agent Learning"]
    page = site.get("/orgs/Google").text
    assert 'href="/feeds/orgs/Google.atom"' in page and 'type="application/rss+xml"' in page


def test_a_name_with_odd_characters_round_trips(site):
    name = "university of science and technology of china"  # spaces, and lower case as Hugging Face has it
    card = _card_of(site.get("/papers/date/2026-08-21").text, "2608.18580")
    href = re.search(r'<a class="organization" href="([^"]+)"', card)[1]
    answer = site.get(href)
    assert answer.status_code == 200 and _card_ids(answer.text) == ["2608.18580"]
    assert f"<h1>{name}</h1>" in answer.text


@pytest.mark.parametrize(("path", "status", "words"), [
    ("/orgs/No%20Such%20Lab", 404, "No paper here is from an organisation called &#39;No Such Lab&#39;"),
    ("/orgs/" + "x" * 301, 400, "1 to 300 characters"),
    ("/orgs/Google?page=0", 400, "page"),
    ("/feeds/orgs/No%20Such%20Lab.atom", 404, "No paper here is from an organisation"),
    ("/feeds/orgs/Google.json", 400, "atom|rss"),
    ("/users/nobody-at-all", 404, "no paper was submitted under that name"),
])
def test_unknown_or_malformed_names_get_a_proper_page(site, path, status, words):
    answer = site.get(path, headers={"accept": "text/html"})
    assert answer.status_code == status
    assert answer.headers["content-type"].startswith("text/html") and words in answer.text


def test_an_imported_submitter_has_a_page_that_says_where_they_come_from(site):
    page = site.get("/users/krahets").text
    assert "1 paper submitted, imported from Hugging Face's daily papers (no account here" in page
    assert 'href="https://huggingface.co/krahets"' in page
    assert _card_ids(page) == ["2608.20335"]


def test_a_members_page_lists_what_they_featured(site, engine, tmp_path):
    create_user(engine, "alice", PASSWORD)
    ingest_files(engine, [write_jsonl(tmp_path / "new.jsonl", [
        {"id": "2608.00001", "title": "A new language model", "date": "2026-08-21", "categories": ["cs.CL"],
         "listed": False}])])
    sign_in(site, "alice", PASSWORD)
    new_page = site.get("/papers/new?date=2026-08-21").text
    site.post("/papers/2608.00001/feature", data={"csrf": csrf_of(new_page), "back": "/papers/new"})

    page = site.get("/users/alice").text
    assert "1 paper submitted · member of paperfeed" in page and _card_ids(page) == ["2608.00001"]
    assert "Public collections" in page and "huggingface.co" not in page
    card = _card_of(site.get(f"/papers/date/{FIXED_NOW.date()}").text, "2608.00001")
    assert '<a class="person" href="/users/alice">' in card
