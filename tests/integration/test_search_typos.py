"""Issue 14, item 4: a word no paper has is matched to the nearest word papers do have, and the
page says "Showing results for ...". On both databases, through the page, the API and the CLI."""

import re

import pytest

from paperfeed.search.spelling import nearest_word
from tests.conftest import searchable
from tests.integration.test_cli import run_cli

PAPERS = [
    {"id": "2501.00001", "title": "A byte-level tokenizer for code", "date": "2025-01-02",
     "abstract": "Tokenization of source code: our tokenizer splits identifiers.", "categories": ["cs.CL"]},
    {"id": "2501.00002", "title": "Diffusion models for layout", "date": "2025-01-03",
     "abstract": "Denoising diffusion generates page layouts.", "categories": ["cs.CV"]},
    {"id": "2501.00003", "title": "Graph neural networks", "date": "2025-01-04",
     "abstract": "Message passing on molecules.", "categories": ["cs.LG"]},
]


def test_the_nearest_written_word_wins_then_the_one_most_papers_hold():
    vocabulary = [("tokenize", 90), ("tokenizer", 3), ("tokens", 400), ("topic", 40)]
    assert nearest_word("tokenzier", vocabulary) == "tokenizer"  # 1 swap beats 2 edits, whatever the counts
    assert nearest_word("tokenzier", vocabulary[:1]) == "tokenize"
    assert nearest_word("qwxzvbnm", vocabulary) is None
    assert nearest_word("Tokn", [("token", 5), ("tokon", 50), ("took", 900)]) == "tokon"  # 1 edit each: more papers


@pytest.fixture
def site(client, engine, tmp_path):
    return searchable(client, engine, tmp_path, PAPERS)


def test_a_typo_is_searched_as_the_word_meant_and_the_page_says_so(site):
    page = site.get("/search", params={"q": "tokenzier"}).text
    assert "Showing results for “tokenizer”: no paper has “tokenzier”." in page
    first_card = page.split('class="card-title"><a href="/papers/', 1)[1]
    assert first_card.startswith("2501.00001")
    items = site.get("/api/papers/search", params={"q": "difusion modls"}).json()
    assert items[0]["paper"]["id"] == "2501.00002"


@pytest.mark.parametrize("q", ["diffusion", "qwxzvbnm", "gnn", "2501"])
def test_words_papers_have_and_words_without_a_near_one_stay_as_typed(site, q):
    assert "Showing results for" not in site.get("/search", params={"q": q}).text


def test_the_cli_says_what_it_searched_for(site, database_url, tmp_path):
    done = run_cli("search", "tokenzier", data_dir=tmp_path, database_url=database_url, check_rc=0)
    assert "showing results for 'tokenizer': no paper has 'tokenzier'" in done.stdout + done.stderr
    assert "byte-level tokenizer" in done.stdout


def test_signing_in_from_a_results_page_comes_back_to_it(site, engine):
    from paperfeed.members.accounts import create_user
    from tests.integration.test_members import PASSWORD, csrf_of

    create_user(engine, "alice", PASSWORD)
    page = site.get("/search", params={"q": "diffusion layout", "page": "1"}).text
    link = "/signin?next=/search%3Fq%3Ddiffusion%2Blayout%26page%3D1"
    assert f'class="card-votes vote-link" href="{link}"' in page  # "Sign in to upvote"
    assert f'<a href="{link}">Sign in</a>' in page  # the header's
    form = site.get(link).text
    answer = site.post("/signin", data={"username": "alice", "password": PASSWORD, "csrf": csrf_of(form),
                                        "next": "/search?q=diffusion+layout&page=1"}, follow_redirects=False)
    assert answer.headers["location"] == "/search?q=diffusion+layout&page=1"
    assert 'name="next" value="/search?q=diffusion+layout&amp;page=1"' in form


@pytest.mark.parametrize(("q", "said"), [("大语言模型 推理", True), ("языковые модели", True), ("décodage spéculatif", True),
                                         ("diffusion", False)])
def test_a_query_in_another_language_is_told_that_search_reads_english(site, q, said):
    assert ("Search reads English" in site.get("/search", params={"q": q}).text) is said


def test_the_query_as_typed_is_one_click_away(site):
    page = site.get("/search", params={"q": "tokenzier"}).text
    link = re.search(r'<a href="([^"]+)">Search for “tokenzier” instead</a>', page)[1].replace("&amp;", "&")
    assert link == "/search?q=tokenzier&exact=1"
    exact = site.get(link).text
    assert "Showing results for" not in exact and "No papers match “tokenzier”" in exact
