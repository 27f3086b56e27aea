"""The page cache's store (web/page_cache.py): least recently used pages leave first, and what it
holds stays under its budget however many distinct addresses are asked for (issue 17)."""

from __future__ import annotations

import os
import random
import tracemalloc
from datetime import UTC, datetime

from paperfeed.web.app import SECURITY_HEADERS
from paperfeed.web.page_cache import Entry, LiveSessions, PageStore

NOW = datetime(2026, 8, 22, tzinfo=UTC)


def page(size: int, stored_at: float = 0.0) -> Entry:
    """A cached answer as the middleware makes one: the app's headers, a gzipped body (random bytes
    do not compress, like gzip's output), validators."""
    headers = [(b"content-type", b"text/html; charset=utf-8")] + [
        (name.lower().encode(), value.encode()) for name, value in SECURITY_HEADERS.items()]
    return Entry(200, headers, os.urandom(size), True, 'W/"0123456789abcdef01234567"', NOW,
                 b"Accept-Encoding, Cookie", 7, (0.0, 0.0), stored_at)


def test_the_least_recently_used_page_goes_first():
    store = PageStore(3 * (5_000 + 2_000))
    for name in "abc":
        store.put((name,), page(5_000))
    store.get(("a",))  # read: now the most recently used
    store.put(("d",), page(5_000))
    assert [store.get((name,)) is not None for name in "abcd"] == [True, False, True, True]
    assert store.bytes <= store.max_bytes


def test_a_page_larger_than_the_whole_budget_is_not_kept():
    store = PageStore(10_000)
    store.put(("big",), page(20_000))
    assert (len(store), store.bytes) == (0, 0)


def test_100000_distinct_addresses_stay_under_the_budget():
    budget = 8 * 2**20
    store = PageStore(budget)
    sizes = random.Random(17)
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        for n in range(100_000):
            store.put(("visitor", "/search", f"q=word{n}".encode(), ""), page(sizes.randint(200, 12_000)))
            assert store.bytes <= budget
        held = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    assert len(store) > 1_000  # it is full, not empty
    assert held <= budget, f"the store holds {held:,} bytes for a budget of {budget:,}"


def test_a_session_is_checked_again_after_half_its_time_and_a_forgotten_one_stays_forgotten():
    now = [0.0]
    sessions = LiveSessions(4.0, monotonic=lambda: now[0])
    sessions.put("alice", "Alice")
    now[0] = 1.9
    assert sessions.get("alice") == "Alice" and not sessions.due("alice")
    now[0] = 2.0
    assert sessions.get("alice") == "Alice" and sessions.due("alice")  # served, and to be checked again
    sessions.confirm("alice", "Alice", checked_at=2.0)
    now[0] = 5.9
    assert sessions.get("alice") == "Alice"  # four seconds from the check, not from the first look
    now[0] = 6.0
    assert sessions.get("alice") is None  # never served on a check older than the promise
    sessions.put("bob", "Bob")
    checked_at = now[0]
    sessions.forget("bob")  # signed out here while the check ran
    sessions.confirm("bob", "Bob", checked_at)
    assert sessions.get("bob") is None
