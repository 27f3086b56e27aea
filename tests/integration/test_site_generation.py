"""Issue 17: each process reads the site's data generation at most once per interval, and requests
that find it due together wait for one read, not for one read each in turn."""

from __future__ import annotations

import threading

import sqlalchemy as sa

from paperfeed.db.generation import SiteGeneration


def _reads(engine) -> list[str]:
    reads: list[str] = []
    sa.event.listen(engine, "before_cursor_execute", lambda _c, _cursor, statement, *_: reads.append(statement)
                    if "site_state" in statement or "site_generation" in statement else None)
    return reads


def test_requests_that_find_the_generation_due_together_share_one_read(engine):
    now = [0.0]
    generation = SiteGeneration(engine, interval_s=1.0, monotonic=lambda: now[0])
    reads = _reads(engine)
    first = generation.current()
    assert len(reads) == 1 and generation.current() == first and len(reads) == 1  # not due yet
    now[0] = 1.0
    start = threading.Barrier(20)

    def ask():
        start.wait()
        generation.current()

    threads = [threading.Thread(target=ask) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(reads) == 2 and not generation.polling


def test_a_newer_generation_asked_for_is_read_at_once(engine):
    generation = SiteGeneration(engine, interval_s=3600)  # read once, then not for an hour
    seen = generation.current()
    # Another node's write: straight to the database, around this process's bookkeeping.
    other = sa.create_engine(engine.url.render_as_string(hide_password=False))
    with other.begin() as connection:
        if other.dialect.name == "postgresql":
            connection.execute(sa.text("SELECT nextval('site_generation')"))
        else:
            connection.execute(sa.text("UPDATE site_state SET generation = generation + 1 WHERE id = 1"))
    other.dispose()
    reads = _reads(engine)
    assert generation.current() == seen and not reads  # not due: the number this process knows
    assert generation.at_least(seen.number + 1).number == seen.number + 1 and len(reads) == 1
    assert generation.at_least(seen.number + 1).number == seen.number + 1 and len(reads) == 1  # known now
