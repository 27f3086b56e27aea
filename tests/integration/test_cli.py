"""The `paperfeed` command, run as a user runs it: a subprocess with PAPERFEED_* settings."""

import gzip
import json
import os
import subprocess
import sys

import pytest
import sqlalchemy as sa

from paperfeed.db.engine import create_engine
from tests.conftest import HF_API_FIXTURES, write_jsonl


def run_cli(*args, data_dir, database_url=None, check_rc=None, env=None, cwd=None):
    """``paperfeed ARGS`` in a subprocess (this checkout's code: PYTHONPATH is inherited). ``data_dir``
    None leaves PAPERFEED_DATA_DIR unset, as a newcomer has it; ``cwd`` is the folder it runs in."""
    env = {**os.environ, "PAPERFEED_DATA_DIR": str(data_dir), "COLUMNS": "200", **(env or {})}
    env.pop("PAPERFEED_DATABASE_URL", None)
    if data_dir is None:
        env.pop("PAPERFEED_DATA_DIR")
    if database_url:
        env["PAPERFEED_DATABASE_URL"] = database_url
    result = subprocess.run([sys.executable, "-m", "paperfeed.cli", *args], env=env, capture_output=True,
                            text=True, timeout=300, cwd=cwd)
    if check_rc is not None:
        assert result.returncode == check_rc, result.stdout + result.stderr
    return result


def test_help_lists_the_commands(tmp_path):
    out = run_cli("--help", data_dir=tmp_path, check_rc=0).stdout
    for command in ("init", "ingest", "serve", "demo"):
        assert command in out


def test_init_creates_the_sqlite_database_in_the_data_dir(tmp_path):
    result = run_cli("init", data_dir=tmp_path / "data", check_rc=0)
    assert (tmp_path / "data" / "paperfeed.db").is_file()
    assert "database ready" in result.stderr


@pytest.mark.parametrize("backend", ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def test_ingest_twice_reports_nothing_changed(backend, tmp_path, request):
    url = request.getfixturevalue("postgres_url") if backend == "postgresql" else None
    files = [str(path) for path in sorted(HF_API_FIXTURES.glob("*.json"))]
    first = run_cli("ingest", *files, data_dir=tmp_path, database_url=url, check_rc=0)
    assert "50 added, 0 updated, 0 unchanged, 0 rejected" in first.stderr
    second = run_cli("ingest", *files, data_dir=tmp_path, database_url=url, check_rc=0)
    assert "0 added, 0 updated, 50 unchanged, 0 rejected" in second.stderr
    assert "nothing to change" in second.stderr


def test_bad_records_are_listed_with_file_and_line_and_exit_code_3(tmp_path):
    source = write_jsonl(tmp_path / "in.jsonl", [
        {"id": "2401.00001", "title": "Good"}, "not json", {"id": "2401.00002"},
        {"id": "2401.00003", "title": "bad date", "date": "2025-02-30"},
    ])
    errors_file = tmp_path / "errors.txt"
    result = run_cli("ingest", str(source), "--errors", str(errors_file), data_dir=tmp_path, check_rc=3)
    assert f"{source}:2:1: not valid JSON" in result.stderr
    assert f"{source}:3: title: missing" in result.stderr
    assert f"{source}:4: date: '2025-02-30' is not a real date" in result.stderr
    assert "1 added, 0 updated, 0 unchanged, 3 rejected" in result.stderr
    assert len(errors_file.read_text().splitlines()) == 3
    assert "Traceback" not in result.stderr


def test_truncated_gzip_is_reported_and_the_rest_kept(tmp_path):
    lines = "".join(json.dumps({"id": f"2401.{n:05d}", "title": f"P{n}"}) + "\n" for n in range(3000))
    data = gzip.compress(lines.encode())
    source = tmp_path / "cut.jsonl.gz"
    source.write_bytes(data[: len(data) * 2 // 3])
    result = run_cli("ingest", str(source), data_dir=tmp_path, check_rc=3)
    assert "truncated" in result.stderr and "Traceback" not in result.stderr
    engine = create_engine(f"sqlite:///{tmp_path / 'paperfeed.db'}")
    with engine.connect() as connection:
        assert connection.execute(sa.text("SELECT count(*) FROM papers")).scalar_one() > 1000


def test_kaggle_snapshot_file(tmp_path):
    record = {"id": "0704.0001", "title": "Calculation of prompt diphoton production", "authors": "C. Balázs and E. Berger",
              "categories": "hep-ph", "abstract": "A calculation.", "update_date": "2008-11-13",
              "versions": [{"version": "v1", "created": "Mon, 2 Apr 2007 19:18:42 GMT"}]}
    source = write_jsonl(tmp_path / "arxiv-metadata-oai-snapshot.json", [record])
    assert "1 added" in run_cli("ingest", str(source), data_dir=tmp_path, check_rc=0).stderr


def test_unusable_database_url_is_a_clear_error(tmp_path):
    result = run_cli("init", data_dir=tmp_path, database_url="nonsense://", check_rc=1)
    assert "error:" in result.stderr and "Traceback" not in result.stderr


def test_demo_load_only_loads_the_bundled_sample_once(tmp_path):
    first = run_cli("demo", "--load-only", data_dir=tmp_path, check_rc=0)
    assert "10,630 added" in first.stderr
    second = run_cli("demo", "--load-only", data_dir=tmp_path, check_rc=0)
    assert "already loaded" in second.stderr


def test_unreachable_postgres_is_a_clear_error(tmp_path):
    result = run_cli("init", data_dir=tmp_path, database_url="postgresql://nobody@127.0.0.1:1/none", check_rc=1)
    assert "cannot open the database at postgresql+psycopg://nobody@127.0.0.1:1/none" in result.stderr
    assert "Traceback" not in result.stderr


def one_line(text: str) -> str:
    """What a command printed, with rich's line wrapping undone."""
    return " ".join(text.split())


# Every command that only reads: none may create a database (issue 15).
READ_ONLY_COMMANDS = [("search", "attention"), ("fetch", "--status"), ("digest", "status"),
                      ("subscribers", "export"), ("index",), ("backup", "copy.db")]


@pytest.mark.parametrize("command", READ_ONLY_COMMANDS, ids=" ".join)
def test_read_only_commands_run_outside_the_data_directory_create_nothing_and_say_where_they_looked(
        tmp_path, command):
    result = run_cli(*command, data_dir=None, cwd=tmp_path, check_rc=1)
    assert list(tmp_path.iterdir()) == []  # no ./data/paperfeed.db, no index, no backup file
    said = one_line(result.stderr)
    assert f"paperfeed {command[0]}" in said
    assert f"found no database at {tmp_path / 'data' / 'paperfeed.db'} (and creates none: it only reads)" in said
    assert f"It looked in ./data, the default data directory, in {tmp_path} (PAPERFEED_DATA_DIR is not set)" in said
    assert "set PAPERFEED_DATA_DIR=/path/to/data (or PAPERFEED_DATABASE_URL=postgresql://" in said
    assert "no papers match" not in said and "index not built" not in said and "Traceback" not in said


def test_a_read_only_command_names_the_data_directory_it_was_pointed_at(tmp_path):
    result = run_cli("search", "attention", data_dir=tmp_path / "nowhere", cwd=tmp_path, check_rc=1)
    assert not (tmp_path / "nowhere").exists()
    assert f"It looked in PAPERFEED_DATA_DIR={tmp_path / 'nowhere'}" in one_line(result.stderr)


@pytest.mark.postgres
def test_a_read_only_command_on_an_empty_postgres_database_creates_no_tables(tmp_path, postgres_url):
    result = run_cli("search", "attention", data_dir=tmp_path, database_url=postgres_url, check_rc=1)
    assert "found no paperfeed tables in postgresql://" in one_line(result.stderr)
    engine = create_engine(postgres_url)
    assert sa.inspect(engine).get_table_names() == []
    engine.dispose()


def test_search_without_an_index_says_so_instead_of_no_papers_match(tmp_path):
    run_cli("init", data_dir=tmp_path, check_rc=0)
    result = run_cli("search", "attention", data_dir=tmp_path, check_rc=1)
    said = one_line(result.stderr)
    assert f"there is no search index in {tmp_path / 'index'} yet: run paperfeed index" in said
    assert "no papers match" not in said


def test_a_bad_line_names_the_files_line_and_column_only(tmp_path):
    source = tmp_path / "mine.jsonl"
    source.write_text('{"id": "2401.00001", "title": "One"}\n{"id": "2401.00002", "title": "Two"}\n'
                      '{"id": "2401.00003", "title": "Three"\n{"id": "2401.00004", "title": "Four"}\n')
    result = run_cli("ingest", str(source), data_dir=tmp_path, check_rc=3)
    said = one_line(result.stderr)
    # The record ends too soon: after the 37 characters of line 3, not "line 2 column 1" of the parser's count.
    assert (f"rejected {source}:3:38: not valid JSON: the line ends before the record does (one record per line: "
            "is a record split over several lines?)") in said
    assert "line 2" not in said and "column" not in said
    pretty = tmp_path / "pretty.json"  # a JSON document: the error at its line and column in the file
    pretty.write_text('\n[\n  {"id": "2401.00005", "title": "Five"},\n  {"id": "2401.00006" "title": "Six"}\n]\n')
    result = run_cli("ingest", str(pretty), data_dir=tmp_path, check_rc=3)
    assert (f"{pretty}:4:23: the JSON document is not valid JSON (unexpected character, expected ',' or '}}')"
            in one_line(result.stderr))


def test_ingest_tells_what_it_indexed_apart_from_the_index_total(tmp_path):
    """A database restored on a new machine (no index yet), then a 4-line file with 1 bad line."""
    old = tmp_path / "old"
    papers = [{"id": f"2402.{n:05d}", "title": f"Earlier paper {n}"} for n in range(30)]
    run_cli("ingest", str(write_jsonl(tmp_path / "earlier.jsonl", papers)), data_dir=old, check_rc=0)
    run_cli("backup", str(tmp_path / "backup.db"), data_dir=old, check_rc=0)
    new = tmp_path / "new"
    run_cli("restore", str(tmp_path / "backup.db"), data_dir=new, check_rc=0)
    mine = write_jsonl(tmp_path / "mine.jsonl", [{"id": "2401.00001", "title": "One"}, {"id": "2401.00002", "title": "Two"},
                                                 '{"id": "2401.00003", "title": "Three"', {"id": "2401.00004", "title": "Four"}])
    said = one_line(run_cli("ingest", str(mine), data_dir=new, check_rc=3, env={"PAPERFEED_SEMANTIC_SEARCH": "false"}).stderr)
    assert "3 added, 0 updated, 0 unchanged, 1 rejected" in said
    assert ("33 papers indexed, 3 from this ingest and 30 older ones it had not indexed yet; it holds 33 papers "
            "in all") in said
    again = one_line(run_cli("ingest", str(mine), data_dir=new, check_rc=3, env={"PAPERFEED_SEMANTIC_SEARCH": "false"}).stderr)
    assert "0 added, 0 updated, 3 unchanged, 1 rejected" in again
    assert "search index up to date; it holds 33 papers in all" in again
