"""Backups: ``paperfeed backup FILE`` and ``paperfeed restore FILE``.

SQLite: SQLite's online backup API copies the database page by page into a
new file while the site keeps running (https://sqlite.org/backup.html); the
copy is one consistent snapshot. PostgreSQL: ``pg_dump --format=custom``, and
``pg_restore --clean --if-exists`` to restore (the PostgreSQL client programs
must be installed).
"""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
from pathlib import Path

import sqlalchemy as sa

from paperfeed.errors import BackupError, InvalidInput

COUNTED = ("papers", "listings", "users", "votes", "comments", "collections", "subscriptions")


def backup(engine: sa.Engine, destination: Path) -> dict[str, int]:
    """Write a backup of the database to ``destination``; returns the rows of the main tables in it."""
    destination.parent.mkdir(parents=True, exist_ok=True)
    if engine.dialect.name == "sqlite":
        if destination.exists():
            raise InvalidInput(f"{destination} exists; give a new file name", field="file")
        with sqlite3.connect(engine.url.database) as source, sqlite3.connect(destination) as copy:
            source.backup(copy)
        return _sqlite_counts(destination)
    _run(["pg_dump", "--format=custom", "--no-owner", f"--file={destination}", _libpq_url(engine)], "pg_dump")
    with engine.connect() as connection:
        return {table: connection.execute(sa.text(f"SELECT count(*) FROM {table}")).scalar_one() for table in COUNTED}


def restore(engine: sa.Engine, source: Path, *, force: bool = False) -> dict[str, int]:
    """Replace the database with the backup in ``source`` (``force`` when it holds data)."""
    if not source.is_file():
        raise InvalidInput(f"no file {source}", field="file")
    if engine.dialect.name == "sqlite":
        counts = _sqlite_counts(source)  # also checks that it is a paperfeed backup
        target = Path(engine.url.database)
        if target.exists() and target.stat().st_size and not force:
            raise InvalidInput(f"{target} exists: restoring replaces it; add --force", field="file")
        engine.dispose()
        with sqlite3.connect(source) as backup_file, sqlite3.connect(target) as live:
            backup_file.backup(live)  # page by page, through SQLite's locks: safe while others wait
        return counts
    if not force:
        raise InvalidInput("restoring into PostgreSQL replaces its tables; add --force", field="file")
    _run(["pg_restore", "--clean", "--if-exists", "--no-owner", f"--dbname={_libpq_url(engine)}", str(source)],
         "pg_restore")
    with engine.connect() as connection:
        return {table: connection.execute(sa.text(f"SELECT count(*) FROM {table}")).scalar_one() for table in COUNTED}


def _sqlite_counts(path: Path) -> dict[str, int]:
    try:
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as connection:
            connection.execute("SELECT version_num FROM alembic_version").fetchone()
            return {table: connection.execute(f"SELECT count(*) FROM {table}").fetchone()[0] for table in COUNTED}
    except sqlite3.DatabaseError:
        raise InvalidInput(f"{path} is not a paperfeed backup (a SQLite database with paperfeed's tables)",
                           field="file") from None


def _libpq_url(engine: sa.Engine) -> str:
    """The URL for PostgreSQL's own programs (without SQLAlchemy's driver name)."""
    return engine.url.set(drivername="postgresql").render_as_string(hide_password=False)


def _run(command: list[str], program: str) -> None:
    if shutil.which(program) is None:
        raise BackupError(f"{program} is not installed: install PostgreSQL's client programs "
                          "(Debian: apt-get install postgresql-client)")
    result = subprocess.run(command, capture_output=True, text=True)
    if result.returncode != 0:
        raise BackupError(f"{program} failed: {result.stderr.strip()[:1000]}")
