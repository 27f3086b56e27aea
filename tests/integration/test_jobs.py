"""The scheduler: daily jobs claimed through the database run once however many workers check;
a dead worker's job is taken over; failures are retried later; `paperfeed worker --once`."""

import os
import threading
from datetime import UTC, datetime, timedelta

import pytest

from paperfeed.config import Settings
from paperfeed.db import job_runs
from paperfeed.db.engine import write_transaction
from paperfeed.jobs import due_jobs, run_due_jobs
from tests.integration.test_cli import run_cli
from tests.integration.test_fetch import CS_PAGE
from tests.replay_server import ReplayServer, Reply

MORNING = datetime(2026, 8, 22, 7, 0, tzinfo=UTC)


def settings(tmp_path, **fields) -> Settings:
    return Settings(data_dir=tmp_path, fetch_time="06:00", scheduled_fetches="arxiv,hf", **fields)


def test_jobs_are_due_after_the_fetch_time(tmp_path):
    assert due_jobs(settings(tmp_path), MORNING.replace(hour=5, minute=59)) == []
    assert due_jobs(settings(tmp_path), MORNING) == [("fetch-arxiv", "2026-08-22"), ("fetch-hf", "2026-08-22")]


def test_many_workers_run_each_job_once(engine, tmp_path):
    ran, lock = [], threading.Lock()

    def runner(job, _settings, _engine):
        with lock:
            ran.append(job)
        return "ok"

    threads = [threading.Thread(target=run_due_jobs, args=(engine, settings(tmp_path)),
                                kwargs={"clock": lambda: MORNING, "worker": f"w{n}", "runner": runner})
               for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(ran) == ["fetch-arxiv", "fetch-hf"]
    # Later checks the same day find the jobs done.
    assert run_due_jobs(engine, settings(tmp_path), clock=lambda: MORNING + timedelta(hours=3), runner=runner) == []


def test_a_dead_workers_job_is_taken_over_and_a_failure_retried_later(engine, tmp_path):
    with write_transaction(engine) as connection:  # a worker claimed fetch-arxiv, then died
        job_runs.claim(connection, "fetch-arxiv", "2026-08-22", worker="dead", now=MORNING,
                       stale_after=timedelta(minutes=10), retry_failed_after=timedelta(minutes=30))

    def failing(job, _settings, _engine):
        raise RuntimeError("arXiv is down")

    soon = run_due_jobs(engine, settings(tmp_path), clock=lambda: MORNING + timedelta(minutes=5), runner=failing)
    assert [o.job for o in soon] == ["fetch-hf"] and soon[0].status == "failed"
    later = run_due_jobs(engine, settings(tmp_path), clock=lambda: MORNING + timedelta(minutes=20),
                         runner=lambda job, *_: "ok")
    assert [o.job for o in later] == ["fetch-arxiv"]  # the dead worker's claim, taken over
    retried = run_due_jobs(engine, settings(tmp_path), clock=lambda: MORNING + timedelta(minutes=45),
                           runner=lambda job, *_: "ok")
    assert [(o.job, o.status) for o in retried] == [("fetch-hf", "done")]
    with engine.connect() as connection:
        rows = {r.job: (r.status, r.attempts) for r in job_runs.recent_runs(connection)}
    assert rows == {"fetch-arxiv": ("done", 2), "fetch-hf": ("done", 2)}


def test_worker_once_runs_the_fetches(tmp_path):
    with ReplayServer(lambda path, params: Reply(body=CS_PAGE) if path == "/oai" else Reply(body=b"[]")) as server:
        env = {"PAPERFEED_ARXIV_OAI_URL": server.url + "/oai", "PAPERFEED_HF_API_URL": server.url + "/api",
               "PAPERFEED_ARXIV_DELAY_S": "0", "PAPERFEED_FETCH_TIME": "00:00", "PAPERFEED_SEMANTIC_SEARCH": "false",
               "PAPERFEED_FETCH_CATEGORIES": "cs.LG"}
        result = run_cli("worker", "--once", data_dir=tmp_path, check_rc=0, env=env)
        assert "fetch-arxiv" in result.stderr and "fetch-hf" in result.stderr and "done" in result.stderr
        again = run_cli("worker", "--once", data_dir=tmp_path, check_rc=0, env=env)
        assert "fetch-arxiv" not in again.stderr  # done today already


@pytest.mark.parametrize(("variable", "value", "named"), [
    ("PAPERFEED_FETCH_TIME", "6am", "fetch_time"), ("PAPERFEED_FETCH_TIME", "25:00", "fetch_time"),
    ("PAPERFEED_SCHEDULED_FETCHES", "arxiv,hff", "scheduled_fetches"),
])
def test_a_mistyped_schedule_setting_refuses_to_start(tmp_path, variable, value, named):
    import subprocess
    import sys

    environment = {**os.environ, "PAPERFEED_DATA_DIR": str(tmp_path), variable: value}
    worker = subprocess.run([sys.executable, "-m", "paperfeed.cli", "worker"], env=environment,
                            capture_output=True, text=True, timeout=60)
    assert worker.returncode == 1
    assert "invalid setting" in worker.stderr and named in worker.stderr and "Traceback" not in worker.stderr


def test_serve_with_the_scheduler_on_runs_the_daily_fetches(tmp_path):
    import subprocess
    import sys
    import time

    from paperfeed.db.engine import create_engine
    from tests.site_process import free_port

    requests = []

    def answer(path, params):
        requests.append(path)
        return Reply(body=b"[]")

    with ReplayServer(answer) as server:
        env = {**os.environ, "PAPERFEED_DATA_DIR": str(tmp_path), "PAPERFEED_SCHEDULER": "true",
               "PAPERFEED_SCHEDULED_FETCHES": "hf", "PAPERFEED_FETCH_TIME": "00:00",
               "PAPERFEED_HF_API_URL": server.url + "/api", "PAPERFEED_SEMANTIC_SEARCH": "false"}
        env.pop("PAPERFEED_DATABASE_URL", None)
        site = subprocess.Popen([sys.executable, "-m", "paperfeed.cli", "serve", "--port", str(free_port())],
                                env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            engine = create_engine(f"sqlite:///{tmp_path / 'paperfeed.db'}")
            runs = {}
            for _ in range(240):
                time.sleep(0.25)
                try:
                    with engine.connect() as connection:
                        runs = {r.job: r.status for r in job_runs.recent_runs(connection)}
                except Exception:  # the site is still creating the database
                    continue
                if runs.get("fetch-hf") == "done":
                    break
            engine.dispose()
        finally:
            site.terminate()
            site.communicate(timeout=30)
    assert runs == {"fetch-hf": "done"} and any(path.startswith("/api/daily_papers") for path in requests)
