"""paperfeed: a self-hostable research-paper hub (daily papers, trending, search, digests)."""

__version__ = "0.1.0"
