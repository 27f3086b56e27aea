"""Issue 14, item 1: a query that names a paper (an arXiv id or link, a Hugging Face link, a DOI)
leads to that paper, or says that this site does not hold it; never 50 unrelated papers.
On both databases, through the page, the header's search box, the API and the CLI."""

import pytest

from paperfeed.ingest.files import ingest_files
from paperfeed.search.indexer import update_indexes
from paperfeed.search.references import PaperReference, paper_reference
from tests.conftest import write_jsonl
from tests.integration.test_cli import run_cli
from paperfeed.members.accounts import create_user
from tests.integration.test_members import PASSWORD, sign_in

PAPERS = [
    {"id": "2406.11687v2", "title": "Tokenization falling short", "date": "2024-06-17",
     "abstract": "Tokenizers split words; 2406 and 11687 appear here as numbers too.", "categories": ["cs.CL"],
     "doi": "10.18653/v1/2024.FINDINGS-EMNLP.86"},
    {"id": "hep-th/9901001", "title": "Strings on old-style identifiers", "date": "1999-01-04",
     "abstract": "An old paper.", "categories": ["hep-th"]},
] + [{"id": f"2406.{n:05d}", "title": f"Paper number 2406 {n}", "abstract": f"About 11687 and {n}.",
      "date": "2024-06-17"} for n in range(20, 70)]


@pytest.mark.parametrize(("text", "expected"), [
    ("2406.11687", PaperReference("arxiv", "2406.11687")),
    ("arXiv:2406.11687v2", PaperReference("arxiv", "2406.11687", 2)),
    ("hep-th/9901001", PaperReference("arxiv", "hep-th/9901001")),
    ("math.GT/0309136v1", PaperReference("arxiv", "math/0309136", 1)),
    ("https://arxiv.org/abs/2403.09919", PaperReference("arxiv", "2403.09919")),
    ("arxiv.org/pdf/2403.09919v1.pdf", PaperReference("arxiv", "2403.09919", 1)),
    ("https://arxiv.org/html/2403.09919v2/", PaperReference("arxiv", "2403.09919", 2)),
    ("https://export.arxiv.org/abs/hep-th/9901001?context=hep-th", PaperReference("arxiv", "hep-th/9901001")),
    ("https://huggingface.co/papers/2406.11687", PaperReference("arxiv", "2406.11687")),
    ("10.1145/3368089.3409741", PaperReference("doi", "10.1145/3368089.3409741")),
    ("https://doi.org/10.1145/3368089.3409741", PaperReference("doi", "10.1145/3368089.3409741")),
    ("doi:10.48550/arXiv.2406.11687", PaperReference("arxiv", "2406.11687")),
    ("speculative decoding", None), ("2024", None), ("2406", None), ('author:"Zifeng Wang"', None),
    ("acl:2024.acl-long.1", None), ("https://example.org/abs/2406.11687", None),
])
def test_what_counts_as_naming_a_paper(text, expected):
    assert paper_reference(text) == expected


@pytest.fixture
def site(client, engine, tmp_path):
    create_user(engine, "alice", PASSWORD)
    ingest_files(engine, [write_jsonl(tmp_path / "papers.jsonl", PAPERS)])
    update_indexes(engine, tmp_path)
    return client


@pytest.mark.parametrize("q", ["2406.11687", "2406.11687v1", "arXiv:2406.11687", "https://arxiv.org/abs/2406.11687",
                               "https://arxiv.org/pdf/2406.11687v2", "https://huggingface.co/papers/2406.11687",
                               "10.18653/v1/2024.findings-emnlp.86", "https://doi.org/10.18653/V1/2024.FINDINGS-EMNLP.86"])
def test_an_id_or_a_link_finds_that_paper_alone(site, q):
    page = site.get("/search", params={"q": q})
    assert page.status_code == 200
    assert "names this paper" in page.text and 'href="/papers/2406.11687">Go to paper' in page.text
    assert page.text.count('class="card"') == 1  # not the 50 papers whose text holds 2406 or 11687
    items = site.get("/api/papers/search", params={"q": q}).json()
    assert [item["paper"]["id"] for item in items] == ["2406.11687"]


def test_the_header_search_box_goes_straight_to_the_paper(site):
    answer = site.get("/search", params={"q": "hep-th/9901001", "go": "1"}, follow_redirects=False)
    assert (answer.status_code, answer.headers["location"]) == (303, "/papers/hep-th/9901001")
    words = site.get("/search", params={"q": "old-style identifiers", "go": "1"}, follow_redirects=False)
    assert words.status_code == 200  # an ordinary query stays a search
    assert 'name="go" value="1"' in site.get("/").text


def test_an_id_this_site_does_not_hold_says_so_and_offers_to_submit_it(site):
    page = site.get("/search", params={"q": "2406.99999"}).text
    assert "This site does not hold arXiv:2406.99999." in page
    assert 'class="card"' not in page
    assert "/signin?next=/submit%3Farxiv_id%3DarXiv%253A2406.99999" in page  # back to the submit form
    sign_in(site)
    page = site.get("/search", params={"q": "2406.99999", "go": "1"}).text
    assert 'href="/submit?arxiv_id=arXiv%3A2406.99999"' in page
    form = site.get("/submit", params={"arxiv_id": "arXiv:2406.99999"}).text
    assert 'value="arXiv:2406.99999"' in form
    assert site.get("/api/papers/search", params={"q": "2406.99999"}).json() == []
    assert "does not hold DOI 10.1000/nothing" in site.get("/search", params={"q": "10.1000/nothing"}).text


def test_a_version_that_does_not_exist_is_said_and_the_paper_shown(site):
    page = site.get("/search", params={"q": "2406.11687v9"}).text
    assert "has no version 9 here: the latest this site knows is v2" in page
    assert "Go to paper" in page


def test_the_cli_looks_the_paper_up(site, database_url, tmp_path):
    found = run_cli("search", "https://arxiv.org/abs/2406.11687", data_dir=tmp_path, database_url=database_url,
                    check_rc=0)
    assert "Tokenization falling short" in found.stdout and found.stdout.count("2406.") == 1
    missing = run_cli("search", "2406.99999", data_dir=tmp_path, database_url=database_url)
    assert "This site does not hold arXiv:2406.99999" in missing.stdout + missing.stderr
