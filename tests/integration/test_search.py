"""Keyword search from the API, the page and the CLI, on both databases."""

import json

import pytest

from paperfeed.ingest.files import ingest_files
from paperfeed.search.indexer import IndexState, index_directory, update_indexes
from tests.conftest import HF_API_FIXTURES, write_jsonl
from tests.integration.test_cli import run_cli

EXTRA = [
    {"id": "2401.00001", "title": "Reusing rejected draft tokens in speculative decoding",
     "abstract": "We recycle the tokens a verifier rejects.", "date": "2024-01-02", "categories": ["cs.CL"]},
    {"id": "2401.00002", "title": "Speculative execution in CPUs", "abstract": "Branch prediction.",
     "date": "2019-05-01", "categories": ["cs.AR"]},
    {"id": "local:xss", "title": "<script>alert(1)</script> decoding", "abstract": "payload", "date": "2024-01-03"},
]


@pytest.fixture
def searchable(client, engine, tmp_path):
    ingest_files(engine, sorted(HF_API_FIXTURES.glob("*.json")))
    ingest_files(engine, [write_jsonl(tmp_path / "extra.jsonl", EXTRA)])
    update_indexes(engine, tmp_path)
    return client


def test_api_finds_a_paper_by_what_it_did_with_highlights(searchable):
    items = searchable.get("/api/papers/search", params={"q": "reuse rejected draft tokens"}).json()
    assert items[0]["paper"]["id"] == "2401.00001"
    marked = [s["text"] for s in items[0]["highlightedTitle"] if s["type"] == "highlight"]
    assert marked == ["Reusing", "rejected", "draft", "tokens"]  # stems match: reuse ~ reusing
    assert "".join(s["text"] for s in items[0]["highlightedTitle"]) == items[0]["title"]
    assert {"paper", "title", "summary", "publishedAt", "highlightedSummary"} <= set(items[0])


def test_filters_by_date_and_category(searchable):
    def ids(**params):
        return [i["paper"]["id"] for i in searchable.get("/api/papers/search", params={"q": "speculative", **params}).json()]

    assert set(ids()) >= {"2401.00001", "2401.00002"}
    assert "2401.00002" not in ids(since="2020-01-01")
    assert ids(until="2019-12-31") == ["2401.00002"]
    assert ids(category="cs.AR") == ["2401.00002"]


def test_listed_papers_carry_their_listing(searchable):
    items = searchable.get("/api/papers/search", params={"q": "EnvHarness"}).json()
    assert items[0]["paper"]["id"] == "2608.19880"
    assert items[0]["submittedBy"]["name"] == "taesiri" and items[0]["publishedAt"].startswith("2026-08-21")


@pytest.mark.parametrize(
    ("q", "words"),
    [("x" * 10_000, "at most 1,000"), ("!!! ??? ...", "no words to search for")],
)
def test_unusable_queries_get_a_clear_400(searchable, q, words):
    response = searchable.get("/api/papers/search", params={"q": q})
    assert response.status_code == 400 and words in response.json()["error"]
    page = searchable.get("/search", params={"q": q}, headers={"accept": "text/html"})
    assert page.status_code in (200, 400) and "Traceback" not in page.text
    if q.strip():
        assert words in page.text


@pytest.mark.parametrize("q", ["", "   "])
def test_no_words_list_every_paper_newest_first(searchable, q):
    items = searchable.get("/api/papers/search", params={"q": q, "limit": 100}).json()
    assert len(items) == 53  # the 50 recorded Hugging Face papers and EXTRA
    dates = [item["paper"]["publishedAt"] for item in items]
    assert dates == sorted(dates, reverse=True) and items[-1]["paper"]["id"] == "2401.00002"
    assert items[0]["highlightedTitle"] == [{"type": "text", "text": items[0]["title"]}]
    page = searchable.get("/search", params={"q": q})
    assert page.status_code == 200 and "Traceback" not in page.text  # the page shows its form


@pytest.mark.parametrize("q", ['"a" OR NEAR(', "title:foo AND -bar", "' OR 1=1 --", "((( attention", "a* ~2 ^3 [1 TO 2]"])
def test_query_syntax_is_read_as_plain_words(searchable, q):
    assert searchable.get("/api/papers/search", params={"q": q}).status_code == 200
    assert searchable.get("/search", params={"q": q}).status_code == 200


def test_bad_filters_are_named(searchable):
    response = searchable.get("/api/papers/search", params={"q": "x", "since": "2025-02-30"})
    assert response.status_code == 400 and response.json()["field"] == "since"
    response = searchable.get("/api/papers/search", params={"q": "x", "since": "2025-01-02", "until": "2025-01-01"})
    assert response.status_code == 400
    assert searchable.get("/api/papers/search", params={"q": "x", "category": "cs CL;"}).status_code == 400


def test_search_page_marks_matches_and_escapes_titles(searchable):
    html = searchable.get("/search", params={"q": "decoding"}).text
    assert "<mark>decoding</mark>" in html
    assert "<script>alert(1)</script>" not in html and "&lt;script&gt;" in html
    assert 'name="q"' in searchable.get("/").text  # the search box is on every page


def test_empty_results_say_so(searchable):
    assert "No papers match" in searchable.get("/search", params={"q": "zyzzyva"}).text


def test_missing_index_is_a_visible_notice(client):
    assert "not built yet" in client.get("/search", params={"q": "anything"}).text


def test_updates_are_incremental(engine, tmp_path):
    ingest_files(engine, [write_jsonl(tmp_path / "a.jsonl", EXTRA[:1])])
    assert update_indexes(engine, tmp_path).rebuilt
    ingest_files(engine, [write_jsonl(tmp_path / "b.jsonl", EXTRA[1:2])])
    report = update_indexes(engine, tmp_path)
    # Papers changed at or after the last indexed change are (re)indexed: the new one, and the
    # boundary paper again, never the whole database.
    assert not report.rebuilt and 1 <= report.indexed <= 2 and report.total == 2
    assert IndexState.read(index_directory(tmp_path)).papers == 2


def test_cli_ingest_makes_papers_searchable_and_search_prints_json(tmp_path):
    run_cli("ingest", str(write_jsonl(tmp_path / "x.jsonl", EXTRA)), data_dir=tmp_path, check_rc=0)
    result = run_cli("search", "rejected draft tokens", "--json", "--limit", "1", data_dir=tmp_path, check_rc=0)
    assert json.loads(result.stdout)[0]["paper"]["id"] == "2401.00001"
    text = run_cli("search", "speculative", "--category", "cs.AR", data_dir=tmp_path, check_rc=0).stdout
    assert "2401.00002" in text and "2401.00001" not in text
    bad = run_cli("search", "!!!", data_dir=tmp_path, check_rc=1)
    assert "no words to search for" in bad.stderr and "Traceback" not in bad.stderr
    rebuilt = run_cli("index", "--rebuild", data_dir=tmp_path, check_rc=0)
    assert "search index rebuilt: 3 papers indexed" in rebuilt.stderr


def test_concurrent_index_updates_wait_for_each_other(engine, tmp_path):
    import threading

    ingest_files(engine, [write_jsonl(tmp_path / "a.jsonl", EXTRA)])
    errors, reports = [], []

    def update():
        try:
            reports.append(update_indexes(engine, tmp_path))
        except Exception as error:  # collected and asserted below
            errors.append(error)

    threads = [threading.Thread(target=update) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == [] and all(report.total == 3 for report in reports)


REFERENCE_QUERIES = ['"speculative decoding" draft', "GPT-4 reasoning", "multi-modal large-language models", "Zifeng Wang attention",
                     "Müller", '"mixture of experts" "load balancing"', "state-of-the-art 3d-gaussian splatting",
                     "for the of", "tokens"]


@pytest.mark.parametrize("text", REFERENCE_QUERIES)
def test_keyword_scores_are_those_of_tantivys_own_query_parser(searchable, tmp_path, text):
    """The flat query built by KeywordIndex.search ranks and scores exactly as tantivy's query
    parser does for the same words and phrases (only faster at scale)."""
    from paperfeed.search.keyword import AUTHORS_BOOST, TITLE_BOOST, KeywordIndex
    from paperfeed.search.query import parse_search_query

    index = KeywordIndex(index_directory(tmp_path) / IndexState.read(index_directory(tmp_path)).keyword_dir)
    query = parse_search_query(text)
    syntax = " ".join([f'"{" ".join(phrase)}"' for phrase in query.phrases if len(phrase) > 1] + list(query.words))
    parsed, errors = index.index.parse_query_lenient(syntax, ["title", "abstract", "authors"],
                                                     field_boosts={"title": TITLE_BOOST, "authors": AUTHORS_BOOST})
    searcher = index.index.searcher()
    expected = [(searcher.doc(address)["id"][0], round(score, 4)) for score, address in searcher.search(parsed, 50).hits]
    assert not errors and expected or text == "Müller"
    assert [(paper_id, round(score, 4)) for paper_id, score in index.search(query, limit=50)] == expected
