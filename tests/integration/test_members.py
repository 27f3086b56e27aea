"""Members sign in, submit arXiv papers (fetched from a local server replaying arXiv's answers),
and feature new papers; forms need the session's CSRF token."""

import re
from datetime import date

import pytest

from paperfeed.members.accounts import create_user
from paperfeed.ingest.files import ingest_files
from tests.conftest import FIXED_NOW, FIXTURES, make_client, write_jsonl
from paperfeed.sources.http import PoliteClient
from tests.replay_server import FakeClock, ReplayServer, Reply

API = FIXTURES / "arxiv-api"
ONE_PAPER = (API / "query_idlist-1111.2011v2_doi-journalref_2016-legacy-format.xml").read_bytes()
EMPTY = (API / "query_idlist-nonexistent-0000.0000_empty-totalResults0_2026.xml").read_bytes()
BAD_ID = (FIXTURES / "arxiv-api-error" / "query_idlist-abc_incorrect-id-format_HTTP400_2026.xml").read_bytes()
PASSWORD = "correct horse battery"


def arxiv_route(path, params):
    ids = params.get("id_list", "")
    if ids == "1111.2011":
        return Reply(body=ONE_PAPER, headers={"Content-Type": "application/atom+xml"})
    if ids == "9999.99999":
        return Reply(status=400, body=BAD_ID)
    if ids == "2401.00009":
        return Reply(status=503)
    return Reply(body=EMPTY)


@pytest.fixture
def arxiv():
    with ReplayServer(arxiv_route) as server:
        yield server


@pytest.fixture
def site(engine, tmp_path, arxiv):
    create_user(engine, "alice", PASSWORD)
    client = make_client(engine, tmp_path, arxiv_api_url=arxiv.url + "/api/query", arxiv_delay_s=0)
    fake = FakeClock()  # retries wait on a fake clock, not for real
    client.app.state.arxiv_client = PoliteClient(user_agent="test", retries=2, clock=fake, sleep=fake.sleep)
    return client


def csrf_of(html: str) -> str:
    return re.search(r'name="csrf" value="(?P<value>[^"]+)"', html)["value"]


def sign_in(client, name="alice", password=PASSWORD, next_page="/"):
    token = csrf_of(client.get("/signin").text)
    return client.post("/signin", data={"username": name, "password": password, "csrf": token, "next": next_page},
                       follow_redirects=False)


def test_submit_needs_a_member_and_lists_the_paper_today(site, arxiv):
    assert site.get("/submit", follow_redirects=False).headers["location"] == "/signin?next=/submit"
    assert sign_in(site, password="wrong password!").status_code == 400
    answer = sign_in(site, next_page="/submit")
    assert (answer.status_code, answer.headers["location"]) == (303, "/submit")
    page = site.get("/submit").text
    done = site.post("/submit", data={"arxiv_id": "https://arxiv.org/pdf/1111.2011v2.pdf", "csrf": csrf_of(page)})
    assert done.status_code == 200 and "Listed today" in done.text and "Quantum Criticality" in done.text
    assert arxiv.requests[-1].params == {"id_list": "1111.2011", "max_results": "1"}
    front = site.get(f"/papers/date/{FIXED_NOW.date()}").text
    assert "Quantum Criticality for Extended Nodes" in front and "alice" in front

    again = site.post("/submit", data={"arxiv_id": "arXiv:1111.2011v1", "csrf": csrf_of(page)})
    assert again.status_code == 400 and "already listed" in again.text


@pytest.mark.parametrize(("text", "message", "status"), [
    ("not an id", "is not an arXiv id or link", 400),
    ("0000.00001", "arXiv does not know 0000.00001", 400),
    ("9999.99999", "arXiv says", 400),
    ("2401.00009", "arXiv could not be reached; try again later", 503),
])
def test_submission_errors_are_clear(site, text, message, status):
    sign_in(site)
    page = site.get("/submit").text
    answer = site.post("/submit", data={"arxiv_id": text, "csrf": csrf_of(page)})
    assert answer.status_code == status and message in answer.text


def test_forms_without_the_csrf_token_are_refused(site):
    sign_in(site)
    answer = site.post("/submit", data={"arxiv_id": "1111.2011"})
    assert answer.status_code == 403 and "expired or came from another site" in answer.text


def test_signin_never_redirects_to_another_site(site):
    # Browsers drop tabs and newlines from URLs: "/<tab>/evil.example" would lead to //evil.example.
    for target in ("//evil.example", "https://evil.example/", "/\\evil.example", "/\t/evil.example",
                   "/\n/evil.example", "/\r\n/evil.example", "javascript:alert(1)"):
        assert sign_in(site, next_page=target).headers["location"] == "/"


def signin_link_in(html: str, text: str) -> str:
    """The href of the sign-in link around or before ``text`` on a page (the first /signin?next= link)."""
    import html as html_module

    found = re.search(r'href="(/signin\?next=[^"]+)"[^>]*>\s*(?:<[^>]+>\s*)*' + re.escape(text), html)
    assert found, f"no sign-in link for {text!r}"
    return html_module.unescape(found[1])


def test_every_sign_in_link_comes_back_to_the_same_url(site, engine, tmp_path):
    """Issue 16: a visitor who follows "Sign in to ..." on page 2 of a list, a filtered search or a
    paper's discussion comes back to exactly that page once signed in."""
    from urllib.parse import parse_qs, unquote, urlsplit

    day = FIXED_NOW.date().isoformat()
    ingest_files(engine, [write_jsonl(tmp_path / "many.jsonl", [
        {"id": f"2608.{n:05d}", "title": f"Paper number {n}", "authors": ["Ada Lovelace"], "date": day,
         "upvotes": 100 - n, "listed": True} for n in range(1, 56)])])

    def comes_back_to(link: str, expected: str) -> None:
        next_page = parse_qs(urlsplit(link).query)["next"][0]
        assert next_page == expected
        form = site.get(link).text
        assert f'name="next" value="{expected}"'.replace("&", "&amp;") in form
        assert unquote(sign_in(site, next_page=next_page).headers["location"]) == expected
        site.cookies.clear()

    list_page = site.get(f"/papers/date/{day}?page=2").text
    assert "Paper number 55" in list_page  # page 2 of 55 papers, 50 a page
    comes_back_to(signin_link_in(list_page, "▲"), f"/papers/date/{day}?page=2")  # an upvote
    header = signin_link_in(list_page, "Sign in")
    comes_back_to(header, f"/papers/date/{day}?page=2")
    paper = site.get("/papers/2608.00007").text
    comes_back_to(signin_link_in(paper, "Sign in</a> to join the discussion"), "/papers/2608.00007#comments")
    author = site.get("/authors/Ada Lovelace").text
    comes_back_to(signin_link_in(author, "Sign in to follow Ada Lovelace"), "/authors/Ada Lovelace")
    # Pages for members redirect there, their query kept: a search saved as an alert, the submit form.
    for wanted in ("/alerts?q=diffusion+models&category=cs.CL", "/submit?arxiv_id=2401.00001", "/feed"):
        redirect = site.get(wanted, follow_redirects=False)
        assert redirect.status_code == 303
        comes_back_to(redirect.headers["location"], wanted)
    assert site.get("/signin").text.count('name="next" value="/"') == 1  # from nowhere: the front page


def test_api_submit(site):
    assert site.post("/api/papers/submit", json={"arxiv_id": "1111.2011"}).status_code == 401
    sign_in(site)
    created = site.post("/api/papers/submit", json={"arxiv_id": "1111.2011v2"})
    assert created.status_code == 201 and created.json()["id"] == "1111.2011"
    assert created.json()["listedOn"] == FIXED_NOW.date().isoformat()
    assert site.post("/api/papers/submit", json={"arxiv_id": "1111.2011"}).status_code == 409
    bad = site.post("/api/papers/submit", json={"arxiv_id": "nope"})
    assert bad.status_code == 400 and bad.json()["field"] == "arxiv_id"


def test_new_papers_page_and_featuring(site, engine, tmp_path):
    ingest_files(engine, [write_jsonl(tmp_path / "new.jsonl", [
        {"id": "2608.00001", "title": "A new language model", "date": "2026-08-21", "categories": ["cs.CL"],
         "listed": False},
        {"id": "2608.00002", "title": "A new vision model", "date": "2026-08-21", "categories": ["cs.CV"],
         "listed": False},
    ])])
    page = site.get("/papers/new?date=2026-08-21").text
    assert "A new language model" in page and "A new vision model" in page and "Feature" not in page
    only_cl = site.get("/papers/new", params={"date": "2026-08-21", "category": "cs.CL"}).text
    assert "A new language model" in only_cl and "A new vision model" not in only_cl
    assert site.get("/papers/new?date=yesterday").status_code == 400

    sign_in(site)
    page = site.get("/papers/new?date=2026-08-21").text
    answer = site.post("/papers/2608.00001/feature", data={"csrf": csrf_of(page), "back": "/papers/new?date=2026-08-21"},
                       follow_redirects=False)
    assert answer.status_code == 303
    assert "A new language model" in site.get(f"/papers/date/{FIXED_NOW.date()}").text
    assert "Featured" in site.get("/papers/new?date=2026-08-21").text
    assert date(2026, 8, 21)  # the announcement day stays the paper's date


def test_admin_page_shows_fetch_status_to_admins_only(site, engine):
    from paperfeed.db import fetch_state
    from paperfeed.db.engine import write_transaction

    with write_transaction(engine) as connection:
        fetch_state.save_cursor(connection, "arxiv-oai:cs", {"from": "2026-08-21", "token": "726959|1001"}, now=FIXED_NOW)
        fetch_state.record_run(connection, "arxiv-oai:cs", outcome="partial", message="10 added; 1 problem",
                               counts={"added": 10, "rejected": 1}, now=FIXED_NOW)
    assert site.get("/admin", follow_redirects=False).headers["location"].startswith("/signin")
    sign_in(site)
    assert site.get("/admin").status_code == 403
    create_user(engine, "root", PASSWORD, role="admin")
    site.cookies.clear()
    sign_in(site, name="root")
    page = site.get("/admin").text
    assert "arxiv-oai:cs" in page and "partial" in page and "726959|1001" in page and "added 10" in page


def test_editors_unfeature_papers(site, engine):
    from paperfeed.members.accounts import promote

    sign_in(site)
    page = site.get("/submit").text
    site.post("/submit", data={"arxiv_id": "1111.2011", "csrf": csrf_of(page)})
    paper = site.get("/papers/1111.2011").text
    assert "Un-feature" not in paper
    assert site.post("/papers/1111.2011/unfeature", data={"csrf": csrf_of(paper)}).status_code == 403
    promote(engine, "alice", "editor")
    paper = site.get("/papers/1111.2011").text
    answer = site.post("/papers/1111.2011/unfeature", data={"csrf": csrf_of(paper), "back": "/papers/1111.2011"},
                       follow_redirects=False)
    assert answer.status_code == 303
    assert "Quantum Criticality" not in site.get(f"/papers/date/{FIXED_NOW.date()}").text
    assert "Quantum Criticality" in site.get("/papers/1111.2011").text  # the paper stays
