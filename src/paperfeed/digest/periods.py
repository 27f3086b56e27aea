"""Digest periods: which papers a digest covers, and when it is due for a subscriber.

A daily digest goes out on weekdays. The one of weekday D covers the papers
listed since the previous weekday's digest: the days from the previous
weekday up to D - 1 (Tuesday: Monday; Monday: Friday to Sunday), and is
named by the days it holds, never by the day it goes out: Thursday's digest
is "Wednesday, 19 August 2026", the list of /papers/date/2026-08-19. A weekly
digest covers one ISO week (Monday to Sunday) and goes out from the Monday
after it. Each is due at the subscriber's hour in their time zone, or at the
first run after it that day (weekly: that week), and keyed by its period
(``daily:2026-11-27``, ``weekly:2026-W48``) so it goes out once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from paperfeed.errors import InvalidInput


@dataclass(frozen=True, slots=True)
class DigestPeriod:
    kind: str  # daily | weekly
    key: str  # daily:2026-11-27 | weekly:2026-W48
    first_day: date  # the listing days covered
    last_day: date
    label: str

    @property
    def days(self) -> int:
        return (self.last_day - self.first_day).days + 1


def daily(issue_day: date) -> DigestPeriod:
    """The daily digest that goes out on weekday ``issue_day``."""
    if issue_day.weekday() >= 5:
        raise InvalidInput(f"{issue_day} is a {issue_day:%A}: daily digests go out on weekdays", field="date")
    previous = issue_day - timedelta(days=3 if issue_day.weekday() == 0 else 1)
    last = issue_day - timedelta(days=1)
    return DigestPeriod("daily", f"daily:{issue_day.isoformat()}", previous, last, days_label(previous, last))


def days_label(first: date, last: date) -> str:
    """"Wednesday, 19 August 2026"; "Friday 14 – Sunday 16 August 2026" for several days."""
    if first == last:
        return f"{first:%A}, {first.day} {first:%B %Y}"
    start = f"{first:%A} {first.day}" + ("" if first.month == last.month else f" {first:%B}") + (
        "" if first.year == last.year else f" {first.year}")
    return f"{start} – {last:%A} {last.day} {last:%B %Y}"


def weekly(day: date) -> DigestPeriod:
    """The weekly digest of the ISO week holding ``day``."""
    monday = day - timedelta(days=day.weekday())
    year, week, _ = monday.isocalendar()
    sunday = monday + timedelta(days=6)
    return DigestPeriod("weekly", f"weekly:{year}-W{week:02d}", monday, sunday,
                        f"week {week} of {year} ({monday.day} {monday:%B} – {sunday.day} {sunday:%B %Y})")


def of_kind(kind: str, day: date) -> DigestPeriod:
    """``--period daily|weekly --date D``: the daily digest of weekday D, or the week holding D."""
    if kind == "daily":
        return daily(day)
    if kind == "weekly":
        return weekly(day)
    raise InvalidInput("daily or weekly", field="period")


def due(frequency: str, send_hour: int, timezone: str, now: datetime) -> DigestPeriod | None:
    """The period whose digest is due for such a subscriber at ``now``, or None."""
    local = now.astimezone(ZoneInfo(timezone))
    if frequency == "daily":
        if local.weekday() >= 5 or local.hour < send_hour:
            return None
        return daily(local.date())
    if local.weekday() == 0 and local.hour < send_hour:
        return None
    return weekly(local.date() - timedelta(days=7))
