"""Similar papers are data: each paper's list is computed once and stored (table ``similar_papers``,
:mod:`paperfeed.db.similar`), not on every view of its page.

A list is what :meth:`SearchService.similar` finds (the paper's nearest vectors and its More Like
This keywords, fused by reciprocal rank fusion), :data:`LIST_LENGTH` papers. It is computed

- by the indexer, for the papers a run just embedded, new or changed (``paperfeed index``,
  ``ingest``, ``fetch``, the scheduler's fetches: :func:`~paperfeed.search.indexer.refresh_indexes`;
  the web process's index follower), at most :data:`LISTS_PER_INDEX_RUN` a run, the newest
  first, so after an ingest the first visitor of a new paper does not pay for it (a list takes
  about a tenth of the time embedding the paper took; the bundled sample's precomputed vectors
  take none, so its lists are left to first views);
- on a view of a paper that has no stored list (the rest of a large backlog, older papers);
- on a view of a paper whose list is stale: computed against an index with a lower stamp.

The stamp (:meth:`SearchService.similar_stamp`) is how many paper vectors the node's index holds,
a number the service keeps in memory: a page view reads no file for it. Each node keeps its own
index files, built from the same database, so two nodes that embedded the same papers hold the
same count, whatever their files are called, and papers are never removed, so a node's count only
grows as it catches up. A list is recomputed only when its stamp is *lower* than the node's: a
node behind serves the lists a node ahead stored; a node ahead recomputes a list once and stores
its higher stamp, which satisfies every node from then on. Two nodes never recompute each other's
lists in turn, as they would with a build id (a random name per index build differs between nodes:
each would find every list the other stored stale). A list is only recomputed when the index grew
by at least one paper, which is when a better neighbour may have come.

What the count does not see: a paper whose text changed is embedded again without changing the
count. The indexer recomputes that paper's own list, but other lists that hold it stay until the
count next grows (the next paper embedded); so do lists after a switch to another embedding model,
whose vectors are as many, except the lists of the papers the rebuild embedded last.

Without vectors (semantic search off, no index yet, vectors of another model) the stamp is 0: a
stored list is still served, none is computed and nothing is stored, and a paper with no list
shows none, as before. Once vectors come the stamp is above 0, and lists are computed.

Storing is a cache write: when the database refuses it (SQLite busy past its timeout, say), the
page shows the list it computed and a later view tries again.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from datetime import UTC, datetime

import sqlalchemy as sa

from paperfeed.db import papers as papers_repo
from paperfeed.db import similar as similar_repo
from paperfeed.db.engine import write_transaction
from paperfeed.models import Paper
from paperfeed.search.service import SearchService

log = logging.getLogger(__name__)
LIST_LENGTH = 6  # papers a list holds: the paper page shows them all
# Lists an index run computes at most (about 6 ms each with the 10,630 papers of the bundled sample);
# the other papers it embedded get theirs on their first view.
LISTS_PER_INDEX_RUN = 2_000
_LISTS_PER_TRANSACTION = 200


def similar_papers(connection: sa.Connection, paper: Paper, *, search: SearchService, engine: sa.Engine) -> list[Paper]:
    """The papers shown as similar to ``paper``: its stored list unless it is stale (see the module's
    docstring), else the list computed now, and stored through ``engine``. Papers no longer held are
    left out."""
    stamp = search.similar_stamp()
    stored = similar_repo.stored_list(connection, paper.id)
    if stored is not None and stored.index_stamp >= stamp:
        return _papers(connection, stored.similar_ids)
    if stamp == 0:
        return []
    found = search.similar(connection, paper, limit=LIST_LENGTH)
    _store(engine, {paper.id: [other.id for other in found]}, index_stamp=stamp)
    return found


def store_lists_of(engine: sa.Engine, search: SearchService, paper_ids: Sequence[str], *,
                   on_progress: Callable[[str, int, int], None] | None = None) -> int:
    """Compute and store the lists of ``paper_ids`` (the papers an index run embedded), the last
    :data:`LISTS_PER_INDEX_RUN` of them; returns how many were stored. A paper whose stored list
    has a higher stamp (a node ahead of this one computed it) is skipped."""
    stamp = search.similar_stamp()
    wanted = list(dict.fromkeys(paper_ids))[-LISTS_PER_INDEX_RUN:]
    if stamp == 0 or not wanted:
        return 0
    stored = 0
    for start in range(0, len(wanted), _LISTS_PER_TRANSACTION):
        with engine.connect() as connection:
            chunk = wanted[start : start + _LISTS_PER_TRANSACTION]
            ahead = similar_repo.stamps_of(connection, chunk)
            papers = papers_repo.get_papers(connection, chunk)
            lists = {paper_id: search.similar_ids(paper, limit=LIST_LENGTH)
                     for paper_id, paper in papers.items() if ahead.get(paper_id, 0) <= stamp}
        stored += _store(engine, lists, index_stamp=stamp)
        if on_progress:
            on_progress("similar papers", start + len(chunk), len(wanted))
    return stored


def _store(engine: sa.Engine, lists: dict[str, list[str]], *, index_stamp: int) -> int:
    """Replace these papers' lists in one transaction, in paper id order (see
    :func:`paperfeed.db.similar.replace_list`); how many were stored (0 when the database refused)."""
    now = datetime.now(UTC)
    try:
        with write_transaction(engine) as connection:
            for paper_id in sorted(lists):
                similar_repo.replace_list(connection, paper_id, lists[paper_id], index_stamp=index_stamp,
                                          computed_at=now)
    except sa.exc.DBAPIError as error:  # a cache write: the page must not fail for it
        log.warning("similar papers of %d papers not stored (computed again later): %s", len(lists), error)
        return 0
    return len(lists)


def _papers(connection: sa.Connection, paper_ids: Sequence[str]) -> list[Paper]:
    found = papers_repo.get_papers(connection, paper_ids)
    return [found[paper_id] for paper_id in paper_ids if paper_id in found]
