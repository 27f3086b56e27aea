"""Search: a keyword index (BM25, tantivy) and a vector index over titles and abstracts, fused,
with highlighting, filters and similar papers.

This module is the package's public face: everything outside ``paperfeed.search`` imports from
here, never from a submodule. One search is one call::

    request = SearchRequest.from_parameters(q="Levine offline RL", since="2024-01-01", page=1)
    response = service.search(connection, request)   # a SearchResponse: hits, notice, author, ...

Indexes are derived files, rebuilt from the database whenever they are missing or outdated
(:func:`update_indexes`, :func:`refresh_indexes`). Names are resolved on first use (PEP 562), so
that ``import paperfeed.search`` loads neither tantivy nor the embedding model.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

# Each public name, and the submodule that defines it.
_HOMES = {
    "SearchService": "service", "SearchResponse": "service", "SearchHit": "service", "stored_vectors_of": "service",
    "MAX_RESULTS": "service",
    "SearchRequest": "request", "SearchFilters": "request", "SORTS": "request", "check_category": "request",
    "search_filters": "request",
    "Correction": "spelling",
    "highlight": "highlighting",
    "update_indexes": "indexer", "refresh_indexes": "indexer", "INLINE_EMBEDDINGS": "indexer",
    "IndexBusy": "indexer", "IndexReport": "indexer",
    "index_directory": "index_state",
    "embedder_factory": "embedding_models",
    "follow_database": "follower",
    "similar_papers": "similar", "store_lists_of": "similar",
    "phase": "timing",
}
__all__ = sorted(_HOMES)

if TYPE_CHECKING:
    from paperfeed.search.embedding_models import embedder_factory
    from paperfeed.search.follower import follow_database
    from paperfeed.search.highlighting import highlight
    from paperfeed.search.index_state import index_directory
    from paperfeed.search.indexer import INLINE_EMBEDDINGS, IndexBusy, IndexReport, refresh_indexes, update_indexes
    from paperfeed.search.request import SORTS, SearchFilters, SearchRequest, check_category, search_filters
    from paperfeed.search.service import MAX_RESULTS, SearchHit, SearchResponse, SearchService, stored_vectors_of
    from paperfeed.search.similar import similar_papers, store_lists_of
    from paperfeed.search.spelling import Correction
    from paperfeed.search.timing import phase


def __getattr__(name: str):
    if name not in _HOMES:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{_HOMES[name]}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return __all__
