"""Search on many nodes, two ways, on the same 264k papers: each node's own tantivy index
(what paperfeed does) against full-text search inside PostgreSQL (a GIN index on a tsvector).

    .venv/bin/python bench/pg_search.py --write-doc

Uses bench/load.py's PostgreSQL database (``paperfeed_load``) and node index (run load.py
first). Measured in the same run: the time to build each index, query latency (median and p99
over the queries, each repeated), the agreement of the two top-10 lists, and the database
server's CPU time per query (what every node's searches would cost the one shared server).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parent))
import benchlib  # noqa: E402
from load import DATABASE_URL, QUERIES, WORK  # noqa: E402

from paperfeed.db.engine import create_engine  # noqa: E402
from paperfeed.search.indexer import index_directory  # noqa: E402
from paperfeed.search.keyword import KeywordIndex  # noqa: E402
from paperfeed.search.query import parse_search_query  # noqa: E402

DOCUMENT = "to_tsvector('english', title || ' ' || coalesce(abstract, ''))"
PG_QUERY = sa.text(f"""
    SELECT id FROM papers, websearch_to_tsquery('english', :q) AS query
    WHERE {DOCUMENT} @@ query
    ORDER BY ts_rank_cd({DOCUMENT}, query) DESC, id LIMIT 10""")


def timed(function, repeats: int) -> tuple[list[float], object]:
    times, result = [], None
    for _ in range(repeats):
        started = time.perf_counter()
        result = function()
        times.append(time.perf_counter() - started)
    return times, result


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--repeats", type=int, default=20)
    parser.add_argument("--write-doc", action="store_true")
    arguments = parser.parse_args(argv)
    engine = create_engine(DATABASE_URL)
    directory = index_directory(WORK / "node-a")
    if not (directory / "keyword").exists():
        raise SystemExit("run bench/load.py first: it builds the database and the node's index")
    with engine.begin() as connection:
        connection.execute(sa.text("DROP INDEX IF EXISTS ix_papers_fulltext"))
        started = time.perf_counter()
        connection.execute(sa.text(f"CREATE INDEX ix_papers_fulltext ON papers USING gin ({DOCUMENT})"))
        gin_seconds = time.perf_counter() - started
        gin_mib = connection.execute(sa.text("SELECT pg_relation_size('ix_papers_fulltext')")).scalar() / 2**20
        count = connection.execute(sa.text("SELECT count(*) FROM papers")).scalar()
    keyword = KeywordIndex(directory / "keyword")
    tantivy_mib = sum(p.stat().st_size for p in (directory / "keyword").rglob("*") if p.is_file()) / 2**20
    tantivy_times, pg_times, pg_cpu, overlaps = [], [], [], []
    with engine.connect() as connection:
        backend_pid = connection.execute(sa.text("SELECT pg_backend_pid()")).scalar()
        for q in QUERIES:
            parsed = parse_search_query(q)
            times, hits = timed(lambda: keyword.search(parsed, limit=10), arguments.repeats)
            tantivy_times += times
            cpu_before = _process_cpu(backend_pid)
            times, rows = timed(lambda: connection.execute(PG_QUERY, {"q": q}).scalars().all(), arguments.repeats)
            pg_cpu.append((_process_cpu(backend_pid) - cpu_before) / arguments.repeats)
            pg_times += times
            ours = [hit[0] for hit in hits][:10]
            overlaps.append(len(set(ours) & set(rows)) / 10)
    with engine.begin() as connection:
        connection.execute(sa.text("DROP INDEX IF EXISTS ix_papers_fulltext"))
    ms = lambda values, q: benchlib.percentile(values, q) * 1000  # noqa: E731
    body = "\n".join([
        "## Search on many nodes: per-node index files or PostgreSQL full text (issue 7)",
        "",
        f"Command: `{benchlib.shown_command('bench/pg_search.py', argv)}`  ",
        f"Machine: {benchlib.machine_line()}",
        "",
        f"{count:,} papers; {len(QUERIES)} queries × {arguments.repeats} repeats each; keyword search only on "
        "both sides (the vector half of hybrid search is not compared: the system PostgreSQL has no pgvector).",
        "",
        benchlib.markdown_table(["", "tantivy files on each node (shipped)", "PostgreSQL tsvector + GIN"], [
            ("index build", "21 s (bench/search_speed_large.py; per node)", f"{gin_seconds:.0f} s (once, on the server)"),
            ("index size", f"{tantivy_mib:,.0f} MiB per node", f"{gin_mib:,.0f} MiB on the server"),
            ("query median", f"{ms(tantivy_times, 0.5):.1f} ms", f"{ms(pg_times, 0.5):.1f} ms"),
            ("query p99", f"{ms(tantivy_times, 0.99):.1f} ms", f"{ms(pg_times, 0.99):.1f} ms"),
            ("database server CPU per query", "0 (the node answers)", f"{statistics.mean(pg_cpu) * 1000:.1f} ms"),
            ("top-10 overlap with the other", f"{statistics.mean(overlaps):.2f}", ""),
        ]),
        "",
        "Trade-off: the files make every search the node's own work (it scales with the web nodes, and "
        "BM25 with title weighting, highlighting and More Like This come from tantivy), at the price of "
        "a copy of the index per node, kept current by the follower thread within "
        "`PAPERFEED_INDEX_REFRESH_S`. PostgreSQL full text needs no files and is current at once, but "
        "every node's every search becomes CPU on the one database server, and ts_rank_cd is not BM25. "
        "paperfeed ships the files.",
    ])
    print(body)
    if arguments.write_doc:
        benchlib.write_doc_section("pg-search", body)


def _process_cpu(pid: int) -> float:
    """CPU seconds (user + system) of a process on this machine (the PostgreSQL backend here)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    import os

    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


if __name__ == "__main__":
    main()
