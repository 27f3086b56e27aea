"""The bundled demo sample: real Hugging Face Daily Papers listings (see README.md here)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import sqlalchemy as sa

from paperfeed.db.engine import write_transaction
from paperfeed.db.facts import get_fact, set_fact
from paperfeed.ingest.files import ingest_files
from paperfeed.ingest.merge import IngestReport

SAMPLE_PATH = Path(__file__).with_name("hf_daily_papers.jsonl.gz")
# Precomputed with scripts/embed_sample.py, so the demo needs no embedding at start.
SAMPLE_VECTORS_PATH = Path(__file__).with_name("hf_daily_papers.vectors.npz")
_FACT_KEY = "sample_loaded_sha256"


def sample_digest() -> str:
    """The SHA-256 of the bundled sample, as written by scripts/bundle_sample.py."""
    return SAMPLE_PATH.with_name(SAMPLE_PATH.name + ".sha256").read_text().split()[0]


def sample_is_loaded(engine: sa.Engine) -> bool:
    """True when this database already holds this exact sample."""
    with engine.connect() as connection:
        return get_fact(connection, _FACT_KEY) == sample_digest()


def load_sample(
    engine: sa.Engine, *, on_progress: Callable[[Path, int, int], None] | None = None
) -> IngestReport | None:
    """Ingest the sample unless this database already holds it; None when skipped."""
    if sample_is_loaded(engine):
        return None
    report = ingest_files(engine, [SAMPLE_PATH], on_progress=on_progress)
    with write_transaction(engine) as connection:
        set_fact(connection, _FACT_KEY, sample_digest())
    return report


def precomputed_vectors(model_name: str, model_sha256: str) -> dict:
    """The sample's precomputed vectors as ``{(paper id, text hash): vector}``, if made by this model."""
    import numpy as np

    try:
        data = np.load(SAMPLE_VECTORS_PATH)
    except OSError:
        return {}
    if str(data["model"]) != model_name or str(data["sha256"]) != model_sha256:
        return {}
    vectors = data["vectors"].astype(np.float32)
    return {(str(paper_id), str(text_hash)): vectors[row]
            for row, (paper_id, text_hash) in enumerate(zip(data["ids"], data["text_hashes"], strict=True))}
