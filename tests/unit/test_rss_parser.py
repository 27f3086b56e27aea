"""arXiv listing feeds (RSS 2.0 and Atom) as recorded, including one cut off mid-entry."""

from datetime import date

from paperfeed.sources.arxiv_rss import parse_listing_feed
from tests.conftest import FIXTURES

RSS = FIXTURES / "arxiv-rss"


def test_rss2_items():
    feed = parse_listing_feed((RSS / "rss2_rss.arxiv.org-rss-cs.CL_2026-04-27_TRIMMED-3-items_reserialized.xml").read_bytes())
    paper = feed.records[0].paper
    assert feed.day == date(2026, 4, 27) and len(feed.records) == 3 and not feed.broken
    assert (paper.id, paper.version, paper.published_on) == ("2604.22002", 1, date(2026, 4, 27))
    assert paper.abstract.startswith("Social media platforms") and "Announce Type" not in paper.abstract
    assert paper.authors[:2] == ["Anamta Khan", "Ratna Kandala"] and paper.categories == ["cs.CL"]


def test_announce_types_and_replacements_keep_the_papers_date():
    feed = parse_listing_feed((RSS / "rss2_rss.arxiv.org-rss-cs.LG+cs.AI+cs.CL+stat.ML_2026-09-24_TRIMMED-4-items.xml").read_bytes())
    types = feed.announce_types
    assert set(types.values()) == {"new", "cross", "replace"}
    for record in feed.records:
        if types[record.paper.id] != "new":
            assert record.paper.published_on is None  # a replacement is not the paper's first day


def test_atom_and_a_cut_off_feed():
    whole = parse_listing_feed((RSS / "atom_rss.arxiv.org-atom-cs.AI_2025-08-20_86-entries_DERIVED-closed.xml").read_bytes())
    cut = parse_listing_feed((RSS / "atom_rss.arxiv.org-atom-cs.AI_2025-08-20_87-entries_CUT-OFF-not-well-formed.xml").read_bytes())
    assert len(whole.records) == 86 and whole.day == date(2025, 8, 20) and not whole.broken
    assert len(cut.records) == 86 and cut.broken.startswith("the feed breaks after 86 entries")
