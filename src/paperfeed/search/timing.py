"""Where a search's time goes: each phase of a query timed into the histogram
``paperfeed_search_phase_seconds{phase}`` (``/metrics``), so an operator, and bench/load.py, can
see whether embedding the query, the keyword index, the vector graph, fusing, reading the rows,
highlighting or rendering the page is what a slow search spends its time on."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager

from paperfeed.observability import count, metrics

PHASES = ("spelling", "keyword", "embedding", "vectors", "fusion", "rows", "highlight", "render")


@contextmanager
def phase(name: str) -> Iterator[None]:
    """Time the block as phase ``name`` (one of :data:`PHASES`)."""
    started = time.perf_counter()
    try:
        yield
    finally:
        elapsed = time.perf_counter() - started
        count(lambda: metrics().search_phases.labels(name).observe(elapsed))
