"""Memory under load: the resident set size of one `paperfeed serve` process while clients keep
asking for pages, searches and hostile values, sampled every few seconds.

The bundled sample (10,630 papers, with vectors) in a fresh SQLite data directory; 20 concurrent
clients, each request drawn from a mix of what a crowd and a fuzzer send: distinct search
queries (so nothing repeats), paper pages with their similar papers, day pages, the API, and
parameters with random junk. A process that holds on to something per request keeps growing;
a bounded one levels off after its caches fill.

    .venv/bin/python bench/memory.py --seconds 600 --write-doc    # the documented 10-minute run
    .venv/bin/python bench/memory.py --seconds 90 --mix search    # one kind of request only
"""

from __future__ import annotations

import argparse
import asyncio
import gzip
import json
import os
import random
import statistics
import string
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(1, str(Path(__file__).resolve().parent.parent))
import benchlib  # noqa: E402

from tests.site_process import served  # noqa: E402  (the tests' way of starting paperfeed serve)

SAMPLE = Path(__file__).resolve().parent.parent / "src" / "paperfeed" / "sample" / "hf_daily_papers.jsonl.gz"
CLIENTS = 20
SAMPLE_EVERY_S = 10


def _sample_records() -> list[dict]:
    with gzip.open(SAMPLE, "rt") as file:
        return [json.loads(line) for line in file]


class Workload:
    """Requests drawn at random from one mix; every search query is new."""

    def __init__(self, mix: str, seed: int = 1) -> None:
        records = _sample_records()
        self.rng = random.Random(seed)
        self.mix = mix
        self.ids = sorted({record["id"] for record in records})
        self.days = sorted({record["date"][:10] for record in records if record.get("date")})
        words = set()
        for record in records[:3000]:
            words.update(word.strip(".,;:()").lower() for word in (record.get("abstract") or "").split())
        self.words = sorted(word for word in words if word.isalpha() and len(word) > 3)
        self.count = 0

    def _query(self) -> str:
        return " ".join(self.rng.sample(self.words, self.rng.randint(1, 6))) + f" {self.count}"

    def _junk(self) -> str:
        alphabet = string.printable + "éß中文\u200b"
        return "".join(self.rng.choice(alphabet) for _ in range(self.rng.randint(1, 300)))

    def next(self) -> str:
        self.count += 1
        kinds = {"search": ("search", "api-search"), "pages": ("paper", "day", "similar"),
                 "api": ("api-search", "api-paper", "api-daily"), "fuzz": ("fuzz",),
                 "all": ("search", "api-search", "paper", "day", "similar", "api-paper", "api-daily", "fuzz")}[self.mix]
        kind = self.rng.choice(kinds)
        paper = self.rng.choice(self.ids)
        return {
            "search": lambda: f"/search?q={httpx.QueryParams({'q': self._query()})['q']}",
            "api-search": lambda: "/api/papers/search?" + str(httpx.QueryParams({"q": self._query()})),
            "paper": lambda: f"/papers/{paper}",
            "similar": lambda: f"/search?like={paper}",
            "day": lambda: f"/papers/date/{self.rng.choice(self.days)}",
            "api-paper": lambda: f"/api/papers/{paper}",
            "api-daily": lambda: f"/api/daily_papers?date={self.rng.choice(self.days)}",
            "fuzz": lambda: self.rng.choice(["/search?", "/api/papers/search?", "/api/daily_papers?",
                                             "/papers/trending?"]) + str(httpx.QueryParams(
                {self.rng.choice(["q", "date", "p", "limit", "category", "sort", self._junk()[:20]]): self._junk()})),
        }[kind]()


def rss_mib(pid: int) -> float:
    """Resident set size of ``pid`` and its children (uvicorn workers), in MiB (/proc/PID/status VmRSS)."""
    total = 0
    pids = [pid]
    children = Path(f"/proc/{pid}/task/{pid}/children")
    if children.exists():
        pids += [int(child) for child in children.read_text().split()]
    for each in pids:
        try:
            for line in Path(f"/proc/{each}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except OSError:
            pass
    return total / 1024


async def _load(base: str, workload: Workload, seconds: float, pid: int) -> tuple[list[tuple[float, float]], dict]:
    deadline = time.perf_counter() + seconds
    started = time.perf_counter()
    samples = [(0.0, rss_mib(pid))]
    statuses: dict[int, int] = {}
    latencies: list[float] = []

    async def client() -> None:
        async with httpx.AsyncClient(base_url=base, timeout=60) as http:
            while time.perf_counter() < deadline:
                began = time.perf_counter()
                try:
                    status = (await http.get(workload.next())).status_code
                except httpx.HTTPError:
                    status = 0
                latencies.append(time.perf_counter() - began)
                statuses[status] = statuses.get(status, 0) + 1

    async def sampler() -> None:
        while time.perf_counter() < deadline:
            await asyncio.sleep(SAMPLE_EVERY_S)
            samples.append((time.perf_counter() - started, rss_mib(pid)))

    await asyncio.gather(sampler(), *(client() for _ in range(CLIENTS)))
    return samples, {"statuses": statuses, "requests": len(latencies),
                     "median_ms": statistics.median(latencies) * 1000 if latencies else 0}


def run(seconds: int, mix: str, workers: int) -> dict:
    data_dir = Path(tempfile.mkdtemp(prefix="paperfeed-memory-"))
    env = {**os.environ, "PAPERFEED_DATA_DIR": str(data_dir), "PAPERFEED_INDEX_REFRESH_S": "0",
           "PAPERFEED_RATE_LIMITS": "false"}
    env.pop("PAPERFEED_DATABASE_URL", None)
    subprocess.run([sys.executable, "-m", "paperfeed.cli", "demo", "--load-only"], env=env, check=True,
                   capture_output=True)
    with served(env, "--workers", str(workers)) as (base, server):
        httpx.get(f"{base}/search?q=warm+up", timeout=60)
        samples, outcome = asyncio.run(_load(base, Workload(mix), seconds, server.pid))
        alive = server.poll() is None
    return {"samples": samples, "alive": alive, "mix": mix, "workers": workers, "seconds": seconds, **outcome}


def report(result: dict) -> str:
    samples = result["samples"]
    first_minute = next((rss for t, rss in samples if t >= 60), samples[-1][1])
    rows = "\n".join(f"| {t / 60:.1f} | {rss:.0f} |" for t, rss in samples[:: max(1, len(samples) // 12)])
    errors = sum(count for status, count in result["statuses"].items() if status >= 500 or status == 0)
    return (f"`.venv/bin/python bench/memory.py --seconds {result['seconds']} --mix {result['mix']}`: one "
            f"`paperfeed serve --workers {result['workers']}` on the bundled sample (SQLite), {CLIENTS} clients, "
            f"{result['requests']:,} requests (median {result['median_ms']:.0f} ms; statuses "
            f"{dict(sorted(result['statuses'].items()))}; {errors} server errors).\n\n"
            f"RSS (all processes): {samples[0][1]:.0f} MiB at the start, {first_minute:.0f} after one minute, "
            f"{samples[-1][1]:.0f} at the end, {max(rss for _, rss in samples):.0f} at most.\n\n"
            f"| minutes | RSS MiB |\n| --- | --- |\n{rows}\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--seconds", type=int, default=600)
    parser.add_argument("--mix", choices=("all", "search", "pages", "api", "fuzz"), default="all")
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--write-doc", action="store_true")
    arguments = parser.parse_args()
    result = run(arguments.seconds, arguments.mix, arguments.workers)
    text = report(result)
    print(text)
    if not result["alive"]:
        raise SystemExit("the server died during the run")
    if arguments.write_doc:
        benchlib.write_doc_section("Memory under load", text)  # the heading and the "before" figures stay above


if __name__ == "__main__":
    main()
