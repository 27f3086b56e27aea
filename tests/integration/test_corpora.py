"""Large-scale checks on the real corpora (about 264,000 papers). Marked slow: `make bench` runs them."""

import pytest
import sqlalchemy as sa

from paperfeed.db.tables import listings, papers
from paperfeed.ingest.files import ingest_files
from tests.conftest import require_bench_data

CORPORA = ["hf_daily_papers.jsonl.gz", "arxiv_daily_2025_2026.jsonl.gz", "arxiv_oai_to2019_cs.jsonl.gz"]


@pytest.mark.slow
def test_all_corpora_load_and_a_second_ingest_changes_nothing(sqlite_engine):
    files = require_bench_data(*CORPORA)
    first = ingest_files(sqlite_engine, files)
    assert first.added > 255_000 and first.rejected < 10
    second = ingest_files(sqlite_engine, files)
    assert (second.added, second.updated) == (0, 0)
    assert second.unchanged == first.added + first.updated + first.unchanged
    with sqlite_engine.connect() as connection:
        assert connection.execute(sa.select(sa.func.count()).select_from(papers)).scalar_one() == first.added
        assert connection.execute(sa.select(sa.func.count()).select_from(listings)).scalar_one() == 10_630
