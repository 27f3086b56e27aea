"""The Alembic migrations create exactly the schema that db/tables.py describes, on both databases."""

import threading

import pytest

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from paperfeed.db.engine import create_engine, migrate, schema_is_current
from paperfeed.db.tables import metadata


@pytest.mark.filterwarnings("ignore:Skipped unsupported reflection of expression-based index")
def test_migrated_schema_matches_the_table_definitions(engine):
    # SQLAlchemy cannot reflect SQLite's expression indexes (lower(doi)); PostgreSQL compares them.
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        differences = compare_metadata(context, metadata)
    assert differences == []
    assert schema_is_current(engine)


def test_migrating_twice_and_concurrently_is_safe(database_url):
    engines = [create_engine(database_url) for _ in range(3)]
    errors = []

    def run(engine):
        try:
            migrate(engine)
        except Exception as error:  # collected and asserted below
            errors.append(error)

    threads = [threading.Thread(target=run, args=(engine,)) for engine in engines]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    migrate(engines[0])
    assert errors == []
    assert schema_is_current(engines[0])


def test_migration_0015_keeps_every_row_and_sqlite_never_reuses_an_id(database_url):
    """Rebuilding SQLite's tables for AUTOINCREMENT drops and recreates ``users``: with foreign keys
    on, that would cascade to every vote and comment. Nothing may be lost, on either database."""
    from datetime import UTC, datetime

    import sqlalchemy as sa

    now = datetime(2026, 11, 30, tzinfo=UTC)
    engine = create_engine(database_url)
    migrate(engine, to="0014")
    with engine.begin() as connection:
        connection.execute(sa.text("INSERT INTO papers (id, title, abstract, authors, categories, versions, "
                                   "ai_keywords, upvotes, num_comments, created_at, updated_at) VALUES "
                                   "('2401.00001', 'A paper', '', '[]', '[]', '[]', '[]', 0, 0, :now, :now)"),
                           {"now": now})
        for name in ("alice", "bob"):  # ids 1 and 2
            connection.execute(sa.text("INSERT INTO users (username, password_hash, role, created_at) "
                                       "VALUES (:name, 'x', 'member', :now)"), {"name": name, "now": now})
        connection.execute(sa.text("INSERT INTO votes (user_id, paper_id, created_at) VALUES (2, '2401.00001', :now)"),
                           {"now": now})
        connection.execute(sa.text("INSERT INTO comments (paper_id, user_id, body, body_html, created_at) "
                                   "VALUES ('2401.00001', 2, 'hi', '<p>hi</p>', :now)"), {"now": now})
    migrate(engine)
    with engine.begin() as connection:
        assert connection.execute(sa.text("SELECT count(*) FROM votes")).scalar() == 1
        assert connection.execute(sa.text("SELECT user_id FROM comments")).scalar() == 2
        connection.execute(sa.text("DELETE FROM votes WHERE user_id = 2"))
        connection.execute(sa.text("DELETE FROM users WHERE id = 2"))
        connection.execute(sa.text("INSERT INTO users (username, password_hash, role, created_at) "
                                   "VALUES ('carol', 'x', 'member', :now)"), {"now": now})
        carol = connection.execute(sa.text("SELECT id FROM users WHERE username = 'carol'")).scalar()
        kept = connection.execute(sa.text("SELECT count(*), max(user_id) FROM comments")).one()
    assert carol == 3  # not bob's 2
    assert tuple(kept) == (1, None)  # bob's comment stays (a stub), no longer his
    engine.dispose()
