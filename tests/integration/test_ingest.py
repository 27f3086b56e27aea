"""Bulk ingest into real databases (SQLite file and PostgreSQL schema)."""

import gzip
import json
from datetime import UTC, datetime

import sqlalchemy as sa

from paperfeed.db.tables import listings, paper_revisions, papers
from paperfeed.ingest.files import ingest_files
from tests.conftest import HF_API_FIXTURES, write_jsonl

GOOD = {"id": "2406.01234", "title": "First title", "abstract": "An abstract.", "authors": ["A. Author"],
        "date": "2024-06-03", "upvotes": 5}


def _count(engine, table) -> int:
    with engine.connect() as connection:
        return connection.execute(sa.select(sa.func.count()).select_from(table)).scalar_one()


def _row(engine, paper_id):
    with engine.connect() as connection:
        return connection.execute(sa.select(papers).where(papers.c.id == paper_id)).mappings().one()


def test_ingest_is_idempotent_and_says_so(engine, tmp_path):
    source = write_jsonl(tmp_path / "papers.jsonl", [GOOD, {**GOOD, "id": "2406.05678", "title": "Second"}])
    first = ingest_files(engine, [source])
    assert (first.added, first.updated, first.unchanged, first.rejected) == (2, 0, 0, 0)
    second = ingest_files(engine, [source])
    assert (second.added, second.updated, second.unchanged, second.rejected) == (0, 0, 2, 0)
    assert "nothing to change" in second.summary()
    assert _count(engine, papers) == 2 and _count(engine, listings) == 2


def test_version_suffix_is_the_same_paper_and_changes_are_kept_as_revisions(engine, tmp_path):
    ingest_files(engine, [write_jsonl(tmp_path / "v1.jsonl", [{**GOOD, "id": "2406.01234v1"}])])
    report = ingest_files(engine, [write_jsonl(tmp_path / "v3.jsonl", [
        {**GOOD, "id": "arXiv:2406.01234v3", "title": "Better title", "upvotes": 9}])])
    assert (report.added, report.updated) == (0, 1)
    row = _row(engine, "2406.01234")
    assert (row["title"], row["version"], row["upvotes"]) == ("Better title", 3, 9)
    with engine.connect() as connection:
        revision = connection.execute(sa.select(paper_revisions)).mappings().one()
    assert (revision["title"], revision["version"]) == ("First title", 1)
    # An older version arriving late does not roll the title back.
    ingest_files(engine, [write_jsonl(tmp_path / "v2.jsonl", [{**GOOD, "id": "2406.01234v2", "title": "Old"}])])
    assert _row(engine, "2406.01234")["title"] == "Better title"


def test_a_record_without_community_data_does_not_wipe_it(engine, tmp_path):
    hf_like = {**GOOD, "github_repo": "https://github.com/a/b", "github_stars": 12}
    arxiv_like = {"id": "2406.01234", "title": "First title", "abstract": "An abstract.", "date": "2024-06-01",
                  "categories": ["cs.CL"]}
    ingest_files(engine, [write_jsonl(tmp_path / "a.jsonl", [hf_like])])
    ingest_files(engine, [write_jsonl(tmp_path / "b.jsonl", [arxiv_like])])
    row = _row(engine, "2406.01234")
    assert (row["upvotes"], row["github_stars"], row["categories"]) == (5, 12, ["cs.CL"])
    with engine.connect() as connection:
        assert connection.execute(sa.select(listings.c.listed_on)).scalar_one().isoformat() == "2024-06-03"


def test_bad_records_are_reported_with_line_and_reason_and_the_rest_loads(engine, tmp_path):
    source = write_jsonl(tmp_path / "mixed.jsonl", [
        GOOD,                                                          # 1
        "{this is not json",                                           # 2
        {"id": "2406.00002", "abstract": "no title"},                  # 3
        {"id": "not an id", "title": "T"},                             # 4
        {"id": "2406.00004", "title": "T", "date": "2025-02-30"},      # 5
        {"id": "2406.00005", "title": "T", "abstract": "x" * (5 * 2**20)},  # 6
        {"id": "local:xss", "title": "<script>alert(1)</script>", "date": "2024-06-03", "upvotes": 1},  # 7
        "",                                                            # 8 (blank: ignored)
        '"just a string"',                                             # 9
    ])
    report = ingest_files(engine, [source])
    assert (report.added, report.rejected) == (2, 6)
    reasons = {problem.line: problem.reason for problem in report.problems}
    assert "not valid JSON" in reasons[2]
    assert reasons[3].startswith("title: missing")
    assert reasons[4].startswith("id: ") and "neither an arXiv id" in reasons[4]
    assert reasons[5].startswith("date: '2025-02-30' is not a real date")
    assert reasons[6].startswith("abstract: ") and "over the limit" in reasons[6]
    assert "JSON object" in reasons[9]
    assert all(str(problem).startswith(f"{source}:") for problem in report.problems)
    assert _row(engine, "local:xss")["title"] == "<script>alert(1)</script>"


def test_truncated_gzip_keeps_the_records_before_the_cut(engine, tmp_path):
    lines = [json.dumps({**GOOD, "id": f"2406.{n:05d}", "title": f"Paper {n}"}) for n in range(2000)]
    whole = gzip.compress("\n".join(lines).encode())
    cut = tmp_path / "cut.jsonl.gz"
    cut.write_bytes(whole[: len(whole) // 2])
    report = ingest_files(engine, [cut])
    assert 0 < report.added < 2000
    assert report.problems[-1].line is None and "truncated" in report.problems[-1].reason
    assert _count(engine, papers) == report.added


def test_raw_hugging_face_responses_are_ingested_as_listings(engine):
    files = sorted(HF_API_FIXTURES.glob("*.json"))
    report = ingest_files(engine, files)
    assert (report.added, report.rejected) == (50, 0)
    with engine.connect() as connection:
        days = connection.execute(sa.select(listings.c.listed_on, sa.func.count()).group_by(listings.c.listed_on)
                                  .order_by(listings.c.listed_on)).all()
    assert [(day.isoformat(), count) for day, count in days] == [("2024-05-27", 13), ("2025-06-02", 20),
                                                                 ("2026-08-21", 17)]
    assert ingest_files(engine, files).unchanged == 50


def test_missing_file_is_reported_not_raised(engine, tmp_path):
    report = ingest_files(engine, [tmp_path / "nope.jsonl"])
    assert report.problems[0].reason == "no such file"


def test_listing_times_survive_the_round_trip(engine, tmp_path):
    record = {**GOOD, "submitted_on_daily_at": "2024-06-03T07:15:00.000Z"}
    ingest_files(engine, [write_jsonl(tmp_path / "a.jsonl", [record])])
    with engine.connect() as connection:
        stored = connection.execute(sa.select(listings.c.submitted_at)).scalar_one()
    assert stored.replace(tzinfo=stored.tzinfo or UTC) == datetime(2024, 6, 3, 7, 15, tzinfo=UTC)
    assert ingest_files(engine, [write_jsonl(tmp_path / "a.jsonl", [record])]).unchanged == 1


def test_byte_order_mark_and_windows_line_endings_are_fine(engine, tmp_path):
    source = tmp_path / "bom.jsonl"
    source.write_bytes(b"\xef\xbb\xbf" + json.dumps(GOOD).encode() + b"\r\n"
                       + json.dumps({**GOOD, "id": "2406.00009"}).encode() + b"\r\n")
    assert ingest_files(engine, [source]).added == 2
    array = tmp_path / "array.json"
    array.write_bytes(b"\xef\xbb\xbf  " + json.dumps([{**GOOD, "id": "2406.00010"}]).encode())
    assert ingest_files(engine, [array]).added == 1


def test_two_files_that_disagree_are_still_idempotent(engine, tmp_path):
    hf_file = write_jsonl(tmp_path / "hf.jsonl", [{**GOOD, "title": "X^{2}-Gaussian", "date": "2025-03-18",
                                                   "published_at": "2025-03-15"}])
    arxiv_file = write_jsonl(tmp_path / "arxiv.jsonl", [{"id": "2406.01234", "title": "X$^{2}$-Gaussian",
                                                         "date": "2025-03-18", "categories": ["cs.CV"]}])
    first = ingest_files(engine, [hf_file, arxiv_file])
    assert (first.added, first.updated) == (1, 1)
    again = ingest_files(engine, [hf_file, arxiv_file])
    assert (again.added, again.updated, again.unchanged) == (0, 0, 2)
    row = _row(engine, "2406.01234")
    assert row["title"] == "X$^{2}$-Gaussian"  # the later file's title, kept
    assert row["published_on"].isoformat() == "2025-03-15"  # the earliest date a source gives
    # A real change in one of the files is applied on the next run.
    write_jsonl(tmp_path / "hf.jsonl", [{**GOOD, "title": "X2-Gaussian", "date": "2025-03-18", "upvotes": 50}])
    changed = ingest_files(engine, [hf_file, arxiv_file])
    assert (changed.updated, changed.unchanged) == (1, 1)
    assert (_row(engine, "2406.01234")["title"], _row(engine, "2406.01234")["upvotes"]) == ("X2-Gaussian", 50)


def test_a_paper_repeated_within_one_file_is_idempotent_too(engine, tmp_path):
    source = write_jsonl(tmp_path / "repeats.jsonl", [GOOD, {**GOOD, "title": "Second thoughts"}])
    first = ingest_files(engine, [source])
    assert (first.added, first.updated) == (1, 1)
    assert _row(engine, "2406.01234")["title"] == "Second thoughts"
    again = ingest_files(engine, [source])
    assert (again.added, again.updated, again.unchanged) == (0, 0, 2)
    assert _count(engine, paper_revisions) == 1

