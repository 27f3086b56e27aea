"""Members in a real browser (issue 4): sign in, submit an arXiv link (answered by a local server
replaying arXiv's recorded answer), feature a new paper with a click, and find both on today's page."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys

import pytest
from playwright.sync_api import expect

from tests.conftest import FIXTURES
from tests.e2e.conftest import cli_environment, run_cli, serve
from tests.replay_server import ReplayServer, Reply

pytestmark = pytest.mark.browser

ONE_PAPER = (FIXTURES / "arxiv-api" / "query_idlist-1111.2011v2_doi-journalref_2016-legacy-format.xml").read_bytes()
PASSWORD = "correct horse battery"


@pytest.fixture(scope="module")
def member_site(sample_data_dir, tmp_path_factory):
    root = tmp_path_factory.mktemp("members")
    data_dir = shutil.copytree(sample_data_dir, root / "data")
    new = root / "new.jsonl"
    new.write_text(json.dumps({"id": "2611.00042", "title": "A freshly announced paper on tokenizers",
                               "abstract": "Faster tokenisation.", "date": "2026-11-27", "categories": ["cs.CL"],
                               "listed": False}) + "\n")
    run_cli("ingest", str(new), data_dir=data_dir)
    subprocess.run([sys.executable, "-m", "paperfeed.cli", "user", "add", "alice", "--password-stdin"], input=PASSWORD + "\n",
                   env=cli_environment(data_dir), text=True, check=True, capture_output=True)
    with ReplayServer(lambda path, params: Reply(body=ONE_PAPER)) as arxiv:
        yield from serve(data_dir, {"PAPERFEED_ARXIV_API_URL": arxiv.url + "/api/query", "PAPERFEED_ARXIV_DELAY_S": "0"})


def test_member_submits_and_features_papers(open_page, member_site):
    page = open_page(member_site)
    page.goto("/submit")
    page.wait_for_url("**/signin?next=/submit")
    page.get_by_label("Name").fill("alice")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/submit")

    page.get_by_label("arXiv id or link").fill("https://arxiv.org/abs/1111.2011v2")
    page.get_by_role("button", name="Submit").click()
    expect(page.locator(".form-done")).to_contain_text("Quantum Criticality for Extended Nodes")

    page.goto("/papers/new?date=2026-11-27")
    row = page.locator("article.card", has_text="A freshly announced paper on tokenizers")
    row.get_by_role("button", name="Feature").click()
    expect(page.locator("article.card", has_text="A freshly announced paper on tokenizers")).to_contain_text("Featured")

    page.goto("/")
    expect(page.locator("main")).to_contain_text("Quantum Criticality for Extended Nodes")
    expect(page.locator("main")).to_contain_text("A freshly announced paper on tokenizers")
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("link", name="Sign in")).to_be_visible()


def test_member_upvotes_without_a_reload(open_page, member_site):
    page = open_page(member_site)
    page.goto("/signin")
    page.get_by_label("Name").fill("alice")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.goto("/papers/trending")
    card = page.locator("article.card").first
    count = card.locator(".vote-count")
    before = int(count.inner_text().replace(",", ""))
    page.evaluate("window.__same_page = true")
    card.locator("button.vote-button").click()
    expect(count).to_have_text(f"{before + 1:,}")
    expect(card.locator("button.vote-button")).to_have_attribute("aria-pressed", "true")
    assert page.evaluate("window.__same_page") is True  # no reload
    card.locator("button.vote-button").click()  # undo
    expect(count).to_have_text(f"{before:,}")
    page.reload()
    expect(page.locator("article.card").first.locator(".vote-count")).to_have_text(f"{before:,}")
