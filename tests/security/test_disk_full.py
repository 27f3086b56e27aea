"""Issue 13, faults 10: a full disk gives one clear line and a 503 page, never a crash.

As found: the data directory on a small tmpfs, filled to the last block. The server
then died of SIGBUS on the first request to a route it had not counted yet (the
metrics' memory-mapped files grew into holes), refused to start again with a
tantivy traceback, and ingest printed a 75-line traceback. Here the disk is a real
tmpfs in a mount namespace of the command's own (``unshare``), so nothing outside
the test sees it. SQLite only: PostgreSQL keeps its data on its own server's disk.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time

import httpx
import pytest

from tests.conftest import write_jsonl
from tests.integration.test_members import PASSWORD, csrf_of
from tests.site_process import free_port, served

# Mount a 16 MB tmpfs on $DISK and copy the site into it. Fill what is left at once, or, with
# $FILL set, once that file appears (so that a server started meanwhile meets the full disk while
# it runs, as in the audit). Then run the command.
ON_A_FULL_DISK = """
mount -t tmpfs -o size=16m paperfeed-full "$DISK" && cp -a "$SITE"/. "$DISK"/ || exit 2
fill() { dd if=/dev/zero of="$DISK/filler" bs=64k 2>/dev/null; touch "$DISK.filled"; }
if [ -n "$FILL" ]; then
    ( while [ ! -e "$FILL" ]; do sleep 0.05; done; fill ) &
else
    fill
fi
exec "$@"
"""


def full_disk_prefix(tmp_path) -> list[str]:
    """The ``unshare`` command that runs a command on a full disk here, or a skip saying why not."""
    if shutil.which("unshare") is None:
        pytest.skip("the full-disk check needs unshare (util-linux): it did not run")
    probe = tmp_path / "probe"
    probe.mkdir()
    for flags in (["-m"], ["-r", "-m"]):  # root, or a user namespace for anyone else
        command = ["unshare", *flags, "sh", "-c", f'mount -t tmpfs -o size=1m none "{probe}"']
        if subprocess.run(command, capture_output=True).returncode == 0:
            return ["unshare", *flags, "sh", "-c", ON_A_FULL_DISK, "sh"]
    pytest.skip("the full-disk check cannot mount a tmpfs here (it needs root or user namespaces): it did not run")


PAPERS = [{"id": f"2403.{n:05d}", "title": f"Sparse attention for long documents, part {n}",
           "abstract": "We make attention sparse.", "date": "2024-03-04", "categories": ["cs.CL"]}
          for n in range(30)]


@pytest.fixture
def full_disk(tmp_path):
    """A site with papers and a member, and what it takes to run paperfeed with it on a full disk."""
    site, disk = tmp_path / "site", tmp_path / "disk"
    site.mkdir()
    disk.mkdir()
    env = {**os.environ, "PAPERFEED_DATA_DIR": str(site), "PAPERFEED_SEMANTIC_SEARCH": "false",
           "PAPERFEED_INDEX_REFRESH_S": "0"}
    env.pop("PAPERFEED_DATABASE_URL", None)
    cli = [sys.executable, "-m", "paperfeed.cli"]
    subprocess.run([*cli, "ingest", str(write_jsonl(tmp_path / "papers.jsonl", PAPERS))], env=env, check=True,
                   capture_output=True)
    subprocess.run([*cli, "user", "add", "carol", "--email", "carol@example.org", "--password-stdin"],
                   input=PASSWORD, text=True, env=env, check=True, capture_output=True)
    return full_disk_prefix(tmp_path), {**env, "PAPERFEED_DATA_DIR": str(disk), "DISK": str(disk), "SITE": str(site)}


def test_a_running_server_reads_and_refuses_writes_once_the_disk_is_full(full_disk, tmp_path):
    prefix, env = full_disk
    trigger, log_path = tmp_path / "fill-now", tmp_path / "serve.log"
    with log_path.open("w") as log, served({**env, "FILL": str(trigger)}, output=log, prefix=prefix) as (base, server):
        with httpx.Client(base_url=base, timeout=30) as client:
            assert client.get("/").status_code == 200
            page = client.get("/signin").text
            trigger.touch()
            for _ in range(200):
                if (tmp_path / "disk.filled").exists():
                    break
                time.sleep(0.05)
            # routes not seen yet: each one is a new entry in the metrics' memory-mapped files
            for path in ("/papers/2403.00001", "/search?q=sparse+attention", "/api/daily_papers",
                         "/feeds/daily.atom", "/papers/trending", "/api/papers/2403.00002"):
                assert client.get(path).status_code == 200, path
            answer = client.post("/signin", data={"username": "carol", "password": PASSWORD,
                                                  "csrf": csrf_of(page), "next": "/"})
            assert answer.status_code == 503
            assert "disk is full" in answer.text and "Traceback" not in answer.text
            assert answer.headers["Retry-After"]
            assert client.get("/").status_code == 200
        assert server.poll() is None  # was: killed by SIGBUS
    output = log_path.read_text()
    assert "Traceback" not in output
    assert f"the disk holding {tmp_path / 'disk'}" in output


def test_serve_on_a_full_disk_says_so_in_one_line(full_disk, tmp_path):
    prefix, env = full_disk
    done = subprocess.run([*prefix, sys.executable, "-m", "paperfeed.cli", "serve", "--port", str(free_port())],
                          env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    assert f"error: the disk holding {tmp_path / 'disk'}" in done.stderr, done.stderr


def test_ingest_on_a_full_disk_says_so_in_one_line(full_disk, tmp_path):
    prefix, env = full_disk
    changed = write_jsonl(tmp_path / "changed.jsonl", [{**paper, "title": paper["title"] + " (revised)"}
                                                        for paper in PAPERS])
    done = subprocess.run([*prefix, sys.executable, "-m", "paperfeed.cli", "ingest", str(changed)], env=env,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    assert f"error: the disk holding {tmp_path / 'disk'}" in done.stderr, done.stderr
