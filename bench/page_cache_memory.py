"""The page cache's memory with 100,000 distinct addresses asked for (issue 17): a `paperfeed serve`
on the bundled sample with PAPERFEED_PAGE_CACHE_MB=16, asked for each address once (16 at a time) (API answers
and paper pages, each with a query string of its own); the cache's own count of its bytes
(`paperfeed_page_cache_bytes`) and the process's RSS, before and after.

    .venv/bin/python bench/page_cache_memory.py --write-doc     # about 3 minutes
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
import benchlib  # noqa: E402

BUDGET_MB = 16
ADDRESSES = 100_000
WORK = benchlib.RESULTS_DIR / "page-cache-memory"


def rss_mib(pid: int) -> float:
    return int(re.search(r"VmRSS:\s+(\d+)", Path(f"/proc/{pid}/status").read_text())[1]) / 1024


def cache_bytes(base: str) -> float:
    text = httpx.get(f"{base}/metrics", timeout=10).text
    return sum(float(line.split()[-1]) for line in text.splitlines() if line.startswith("paperfeed_page_cache_bytes"))


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--write-doc", action="store_true")
    arguments = parser.parse_args(argv)
    sys.path.insert(0, str(benchlib.REPO_ROOT))
    from tests.site_process import served

    WORK.mkdir(parents=True, exist_ok=True)
    if not (WORK / "paperfeed.db").exists():
        subprocess.run([sys.executable, "-m", "paperfeed.cli", "demo", "--load-only"], check=True,
                       env={**os.environ, "PAPERFEED_DATA_DIR": str(WORK)}, stdout=subprocess.DEVNULL)
    env = {**os.environ, "PAPERFEED_DATA_DIR": str(WORK), "PAPERFEED_PAGE_CACHE_MB": str(BUDGET_MB),
           "PAPERFEED_RATE_LIMITS": "false", "PAPERFEED_LOG_LEVEL": "warning", "PAPERFEED_INDEX_REFRESH_S": "0"}
    with served(env) as (base, process):
        ids = [item["paper"]["id"] for item in httpx.get(f"{base}/api/daily_papers", params={"limit": 100},
                                                         timeout=60).json()]
        before = rss_mib(process.pid)
        paths = [f"/papers/{ids[n % len(ids)]}?n={n}" if n % 10 == 0 else f"/api/papers/{ids[n % len(ids)]}?n={n}"
                 for n in range(ADDRESSES)]
        result = _walk(base, paths)
        after, held = rss_mib(process.pid), cache_bytes(base)
    rows = [("addresses asked for (each once)", f"{result:,}"),
            ("PAPERFEED_PAGE_CACHE_MB", f"{BUDGET_MB} MiB ({BUDGET_MB * 2**20:,} bytes)"),
            ("the cache's bytes at the end (paperfeed_page_cache_bytes)", f"{held:,.0f}"),
            ("process RSS before", f"{before:.0f} MiB"), ("process RSS after", f"{after:.0f} MiB"),
            ("RSS growth", f"{after - before:.0f} MiB")]
    body = "\n".join([
        "## Page cache memory: 100,000 distinct addresses (issue 17)",
        "",
        f"Command: `{benchlib.shown_command('bench/page_cache_memory.py', argv)}`  ",
        f"Machine: {benchlib.machine_line()}",
        "",
        "One `paperfeed serve` on the bundled sample (SQLite), 16 MiB of page cache; 100,000 addresses "
        "asked for once each, 9 in 10 an API answer and 1 in 10 a paper page, each with a query string of its "
        "own (`?n=N`), so that each is a page of its own to the cache.",
        "",
        benchlib.markdown_table(["", "value"], rows),
        "",
        "The cache counts its bytes (bodies, headers, keys and a fixed cost per page, checked against "
        "tracemalloc in tests/unit/test_page_store.py) and drops the least recently used pages past its "
        "budget; the rest of the RSS growth is the process's own (SQLite's page cache, Python's allocator).",
    ])
    print(body)
    if arguments.write_doc:
        benchlib.write_doc_section("page-cache-memory", body)


def _walk(base: str, paths: list[str]) -> int:
    """Ask for each of ``paths`` once, 16 at a time (httpx): the count asked."""
    from concurrent.futures import ThreadPoolExecutor

    with httpx.Client(base_url=base, timeout=60, limits=httpx.Limits(max_connections=16)) as client:
        def ask(path: str) -> int:
            return client.get(path).status_code

        with ThreadPoolExecutor(16) as pool:
            statuses = list(pool.map(ask, paths, chunksize=64))
    bad = [status for status in statuses if status != 200]
    if bad:
        raise SystemExit(f"{len(bad)} answers were not 200 (e.g. {bad[0]})")
    return len(statuses)


if __name__ == "__main__":
    main()
