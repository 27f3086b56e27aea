"""Load: two `paperfeed serve` processes behind nginx, PostgreSQL with the 264k real papers and
10,000 members, 50 concurrent clients (wrk) for 60 seconds per route; then one web process and
one digest worker are killed with SIGKILL in the middle of a run.

    .venv/bin/python bench/load.py --write-doc          # about 10 minutes (the first run ingests)
    .venv/bin/python bench/load.py --seconds 10         # a quick look

Needs on this machine: PostgreSQL on 127.0.0.1:5432 (trust auth), Redis on 127.0.0.1:6379, and
Debian's nginx and wrk (`apt-get install nginx-light wrk`). Everything runs on the same cores:
the load generator, nginx, both web processes and PostgreSQL. The figure to read is the ratio to
nginx serving a saved copy of the same daily page, measured in the same run.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parent))
import benchlib  # noqa: E402

from paperfeed.db.engine import create_engine, migrate  # noqa: E402
from paperfeed.db.tables import api_tokens, listings, papers, subscriptions, users  # noqa: E402
from paperfeed.ingest.files import ingest_files  # noqa: E402
from paperfeed.search.indexer import update_indexes  # noqa: E402

ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
DATABASE = "paperfeed_load"
DATABASE_URL = f"postgresql://postgres@127.0.0.1:5432/{DATABASE}"
REDIS_URL = "redis://127.0.0.1:6379/12"
WORK = benchlib.RESULTS_DIR / "load"
MEMBERS, TOKENS, SUBSCRIBERS = 10_000, 1_000, 2_000
CONNECTIONS = 50
QUERIES = ["speculative decoding", "diffusion models for video", "protein structure", "graph neural networks",
           "reinforcement learning from human feedback", "retrieval augmented generation", "vision transformer",
           "mixture of experts", "code generation benchmark", "multilingual speech recognition"]


def _log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


# --- the database -----------------------------------------------------------------------------


def prepare_database() -> dict:
    admin = create_engine(ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        if not connection.execute(sa.text("SELECT 1 FROM pg_database WHERE datname = :name"),
                                  {"name": DATABASE}).scalar():
            connection.execute(sa.text(f'CREATE DATABASE "{DATABASE}"'))
    admin.dispose()
    engine = create_engine(DATABASE_URL)
    migrate(engine)
    with engine.connect() as connection:
        count = connection.execute(sa.select(sa.func.count()).select_from(papers)).scalar_one()
    if count < 259_000:
        benchlib.require_corpora(benchlib.CORPORA)
        _log("ingesting the three corpora into PostgreSQL (once)")
        ingest_files(engine, list(benchlib.CORPORA))
    now = datetime.now(UTC)
    with engine.begin() as connection:
        have = connection.execute(sa.select(sa.func.count()).select_from(users)).scalar_one()
        if have < MEMBERS:
            connection.execute(users.insert(), [{"username": f"load{n}", "email": f"load{n}@example.org",
                                                 "password_hash": "!", "role": "member", "created_at": now,
                                                 "email_confirmed_at": now} for n in range(have, MEMBERS)])
        ids = list(connection.execute(sa.select(users.c.id).order_by(users.c.id).limit(TOKENS)).scalars())
        connection.execute(api_tokens.delete().where(api_tokens.c.name == "load"))
        tokens = [f"pf_load_{n}_{random.getrandbits(64):x}" for n in range(len(ids))]
        import hashlib

        connection.execute(api_tokens.insert(), [{"user_id": user_id, "name": "load", "created_at": now,
                                                  "token_sha256": hashlib.sha256(token.encode()).hexdigest()}
                                                 for user_id, token in zip(ids, tokens)])
        paper_ids = list(connection.execute(sa.select(listings.c.paper_id).order_by(listings.c.listed_on.desc())
                                            .limit(2_000)).scalars())
        connection.execute(subscriptions.delete().where(subscriptions.c.email.like("digest%@example.org")))
        connection.execute(subscriptions.insert(), [
            {"email": f"digest{n}@example.org", "frequency": "daily", "send_hour": 7, "timezone": "UTC",
             "content": "top", "top_count": 10, "personal_count": 0, "keywords": "", "created_at": now,
             "confirmed_at": now} for n in range(SUBSCRIBERS)])
        busiest = connection.execute(sa.select(listings.c.listed_on).group_by(listings.c.listed_on)
                                     .order_by(sa.func.count().desc()).limit(1)).scalar_one()
        total = connection.execute(sa.select(sa.func.count()).select_from(papers)).scalar_one()
    issue = busiest + timedelta(days=1)
    while issue.weekday() >= 5:
        issue += timedelta(days=1)
    engine.dispose()
    return {"tokens": tokens, "paper_ids": paper_ids, "issue_day": issue, "papers": total}


def build_indexes() -> None:
    node_a, node_b = WORK / "node-a", WORK / "node-b"
    engine = create_engine(DATABASE_URL)
    started = time.perf_counter()
    update_indexes(engine, node_a)  # keyword index (the vectors of 264k papers take 2 h of CPU here)
    _log(f"keyword index: {time.perf_counter() - started:.0f} s")
    engine.dispose()
    shutil.rmtree(node_b, ignore_errors=True)
    shutil.copytree(node_a / "index", node_b / "index")


# --- processes -----------------------------------------------------------------------------------


def node_env(data_dir: Path, **extra) -> dict:
    return {**os.environ, "PAPERFEED_DATABASE_URL": DATABASE_URL, "PAPERFEED_DATA_DIR": str(data_dir),
            "PAPERFEED_REDIS_URL": REDIS_URL, "PAPERFEED_SECRET_KEY": "load-benchmark",
            "PAPERFEED_SEMANTIC_SEARCH": "false", "PAPERFEED_API_RATE_LIMIT": "10000000/minute",
            "PAPERFEED_LOG_LEVEL": "warning", **extra}


def start_node(name: str, port: int) -> subprocess.Popen:
    process = subprocess.Popen([sys.executable, "-m", "paperfeed.cli", "serve", "--port", str(port)],
                               env=node_env(WORK / name), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(600):
        try:
            if httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=2).status_code == 200:
                return process
        except httpx.HTTPError:
            time.sleep(0.2)
    raise SystemExit(f"{name} did not start")


def start_nginx(web_ports: list[int], balancer: int, static: int) -> subprocess.Popen:
    prefix = WORK / "nginx"
    (prefix / "logs").mkdir(parents=True, exist_ok=True)
    upstreams = "\n".join(f"        server 127.0.0.1:{port} max_fails=1 fail_timeout=30s;" for port in web_ports)
    (prefix / "nginx.conf").write_text(f"""
user root;
worker_processes 1;
pid {prefix}/nginx.pid;
error_log {prefix}/logs/error.log warn;
events {{ worker_connections 4096; }}
http {{
    access_log off;
    upstream paperfeed_web {{
{upstreams}
        keepalive 64;
    }}
    server {{
        listen 127.0.0.1:{balancer};
        location / {{
            proxy_pass http://paperfeed_web;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header Host $host;
            proxy_next_upstream error timeout http_502 http_503;
            proxy_next_upstream_tries 3;
            proxy_connect_timeout 2s;
        }}
    }}
    server {{
        listen 127.0.0.1:{static};
        root {prefix}/static;
        location / {{ default_type text/html; }}
    }}
}}
""")
    process = subprocess.Popen(["nginx", "-p", str(prefix), "-c", str(prefix / "nginx.conf"), "-g", "daemon off;"])
    time.sleep(1)
    return process


LUA = r"""
local paths = {}
local method, tokens = "GET", {}
function init(args)
  for line in io.lines(args[1]) do table.insert(paths, line) end
  if args[2] then method = "POST"; for line in io.lines(args[2]) do table.insert(tokens, line) end end
  math.randomseed(os.time() + (tonumber(tostring({}):sub(8)) or 0))
end
function request()
  local path = paths[math.random(#paths)]
  if method == "POST" then
    return wrk.format("POST", path, {["Authorization"] = "Bearer " .. tokens[math.random(#tokens)]}, "")
  end
  return wrk.format("GET", path)
end
function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format('{"requests": %d, "seconds": %f, "p50_ms": %f, "p99_ms": %f, "connect": %d, ' ..
    '"read": %d, "write": %d, "status": %d, "timeout": %d}\n', summary.requests, summary.duration / 1e6,
    latency:percentile(50) / 1000, latency:percentile(99) / 1000, e.connect, e.read, e.write, e.status, e.timeout))
end
"""


def run_wrk(base: str, paths: list[str], seconds: int, *, tokens: list[str] | None = None) -> dict:
    script, path_file = WORK / "load.lua", WORK / "paths.txt"
    script.write_text(LUA)
    path_file.write_text("\n".join(paths) + "\n")
    command = ["wrk", "-t2", f"-c{CONNECTIONS}", f"-d{seconds}s", "--timeout", "10s", "-s", str(script), base,
               "--", str(path_file)]
    if tokens:
        token_file = WORK / "tokens.txt"
        token_file.write_text("\n".join(tokens) + "\n")
        command.append(str(token_file))
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    result = json.loads([line for line in output.splitlines() if line.startswith("{")][-1])
    result["rps"] = result["requests"] / result["seconds"]
    result["errors"] = sum(result[name] for name in ("connect", "read", "write", "status", "timeout"))
    return result


def digest_workers(issue_day, smtp_port: int) -> list[subprocess.Popen]:
    """Two `paperfeed digest send` processes at once, at 60 messages a second each."""
    env = node_env(WORK / "worker", PAPERFEED_SMTP_HOST="127.0.0.1", PAPERFEED_SMTP_PORT=str(smtp_port),
                   PAPERFEED_SMTP_TLS="none", PAPERFEED_SMTP_RATE_PER_S="60")
    return [subprocess.Popen([sys.executable, "-m", "paperfeed.cli", "digest", "send", "--period", "daily",
                              "--date", issue_day.isoformat()], env=env, stdout=subprocess.DEVNULL,
                             stderr=subprocess.PIPE, text=True) for _ in range(2)]


# --- the run -----------------------------------------------------------------------------------------


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--write-doc", action="store_true")
    arguments = parser.parse_args(argv)
    for program in ("nginx", "wrk"):
        if shutil.which(program) is None and not Path(f"/usr/sbin/{program}").exists():
            raise SystemExit(f"{program} is missing: apt-get install nginx-light wrk")
    sys.path.insert(0, str(benchlib.REPO_ROOT))
    from tests.smtp_server import SmtpServer

    WORK.mkdir(parents=True, exist_ok=True)
    facts = prepare_database()
    build_indexes()
    ports = [free_port(), free_port()]
    balancer, static = free_port(), free_port()
    nodes = [start_node("node-a", ports[0]), start_node("node-b", ports[1])]
    nginx = start_nginx(ports, balancer, static)
    base = f"http://127.0.0.1:{balancer}"
    (WORK / "nginx" / "static").mkdir(exist_ok=True)
    (WORK / "nginx" / "static" / "index.html").write_bytes(httpx.get(f"{base}/").content)
    rng = random.Random(0)
    paper_paths = [f"/papers/{paper_id}" for paper_id in facts["paper_ids"]]
    results = {}
    try:
        seconds = arguments.seconds
        _log("nginx: the saved daily page")
        results["nginx, saved copy of the daily page (baseline)"] = run_wrk(f"http://127.0.0.1:{static}",
                                                                            ["/index.html"], seconds)
        for label, paths, tokens in [
            ("daily page `/`", ["/"], None),
            ("paper pages `/papers/{id}` (2,000 listed papers)", paper_paths, None),
            ("search page `/search?q=` (10 queries)", [f"/search?q={q.replace(' ', '+')}" for q in QUERIES], None),
            ("upvotes `POST /api/papers/{id}/upvote` (1,000 members' tokens)",
             [f"/api/papers/{paper_id}/upvote" for paper_id in facts["paper_ids"]], facts["tokens"]),
        ]:
            _log(f"wrk: {label}")
            results[label] = run_wrk(base, paths, seconds, tokens=tokens)
        _log("kill run: the daily page and paper pages; web process A and a digest worker are killed")
        kill = {}
        with SmtpServer() as mailbox:
            mixed = ["/"] + rng.sample(paper_paths, 200)
            outcome = {}
            load = threading.Thread(target=lambda: outcome.update(run_wrk(base, mixed, seconds)))
            load.start()
            time.sleep(seconds * 0.1)
            workers = digest_workers(facts["issue_day"], mailbox.port)
            time.sleep(seconds * 0.1)
            workers[0].send_signal(signal.SIGKILL)
            workers[0].wait()
            kill["worker killed after s"] = round(seconds * 0.2, 1)
            time.sleep(seconds * 0.2)
            nodes[0].send_signal(signal.SIGKILL)
            kill["web process A killed after s"] = round(seconds * 0.4, 1)
            load.join()
            workers[1].wait(timeout=600)
            for rerun in digest_workers(facts["issue_day"], mailbox.port):  # pick up what the dead one claimed
                rerun.wait(timeout=600)
            counts = mailbox.per_recipient()
            kill["digests delivered"] = f"{sum(counts.values()):,} to {len(counts):,} of {SUBSCRIBERS:,} subscribers"
            kill["subscribers with 2 or more"] = sum(1 for n in counts.values() if n > 1)
        results["during the kills: daily page + 200 paper pages"] = outcome
    finally:
        for process in nodes + [nginx]:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in nodes + [nginx]:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
    baseline = results["nginx, saved copy of the daily page (baseline)"]["rps"]
    rows = [(label, f"{r['rps']:,.0f}", f"{r['rps'] / baseline:.3f}", f"{r['p50_ms']:.1f}", f"{r['p99_ms']:.1f}",
             f"{r['requests']:,}", r["errors"]) for label, r in results.items()]
    body = "\n".join([
        "## Load: two web processes behind nginx (issue 7)",
        "",
        f"Command: `{benchlib.shown_command('bench/load.py', argv)}`  ",
        f"Machine: {benchlib.machine_line()}",
        "",
        f"PostgreSQL with {facts['papers']:,} papers and {MEMBERS:,} members; two `paperfeed serve` processes "
        f"(one worker process each) behind nginx; wrk with {CONNECTIONS} connections for {arguments.seconds} s "
        "per row; rate-limit counters in Redis (the API limit raised for the one load-generating address); "
        "keyword search (no vectors: embedding 264k papers takes 2 h of CPU here).",
        "",
        benchlib.markdown_table(["route (through nginx)", "requests/s", "ratio to nginx static", "p50 ms",
                                 "p99 ms", "requests", "errors"], rows),
        "",
        benchlib.markdown_table(["kill run", "value"], list(kill.items())),
        "",
        "Errors are wrk's socket errors plus answers other than 2xx/3xx.",
    ])
    print(body)
    if arguments.write_doc:
        benchlib.write_doc_section("load", body)


if __name__ == "__main__":
    main()
