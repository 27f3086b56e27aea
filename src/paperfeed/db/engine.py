"""The engine factory and schema migrations.

SQLite pragmas are set here and nowhere else. ``postgresql://`` URLs use the
psycopg 3 driver.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import orjson
import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from paperfeed.db.generation import track_changes
from paperfeed.errors import ConfigError

MIGRATIONS_DIR = Path(__file__).with_name("migrations")
# Any constant will do: it names the advisory lock that serialises migrations on PostgreSQL.
_MIGRATION_LOCK_KEY = 7_236_110_211


def normalise_url(url: str) -> str:
    """Pick our drivers: ``postgresql://`` and ``postgres://`` mean psycopg 3."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def _parsed_url(url: str) -> sa.URL:
    """``url`` (normalised) as SQLAlchemy reads it; :class:`ConfigError` unless SQLite or PostgreSQL."""
    try:
        parsed = sa.make_url(url)
        parsed.get_dialect()
    except (sa.exc.ArgumentError, sa.exc.NoSuchModuleError) as error:
        raise ConfigError(
            f"PAPERFEED_DATABASE_URL {url!r} is not a SQLite or PostgreSQL URL "
            "(sqlite:///path/to/file.db or postgresql://user@host/database)"
        ) from error
    if parsed.get_backend_name() not in ("sqlite", "postgresql"):
        raise ConfigError(f"paperfeed supports SQLite and PostgreSQL, not {parsed.get_backend_name()}")
    return parsed


def shown_url(url: str) -> str:
    """``url`` as it may be shown to a person, as they wrote it but with the password hidden."""
    try:
        return sa.make_url(url).render_as_string(hide_password=True)
    except sa.exc.ArgumentError:
        return url


def create_engine(url: str, **kwargs) -> sa.Engine:
    """An engine for ``url``; creates the directory of a SQLite file if needed."""
    url = normalise_url(url)
    kwargs.setdefault("json_serializer", _dump_json)
    kwargs.setdefault("json_deserializer", orjson.loads)
    parsed = _parsed_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = sa.create_engine(url, connect_args={"timeout": 30}, **kwargs)
        sa.event.listen(engine, "connect", _set_sqlite_pragmas)
        sa.event.listen(engine, "begin", _begin_sqlite_transaction)
    else:
        engine = sa.create_engine(url, pool_pre_ping=True, **kwargs)
    track_changes(engine)  # cached pages learn of every write (db/generation.py)
    return engine


def _dump_json(value) -> str:
    return orjson.dumps(value).decode()


@contextmanager
def write_transaction(engine: sa.Engine) -> Iterator[sa.Connection]:
    """A transaction that intends to write.

    On SQLite it starts with ``BEGIN IMMEDIATE``, taking the write lock at once,
    so two writers queue (busy_timeout) instead of failing when a read lock
    cannot be upgraded. Readers are never blocked (WAL).
    """
    with engine.connect().execution_options(sqlite_begin="IMMEDIATE") as connection:
        sqlite = connection.dialect.name == "sqlite"
        if sqlite:  # one writer at a time: it may have the large cache (a bulk ingest touches many pages)
            connection.connection.driver_connection.execute(f"PRAGMA cache_size=-{WRITER_CACHE_KIB}")
        try:
            with connection.begin():
                yield connection
        finally:
            if sqlite:
                connection.connection.driver_connection.execute(f"PRAGMA cache_size=-{READER_CACHE_KIB}")


def _begin_sqlite_transaction(connection: sa.Connection) -> None:
    # pysqlite's own transaction handling skips BEGIN before DDL; with its
    # isolation_level set to None (below) SQLAlchemy emits BEGIN itself, so
    # migrations are transactional too (the SQLAlchemy documentation's recipe).
    mode = connection.get_execution_options().get("sqlite_begin", "DEFERRED")
    connection.exec_driver_sql(f"BEGIN {mode}")


# SQLite keeps a page cache per connection, and a web process pools up to 15 connections
# (SQLAlchemy's QueuePool: 5 + 10 overflow). At 64 MiB each, as before, every connection slowly
# filled its own copy of the busiest pages: a worker grew from about 360 to 690 MB under load
# (issue 13, bench/memory.py). The readers now share a budget of 64 MiB; the one writer of the
# moment (write_transaction) has 64 MiB of its own. The operating system's file cache holds the
# rest, once for everyone.
POOLED_CONNECTIONS = 15
READER_CACHE_KIB = 64 * 1024 // POOLED_CONNECTIONS
WRITER_CACHE_KIB = 64 * 1024


def _set_sqlite_pragmas(dbapi_connection, _record) -> None:
    dbapi_connection.isolation_level = None
    # WAL lets readers (the web server) run while an ingest writes;
    # synchronous=NORMAL is durable across application crashes in WAL mode.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA busy_timeout=30000")
    _switch_to_wal(cursor)
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA cache_size=-{READER_CACHE_KIB}")
    cursor.close()


def _switch_to_wal(cursor, attempts: int = 50) -> None:
    # Turning WAL on for a new file needs an exclusive lock, and SQLite reports
    # "database is locked" at once (no busy wait) when another process holds one.
    for attempt in range(attempts):
        try:
            cursor.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as error:
            if "locked" not in str(error) or attempt == attempts - 1:
                raise
            time.sleep(0.1)


def _alembic_config(connection: sa.Connection) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["connection"] = connection
    return config


def migrate(engine: sa.Engine, *, to: str = "head") -> None:
    """Create or upgrade the schema to the latest migration (``alembic upgrade head``), or to ``to``.

    On PostgreSQL an advisory lock makes nodes that start at once migrate one
    after the other; the second finds nothing left to do.
    """
    check_connection(engine)
    if engine.dialect.name == "sqlite":
        _migrate_sqlite(engine, to)
        return
    with write_transaction(engine) as connection:
        connection.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": _MIGRATION_LOCK_KEY})
        command.upgrade(_alembic_config(connection), to)


def downgrade(engine: sa.Engine, to: str) -> None:
    """Take the schema back to migration ``to`` (``alembic downgrade``): for the code of an older
    release on a copy of a newer database (bench/load.py compares against one)."""
    with write_transaction(engine) as connection:
        command.downgrade(_alembic_config(connection), to)


def _migrate_sqlite(engine: sa.Engine, to: str) -> None:
    """SQLite changes a table by rebuilding it (https://sqlite.org/lang_altertable.html#otheralter):
    foreign keys off, outside the transaction, so dropping the old table cascades nowhere; the
    rebuild in one transaction; a foreign key check before it commits; foreign keys on again."""
    with engine.connect() as connection:
        raw = connection.connection.driver_connection
        raw.execute("PRAGMA foreign_keys=OFF")  # a no-op inside a transaction: here, none is open yet
        try:
            with connection.execution_options(sqlite_begin="IMMEDIATE").begin():
                command.upgrade(_alembic_config(connection), to)
                broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
                if broken:
                    raise RuntimeError(f"the migration left rows whose foreign keys point nowhere: {broken[:5]}")
        finally:
            raw.execute("PRAGMA foreign_keys=ON")


def check_connection(engine: sa.Engine) -> None:
    """Raise :class:`ConfigError` with the server's reason when the database cannot be opened."""
    try:
        with engine.connect() as connection:
            connection.execute(sa.text("SELECT 1"))
    except sa.exc.OperationalError as error:
        where = engine.url.render_as_string(hide_password=True)
        raise ConfigError(f"cannot open the database at {where}: {error.orig}") from None


def database_exists(url: str) -> bool:
    """Whether ``url`` holds a paperfeed database already, found without creating anything (commands
    that only read must not leave an empty database behind): a SQLite file, or a PostgreSQL database,
    with paperfeed's migrations table in it. An unreachable server is a :class:`ConfigError`."""
    parsed = _parsed_url(normalise_url(url))
    if parsed.get_backend_name() == "sqlite":
        if not parsed.database or parsed.database == ":memory:":
            return False
        if not Path(parsed.database).is_file():
            return False
    engine = create_engine(url)
    try:
        check_connection(engine)
        with engine.connect() as connection:
            return sa.inspect(connection).has_table("alembic_version")
    finally:
        engine.dispose()


def schema_is_current(engine: sa.Engine) -> bool:
    """True when the database is at the latest migration."""
    head = ScriptDirectory(str(MIGRATIONS_DIR)).get_current_head()
    with engine.connect() as connection:
        current = MigrationContext.configure(connection).get_current_revision()
    return current == head
