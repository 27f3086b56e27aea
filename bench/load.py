"""Load: two `paperfeed serve` processes on PostgreSQL with the 264k real papers and 10,000 members,
50 concurrent clients (wrk) for 60 seconds per route, in one run: nginx serving a saved copy of the daily
page (the baseline), the app behind nginx as a plain balancer, and the shipped deploy/nginx.conf with its
micro-cache; then the main routes again with one web process killed with SIGKILL in the middle.

    .venv/bin/python bench/load.py --write-doc          # about 15 minutes (the first run ingests)
    .venv/bin/python bench/load.py --seconds 10         # a quick look

Needs on this machine: PostgreSQL on 127.0.0.1:5432 (trust auth), Redis on 127.0.0.1:6379, and
Debian's nginx and wrk (`apt-get install nginx-light wrk`). Everything runs on the same cores:
the load generator, nginx, both web processes and PostgreSQL. The figure to read is the ratio to
nginx serving a saved copy of the same daily page, measured in the same run.

The limits are a deployment's: rate limits on, at their defaults, counted in Redis. Each request
comes "from" an address of its own kind (X-Forwarded-For, which the app believes from nginx on
127.0.0.1): a visitor one of 10,000 addresses, a member's vote always from that member's address.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
import os
import random
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import sqlalchemy as sa
from itsdangerous import TimestampSigner

sys.path.insert(0, str(Path(__file__).resolve().parent))
import benchlib  # noqa: E402

from paperfeed.db.engine import create_engine, downgrade, migrate  # noqa: E402
from paperfeed.db.tables import api_tokens, listings, papers, subscriptions, users  # noqa: E402
from paperfeed.ingest.files import ingest_files  # noqa: E402
from paperfeed.members.sessions import start_session  # noqa: E402
from paperfeed.db.users import get_user  # noqa: E402
from paperfeed.search.indexer import update_indexes  # noqa: E402

NGINX = shutil.which("nginx") or "/usr/sbin/nginx"

ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
DATABASE = "paperfeed_load"
DATABASE_URL = f"postgresql://postgres@127.0.0.1:5432/{DATABASE}"
REDIS_URL = "redis://127.0.0.1:6379/12"
SECRET_KEY = "load-benchmark"
SESSION_COOKIE = "paperfeed_session"
WORK = benchlib.RESULTS_DIR / "load"
MEMBERS, TOKENS, SESSIONS, SUBSCRIBERS = 10_000, 1_000, 1_000, 2_000
CONNECTIONS = 50
FRESH_WITHIN_S = 5.0  # PAPERFEED_FRESH_WITHIN_S, the default
QUERIES = ["speculative decoding", "diffusion models for video", "protein structure", "graph neural networks",
           "reinforcement learning from human feedback", "retrieval augmented generation", "vision transformer",
           "mixture of experts", "code generation benchmark", "multilingual speech recognition"]
DISTINCT_QUERIES = 20_000
_WORD = re.compile(r"[a-z]{3,}")


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
        ids = list(connection.execute(sa.select(users.c.id).order_by(users.c.id).limit(TOKENS + 1)).scalars())
        connection.execute(api_tokens.delete().where(api_tokens.c.name == "load"))
        tokens = [f"pf_load_{n}_{random.getrandbits(64):x}" for n in range(len(ids))]
        connection.execute(api_tokens.insert(), [{"user_id": user_id, "name": "load", "created_at": now,
                                                  "token_sha256": hashlib.sha256(token.encode()).hexdigest()}
                                                 for user_id, token in zip(ids, tokens)])
        listed = list(connection.execute(sa.select(listings.c.paper_id).order_by(listings.c.listed_on.desc())
                                         .limit(2_001)).scalars())
        connection.execute(subscriptions.delete().where(subscriptions.c.email.like("digest%@example.org")))
        connection.execute(subscriptions.insert(), [
            {"email": f"digest{n}@example.org", "frequency": "daily", "send_hour": 7, "timezone": "UTC",
             "content": "top", "top_count": 10, "personal_count": 0, "keywords": "", "created_at": now,
             "confirmed_at": now} for n in range(SUBSCRIBERS)])
        busiest = connection.execute(sa.select(listings.c.listed_on).group_by(listings.c.listed_on)
                                     .order_by(sa.func.count().desc()).limit(1)).scalar_one()
        total = connection.execute(sa.select(sa.func.count()).select_from(papers)).scalar_one()
        titles = list(connection.execute(sa.select(papers.c.title).order_by(papers.c.id).limit(60_000)).scalars())
    issue = busiest + timedelta(days=1)
    while issue.weekday() >= 5:
        issue += timedelta(days=1)
    with engine.connect() as connection:
        members = [get_user(connection, user_id) for user_id in ids[1:SESSIONS + 1]]
    cookies = [session_cookie(start_session(engine, member)) for member in members]
    engine.dispose()
    # The probe (a vote, then: how long until visitors see it) uses the first token and a paper
    # outside the 2,000 that the upvote run votes on.
    return {"tokens": tokens[1:], "probe_token": tokens[0], "paper_ids": listed[:2_000], "probe_paper": listed[2_000],
            "issue_day": issue, "papers": total, "cookies": cookies, "distinct_queries": distinct_queries(titles)}


def session_cookie(session_id: str) -> str:
    """The cookie Starlette's SessionMiddleware would set for this session: its JSON, base64, signed
    with the site's key (itsdangerous). Checked against the app before the run (:func:`check_cookie`)."""
    payload = base64.b64encode(json.dumps({"sid": session_id, "csrf": f"csrf-{session_id[:12]}"}).encode())
    return TimestampSigner(SECRET_KEY).sign(payload).decode()


def distinct_queries(titles: list[str]) -> list[str]:
    """Queries no two alike: two or three consecutive words of the papers' titles."""
    rng, seen = random.Random(7), {}
    while len(seen) < DISTINCT_QUERIES:
        words = _WORD.findall(rng.choice(titles).lower())
        if len(words) >= 3:
            size = rng.choice((2, 3))
            start = rng.randrange(len(words) - size + 1)
            seen.setdefault(" ".join(words[start:start + size]), None)
    return list(seen)


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


def node_env(data_dir: Path, *, database_url: str = DATABASE_URL, **extra) -> dict:
    """A node as deployed: rate limits on at their defaults, counted in Redis."""
    return {**os.environ, "PAPERFEED_DATABASE_URL": database_url, "PAPERFEED_DATA_DIR": str(data_dir),
            "PAPERFEED_REDIS_URL": REDIS_URL, "PAPERFEED_SECRET_KEY": SECRET_KEY,
            "PAPERFEED_SEMANTIC_SEARCH": "false", "PAPERFEED_LOG_LEVEL": "warning",
            "PAPERFEED_FRESH_WITHIN_S": str(FRESH_WITHIN_S), **extra}


def start_node(name: str, port: int, *, source: Path | None = None, **extra) -> subprocess.Popen:
    """`paperfeed serve` of this checkout, or of the package under ``source`` (an older commit's)."""
    env = node_env(WORK / name, **extra)
    if source is not None:
        env["PYTHONPATH"] = str(source / "src")  # ahead of the venv's editable install of this checkout
    (WORK / name).mkdir(parents=True, exist_ok=True)
    with open(WORK / name / "serve.log", "ab") as log:  # warnings and errors, for a row that had any
        process = subprocess.Popen([sys.executable, "-m", "paperfeed.cli", "serve", "--port", str(port)],
                                   env=env, stdout=subprocess.DEVNULL, stderr=log)
    for _ in range(600):
        try:
            if httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=2).status_code == 200:
                return process
        except httpx.HTTPError:
            time.sleep(0.2)
    raise SystemExit(f"{name} did not start")


# The last commit before issue 17 (no data generation, no page cache): the upvotes' baseline, run in
# the same run on a copy of the database taken back to its schema (migration 0017).
BEFORE_COMMIT, BEFORE_REVISION = "49117fa", "0017"
BEFORE_DATABASE = f"{DATABASE}_before"


def prepare_before() -> tuple[Path, str]:
    """That commit's package under WORK/before-src, and a copy of the load database at its schema."""
    source = WORK / "before-src"
    shutil.rmtree(source, ignore_errors=True)
    source.mkdir(parents=True)
    archive = subprocess.run(["git", "-C", str(benchlib.REPO_ROOT), "archive", BEFORE_COMMIT, "src"],
                             capture_output=True, check=True).stdout
    subprocess.run(["tar", "-x", "-C", str(source)], input=archive, check=True)
    admin = create_engine(ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{BEFORE_DATABASE}"'))
        for attempt in range(50):  # the nodes just stopped: their connections may take a moment to go
            try:
                connection.execute(sa.text(f'CREATE DATABASE "{BEFORE_DATABASE}" TEMPLATE "{DATABASE}"'))
                break
            except sa.exc.OperationalError:
                time.sleep(0.2)
    admin.dispose()
    url = f"postgresql://postgres@127.0.0.1:5432/{BEFORE_DATABASE}"
    engine = create_engine(url)
    downgrade(engine, BEFORE_REVISION)
    engine.dispose()
    return source, url


def start_nginx(web_ports: list[int], balancer: int, static: int) -> subprocess.Popen:
    """nginx as a plain balancer (no cache: the app alone), and a static server with a saved copy of
    the daily page."""
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
    upstream balancer_web {{
{upstreams}
        keepalive 64;
    }}
    server {{
        listen 127.0.0.1:{balancer};
        location / {{
            proxy_pass http://balancer_web;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header Host $host;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
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
    return _nginx([str(NGINX), "-p", str(prefix), "-c", str(prefix / "nginx.conf")], prefix / "logs" / "error.log")


CACHE_LOG = WORK / "nginx-shipped" / "cache.log"


def start_shipped_nginx(web_ports: list[int], port: int) -> subprocess.Popen:
    """The shipped deploy/nginx.conf, its addresses replaced and nothing else (tests/nginx_conf.py), with
    one log line per request: what its micro-cache did (HIT, MISS, EXPIRED, STALE, BYPASS...)."""
    from tests.nginx_conf import SHIPPED, nginx_command, runnable_config

    prefix = WORK / "nginx-shipped"
    shutil.rmtree(prefix, ignore_errors=True)
    prefix.mkdir(parents=True)
    config = runnable_config(SHIPPED.read_text(), nodes=[f"127.0.0.1:{p}" for p in web_ports], port=port,
                             prefix=prefix)
    plain_log = f"    access_log {prefix / 'access.log'};\n"
    assert plain_log in config, "tests/nginx_conf.py no longer writes the access log line this replaces"
    config = config.replace(plain_log, "    log_format cache_status $upstream_cache_status;\n"
                            f"    access_log {CACHE_LOG} cache_status buffer=256k flush=1s;\n")
    config = config.replace("events { worker_connections 256; }", "worker_processes 1;\nevents { worker_connections 4096; }")
    return _nginx(nginx_command(config, prefix), prefix / "error.log")


def _nginx(command: list[str], error_log: Path) -> subprocess.Popen:
    process = subprocess.Popen([*command, "-g", "daemon off;"])
    time.sleep(1)
    if process.poll() is not None:
        raise SystemExit(f"nginx did not start: see {error_log}")
    return process


LUA = r"""
local paths, tokens, cookies = {}, {}, {}
local method, sequential, position, threads = "GET", false, 0, 2
local counter = 0
function setup(thread)
  thread:set("thread_number", counter)
  counter = counter + 1
end
function init(args)
  for line in io.lines(args[1]) do table.insert(paths, line) end
  sequential = args[2] == "sequential"
  if args[3] ~= "-" then method = "POST"; for line in io.lines(args[3]) do table.insert(tokens, line) end end
  if args[4] ~= "-" then for line in io.lines(args[4]) do table.insert(cookies, line) end end
  threads = tonumber(args[5])
  position = thread_number or 0
  math.randomseed(os.time() * 16 + position)
end
local function address(n)  -- wrk's LuaJIT is Lua 5.1: no // operator
  return string.format("10.%d.%d.%d", math.floor(n / 65536) % 256, math.floor(n / 256) % 256, n % 256)
end
function request()
  local path
  if sequential then path = paths[position % #paths + 1]; position = position + threads
  else path = paths[math.random(#paths)] end
  local headers = {}
  if method == "POST" then
    local member = math.random(#tokens)
    headers["Authorization"] = "Bearer " .. tokens[member]
    headers["X-Forwarded-For"] = address(member)
    return wrk.format("POST", path, headers, "")
  end
  if #cookies > 0 then
    local member = math.random(#cookies)
    headers["Cookie"] = "paperfeed_session=" .. cookies[member]
    headers["X-Forwarded-For"] = address(member)
  else
    headers["X-Forwarded-For"] = address(100000 + math.random(10000))
  end
  return wrk.format("GET", path, headers)
end
function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format('{"requests": %d, "seconds": %f, "p50_ms": %f, "p99_ms": %f, "connect": %d, ' ..
    '"read": %d, "write": %d, "status": %d, "timeout": %d}\n', summary.requests, summary.duration / 1e6,
    latency:percentile(50) / 1000, latency:percentile(99) / 1000, e.connect, e.read, e.write, e.status, e.timeout))
end
"""
WRK_THREADS = 2


def run_wrk(base: str, paths: list[str], seconds: int, *, tokens: list[str] | None = None,
            cookies: list[str] | None = None, sequential: bool = False) -> dict:
    script, path_file = WORK / "load.lua", WORK / "paths.txt"
    script.write_text(LUA)
    path_file.write_text("\n".join(paths) + "\n")
    arguments = [str(path_file), "sequential" if sequential else "random"]
    for name, lines in (("tokens", tokens), ("cookies", cookies)):
        if lines:
            (WORK / f"{name}.txt").write_text("\n".join(lines) + "\n")
            arguments.append(str(WORK / f"{name}.txt"))
        else:
            arguments.append("-")
    arguments.append(str(WRK_THREADS))
    command = ["wrk", f"-t{WRK_THREADS}", f"-c{CONNECTIONS}", f"-d{seconds}s", "--timeout", "10s", "-s", str(script),
               base, "--", *arguments]
    finished = subprocess.run(command, capture_output=True, text=True, check=True)
    summaries = [line for line in finished.stdout.splitlines() if line.startswith("{")]
    if not summaries:
        raise SystemExit(f"wrk gave no summary:\n{finished.stdout}\n{finished.stderr}")
    result = json.loads(summaries[-1])
    result["rps"] = result["requests"] / result["seconds"]
    result["errors"] = sum(result[name] for name in ("connect", "read", "write", "status", "timeout"))
    return result


def digest_workers(issue_day, smtp_port: int) -> list[subprocess.Popen]:
    """Two `paperfeed digest send` processes at once, at 60 messages a second each."""
    env = node_env(WORK / "worker", PAPERFEED_SMTP_HOST="127.0.0.1", PAPERFEED_SMTP_PORT=str(smtp_port),
                   PAPERFEED_BASE_URL="https://papers.example.org",
                   PAPERFEED_SMTP_TLS="none", PAPERFEED_SMTP_RATE_PER_S="60")
    return [subprocess.Popen([sys.executable, "-m", "paperfeed.cli", "digest", "send", "--period", "daily",
                              "--date", issue_day.isoformat()], env=env, stdout=subprocess.DEVNULL,
                             stderr=subprocess.PIPE, text=True) for _ in range(2)]


# --- what the nodes say about themselves -----------------------------------------------------------


_SAMPLE = re.compile(r'^(?P<name>[a-z_]+)(?:\{(?P<labels>[^}]*)\})? (?P<value>[0-9.e+-]+)$')


def node_metrics(ports: list[int]) -> dict[tuple[str, str], float]:
    """The nodes' /metrics added up: {(metric name, labels): value}."""
    total: dict[tuple[str, str], float] = {}
    for port in ports:
        try:
            text = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=10).text
        except httpx.HTTPError:
            continue  # a node that was killed
        for line in text.splitlines():
            match = _SAMPLE.match(line)
            if match and match["name"].startswith(("paperfeed_page_cache", "paperfeed_search_phase")):
                key = (match["name"], match["labels"] or "")
                total[key] = total.get(key, 0.0) + float(match["value"])
    return total


def cache_outcomes(before: dict, after: dict) -> dict[str, float]:
    outcomes = {}
    for (name, labels), value in after.items():
        if name == "paperfeed_page_cache_total":
            outcome = labels.split('"')[1]
            outcomes[outcome] = value - before.get((name, labels), 0.0)
    return outcomes


def hit_rate(outcomes: dict[str, float]) -> str:
    served = sum(outcomes.values())
    if not served:
        return "—"
    from_memory = outcomes.get("hit", 0) + outcomes.get("stale", 0) + outcomes.get("not_modified", 0)
    return f"{from_memory / served:.1%}"


def rss_mib(processes: list[subprocess.Popen]) -> str:
    sizes = []
    for process in processes:
        try:
            status = Path(f"/proc/{process.pid}/status").read_text()
        except OSError:
            continue
        sizes.append(int(re.search(r"VmRSS:\s+(\d+)", status)[1]) / 1024)
    return " + ".join(f"{size:.0f}" for size in sizes)


def search_phases(before: dict, after: dict) -> list[tuple[str, str, str, str]]:
    """(phase, searches timed, mean ms, share of the timed total) from the histograms' sums and counts."""
    rows, means = [], {}
    for (name, labels), value in after.items():
        if name == "paperfeed_search_phase_seconds_sum":
            phase = labels.split('"')[1]
            counted = after.get(("paperfeed_search_phase_seconds_count", labels), 0) - before.get(
                ("paperfeed_search_phase_seconds_count", labels), 0)
            spent = value - before.get((name, labels), 0.0)
            if counted:
                means[phase] = (counted, spent / counted)
    total = sum(spent for _, spent in means.values())
    from paperfeed.search.timing import PHASES

    for phase in PHASES:
        if phase in means:
            counted, mean = means[phase]
            rows.append((phase, f"{counted:,.0f}", f"{mean * 1000:.2f}", f"{mean / total:.0%}" if total else "—"))
    return rows


def vote_visibility(base_api: str, base_visitor: str, paper_id: str, token: str, stop: threading.Event,
                    delays: list[float]) -> None:
    """While the upvote run goes on: vote (or take the vote back) through the API, then time how long
    until a visitor's copy of the paper (through the shipped nginx) shows the new count."""
    voter, visitor = httpx.Client(base_url=base_api, timeout=10), httpx.Client(base_url=base_visitor, timeout=10)
    headers = {"Authorization": f"Bearer {token}", "X-Forwarded-For": "10.200.0.1"}
    up = True
    while not stop.is_set():
        send = voter.post if up else voter.delete
        send(f"/api/papers/{paper_id}/upvote", headers=headers).raise_for_status()
        expected = voter.get(f"/api/papers/{paper_id}", headers=headers).json()["upvotes"]
        voted_at = time.monotonic()
        while not stop.is_set() and time.monotonic() - voted_at < 30:
            if visitor.get(f"/api/papers/{paper_id}").json()["upvotes"] == expected:
                delays.append(time.monotonic() - voted_at)
                break
            time.sleep(0.05)
        up = not up
        stop.wait(1.0)


def check_cookie(base: str, cookie: str) -> None:
    page = httpx.get(f"{base}/", headers={"Cookie": f"{SESSION_COOKIE}={cookie}"}, timeout=30).text
    if "signed in as load" not in page:
        raise SystemExit("the benchmark's session cookies do not sign in: has the cookie format changed?")


# --- the run -----------------------------------------------------------------------------------------


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--write-doc", action="store_true")
    parser.add_argument("--only", default="", help="only the rows whose label holds this text (and the baseline); "
                        "no kill run, no cache-off rows: a quick look while working on one route")
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
    balancer, shipped, static = free_port(), free_port(), free_port()
    nodes = [start_node("node-a", ports[0]), start_node("node-b", ports[1])]
    nginx = [start_nginx(ports, balancer, static), start_shipped_nginx(ports, shipped)]
    app_only, through_nginx = f"http://127.0.0.1:{balancer}", f"http://127.0.0.1:{shipped}"
    check_cookie(app_only, facts["cookies"][0])
    (WORK / "nginx" / "static").mkdir(exist_ok=True)
    (WORK / "nginx" / "static" / "index.html").write_bytes(httpx.get(f"{app_only}/").content)
    paper_paths = [f"/papers/{paper_id}" for paper_id in facts["paper_ids"]]
    seconds = arguments.seconds
    rows = [
        ("nginx, saved copy of the daily page (baseline)", f"http://127.0.0.1:{static}", ["/index.html"], {}),
        ("daily page `/`, visitors, app only (nginx balancing, no nginx cache)", app_only, ["/"], {}),
        ("daily page `/`, visitors, through the shipped deploy/nginx.conf", through_nginx, ["/"], {}),
        ("paper pages `/papers/{id}` (2,000 distinct), visitors, app only", app_only, paper_paths, {}),
        ("paper pages `/papers/{id}` (2,000 distinct), visitors, through the shipped nginx", through_nginx,
         paper_paths, {}),
        ("daily page `/`, members (1,000 sessions), first visits and after", through_nginx, ["/"],
         {"cookies": facts["cookies"]}),
        ("daily page `/`, the same members again", through_nginx, ["/"], {"cookies": facts["cookies"]}),
        ("search page, the same 10 queries again and again, visitors, app only", app_only,
         [f"/search?q={q.replace(' ', '+')}" for q in QUERIES], {}),
        (f"search page, distinct queries (no repeats; {DISTINCT_QUERIES:,} ready), visitors, app only", app_only,
         [f"/search?q={q.replace(' ', '+')}" for q in facts["distinct_queries"]], {"sequential": True}),
        ("upvotes `POST /api/papers/{id}/upvote` (1,000 members' tokens), through the shipped nginx",
         through_nginx, [f"/api/papers/{paper_id}/upvote" for paper_id in facts["paper_ids"]],
         {"tokens": facts["tokens"]}),
    ]
    results, extra, phases, delays, uncached, baseline_votes = {}, {}, [], [], {}, {}
    kill: dict[str, object] = {}
    try:
        for label, base, paths, options in rows:
            if arguments.only and arguments.only not in label and label != rows[0][0]:
                continue
            _log(f"wrk: {label}")
            before = node_metrics(ports)
            stop, probe = threading.Event(), None
            if "tokens" in options:
                probe = threading.Thread(target=vote_visibility, daemon=True, args=(
                    app_only, through_nginx, facts["probe_paper"], facts["probe_token"], stop, delays))
                probe.start()
            time.sleep(1.5)  # the log's buffer is flushed every second
            CACHE_LOG.write_text("")
            results[label] = run_wrk(base, paths, seconds, **options)
            stop.set()
            if probe is not None:
                probe.join(timeout=40)
            after = node_metrics(ports)
            time.sleep(1.5)
            statuses = CACHE_LOG.read_text().split()
            extra[label] = {"app": hit_rate(cache_outcomes(before, after)), "memory": rss_mib(nodes),
                            "nginx": (f"{statuses.count('HIT') / len(statuses):.1%}"
                                      if base == through_nginx and statuses else "—")}
            if label.startswith("search page, distinct"):
                phases = search_phases(before, after)
        kill_rows = [] if arguments.only else [rows[2], rows[3], rows[6]]
        with SmtpServer() as mailbox:
            for number, (label, base, paths, options) in enumerate(kill_rows):
                _log(f"kill run: {label}")
                outcome: dict = {}
                load = threading.Thread(target=lambda: outcome.update(run_wrk(base, paths, seconds // 2, **options)))
                load.start()
                workers = []
                if number == 0:
                    time.sleep(seconds * 0.05)
                    workers = digest_workers(facts["issue_day"], mailbox.port)
                    time.sleep(seconds * 0.05)
                    workers[0].send_signal(signal.SIGKILL)
                    workers[0].wait()
                    kill["digest worker killed after s"] = round(seconds * 0.1, 1)
                    time.sleep(seconds * 0.1)
                else:
                    time.sleep(seconds * 0.2)
                nodes[0].send_signal(signal.SIGKILL)
                nodes[0].wait()
                load.join()
                results[f"{label}, web process A killed after {seconds * 0.2:.0f} s"] = outcome
                if workers:
                    workers[1].wait(timeout=600)
                    for rerun in digest_workers(facts["issue_day"], mailbox.port):  # what the dead one claimed
                        rerun.wait(timeout=600)
                    counts = mailbox.per_recipient()
                    kill["digests delivered"] = (f"{sum(counts.values()):,} to {len(counts):,} of "
                                                 f"{SUBSCRIBERS:,} subscribers")
                    kill["subscribers with 2 or more"] = sum(1 for n in counts.values() if n > 1)
                nodes[0] = start_node("node-a", ports[0])
        # The same routes with the page cache off (PAPERFEED_PAGE_CACHE_MB=0, every request rendered),
        # in the same run: what caching changes, against a baseline measured beside it.
        for process in nodes:
            process.send_signal(signal.SIGTERM)
            process.wait(timeout=30)
        nodes = [start_node(name, port, PAPERFEED_PAGE_CACHE_MB="0") for name, port in zip(("node-a", "node-b"), ports)]
        for label, base, paths, options in [] if arguments.only else [rows[1], rows[3], rows[6], rows[7]]:
            _log(f"wrk, page cache off: {label}")
            uncached[label] = run_wrk(base, paths, seconds, **options)
        votes = rows[-1]
        if not arguments.only or arguments.only in votes[0]:
            # Upvotes before issue 17 and now, back to back: the code before on a copy of the database.
            for label, source in ((f"before issue 17 ({BEFORE_COMMIT})", True), ("this commit", False)):
                for process in nodes:
                    process.send_signal(signal.SIGTERM)
                    process.wait(timeout=30)
                before = prepare_before() if source else None
                nodes = [start_node(f"{'before-' if source else ''}{name}", port,
                                    source=before[0] if before else None,
                                    database_url=before[1] if before else DATABASE_URL)
                         for name, port in zip(("node-a", "node-b"), ports)]
                _log(f"wrk, upvotes, {label}")
                baseline_votes[label] = run_wrk(votes[1], votes[2], seconds, **votes[3])
    finally:
        for process in nodes + nginx:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in nodes + nginx:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
    baseline = results["nginx, saved copy of the daily page (baseline)"]["rps"]
    table = [(label, f"{r['rps']:,.0f}", f"{r['rps'] / baseline:.3f}", f"{r['p50_ms']:.1f}", f"{r['p99_ms']:.1f}",
              f"{r['requests']:,}", r["errors"], extra.get(label, {}).get("app", "—"),
              extra.get(label, {}).get("nginx", "—"), extra.get(label, {}).get("memory", "—"))
             for label, r in results.items()]
    compared = [(label, f"{off['rps']:,.0f}", f"{off['p99_ms']:.1f}", f"{results[label]['rps']:,.0f}",
                 f"{results[label]['p99_ms']:.1f}", f"×{results[label]['rps'] / off['rps']:.1f}")
                for label, off in uncached.items() if label in results]
    votes_table = [(label, f"{r['rps']:,.0f}", f"{r['p50_ms']:.1f}", f"{r['p99_ms']:.1f}", r["errors"])
                   for label, r in baseline_votes.items()]
    if len(baseline_votes) == 2:
        before, now = baseline_votes.values()
        votes_table.append(("this commit / before", f"×{now['rps'] / before['rps']:.2f}", "", "", ""))
    delay_line = (f"{len(delays)} probes: median {statistics.median(delays):.2f} s, max {max(delays):.2f} s "
                  f"(the promise: {FRESH_WITHIN_S:g} s)" if delays else "no probe finished")
    body = "\n".join([
        "## Load: two web processes behind nginx, caching (issue 17)",
        "",
        f"Command: `{benchlib.shown_command('bench/load.py', argv)}`  ",
        f"Machine: {benchlib.machine_line()}",
        "",
        f"PostgreSQL with {facts['papers']:,} papers and {MEMBERS:,} members; two `paperfeed serve` processes "
        f"(one worker process each); one nginx with a plain balancer (\"app only\"), the shipped "
        f"deploy/nginx.conf (\"through the shipped nginx\") and a static copy of the daily page; wrk with "
        f"{CONNECTIONS} connections for {seconds} s per row ({seconds // 2} s for the kill rows). Rate limits as "
        "deployed (defaults, counted in Redis), each visitor from one of 10,000 addresses and each member from "
        "their own (X-Forwarded-For from nginx); keyword search (no vectors: embedding 264k papers takes 2 h of "
        f"CPU here); `PAPERFEED_FRESH_WITHIN_S={FRESH_WITHIN_S:g}`, the default 64 MiB page cache per process.",
        "",
        benchlib.markdown_table(["route", "requests/s", "ratio to nginx static", "p50 ms", "p99 ms", "requests",
                                 "errors", "app cache hits", "nginx cache hits", "RSS MiB (node A + B)"], table),
        "",
        "The same routes with the page cache off (`PAPERFEED_PAGE_CACHE_MB=0`: every request rendered, "
        "as before issue 17), in the same run, nodes restarted:",
        "",
        benchlib.markdown_table(["route", "cache off: requests/s", "p99 ms", "cache on: requests/s", "p99 ms",
                                 "on / off"], compared),
        "",
        f"Upvotes against the code before issue 17 (`{BEFORE_COMMIT}`, on a copy of the database at its "
        "schema), then this commit again, back to back, same nginx, same tokens:",
        "",
        benchlib.markdown_table(["upvotes, 50 connections", "requests/s", "p50 ms", "p99 ms", "errors"], votes_table),
        "",
        f"Upvotes visible to visitors (through the shipped nginx): {delay_line}.",
        "",
        "Where a search's time goes, distinct queries (the app's `paperfeed_search_phase_seconds`, both nodes):",
        "",
        benchlib.markdown_table(["phase", "timed", "mean ms", "share"], phases),
        "",
        benchlib.markdown_table(["kill run", "value"], list(kill.items())),
        "",
        "Errors are wrk's socket errors plus answers other than 2xx/3xx. App cache hits: answers from a "
        "process's page cache (hit, stale while re-rendering, or 304) over all answers of cached routes; nginx "
        "cache hits: `$upstream_cache_status` HIT over all requests through the shipped config.",
    ])
    print(body)
    if arguments.write_doc and not arguments.only:
        benchlib.write_doc_section("load", body)


if __name__ == "__main__":
    main()
