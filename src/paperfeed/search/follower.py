"""Keeping a node's search index current when other nodes write the papers.

Each web node keeps its own index files (keyword index and vectors) in its
data directory, derived from the database. The database's change log is the
papers' ``updated_at`` (indexed): every ``PAPERFEED_INDEX_REFRESH_S``
seconds a thread of ``paperfeed serve`` indexes the papers changed since the
newest change its index holds, so a paper ingested on any node is searchable
on every node within that time (plus the time to index it). Of the processes
sharing a data directory, one updates at a time; the others skip the round
and reopen the files when ``state.json`` changes. New vectors are made at
most ``EMBEDDINGS_PER_ROUND`` a round (the keyword index is always complete),
so a large ingest does not stall the web process. The similar papers of the papers a round
embedded are stored next (:mod:`paperfeed.search.similar`), with the web process's own search
service, whose indexes are loaded already.
"""

from __future__ import annotations

import logging
import threading

import sqlalchemy as sa

from paperfeed.config import Settings
from paperfeed.search.indexer import IndexBusy, update_indexes
from paperfeed.search.service import SearchService
from paperfeed.search.similar import store_lists_of

log = logging.getLogger(__name__)
EMBEDDINGS_PER_ROUND = 500


def follow_database(engine: sa.Engine, settings: Settings, *, stop: threading.Event, search: SearchService) -> None:
    """Until ``stop`` is set: every ``settings.index_refresh_s`` seconds, index what changed with
    ``search``'s embedder (none when semantic search is off or the model is missing), then store
    the similar papers of what it embedded."""
    while not stop.wait(settings.index_refresh_s):
        try:
            embedder = search.embedder()
            report = update_indexes(engine, settings.data_dir, embedder=embedder, max_embeddings=EMBEDDINGS_PER_ROUND,
                                    wait=False)
            if report.indexed:
                log.info("search index: %d changed papers indexed", report.indexed)
            if embedder is not None and report.embedded_ids:
                store_lists_of(engine, search, report.embedded_ids)
        except IndexBusy:
            continue  # another process of this node is updating it
        except Exception:  # the database was away, say: try again next round
            log.exception("updating the search index failed")
