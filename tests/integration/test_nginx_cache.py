"""Issue 17, part 4: the shipped deploy/nginx.conf, run for real in front of two `paperfeed serve`
processes on one database. Its micro-cache keeps what the app marks public (visitors' pages) and
nothing else: members and visitors never get each other's pages, a Markdown client and a browser
never get each other's copy, and a vote shows to visitors within PAPERFEED_FRESH_WITHIN_S."""

from __future__ import annotations

import re
import socket
import subprocess
import time
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from paperfeed.cli import KEEP_ALIVE_S
from paperfeed.db.engine import create_engine, migrate
from paperfeed.ingest.files import ingest_files
from paperfeed.members.accounts import create_user
from tests.integration.test_digest_tls import make_certificate
from tests.integration.test_members import PASSWORD, csrf_of, sign_in
from tests.integration.test_page_cache import PAPER, _node_env, _papers, upvotes_shown, vote
from tests.nginx_conf import NGINX, SHIPPED, as_installed, nginx_command, runnable_config
from tests.site_process import free_port, served_together

FRESH_WITHIN_S = 5  # the default: public pages get max-age=1, stale-while-revalidate=1
BROWSER_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8"
# What nginx says it did (add_header X-Cache-Status $upstream_cache_status) with a copy it may keep.
FROM_THE_CACHE = {"HIT", "STALE", "UPDATING"}


def require_nginx() -> None:
    if not NGINX.exists():
        pytest.skip(f"nginx is not installed ({NGINX} is missing): apt-get install nginx-light")


@dataclass
class Site:
    base: str  # nginx
    nodes: list[str]


def _start_nginx(stack: ExitStack, *, nodes: list[str], prefix: Path) -> str:
    port = free_port()
    command = nginx_command(runnable_config(SHIPPED.read_text(), nodes=nodes, port=port, prefix=prefix), prefix)
    process = subprocess.Popen([*command, "-g", "daemon off;"], stderr=subprocess.PIPE, text=True)
    stack.callback(process.wait, timeout=30)
    stack.callback(process.terminate)
    for _ in range(100):
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                break
        except OSError:
            assert process.poll() is None, f"nginx stopped: {process.stderr.read()}"
            time.sleep(0.05)
    return f"http://127.0.0.1:{port}"


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """nginx with the shipped configuration, in front of two `paperfeed serve` on one SQLite
    database holding three listed papers and the members alice and bob. What is tested here is
    nginx's; the nodes' side on PostgreSQL too is tests/integration/test_page_cache.py's (running
    this module on both took 40-50 s on the 2-core machine, 25 s on SQLite alone)."""
    require_nginx()
    folder = tmp_path_factory.mktemp("nginx")
    with ExitStack() as stack:
        url = f"sqlite:///{folder / 'paperfeed.db'}"
        engine = create_engine(url)
        migrate(engine)
        ingest_files(engine, [_papers(folder)])
        for name in ("alice", "bob"):
            create_user(engine, name, PASSWORD)
        engine.dispose()
        envs = [{**_node_env(folder, url, name), "PAPERFEED_FRESH_WITHIN_S": str(FRESH_WITHIN_S)} for name in "ab"]
        nodes = [base for base, _ in stack.enter_context(served_together(envs))]
        yield Site(_start_nginx(stack, nodes=nodes, prefix=folder / "nginx"), nodes)


def client(site: Site, **headers: str) -> httpx.Client:
    """A browser (its own cookie jar) talking to nginx."""
    return httpx.Client(base_url=site.base, headers={"Accept": BROWSER_ACCEPT, **headers})


def member(site: Site, name: str) -> httpx.Client:
    browser = client(site)
    assert sign_in(browser, name=name).status_code == 303
    return browser


def test_the_installed_nginx_takes_the_shipped_file_as_it_is(tmp_path):
    require_nginx()
    nginx_command(as_installed(SHIPPED.read_text(), certificate=make_certificate(tmp_path), prefix=tmp_path / "nginx"),
                  tmp_path / "nginx")  # `nginx -t` passes: TLS, http2 and every directive as shipped


def test_nginx_closes_idle_connections_to_a_node_before_the_node_does():
    # Otherwise nginx may send a request (a vote: never retried) down a connection the node is
    # closing at that instant, and answer 502.
    upstream = re.search(r"upstream paperfeed_web \{(.*?)\}", SHIPPED.read_text(), re.S)[1]
    nginx_idle_s = int(re.search(r"keepalive_timeout (\d+)s;", upstream)[1])
    assert "keepalive " in upstream and nginx_idle_s < KEEP_ALIVE_S


def test_a_visitors_second_request_is_an_nginx_hit(site):
    visitor = client(site)
    first = visitor.get("/papers/week/2026-W34")
    assert first.status_code == 200 and first.headers["x-cache-status"] == "MISS"
    second = visitor.get("/papers/week/2026-W34")
    assert second.headers["x-cache-status"] == "HIT" and second.text == first.text
    # nginx keeps it max-age=1, stale-while-revalidate=1; browsers are told to ask nginx each time
    assert second.headers["cache-control"] == "public, no-cache"
    unchanged = visitor.get("/papers/week/2026-W34", headers={"If-None-Match": first.headers["etag"]})
    assert (unchanged.status_code, unchanged.content) == (304, b"")  # nginx answers it from its copy
    assert "set-cookie" not in first.headers and "set-cookie" not in second.headers
    for query in ("cached", "number"):  # the query string is part of the key
        assert f"“{query}”" in visitor.get(f"/search?q={query}").text
        assert f"“{query}”" in visitor.get(f"/search?q={query}").text
    # What the app does not mark public is never kept, and API clients with a token pass by.
    assert [visitor.get("/openapi.json").headers["x-cache-status"] for _ in range(2)] == ["MISS", "MISS"]
    with_token = visitor.get("/api/daily_papers?date=2026-08-22", headers={"Authorization": "Bearer nobody"})
    assert with_token.headers["x-cache-status"] == "BYPASS"
    assert visitor.get("/metrics").status_code == 403  # kept to the private network


def test_members_and_a_visitor_interleaved_each_get_their_own_pages(site):
    visitor, members = client(site), {name: member(site, name) for name in ("alice", "bob")}
    tokens = {name: csrf_of(browser.get("/").text) for name, browser in members.items()}
    assert tokens["alice"] != tokens["bob"]
    visitor_hits = 0
    for _ in range(8):  # interleaved, request after request, over a few copies' lifetimes
        for address in ("/", f"/papers/{PAPER}", "/papers/trending"):
            seen = visitor.get(address)
            assert seen.status_code == 200 and "Sign in" in seen.text
            assert 'name="csrf"' not in seen.text and "signed in as" not in seen.text
            assert "set-cookie" not in seen.headers
            visitor_hits += seen.headers["x-cache-status"] in FROM_THE_CACHE
            for name, browser in members.items():
                other = "bob" if name == "alice" else "alice"
                answer = browser.get(address)
                assert f"signed in as {name}" in answer.text and f"signed in as {other}" not in answer.text
                assert csrf_of(answer.text) == tokens[name]
                assert answer.headers["x-cache-status"] == "BYPASS"
                assert answer.headers["cache-control"] == "private, no-store"
        time.sleep(0.2)
    assert visitor_hits >= 12  # most of the visitor's 24 pages came from nginx


def test_a_vote_shows_to_visitors_through_nginx_within_the_set_time(site):
    visitor, alice = client(site), member(site, "alice")
    before = upvotes_shown(visitor.get("/").text, "2608.00002")
    assert visitor.get("/").headers["x-cache-status"] in FROM_THE_CACHE
    answer = vote(alice, alice.get("/").text, "2608.00002")
    assert answer.status_code == 303 and "x-cache-status" not in answer.headers  # a POST skips the cache
    voted_at = time.monotonic()
    while upvotes_shown(visitor.get("/").text, "2608.00002") != before + 1:
        assert time.monotonic() - voted_at < FRESH_WITHIN_S, "the vote did not show through nginx in time"
        time.sleep(0.1)
    # A visitor who comes back after a quiet spell gets the page as it is, not nginx's old copy
    # (nginx's `proxy_cache_use_stale updating` would serve it once more, however old).
    shown = upvotes_shown(visitor.get("/").text, "2608.00003")
    assert vote(alice, alice.get("/").text, "2608.00003").status_code == 303
    time.sleep(FRESH_WITHIN_S)  # nobody asks in between
    assert upvotes_shown(visitor.get("/").text, "2608.00003") == shown + 1


def test_a_markdown_client_and_a_browser_never_get_each_others_copy(site):
    browser, reader = client(site), client(site, Accept="text/markdown")
    plain = httpx.Client(base_url=site.base)  # httpx's own Accept: */*, which means HTML
    outcomes = set()
    for paper, order in (("2608.00002", (reader, browser, plain)), ("2608.00003", (browser, plain, reader))):
        for _ in range(4):  # the first to ask fills nginx's main copy, the others' copies are variants
            for who in order:
                answer = who.get(f"/papers/{paper}")
                assert answer.status_code == 200
                vary = answer.headers.get_list("vary")  # one line: nginx before 1.23 reads only the last
                assert len(vary) == 1 and {"Accept", "Accept-Encoding", "Cookie"} <= set(re.split(r",\s*", vary[0]))
                if who is reader:
                    assert answer.headers["content-type"].startswith("text/markdown")
                    assert f"Cached paper number {paper[-1]}" in answer.text and "<html" not in answer.text
                else:
                    assert answer.headers["content-type"].startswith("text/html") and "<html" in answer.text
                outcomes.add((who is reader, answer.headers["x-cache-status"]))
    assert {(True, "HIT"), (False, "HIT")} <= outcomes  # both kinds were served from nginx's copies
