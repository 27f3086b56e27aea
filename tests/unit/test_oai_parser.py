"""The OAI-PMH parser on arXiv's real answers (tests/fixtures/arxiv-oai-pmh) and broken ones."""

from datetime import date

from paperfeed.sources.arxiv_oai import OaiReader, parse_oai_page
from tests.conftest import FIXTURES

OAI = FIXTURES / "arxiv-oai-pmh"


def read(name: str) -> bytes:
    return (OAI / name).read_bytes()


def test_arxiv_raw_records_keep_every_version_and_the_token():
    page = parse_oai_page(read("ListRecords_arXivRaw_from-2014-10-01_with-resumptionToken_TRIMMED_2015.xml"))
    assert (page.resumption_token, page.complete_list_size, page.is_last) == ("726959|1001", 58011, False)
    paper = page.records[0].paper
    assert paper.id == "0704.0471" and paper.title.startswith("Density dependence of the symmetry energy")
    assert "\n" not in paper.title and paper.authors == ["D.V. Shetty", "S.J. Yennello", "G.A. Souliotis"]
    assert paper.versions == [{"version": "v1", "created": "2007-04-03"}] and paper.published_on == date(2007, 4, 3)
    assert paper.categories == ["nucl-ex", "nucl-th"] and paper.doi == "10.1103/PhysRevC.76.024606"
    assert page.records[0].listing is None  # fetched papers are not listings: the daily page is curated


def test_arxiv_format_records():
    page = parse_oai_page(read("ListRecords_arXiv_set-cs_2015-01-16_to_2015-01-18_complete-46-records_2016.xml"))
    assert len(page.records) == 46 and page.is_last and not page.problems
    paper = page.records[0].paper
    assert paper.authors == ["Guohui Song", "Haizhang Zhang", "Fred J. Hickernell"]
    assert paper.published_on == date(2011, 1, 23) and paper.primary_category == "stat.ML"


def test_errors_are_read_not_raised():
    for name, code in [("error_badArgument_2015.xml", "badArgument"),
                       ("error_badResumptionToken_2015.xml", "badResumptionToken"),
                       ("error_noRecordsMatch_unknown-set-moo_2015.xml", "noRecordsMatch")]:
        page = parse_oai_page(read(name))
        assert page.error_code == code and page.error_message and not page.records


def test_a_cut_off_answer_keeps_what_came_before_the_break():
    whole = read("ListRecords_arXiv_set-cs_2015-01-16_to_2015-01-18_complete-46-records_2016.xml")
    page = parse_oai_page(whole[: len(whole) // 2])
    assert 0 < len(page.records) < 46 and page.broken.startswith("the XML breaks after")
    assert parse_oai_page(b"<html>503 Service Unavailable").broken
    assert parse_oai_page(b"").broken


def test_bad_records_are_reported_one_by_one():
    whole = read("ListRecords_arXiv_set-cs_2015-01-16_to_2015-01-18_complete-46-records_2016.xml").decode()
    first_title = whole.index("<title>") + len("<title>")
    broken = whole[:first_title] + "x" * 1_000_000 + whole[whole.index("</title>", first_title):]
    page = parse_oai_page(broken.encode())
    assert len(page.records) == 45 and "record 1 (oai:arXiv.org:1101.4388): title" in page.problems[0]
    deleted = whole.replace("<header>", '<header status="deleted">', 1)
    assert parse_oai_page(deleted.encode()).deleted == 1


def test_entities_and_dtds_are_refused():
    bomb = b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]><x>&a;</x>'
    assert "refused" in parse_oai_page(bomb).broken


def test_the_reader_streams():
    reader = OaiReader(read("ListRecords_arXiv_set-cs_2015-01-16_to_2015-01-18_complete-46-records_2016.xml"))
    first = next(iter(reader))
    assert first.paper.id == "1101.4388"
