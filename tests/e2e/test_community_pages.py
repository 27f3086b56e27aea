"""The community in a real browser (issue 5): sign up, confirm by the emailed link (a real aiosmtpd
server receives it), upvote, comment, reply, sign out; a screenshot of the discussion for docs/."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import serve
from tests.smtp_server import SmtpServer

pytestmark = pytest.mark.browser

SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
PASSWORD = "violet staircase 42"


@pytest.fixture(scope="module")
def mailbox():
    with SmtpServer() as server:
        yield server


@pytest.fixture(scope="module")
def community_site(sample_data_dir, tmp_path_factory, mailbox):
    data_dir = shutil.copytree(sample_data_dir, tmp_path_factory.mktemp("community") / "data")
    yield from serve(data_dir, {"PAPERFEED_SMTP_HOST": "127.0.0.1", "PAPERFEED_SMTP_PORT": str(mailbox.port),
                                "PAPERFEED_SMTP_SECURITY": "none", "PAPERFEED_MAIL_FROM": "paperfeed <noreply@localhost>"})


def test_sign_up_confirm_upvote_comment_reply(open_page, community_site, mailbox):
    page = open_page(community_site, viewport={"width": 1100, "height": 1400})
    page.goto("/")
    page.get_by_role("link", name="Sign up").click()
    page.get_by_label("Name").fill("dana")
    page.get_by_label("Email").fill("dana@example.org")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign up").click()
    expect(page.locator(".form-done")).to_contain_text("we sent a link to dana@example.org")

    message = mailbox.message_to("dana@example.org")
    link = re.search(r"https?://\S+/confirm\?token=\S+", message.get_content())[0]
    page.goto("/confirm" + link.split("/confirm", 1)[1])  # the link names the configured site; follow its path
    expect(page.locator(".form-done")).to_contain_text("Your address is confirmed")

    page.goto("/")
    card = page.locator("article.card").first
    title = card.locator("h2 a").inner_text()
    before = int(card.locator(".vote-count").inner_text().replace(",", ""))
    card.locator("button.vote-button").click()
    expect(card.locator(".vote-count")).to_have_text(f"{before + 1:,}")

    card.locator("h2 a").click()
    expect(page.locator("h1.paper-title")).to_have_text(title)
    paper_url = page.url
    page.get_by_label("Add a comment").fill("The **ablation** in section 4 is convincing. <script>window.__xss=1</script>")
    page.get_by_role("button", name="Comment", exact=True).click()
    comment = page.locator("li.comment").first
    expect(comment.locator("strong", has_text="ablation")).to_be_visible()
    assert page.evaluate("window.__xss") is None
    comment.locator("summary", has_text="Reply").click()
    comment.get_by_label("Your reply").fill("Agreed, and the code is out.")
    comment.get_by_role("button", name="Reply").click()
    expect(page.locator("li.comment li.comment")).to_contain_text("Agreed, and the code is out.")
    expect(page.locator("#comments h2")).to_have_text("Discussion (2)")
    page.locator("#comments").screenshot(path=str(SCREENSHOTS / "paper-comments.png"))

    page.get_by_role("link", name="Library").click()
    page.get_by_label("New collection").fill("Worth a second read")
    page.get_by_role("button", name="Create collection").click()
    expect(page.locator("h1")).to_have_text("Worth a second read")
    page.goto(paper_url)  # the paper page again, now offering the collection
    save = page.locator(".paper-save")
    save.locator("summary").click()
    save.get_by_role("button", name="Worth a second read").click()
    expect(save.locator(".save-status")).to_have_text("Saved in Worth a second read.")
    page.get_by_role("link", name="Library").click()
    page.get_by_role("link", name="Worth a second read").click()
    expect(page.locator(".collection-items")).to_contain_text(title)
    with page.expect_download() as download_info:
        page.get_by_role("link", name="BibTeX").click()
    bibtex = Path(download_info.value.path()).read_text()
    assert bibtex.startswith("@misc{") and "archivePrefix = {arXiv}" in bibtex

    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("link", name="Sign in")).to_be_visible()
