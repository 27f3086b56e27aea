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
    port = free_port()
    server = subprocess.Popen([*prefix, sys.executable, "-m", "paperfeed.cli", "serve", "--port", str(port), *arguments],
                              env=env, stdout=output, stderr=output, text=True)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(240):
            try:
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.25)
        yield base, server
    finally:
        if server.poll() is None:
            server.terminate()
        server.wait(timeout=30)
