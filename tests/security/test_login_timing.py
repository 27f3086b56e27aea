"""Signing in takes as long for an unknown name as for a known one with a wrong password: both
verify one argon2id hash, so response times do not reveal which names have accounts."""

import statistics
import time

from paperfeed.members.accounts import authenticate, create_user


def test_unknown_and_known_names_take_the_same_time(sqlite_engine):
    create_user(sqlite_engine, "alice", "violet staircase 42")

    def median_seconds(name: str) -> float:
        durations = []
        for _ in range(7):
            started = time.perf_counter()
            assert authenticate(sqlite_engine, name, "a wrong password") is None
            durations.append(time.perf_counter() - started)
        return statistics.median(durations)

    authenticate(sqlite_engine, "warm-up", "x")
    known, unknown = median_seconds("alice"), median_seconds("nobody-here")
    # One hash verification (tens of milliseconds) dominates both; a skipped hash would be ~100x faster.
    assert 0.5 < unknown / known < 2.0, (known, unknown)
