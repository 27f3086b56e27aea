"""``paperfeed serve`` in a process of its own, for tests that need a real server (workers, proxy
headers, timings)."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

import httpx


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def served(env: dict, *arguments: str, output=subprocess.DEVNULL,
           prefix: Sequence[str] = ()) -> Iterator[tuple[str, subprocess.Popen]]:
    """Start ``paperfeed serve`` with ``env`` (and extra ``arguments``), run by ``prefix`` if given
    (a command that ends by executing its arguments); yield its base URL and the process once
    ``/healthz`` answers; stop it afterwards."""
    with served_together([env], *arguments, output=output, prefix=prefix) as [(base, server)]:
        yield base, server


@contextmanager
def served_together(envs: Sequence[dict], *arguments: str, output=subprocess.DEVNULL,
                    prefix: Sequence[str] = ()) -> Iterator[list[tuple[str, subprocess.Popen]]]:
    """:func:`served` once for each environment in ``envs``, all started before any is waited for
    (several nodes start in the time of one)."""
    started: list[tuple[str, subprocess.Popen]] = []
    try:
        for env in envs:
            port = free_port()
            started.append((f"http://127.0.0.1:{port}", subprocess.Popen(
                [*prefix, sys.executable, "-m", "paperfeed.cli", "serve", "--port", str(port), *arguments],
                env=env, stdout=output, stderr=output, text=True)))
        for base, _ in started:
            _wait_until_healthy(base)
        yield started
    finally:
        for _, server in started:
            if server.poll() is None:
                server.terminate()
        for _, server in started:
            server.wait(timeout=30)


def _wait_until_healthy(base: str) -> None:
    for _ in range(240):
        try:
            if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            time.sleep(0.25)
