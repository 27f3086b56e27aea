"""Issue 16's accounts and forms in a real browser: sign in with the email address and come back to
the page left, sign up on a local site without a mail server (the page names the outbox, the log
prints the link), the digest's time-zone select with and without JavaScript, the signed-in header
on one row at 1280 px, and /api/docs working offline under the CSP. Screenshots (light, dark,
390 px phone) for docs/screenshots."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import cli_environment, serve

pytestmark = pytest.mark.browser

SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
PASSWORD = "correct horse battery"
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}
VIEWS = {
    "light": ("", {"viewport": DESKTOP, "color_scheme": "light"}),
    "dark": ("-dark", {"viewport": DESKTOP, "color_scheme": "dark"}),
    "phone": ("-phone", {"viewport": PHONE, "color_scheme": "light", "is_mobile": True, "has_touch": True}),
}
A_LIST_PAGE = "/papers/month/2026-08?page=2"  # the sample's August, page 2


@pytest.fixture(scope="module")
def forms_site(sample_data_dir, tmp_path_factory):
    """The sample, a member alice, no mail server and no public address: a site tried on a laptop.
    Yields (base URL, data directory, the server's log file)."""
    data_dir = shutil.copytree(sample_data_dir, tmp_path_factory.mktemp("forms") / "data")
    subprocess.run([sys.executable, "-m", "paperfeed.cli", "user", "add", "alice", "--email", "alice@example.org",
                    "--password-stdin"], input=PASSWORD + "\n", env=cli_environment(data_dir), text=True, check=True,
                   capture_output=True)
    for base_url in serve(data_dir, {"PAPERFEED_RATE_LIMITS": "false"}):  # many sign-ins from one address
        port = base_url.rsplit(":", 1)[1]
        yield base_url, data_dir, data_dir.parent / f"serve-{port}.log"


def sign_in(page: Page, name: str = "alice", password: str = PASSWORD) -> None:
    page.goto("/signin")
    page.get_by_label("Username or email").fill(name)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()


def assert_fits_the_width(page: Page) -> None:
    widths = page.evaluate("({scroll: document.scrollingElement.scrollWidth, inner: window.innerWidth})")
    assert widths["scroll"] <= widths["inner"], f"the page scrolls sideways: {widths}"


def record_problems(page: Page, base_url: str) -> tuple[list[str], list[str]]:
    """Console errors (a CSP refusal is one) and requests to anywhere but the site, as they happen."""
    errors: list[str] = []
    elsewhere: list[str] = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("request", lambda request: None if request.url.startswith(base_url + "/") or request.url.startswith(
        "data:") else elsewhere.append(request.url))
    return errors, elsewhere


# --- signing in and up -------------------------------------------------------------------------


def test_sign_in_with_the_email_address_comes_back_to_the_page(open_page, forms_site):
    base_url, _, _ = forms_site
    page = open_page(base_url, viewport=DESKTOP)
    page.goto(A_LIST_PAGE)
    first_title = page.locator(".card-title").first.inner_text()
    page.locator("a.vote-link").first.click()  # a visitor's upvote is a sign-in link
    page.wait_for_url(re.compile(r"/signin\?next="))
    page.get_by_label("Username or email").fill("Alice@Example.org")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(base_url + A_LIST_PAGE)
    expect(page.locator(".card-title").first).to_have_text(first_title)
    expect(page.get_by_role("link", name="alice", exact=True)).to_have_attribute("href", "/account")


@pytest.mark.parametrize("view", VIEWS, ids=list(VIEWS))
def test_sign_in_and_sign_up_pages(open_page, forms_site, view):
    base_url, _, _ = forms_site
    suffix, options = VIEWS[view]
    page = open_page(base_url, **options)
    page.goto("/signin?next=/papers/trending")
    field = page.get_by_label("Username or email")
    form = page.locator("form.stacked-form")
    assert abs(field.bounding_box()["width"] - form.bounding_box()["width"]) < 2, "a field narrower than its form"
    wrong = page.get_by_label("Password")
    field.fill("alice@example.org")
    wrong.fill("not the password")
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator(".form-error")).to_have_text("Wrong username, email address or password.")
    expect(page.get_by_label("Username or email")).to_have_value("alice@example.org")
    assert_fits_the_width(page)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SCREENSHOTS / f"signin{suffix}.png", full_page=True)

    page.goto("/signup")
    username = page.get_by_label("Username", exact=True)
    rule = page.locator("#username-rule")
    expect(rule).to_contain_text("2 to 32 letters, digits, '.', '_' or '-', starting with a letter or digit")
    assert username.get_attribute("aria-describedby") == "username-rule"
    below = rule.bounding_box()["y"] - (username.bounding_box()["y"] + username.bounding_box()["height"])
    assert 0 <= below < 16, "the rule is not next to the field"
    username.fill("ada.lovelace")
    page.get_by_label("Email").fill("ada@example.org")
    assert_fits_the_width(page)
    page.screenshot(path=SCREENSHOTS / f"signup{suffix}.png", full_page=True)
    username.fill("no spaces please")
    page.get_by_label("Password").fill("a long enough passphrase")
    page.get_by_role("button", name="Sign up").click()
    assert page.url.endswith("/signup")  # the browser checked the rule before sending anything
    assert page.evaluate("document.querySelector('input[name=username]').validity.patternMismatch")


def test_sign_up_on_a_local_site_says_where_the_mail_went(open_page, forms_site):
    base_url, data_dir, log_path = forms_site
    page = open_page(base_url, viewport=DESKTOP)
    page.goto("/signup")
    page.get_by_label("Username", exact=True).fill("dana.k")
    page.get_by_label("Email").fill("dana@example.org")
    page.get_by_label("Password").fill("a long enough passphrase")
    page.get_by_role("button", name="Sign up").click()
    expect(page.locator(".form-done")).to_contain_text("we sent a link to dana@example.org")
    notice = page.locator(".outbox-notice")
    expect(notice).to_contain_text(str((data_dir / "outbox").resolve()))
    page.screenshot(path=SCREENSHOTS / "signup-sent.png", full_page=True)

    logged = re.search(r"email to dana@example\.org.*its link: http://127\.0\.0\.1:\d+(/confirm\?token=\S+)",
                       log_path.read_text())
    assert logged, "the server's log has no link"
    page.goto(logged[1])
    expect(page.locator(".form-done")).to_have_text("Your address is confirmed.")
    expect(page.get_by_role("link", name="dana.k", exact=True)).to_be_visible()


# --- the account, the digest's time zone, the header -------------------------------------------


@pytest.mark.parametrize("view", VIEWS, ids=list(VIEWS))
def test_account_and_digest_forms(open_page, forms_site, view):
    base_url, _, _ = forms_site
    suffix, options = VIEWS[view]
    page = open_page(base_url, **options)
    sign_in(page)
    page.goto("/account")
    expect(page.get_by_role("heading", name="Your account", exact=True)).to_be_visible()
    assert_fits_the_width(page)
    page.screenshot(path=SCREENSHOTS / f"account{suffix}.png", full_page=True)

    page.goto("/account/digest")
    weekly = page.get_by_label("Weekly (Mondays)")
    label = page.locator("label", has=weekly)
    radio_box, label_box = weekly.bounding_box(), label.bounding_box()
    assert label_box["height"] < 2.2 * radio_box["height"] + 8, "the radio is not beside its label"
    weekly.check()
    search = page.get_by_label("Search time zones")
    search.fill("tokyo")
    zone = page.get_by_label("Time zone", exact=True)
    expect(zone).to_have_value("Asia/Tokyo")
    expect(page.locator(".zone-count")).to_contain_text("1 zone matches; picked: Asia/Tokyo")
    assert_fits_the_width(page)
    page.screenshot(path=SCREENSHOTS / f"account-digest{suffix}.png", full_page=True)
    page.get_by_role("button", name=re.compile("^(Subscribe|Save)$")).click()
    expect(page.locator(".form-done")).to_contain_text("Saved.")
    expect(page.get_by_label("Time zone", exact=True)).to_have_value("Asia/Tokyo")
    expect(page.get_by_label("Weekly (Mondays)")).to_be_checked()


def test_the_time_zone_without_javascript_and_from_the_device(open_page, forms_site):
    base_url, _, _ = forms_site
    page = open_page(base_url, viewport=DESKTOP, java_script_enabled=False)
    sign_in(page)
    page.goto("/account/digest")
    expect(page.get_by_label("Search time zones")).to_have_count(0)  # the select alone, as plain HTML
    page.get_by_label("Time zone", exact=True).select_option("America/Argentina/Buenos_Aires")
    page.get_by_role("button", name=re.compile("^(Subscribe|Save)$")).click()
    expect(page.get_by_label("Time zone", exact=True)).to_have_value("America/Argentina/Buenos_Aires")
    expect(page.locator("#timezone option:checked")).to_have_text("Buenos Aires (Argentina)")

    abroad = open_page(base_url, viewport=DESKTOP, timezone_id="Europe/Berlin")
    sign_in(abroad)
    abroad.goto("/account/digest")
    abroad.get_by_role("button", name="Use this device's time zone (Europe/Berlin)").click()
    expect(abroad.get_by_label("Time zone", exact=True)).to_have_value("Europe/Berlin")


@pytest.mark.parametrize("view", VIEWS, ids=list(VIEWS))
def test_the_signed_in_header(open_page, forms_site, view):
    base_url, _, _ = forms_site
    suffix, options = VIEWS[view]
    page = open_page(base_url, **options)
    sign_in(page)
    page.goto("/feed")
    items = page.locator(".site-nav > *")
    middles = [round(box["y"] + box["height"] / 2) for box in (items.nth(n).bounding_box() for n in range(items.count()))]
    if view == "phone":
        assert_fits_the_width(page)
    else:  # 1280 px: brand, five lists, search, Submit, Feed, Library, the member, Sign out on one row
        assert max(middles) - min(middles) <= 6, f"the header wraps at 1280 px: {middles}"
    nav = page.get_by_role("navigation", name="Main")
    expect(nav.get_by_role("link", name="Feed", exact=True)).to_have_attribute("aria-current", "page")
    page.locator(".site-header").screenshot(path=SCREENSHOTS / f"header{suffix}.png")


@pytest.mark.parametrize("view", VIEWS, ids=list(VIEWS))
def test_the_feed_on_the_demo_archive(open_page, forms_site, view):
    """The sample ends on 21 August 2026, older than the feed's 30 days on the day it runs: the
    window ends there, the page says so, and following a category fills the feed."""
    base_url, _, _ = forms_site
    suffix, options = VIEWS[view]
    page = open_page(base_url, **options)
    sign_in(page)
    page.goto("/feed")
    following = page.locator(".following")
    if following.get_by_role("button", name="Unfollow cs.CL").count() == 0:
        expect(following).to_contain_text("Following: nothing yet.")
        page.get_by_label("Follow a category").select_option("cs.CL")
        page.get_by_role("button", name="Follow", exact=True).click()
    expect(following.get_by_role("button", name="Unfollow cs.CL")).to_be_visible()
    expect(page.locator(".notice")).to_contain_text("the latest day with papers")
    expect(page.locator("li.new-paper").first).to_contain_text("in cs.CL, which you follow")
    expect(page.locator(".empty")).to_have_count(0)  # no "Nothing yet" under a list of follows
    assert_fits_the_width(page)
    page.screenshot(path=SCREENSHOTS / f"feed{suffix}.png", full_page=False)


# --- /api/docs ---------------------------------------------------------------------------------


@pytest.mark.parametrize("view", VIEWS, ids=list(VIEWS))
def test_api_docs_work_offline_under_the_csp(open_page, forms_site, view):
    base_url, _, _ = forms_site
    suffix, options = VIEWS[view]
    page = open_page(base_url, **options)
    errors, elsewhere = record_problems(page, base_url)
    response = page.goto("/api/docs")
    policy = response.headers["content-security-policy"]
    assert "script-src 'self'" in policy and "unsafe" not in policy
    operation = page.locator(".opblock-summary-path", has_text=re.compile(r"^/api/daily_papers$"))
    expect(operation.first).to_be_visible()
    assert page.locator(".opblock").count() >= 10
    page.screenshot(path=SCREENSHOTS / f"api-docs{suffix}.png", full_page=False)
    operation.first.click()  # open it: its parameters come from /openapi.json
    expect(page.locator(".parameters-container").first).to_contain_text("date")
    if view == "dark":
        assert page.evaluate("document.documentElement.classList.contains('dark-mode')")
    assert errors == [], f"the page logged errors (a CSP refusal?): {errors}"
    assert elsewhere == [], f"requests left the site: {elsewhere}"
