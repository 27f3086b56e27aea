"""Issue 13, faults 14: what a web process holds stays bounded under load.

The growth found (workers from about 360 MB to 690 MB in three minutes) was SQLite's page
cache, 64 MiB for each of up to 15 pooled connections, and glibc's per-thread arenas. The
10-minute load run is bench/memory.py (docs/benchmarks.md); these check the two caps.
"""

import os
import subprocess
import sys
import threading

from paperfeed.db.engine import POOLED_CONNECTIONS, READER_CACHE_KIB, WRITER_CACHE_KIB, write_transaction


def cache_kib(connection) -> int:
    return -connection.exec_driver_sql("PRAGMA cache_size").scalar()


def test_pooled_connections_share_one_page_cache_budget(sqlite_engine):
    held, ready, done = [], threading.Barrier(POOLED_CONNECTIONS + 1), threading.Event()

    def hold_a_connection():
        with sqlite_engine.connect() as connection:
            held.append(cache_kib(connection))
            ready.wait()
            done.wait()

    threads = [threading.Thread(target=hold_a_connection) for _ in range(POOLED_CONNECTIONS)]
    for thread in threads:
        thread.start()
    ready.wait()  # every connection the pool may open is open at once
    done.set()
    for thread in threads:
        thread.join()
    assert sum(held) <= 64 * 1024
    assert held == [READER_CACHE_KIB] * POOLED_CONNECTIONS


def test_the_writer_has_the_large_cache_only_while_it_writes(sqlite_engine):
    with write_transaction(sqlite_engine) as connection:
        assert cache_kib(connection) == WRITER_CACHE_KIB
    with sqlite_engine.connect() as connection:  # the same pooled connection, back to its share
        assert cache_kib(connection) == READER_CACHE_KIB


def test_malloc_arenas_are_capped_here_and_for_the_workers_started_from_here():
    probe = ("import os; from paperfeed.workers import limit_malloc_arenas;"
             "print(limit_malloc_arenas(), os.environ['MALLOC_ARENA_MAX'])")
    env = {key: value for key, value in os.environ.items() if key != "MALLOC_ARENA_MAX"}
    done = subprocess.run([sys.executable, "-c", probe], env=env, capture_output=True, text=True, check=True)
    assert done.stdout.split() == ["True", "2"]  # glibc took it; uvicorn's worker processes inherit it
    kept = subprocess.run([sys.executable, "-c", probe], env={**env, "MALLOC_ARENA_MAX": "4"},
                          capture_output=True, text=True, check=True)
    assert kept.stdout.split() == ["True", "4"]  # an operator's own value wins
