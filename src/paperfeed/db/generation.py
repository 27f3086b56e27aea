"""The site's data generation: one number in the database that changes whenever what a page
shows may have changed.

Every transaction that wrote to a table pages read (papers, listings, votes, comments,
collections, members' names...) adds one to ``site_state.generation`` just before it commits,
in the same transaction (:func:`track_changes` installs the hook on an engine; nobody has to
remember to call it). Tables no page shows (sessions, job claims, digest deliveries, fetch
cursors, stored similar papers...) are in :data:`UNSEEN_TABLES` and change nothing.

The web layer keys its cached pages by this number (``web/page_cache.py``): a page rendered at
generation *g* is served again while the number is still *g*. Because the number lives in the
database, a vote on one node shows on every node; each process reads it at most once per
``interval_s`` (:class:`SiteGeneration`), and learns at once of the commits it made itself.
"""

from __future__ import annotations

import contextvars
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

import sqlalchemy as sa

from paperfeed.db.tables import site_state

# Writes to these tables change no page: a session row, a claimed job, a delivered digest, a
# fetch cursor, a stored list of similar papers (a cache of the index's answer)...
UNSEEN_TABLES = frozenset({
    "site_state", "alembic_version", "member_sessions", "user_identities", "api_tokens", "job_runs",
    "fetch_state", "record_fingerprints", "instance_facts", "subscriptions", "digest_runs",
    "digest_deliveries", "saved_searches", "alert_hits", "comment_reports", "similar_papers",
})
_CHANGED = "paperfeed_site_changed"
_COMMITTED = "paperfeed_site_committed"
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Generation:
    number: int
    changed_at: datetime


# What this process last committed, per database: a page served right after a write made here
# never comes from before it, whatever the polling interval.
_LATEST: dict[str, Generation] = {}
_LATEST_LOCK = threading.Lock()
# Set by the web layer around one request: the generations its own writes made (the session
# remembers the newest, so the member's next page, on any node, is at least that new).
written: contextvars.ContextVar[list[int] | None] = contextvars.ContextVar("paperfeed_written", default=None)


def read(connection: sa.Connection) -> Generation:
    """The generation now (0 before the first counted write). On PostgreSQL, the sequence's last
    value, and when it changed is when a process first sees it (:class:`SiteGeneration`)."""
    if connection.dialect.name == "postgresql":
        value, called = connection.execute(sa.text("SELECT last_value, is_called FROM site_generation")).one()
        return Generation(int(value) if called else 0, datetime.now(UTC))
    row = connection.execute(sa.select(site_state.c.generation, site_state.c.changed_at)
                             .where(site_state.c.id == 1)).first()
    if row is None:
        return Generation(0, datetime(1970, 1, 1, tzinfo=UTC))
    return Generation(row.generation, _utc(row.changed_at))


def track_changes(engine: sa.Engine) -> None:
    """Count every committed transaction of ``engine`` that wrote to a table pages read."""
    if sa.event.contains(engine, "after_execute", _after_execute):
        return
    sa.event.listen(engine, "after_execute", _after_execute)
    sa.event.listen(engine, "commit", _before_commit)
    sa.event.listen(engine, "rollback", _forget)
    if engine.dialect.name == "postgresql":
        key = _database_key(engine)
        sa.event.listen(engine, "checkin", lambda dbapi_connection, record: _after_commit(key, dbapi_connection, record))


def _after_execute(connection, statement, _multiparams, _params, _options, _result) -> None:
    if _changes_pages(statement):
        connection.info[_CHANGED] = True


def _changes_pages(statement) -> bool:
    """Whether ``statement`` (a Core statement, or SQL text) writes to a table pages read.
    SQL text that writes counts as a change: one change too many only costs a page render."""
    if isinstance(statement, str):
        return statement.lstrip()[:7].upper().startswith(("INSERT", "UPDATE", "DELETE", "REPLACE"))
    if isinstance(statement, sa.TextClause):
        return _changes_pages(statement.text)
    if not getattr(statement, "is_dml", False):
        return False
    return getattr(getattr(statement, "table", None), "name", None) not in UNSEEN_TABLES


def _before_commit(connection: sa.Connection) -> None:
    """SQLAlchemy's ``commit`` event runs before the DBAPI commit.

    SQLite: the bump is part of the transaction that made the change, so the number and the data
    move together (SQLite has one writer at a time anyway). PostgreSQL: the transaction is only
    marked, and the sequence ``site_generation`` moves on once it has committed, when its
    connection goes back to the pool (:func:`_after_commit`): one row that every write updated
    would make the writers wait for each other's commits (votes fell from 189/s to 113/s), and a
    number moved before the commit would let a reader render the old data under the new number.
    A process that dies between the two leaves the change to the next one, or to a page's
    five-minute age limit (web/page_cache.py)."""
    if not connection.info.pop(_CHANGED, False):
        return
    if connection.dialect.name == "postgresql":
        connection.info[_COMMITTED] = True
        return
    key = _database_key(connection.engine)
    cursor = connection.connection.dbapi_connection.cursor()
    try:
        if not _has_site_state(cursor, key, connection.dialect.name):
            return  # a database from before migration 0018 (being migrated)
        cursor.execute("UPDATE site_state SET generation = generation + 1, changed_at = CURRENT_TIMESTAMP "
                       "WHERE id = 1 RETURNING generation, changed_at")
        row = cursor.fetchone()
    finally:
        cursor.close()
    if row is None:
        return
    generation = Generation(int(row[0]), _utc(row[1]))
    _remember(key, generation)
    mine = written.get()
    if mine is not None:
        mine.append(generation.number)


def _after_commit(key: str, dbapi_connection, record) -> None:
    """Pool ``checkin`` (after the reset that ends any transaction): move the sequence on for the
    commits this connection made, out of any transaction (``nextval`` is never rolled back)."""
    if not record.info.pop(_COMMITTED, False):
        return
    try:
        autocommit = dbapi_connection.autocommit
        dbapi_connection.autocommit = True  # no transaction to end afterwards: one round trip, not two
        cursor = dbapi_connection.cursor()
        try:
            if not _has_site_state(cursor, key, "postgresql"):
                return  # a database from before migration 0018 (being migrated)
            cursor.execute("SELECT nextval('site_generation')")
            number = int(cursor.fetchone()[0])
        finally:
            cursor.close()
            dbapi_connection.autocommit = autocommit  # as the pool hands it out
    except Exception:  # the database went away: the change shows within a page's age limit
        log.warning("the site's data generation could not be moved on", exc_info=True)
        return
    _remember(key, Generation(number, datetime.now(UTC)))
    mine = written.get()
    if mine is not None:
        mine.append(number)


_HAS_TABLE: set[str] = set()  # the databases known to have site_state (a table is never dropped)


def _has_site_state(cursor, key: str, dialect: str) -> bool:
    """Whether the table exists, asked with the raw cursor (inside the commit, no events) until it does:
    a failed UPDATE would abort a PostgreSQL transaction."""
    if key not in _HAS_TABLE:
        if dialect == "postgresql":
            cursor.execute("SELECT to_regclass('site_generation') IS NOT NULL")
        else:
            cursor.execute("SELECT count(*) > 0 FROM sqlite_master WHERE type = 'table' AND name = 'site_state'")
        if not cursor.fetchone()[0]:
            return False
        _HAS_TABLE.add(key)
    return True


def _forget(connection: sa.Connection) -> None:
    connection.info.pop(_CHANGED, None)


def _utc(value) -> datetime:
    if isinstance(value, str):  # SQLite's CURRENT_TIMESTAMP, read through the raw cursor
        value = datetime.fromisoformat(value)
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _database_key(engine: sa.Engine) -> str:
    return engine.url.render_as_string(hide_password=True)


def _remember(key: str, generation: Generation) -> None:
    with _LATEST_LOCK:
        known = _LATEST.get(key)
        if known is None or generation.number > known.number:
            _LATEST[key] = generation


class SiteGeneration:
    """This process's view of the generation: read from the database at most once per
    ``interval_s``, and at once after a commit made here (or when a request says it has seen
    a newer one: :meth:`at_least`)."""

    def __init__(self, engine: sa.Engine, *, interval_s: float, monotonic: Callable[[], float] = time.monotonic):
        self._engine, self._interval_s, self._monotonic = engine, interval_s, monotonic
        self._key = _database_key(engine)
        self._polled: Generation | None = None
        self._polled_at = float("-inf")
        self._lock = threading.Lock()

    def due(self) -> bool:
        """Whether :meth:`current` would read the database (callers on an event loop then call
        it in a thread)."""
        return self._monotonic() - self._polled_at >= self._interval_s

    @property
    def polling(self) -> bool:
        """Whether a thread is reading the database for it right now."""
        return self._lock.locked()

    def current(self) -> Generation:
        if self.due():
            self._poll(unless=lambda: not self.due())
        return self.last_known()

    def at_least(self, number: int) -> Generation:
        """The generation, read again now if this process has not seen ``number`` yet."""
        known = self.current()
        if known.number < number:
            self._poll(unless=lambda: self.last_known().number >= number)
            known = self.last_known()
        return known

    def last_known(self) -> Generation | None:
        """The newest this process knows, without a look at the database (None before the first)."""
        local = _LATEST.get(self._key)
        polled = self._polled
        return local if local is not None and (polled is None or local.number > polled.number) else polled

    def _poll(self, *, unless: Callable[[], bool]) -> None:
        """Read the database, unless ``unless()`` once the lock is ours: requests that found the
        generation due together wait for one read, not for one each in turn."""
        with self._lock:
            if unless():
                return
            with self._engine.connect() as connection:
                polled = read(connection)
            before = self._polled
            if before is not None and before.number == polled.number:
                polled = before  # the same generation: it changed when it was first seen
            self._polled, self._polled_at = polled, self._monotonic()
