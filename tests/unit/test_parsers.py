"""Parsers are pure functions: one decoded record in, a paper (and maybe a listing) out."""

import json
from datetime import UTC, date, datetime

import pytest

from paperfeed.errors import InvalidInput
from paperfeed.ingest.files import parse_record
from tests.conftest import HF_API_FIXTURES


def test_paperfeed_record_with_upvotes_is_a_listing_on_its_date():
    parsed = parse_record({
        "id": "2406.01234v2", "title": "  A\n  wrapped   title ", "abstract": "line one\nline two\n\nnext para",
        "authors": ["Ada Lovelace", {"name": "Alan Turing"}], "date": "2024-06-03", "categories": ["cs.CL"],
        "upvotes": 7, "github_repo": "https://github.com/x/\ny", "submitted_by": "akhaliq",
    })
    assert parsed.paper.id == "2406.01234" and parsed.paper.version == 2
    assert parsed.paper.title == "A wrapped title"
    assert parsed.paper.abstract == "line one line two\n\nnext para"
    assert parsed.paper.authors == ["Ada Lovelace", "Alan Turing"]
    assert parsed.paper.github_repo == "https://github.com/x/y"
    assert parsed.listing.listed_on == date(2024, 6, 3)
    assert parsed.listing.submitted_by == "akhaliq"


def test_plain_arxiv_record_is_a_paper_but_not_a_listing():
    parsed = parse_record({"id": "cs/9301111", "title": "Nested satisfiability", "date": "1989-12-31"})
    assert parsed.listing is None
    assert parsed.paper.published_on == date(1989, 12, 31)
    assert parse_record({"id": "cs/9301111", "title": "T", "date": "1989-12-31"}, listings="all").listing


def test_kaggle_snapshot_record():
    parsed = parse_record({
        "id": "0704.0001", "submitter": "Pavel Nadolsky", "authors": "C. Bal\\'azs, E. L. Berger and P. M. Nadolsky",
        "title": "Calculation of prompt diphoton production cross sections at Tevatron and LHC energies",
        "categories": "hep-ph hep-ex", "abstract": "  A fully differential calculation\nin perturbative QCD ...",
        "versions": [{"version": "v1", "created": "Mon, 2 Apr 2007 19:18:42 GMT"},
                     {"version": "v2", "created": "Tue, 24 Jul 2007 20:10:27 GMT"}],
        "update_date": "2008-11-13",
        "authors_parsed": [["Balázs", "C.", ""], ["Berger", "E. L.", ""], ["Nadolsky", "P. M.", ""]],
    })
    paper = parsed.paper
    assert paper.authors == ["C. Balázs", "E. L. Berger", "P. M. Nadolsky"]
    assert paper.categories == ["hep-ph", "hep-ex"] and paper.primary_category == "hep-ph"
    assert paper.version == 2 and paper.published_on == date(2007, 4, 2)
    assert paper.versions[1] == {"version": "v2", "created": "2007-07-24"}
    assert parsed.listing is None


def test_kaggle_author_string_is_split_when_authors_parsed_is_absent():
    parsed = parse_record({"id": "0704.0002", "title": "T", "authors": "A. One, B. Two and C. Three",
                           "versions": []})
    assert parsed.paper.authors == ["A. One", "B. Two", "C. Three"]


def test_hugging_face_item_is_a_listing_on_its_submission_day():
    item = json.loads((HF_API_FIXTURES / "2025-06-02.json").read_text())[0]
    parsed = parse_record(item)
    assert parsed.paper.id == "2505.24864"
    assert parsed.paper.title.startswith("ProRL: Prolonged Reinforcement Learning Expands Reasoning Boundaries in Large")
    assert parsed.paper.upvotes == 35 and parsed.paper.num_comments == 1
    assert parsed.listing.listed_on == date(2025, 6, 2) and parsed.listing.source == "hf"
    assert parsed.listing.submitted_at == datetime(2025, 6, 2, 3, 18, 21, 654000, tzinfo=UTC)
    assert parsed.listing.submitted_by == "shizhediao"


@pytest.mark.parametrize(
    ("record", "field", "reason"),
    [
        ({"id": "2406.01234"}, "title", "missing"),
        ({"id": "2406.01234", "title": "   "}, "title", "empty"),
        ({"id": "2406.01234", "title": ["x"]}, "title", "must be text"),
        ({"title": "T"}, "id", "missing"),
        ({"id": "not an id", "title": "T"}, "id", "neither an arXiv id"),
        ({"id": 704.0001, "title": "T"}, "id", "is a number"),
        ({"id": "2406.01234", "title": "T", "date": "2025-02-30"}, "date", "not a real date"),
        ({"id": "2406.01234", "title": "T", "abstract": "x" * 5_000_000}, "abstract", "over the limit"),
        ({"id": "2406.01234", "title": "T" * 3000}, "title", "over the limit"),
        ({"id": "2406.01234", "title": "T", "upvotes": -1}, "upvotes", "negative"),
        ({"id": "2406.01234", "title": "T", "upvotes": "many"}, "upvotes", "whole number"),
        ({"id": "2406.01234", "title": "T", "authors": "A, B"}, "authors", "must be a list"),
        ({"id": "2406.01234", "title": "T", "github_repo": "javascript:alert(1)"}, "github_repo", "not an http"),
    ],
)
def test_bad_records_name_the_field_and_the_reason(record, field, reason):
    with pytest.raises(InvalidInput) as caught:
        parse_record(record)
    assert caught.value.field == field
    assert reason in caught.value.reason


def test_a_record_must_be_an_object():
    with pytest.raises(InvalidInput, match="must be a JSON object"):
        parse_record([1, 2])


def test_html_in_a_title_is_kept_as_text():
    title = "<script>alert('x')</script> Attention & <b>more</b>"
    assert parse_record({"id": "local:x", "title": title}).paper.title == title
