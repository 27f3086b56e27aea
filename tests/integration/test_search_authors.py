"""Issue 14, item 2: authors are searchable. A query that is a person's name ranks their papers
first and links to their page; author:"NAME", the API's author= and the CLI's --author restrict
to one author. Names match without accents, in "Last, First" order and by initials."""

import pytest

from paperfeed.search.authors import author_keys, filter_key, query_key
from tests.conftest import result_ids, searchable
from tests.integration.test_cli import run_cli

OTHERS = [{"id": f"2501.{n:05d}", "title": f"Language models and their wang number {n}",
           "abstract": "Zifeng went to town. Pfister is a word here too.", "authors": [f"Someone Else{n}"],
           "date": "2025-01-10"} for n in range(30)]
PAPERS = OTHERS + [
    {"id": "2502.00001", "title": "Chain of table", "abstract": "Tables as reasoning steps.",
     "authors": ["Zifeng Wang", "Tomas Pfister"], "date": "2025-02-01"},
    {"id": "2502.00002", "title": "Speculative RAG", "abstract": "Drafting with a small model.",
     "authors": ["Zífeng Wáng", "Chen-Yu Lee"], "date": "2025-02-03"},
    {"id": "2502.00003", "title": "Unrelated work on tokenizers", "abstract": "Byte pairs.",
     "authors": ["Pfister, Tomas"], "date": "2025-01-20"},
]


@pytest.mark.parametrize(("name", "keys"), [
    ("Zifeng Wang", {"zifeng wang", "z wang", "last:wang"}),
    ("Wang, Zifeng", {"zifeng wang", "z wang", "last:wang"}),
    ("Zífeng Wáng", {"zifeng wang", "z wang", "last:wang"}),
    ("Chen-Yu Lee", {"chen yu lee", "c y lee", "last:lee"}),
    ("Søren Ørsted", {"soren orsted", "s orsted", "last:orsted"}),
    ("", set()),
])
def test_one_person_however_the_name_is_written(name, keys):
    assert author_keys(name) == keys


def test_what_looks_like_a_name():
    assert query_key("Z. Wang") == "z wang" and query_key("Tomas Pfister") == "tomas pfister"
    assert query_key("tokenizers") is None and query_key("GPT 4 results") is None
    assert filter_key("Pfister") == "last:pfister" and filter_key("Wang, Zifeng") == "zifeng wang"


@pytest.fixture
def site(client, engine, tmp_path):
    return searchable(client, engine, tmp_path, PAPERS)


@pytest.mark.parametrize("q", ["Zifeng Wang", "zifeng wang", "Wang, Zifeng", "Z. Wang", "Zífeng Wáng"])
def test_a_name_ranks_that_persons_papers_first_and_links_to_them(site, q):
    items = site.get("/api/papers/search", params={"q": q}).json()
    assert set(result_ids(items)[:2]) == {"2502.00001", "2502.00002"}  # ahead of the papers that say "wang"
    page = site.get("/search", params={"q": q}).text
    assert "is an author here" in page and 'href="/authors/Zifeng%20Wang"' in page


def test_author_filter_in_the_query_the_api_and_the_cli(site, database_url, tmp_path):
    assert result_ids(site.get("/api/papers/search", params={"q": 'author:"Tomas Pfister"'}).json()) == [
        "2502.00001", "2502.00003"]  # newest first when there are no other words
    assert result_ids(site.get("/api/papers/search", params={"q": "tokenizers", "author": "Pfister"}).json()) == [
        "2502.00003"]
    assert result_ids(site.get("/api/papers/search", params={"q": "author:Pfister table"}).json()) == ["2502.00001"]
    page = site.get("/search", params={"q": 'author:"Tomas Pfister"'}).text
    assert "Papers by" in page and page.count('class="card"') == 2
    done = run_cli("search", "--author", "T. Pfister", data_dir=tmp_path, database_url=database_url, check_rc=0)
    assert "Chain of table" in done.stdout and "Unrelated work on tokenizers" in done.stdout
    assert "Speculative RAG" not in done.stdout


@pytest.mark.parametrize(("params", "message"), [
    ({"q": "author:"}, "author: needs a name after it"),
    ({"q": 'author:"'}, "author: needs a name after it"),
    ({"q": "x", "author": "N" * 1000}, "at most 200"),
    ({"q": "x", "author": "1234"}, "no letters"),
])
def test_bad_author_filters_get_a_clear_answer(site, params, message):
    api = site.get("/api/papers/search", params=params)
    assert api.status_code == 400 and message in api.json()["error"]
    if "author" not in params:
        page = site.get("/search", params=params)
        assert page.status_code == 400 and message in page.text


def test_an_open_quote_and_a_long_name_in_the_page_are_answered(site):
    assert site.get("/search", params={"q": 'author:"Tomas Pfister'}).status_code == 200
    assert site.get("/search", params={"q": "author:" + "N" * 150}).status_code == 200


@pytest.mark.parametrize("q", ['"tables as reasoning', 'tables as reasoning"', '"""', 'author:"Tomas Pfister" "tables'])
def test_a_quote_left_open_searches_the_words(site, q):
    api = site.get("/api/papers/search", params={"q": q})
    page = site.get("/search", params={"q": q})
    if q == '"""':
        assert api.status_code == page.status_code == 400 and "no words to search for" in api.json()["error"]
        return
    assert api.status_code == page.status_code == 200
    assert result_ids(api.json())[0] == "2502.00001"
