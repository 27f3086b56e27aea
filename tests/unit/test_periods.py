from datetime import date

import pytest

from paperfeed.errors import InvalidInput
from paperfeed.periods import (day_period, month_period, month_weeks, parse_day, parse_month, parse_week,
                               week_period)


def test_days_weeks_and_months_parse_to_inclusive_ranges():
    assert parse_day("2024-02-29") == date(2024, 2, 29)
    week = parse_week("2024-W22")
    assert (week.first_day, week.last_day, week.key) == (date(2024, 5, 27), date(2024, 6, 2), "2024-W22")
    month = parse_month("2024-02")
    assert (month.first_day, month.last_day) == (date(2024, 2, 1), date(2024, 2, 29))
    assert month_period(date(2024, 12, 31)).last_day == date(2024, 12, 31)
    assert week_period(date(2021, 1, 1)).key == "2020-W53"
    assert day_period(date(2025, 6, 2)).label == "Monday, 2 June 2025"


@pytest.mark.parametrize(
    ("parser", "text", "expected"),
    [
        (parse_day, "2025-02-30", "not a real date"),
        (parse_day, "../../etc/passwd", "not a date in the form YYYY-MM-DD"),
        (parse_day, "2025-2-3", "not a date"),
        (parse_day, "0001-01-01", "outside the years"),
        (parse_week, "2024-W54", "not a real ISO week"),
        (parse_week, "2024-22", "not an ISO week"),
        (parse_month, "2024-13", "not a real month"),
        (parse_month, "x" * 10_000, "not a month"),
    ],
)
def test_malformed_periods_are_refused_clearly(parser, text, expected):
    with pytest.raises(InvalidInput) as caught:
        parser(text)
    assert expected in caught.value.reason
    assert len(str(caught.value)) < 200


def test_a_months_weeks_run_monday_to_sunday_and_cover_the_month():
    weeks = month_weeks(parse_month("2026-08"))  # 1 August 2026 is a Saturday, the 31st a Monday
    assert len(weeks) == 6 and all(len(week) == 7 for week in weeks)
    assert (weeks[0][0], weeks[-1][-1]) == (date(2026, 7, 27), date(2026, 9, 6))
    assert all(day.weekday() == column for week in weeks for column, day in enumerate(week))
    february = month_weeks(parse_month("2027-02"))  # the 1st a Monday, the 28th a Sunday: four weeks exactly
    assert (len(february), february[0][0], february[-1][-1]) == (4, date(2027, 2, 1), date(2027, 2, 28))
