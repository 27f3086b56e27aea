"""`paperfeed migrate-db` moves a SQLite instance with members and their things to PostgreSQL;
`paperfeed backup` and `paperfeed restore` (SQLite) bring it back after a loss."""

import pytest

from paperfeed.members.accounts import create_user
from paperfeed.db.engine import create_engine, migrate
from paperfeed.ingest.files import ingest_files
from paperfeed.digest.subscriptions import Preferences, subscribe
from tests.conftest import FIXED_NOW, make_client, write_jsonl
from tests.integration.test_cli import run_cli
from tests.integration.test_members import PASSWORD, csrf_of, sign_in

PAPERS = [{"id": f"2608.0000{n}", "title": f"Paper {n}", "date": FIXED_NOW.date().isoformat(), "listed": True,
           "upvotes": n, "authors": ["Ada Lovelace"]} for n in range(1, 4)]


def populated_sqlite(tmp_path):
    """A single-machine instance with papers, two members, a vote, a thread, a collection, a follow,
    a token and a subscription."""
    engine = create_engine(f"sqlite:///{tmp_path / 'old' / 'paperfeed.db'}")
    migrate(engine)
    ingest_files(engine, [write_jsonl(tmp_path / "p.jsonl", PAPERS)])
    create_user(engine, "alice", PASSWORD, email="alice@example.org")
    create_user(engine, "bob", PASSWORD)
    site = make_client(engine, tmp_path / "old")
    sign_in(site)
    token = csrf_of(site.get("/papers/2608.00001").text)
    site.post("/papers/2608.00001/upvote", data={"csrf": token})
    site.post("/papers/2608.00001/comments", data={"body": "First", "csrf": token})
    reply_to = site.get("/api/papers/2608.00001/comments").json()[0]["id"]
    site.post("/papers/2608.00001/comments", data={"body": "A reply", "parent_id": str(reply_to), "csrf": token})
    site.post("/collections", data={"name": "Reading", "public": "true", "csrf": token})
    site.post("/follows", data={"kind": "author", "value": "Ada Lovelace", "csrf": token})
    site.post("/account/tokens", data={"name": "script", "csrf": token})
    subscribe(engine, "reader@example.org", Preferences())
    return engine


@pytest.mark.postgres
def test_migrate_db_to_postgresql_keeps_everything(tmp_path, postgres_url):
    source = populated_sqlite(tmp_path)
    result = run_cli("migrate-db", "--from", str(source.url), "--to", postgres_url, data_dir=tmp_path, check_rc=0)
    assert "the counts match" in result.stderr
    for table in ("papers", "users", "votes", "comments", "collections", "follows", "api_tokens", "subscriptions"):
        assert table in result.stdout
    target = create_engine(postgres_url)
    site = make_client(target, tmp_path / "new")
    assert sign_in(site).status_code == 303  # alice's password hash came along
    paper = site.get("/api/papers/2608.00001").json()
    assert paper["upvotes"] == 2 and paper["numComments"] == 2  # 1 imported + alice's vote; her thread
    thread = site.get("/api/papers/2608.00001/comments").json()
    assert "First" in thread[0]["html"] and "A reply" in thread[0]["replies"][0]["html"]
    create_user(target, "carol", PASSWORD)  # the id sequences moved past the copied ids
    again = run_cli("migrate-db", "--from", str(source.url), "--to", postgres_url, data_dir=tmp_path)
    assert again.returncode == 1 and "not empty" in again.stderr


def test_backup_and_restore_sqlite(tmp_path):
    source = populated_sqlite(tmp_path)
    data_dir = tmp_path / "old"
    backup = tmp_path / "backups" / "paperfeed.db"
    made = run_cli("backup", str(backup), data_dir=data_dir, check_rc=0)
    assert "papers: 3" in made.stderr
    source.dispose()
    (data_dir / "paperfeed.db").unlink()  # the disk is lost
    for leftover in data_dir.glob("paperfeed.db-*"):
        leftover.unlink()
    run_cli("restore", str(backup), data_dir=data_dir, check_rc=0)
    site = make_client(create_engine(f"sqlite:///{data_dir / 'paperfeed.db'}"), data_dir)
    assert sign_in(site).status_code == 303
    assert site.get("/api/papers/2608.00001").json()["numComments"] == 2
    refused = run_cli("restore", str(backup), data_dir=data_dir)
    assert refused.returncode == 1 and "--force" in refused.stderr
    garbage = tmp_path / "not-a-backup.db"
    garbage.write_text("hello")
    bad = run_cli("restore", str(garbage), "--force", data_dir=data_dir)
    assert bad.returncode == 1 and "not a paperfeed backup" in bad.stderr


@pytest.mark.postgres
def test_backup_and_restore_postgresql(tmp_path):
    """pg_dump, then the tables dropped (a lost database), then pg_restore: everything is back."""
    import shutil
    import uuid

    import sqlalchemy as sa

    from tests.conftest import POSTGRES_URL, require_postgres

    require_postgres()
    if shutil.which("pg_dump") is None or shutil.which("pg_restore") is None:
        pytest.skip("PostgreSQL's client programs (pg_dump, pg_restore) are not installed")
    name = f"paperfeed_restore_{uuid.uuid4().hex[:8]}"
    admin = create_engine(POSTGRES_URL.rsplit("/", 1)[0] + "/postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    url = POSTGRES_URL.rsplit("/", 1)[0] + f"/{name}"
    try:
        source = populated_sqlite(tmp_path)
        run_cli("migrate-db", "--from", str(source.url), "--to", url, data_dir=tmp_path, check_rc=0)
        backup = tmp_path / "paperfeed.dump"
        made = run_cli("backup", str(backup), data_dir=tmp_path / "pg", database_url=url, check_rc=0)
        assert "papers: 3" in made.stderr and backup.stat().st_size > 0
        engine = create_engine(url)
        with engine.begin() as connection:  # the database is lost
            connection.execute(sa.text("DROP SCHEMA public CASCADE"))
            connection.execute(sa.text("CREATE SCHEMA public"))
        engine.dispose()
        refused = run_cli("restore", str(backup), data_dir=tmp_path / "pg", database_url=url)
        assert refused.returncode == 1 and "--force" in refused.stderr
        run_cli("restore", str(backup), "--force", data_dir=tmp_path / "pg", database_url=url, check_rc=0)
        site = make_client(create_engine(url), tmp_path / "pg")
        assert sign_in(site).status_code == 303
        assert site.get("/api/papers/2608.00001").json()["numComments"] == 2
    finally:
        with admin.connect() as connection:
            connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
