"""Fixtures for the browser tests: real paperfeed servers started through the CLI, and Debian's Chromium.

Every browser test is marked ``browser``. Without /usr/bin/chromium they are
skipped, unless ``PAPERFEED_REQUIRE_BROWSER=1`` (CI), where a missing browser
is a failure. Playwright never downloads a browser here: it drives Debian's.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
SERVER_START_SECONDS = 30
CLI_TIMEOUT_SECONDS = 180

HOSTILE_TITLE = '<script>window.__xss=1</script><img src=x onerror="window.__xss=2">'


def pytest_runtest_setup(item: pytest.Item) -> None:
    """Skip (or, with PAPERFEED_REQUIRE_BROWSER=1, fail) browser tests when Chromium is missing.

    A hook rather than a fixture, so the check comes before the servers start.
    """
    if item.get_closest_marker("browser") is None or CHROMIUM.exists():
        return
    reason = f"{CHROMIUM} is missing: install Debian's chromium (`make browser`) to run the browser tests"
    if os.environ.get("PAPERFEED_REQUIRE_BROWSER") == "1":
        pytest.fail(f"{reason} (PAPERFEED_REQUIRE_BROWSER=1 makes this an error)", pytrace=False)
    pytest.skip(reason)


# --- the server ------------------------------------------------------------------------------


def run_cli(*arguments: str, data_dir: Path) -> subprocess.CompletedProcess:
    """Run ``python -m paperfeed.cli ARGUMENTS`` on ``data_dir``; fail the test with its output if it fails."""
    result = subprocess.run(
        [sys.executable, "-m", "paperfeed.cli", *arguments], env=cli_environment(data_dir), cwd=data_dir.parent,
        capture_output=True, text=True, timeout=CLI_TIMEOUT_SECONDS,
    )
    if result.returncode != 0:
        pytest.fail(f"paperfeed {' '.join(arguments)} exited with {result.returncode}:\n{result.stderr}")
    return result


def cli_environment(data_dir: Path) -> dict[str, str]:
    """The caller's environment without its PAPERFEED_* settings (a stray DATABASE_URL must not leak in)."""
    environment = {name: value for name, value in os.environ.items() if not name.startswith("PAPERFEED_")}
    environment["PAPERFEED_DATA_DIR"] = str(data_dir)
    environment["PAPERFEED_LOG_LEVEL"] = "warning"
    return environment


def free_port() -> int:
    """A port nobody listens on now: the one the OS picks for a socket bound to port 0."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def serve(data_dir: Path, extra_env: dict[str, str] | None = None) -> Iterator[str]:
    """Run ``paperfeed serve`` on ``data_dir`` in the background; yield its base URL, then stop it."""
    port = free_port()
    log_path = data_dir.parent / f"serve-{port}.log"
    with log_path.open("w") as log:
        server = subprocess.Popen(
            [sys.executable, "-m", "paperfeed.cli", "serve", "--host", "127.0.0.1", "--port", str(port)],
            env=cli_environment(data_dir) | (extra_env or {}), cwd=data_dir.parent, stdout=log, stderr=subprocess.STDOUT,
        )
    base_url = f"http://127.0.0.1:{port}"
    try:
        wait_until_answering(base_url, server=server, log_path=log_path)
        yield base_url
    finally:
        stop(server)


def wait_until_answering(base_url: str, *, server: subprocess.Popen, log_path: Path) -> None:
    """Poll the front page until it answers 200; fail early, with the server's log, if the server exits."""
    deadline = time.monotonic() + SERVER_START_SECONDS
    while time.monotonic() < deadline:
        if server.poll() is not None:
            pytest.fail(f"paperfeed serve exited with {server.returncode}:\n{log_path.read_text()}")
        try:
            if httpx.get(base_url + "/", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass  # not listening yet
        time.sleep(0.05)
    stop(server)
    pytest.fail(f"paperfeed serve did not answer on {base_url} within {SERVER_START_SECONDS} s:\n"
                f"{log_path.read_text()}")


def stop(server: subprocess.Popen) -> None:
    """Terminate the server (uvicorn shuts down cleanly on SIGTERM); kill it if it hangs."""
    if server.poll() is not None:
        return
    server.terminate()
    try:
        server.wait(timeout=10)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait()


@pytest.fixture(scope="session")
def sample_data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh data directory holding the bundled sample (10,630 Hugging Face Daily Papers listings)."""
    data_dir = tmp_path_factory.mktemp("sample") / "data"
    run_cli("demo", "--load-only", data_dir=data_dir)
    return data_dir


@pytest.fixture(scope="session")
def site(sample_data_dir: Path) -> Iterator[str]:
    """Base URL of a server over the sample alone: what the screenshots in docs/ show."""
    yield from serve(sample_data_dir)


@pytest.fixture(scope="session")
def hostile_paper() -> dict:
    """A paper whose title is markup that would run if a template forgot to escape it."""
    return {"id": "local:xss-test", "title": HOSTILE_TITLE, "abstract": "A title that tries to run a script.",
            "authors": ["Mallory Example"], "date": "2026-08-21", "upvotes": 1}


@pytest.fixture(scope="session")
def hostile_site(sample_data_dir: Path, hostile_paper: dict, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Base URL of a server over the sample plus ``hostile_paper``.

    A copy of the sample's data directory, so the hostile card (listed on the
    sample's latest day) never appears in the documentation screenshots.
    """
    root = tmp_path_factory.mktemp("hostile")
    data_dir = shutil.copytree(sample_data_dir, root / "data")
    records = root / "hostile.jsonl"
    records.write_text(json.dumps(hostile_paper) + "\n")
    run_cli("ingest", str(records), data_dir=data_dir)
    yield from serve(data_dir)


# --- the browser -----------------------------------------------------------------------------


@pytest.fixture(scope="session")
def browser():
    """Debian's Chromium, headless, driven through Playwright's sync API."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def open_page(browser) -> Iterator[Callable]:
    """``open_page(base_url, **context_options)``: a page in a fresh browser context, kept offline.

    Every request that leaves ``base_url`` is aborted (there is no internet
    here); a test that follows an outside link routes it itself with
    ``page.route``, which takes precedence over the context's route.
    """
    contexts = []

    def open_page(base_url: str, **context_options):
        context = browser.new_context(base_url=base_url, **context_options)
        contexts.append(context)
        context.set_default_timeout(10_000)
        context.route(lambda url: not url.startswith(base_url + "/"), lambda route: route.abort())
        return context.new_page()

    yield open_page
    for context in contexts:
        context.close()
