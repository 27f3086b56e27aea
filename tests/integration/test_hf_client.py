"""Hugging Face's own client against a real ``paperfeed serve``, on SQLite and PostgreSQL (issue 15,
section 2): every papers method of ``huggingface_hub.HfApi`` (``list_papers``, ``paper_info``,
``read_paper``, ``list_daily_papers``) and every ``hf papers`` command (``ls``, ``search``, ``info``,
``read``), pointed at paperfeed the way a user does it: ``HfApi(endpoint=...)`` and ``HF_ENDPOINT``.

The client must never reach the internet: every proxy variable points at a trap on 127.0.0.1 that
records what it is sent (only 127.0.0.1 is exempt), and the last test checks that it got nothing.
"""

from __future__ import annotations

import copy
import json
import os
import subprocess
import sys
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import httpx
import huggingface_hub
import pytest
from huggingface_hub import HfApi
from huggingface_hub.errors import HfHubHTTPError
from huggingface_hub.hf_api import Organization, PaperInfo
from huggingface_hub.utils._pagination import paginate

from paperfeed.db.engine import create_engine, migrate
from paperfeed.ingest.files import ingest_files
from paperfeed.search.indexer import update_indexes
from tests.conftest import HF_API_FIXTURES, fresh_postgres_schema, write_jsonl
from tests.proxy_trap import ProxyTrap
from tests.site_process import served

HF_CLI = Path(sys.executable).with_name("hf")  # the `hf` command the dev dependency installs
RECORDED_DAYS = ["2024-05-27", "2025-06-02", "2026-08-21"]
SITE_URL = "https://papers.example.org"
EXTRA = [
    # Listed by a member whose name is a Hugging Face submitter's in other letter case.
    {"id": "2401.00001", "title": "Reusing rejected draft tokens in speculative decoding", "authors": ["Ada Lovelace"],
     "abstract": "We recycle the tokens a verifier rejects.", "date": "2024-01-02", "categories": ["cs.CL"],
     "submitted_by": "TAESIRI", "upvotes": 3},
    {"id": "local:markup", "title": "Brackets [x](https://evil.example) and <b>tags</b> stay *text*",
     "authors": ["O'Brien & Sons"], "abstract": "# Not a heading\n\nA second paragraph, with a_b and `code`.",
     "date": "2023-03-04"},
    {"id": "local:undated", "title": "A paper without a date"},
]
PAPERS = 53  # the 50 recorded Hugging Face papers and EXTRA


def client_environment(*, endpoint: str, trap: ProxyTrap, home: Path) -> dict[str, str]:
    """The environment the client runs in: paperfeed as its Hub, no token, no telemetry, no update
    check, and every other host behind the trap."""
    environment = {name: value for name, value in os.environ.items()
                   if not name.upper().startswith(("HF_", "HUGGING_FACE_", "HUGGINGFACE_"))
                   and not name.lower().endswith("_proxy")}
    for name in ("http_proxy", "https_proxy", "all_proxy"):
        environment[name] = environment[name.upper()] = trap.url
    environment["no_proxy"] = environment["NO_PROXY"] = "127.0.0.1"
    environment.update(HF_ENDPOINT=endpoint, HF_HOME=str(home), HF_HUB_DISABLE_TELEMETRY="1",
                       HF_HUB_DISABLE_UPDATE_CHECK="1")
    return environment


@dataclass
class Site:
    base: str
    api: HfApi
    environment: dict[str, str]
    trap: ProxyTrap


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def site(request, tmp_path_factory):
    """A served paperfeed holding the recorded Hugging Face days and EXTRA, and the client set up for it."""
    if huggingface_hub.constants.HF_HUB_OFFLINE:
        pytest.fail("HF_HUB_OFFLINE is set: the client then refuses every request, paperfeed's too; unset it")
    data_dir = tmp_path_factory.mktemp(request.param)
    with ExitStack() as stack:
        url = (f"sqlite:///{data_dir / 'paperfeed.db'}" if request.param == "sqlite"
               else stack.enter_context(fresh_postgres_schema()))
        engine = create_engine(url)
        migrate(engine)
        report = ingest_files(engine, [*sorted(HF_API_FIXTURES.glob("*.json")),
                                       write_jsonl(data_dir / "extra.jsonl", EXTRA)])
        assert report.rejected == 0
        update_indexes(engine, data_dir)
        engine.dispose()
        server_environment = {**os.environ, "PAPERFEED_DATA_DIR": str(data_dir), "PAPERFEED_DATABASE_URL": url,
                              "PAPERFEED_SEMANTIC_SEARCH": "false", "PAPERFEED_INDEX_REFRESH_S": "0",
                              "PAPERFEED_BASE_URL": SITE_URL}
        base, _server = stack.enter_context(served(server_environment))
        trap = ProxyTrap()
        stack.callback(trap.close)
        environment = client_environment(endpoint=base, trap=trap, home=data_dir / "hf-home")
        patch = stack.enter_context(pytest.MonkeyPatch.context())
        for name in set(os.environ) - set(environment):
            patch.delenv(name)
        for name, value in environment.items():
            patch.setenv(name, value)
        huggingface_hub.close_session()  # the next session reads the proxy variables set above
        stack.callback(huggingface_hub.close_session)
        yield Site(base, HfApi(endpoint=base, token=False), environment, trap)


def hf(site: Site, *arguments: str) -> subprocess.CompletedProcess:
    """Run ``hf`` with ``HF_ENDPOINT`` pointed at the site."""
    assert HF_CLI.exists(), f"no {HF_CLI}: install the dev extra (pip install -e '.[dev]')"
    return subprocess.run([str(HF_CLI), *arguments], env=site.environment, capture_output=True, text=True,
                          timeout=120)


def hf_json(site: Site, *arguments: str):
    result = hf(site, *arguments, "--format", "json")
    assert result.returncode == 0, result.stdout + result.stderr
    return json.loads(result.stdout)


def _collapse(text: str | None) -> str | None:
    return " ".join(text.split()) if text is not None else None


def _username(paper: PaperInfo) -> str | None:
    return paper.submitted_by.username if paper.submitted_by else None


def _organization(paper: PaperInfo) -> str | None:
    """The organisation's name as paperfeed keeps it (whitespace collapsed, as on ingest)."""
    return _collapse(paper.organization.fullname) if paper.organization else None


def _recorded(day: str) -> list[dict]:
    return json.loads((HF_API_FIXTURES / f"{day}.json").read_text())


# paper_info: an organisation is an object, and every field reads as Hugging Face's does.

def test_paper_info_reads_a_paper_with_an_organisation(site):
    info = site.api.paper_info("2608.19880")
    assert isinstance(info.organization, Organization)
    assert (info.organization.name, info.organization.fullname) == ("Google", "Google")
    assert info.title == "EnvHarness: Awakening Static Worlds for Agent Learning"
    assert [author.name for author in info.authors][:3] == ["Chengsong Huang", "Zifeng Wang", "Rujun Han"]
    assert info.published_at == datetime(2026, 8, 20, tzinfo=UTC)
    assert info.submitted_at == datetime(2026, 8, 21, tzinfo=UTC)
    assert (info.submitted_by.username, info.submitted_by.fullname) == ("taesiri", "taesiri")
    assert (info.upvotes, info.comments, info.github_stars) == (163, 1, 8)
    assert info.github_repo == "https://github.com/google-research/envharness"
    assert info.project_page == "https://envharness.com/"
    assert info.ai_summary.startswith("EnvHarness and EnvRigger") and "EnvRigger" in info.ai_keywords
    assert site.api.paper_info("2608.19880v2").id == "2608.19880"
    assert site.api.paper_info("local:undated").organization is None


@pytest.mark.parametrize("day", RECORDED_DAYS)
def test_paper_info_gives_every_field_as_hugging_face_does(site, day):
    """Hugging Face's ``/api/papers/{id}`` answers the paper object of its daily papers items: the
    client reads ours into the same values as it reads theirs (the organisation's Hub handle and a
    submitter's display name aside, which paperfeed does not keep)."""
    for item in _recorded(day):
        theirs = PaperInfo(**copy.deepcopy(item["paper"]))
        ours = site.api.paper_info(theirs.id)
        assert _collapse(ours.title) == _collapse(theirs.title)
        assert _collapse(ours.summary) == _collapse(theirs.summary)
        assert [a.name for a in ours.authors] == [a.name for a in theirs.authors]
        assert ours.published_at.date() == theirs.published_at.date()
        assert ours.upvotes == theirs.upvotes and ours.comments == item["numComments"]
        if theirs.submitted_at:  # the 2024 items have no submittedOnDailyAt
            assert ours.submitted_at == theirs.submitted_at
        assert _username(ours) == _username(theirs)
        assert _organization(ours) == _organization(theirs)
        for name in ("ai_summary", "project_page", "github_repo", "github_stars"):
            assert getattr(ours, name) == getattr(theirs, name), (theirs.id, name)
        assert (ours.ai_keywords or None) == theirs.ai_keywords


def test_hf_papers_info_prints_the_paper(site):
    info = hf_json(site, "papers", "info", "2608.19880")
    assert info["id"] == "2608.19880" and info["organization"]["fullname"] == "Google"
    assert info["submitted_by"]["username"] == "taesiri" and info["upvotes"] == 163
    missing = hf(site, "papers", "info", "2608.99999")
    assert missing.returncode == 1 and "Paper '2608.99999' not found" in missing.stdout + missing.stderr


# list_daily_papers and `hf papers ls`: periods, submitter, both sorts, pages.

@pytest.mark.parametrize("day", RECORDED_DAYS)
def test_list_daily_papers_reads_as_hugging_face_does(site, day):
    recorded = _recorded(day)
    listed = list(site.api.list_daily_papers(date=day, limit=100))
    assert {paper.id for paper in listed} == {item["paper"]["id"] for item in recorded}
    assert [paper.upvotes for paper in listed] == [item["paper"]["upvotes"] or None for item in recorded]
    ours = {paper.id: paper for paper in listed}
    for item in recorded:
        theirs, mine = PaperInfo(**copy.deepcopy(item)), ours[item["paper"]["id"]]
        assert _collapse(mine.title) == _collapse(item["paper"]["title"])
        assert [a.name for a in mine.authors] == [a.name for a in theirs.authors]
        assert (mine.upvotes, mine.comments) == (theirs.upvotes, theirs.comments)
        assert mine.published_at.date() == theirs.published_at.date()
        # submitted_at is "when the paper appeared in daily papers" (the client's docstring): the listing
        # time, where Hugging Face gave it (its 2024 items have the listing day alone)
        submitted = item["paper"].get("submittedOnDailyAt")
        if submitted:
            assert mine.submitted_at == datetime.fromisoformat(submitted)
        else:
            assert mine.submitted_at.date() == datetime.fromisoformat(item["publishedAt"]).date()
        assert _organization(mine) == _organization(theirs)
        assert getattr(mine.submitted_by, "name", None) == getattr(theirs.submitted_by, "name", None)


def test_list_daily_papers_by_week_month_and_page(site):
    assert len(list(site.api.list_daily_papers(week="2025-W23"))) == 20
    assert len(list(site.api.list_daily_papers(month="2024-05"))) == 13
    everything = [paper.id for paper in site.api.list_daily_papers(date="2025-06-02", limit=100)]
    pages = [paper.id for page in range(4) for paper in site.api.list_daily_papers(date="2025-06-02", p=page, limit=6)]
    assert pages == everything
    latest = {paper.id for paper in site.api.list_daily_papers()}  # the latest day
    assert latest == {item["paper"]["id"] for item in _recorded("2026-08-21")}


def test_list_daily_papers_keeps_one_submitters_papers(site):
    on_the_day = list(site.api.list_daily_papers(date="2026-08-21", submitter="taesiri"))
    assert [paper.id for paper in on_the_day] == ["2608.19880", "2608.19891"]
    assert {paper.submitted_by.fullname for paper in on_the_day} == {"taesiri"}
    # Without a period: that submitter's papers of every day (the member TAESIRI too: case is ignored).
    every_day = {paper.id for paper in site.api.list_daily_papers(submitter="taesiri", limit=100)}
    assert every_day == {"2608.19880", "2608.19891", "2505.23941", "2401.00001"}
    assert list(site.api.list_daily_papers(submitter="nobody-at-all")) == []
    trending = [paper.id for paper in site.api.list_daily_papers(sort="trending", submitter="taesiri",
                                                                 date="2026-08-21")]
    assert trending == ["2608.19880", "2608.19891"]


def test_list_daily_papers_sorted_by_publication_and_by_trending(site):
    # Newest papers first by their own date: the PUBLISHED_AT column `hf papers ls` prints.
    newest = list(site.api.list_daily_papers(date="2025-06-02", sort="publishedAt", limit=100))
    assert len(newest) == 20
    dates = [paper.published_at for paper in newest]
    assert dates == sorted(dates, reverse=True) and dates[0].date().isoformat() == "2025-05-30"
    week = list(site.api.list_daily_papers(week="2025-W23", sort="publishedAt"))
    assert [paper.published_at for paper in week] == sorted((paper.published_at for paper in week), reverse=True)
    trending = list(site.api.list_daily_papers(date="2026-08-21", sort="trending", limit=5))
    scores = [paper.trending["score"] for paper in trending]  # the score's parts ride along (PaperInfo keeps them)
    assert len(trending) == 5 and scores == sorted(scores, reverse=True)
    assert trending[0].id == "2608.19880"
    assert len(list(site.api.list_daily_papers(sort="trending", limit=3))) == 3  # the trending window


def test_hf_papers_ls_with_every_option(site):
    def ids(*options: str) -> list[str]:
        return [row["id"] for row in hf_json(site, "papers", "ls", *options)]

    latest = hf_json(site, "papers", "ls", "--limit", "3")
    assert [row["id"] for row in latest] == ["2608.19880", "2608.18580", "2608.20335"]
    assert latest[0]["submitted_by_name"] == "taesiri" and latest[0]["upvotes"] == 163
    assert len(ids("--date", "2024-05-27")) == 13
    assert len(ids("--week", "2025-W23")) == 20
    assert len(ids("--month", "2026-08")) == 17
    assert set(ids("--submitter", "taesiri")) == {"2608.19880", "2608.19891", "2505.23941", "2401.00001"}
    assert ids("--date", "2025-06-02", "--sort", "publishedAt", "--limit", "1") == [
        paper.id for paper in site.api.list_daily_papers(date="2025-06-02", sort="publishedAt", limit=1)]
    printed = [row["published_at"] for row in hf_json(site, "papers", "ls", "--date", "2025-06-02", "--sort",
                                                       "publishedAt")]
    assert printed == sorted(printed, reverse=True)  # the column the user reads is in order
    assert ids("--date", "2026-08-21", "--sort", "trending", "--limit", "1") == ["2608.19880"]
    table = hf(site, "papers", "ls", "--date", "2026-08-21", "--limit", "2", "--format", "human")
    assert table.returncode == 0 and "2608.19880" in table.stdout and "taesiri" in table.stdout
    bad = hf(site, "papers", "ls", "--date", "2025-02-30")
    assert bad.returncode == 1 and "not a real date" in bad.stdout + bad.stderr


# list_papers and `hf papers search`: a query, or every paper newest first.

def test_list_papers_with_a_query_and_hf_papers_search(site):
    found = list(site.api.list_papers(query="EnvHarness", limit=5))
    assert found[0].id == "2608.19880" and found[0].organization.fullname == "Google"
    rows = hf_json(site, "papers", "search", "rejected draft tokens", "--limit", "3")
    assert rows[0]["id"] == "2401.00001" and rows[0]["title"].startswith("Reusing rejected draft tokens")


def test_a_persons_name_finds_their_papers_through_the_client(site):
    """Issue 25: a name is read as a name, never "corrected" into other words: ``hf papers search``
    and ``list_papers`` give that person's paper first, however the name is written."""
    rows = hf_json(site, "papers", "search", "Boshi Wang", "--limit", "3")
    assert rows[0]["id"] == "2405.15071"
    for query in ("Wang, Boshi", "B. Wang grokked transformers"):
        assert next(iter(site.api.list_papers(query=query, limit=3))).id == "2405.15071"


def test_list_papers_with_no_query_lists_every_paper_newest_first(site):
    papers = list(site.api.list_papers(limit=100))
    assert len(papers) == PAPERS and papers[-1].id == "local:undated"
    dated = [paper.published_at for paper in papers[:-1]]
    assert dated == sorted(dated, reverse=True) and papers[0].published_at == datetime(2026, 8, 20, tzinfo=UTC)
    assert [paper.id for paper in site.api.list_papers()] == [paper.id for paper in papers[:20]]  # 20 by default


def test_every_paper_pages_by_cursor_as_the_hub_pages(site):
    """``GET /api/papers`` (and a search with no words) give the next page in a ``Link`` header,
    which the client's own paginator follows to the end."""
    every = [paper["id"] for paper in paginate(f"{site.base}/api/papers", params={"limit": 7}, headers={})]
    assert len(every) == len(set(every)) == PAPERS
    assert every == [paper.id for paper in site.api.list_papers(limit=100)]
    searched = [item["paper"]["id"] for item in paginate(f"{site.base}/api/papers/search", params={"limit": 10},
                                                         headers={})]
    assert searched == every
    bad = httpx.get(f"{site.base}/api/papers", params={"cursor": "not-a-cursor"})
    assert bad.status_code == 400 and bad.json()["field"] == "cursor"


# read_paper and `hf papers read`: the paper as Markdown.

def test_read_paper_gives_the_paper_as_markdown(site):
    text = site.api.read_paper("2608.19880")
    assert text.startswith("# EnvHarness: Awakening Static Worlds for Agent Learning\n")
    assert "**Authors:** Chengsong Huang, Zifeng Wang" in text
    for link in ("Paper page: <https://papers.example.org/papers/2608.19880>",
                 "arXiv: <https://arxiv.org/abs/2608.19880>", "PDF: <https://arxiv.org/pdf/2608.19880>",
                 "Code: <https://github.com/google-research/envharness>", "Project page: <https://envharness.com/>"):
        assert f"- {link}" in text
    assert "**Listed:** 2026-08-21 by taesiri" in text and "**Upvotes:** 163" in text
    assert "## Abstract\n\nLLM agents learn by interacting with environments" in text
    assert "## AI summary\n\nEnvHarness and EnvRigger" in text and "**AI keywords:** LLM agents" in text
    assert "- Organization: Google" in text
    assert site.api.read_paper("2608.19880v1") == text
    with pytest.raises(HfHubHTTPError) as missing:
        site.api.read_paper("2608.99999")
    assert missing.value.response.status_code == 404


def test_markdown_shows_titles_and_abstracts_as_typed(site):
    text = site.api.read_paper("local:markup")
    assert text.startswith(r"# Brackets \[x\](https://evil.example) and \<b\>tags\</b\> stay \*text\*" + "\n")
    assert r"**Authors:** O'Brien \& Sons" in text
    assert "\n\\# Not a heading\n\nA second paragraph, with a\\_b and \\`code\\`.\n" in text
    assert "arXiv:" not in text  # not an arXiv paper


def test_hf_papers_read_and_accept_markdown(site):
    read = hf(site, "papers", "read", "2608.19880")
    assert read.returncode == 0 and read.stdout.strip() == site.api.read_paper("2608.19880").strip()
    missing = hf(site, "papers", "read", "2608.99999")
    assert missing.returncode == 1 and "Paper '2608.99999' not found" in missing.stdout + missing.stderr
    bad = hf(site, "papers", "read", "not an id")
    assert bad.returncode == 1 and "is neither an arXiv id" in bad.stdout + bad.stderr
    asked = httpx.get(f"{site.base}/papers/2608.19880", headers={"Accept": "text/markdown"})
    assert asked.headers["content-type"] == "text/markdown; charset=utf-8" and "Accept" in asked.headers["vary"]
    assert asked.text == site.api.read_paper("2608.19880")
    page = httpx.get(f"{site.base}/papers/2608.19880", headers={"Accept": "text/html,*/*;q=0.8"})
    assert page.headers["content-type"].startswith("text/html") and "Accept" in page.headers["vary"]


# Nothing left this machine.

def test_the_trap_catches_a_request_for_another_host(tmp_path):
    """The check below means something: with these settings a request for any host but 127.0.0.1
    (here one that does not exist) goes to the trap, not out."""
    trap = ProxyTrap()
    try:
        environment = client_environment(endpoint="http://paperfeed.invalid", trap=trap, home=tmp_path)
        result = subprocess.run([str(HF_CLI), "papers", "info", "2608.19880"], env=environment,
                                capture_output=True, text=True, timeout=120)
        assert result.returncode != 0
        assert "GET http://paperfeed.invalid/api/papers/2608.19880 HTTP/1.1" in trap.requests
    finally:
        trap.close()


def test_the_client_asked_nothing_of_any_other_host(site):
    assert site.trap.requests == []

