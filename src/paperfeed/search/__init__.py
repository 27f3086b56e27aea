"""Search: a keyword index (BM25, tantivy) over title and abstract, highlighting,
and the service that answers queries from the indexes and the database.

The public interface is :class:`paperfeed.search.service.SearchService` and
:func:`paperfeed.search.indexer.update_indexes`. Indexes are derived files,
rebuilt from the database whenever they are missing or outdated.
"""
