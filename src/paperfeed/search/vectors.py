"""The paper vectors: one unit vector per paper, from one embedding model.

Stored in ``<data dir>/index/vectors/``: ``vectors.npy`` (float16, one row per
paper), ``papers.json`` (the paper id and a hash of the embedded text for each
row) and ``meta.json`` (model id, model checksum, dimension, and a generation
number that grows with every change). Vectors from another model are never
mixed in: a store whose ``meta.json`` names another model counts as empty and
is rebuilt.

Search is an exact inner-product scan (vectors are normalised, so this is
cosine similarity) up to :data:`~paperfeed.search.ann.ANN_MIN_VECTORS`
vectors, and an HNSW graph above (see :mod:`paperfeed.search.ann`), used only
when it was built from this generation of the vectors.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from paperfeed.search.ann import ANN_MIN_VECTORS, AnnIndex, remove_graph

VECTORS_FILE = "vectors.npy"
PAPERS_FILE = "papers.json"
META_FILE = "meta.json"
SCAN_ROWS = 65_536  # rows converted from float16 at a time when scanning a memory-mapped store


@dataclass(frozen=True, slots=True)
class ModelIdentity:
    """Which model made the vectors: its name, the SHA-256 of its weights, its dimension."""

    name: str
    sha256: str
    dimension: int


class VectorStore:
    """Paper vectors, saved as float16 files.

    ``writable`` stores (the indexer's) hold every vector in memory as float32.
    Read-only stores (the web server's) with an up-to-date graph memory-map the
    vectors and the graph instead, so a million papers fit in little memory
    and several workers share the pages.
    """

    def __init__(self, directory: Path, model: ModelIdentity, *, writable: bool = True) -> None:
        self.directory = directory
        self.model = model
        self.writable = writable
        self.ids: list[str] = []
        self.text_hashes: list[str] = []
        self.generation = 0
        self.graph: AnnIndex | None = None
        self._matrix = np.zeros((0, model.dimension), dtype=np.float32)
        self._appended: list[np.ndarray] = []  # new rows, joined onto the matrix when it is next read
        self._row_of: dict[str, int] = {}
        self._replaced: set[int] = set()  # rows whose vector changed since loading
        self._loaded_generation: int | None = None
        self._dirty = False
        self.load()

    @property
    def matrix(self) -> np.ndarray:
        """All vectors, one row per paper (float32; float16 when memory-mapped)."""
        if self._appended:
            self._matrix = np.vstack([self._matrix, *self._appended])
            self._appended = []
        return self._matrix

    def load(self) -> bool:
        """Read the files if they hold this model's vectors; returns whether they did."""
        try:
            meta = json.loads((self.directory / META_FILE).read_text())
            if meta.get("model") != self.model.name or meta.get("sha256") != self.model.sha256:
                return False
            papers = json.loads((self.directory / PAPERS_FILE).read_text())
            generation = int(meta.get("generation", 0))
            graph = None
            if not self.writable and len(papers["ids"]) >= ANN_MIN_VECTORS:
                graph = AnnIndex.load(self.directory, generation=generation, dimension=self.model.dimension)
            if graph is not None:
                matrix = np.load(self.directory / VECTORS_FILE, mmap_mode="r")
            else:
                matrix = np.load(self.directory / VECTORS_FILE).astype(np.float32)
        except (OSError, ValueError, KeyError):
            return False
        if matrix.shape != (len(papers["ids"]), self.model.dimension):
            return False
        self.ids, self.text_hashes, self._matrix = papers["ids"], papers["text_hashes"], matrix
        self._row_of = {paper_id: row for row, paper_id in enumerate(self.ids)}
        self.generation = self._loaded_generation = generation
        self.graph = graph
        return True

    def clear(self) -> None:
        """Forget every vector (a rebuild); the files change at the next :meth:`save`."""
        self.ids, self.text_hashes, self._row_of, self._appended = [], [], {}, []
        self._matrix = np.zeros((0, self.model.dimension), dtype=np.float32)
        self._replaced, self._loaded_generation, self._dirty = set(), None, True

    def __len__(self) -> int:
        return len(self.ids)

    def text_hash_of(self, paper_id: str) -> str | None:
        row = self._row_of.get(paper_id)
        return self.text_hashes[row] if row is not None else None

    def vector_of(self, paper_id: str) -> np.ndarray | None:
        row = self._row_of.get(paper_id)
        return np.asarray(self.matrix[row], dtype=np.float32) if row is not None else None

    def upsert(self, ids: Sequence[str], text_hashes: Sequence[str], vectors: np.ndarray) -> None:
        """Add vectors, replacing those of papers already present."""
        vectors = np.asarray(vectors, dtype=np.float32)
        new_rows = []
        for position, (paper_id, text_hash) in enumerate(zip(ids, text_hashes, strict=True)):
            row = self._row_of.get(paper_id)
            if row is None:
                self._row_of[paper_id] = len(self.ids)
                self.ids.append(paper_id)
                self.text_hashes.append(text_hash)
                new_rows.append(position)
            else:
                self.matrix[row] = vectors[position]
                self.text_hashes[row] = text_hash
                self._replaced.add(row)
        if new_rows:
            self._appended.append(vectors[new_rows])
        self._dirty = self._dirty or bool(len(ids))

    def save(self) -> None:
        """Write the files if anything changed; ``meta.json`` last, so a reader never pairs it
        with half-written vectors."""
        if not self._dirty:
            return
        self.directory.mkdir(parents=True, exist_ok=True)
        self.generation += 1
        suffix = f".{os.getpid()}.tmp"
        with open(self.directory / (VECTORS_FILE + suffix), "wb") as file:
            np.save(file, self.matrix.astype(np.float16))
        (self.directory / (PAPERS_FILE + suffix)).write_text(
            json.dumps({"ids": self.ids, "text_hashes": self.text_hashes}))
        meta = {"model": self.model.name, "sha256": self.model.sha256, "dimension": self.model.dimension,
                "count": len(self.ids), "generation": self.generation}
        (self.directory / (META_FILE + suffix)).write_text(json.dumps(meta, indent=2))
        for name in (VECTORS_FILE, PAPERS_FILE, META_FILE):
            (self.directory / (name + suffix)).replace(self.directory / name)
        self._dirty = False

    def update_graph(self, *, threads: int = 0) -> str:
        """Bring the HNSW graph up to date with the saved vectors: "none" (too few vectors for
        one), "current", "updated" (changed rows re-added) or "built" (from scratch)."""
        if len(self) < ANN_MIN_VECTORS:
            remove_graph(self.directory)
            return "none"
        current = AnnIndex.load(self.directory, generation=self.generation, dimension=self.model.dimension)
        if current is not None:
            return "current"
        graph = None
        if self._loaded_generation is not None:
            graph = AnnIndex.load(self.directory, generation=self._loaded_generation,
                                  dimension=self.model.dimension, writable=True)
        if graph is None or len(graph) > len(self):
            graph, outcome = AnnIndex.build(self.matrix, threads=threads), "built"
        else:
            rows = np.array(sorted(self._replaced | set(range(len(graph), len(self)))), dtype=np.int64)
            graph.add(rows, self.matrix[rows], threads=threads)
            outcome = "updated"
        graph.save(self.directory, generation=self.generation)
        self._loaded_generation, self._replaced = self.generation, set()
        return outcome

    def nearest(self, query: np.ndarray, *, limit: int, exclude: frozenset[str] = frozenset()) -> list[tuple[str, float]]:
        """The ``limit`` papers whose vectors are most similar to ``query`` (cosine), best first."""
        if not self.ids:
            return []
        query = np.asarray(query, dtype=np.float32)
        wanted = min(limit + len(exclude), len(self.ids))
        if self.graph is not None:
            rows, scores = self.graph.search(query, wanted)
        else:
            rows, scores = self._exact(query, wanted)
        hits = [(self.ids[row], float(score)) for row, score in zip(rows, scores, strict=True)
                if self.ids[row] not in exclude]
        return hits[:limit]

    def nearest_exact(self, query: np.ndarray, *, limit: int) -> list[tuple[str, float]]:
        """The exact top ``limit`` by a full scan, whatever the graph (benchmarks compare the two)."""
        rows, scores = self._exact(np.asarray(query, dtype=np.float32), min(limit, len(self.ids)))
        return [(self.ids[row], float(score)) for row, score in zip(rows, scores, strict=True)]

    def _exact(self, query: np.ndarray, wanted: int) -> tuple[np.ndarray, np.ndarray]:
        matrix = self.matrix
        if matrix.dtype == np.float32:
            scores = matrix @ query
        else:  # memory-mapped float16: convert a slice at a time
            scores = np.concatenate([np.asarray(matrix[start : start + SCAN_ROWS], dtype=np.float32) @ query
                                     for start in range(0, len(matrix), SCAN_ROWS)])
        top = np.argpartition(-scores, wanted - 1)[:wanted]
        top = top[np.argsort(-scores[top], kind="stable")]
        return top, scores[top]


def read_stored(directory: Path) -> VectorStore | None:
    """The vectors on disk, whatever model made them, read-only, without loading the model: for
    ranking papers by their stored vectors (digests), which needs no new embeddings."""
    try:
        meta = json.loads((directory / META_FILE).read_text())
        dimension = int(np.load(directory / VECTORS_FILE, mmap_mode="r").shape[1])
        identity = ModelIdentity(meta["model"], meta["sha256"], dimension)
    except (OSError, ValueError, KeyError, IndexError):
        return None
    store = VectorStore(directory, identity, writable=False)
    return store if len(store) else None
