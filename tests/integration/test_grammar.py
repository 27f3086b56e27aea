"""Issue 16, item 15: counts agree with their nouns on pages and in CLI output ("1 paper", "1 problem",
"1 result", "1 upvote"), and a submission while arXiv cannot be reached says so in words, not with
the exception's text (the arXiv API address is a port on 127.0.0.1 where nothing listens)."""

import re
import socket

import pytest

from paperfeed.ingest.files import ingest_files
from paperfeed.members.accounts import create_user
from paperfeed.search.indexer import update_indexes
from paperfeed.sources.http import PoliteClient
from tests.conftest import make_client, write_jsonl
from tests.integration.test_cli import run_cli
from tests.integration.test_members import PASSWORD, csrf_of, sign_in
from tests.replay_server import FakeClock

ONE_PAPER = {"id": "2608.00001", "title": "Coral reefs from space", "date": "2026-08-21", "listed": True,
             "upvotes": 1, "abstract": "Remote sensing of reefs.", "authors": ["Grace Hopper"]}


@pytest.fixture
def closed_port() -> int:
    """A port on 127.0.0.1 nobody listens on: the one the OS picked for a socket now closed."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def site(engine, tmp_path):
    ingest_files(engine, [write_jsonl(tmp_path / "p.jsonl", [ONE_PAPER])])
    update_indexes(engine, tmp_path)
    create_user(engine, "alice", PASSWORD)
    return make_client(engine, tmp_path, semantic_search=False)


def test_pages_say_1_paper_1_result_1_upvote(site):
    day = site.get("/papers/date/2026-08-21").text
    assert "1 paper, most upvoted first" in day and "1 papers" not in day
    assert 'title="1 upvote · sign in to upvote"' in day
    found = site.get("/search", params={"q": "coral reefs"}).text
    assert "1 result for" in found and "1 results" not in found


def test_the_cli_says_1_problem_and_1_paper(tmp_path):
    records = write_jsonl(tmp_path / "papers.jsonl", [ONE_PAPER, {"title": "no id"}])
    done = run_cli("ingest", str(records), "--errors", str(tmp_path / "problems.txt"), data_dir=tmp_path / "data",
                   env={"PAPERFEED_SEMANTIC_SEARCH": "false"})
    said = " ".join((done.stdout + done.stderr).split())
    assert f"1 problem written to {tmp_path / 'problems.txt'}" in said
    assert "1 paper indexed" in said and "it holds 1 paper in all" in said
    assert not re.search(r"\b1 (problems|papers|records|others)\b", said)


@pytest.mark.parametrize("how", ["form", "api"])
def test_submitting_while_arxiv_is_unreachable_says_so_in_words(engine, tmp_path, closed_port, how):
    create_user(engine, "alice", PASSWORD)
    client = make_client(engine, tmp_path, arxiv_api_url=f"http://127.0.0.1:{closed_port}/api/query",
                         arxiv_delay_s=0)
    fake = FakeClock()  # the retries wait on a fake clock
    client.app.state.arxiv_client = PoliteClient(user_agent="test", retries=2, clock=fake, sleep=fake.sleep)
    sign_in(client)
    if how == "form":
        answer = client.post("/submit", data={"arxiv_id": "2401.00009", "csrf": csrf_of(client.get("/submit").text)})
        said = re.search(r'<p class="form-error" role="alert">(.*?)</p>', answer.text).group(1)
    else:
        answer = client.post("/api/papers/submit", json={"arxiv_id": "2401.00009"})
        said = answer.json()["error"]
    assert answer.status_code == 503
    assert said == "arXiv could not be reached; try again later"
    assert len(fake.slept) == 2  # it did try again, politely, before saying so
    assert client.get("/papers/2401.00009").status_code == 404  # nothing was stored
