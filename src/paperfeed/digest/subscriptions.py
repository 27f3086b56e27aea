"""Digest subscriptions: double opt-in, preferences, one-click unsubscribe, CSV import and export.

Anyone subscribes with an address; nothing is sent to it before the emailed
confirmation link is opened (double opt-in). Members subscribe from their
account with their confirmed address, and their digests add personal picks.
Every digest carries a signed link (no login) to its preferences and to
unsubscribe; the signature (itsdangerous, the site's secret key) names the
subscription, so nobody can unsubscribe or read another address.
"""

from __future__ import annotations

import csv
import functools
import hmac
import io
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

import sqlalchemy as sa

from paperfeed.members.accounts import check_email, read_payload, sign_payload
from paperfeed.db import subscriptions as repo
from paperfeed.db.engine import write_transaction
from paperfeed.db.subscriptions import SubscriptionRow
from paperfeed.db.users import UserRow
from paperfeed.errors import InvalidInput

FREQUENCIES = ("daily", "weekly")
CONTENTS = ("top", "personal", "both")
MAX_PAPERS = 50
CONFIRM_MAX_AGE_S = 7 * 24 * 3600


@dataclass(frozen=True, slots=True)
class Preferences:
    """What a subscriber receives and when."""

    frequency: str = "daily"
    send_hour: int = 7
    timezone: str = "UTC"
    content: str = "both"
    top_count: int = 10
    personal_count: int = 10
    keywords: str = ""

    @classmethod
    def checked(cls, *, frequency: str = "daily", send_hour: int | str = 7, timezone: str = "UTC",
                content: str = "both", top_count: int | str = 10, personal_count: int | str = 10,
                keywords: str = "") -> Preferences:
        """Preferences from form or file values, or :class:`InvalidInput` naming the bad field."""
        frequency = (frequency or "").strip().lower()
        if frequency not in FREQUENCIES:
            raise InvalidInput("daily or weekly", field="frequency")
        content = (content or "").strip().lower()
        if content not in CONTENTS:
            raise InvalidInput("top, personal or both", field="content")
        timezone = (timezone or "UTC").strip()
        try:
            ZoneInfo(timezone)
        except (ZoneInfoNotFoundError, ValueError):
            raise InvalidInput(f"{timezone!r} is not a time zone name like Europe/Paris or UTC", field="timezone") from None
        words = [word.strip() for word in (keywords or "").split(",") if word.strip()]
        if len(words) > 20 or any(len(word) > 100 for word in words):
            raise InvalidInput("at most 20 keywords of at most 100 characters, separated by commas", field="keywords")
        return cls(frequency, _number(send_hour, "send_hour", 0, 23), timezone, content,
                   _number(top_count, "top_count", 0, MAX_PAPERS), _number(personal_count, "personal_count", 0, MAX_PAPERS),
                   ", ".join(words))

    def values(self) -> dict:
        return {"frequency": self.frequency, "send_hour": self.send_hour, "timezone": self.timezone,
                "content": self.content, "top_count": self.top_count, "personal_count": self.personal_count,
                "keywords": self.keywords}


def _number(value: int | str, name: str, low: int, high: int) -> int:
    try:
        number = int(str(value).strip())
    except ValueError:
        raise InvalidInput(f"a whole number from {low} to {high}", field=name) from None
    if not low <= number <= high:
        raise InvalidInput(f"a whole number from {low} to {high}", field=name)
    return number


# The regions of the IANA time zone database's canonical names (Area/Location, tz-link.html's "Names of
# timekeeping rules"); other names there are legacy aliases (US/Eastern, EST5EDT, Etc/GMT+5).
ZONE_REGIONS = ("Africa", "America", "Antarctica", "Arctic", "Asia", "Atlantic", "Australia", "Europe", "Indian",
                "Pacific")


@dataclass(frozen=True, slots=True)
class ZoneChoice:
    """One option of the time-zone select: the IANA name sent, and the place shown."""

    name: str
    label: str


@functools.cache
def time_zone_groups() -> tuple[tuple[str, tuple[ZoneChoice, ...]], ...]:
    """The time zones a subscriber picks from, by region (``zoneinfo.available_timezones()``: the
    system's database or the tzdata package), each region's places in alphabetical order, e.g.
    ``("Europe", (ZoneChoice("Europe/Amsterdam", "Amsterdam"), ...))``; a place under a sub-region
    names it: ``America/Argentina/Buenos_Aires`` is "Buenos Aires (Argentina)". Legacy aliases are
    left out of the list (a subscription that has one keeps it: :func:`zone_choices_with`)."""
    groups: dict[str, list[ZoneChoice]] = {region: [] for region in ZONE_REGIONS}
    for name in available_timezones():
        region, _, place = name.partition("/")
        *within, city = place.split("/")
        if region in groups and place and not city.isupper():  # Australia/ACT: an alias of Australia/Sydney
            label = city.replace("_", " ") + (f" ({', '.join(part.replace('_', ' ') for part in within)})"
                                              if within else "")
            groups[region].append(ZoneChoice(name, label))
    return tuple((region, tuple(sorted(choices, key=lambda choice: choice.label)))
                 for region, choices in groups.items() if choices)


def zone_choices_with(current: str) -> tuple[tuple[str, tuple[ZoneChoice, ...]], ...]:
    """:func:`time_zone_groups`, plus ``current`` in an "Other" group when it is a valid name the
    list leaves out (a legacy alias saved before), so the select shows what the subscriber has."""
    groups = time_zone_groups()
    listed = {choice.name for _, choices in groups for choice in choices} | {"UTC"}
    if current in listed:
        return groups
    return (*groups, ("Other", (ZoneChoice(current, current),)))


def preferences_of(row: SubscriptionRow) -> Preferences:
    return Preferences(row.frequency, row.send_hour, row.timezone, row.content, row.top_count, row.personal_count,
                       row.keywords)


# --- subscribing ------------------------------------------------------------------------------


def subscribe(engine: sa.Engine, email: str, preferences: Preferences, *, now: datetime | None = None,
              ) -> tuple[SubscriptionRow, str]:
    """Start a subscription for ``email``; returns it and which email to send: ``"confirm"`` (the
    double opt-in link) or ``"already"`` (a reminder with the preferences link, for an address
    that is subscribed already: its settings are not changed by whoever typed it)."""
    email = check_email(email).lower()
    now = now or datetime.now(UTC)
    with write_transaction(engine) as connection:
        existing = repo.find_by_email(connection, email)
        if existing is not None and existing.active:
            return existing, "already"
        if existing is None:
            subscription_id = repo.insert(connection, email=email, created_at=now, **preferences.values())
        else:  # unconfirmed, unsubscribed or bounced: it starts again, and needs confirming again
            subscription_id = existing.id
            repo.update(connection, existing.id, confirmed_at=None, unsubscribed_at=None, **preferences.values())
        return repo.get(connection, subscription_id), "confirm"


def subscribe_member(engine: sa.Engine, user: UserRow, preferences: Preferences, *, now: datetime | None = None,
                     ) -> tuple[SubscriptionRow, str]:
    """A member's subscription at their account address: active at once when the address is
    confirmed (``"ok"``), else ``"confirm"``. Saving again changes the preferences."""
    if not user.email:
        raise InvalidInput("add an email address to your account first", field="email")
    now = now or datetime.now(UTC)
    with write_transaction(engine) as connection:
        existing = repo.find_by_user(connection, user.id) or repo.find_by_email(connection, user.email)
        confirmed = now if user.email_confirmed else None
        if existing is None:
            subscription_id = repo.insert(connection, email=user.email.lower(), user_id=user.id, created_at=now,
                                          confirmed_at=confirmed, **preferences.values())
        else:
            subscription_id = existing.id
            repo.update(connection, existing.id, email=user.email.lower(), user_id=user.id, unsubscribed_at=None,
                        bounced_at=None, confirmed_at=existing.confirmed_at or confirmed, **preferences.values())
        row = repo.get(connection, subscription_id)
    return row, "ok" if row.confirmed_at else "confirm"


def confirm(engine: sa.Engine, secret: str, token: str, *, now: datetime | None = None) -> SubscriptionRow:
    """Open the double opt-in link: the subscription becomes active (a bounce mark is cleared:
    the address works)."""
    payload = read_payload(secret, "subscribe", token, CONFIRM_MAX_AGE_S)
    with write_transaction(engine) as connection:
        row = repo.get(connection, int(payload.get("s", 0)))
        if row is None or row.email != payload.get("e"):
            raise InvalidInput("this confirmation link is no longer valid; subscribe again", field="token")
        if row.confirmed_at is None or row.bounced_at is not None:
            repo.update(connection, row.id, confirmed_at=row.confirmed_at or now or datetime.now(UTC),
                        bounced_at=None, bounce_reason=None)
        return repo.get(connection, row.id)


def confirm_token(secret: str, row: SubscriptionRow) -> str:
    return sign_payload(secret, "subscribe", {"s": row.id, "e": row.email})


def manage_token(secret: str, subscription: SubscriptionRow) -> str:
    """The secret in a subscriber's unsubscribe and preferences links. It does not expire (old
    digests keep working links) and dies with the subscription: it carries the subscription's
    random ``link_secret``, which a later subscription never has."""
    payload = {"s": subscription.id} | ({"k": subscription.link_secret} if subscription.link_secret else {})
    return sign_payload(secret, "subscription", payload)


def from_manage_token(engine: sa.Engine, secret: str, token: str) -> SubscriptionRow:
    payload = read_payload(secret, "subscription", token, None)
    subscription_id = payload.get("s")
    with engine.connect() as connection:
        row = repo.get(connection, subscription_id) if isinstance(subscription_id, int) else None
    if row is None or not hmac.compare_digest(str(row.link_secret or ""), str(payload.get("k") or "")):
        raise InvalidInput("this subscription no longer exists", field="token")
    return row


def unsubscribe(engine: sa.Engine, subscription_id: int, *, now: datetime | None = None) -> None:
    with write_transaction(engine) as connection:
        row = repo.get(connection, subscription_id)
        if row is not None and row.unsubscribed_at is None:
            repo.update(connection, subscription_id, unsubscribed_at=now or datetime.now(UTC))


def resubscribe(engine: sa.Engine, subscription_id: int) -> None:
    """Undo an unsubscribe from the page it led to (the link proved the address)."""
    with write_transaction(engine) as connection:
        repo.update(connection, subscription_id, unsubscribed_at=None)


def update_preferences(engine: sa.Engine, subscription_id: int, preferences: Preferences) -> None:
    with write_transaction(engine) as connection:
        repo.update(connection, subscription_id, **preferences.values())


def mark_bounced(engine: sa.Engine, subscription_id: int, reason: str, *, now: datetime | None = None) -> None:
    """The SMTP server refused the address for good (5xx): no digest goes to it again until it is
    confirmed anew."""
    with write_transaction(engine) as connection:
        repo.update(connection, subscription_id, bounced_at=now or datetime.now(UTC), bounce_reason=reason[:1000])


# --- moving from another newsletter -----------------------------------------------------------


@dataclass
class ImportReport:
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    problems: list[tuple[int, str]] = field(default_factory=list)  # (line, reason)

    def summary(self) -> str:
        return (f"{self.added} added, {self.updated} updated, {self.unchanged} unchanged, "
                f"{len(self.problems)} rejected")


def import_csv(engine: sa.Engine, path: Path, *, now: datetime | None = None) -> ImportReport:
    """Subscribers from a CSV file with a header ``email,frequency[,confirmed]``. ``confirmed``
    (true/false, yes/no, 1/0; default false) says the address was confirmed by the old newsletter:
    unconfirmed ones get nothing until they confirm. A bad row is reported with its line number
    and the rest are imported; importing the same file again changes nothing."""
    now = now or datetime.now(UTC)
    report = ImportReport()
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as error:
        raise InvalidInput(f"cannot read {path}: {error}", field="file") from None
    reader = csv.DictReader(io.StringIO(text))
    header = [name.strip().lower() for name in reader.fieldnames or []]
    if "email" not in header or "frequency" not in header:
        raise InvalidInput("the first line must name the columns: email,frequency[,confirmed]", field="file")
    reader.fieldnames = header
    for row in reader:
        line = reader.line_num
        try:
            email = check_email((row.get("email") or "").strip()).lower()
            preferences = Preferences.checked(frequency=row.get("frequency") or "")
            confirmed = _yes_no((row.get("confirmed") or "false").strip().lower())
        except InvalidInput as problem:
            report.problems.append((line, str(problem)))
            continue
        with write_transaction(engine) as connection:
            existing = repo.find_by_email(connection, email)
            if existing is None:
                repo.insert(connection, email=email, created_at=now, confirmed_at=now if confirmed else None,
                            **preferences.values())
                report.added += 1
            elif existing.frequency != preferences.frequency or (confirmed and existing.confirmed_at is None):
                repo.update(connection, existing.id, frequency=preferences.frequency,
                            confirmed_at=existing.confirmed_at or (now if confirmed else None))
                report.updated += 1
            else:
                report.unchanged += 1
    return report


def _yes_no(value: str) -> bool:
    if value in ("true", "yes", "1", "y"):
        return True
    if value in ("false", "no", "0", "n", ""):
        return False
    raise InvalidInput(f"true or false, not {value!r}", field="confirmed")


EXPORT_COLUMNS = ("email", "frequency", "confirmed", "state", "send_hour", "timezone", "content", "top_count",
                  "personal_count", "keywords", "created_at")


def export_csv(engine: sa.Engine) -> str:
    """Every subscription as CSV (the columns of :func:`import_csv` first, so the file imports back)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(EXPORT_COLUMNS)
    with engine.connect() as connection:
        for row in repo.every(connection):
            writer.writerow([row.email, row.frequency, "true" if row.confirmed_at else "false", row.state,
                             row.send_hour, row.timezone, row.content, row.top_count, row.personal_count,
                             row.keywords, row.created_at.isoformat() if row.created_at else ""])
    return out.getvalue()
