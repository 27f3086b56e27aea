"""Re-weighted trending (issue 16, item 7): the formula's weights (votes, comments, stars, gravity)
as query parameters of /papers/trending, its feed and /api/daily_papers?sort=trending, defaults
from the settings, a small GET form, and a clear message for a weight that is not one."""

from __future__ import annotations

import math
import re

import feedparser
import pytest

from paperfeed.ingest.files import ingest_files
from tests.conftest import HF_API_FIXTURES, make_client, write_jsonl

STARS_ONLY = "votes=0&comments=0&stars=1&gravity=1.5"
MOST_STARRED = "2608.14022"  # 76 stars, listed a week before the others: first when age does not matter


@pytest.fixture
def site(client, engine):
    ingest_files(engine, sorted(HF_API_FIXTURES.glob("*.json")))
    return client


def _card_ids(html: str) -> list[str]:
    return re.findall(r'<h2 class="card-title"><a href="/papers/([^"]+)">', html)


def _form_values(html: str) -> dict[str, str]:
    form = re.search(r'<form class="weights-form" action="/papers/trending" method="get">(.*?)</form>', html, re.S)[1]
    return dict(re.findall(r'<input type="number" name="(\w+)" value="([^"]*)"', form))


def test_the_page_says_it_ranks_with_the_default_weights(site):
    html = site.get("/papers/trending").text
    assert _form_values(html) == {"votes": "1", "comments": "2", "stars": "1", "gravity": "1.5"}
    assert ("<code>(1 × votes + 2 × comments + 1 × log₂(1 + stars)) / (hours + 2)<sup>1.5</sup></code>\n"
            "    — the site's default weights.") in html
    assert f'<a href="/papers/trending?{STARS_ONLY.replace("&", "&amp;")}">stars only</a>' in html


def test_trending_by_stars_only_is_a_link(site):
    html = site.get(f"/papers/trending?{STARS_ONLY}").text
    assert "your weights" in html and 'href="/papers/trending">back to the defaults</a>' in html
    assert "(0 × votes + 0 × comments + 1 × log₂(1 + stars))" in html
    assert 'aria-current="true">stars only</a>' in html
    api = site.get(f"/api/daily_papers?sort=trending&{STARS_ONLY}").json()
    assert _card_ids(html) == [item["paper"]["id"] for item in api]
    scores = [item["trending"] for item in api]
    for part in scores:  # the score is made of stars alone, each item's own numbers
        assert part["votePoints"] == part["commentPoints"] == 0
        assert part["score"] == pytest.approx(part["starPoints"] / (part["ageHours"] + 2) ** 1.5, rel=1e-3)  # the API rounds the parts
        assert part["weights"] == {"votes": 0, "comments": 0, "stars": 1, "gravity": 1.5}
    assert [part["score"] for part in scores] == sorted((part["score"] for part in scores), reverse=True)
    assert re.search(r"score <strong>[\d.]+</strong> =\s+\(0 × 163 votes \+ 0 comment pts \+ 3\.2 star pts\)", html)


def test_age_can_be_left_out_of_the_ranking(site):
    ranked = _card_ids(site.get("/papers/trending?votes=0&comments=0&stars=1&gravity=0").text)
    assert ranked[0] == MOST_STARRED
    by_votes = _card_ids(site.get("/papers/trending?votes=1&comments=0&stars=0&gravity=0").text)
    assert by_votes[:3] == ["2608.19880", "2608.18580", "2608.20335"]  # 163, 54, 38 upvotes


def test_a_partly_filled_form_keeps_the_defaults_for_the_rest(site):
    html = site.get("/papers/trending", params={"votes": "", "comments": "0", "stars": " 3 ", "gravity": ""}).text
    assert _form_values(html) == {"votes": "1", "comments": "0", "stars": "3", "gravity": "1.5"}
    assert "(1 × votes + 0 × comments + 3 × log₂(1 + stars))" in html


@pytest.mark.parametrize(("query", "words"), [
    ("votes=abc", "votes: must be a number from 0 to 100, not &#39;abc&#39;"),
    ("comments=-1", "comments: must be a number from 0 to 100, not &#39;-1&#39;"),
    ("stars=101", "stars: must be a number from 0 to 100, not &#39;101&#39;"),
    ("gravity=6", "gravity: must be a number from 0 to 5, not &#39;6&#39;"),
    ("gravity=nan", "gravity: must be a number from 0 to 5, not &#39;nan&#39;"),
    ("votes=inf", "votes: must be a number from 0 to 100, not &#39;inf&#39;"),
    ("votes=1e400", "votes: must be a number from 0 to 100"),
])
def test_a_weight_that_is_not_one_is_named_on_the_page(site, query, words):
    answer = site.get(f"/papers/trending?{query}")
    assert answer.status_code == 400 and answer.headers["content-type"].startswith("text/html")
    assert f'<p class="form-error" role="alert">{words}' in answer.text
    name, typed = query.split("=")
    assert _form_values(answer.text)[name] == typed  # the form keeps what was typed, to fix it
    assert _card_ids(answer.text) == []


def test_too_long_a_weight_is_refused_before_parsing(site):
    answer = site.get("/papers/trending", params={"votes": "1" * 31}, headers={"accept": "text/html"})
    assert answer.status_code == 400 and "votes" in answer.text


def test_the_pager_and_the_feed_keep_the_weights(site, engine, tmp_path):
    ingest_files(engine, [write_jsonl(tmp_path / "many.jsonl", [
        {"id": f"2608.{40000 + number}", "title": f"Paper {number}", "date": "2026-08-20", "upvotes": number}
        for number in range(60)])])
    html = site.get(f"/papers/trending?{STARS_ONLY}").text
    assert f'rel="next" href="/papers/trending?{STARS_ONLY.replace("&", "&amp;")}&amp;page=2"' in html
    assert f'href="/feeds/trending.atom?{STARS_ONLY.replace("&", "&amp;")}"' in html
    second = site.get(f"/papers/trending?{STARS_ONLY}&page=2").text
    assert "your weights" in second and len(_card_ids(second)) == 77 - 50


def test_the_trending_feed_takes_the_weights(site):
    plain = feedparser.parse(site.get("/feeds/trending.atom").content)
    stars = feedparser.parse(site.get("/feeds/trending.atom?votes=0&comments=0&stars=1&gravity=0").content)
    assert stars.entries[0].link.endswith(f"/papers/{MOST_STARRED}")
    assert plain.entries[0].link.endswith("/papers/2608.19880")
    assert stars.feed.link.endswith("/papers/trending?votes=0&comments=0&stars=1&gravity=0")
    bad = site.get("/feeds/trending.rss?gravity=-2", headers={"accept": "text/html"})
    assert bad.status_code == 400 and "gravity: must be a number from 0 to 5" in bad.text


def test_the_api_takes_the_same_weights(site):
    items = site.get("/api/daily_papers", params={"sort": "trending", "votes": 0, "comments": 0, "stars": 1,
                                                  "gravity": 0}).json()
    assert items[0]["paper"]["id"] == MOST_STARRED
    assert items[0]["trending"]["starPoints"] == pytest.approx(math.log2(77), abs=1e-3)
    assert items[0]["trending"]["score"] == pytest.approx(math.log2(77), abs=1e-3)  # gravity 0: not divided
    default = site.get("/api/daily_papers?sort=trending").json()[0]["trending"]
    assert default["weights"] == {"votes": 1, "comments": 2, "stars": 1, "gravity": 1.5}
    assert default["votePoints"] == default["votes"]
    day = site.get("/api/daily_papers?date=2026-08-21&sort=trending&votes=0&comments=0&stars=1&gravity=0").json()
    assert day[0]["paper"]["id"] == MOST_STARRED


@pytest.mark.parametrize(("query", "field"), [
    ("sort=trending&votes=abc", "votes"),
    ("sort=trending&comments=-1", "comments"),
    ("sort=trending&stars=100.5", "stars"),
    ("sort=trending&gravity=5.01", "gravity"),
    ("sort=trending&gravity=nan", "gravity"),
    ("votes=2", "votes"),  # a weight without sort=trending would change nothing
])
def test_the_api_answers_a_bad_weight_with_400_json(site, query, field):
    answer = site.get(f"/api/daily_papers?{query}")
    assert answer.status_code == 400 and answer.headers["content-type"] == "application/json"
    assert answer.json()["field"] == field and answer.json()["error"].startswith(f"{field}: ")


def test_the_defaults_come_from_the_settings(engine, tmp_path):
    ingest_files(engine, sorted(HF_API_FIXTURES.glob("*.json")))
    client = make_client(engine, tmp_path, trending_vote_weight=0, trending_comment_weight=0, trending_star_weight=1,
                         trending_gravity=0)
    html = client.get("/papers/trending").text
    assert _form_values(html) == {"votes": "0", "comments": "0", "stars": "1", "gravity": "0"}
    assert "the site's default weights" in html and _card_ids(html)[0] == MOST_STARRED
    assert client.get("/api/daily_papers?sort=trending").json()[0]["paper"]["id"] == MOST_STARRED
