"""The JSON API, on SQLite and PostgreSQL, against recorded Hugging Face responses."""

import json

import pytest

from paperfeed.ingest.files import ingest_files
from tests.conftest import HF_API_FIXTURES, write_jsonl


def _collapse(text: str) -> str:
    return " ".join(text.split())


@pytest.fixture
def hf_client(client, engine):
    report = ingest_files(engine, sorted(HF_API_FIXTURES.glob("*.json")))
    assert report.rejected == 0
    return client


@pytest.mark.parametrize("day", ["2024-05-27", "2025-06-02", "2026-08-21"])
def test_daily_papers_matches_hugging_face_for_recorded_days(hf_client, day):
    recorded = json.loads((HF_API_FIXTURES / f"{day}.json").read_text())
    response = hf_client.get("/api/daily_papers", params={"date": day, "limit": 100})
    assert response.status_code == 200
    ours = {item["paper"]["id"]: item for item in response.json()}
    assert set(ours) == {item["paper"]["id"] for item in recorded}
    for theirs in recorded:
        mine = ours[theirs["paper"]["id"]]
        # Titles and abstracts are stored with arXiv's hard line breaks unwrapped. One title is
        # kept per paper: the paper's own (HF's 2024 top-level title was sometimes a cleaned copy).
        assert _collapse(mine["paper"]["title"]) == _collapse(theirs["paper"]["title"])
        assert mine["title"] == mine["paper"]["title"]
        assert _collapse(mine["paper"]["summary"]) == _collapse(theirs["paper"]["summary"])
        assert _collapse(mine["summary"]) == _collapse(theirs["paper"]["summary"])
        assert [a["name"] for a in mine["paper"]["authors"]] == [a["name"] for a in theirs["paper"]["authors"]]
        assert mine["paper"]["upvotes"] == theirs["paper"]["upvotes"]
        assert mine["paper"]["githubRepo"] == theirs["paper"].get("githubRepo")
        assert mine["numComments"] == theirs["numComments"]
    upvotes = [item["paper"]["upvotes"] for item in response.json()]
    assert upvotes == sorted(upvotes, reverse=True)


def test_default_is_the_latest_day_and_pages_do_not_overlap(hf_client):
    everything = hf_client.get("/api/daily_papers", params={"limit": 100}).json()
    assert len(everything) == 17 and {i["submittedBy"]["name"] for i in everything} >= {"taesiri"}
    first = hf_client.get("/api/daily_papers", params={"limit": 10, "p": 0}).json()
    second = hf_client.get("/api/daily_papers", params={"limit": 10, "p": 1}).json()
    assert [i["paper"]["id"] for i in first + second] == [i["paper"]["id"] for i in everything]


def test_week_and_month_cover_their_days(hf_client):
    assert len(hf_client.get("/api/daily_papers?week=2025-W23").json()) == 20
    assert len(hf_client.get("/api/daily_papers?month=2024-05").json()) == 13
    assert hf_client.get("/api/daily_papers?month=2023-01").json() == []


def test_trending_exposes_the_score_and_its_parts(hf_client):
    items = hf_client.get("/api/daily_papers?sort=trending&limit=5").json()
    assert len(items) == 5
    scores = [item["trending"]["score"] for item in items]
    assert scores == sorted(scores, reverse=True)
    parts = items[0]["trending"]
    assert parts["votes"] == items[0]["paper"]["upvotes"]
    assert {"commentPoints", "starPoints", "ageHours", "gravity", "formula"} <= set(parts)
    by_date = hf_client.get("/api/daily_papers?date=2024-05-27&sort=trending").json()
    assert len(by_date) == 13 and all(item["trending"] for item in by_date)


def test_sort_by_publication_time(hf_client):
    # The paper's own date, newest first (what Hugging Face's client prints as published_at).
    items = hf_client.get("/api/daily_papers?date=2025-06-02&sort=publishedAt").json()
    times = [item["paper"]["publishedAt"] for item in items]
    assert times == sorted(times, reverse=True) and len(set(times)) > 1


@pytest.mark.parametrize(
    ("query", "field", "words"),
    [
        ("limit=-1", "limit", "greater than or equal to 1"),
        ("limit=100000", "limit", "less than or equal to 100"),
        ("limit=ten", "limit", "valid integer"),
        ("p=-3", "p", "greater than or equal to 0"),
        ("date=../../etc/passwd", "date", "not a date"),
        ("date=2025-02-30", "date", "not a real date"),
        ("week=2024-W99", "week", "not a real ISO week"),
        ("month=2024-13", "month", "not a real month"),
        ("date=2024-05-27&week=2024-W22", "week", "only one of"),
        ("sort=random", "sort", "Input should be"),
    ],
)
def test_bad_parameters_get_a_400_that_names_them(hf_client, query, field, words):
    response = hf_client.get(f"/api/daily_papers?{query}")
    assert response.status_code == 400
    body = response.json()
    assert body["field"] == field and words in body["error"]


def test_one_paper_by_any_spelling_of_its_id(hf_client):
    paper = hf_client.get("/api/papers/2505.24864").json()
    assert paper["id"] == "2505.24864" and paper["upvotes"] == 35
    assert paper["arxivUrl"] == "https://arxiv.org/abs/2505.24864"
    assert hf_client.get("/api/papers/2505.24864v3").json()["id"] == "2505.24864"
    missing = hf_client.get("/api/papers/2505.99999")
    assert missing.status_code == 404 and "2505.99999" in missing.json()["error"]
    bad = hf_client.get("/api/papers/not%20an%20id")
    assert bad.status_code == 400 and bad.json()["field"] == "id"


def test_old_style_ids_work_in_urls(client, engine, tmp_path):
    ingest_files(engine, [write_jsonl(tmp_path / "old.jsonl", [{"id": "hep-th/9901001", "title": "Old style"}])])
    assert client.get("/api/papers/hep-th/9901001").json()["title"] == "Old style"


def test_openapi_describes_the_endpoints(client):
    spec = client.get("/openapi.json").json()
    assert {"/api/daily_papers", "/api/papers", "/api/papers/{paper_id}"} <= set(spec["paths"])
    parameters = {p["name"] for p in spec["paths"]["/api/daily_papers"]["get"]["parameters"]}
    assert parameters == {"date", "week", "month", "sort", "limit", "p", "submitter", "votes", "comments", "stars", "gravity"}
    assert {p["name"] for p in spec["paths"]["/api/papers"]["get"]["parameters"]} == {"limit", "cursor"}


def test_empty_database_answers_with_an_empty_list(client):
    assert client.get("/api/daily_papers").json() == []
    assert client.get("/api/daily_papers?sort=trending").json() == []


def test_an_organisation_is_an_object_as_hugging_face_sends_it(hf_client):
    item = hf_client.get("/api/daily_papers", params={"date": "2026-08-21", "limit": 1}).json()[0]
    assert item["organization"] == item["paper"]["organization"] == {"name": "Google", "fullname": "Google"}
    assert item["paper"]["submittedOnDailyBy"] == {"name": "taesiri", "fullname": "taesiri", "user": "taesiri"}
    paper = hf_client.get("/api/papers/2608.19880").json()
    assert paper["organization"] == {"name": "Google", "fullname": "Google"}
    assert hf_client.get("/api/papers/2405.15738").json()["organization"] is None


def test_submitter_keeps_one_members_listings(hf_client):
    def ids(**params):
        return {item["paper"]["id"] for item in hf_client.get("/api/daily_papers", params=params).json()}

    assert ids(date="2026-08-21", submitter="TaeSiri") == {"2608.19880", "2608.19891"}
    assert ids(submitter="taesiri") == {"2608.19880", "2608.19891", "2505.23941"}  # every day
    assert ids(submitter="taesiri", month="2025-06") == {"2505.23941"}
    assert ids(submitter="  ") == ids()  # blank: no filter
    long = hf_client.get("/api/daily_papers", params={"submitter": "x" * 201})
    assert long.status_code == 400 and long.json()["field"] == "submitter"


def test_every_paper_newest_first_by_cursor(hf_client):
    first = hf_client.get("/api/papers", params={"limit": 30})
    assert first.status_code == 200 and len(first.json()) == 30
    following = first.headers["link"].removeprefix("<").removesuffix('>; rel="next"')
    second = hf_client.get(following)
    assert len(second.json()) == 20 and "link" not in second.headers
    ids = [paper["id"] for paper in first.json() + second.json()]
    assert len(set(ids)) == 50
    dates = [paper["publishedAt"] for paper in first.json() + second.json()]
    assert dates == sorted(dates, reverse=True)
    # The search with no words pages the same list, and p still counts pages within it.
    searched = hf_client.get("/api/papers/search", params={"limit": 10, "p": 1}).json()
    assert [item["paper"]["id"] for item in searched] == ids[10:20]
    older = hf_client.get("/api/papers/search", params={"until": "2024-12-31"}).json()
    assert len(older) == 13 and {item["paper"]["publishedAt"][:4] for item in older} == {"2024"}


@pytest.mark.parametrize(
    ("path", "params", "field"),
    [("/api/papers", {"cursor": "bm90IGEgY3Vyc29y"}, "cursor"), ("/api/papers", {"cursor": "%%%"}, "cursor"),
     ("/api/papers", {"cursor": "x" * 401}, "cursor"), ("/api/papers/search", {"cursor": "x"}, "cursor"),
     ("/api/papers", {"cursor": "MjAyNi0wMS0wMXxhAGI"}, "cursor"),  # "2026-01-01|a<NUL>b"
     ("/api/papers", {"cursor": "MjAyNi0xMy0wMXwyNjA4LjE"}, "cursor"),  # "2026-13-01|2608.1"
     ("/api/papers/search", {"q": "agents", "cursor": "MjAyNi0wOC0yMHwyNjA4LjIwMzM1"}, "cursor"),
     ("/api/papers/search", {"category": "cs.CL"}, "category"), ("/api/papers/search", {"sort": "upvotes"}, "sort"),
     ("/api/papers", {"limit": 0}, "limit")],
)
def test_bad_paging_of_every_paper_is_a_400_naming_the_parameter(hf_client, path, params, field):
    response = hf_client.get(path, params=params)
    assert response.status_code == 400 and response.json()["field"] == field


@pytest.mark.parametrize(
    ("accept", "markdown"),
    [("text/markdown", True), ("text/markdown, text/html", True), ("text/html;q=0.9, text/markdown", True),
     ("text/markdown;q=0.5, text/html", False), ("text/html,application/xhtml+xml,*/*;q=0.8", False),
     ("*/*", False), ("text/markdown;q=0", False), ("text/markdown;q=bad", False)],
)
def test_a_paper_page_answers_markdown_to_whoever_prefers_it(hf_client, accept, markdown):
    response = hf_client.get("/papers/2608.19880", headers={"Accept": accept})
    assert response.status_code == 200 and "Accept" in response.headers["vary"]
    assert response.headers["content-type"].startswith("text/markdown" if markdown else "text/html")


def test_markdown_of_an_unknown_or_malformed_paper_is_a_sentence(hf_client):
    missing = hf_client.get("/papers/2608.99999.md")
    assert missing.status_code == 404 and missing.headers["content-type"].startswith("text/plain")
    assert missing.text == "No paper with id '2608.99999' is in this paperfeed."
    bad = hf_client.get("/papers/not%20an%20id.md")
    assert bad.status_code == 400 and bad.text.startswith("id: 'not an id' is neither an arXiv id")
    moved = hf_client.get("/papers/2608.19880v2.md", follow_redirects=False)
    assert moved.status_code == 301 and moved.headers["location"] == "/papers/2608.19880.md"
