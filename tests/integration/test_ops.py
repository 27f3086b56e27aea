"""Health, readiness, Prometheus metrics (one process and `serve --workers 2`) and JSON logs."""

import json
import os
import re
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

import httpx
import sqlalchemy as sa

from paperfeed.db.engine import create_engine
from tests.conftest import make_client
from tests.site_process import served


def test_health_and_readiness(client, tmp_path):
    assert client.get("/healthz").json() == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200 and ready.json()["database"] == "ok" and ready.json()["schema"] == "ok"
    assert "no index yet" in ready.json()["search"]
    unmigrated = create_engine(f"sqlite:///{tmp_path / 'empty.db'}")
    answer = make_client(unmigrated, tmp_path / "other").get("/readyz")
    assert answer.status_code == 503 and "paperfeed init" in answer.json()["schema"]
    gone = sa.create_engine("postgresql+psycopg://nobody@127.0.0.1:1/none", connect_args={"connect_timeout": 2})
    answer = make_client(gone, tmp_path / "gone").get("/readyz")
    assert answer.status_code == 503 and answer.json()["database"].startswith("unreachable")
    assert make_client(gone, tmp_path / "gone").get("/healthz").status_code == 200


def test_metrics_count_requests_by_route(engine, tmp_path):
    client = make_client(engine, tmp_path, metrics_token="scraper-secret")
    client.get("/papers/9999.99999")
    client.get("/healthz")
    text = client.get("/metrics", headers={"Authorization": "Bearer scraper-secret"}).text
    assert re.search(r'paperfeed_http_requests_total\{method="GET",route="/papers/\{paper_id:path\}",status="404"\} [1-9]', text)
    assert "paperfeed_http_request_duration_seconds_bucket" in text


def test_serve_with_two_workers_adds_up_metrics_and_logs_json(tmp_path):
    env = {**os.environ, "PAPERFEED_DATA_DIR": str(tmp_path), "PAPERFEED_LOG_FORMAT": "json",
           "PAPERFEED_SEMANTIC_SEARCH": "false"}
    env.pop("PAPERFEED_DATABASE_URL", None)
    subprocess.run([sys.executable, "-m", "paperfeed.cli", "init"], env=env, check=True, capture_output=True)
    with served(env, "--workers", "2", output=subprocess.PIPE) as (base, server):
        def hit(_):  # new connections from 8 threads at once: both processes take some
            for _ in range(10):
                httpx.get(f"{base}/healthz", headers={"Connection": "close"})

        with ThreadPoolExecutor(8) as pool:
            list(pool.map(hit, range(8)))
        metrics = httpx.get(f"{base}/metrics").text
        served_count = re.search(r'paperfeed_http_requests_total\{method="GET",route="/healthz",status="200"\} ([0-9.]+)',
                                 metrics)
        assert served_count and float(served_count.group(1)) >= 80
        pids = {path.name.rsplit("_", 1)[-1] for path in (tmp_path / "metrics").glob("counter_*.db")}
        assert len(pids) == 2, pids  # both worker processes counted
        server.terminate()
        _, err = server.communicate(timeout=30)
    lines = [line for line in err.splitlines() if line.startswith("{")]
    assert lines and all({"time", "level", "logger", "message"} <= json.loads(line).keys() for line in lines)


def test_metrics_are_private(engine, tmp_path):
    """Issue 13, faults 15: /metrics answers this machine, or a scraper with the token; nobody else."""
    from fastapi.testclient import TestClient

    app = make_client(engine, tmp_path, metrics_token="scraper-secret").app
    visitor = TestClient(app, raise_server_exceptions=False, client=("203.0.113.5", 50000))
    assert visitor.get("/metrics").status_code == 403
    assert visitor.get("/metrics", headers={"Authorization": "Bearer guessed"}).status_code == 403
    assert visitor.get("/metrics", headers={"Authorization": "Bearer scraper-secret"}).status_code == 200
    local = TestClient(app, raise_server_exceptions=False, client=("127.0.0.1", 50000))
    assert "paperfeed_http_requests_total" in local.get("/metrics").text
