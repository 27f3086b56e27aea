"""The paper vectors: one unit vector per paper, from one embedding model.

Stored in ``<data dir>/index/vectors/``: ``vectors.npy`` (float16, one row per
paper), ``papers.json`` (the paper id and a hash of the embedded text for each
row) and ``meta.json`` (model id, model checksum, dimension). Vectors from
another model are never mixed in: a store whose ``meta.json`` names another
model counts as empty and is rebuilt. Search is an exact inner-product scan
(vectors are normalised, so this is cosine similarity).
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

VECTORS_FILE = "vectors.npy"
PAPERS_FILE = "papers.json"
META_FILE = "meta.json"


@dataclass(frozen=True, slots=True)
class ModelIdentity:
    """Which model made the vectors: its name, the SHA-256 of its weights, its dimension."""

    name: str
    sha256: str
    dimension: int


class VectorStore:
    """Paper vectors in memory (float32 for fast scans), saved as float16 files."""

    def __init__(self, directory: Path, model: ModelIdentity) -> None:
        self.directory = directory
        self.model = model
        self.ids: list[str] = []
        self.text_hashes: list[str] = []
        self._matrix = np.zeros((0, model.dimension), dtype=np.float32)
        self._appended: list[np.ndarray] = []  # new rows, joined onto the matrix when it is next read
        self._row_of: dict[str, int] = {}
        self.load()

    @property
    def matrix(self) -> np.ndarray:
        """All vectors, one row per paper (float32)."""
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
            matrix = np.load(self.directory / VECTORS_FILE).astype(np.float32)
        except (OSError, ValueError, KeyError):
            return False
        if matrix.shape != (len(papers["ids"]), self.model.dimension):
            return False
        self.ids, self.text_hashes, self._matrix = papers["ids"], papers["text_hashes"], matrix
        self._row_of = {paper_id: row for row, paper_id in enumerate(self.ids)}
        return True

    def clear(self) -> None:
        """Forget every vector (a rebuild); the files change at the next :meth:`save`."""
        self.ids, self.text_hashes, self._row_of, self._appended = [], [], {}, []
        self._matrix = np.zeros((0, self.model.dimension), dtype=np.float32)

    def __len__(self) -> int:
        return len(self.ids)

    def text_hash_of(self, paper_id: str) -> str | None:
        row = self._row_of.get(paper_id)
        return self.text_hashes[row] if row is not None else None

    def vector_of(self, paper_id: str) -> np.ndarray | None:
        row = self._row_of.get(paper_id)
        return self.matrix[row] if row is not None else None

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
        if new_rows:
            self._appended.append(vectors[new_rows])

    def save(self) -> None:
        """Write the files; ``meta.json`` last, so a reader never pairs it with half-written vectors."""
        self.directory.mkdir(parents=True, exist_ok=True)
        suffix = f".{os.getpid()}.tmp"
        with open(self.directory / (VECTORS_FILE + suffix), "wb") as file:
            np.save(file, self.matrix.astype(np.float16))
        (self.directory / (PAPERS_FILE + suffix)).write_text(
            json.dumps({"ids": self.ids, "text_hashes": self.text_hashes}))
        meta = {"model": self.model.name, "sha256": self.model.sha256, "dimension": self.model.dimension,
                "count": len(self.ids)}
        (self.directory / (META_FILE + suffix)).write_text(json.dumps(meta, indent=2))
        for name in (VECTORS_FILE, PAPERS_FILE, META_FILE):
            (self.directory / (name + suffix)).replace(self.directory / name)

    def nearest(self, query: np.ndarray, *, limit: int, exclude: frozenset[str] = frozenset()) -> list[tuple[str, float]]:
        """The ``limit`` papers whose vectors are most similar to ``query`` (cosine), best first."""
        if not self.ids:
            return []
        scores = self.matrix @ np.asarray(query, dtype=np.float32)
        wanted = min(limit + len(exclude), len(scores))
        top = np.argpartition(-scores, wanted - 1)[:wanted]
        top = top[np.argsort(-scores[top], kind="stable")]
        hits = [(self.ids[row], float(scores[row])) for row in top if self.ids[row] not in exclude]
        return hits[:limit]
