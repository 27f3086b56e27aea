#!/usr/bin/env python3
"""Precompute the embeddings of the bundled sample, so `make run` needs no embedding.

Loads the sample into a temporary database (exactly as `paperfeed demo` does, so
the texts and their hashes match), embeds every paper with the default model and
writes src/paperfeed/sample/hf_daily_papers.vectors.npz: ``ids``, ``text_hashes``,
``vectors`` (float16) and the model's name and SHA-256. About 9 minutes on 2 cores.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from paperfeed.db import papers as papers_repo
from paperfeed.db.engine import create_engine, migrate
from paperfeed.sample import SAMPLE_PATH, SAMPLE_VECTORS_PATH
from paperfeed.ingest.files import ingest_files
from paperfeed.search.documents import embedding_text, text_hash
from paperfeed.search.embedding_models import load_embedder


def main() -> int:
    embedder = load_embedder()
    with tempfile.TemporaryDirectory() as directory:
        engine = create_engine(f"sqlite:///{Path(directory) / 'sample.db'}")
        migrate(engine)
        ingest_files(engine, [SAMPLE_PATH])
        with engine.connect() as connection:
            rows = [row for batch in papers_repo.papers_changed_since(connection, None) for row in batch]
    texts = [embedding_text(row["title"], row["abstract"]) for row in rows]
    started = time.perf_counter()
    vectors = []
    for start in range(0, len(texts), 512):
        vectors.append(embedder.embed_documents(texts[start : start + 512]))
        done = start + len(vectors[-1])
        print(f"{done:,}/{len(texts):,} embedded, {done / (time.perf_counter() - started):.1f}/s", file=sys.stderr)
    np.savez_compressed(
        SAMPLE_VECTORS_PATH, ids=np.array([row["id"] for row in rows]),
        text_hashes=np.array([text_hash(text) for text in texts]),
        vectors=np.vstack(vectors).astype(np.float16),
        model=np.array(embedder.identity.name), sha256=np.array(embedder.identity.sha256),
    )
    print(f"wrote {SAMPLE_VECTORS_PATH} ({SAMPLE_VECTORS_PATH.stat().st_size:,} bytes)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
