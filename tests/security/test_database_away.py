"""Issue 13, faults 11: with the database away, pages and the API answer 503 with Retry-After (which
the shipped nginx config retries on another node), never "an unexpected error" 500."""

import socket

import pytest

from paperfeed.db.engine import create_engine
from tests.conftest import make_client, require_postgres


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def unreachable_engine(request, tmp_path):
    if request.param == "postgresql":
        require_postgres()  # the same driver and dialect as a real server, at a port nobody serves
        url = f"postgresql://postgres@127.0.0.1:{_closed_port()}/test?connect_timeout=2"
    else:
        url = f"sqlite:///{tmp_path / 'no-such-folder' / 'paperfeed.db'}"
    engine = create_engine(url)
    yield engine
    engine.dispose()


@pytest.mark.parametrize("path", ["/", "/papers/trending", "/papers/2401.00001", "/api/daily_papers",
                                  "/api/papers/2401.00001", "/feeds/daily.atom"])
def test_the_database_away_answers_503_with_retry_after(unreachable_engine, tmp_path, path):
    site = make_client(unreachable_engine, tmp_path)
    answer = site.get(path)
    assert answer.status_code == 503, answer.text[:300]
    assert answer.headers["retry-after"] == "5"
    assert "unexpected" not in answer.text and "Traceback" not in answer.text
    if path.startswith("/api/"):
        assert answer.json()["error"].startswith("The database cannot be reached")
