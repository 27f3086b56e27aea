"""Issue 17: pages rendered once. Visitors share one copy of each page (with validators and
``Cache-Control: public``); each member's session has its own; a write shows at once on the node
that made it and within PAPERFEED_FRESH_WITHIN_S on the others; nobody ever gets a page made for
somebody else."""

from __future__ import annotations

import re
import time

import httpx
import pytest
from fastapi.testclient import TestClient

from paperfeed.config import Settings
from paperfeed.ingest.files import ingest_files
from paperfeed.members.accounts import create_user
from paperfeed.members.api_tokens import create_token
from paperfeed.db.users import find_by_username
from paperfeed.web.app import create_app
from paperfeed.web.page_cache import CachePolicy
from tests.conftest import FIXED_NOW, write_jsonl
from tests.integration.test_members import PASSWORD, csrf_of, sign_in
from tests.site_process import served

DAY = FIXED_NOW.date().isoformat()
PAPER = "2608.00001"


def _papers(tmp_path):
    return write_jsonl(tmp_path / "papers.jsonl", [
        {"id": f"2608.0000{n}", "title": f"Cached paper number {n}", "authors": ["Ada Lovelace"], "date": DAY,
         "listed": True, "upvotes": 10 - n, "organization": "Example Lab"} for n in range(1, 4)])


@pytest.fixture
def app(engine, tmp_path):
    ingest_files(engine, [_papers(tmp_path)])
    for name in ("alice", "bob"):
        create_user(engine, name, PASSWORD)
    settings = Settings(data_dir=tmp_path, database_url=engine.url.render_as_string(hide_password=False),
                        semantic_search=False)
    return create_app(settings, engine=engine, clock=lambda: FIXED_NOW)


def browser(app) -> TestClient:
    """One browser (its own cookie jar) on the one app, so all share its cache."""
    return TestClient(app, raise_server_exceptions=False)


def upvotes_shown(page: str, paper_id: str = PAPER) -> int:
    """The upvotes a card shows (its vote button, or the sign-in link in its place)."""
    card = next(card for card in page.split('<article class="card">') if f'href="/papers/{paper_id}"' in card)
    return int(re.search(r'class="vote-count">([\d,]+)<', card)[1].replace(",", ""))


def vote(client: TestClient, page: str, paper_id: str = PAPER, *, back: str = "/"):
    return client.post(f"/papers/{paper_id}/upvote", data={"csrf": csrf_of(page), "vote": "up", "back": back},
                       follow_redirects=False)


CACHED_ADDRESSES = ["/", f"/papers/date/{DAY}", "/papers/week/2026-W34", "/papers/month/2026-08",
                    "/papers/trending", "/papers/new", f"/papers/{PAPER}", f"/papers/{PAPER}.md",
                    "/authors/Ada Lovelace", "/orgs/Example Lab", "/search?q=cached+paper",
                    f"/api/daily_papers?date={DAY}", f"/api/papers/{PAPER}", "/api/papers/search?q=cached",
                    "/feeds/daily.atom", "/feeds/trending.rss"]


@pytest.mark.parametrize("address", CACHED_ADDRESSES)
def test_visitors_get_public_copies_with_validators_and_304s(app, address):
    visitor = browser(app)
    first = visitor.get(address)
    assert first.status_code == 200, first.text[:300]
    assert "set-cookie" not in first.headers  # viewing never starts a session
    assert first.headers["cache-control"] == "public, max-age=1, stale-while-revalidate=1"
    assert "Cookie" in first.headers["vary"] and "Accept-Encoding" in first.headers["vary"]
    etag, modified = first.headers["etag"], first.headers["last-modified"]
    assert etag.startswith('W/"')
    again = visitor.get(address)
    assert (again.content, again.headers["etag"]) == (first.content, etag)
    unchanged = visitor.get(address, headers={"If-None-Match": etag})
    assert (unchanged.status_code, unchanged.content, unchanged.headers["etag"]) == (304, b"", etag)
    assert visitor.get(address, headers={"If-Modified-Since": modified}).status_code == 304
    assert visitor.get(address, headers={"If-None-Match": '"another"', "If-Modified-Since": modified}).status_code == 200
    head = visitor.head(address, headers={"Accept-Encoding": "identity"})
    assert (head.status_code, head.content, head.headers["etag"]) == (200, b"", etag)
    assert int(head.headers["content-length"]) == len(first.content)
    plain = visitor.get(address, headers={"Accept-Encoding": "identity"})
    assert "content-encoding" not in plain.headers and plain.content == first.content
    if len(first.content) >= 1024:  # sent gzipped to clients that take it (httpx does, and decodes it)
        assert first.headers["content-encoding"] == "gzip"


def test_a_vote_shows_to_visitors_at_once_on_the_node_that_took_it(app):
    visitor, alice = browser(app), browser(app)
    before = visitor.get("/")
    assert upvotes_shown(before.text) == 9
    sign_in(alice)
    page = alice.get("/").text
    assert vote(alice, page).status_code == 303
    after = visitor.get("/")
    assert upvotes_shown(after.text) == 10
    assert after.headers["etag"] != before.headers["etag"]
    assert visitor.get("/", headers={"If-None-Match": before.headers["etag"]}).status_code == 200


def test_members_and_visitors_interleaved_never_get_each_others_pages(app):
    visitor, alice, bob = browser(app), browser(app), browser(app)
    sign_in(alice)
    sign_in(bob, name="bob")
    for _ in range(3):  # interleaved, again and again: each gets their own page every time
        for address in ("/", f"/papers/{PAPER}", "/papers/trending"):
            seen = {who: client.get(address) for who, client in
                    (("visitor", visitor), ("alice", alice), ("bob", bob))}
            assert "Sign in" in seen["visitor"].text and 'name="csrf"' not in seen["visitor"].text
            assert "set-cookie" not in seen["visitor"].headers
            for name in ("alice", "bob"):
                other = "bob" if name == "alice" else "alice"
                answer = seen[name]
                assert f"signed in as {name}" in answer.text and f"signed in as {other}" not in answer.text
                assert answer.headers["cache-control"] == "private, no-store"
                assert "etag" not in answer.headers
            assert csrf_of(seen["alice"].text) != csrf_of(seen["bob"].text)
    # Each page's token is its own session's: alice's vote goes through with hers, bob's with his.
    alice_page, bob_page = alice.get("/").text, bob.get("/").text
    assert vote(alice, alice_page).status_code == 303
    assert vote(bob, alice_page, "2608.00002").status_code == 403  # alice's token is no good to bob
    assert 'class="vote-form card-votes voted"' in alice.get("/").text
    assert 'card-votes voted' not in bob.get("/").text
    assert upvotes_shown(visitor.get("/").text) == 10
    assert upvotes_shown(bob_page) == 9 and upvotes_shown(bob.get("/").text) == 10


def test_signing_out_is_never_answered_from_the_cache(app):
    alice = browser(app)
    sign_in(alice)
    page = alice.get("/").text
    assert "signed in as alice" in page
    stolen = dict(alice.cookies)
    alice.post("/signout", data={"csrf": csrf_of(page)}, follow_redirects=False)
    thief = browser(app)
    thief.cookies.update(stolen)  # a copy of the cookie, kept from before the sign-out
    answer = thief.get("/")
    assert "signed in as alice" not in answer.text and "Sign in" in answer.text


def test_the_freshness_setting_gives_the_timings():
    assert CachePolicy.for_freshness(5) == CachePolicy(poll_s=1.0, max_age_s=1, stale_s=1, fresh_within_s=5)
    assert CachePolicy.for_freshness(41) == CachePolicy(poll_s=10.0, max_age_s=14, stale_s=15, fresh_within_s=41)
    for fresh in (0, 1, 2, 3, 4, 5, 6, 7.5, 10, 41, 300):  # poll + (max-age + 1) + stale + 1 s to render
        policy = CachePolicy.for_freshness(fresh)
        worst = policy.poll_s + (policy.max_age_s + 1 if policy.max_age_s else 0) + policy.stale_s + 1
        assert worst <= max(fresh, 1)
    assert CachePolicy.for_freshness(3).public_header() == b"public, no-cache"
    assert CachePolicy.for_freshness(7.5).public_header() == b"public, max-age=1, stale-while-revalidate=2"


def test_a_page_cache_of_zero_renders_every_request(engine, tmp_path):
    ingest_files(engine, [_papers(tmp_path)])
    settings = Settings(data_dir=tmp_path, database_url=engine.url.render_as_string(hide_password=False),
                        semantic_search=False, page_cache_mb=0)
    visitor = browser(create_app(settings, engine=engine, clock=lambda: FIXED_NOW))
    answer = visitor.get("/")
    assert answer.status_code == 200 and "etag" not in answer.headers and "cache-control" not in answer.headers


# --- several nodes: real `paperfeed serve` processes on one database --------------------------------------


def _node_env(tmp_path, url: str, name: str) -> dict:
    import os

    return {**os.environ, "PAPERFEED_DATABASE_URL": url, "PAPERFEED_DATA_DIR": str(tmp_path / name),
            "PAPERFEED_SECRET_KEY": "one secret for every node", "PAPERFEED_SEMANTIC_SEARCH": "false",
            "PAPERFEED_FRESH_WITHIN_S": "3", "PAPERFEED_INDEX_REFRESH_S": "0", "PAPERFEED_RATE_LIMITS": "false"}


@pytest.fixture
def two_nodes(engine, tmp_path):
    ingest_files(engine, [_papers(tmp_path)])
    create_user(engine, "alice", PASSWORD)
    url = engine.url.render_as_string(hide_password=False)
    with served(_node_env(tmp_path, url, "a")) as (a, _), served(_node_env(tmp_path, url, "b")) as (b, _):
        yield a, b


def test_a_vote_on_one_node_shows_to_visitors_of_another_within_the_set_time(two_nodes):
    a, b = two_nodes
    visitor = httpx.Client(base_url=b)
    assert upvotes_shown(visitor.get("/").text) == 9  # node b has it cached now
    alice = httpx.Client(base_url=a)
    sign_in(alice)
    assert vote(alice, alice.get("/").text).status_code == 303
    voted_at = time.monotonic()
    while upvotes_shown(visitor.get("/").text) != 10:
        assert time.monotonic() - voted_at < 3 + 2, "the vote did not show on the other node in time"
        time.sleep(0.1)


def test_a_members_own_vote_shows_on_their_next_page_whichever_node_serves_it(two_nodes):
    a, b = two_nodes
    on_a = httpx.Client(base_url=a)
    sign_in(on_a)
    on_b = httpx.Client(base_url=b, cookies=on_a.cookies)  # nginx sends the same browser to either node
    page = on_b.get("/").text  # cached on b for this session
    assert "signed in as alice" in page and upvotes_shown(page) == 9
    answer = vote(on_a, on_a.get("/").text)
    assert answer.status_code == 303
    on_b.cookies.update(on_a.cookies)  # the browser keeps the cookie the vote's answer set
    page = on_b.get("/").text  # at once, not a poll later
    assert upvotes_shown(page) == 10 and 'class="vote-form card-votes voted"' in page


def test_signing_out_on_one_node_ends_the_session_on_another_within_the_set_time(two_nodes):
    a, b = two_nodes
    on_a = httpx.Client(base_url=a)
    sign_in(on_a)
    on_b = httpx.Client(base_url=b, cookies=on_a.cookies)
    started = time.monotonic()
    while time.monotonic() - started < 3:  # served from b's memory, its session checked again meanwhile
        assert "signed in as alice" in on_b.get("/").text
        time.sleep(0.2)
    on_a.post("/signout", data={"csrf": csrf_of(on_a.get("/").text)}, follow_redirects=False)
    signed_out_at = time.monotonic()
    while "signed in as alice" in on_b.get("/").text:
        assert time.monotonic() - signed_out_at < 3 + 1, "node b still served the ended session"
        time.sleep(0.1)


def test_a_members_state_for_a_page_of_papers(app, engine):
    visitor, alice = browser(app), browser(app)
    nobody = visitor.get("/api/me/state", params={"papers": f"{PAPER},2608.00002"})
    assert nobody.json() == {"signedIn": False, "username": None, "csrfToken": None, "voted": [], "saved": {},
                             "collections": []}
    assert nobody.headers["cache-control"] == "private, no-store" and "set-cookie" not in nobody.headers
    sign_in(alice)
    page = alice.get("/").text
    vote(alice, page)
    alice.post(f"/papers/{PAPER}/save", data={"csrf": csrf_of(page), "back": "/", "new_collection": "Reading list"})
    state = alice.get("/api/me/state", params={"papers": f"{PAPER},2608.00002,arXiv:2608.00003v2"}).json()
    (reading,) = state["collections"]
    assert state == {"signedIn": True, "username": "alice", "csrfToken": csrf_of(page), "voted": [PAPER],
                     "saved": {PAPER: [reading["id"]]},
                     "collections": [{"id": reading["id"], "name": "Reading list", "public": False}]}
    with engine.connect() as connection:
        token = create_token(engine, find_by_username(connection, "alice"), "script")
    by_token = visitor.get("/api/me/state", params={"papers": PAPER}, headers={"Authorization": f"Bearer {token}"})
    assert by_token.json()["voted"] == [PAPER] and by_token.json()["csrfToken"] is None
    for bad, says in ((",".join(f"2608.{n:05d}" for n in range(201)), "at most 200"), ("not an id", "papers")):
        answer = alice.get("/api/me/state", params={"papers": bad})
        assert answer.status_code == 400 and says in answer.text



def test_a_comment_and_an_ingest_show_on_the_other_node_within_the_set_time(two_nodes, engine, tmp_path):
    a, b = two_nodes
    visitor = httpx.Client(base_url=b)
    assert "A remark on caching" not in visitor.get(f"/papers/{PAPER}").text
    assert "Freshly ingested" not in visitor.get("/").text  # both cached on node b now
    alice = httpx.Client(base_url=a)
    sign_in(alice)
    page = alice.get(f"/papers/{PAPER}").text
    answer = alice.post(f"/papers/{PAPER}/comments", data={"body": "A remark on caching", "csrf": csrf_of(page)},
                        follow_redirects=False)
    assert answer.status_code == 303
    ingest_files(engine, [write_jsonl(tmp_path / "later.jsonl", [  # a third process: a worker's ingest
        {"id": "2608.00009", "title": "Freshly ingested paper", "date": DAY, "listed": True}])])
    changed_at = time.monotonic()
    while "A remark on caching" not in visitor.get(f"/papers/{PAPER}").text or \
            "Freshly ingested" not in visitor.get("/").text:
        assert time.monotonic() - changed_at < 3 + 2, "the comment or the new paper did not show in time"
        time.sleep(0.1)


def test_a_members_page_needs_one_pooled_connection_not_two(database_url, tmp_path):
    """A render holds the request's connection while it asks for the member's votes and collections:
    they must use that one. With two needed, 15 members at once held every pooled connection, each
    waiting for its second, and the process stalled (bench/load.py)."""
    from paperfeed.db.engine import create_engine, migrate

    engine = create_engine(database_url, pool_size=1, max_overflow=0, pool_timeout=3)
    migrate(engine)
    ingest_files(engine, [_papers(tmp_path)])
    create_user(engine, "alice", PASSWORD)
    settings = Settings(data_dir=tmp_path, database_url=database_url, semantic_search=False, page_cache_mb=0)
    alice = browser(create_app(settings, engine=engine, clock=lambda: FIXED_NOW))
    sign_in(alice)
    for address in ("/", f"/papers/{PAPER}", "/papers/trending", "/search?q=cached"):
        answer = alice.get(address)
        assert answer.status_code == 200 and "signed in as alice" in answer.text, address
    engine.dispose()
