"""The feed writer: any text a source sends gives a well-formed feed, and the same list the same bytes."""

from datetime import date

import feedparser

from paperfeed.catalog import feeds
from paperfeed.models import Paper

INFO = feeds.FeedInfo("Daily <papers>", "", "http://site/feeds/daily.atom", "http://site/")


def test_text_xml_cannot_carry_is_dropped_and_markup_is_text():
    paper = Paper("2608.00001", "Bell\x07 and \ufffe <b>bold</b>", abstract="a\x00b", authors=["A\x1b B"],
                  published_on=date(2026, 8, 1))
    for fmt in ("atom", "rss"):
        feed = feedparser.parse(feeds.render(INFO, [feeds.entry(paper, "http://site")], fmt))
        assert not feed.bozo and feed.entries[0].title == "Bell and  <b>bold</b>"
        assert feed.feed.title == "Daily <papers>"


def test_same_papers_same_bytes_and_an_empty_list_is_a_valid_feed():
    paper = Paper("2608.00001", "T", published_on=date(2026, 8, 1))
    first = feeds.render(INFO, [feeds.entry(paper, "http://site")], "atom")
    assert first == feeds.render(INFO, [feeds.entry(paper, "http://site")], "atom")
    for fmt in ("atom", "rss"):
        assert not feedparser.parse(feeds.render(INFO, [], fmt)).bozo
