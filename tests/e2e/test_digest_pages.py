"""The digest in a real browser (issue 6): subscribe from the footer, confirm by the emailed link
(a real aiosmtpd server receives it), get the digest from `paperfeed digest send`, see it
rendered, and unsubscribe with one click from its footer; a screenshot of the digest for docs/."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import CLI_TIMEOUT_SECONDS, cli_environment, serve
from tests.smtp_server import SmtpServer

pytestmark = pytest.mark.browser

SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
MONDAY_AFTER_THE_SAMPLE = "2026-08-24"  # its daily digest covers Friday 21 August, the sample's last day
# Digests are sent with the site's public address in their links (never 127.0.0.1); the browser opens
# their paths on the local server, as the public address would reach it through a proxy.
PUBLIC_URL = "https://papers.example.org"


@pytest.fixture(scope="module")
def mailbox():
    with SmtpServer() as server:
        yield server


@pytest.fixture(scope="module")
def site_and_env(sample_data_dir, tmp_path_factory, mailbox):
    data_dir = shutil.copytree(sample_data_dir, tmp_path_factory.mktemp("digest") / "data")
    env = {"PAPERFEED_SMTP_HOST": "127.0.0.1", "PAPERFEED_SMTP_PORT": str(mailbox.port), "PAPERFEED_SMTP_TLS": "none",
           "PAPERFEED_MAIL_FROM": "paperfeed <digest@localhost>", "PAPERFEED_SECRET_KEY": "e2e-digest"}
    for base_url in serve(data_dir, env):
        yield base_url, data_dir, env


def test_subscribe_confirm_read_the_digest_and_unsubscribe(open_page, site_and_env, mailbox):
    base_url, data_dir, env = site_and_env
    page = open_page(base_url, viewport={"width": 900, "height": 1200})
    page.goto("/")
    page.get_by_role("link", name="Email digest").click()
    page.get_by_label("Email").fill("reader@example.org")
    page.get_by_label("Daily (weekdays)").check()
    page.get_by_label("Keywords (comma-separated)").fill("diffusion")
    page.get_by_role("button", name="Subscribe").click()
    expect(page.locator(".form-done")).to_contain_text("Check your inbox")

    confirmation = mailbox.messages[-1]
    link = re.search(r"https?://\S+(/subscribe/confirm\?token=\S+)", confirmation.get_content())[1]
    page.goto(link)
    expect(page.locator(".form-done")).to_contain_text("Confirmed")

    sent = subprocess.run([sys.executable, "-m", "paperfeed.cli", "digest", "send", "--period", "daily",
                           "--date", MONDAY_AFTER_THE_SAMPLE],
                          env=cli_environment(data_dir) | env | {"PAPERFEED_BASE_URL": PUBLIC_URL},
                          capture_output=True, text=True, timeout=CLI_TIMEOUT_SECONDS)
    assert sent.returncode == 0 and "1 sent" in sent.stderr, sent.stderr
    digest = mailbox.messages[-1]
    assert digest["To"] == "reader@example.org" and digest["Subject"].startswith(
        "Daily papers, Friday 21 – Sunday 23 August 2026: ")
    html = digest.get_body(("html",)).get_content()
    page.goto("about:blank")  # away from the site, whose Content-Security-Policy forbids inline styles
    page.set_content(html)  # as a mail client shows it (no site CSS: the styles are inline)
    expect(page.locator("h1")).to_have_text("Daily papers: Friday 21 – Sunday 23 August 2026")
    expect(page.locator("h2", has_text="Top papers")).to_be_visible()
    page.screenshot(path=str(SCREENSHOTS / "digest.png"), full_page=False)
    page.emulate_media(color_scheme="dark")
    assert page.evaluate("getComputedStyle(document.body).backgroundColor") == "rgb(22, 24, 28)"
    assert page.evaluate("getComputedStyle(document.querySelector('.summary')).color") == "rgb(230, 230, 230)"
    page.screenshot(path=str(SCREENSHOTS / "digest-dark.png"), full_page=False)
    page.emulate_media(color_scheme="light")

    unsubscribe = re.search(r'href="https?://[^"/]+(/unsubscribe/[^"/]+)"', html)[1]
    page.goto(base_url + unsubscribe)
    expect(page.locator("h1")).to_have_text("You are unsubscribed")
    page.get_by_role("button", name="That was a mistake: keep sending it").click()
    expect(page.locator(".form-done")).to_have_text("Saved.")
