"""A polite HTTP client for the upstream services (arXiv, Hugging Face).

arXiv's terms of use (https://info.arxiv.org/help/api/tou.html): no more than
one request every three seconds, one connection at a time, and a descriptive
User-Agent. So each :class:`PoliteClient` spaces the *starts* of its requests
by ``min_interval_s``, sends ``paperfeed/<version> (<site>; mailto:<contact>)``,
and retries transient failures — connection errors, timeouts, HTTP 429 and
5xx — with exponential backoff, honouring ``Retry-After`` (RFC 9110 §10.2.3:
seconds or an HTTP date). Other 4xx answers are final. Every request and every
retry is logged with its URL and reason.

The clock and the sleep function are injected so tests can check the spacing
without waiting.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

import httpx

from paperfeed import __version__
from paperfeed.errors import FetchError
from paperfeed.formatting import counted

log = logging.getLogger(__name__)

RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
MAX_RETRY_AFTER_S = 300.0
MAX_BODY_BYTES = 200 * 2**20  # a larger answer is cut off and reported, never held whole


def user_agent(contact: str, site: str = "") -> str:
    """``paperfeed/0.1.0 (https://papers.example.org; mailto:admin@example.org)``."""
    parts = [part for part in (site, f"mailto:{contact}" if contact else "") if part]
    return f"paperfeed/{__version__}" + (f" ({'; '.join(parts)})" if parts else "")


@dataclass(slots=True)
class Answer:
    """A successful response: status, headers, body bytes, and the URL asked for."""

    url: str
    status: int
    headers: httpx.Headers
    body: bytes
    truncated: bool = False


class PoliteClient:
    """Requests to one service, one at a time, spaced and retried politely."""

    def __init__(
        self, *, user_agent: str, min_interval_s: float = 0.0, timeout_s: float = 30.0, retries: int = 4,
        clock: Callable[[], float] = time.monotonic, sleep: Callable[[float], None] = time.sleep,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.min_interval_s, self.retries = min_interval_s, retries
        self.clock, self.sleep = clock, sleep
        self._last_start: float | None = None
        self._lock = threading.Lock()  # one request at a time per service, even from many threads
        self._client = httpx.Client(headers={"User-Agent": user_agent}, timeout=timeout_s,
                                    follow_redirects=True, transport=transport)

    def close(self) -> None:
        self._client.close()

    def __enter__(self) -> PoliteClient:
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    def get(self, url: str, params: dict | None = None) -> Answer:
        """GET ``url``; retries transient failures; raises :class:`FetchError` when it gives up."""
        with self._lock:
            return self._get(url, params)

    def _get(self, url: str, params: dict | None) -> Answer:
        shown = str(httpx.URL(url, params=params))
        for attempt in range(self.retries + 1):
            self._wait_turn()
            try:
                answer = self._get_once(url, params)
            except (httpx.TransportError, httpx.DecodingError) as error:
                reason, delay = f"{type(error).__name__}: {error or 'no detail'}", self._backoff(attempt)
            else:
                if answer.status < 400:
                    log.info("GET %s -> %s (%d bytes)", shown, answer.status, len(answer.body))
                    return answer
                reason = f"HTTP {answer.status}"
                if answer.status not in RETRY_STATUSES:
                    raise FetchError(shown, reason, status=answer.status)
                delay = retry_after_seconds(answer.headers.get("Retry-After"), now=datetime.now(UTC))
                delay = max(delay if delay is not None else self._backoff(attempt), self.min_interval_s)
            if attempt == self.retries:
                raise FetchError(shown, f"{reason} (gave up after {counted(self.retries + 1, 'attempt')})")
            log.warning("GET %s failed (%s); retrying in %.1f s", shown, reason, delay)
            self.sleep(delay)
        raise AssertionError("unreachable")

    def _get_once(self, url: str, params: dict | None) -> Answer:
        with self._client.stream("GET", url, params=params) as response:
            chunks, size, truncated = [], 0, False
            for chunk in response.iter_bytes():
                size += len(chunk)
                if size > MAX_BODY_BYTES:
                    truncated = True
                    break
                chunks.append(chunk)
            return Answer(str(response.url), response.status_code, response.headers, b"".join(chunks), truncated)

    def _wait_turn(self) -> None:
        """Sleep until ``min_interval_s`` has passed since the previous request started."""
        now = self.clock()
        if self._last_start is not None:
            remaining = self._last_start + self.min_interval_s - now
            if remaining > 0:
                self.sleep(remaining)
                now = self.clock()
        self._last_start = now

    def _backoff(self, attempt: int) -> float:
        """2, 4, 8, 16 ... seconds, never less than the request interval."""
        return max(2.0 ** (attempt + 1), self.min_interval_s)


def retry_after_seconds(value: str | None, *, now: datetime) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (delay-seconds or HTTP-date), capped; None if absent
    or unreadable."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return min(float(value), MAX_RETRY_AFTER_S)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return min(max((when - now).total_seconds(), 0.0), MAX_RETRY_AFTER_S)
