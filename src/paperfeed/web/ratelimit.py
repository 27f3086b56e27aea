"""Rate limits on what attackers and runaway scripts repeat: signing in, signing up, password
resets, votes, comments, submissions, and every API request.

Moving-window limits from the ``limits`` library, counted in memory (one
process) or in Redis (``PAPERFEED_REDIS_URL``, shared by every web process
and node). A request over its limit gets HTTP 429 with ``Retry-After``
(RFC 6585 §4) and a page saying when to try again.

Sign-in (OWASP Authentication Cheat Sheet, "Account lockout"): every address
may try 10 times a minute; 10 *failures* on one account from one address
block that address for that account for 15 minutes; and once an account
has had 20 failures in an hour from anywhere, attempts on it are slowed to
one every 5 seconds, whoever makes them. Nobody can lock a member out: the
member's own attempt waits a few seconds at worst, and a correct password
from an address that has not been failing goes through.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from limits import RateLimitItem, parse
from limits.storage import storage_from_string
from limits.strategies import MovingWindowRateLimiter

from paperfeed.config import Settings
from paperfeed.errors import ConfigError, TooManyRequests
from paperfeed.formatting import counted

LIMITS = {
    "sign-in": "10/minute",  # attempts per address
    "sign-in-failures": "10 per 15 minutes",  # failures per (account, address)
    "sign-in-account-failures": "20/hour",  # failures per account, from any address...
    "sign-in-account-slow": "1 per 5 seconds",  # ...beyond which the account's attempts are spaced out
    "sign-up": "5/hour",
    "reset": "5/hour",
    "vote": "120/minute",
    "comment": "10/minute",
    "submit": "20/hour",
    "subscribe": "10/hour",
    "api": "600/minute",  # every /api request, per address (PAPERFEED_API_RATE_LIMIT)
}


@dataclass
class RateLimiter:
    limiter: MovingWindowRateLimiter | None
    items: dict[str, RateLimitItem]

    @classmethod
    def from_settings(cls, settings: Settings) -> RateLimiter:
        if not settings.rate_limits:
            return cls(None, {})
        storage = storage_from_string(settings.redis_url or "memory://")
        texts = {**LIMITS, "api": settings.api_rate_limit}
        try:
            items = {name: parse(text) for name, text in texts.items()}
        except ValueError as error:
            raise ConfigError(f"PAPERFEED_API_RATE_LIMIT: {error} (write e.g. 600/minute)") from None
        return cls(MovingWindowRateLimiter(storage), items)

    def hit(self, name: str, *keys: str) -> None:
        """Count one attempt of ``name`` for ``keys``; raise :class:`TooManyRequests` over the limit."""
        if self.limiter is None:
            return
        if not self.limiter.hit(self.items[name], name, *keys):
            self._refuse(name, *keys)

    def refuse_when_full(self, name: str, *keys: str) -> None:
        """Raise :class:`TooManyRequests` when ``name`` is used up for ``keys``, counting nothing."""
        if self.full(name, *keys):
            self._refuse(name, *keys)

    def full(self, name: str, *keys: str) -> bool:
        """Whether one more ``name`` for ``keys`` would be over the limit."""
        return self.limiter is not None and not self.limiter.test(self.items[name], name, *keys)

    def record(self, name: str, *keys: str) -> None:
        """Count one ``name`` (a failure) for ``keys`` without refusing anything now."""
        if self.limiter is not None:
            self.limiter.hit(self.items[name], name, *keys)

    def _refuse(self, name: str, *keys: str) -> None:
        reset_at, _remaining = self.limiter.get_window_stats(self.items[name], name, *keys)
        what = "sign in" if name.startswith("sign-in") else name.replace("-", " ")
        wait = max(1, math.ceil(reset_at - time.time()))
        raise TooManyRequests(f"Too many {what} attempts: try again in {counted(wait, 'second')}.", retry_after=wait)


def client_address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def _limiter(request: Request) -> RateLimiter:
    return request.app.state.rate_limiter


LimiterDep = Annotated[RateLimiter, Depends(_limiter)]


def limit(name: str):
    """A route dependency counting one ``name`` attempt per client address."""

    def check(request: Request, limiter: LimiterDep) -> None:
        limiter.hit(name, client_address(request))

    return Depends(check)
