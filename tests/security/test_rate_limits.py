"""Rate limits: sign-in is throttled per address and per account, with a 429 page that says when
to retry; counters live in Redis when configured, shared by every web process."""

import pytest

from paperfeed.members.accounts import create_user
from tests.conftest import make_client
from tests.integration.test_members import PASSWORD, csrf_of

REDIS_URL = "redis://127.0.0.1:6379/13"  # a database of its own, emptied by the test


def guess(client, name="alice", password="wrong password!"):
    token = csrf_of(client.get("/signin").text)
    return client.post("/signin", data={"username": name, "password": password, "csrf": token})


def test_brute_force_on_sign_in_is_throttled(sqlite_engine, tmp_path):
    create_user(sqlite_engine, "alice", PASSWORD)
    client = make_client(sqlite_engine, tmp_path)
    answers = [guess(client) for _ in range(11)]
    assert [a.status_code for a in answers[:10]] == [400] * 10
    blocked = answers[10]
    assert blocked.status_code == 429 and 0 < int(blocked.headers["Retry-After"]) <= 60
    assert "try again in" in blocked.text and "Slow down" in blocked.text
    # Even the right password waits: the limit is on attempts, not failures.
    assert guess(client, password=PASSWORD).status_code == 429


def test_limits_are_shared_through_redis(sqlite_engine, tmp_path):
    redis = pytest.importorskip("redis")
    try:
        redis.Redis.from_url(REDIS_URL).flushdb()
    except redis.exceptions.ConnectionError:
        pytest.skip("no Redis on 127.0.0.1:6379")
    create_user(sqlite_engine, "alice", PASSWORD)
    first, second = (make_client(sqlite_engine, tmp_path, redis_url=REDIS_URL) for _ in range(2))
    for _ in range(5):
        assert guess(first).status_code == 400
    for _ in range(5):
        assert guess(second).status_code == 400
    assert guess(second).status_code == 429  # the two "processes" counted together


def test_guesses_from_many_addresses_do_not_lock_the_member_out(engine, tmp_path):
    """Issue 13, accounts 4: 20 wrong guesses from 20 addresses, then alice with her password."""
    from fastapi.testclient import TestClient

    create_user(engine, "alice", PASSWORD)
    app = make_client(engine, tmp_path).app
    attackers = [TestClient(app, raise_server_exceptions=False, client=(f"203.0.113.{n}", 50000)) for n in range(1, 22)]
    assert [guess(attacker).status_code for attacker in attackers[:20]] == [400] * 20
    alice = TestClient(app, raise_server_exceptions=False, client=("198.51.100.7", 50000), follow_redirects=False)
    assert guess(alice, password=PASSWORD).status_code == 303  # signed in: slowed guessing, no lockout
    slowed = guess(attackers[20])  # the next guess within 5 s waits
    assert slowed.status_code == 429 and int(slowed.headers["Retry-After"]) <= 5


def test_one_address_failing_on_one_account_is_stopped_there_only(engine, tmp_path):
    from fastapi.testclient import TestClient

    create_user(engine, "alice", PASSWORD)
    create_user(engine, "bob", PASSWORD)
    app = make_client(engine, tmp_path).app
    guesser = TestClient(app, raise_server_exceptions=False, client=("203.0.113.9", 50000))
    assert [guess(guesser).status_code for _ in range(10)] == [400] * 10
    assert guess(guesser).status_code == 429
    elsewhere = TestClient(app, raise_server_exceptions=False, client=("198.51.100.7", 50000), follow_redirects=False)
    assert guess(elsewhere, password=PASSWORD).status_code == 303  # alice, from her own address
