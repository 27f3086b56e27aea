"""Pages rendered once: an in-process cache of what the public pages, the JSON API and the feeds
answer, for visitors and for each member's session.

A daily page, a paper page or a week page is the same for every visitor until something
changes; it is rendered once and served from memory until the site's data generation
(:mod:`paperfeed.db.generation`) or what this node reads from its files (the search index, the
covers) moves on, or for at most
:data:`MAX_AGE_S` (trending's ages and "the latest day" follow the clock). Each process of each
node keeps its own cache (``PAPERFEED_PAGE_CACHE_MB``, least recently used pages go first).

- **Visitors** (no session): one copy per address (and Markdown or HTML), served with
  ``Cache-Control: public, max-age=A, stale-while-revalidate=S`` and a weak ``ETag``, so
  browsers and nginx (deploy/nginx.conf) may keep it a moment too; ``If-None-Match`` and
  ``If-Modified-Since`` are answered 304 from memory (RFC 9110, 13.2.2). A render that put
  anything in the session (a CSRF token) is never kept for others.
- **Members**: a copy per session (the page holds their votes, their collections and their
  session's CSRF token), ``Cache-Control: private, no-store``; the session is checked on every
  request, so a signed-out or banned session is never served from here. A member's own write
  is visible on their next page on any node: the session remembers the generation it made
  (``w``), and a process that has not seen it yet reads the generation again.
- While one request renders a page again, the others asking for it get the previous copy
  (it is at most one render old) instead of all rendering it at once.
- An answer of ``/api`` from memory counts against the client's API limit as one from the app does;
  when the database is away the request goes to the app, which says so (503).

A change shows everywhere within ``PAPERFEED_FRESH_WITHIN_S`` (default 5 s): the process reads
the generation every ``poll_s``, nginx (or a browser) keeps a copy ``max_age_s`` and may serve it
``stale_s`` longer while asking again (:meth:`CachePolicy.for_freshness`).
"""

from __future__ import annotations

import asyncio
import re
import time
import zlib
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from email.utils import parsedate_to_datetime

from anyio import to_thread
from sqlalchemy.exc import SQLAlchemyError
from starlette.datastructures import Headers
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from paperfeed.db.generation import Generation, SiteGeneration, written
from paperfeed.errors import TooManyRequests
from paperfeed.observability import count, metrics
from paperfeed.web.conditional import body_etag, http_date, not_modified
from paperfeed.web.deps import accepted_qualities, prefers_markdown
from paperfeed.web.ratelimit import RateLimiter, client_address
from paperfeed.web.sessions import current_user

# What is cached: the public pages, the JSON API (GET, no Authorization), the public feeds.
CACHED_PATHS = re.compile(
    r"^/(?:$|papers(?:/|$)|authors/|orgs/|users/|collections/|search$|api/daily_papers$|api/papers(?:/|$)"
    r"|feeds/(?!private/))")
# A copy is rendered again after five minutes even when nothing was written: what follows the clock
# alone (trending's ages, the day a listing scheduled for tomorrow appears) is at most this late.
MAX_AGE_S = 300
# Pages a process renders at once; the others wait their turn, first come first served. A render is
# the interpreter's work (templates, highlighting) between short database reads: twenty-five threads
# that fight for its lock make each render as slow as all of them, and the unlucky ones slower
# still (bench/load.py, distinct searches: p99 2.9 s at 4 slots' throughput).
RENDER_SLOTS = 4
FILES_RECHECK_S = 0.25  # how often the process looks whether its index or covers changed
ENTRY_OVERHEAD = 1_200  # bytes a cached page costs beyond its body and headers (the objects around them)
COMPRESSIBLE = (b"text/", b"application/json", b"application/atom+xml", b"application/rss+xml",
                b"application/xml")
# Headers the cache writes itself on every answer.
OWN_HEADERS = {b"content-length", b"content-encoding", b"etag", b"last-modified", b"cache-control", b"vary"}


@dataclass(frozen=True)
class CachePolicy:
    poll_s: float
    max_age_s: int
    stale_s: int
    fresh_within_s: float = 5.0

    @classmethod
    def for_freshness(cls, fresh_within_s: float) -> CachePolicy:
        """Timings whose staleness adds up to at most ``fresh_within_s``, one second being left to
        render: the process reads the generation every ``poll_s`` (a quarter of the rest), then nginx
        keeps a copy ``max_age_s`` (rounded up to a whole second: one more) and may serve it
        ``stale_s`` longer while it fetches it again; browsers behind the shipped nginx revalidate
        every time (it tells them ``no-cache``). 5 s gives 1 s, 1 s and 1 s: 1 + 1 + 1 + 1 = 4."""
        budget = max(fresh_within_s - 1.0, 0.0)
        poll = budget / 4
        rest = budget - poll
        max_age = int((rest - 1) / 2) if rest >= 2 else 0
        stale = int(rest - 1 - max_age) if max_age else 0
        return cls(poll_s=poll, max_age_s=max_age, stale_s=stale, fresh_within_s=fresh_within_s)

    def public_header(self) -> bytes:
        if self.max_age_s <= 0:
            return b"public, no-cache"
        if self.stale_s <= 0:
            return f"public, max-age={self.max_age_s}".encode()
        return f"public, max-age={self.max_age_s}, stale-while-revalidate={self.stale_s}".encode()


PRIVATE = b"private, no-store"


@dataclass
class Entry:
    status: int
    headers: list[tuple[bytes, bytes]]  # the app's own, less OWN_HEADERS
    body: bytes  # gzipped when `gzipped`
    gzipped: bool
    etag: str
    last_modified: datetime
    vary: bytes
    generation: int
    files_version: tuple
    stored_at: float
    size: int = 0

    def identity_body(self) -> bytes:
        return zlib.decompress(self.body, 31) if self.gzipped else self.body


class PageStore:
    """Pages by key, least recently used first out, holding at most ``max_bytes`` (bodies,
    headers and :data:`ENTRY_OVERHEAD` each)."""

    def __init__(self, max_bytes: int):
        self.max_bytes = max_bytes
        self.bytes = 0
        self._entries: OrderedDict[tuple, Entry] = OrderedDict()

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, key: tuple) -> Entry | None:
        entry = self._entries.get(key)
        if entry is not None:
            self._entries.move_to_end(key)
        return entry

    def put(self, key: tuple, entry: Entry) -> None:
        entry.size = (len(entry.body) + sum(len(name) + len(value) for name, value in entry.headers)
                      + sum(len(str(part)) for part in key) + ENTRY_OVERHEAD)
        self.discard(key)
        if entry.size > self.max_bytes:
            return
        self._entries[key] = entry
        self.bytes += entry.size
        while self.bytes > self.max_bytes:
            _, oldest = self._entries.popitem(last=False)
            self.bytes -= oldest.size

    def discard(self, key: tuple) -> None:
        entry = self._entries.pop(key, None)
        if entry is not None:
            self.bytes -= entry.size


class LiveSessions:
    """Sessions this process found live in the database a moment ago (at most ``ttl_s``, the
    freshness promise), so that a member's page from memory costs no query: a session ended on
    another node stops being served from here within ``ttl_s``; one that writes anything here (signing
    out included) is looked up again at once. Handlers always ask the database.

    A session served after half its ``ttl_s`` is :meth:`due`: :class:`PageCache` checks the due ones
    again together, in the background, so a member who keeps reading never waits for the check."""

    def __init__(self, ttl_s: float, *, capacity: int = 100_000, monotonic: Callable[[], float] = time.monotonic):
        self.ttl_s, self.capacity, self.monotonic = ttl_s, capacity, monotonic
        self._seen: OrderedDict[str, tuple[object, float]] = OrderedDict()

    def get(self, session_id: str):
        found = self._seen.get(session_id)
        if found is None or self.monotonic() - found[1] >= self.ttl_s:
            return None
        return found[0]

    def due(self, session_id: str) -> bool:
        found = self._seen.get(session_id)
        return found is not None and self.monotonic() - found[1] >= self.ttl_s / 2

    def put(self, session_id: str, user, *, checked_at: float | None = None) -> None:
        self._seen[session_id] = (user, self.monotonic() if checked_at is None else checked_at)
        self._seen.move_to_end(session_id)
        while len(self._seen) > self.capacity:
            self._seen.popitem(last=False)

    def confirm(self, session_id: str, user, checked_at: float) -> None:
        """What a check begun at ``checked_at`` found live, unless the session was forgotten since
        (it signed out here while the check ran): that one stays forgotten."""
        found = self._seen.get(session_id)
        if found is not None and found[1] <= checked_at:
            self.put(session_id, user, checked_at=checked_at)

    def forget(self, session_id: str) -> None:
        self._seen.pop(session_id, None)


class PageCache:
    """The ASGI middleware (inside the session middleware: it reads ``scope["session"]``)."""

    def __init__(self, app: ASGIApp, *, store: PageStore, generation: SiteGeneration,
                 files_version: Callable[[], tuple], policy: CachePolicy, limiter: RateLimiter,
                 members_of: Callable[[list[str]], dict], monotonic: Callable[[], float] = time.monotonic):
        self.app, self.store, self.generation, self.policy = app, store, generation, policy
        self.limiter, self.members_of = limiter, members_of
        self.sessions = LiveSessions(policy.fresh_within_s, monotonic=monotonic)
        self._due: set[str] = set()  # sessions to check again (LiveSessions.due)
        self._checking: asyncio.Task | None = None
        self._files_version, self.monotonic = files_version, monotonic
        self._files_seen: tuple[float, tuple] = (float("-inf"), ())
        self._rendering: dict[tuple, asyncio.Event] = {}
        self._slots = asyncio.Semaphore(RENDER_SLOTS)  # FIFO: the longest waiting renders next
        self._metrics = metrics()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        if (scope["method"] not in ("GET", "HEAD") or not CACHED_PATHS.match(scope["path"])
                or "authorization" in headers):
            await self._remembering_writes(scope, receive, send)
            return
        try:
            found = await self._whose(scope, headers)
        except (SQLAlchemyError, OSError):
            found = None  # the database is away: the app says so
        if found is None:
            self._count("bypass")
            await self._remembering_writes(scope, receive, send)
            return
        key, generation, visitor = found
        await self._answer(scope, receive, send, headers, key, generation, visitor)

    async def _whose(self, scope: Scope, headers: Headers) -> tuple[tuple, Generation, bool] | None:
        """The cache key of this request, the generation to serve it at, and whether it is a visitor's;
        None for a session that no longer signs anyone in."""
        request = Request(scope)
        session = scope.get("session")
        session_id = session.get("sid") if isinstance(session, dict) else None
        variant = "md" if prefers_markdown(scope["path"], headers.get("accept", "")) else ""
        where = (scope["path"], scope.get("query_string", b""), variant)
        if not isinstance(session_id, str):
            return ("visitor", *where), await self._generation(0), True
        user = self.sessions.get(session_id)
        if user is None:
            user = await to_thread.run_sync(current_user, request)
            if user is None:
                return None
            self.sessions.put(session_id, user)
        elif self.sessions.due(session_id):
            self._check_again(session_id)
        request.state.member = user  # a render needs not look the session up again
        seen = session.get("w")
        return (("member", session_id, str(session.get("csrf")), *where),
                await self._generation(seen if isinstance(seen, int) else 0), False)

    def _check_again(self, session_id: str) -> None:
        self._due.add(session_id)
        if self._checking is None or self._checking.done():
            self._checking = asyncio.get_running_loop().create_task(self._check_due_sessions())

    async def _check_due_sessions(self) -> None:
        """Look the due sessions up again, a thousand at a time in one query; a session that ended
        is forgotten (its next request is looked up, and refused). When the database is away they
        are left to expire: their next request asks it, and is answered by the app."""
        while self._due:
            due = list(self._due)[:1_000]
            self._due.difference_update(due)
            started = self.monotonic()
            try:
                live = await to_thread.run_sync(self.members_of, due)
            except (SQLAlchemyError, OSError):
                return
            for session_id in due:
                if session_id in live:
                    self.sessions.confirm(session_id, live[session_id], started)
                else:
                    self.sessions.forget(session_id)

    async def _generation(self, at_least: int) -> Generation:
        """The generation to serve at (a database read, when one is due, in a thread: not on the loop).
        While another request reads it, the others take the one known (at most a poll old)."""
        known = self.generation
        if not known.due() or known.polling:
            current = known.last_known()
            if current is not None and current.number >= at_least:
                return current
        return await to_thread.run_sync(known.at_least, at_least)

    async def _answer(self, scope, receive, send, headers: Headers, key: tuple, generation: Generation,
                      visitor: bool) -> None:
        files_version = self.files_version()
        entry = self.store.get(key)
        pending = self._rendering.get(key)
        if entry is not None and (pending is not None or self._fresh(entry, generation, files_version)):
            # fresh, or someone renders it again right now and the copy before will do
            await self._from_memory(scope, receive, send, headers, entry, visitor,
                                    "stale" if pending is not None else "hit")
            return
        if pending is not None:
            await pending.wait()
            entry = self.store.get(key)
            if entry is not None and self._fresh(entry, generation, files_version):
                await self._from_memory(scope, receive, send, headers, entry, visitor, "hit")
                return
        done = self._rendering.setdefault(key, asyncio.Event())
        try:
            await self._render(scope, receive, send, headers, key, generation, files_version, visitor, entry)
        finally:
            if self._rendering.get(key) is done:
                del self._rendering[key]
            done.set()

    async def _from_memory(self, scope, receive, send, headers: Headers, entry: Entry, visitor: bool,
                           outcome: str) -> None:
        """Answer with ``entry``; an answer of ``/api`` still counts against the client's API limit, as
        one from the app would (over it, the app answers 429)."""
        if scope["path"].startswith("/api/") and self.limiter.limiter is not None:
            try:
                await to_thread.run_sync(self.limiter.hit, "api", client_address(Request(scope)))
            except TooManyRequests:
                await self.app(scope, receive, send)
                return
        await self._send(send, scope, headers, entry, visitor, outcome)

    def files_version(self) -> tuple:
        """What this node's files (search index, covers) are at, looked at every :data:`FILES_RECHECK_S`:
        a look at a file on the event loop gives the interpreter's lock to the renders, and every
        answer from memory waits to get it back."""
        at, known = self._files_seen
        now = self.monotonic()
        if now - at >= FILES_RECHECK_S:
            known = self._files_version()
            self._files_seen = (now, known)
        return known

    def _fresh(self, entry: Entry, generation: Generation, files_version: tuple) -> bool:
        return (entry.generation >= generation.number and entry.files_version == files_version
                and self.monotonic() - entry.stored_at < MAX_AGE_S)

    async def _render(self, scope, receive, send, headers: Headers, key: tuple, generation: Generation,
                      files_version: tuple, visitor: bool, before: Entry | None) -> None:
        session = scope.get("session")
        before_render = dict(session) if isinstance(session, dict) else None
        untouched = visitor and not session  # a visitor whose session is (and must stay) empty
        inner = dict(scope, method="GET") if scope["method"] == "HEAD" else scope
        start: Message = {}
        chunks: list[bytes] = []

        async def capture(message: Message) -> None:
            if message["type"] == "http.response.start":
                start.update(message)
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))

        async with self._slots:
            await self.app(inner, receive, capture)
        body = b"".join(chunks)
        response_headers = list(start.get("headers", []))
        names = {name.lower() for name, _ in response_headers}
        status = start.get("status", 500)
        after_render = scope.get("session")
        keep = (status == 200 and b"cache-control" not in names and b"set-cookie" not in names
                and (untouched and not after_render if visitor else after_render == before_render))
        if not keep:
            self._count("bypass")
            if visitor and status == 200 and b"cache-control" not in names:
                response_headers.append((b"cache-control", PRIVATE))
            await send({**start, "headers": response_headers})
            await send({"type": "http.response.body", "body": b"" if scope["method"] == "HEAD" else body})
            return
        etag = next((value.decode() for name, value in response_headers if name.lower() == b"etag"), None)
        etag = etag or body_etag(body)
        last_modified = _header_date(response_headers) or generation.changed_at
        if before is not None and before.etag == etag:
            last_modified = before.last_modified  # re-rendered, and still the same page
        vary = _vary([value for name, value in response_headers if name.lower() == b"vary"])
        kept = [_shared(pair) for pair in response_headers if pair[0].lower() not in OWN_HEADERS]
        content_type = next((value for name, value in kept if name.lower() == b"content-type"), b"")
        gzipped = len(body) >= 1024 and content_type.startswith(COMPRESSIBLE)
        entry = Entry(status, kept, _gzip(body) if gzipped else body, gzipped, etag, last_modified, vary,
                      generation.number, files_version, self.monotonic())
        self.store.put(key, entry)
        count(lambda: self._metrics.page_cache_bytes.set(self.store.bytes))
        await self._send(send, scope, headers, entry, visitor, "miss", identity=body)

    async def _send(self, send: Send, scope: Scope, headers: Headers, entry: Entry, visitor: bool, outcome: str,
                    identity: bytes | None = None) -> None:
        own = [(b"vary", entry.vary)]
        if visitor:
            own += [(b"cache-control", self.policy.public_header()), (b"etag", entry.etag.encode()),
                    (b"last-modified", http_date(entry.last_modified).encode())]
            if not_modified(headers, entry.etag, entry.last_modified):
                self._count("not_modified")
                await send({"type": "http.response.start", "status": 304, "headers": own})
                await send({"type": "http.response.body", "body": b""})
                return
        else:
            own.append((b"cache-control", PRIVATE))
        self._count(outcome)
        if entry.gzipped and _accepts_gzip(headers):
            body = entry.body
            own.append((b"content-encoding", b"gzip"))
        else:
            body = identity if identity is not None else entry.identity_body()
        own.append((b"content-length", str(len(body)).encode()))
        await send({"type": "http.response.start", "status": entry.status, "headers": entry.headers + own})
        await send({"type": "http.response.body", "body": b"" if scope["method"] == "HEAD" else body})

    async def _remembering_writes(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Run the app; when its writes made a new generation, the session remembers it (``w``)."""
        mine: list[int] = []
        token = written.set(mine)
        session = scope.get("session")
        session_id = session.get("sid") if isinstance(session, dict) else None

        async def remember(message: Message) -> None:
            session = scope.get("session")
            if message["type"] == "http.response.start" and mine and isinstance(session, dict) and session:
                session["w"] = max(mine)
            await send(message)

        try:
            await self.app(scope, receive, remember)
        finally:
            written.reset(token)
            if isinstance(session_id, str):
                self.sessions.forget(session_id)  # it may have signed out: look it up again

    def _count(self, outcome: str) -> None:
        count(self._metrics.page_cache.labels(outcome).inc)


_HEADERS: dict[tuple[bytes, bytes], tuple[bytes, bytes]] = {}


def _shared(header: tuple[bytes, bytes]) -> tuple[bytes, bytes]:
    """One object for each header line the pages have in common (the security headers, the content
    type), not one per page; the table's size stays small (header lines that vary are not kept)."""
    if len(_HEADERS) < 1_000:
        return _HEADERS.setdefault(header, header)
    return _HEADERS.get(header, header)


def _vary(values: list[bytes]) -> bytes:
    """One ``Vary`` line: the app's own names, then Accept-Encoding and Cookie, each once (nginx
    before 1.23 reads only the last Vary line, and keys its copies by the line as spelled)."""
    names: list[bytes] = []
    for value in [*values, b"Accept-Encoding, Cookie"]:
        for name in value.split(b","):
            name = name.strip()
            if name and name.lower() not in {known.lower() for known in names}:
                names.append(name)
    return b", ".join(names)


def _header_date(headers: list[tuple[bytes, bytes]]) -> datetime | None:
    """The ``Last-Modified`` a handler gave (a feed's newest entry), if any and valid."""
    for name, value in headers:
        if name.lower() == b"last-modified":
            try:
                return parsedate_to_datetime(value.decode("latin-1"))
            except (TypeError, ValueError, IndexError):
                return None
    return None


def _gzip(body: bytes) -> bytes:
    compressor = zlib.compressobj(1, zlib.DEFLATED, 31)  # gzip framing (RFC 1952), fastest level
    return compressor.compress(body) + compressor.flush()


def _accepts_gzip(headers: Headers) -> bool:
    quality = accepted_qualities(headers.get("accept-encoding", ""))
    return quality.get("gzip", quality.get("*", 0.0)) > 0
