"""The Alembic migrations create exactly the schema that db/tables.py describes, on both databases."""

import threading

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from paperfeed.db.engine import create_engine, migrate, schema_is_current
from paperfeed.db.tables import metadata


def test_migrated_schema_matches_the_table_definitions(engine):
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
