"""Days, ISO weeks and months as they appear in URLs and API parameters.

Parsing is strict: ``2025-02-30``, ``2024-W54`` or ``../../etc/passwd`` raise
:class:`InvalidInput` naming the parameter, never a server error.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date, timedelta

from paperfeed.errors import InvalidInput

_DAY = re.compile(r"(\d{4})-(\d{2})-(\d{2})")
_WEEK = re.compile(r"(\d{4})-W(\d{2})")
_MONTH = re.compile(r"(\d{4})-(\d{2})")


@dataclass(frozen=True, slots=True)
class Period:
    """An inclusive range of days with a label and a URL key (``2024-05-27``, ``2024-W22``, ``2024-05``)."""

    kind: str
    key: str
    first_day: date
    last_day: date

    @property
    def label(self) -> str:
        day = self.first_day
        if self.kind == "day":
            return f"{day:%A}, {day.day} {day:%B %Y}"
        if self.kind == "week":
            return f"Week {day.isocalendar().week}, {day.day} {day:%b} – {self.last_day.day} {self.last_day:%b %Y}"
        return day.strftime("%B %Y")


def day_period(day: date) -> Period:
    return Period("day", day.isoformat(), day, day)


def week_period(day: date) -> Period:
    """The ISO 8601 week (Monday to Sunday) that contains ``day``."""
    year, week, weekday = day.isocalendar()
    monday = day - timedelta(days=weekday - 1)
    return Period("week", f"{year}-W{week:02d}", monday, monday + timedelta(days=6))


def month_period(day: date) -> Period:
    first = day.replace(day=1)
    next_month = (first + timedelta(days=32)).replace(day=1)
    return Period("month", f"{first:%Y-%m}", first, next_month - timedelta(days=1))


def month_weeks(period: Period) -> list[list[date]]:
    """The weeks of a month period as rows of seven days, Monday first (ISO 8601 weeks): the first
    row starts on the Monday on or before the 1st, the last ends on the Sunday on or after its last day."""
    return calendar.Calendar(firstweekday=calendar.MONDAY).monthdatescalendar(period.first_day.year,
                                                                               period.first_day.month)


def parse_day(text: str, *, field: str = "date") -> date:
    """``YYYY-MM-DD`` -> date."""
    match = _DAY.fullmatch(text or "")
    if not match:
        raise InvalidInput(f"{_shown(text)} is not a date in the form YYYY-MM-DD", field=field)
    try:
        return _in_range(date(int(match[1]), int(match[2]), int(match[3])), text, field)
    except ValueError as error:
        raise InvalidInput(f"{_shown(text)} is not a real date ({error})", field=field) from error


def parse_week(text: str, *, field: str = "week") -> Period:
    """``YYYY-Www`` (ISO 8601 week) -> its Monday-to-Sunday period."""
    match = _WEEK.fullmatch(text or "")
    if not match:
        raise InvalidInput(f"{_shown(text)} is not an ISO week in the form YYYY-Www (e.g. 2024-W22)", field=field)
    try:
        monday = date.fromisocalendar(int(match[1]), int(match[2]), 1)
    except ValueError as error:
        raise InvalidInput(f"{_shown(text)} is not a real ISO week ({error})", field=field) from error
    return week_period(_in_range(monday, text, field))


def parse_month(text: str, *, field: str = "month") -> Period:
    """``YYYY-MM`` -> the period of that month."""
    match = _MONTH.fullmatch(text or "")
    if not match:
        raise InvalidInput(f"{_shown(text)} is not a month in the form YYYY-MM", field=field)
    try:
        first = date(int(match[1]), int(match[2]), 1)
    except ValueError as error:
        raise InvalidInput(f"{_shown(text)} is not a real month ({error})", field=field) from error
    return month_period(_in_range(first, text, field))


def _in_range(day: date, text: str, field: str) -> date:
    if not 1900 <= day.year <= 2200:
        raise InvalidInput(f"{_shown(text)} is outside the years 1900-2200", field=field)
    return day


def _shown(text: str | None) -> str:
    text = text or ""
    return repr(text if len(text) <= 40 else text[:37] + "...")
