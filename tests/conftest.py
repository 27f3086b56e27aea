"""Shared fixtures: real databases (a fresh SQLite file, a fresh PostgreSQL schema),
the app on them, recorded data. Only the clock is fixed.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from paperfeed.config import Settings
from paperfeed.db.engine import create_engine, migrate
from paperfeed.web.app import create_app

REPO_ROOT = Path(__file__).resolve().parent.parent
# huggingface_hub (a dev dependency: tests/integration/test_hf_client.py) reads this once, when
# imported: without it, building request headers asks huggingface.co for its list of AI agents.
os.environ["HF_HUB_DISABLE_TELEMETRY"] = "1"
pytest_plugins = ["tests.repository_guard"]


# Every recorded response the tests read lives here, with its source (fixtures/SOURCES.md).
FIXTURES = REPO_ROOT / "tests" / "fixtures"
HF_API_FIXTURES = FIXTURES / "hf_daily_papers_api"
# The large corpora (264k papers, SciFact, CSFCube) are never in the repository: the slow checks
# read them from PAPERFEED_BENCH_DATA (default bench/data, which may be a link to the folder).
BENCH_DATA = Path(os.environ.get("PAPERFEED_BENCH_DATA") or REPO_ROOT / "bench" / "data").resolve()
POSTGRES_URL = os.environ.get("PAPERFEED_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
# The day after the last listing of the bundled sample, at noon UTC.
FIXED_NOW = datetime(2026, 8, 22, 12, 0, tzinfo=UTC)


def require_bench_data(*names: str) -> list[Path]:
    """The corpora files ``names`` under BENCH_DATA; skip, saying which is missing and where to put it."""
    paths = [BENCH_DATA / name for name in names]
    missing = [path for path in paths if not path.is_file()]
    if missing:
        pytest.skip(f"benchmark data {missing[0]} is missing: put the corpora in {BENCH_DATA} "
                    "or set PAPERFEED_BENCH_DATA to the folder that holds them")
    return paths


def _postgres_problem() -> str | None:
    """None when the PostgreSQL test server answers, else why not."""
    try:
        engine = create_engine(POSTGRES_URL)
        with engine.connect() as connection:
            connection.execute(sa.text("SELECT 1"))
        engine.dispose()
        return None
    except Exception as error:  # any failure to connect means: no server for these tests
        return f"PostgreSQL at {POSTGRES_URL} is not reachable ({type(error).__name__})"


_POSTGRES_PROBLEM: list[str | None] = []


def require_postgres() -> None:
    """Skip (or, with PAPERFEED_REQUIRE_POSTGRES=1 as in CI, fail) without a PostgreSQL server."""
    if not _POSTGRES_PROBLEM:
        _POSTGRES_PROBLEM.append(_postgres_problem())
    problem = _POSTGRES_PROBLEM[0]
    if problem:
        if os.environ.get("PAPERFEED_REQUIRE_POSTGRES") == "1":
            pytest.fail(f"{problem}; PAPERFEED_REQUIRE_POSTGRES=1 makes this a failure", pytrace=False)
        pytest.skip(f"skipped the PostgreSQL tests: {problem}")


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'paperfeed.db'}"


@contextmanager
def fresh_postgres_schema() -> Iterator[str]:
    """A URL whose connections use a fresh schema of the test database, dropped afterwards
    (skips, or fails, as :func:`require_postgres` says, without a server)."""
    require_postgres()
    schema = f"test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(POSTGRES_URL)
    with admin.begin() as connection:
        connection.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    separator = "&" if "?" in POSTGRES_URL else "?"
    try:
        yield f"{POSTGRES_URL}{separator}options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as connection:
            connection.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A URL whose connections use a fresh schema of the test database, dropped afterwards."""
    with fresh_postgres_schema() as url:
        yield url


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url(request) -> str:
    """Each test using this runs twice: on SQLite and on PostgreSQL."""
    return request.getfixturevalue("sqlite_url" if request.param == "sqlite" else "postgres_url")


def _migrated_engine(url: str) -> Iterator[sa.Engine]:
    engine = create_engine(url)
    migrate(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def engine(database_url: str) -> Iterator[sa.Engine]:
    """A migrated database, on SQLite and on PostgreSQL."""
    yield from _migrated_engine(database_url)


@pytest.fixture
def sqlite_engine(sqlite_url: str) -> Iterator[sa.Engine]:
    """A migrated SQLite database, for tests that need not run on both."""
    yield from _migrated_engine(sqlite_url)


def make_client(engine: sa.Engine, tmp_path: Path, *, now: datetime = FIXED_NOW, **settings_fields) -> TestClient:
    settings = Settings(data_dir=tmp_path, database_url=str(engine.url.render_as_string(hide_password=False)),
                        **settings_fields)
    app = create_app(settings, engine=engine, clock=lambda: now)
    return TestClient(app, raise_server_exceptions=False)


@pytest.fixture
def client(engine: sa.Engine, tmp_path: Path) -> TestClient:
    """The web app on a migrated database (both dialects), with the clock at FIXED_NOW."""
    return make_client(engine, tmp_path)


def write_jsonl(path: Path, lines: list) -> Path:
    """Write records (dicts become JSON; strings are written as-is) one per line."""
    import json

    path.write_text("".join((line if isinstance(line, str) else json.dumps(line)) + "\n" for line in lines))
    return path


def searchable(client: TestClient, engine: sa.Engine, tmp_path: Path, papers: list[dict]) -> TestClient:
    """``client``, its site holding ``papers`` (ingested from a JSON Lines file) with the search
    index built: what the search tests start from."""
    from paperfeed.ingest.files import ingest_files
    from paperfeed.search import update_indexes

    ingest_files(engine, [write_jsonl(tmp_path / "papers.jsonl", papers)])
    update_indexes(engine, tmp_path)
    return client


def result_ids(items: list[dict]) -> list[str]:
    """The paper ids of ``/api/papers/search`` items, in order."""
    return [item["paper"]["id"] for item in items]


def pytest_terminal_summary(terminalreporter) -> None:
    """Say plainly at the end of the run when the PostgreSQL half of the suite did not run."""
    if _POSTGRES_PROBLEM and _POSTGRES_PROBLEM[0]:
        terminalreporter.write_line(
            f"NOTE: the PostgreSQL tests were skipped: {_POSTGRES_PROBLEM[0]}. Start PostgreSQL or set "
            "PAPERFEED_TEST_POSTGRES_URL to run them (PAPERFEED_REQUIRE_POSTGRES=1 makes this a failure).",
            yellow=True, bold=True,
        )
