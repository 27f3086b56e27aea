"""Finding a day (issue 16, item 6): the month page's calendar (weeks as rows, Monday first, each
day's count of listed papers linking to the day), the day page's date picker (a GET form that works
without JavaScript), and /papers/new in the daily page's card design, whose "next day" stops at the
latest day and whose category filter shows the papers of the category's feed."""

from __future__ import annotations

import re
from datetime import date, timedelta

import feedparser
import pytest

from paperfeed.ingest.files import ingest_files
from tests.conftest import HF_API_FIXTURES, write_jsonl

# Listed in August 2026 besides the 17 papers of the recorded Hugging Face day (21 August).
AUGUST_EXTRA = {"2026-08-03": 2, "2026-08-14": 1}


@pytest.fixture
def site(client, engine, tmp_path):
    ingest_files(engine, sorted(HF_API_FIXTURES.glob("*.json")))
    records = [{"id": f"2608.9{index:04d}", "title": f"August paper {day} {number}", "date": day, "upvotes": 1}
               for index, (day, number) in enumerate((day, n) for day, count in AUGUST_EXTRA.items()
                                                     for n in range(count))]
    ingest_files(engine, [write_jsonl(tmp_path / "august.jsonl", records)])
    return client


def _card_ids(html: str) -> list[str]:
    return re.findall(r'<h2 class="card-title"><a href="/papers/([^"]+)">', html)


def _calendar_rows(html: str) -> list[list[str]]:
    """The calendar's body rows, each a list of its cells' HTML (the week number first)."""
    body = re.search(r'<table class="calendar">.*?<tbody>(.*?)</tbody>', html, re.S)[1]
    return [re.findall(r"<t[hd]\b.*?</t[hd]>", row, re.S) for row in re.findall(r"<tr>(.*?)</tr>", body, re.S)]


def test_the_month_page_shows_a_calendar_monday_first(site):
    html = site.get("/papers/month/2026-08").text
    header = re.search(r'<table class="calendar">.*?<thead>(.*?)</thead>', html, re.S)[1]
    assert re.findall(r'<abbr title="(\w+day)">', header) == [
        "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
    rows = _calendar_rows(html)
    # 1 August 2026 is a Saturday, 31 August a Monday: six weeks, ISO weeks 31 to 36.
    assert [re.search(r">(\d+)</a></th>", row[0])[1] for row in rows] == ["31", "32", "33", "34", "35", "36"]
    assert all(len(row) == 8 for row in rows)
    first_days = [re.search(r'class="day-number">(\d+)<', cell)[1] for cell in rows[0][1:]]
    assert first_days == ["27", "28", "29", "30", "31", "1", "2"]
    assert 'class="calendar-day outside"' in rows[0][1] and "<a" not in rows[0][1]
    assert "August 2026: 20 papers listed, by day" in html


def test_each_calendar_day_links_to_its_day_with_its_count(site):
    html = site.get("/papers/month/2026-08").text
    linked = re.findall(r'<a href="/papers/date/([\d-]+)" aria-label="([^"]+)"><span class="day-number">\d+</span>'
                        r'<span class="day-count">(\d+)</span></a>', html)
    assert linked == [("2026-08-03", "3 August 2026: 2 papers", "2"), ("2026-08-14", "14 August 2026: 1 paper", "1"),
                      ("2026-08-21", "21 August 2026: 17 papers", "17")]
    for day, _, count in linked:
        day_page = site.get(f"/papers/date/{day}").text
        assert len(_card_ids(day_page)) == int(count)
    empty_day = next(cell for row in _calendar_rows(html) for cell in row if '>4</span>' in cell)
    assert "<a" not in empty_day and "day-count none" in empty_day


def test_a_week_number_links_to_the_week(site):
    html = site.get("/papers/month/2026-08").text
    assert '<a href="/papers/week/2026-W34" aria-label="Week 34">34</a>' in html
    # A week across the new year belongs to its ISO year.
    january = site.get("/papers/month/2027-01").text
    assert '<a href="/papers/week/2026-W53" aria-label="Week 53">53</a>' in january
    assert "January 2027: 0 papers listed, by day" in january


def test_the_day_page_has_a_date_picker_that_works_without_javascript(site):
    html = site.get("/papers/date/2025-06-02").text
    form = re.search(r'<form class="date-picker" action="/papers/date" method="get">(.*?)</form>', html, re.S)[1]
    assert re.search(r'<input id="date-picker-day" type="date" name="date" value="2025-06-02" required\s+'
                     r'min="2024-05-27" max="2026-08-21">', form)
    assert '<a href="/papers/month/2025-06">Calendar of June 2025</a>' in form
    answer = site.get("/papers/date", params={"date": "2024-05-27"}, follow_redirects=False)
    assert (answer.status_code, answer.headers["location"]) == (303, "/papers/date/2024-05-27")
    assert len(_card_ids(site.get(answer.headers["location"]).text)) == 13


@pytest.mark.parametrize(("typed", "words"), [
    ("2025-02-30", "date: &#39;2025-02-30&#39; is not a real date"),
    ("yesterday", "date: &#39;yesterday&#39; is not a date in the form YYYY-MM-DD"),
    ("", "date: pick a day, then press Go"),
    ("0001-01-01", "date: &#39;0001-01-01&#39; is outside the years 1900-2200"),
])
def test_a_date_that_is_not_one_is_named_above_the_picker(site, typed, words):
    answer = site.get("/papers/date", params={"date": typed})
    assert answer.status_code == 400 and answer.headers["content-type"].startswith("text/html")
    assert f'<p class="form-error" role="alert">{words}' in answer.text
    assert 'class="date-picker"' in answer.text and "Daily papers" in answer.text  # the picker, to try again


@pytest.fixture
def new_papers(site, engine, tmp_path):
    """Papers announced on three days (none on the weekend between), one of them in the future."""
    records = [
        {"id": "2608.30001", "title": "Tokenizers, again", "date": "2026-08-21", "categories": ["cs.CL"]},
        {"id": "2608.30002", "title": "Parsing with transformers", "date": "2026-08-21", "categories": ["cs.LG", "cs.CL"]},
        {"id": "2608.30003", "title": "Seeing in the dark", "date": "2026-08-21", "categories": ["cs.CV"]},
        {"id": "2608.30004", "title": "Old words", "date": "2026-08-17", "categories": ["cs.CL"]},
        {"id": "2608.30005", "title": "Pixels on Monday", "date": "2026-08-17", "categories": ["cs.CV"]},
        {"id": "2609.30006", "title": "A paper dated after today", "date": "2026-09-01", "categories": ["cs.CV"]},
    ]
    ingest_files(engine, [write_jsonl(tmp_path / "new.jsonl", [record | {"listed": False} for record in records])])
    return site


def test_new_papers_use_the_daily_pages_cards(new_papers):
    html = new_papers.get("/papers/new?date=2026-08-21").text
    assert html.count('<article class="card">') == len(_card_ids(html)) >= 3
    assert {"2608.30001", "2608.30002", "2608.30003"} <= set(_card_ids(html))
    assert 'class="card-votes vote-link"' in html and 'class="card-authors"' in html  # as on the daily page
    assert '<input name="category" value=""' in html  # no filter: an empty field, ready to type in
    assert 'class="rank"' not in html  # announced papers are not ranked


def test_next_day_stops_at_the_latest_day(new_papers):
    latest = new_papers.get("/papers/new").text  # today is 22 August; the paper of September is not yet
    assert "Friday, 21 August 2026" in latest and "2609.30006" not in latest
    assert '<span class="button disabled">no later →</span>' in latest and 'rel="next"' not in latest
    earlier = re.search(r'rel="prev" class="button" href="/papers/new\?date=([\d-]+)"', latest)[1]
    assert date.fromisoformat(earlier) < date(2026, 8, 21)
    week_before = new_papers.get("/papers/new?date=2026-08-17").text
    assert re.search(r'rel="next" class="button" href="/papers/new\?date=2026-08-(\d+)"', week_before)
    nothing = new_papers.get(f"/papers/new?date={date(2026, 8, 22)}").text
    assert "No papers for this day" in nothing and 'rel="next"' not in nothing


def test_the_category_filter_shows_the_papers_of_the_categorys_feed(new_papers):
    page = new_papers.get("/papers/new", params={"category": "cs.CL"}).text
    feed = feedparser.parse(new_papers.get("/feeds/categories/cs.CL.atom").content)
    newest_day = feed.entries[0].published_parsed[:3]
    assert newest_day == (2026, 8, 21) and "Friday, 21 August 2026" in page
    on_that_day = [entry.link.rsplit("/papers/", 1)[1] for entry in feed.entries
                   if entry.published_parsed[:3] == newest_day]
    assert _card_ids(page) == on_that_day == ["2608.30002", "2608.30001"]
    assert 'href="/feeds/categories/cs.CL.atom"' in page  # the page offers that feed
    assert feed.feed.link.endswith("/papers/new?category=cs.CL")

    monday = new_papers.get("/papers/new", params={"category": "cs.CL", "date": "2026-08-17"}).text
    assert _card_ids(monday) == [entry.link.rsplit("/", 1)[1] for entry in feed.entries
                                 if entry.published_parsed[:3] == (2026, 8, 17)] == ["2608.30004"]
    assert "&amp;category=cs.CL" in monday  # the day links keep the filter


@pytest.mark.parametrize(("params", "words"), [
    ({"category": "not a category"}, "is not a category like cs.CL"),
    ({"date": "2026-13-01"}, "not a real date"),
])
def test_bad_filters_on_new_papers_get_a_clear_message(new_papers, params, words):
    answer = new_papers.get("/papers/new", params=params, headers={"accept": "text/html"})
    assert answer.status_code == 400 and words in answer.text


def test_days_without_papers_are_skipped(new_papers):
    html = new_papers.get("/papers/new?date=2026-08-21").text
    previous = re.search(r'rel="prev" class="button" href="/papers/new\?date=([\d-]+)"', html)[1]
    assert new_papers.get(f"/papers/new?date={previous}").text.count('<article class="card">') > 0
    assert date.fromisoformat(previous) > date(2026, 8, 21) - timedelta(days=30)
