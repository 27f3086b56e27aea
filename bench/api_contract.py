"""The API against its own OpenAPI document, with schemathesis (issue 13, the API contract).

Loads the bundled sample into a fresh data directory, makes a member with a personal access
token, starts ``paperfeed serve`` and runs ``schemathesis run`` with every check over every
operation. No server error (5xx) is allowed: the script exits 1 when one is found. The other
checks (statuses and bodies the document does not describe) are reported.

    .venv/bin/python bench/api_contract.py [--max-examples 50] [--write-doc]
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path


sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(1, str(Path(__file__).resolve().parent.parent))
import benchlib  # noqa: E402
from tests.site_process import served  # noqa: E402  (the tests' way of starting paperfeed serve)

PASSWORD = "bench contract password"


def _token(env: dict) -> str:
    """A member and a token for them, made with the library on the bench's database."""
    code = ("from paperfeed.config import load_settings\nfrom paperfeed.db.engine import create_engine\n"
            "from paperfeed.members.accounts import find_by_email\nfrom paperfeed.members.api_tokens import create_token\n"
            "engine = create_engine(load_settings().resolved_database_url)\n"
            "print(create_token(engine, find_by_email(engine, 'bench@example.org'), 'schemathesis'))\n")
    subprocess.run([sys.executable, "-m", "paperfeed.cli", "user", "add", "bench", "--email", "bench@example.org",
                    "--password-stdin"], input=PASSWORD, text=True, env=env, check=True, capture_output=True)
    return subprocess.run([sys.executable, "-c", code], env=env, check=True, capture_output=True,
                          text=True).stdout.strip()


def run(max_examples: int) -> dict:
    data_dir = Path(tempfile.mkdtemp(prefix="paperfeed-contract-"))
    env = {**os.environ, "PAPERFEED_DATA_DIR": str(data_dir), "PAPERFEED_SEMANTIC_SEARCH": "false",
           "PAPERFEED_INDEX_REFRESH_S": "0", "PAPERFEED_API_RATE_LIMIT": "1000000/minute"}
    env.pop("PAPERFEED_DATABASE_URL", None)
    subprocess.run([sys.executable, "-m", "paperfeed.cli", "demo", "--load-only"], env=env, check=True,
                   capture_output=True)
    token = _token(env)
    with served(env, output=subprocess.PIPE) as (base, server):
        started = time.perf_counter()
        result = subprocess.run(
            [str(Path(sys.executable).with_name("schemathesis")), "run", f"{base}/openapi.json", "--checks", "all",
             "--max-examples", str(max_examples), "--seed", "1", "-H", f"Authorization: Bearer {token}",
             "--no-color"], capture_output=True, text=True, env=env, cwd=data_dir)  # its .schemathesis/ goes there
        seconds = time.perf_counter() - started
        server.terminate()
        _, errors = server.communicate(timeout=30)
    output = result.stdout + result.stderr
    failures = {name.strip(): int(count) for name, count in re.findall(r"❌ ([^:\n]+): (\d+)", output)}
    return {"output": output, "seconds": seconds, "exit": result.returncode, "failures": failures,
            "server_errors": sum(count for name, count in failures.items() if "server error" in name.lower()),
            "tracebacks": errors.count("Traceback"), "cases": _number(output, r"(\d[\d,]*) generated"),
            "operations": _number(output, r"Tested: (\d+)")}


def _number(text: str, pattern: str) -> int | None:
    found = re.search(pattern, text)
    return int(found.group(1).replace(",", "")) if found else None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--max-examples", type=int, default=50)
    parser.add_argument("--write-doc", action="store_true")
    arguments = parser.parse_args(argv)
    outcome = run(arguments.max_examples)
    section = "\n\n".join([
        f"### The API against its OpenAPI document (schemathesis)\n\n`{benchlib.shown_command('bench/api_contract.py', argv)}`",
        f"Machine: {benchlib.machine_line()}",
        benchlib.markdown_table(["operations", "cases", "seconds", "server errors (5xx)", "server tracebacks",
                                 "schemathesis exit"],
                                [[outcome["operations"], outcome["cases"], round(outcome["seconds"], 1),
                                  outcome["server_errors"], outcome["tracebacks"], outcome["exit"]]]),
        "Findings of the other checks (a case each, after de-duplication): "
        + ("; ".join(f"{name}: {count}" for name, count in sorted(outcome["failures"].items())) or "none")
        + ". ST202 (a schema-valid request rejected) are requests the schema allows but paperfeed refuses "
        "on purpose (a NUL character, an empty or malformed arXiv id); ST205 is the `Allow` header of a 405.",
    ])
    print(section)
    if os.environ.get("CONTRACT_VERBOSE"):
        print(outcome["output"], file=sys.stderr)
    if arguments.write_doc:
        benchlib.write_doc_section("api-contract", section)
    if outcome["server_errors"] or outcome["tracebacks"]:
        print(outcome["output"][-5000:], file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
