"""Approximate nearest neighbours over the paper vectors, for large corpora.

An HNSW graph (Malkov & Yashunin 2018, "Efficient and robust approximate
nearest neighbor search using Hierarchical Navigable Small World graphs")
built with usearch: connectivity M = 16, 128 candidates while building,
``EXPANSION_SEARCH`` while searching, vectors stored in float16, inner-product
metric (the vectors are unit length, so this is cosine similarity). Keys are
the rows of the :class:`~paperfeed.search.vectors.VectorStore`.

The graph is a derived file beside the vectors (``hnsw.usearch`` and
``hnsw.json``). ``hnsw.json`` records the generation of the vectors it was
built from; a reader uses the graph only when that matches the vectors on
disk, and otherwise scans exactly: a stale graph can make search slower,
never wrong. Below ``ANN_MIN_VECTORS`` there is no graph: an exact scan of
50,000 vectors takes a few milliseconds. bench/search_speed.py measures
recall@10 against the exact scan and the latency of both.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np

ANN_MIN_VECTORS = 50_000
CONNECTIVITY = 16
EXPANSION_ADD = 128
EXPANSION_SEARCH = 96
GRAPH_FILE = "hnsw.usearch"
GRAPH_META_FILE = "hnsw.json"


def _usearch_index_class():
    """usearch's ``Index``, loaded after onnxruntime: importing onnxruntime *after* usearch's
    extension crashes the process (SIGSEGV inside onnxruntime's import; usearch 2.26.6 with
    onnxruntime 1.31.1, tests/unit/test_ann_graph.py), and a process that builds a graph may
    embed a query next."""
    from paperfeed.search.onnxruntime_setup import quiet_onnxruntime

    quiet_onnxruntime()  # see above: onnxruntime must come first
    from usearch.index import Index

    return Index


class AnnIndex:
    """An HNSW graph over the rows of a vector store."""

    def __init__(self, index) -> None:
        self.index = index

    @classmethod
    def build(cls, matrix: np.ndarray, *, threads: int = 0) -> AnnIndex:
        """A new graph over every row of ``matrix`` (threads=0: all cores)."""
        index = _usearch_index_class()(ndim=matrix.shape[1], metric="ip", dtype="f16", connectivity=CONNECTIVITY,
                      expansion_add=EXPANSION_ADD, expansion_search=EXPANSION_SEARCH)
        ann = cls(index)
        ann.add(np.arange(len(matrix)), matrix, threads=threads)
        return ann

    @classmethod
    def load(cls, directory: Path, *, generation: int, dimension: int, writable: bool = False) -> AnnIndex | None:
        """The graph in ``directory`` if it was built from vectors of this ``generation``, else None.

        Read-only graphs are memory-mapped, so the web workers of one machine share one copy."""
        Index = _usearch_index_class()  # noqa: N806
        try:
            meta = json.loads((directory / GRAPH_META_FILE).read_text())
            if meta.get("generation") != generation or meta.get("dimension") != dimension:
                return None
            index = Index.restore(str(directory / GRAPH_FILE), view=not writable)
        except (OSError, ValueError, RuntimeError):
            return None
        if index is None or index.ndim != dimension or len(index) != meta.get("rows"):
            return None
        index.expansion_search = EXPANSION_SEARCH
        return cls(index)

    def __len__(self) -> int:
        return len(self.index)

    def add(self, rows: np.ndarray, vectors: np.ndarray, *, threads: int = 0) -> None:
        """Add rows; rows already in the graph are replaced."""
        rows = np.asarray(rows, dtype=np.uint64)
        if not len(rows):
            return
        present = rows[self.index.contains(rows)] if len(self.index) else rows[:0]
        if len(present):
            self.index.remove(present)
        self.index.add(rows, np.asarray(vectors, dtype=np.float32), threads=threads)

    def save(self, directory: Path, *, generation: int) -> None:
        """Write the graph, then ``hnsw.json`` naming the vectors' generation (readers check it)."""
        suffix = f".{os.getpid()}.tmp"
        self.index.save(str(directory / (GRAPH_FILE + suffix)))
        meta = {"generation": generation, "rows": len(self.index), "dimension": self.index.ndim,
                "connectivity": CONNECTIVITY, "expansion_add": EXPANSION_ADD}
        (directory / (GRAPH_META_FILE + suffix)).write_text(json.dumps(meta, indent=2))
        (directory / GRAPH_META_FILE).unlink(missing_ok=True)  # no reader pairs the new graph with old meta
        (directory / (GRAPH_FILE + suffix)).replace(directory / GRAPH_FILE)
        (directory / (GRAPH_META_FILE + suffix)).replace(directory / GRAPH_META_FILE)

    def search(self, query: np.ndarray, count: int) -> tuple[np.ndarray, np.ndarray]:
        """``(rows, cosine similarities)`` of about the ``count`` nearest rows, best first."""
        matches = self.index.search(np.asarray(query, dtype=np.float32), count)
        return matches.keys.astype(np.int64), 1.0 - matches.distances.astype(np.float32)


def remove_graph(directory: Path) -> None:
    """Delete the graph files (the store became small enough for exact search)."""
    for name in (GRAPH_META_FILE, GRAPH_FILE):
        (directory / name).unlink(missing_ok=True)
