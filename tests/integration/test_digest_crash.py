"""`paperfeed digest send` killed with SIGKILL mid-run, then run again: every subscriber has
exactly one digest (a real SMTP server counts them)."""

import os
import signal
import subprocess
import sys
import threading
from datetime import UTC, datetime

import pytest

from paperfeed.db import subscriptions as repo
from paperfeed.db.engine import write_transaction
from paperfeed.ingest.files import ingest_files
from paperfeed.digest.subscriptions import Preferences
from tests.conftest import write_jsonl
from tests.integration.test_digests import PAPERS
from tests.smtp_server import SmtpServer

SUBSCRIBERS = 30
NOW = datetime(2026, 11, 28, tzinfo=UTC)


def start_send(data_dir, database_url, mailbox, rate):
    env = {**os.environ, "PAPERFEED_DATA_DIR": str(data_dir), "PAPERFEED_DATABASE_URL": database_url,
           "PAPERFEED_SECRET_KEY": "crash-test", "PAPERFEED_SMTP_HOST": "127.0.0.1",
           "PAPERFEED_SMTP_PORT": str(mailbox.port), "PAPERFEED_SMTP_TLS": "none", "PAPERFEED_SMTP_RATE_PER_S": str(rate),
           "PAPERFEED_SEMANTIC_SEARCH": "false", "PAPERFEED_BASE_URL": "https://papers.example.org"}
    return subprocess.Popen([sys.executable, "-m", "paperfeed.cli", "digest", "send", "--period", "daily",
                             "--date", "2026-11-30"], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


@pytest.fixture
def subscribed(engine, database_url, tmp_path):
    ingest_files(engine, [write_jsonl(tmp_path / "p.jsonl", PAPERS)])
    with write_transaction(engine) as connection:
        for n in range(SUBSCRIBERS):
            repo.insert(connection, email=f"s{n:02d}@example.org", created_at=NOW, confirmed_at=NOW,
                        **Preferences().values())
    return database_url


@pytest.mark.parametrize("moment", ["as the server accepts a message", "at a random moment"])
def test_killed_run_then_rerun_sends_each_digest_once(subscribed, tmp_path, moment):
    with SmtpServer() as mailbox:
        holder = {}
        if moment == "as the server accepts a message":
            def kill_on_tenth(message):
                # the worst moment: the server has the message, the sender has not heard the 250 yet
                if len(mailbox.messages) == 10:
                    os.kill(holder["process"].pid, signal.SIGKILL)
            mailbox.keeper.on_message = kill_on_tenth
            holder["process"] = process = start_send(tmp_path, subscribed, mailbox, rate=1000)
        else:
            holder["process"] = process = start_send(tmp_path, subscribed, mailbox, rate=40)
            timer = threading.Timer(0.25, lambda: process.poll() is None and os.kill(process.pid, signal.SIGKILL))
            # start counting once the first message is in, so the kill lands mid-run
            while not mailbox.messages and process.poll() is None:
                threading.Event().wait(0.01)
            timer.start()
            timer.join()
        process.wait(timeout=120)
        assert process.returncode == -signal.SIGKILL, process.stderr.read()
        delivered_before = len(mailbox.messages)
        assert 0 < delivered_before < SUBSCRIBERS
        mailbox.keeper.on_message = None
        rerun = start_send(tmp_path, subscribed, mailbox, rate=1000)
        out, err = rerun.communicate(timeout=120)
        assert rerun.returncode == 0, out + err
        counts = mailbox.per_recipient()
        assert len(counts) == SUBSCRIBERS and set(counts.values()) == {1}, counts
