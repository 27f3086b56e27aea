"""Comments: Markdown made safe, threaded replies, edit and delete your own, reports, the
moderators' queue (hide, ban) and `paperfeed user promote`."""

import re

import pytest

from paperfeed.members.accounts import create_user, promote
from paperfeed.ingest.files import ingest_files
from tests.conftest import FIXED_NOW, make_client, write_jsonl
from tests.integration.test_cli import run_cli
from tests.integration.test_members import PASSWORD, csrf_of, sign_in

PAPER = "2608.00001"


@pytest.fixture
def people(engine, tmp_path):
    ingest_files(engine, [write_jsonl(tmp_path / "p.jsonl", [
        {"id": PAPER, "title": "Paper A", "date": FIXED_NOW.date().isoformat(), "listed": True}])])
    for name in ("alice", "bob", "mod"):
        create_user(engine, name, PASSWORD)
    promote(engine, "mod", "moderator")
    clients = {}
    for name in ("alice", "bob", "mod"):
        clients[name] = make_client(engine, tmp_path)
        sign_in(clients[name], name=name)
    return clients


def comment(client, body, parent_id=None):
    token = csrf_of(client.get(f"/papers/{PAPER}").text)
    data = {"body": body, "csrf": token} | ({"parent_id": str(parent_id)} if parent_id else {})
    answer = client.post(f"/papers/{PAPER}/comments", data=data, follow_redirects=False)
    assert answer.status_code == 303, answer.text
    return int(answer.headers["location"].rsplit("#comment-", 1)[1])


def test_markdown_is_rendered_safely_and_replies_nest(people):
    alice, bob = people["alice"], people["bob"]
    first = comment(alice, "**Great** paper, see [the code](https://github.com/x/y) <script>window.x=1</script> "
                           "[bad](javascript:alert(1))")
    reply = comment(bob, "I *agree*", parent_id=first)
    page = alice.get(f"/papers/{PAPER}").text
    assert "<strong>Great</strong>" in page and 'rel="nofollow ugc noopener noreferrer"' in page
    assert "<script>window.x=1</script>" not in page and "&lt;script&gt;" in page and 'href="javascript' not in page
    nested = re.search(rf'id="comment-{first}".*?<ol class="comment-list">.*?id="comment-{reply}"', page, re.S)
    assert nested and "Discussion (2)" in page


def test_edit_and_delete_your_own_only(people):
    alice, bob = people["alice"], people["bob"]
    first = comment(alice, "First thought")
    token = csrf_of(bob.get(f"/papers/{PAPER}").text)
    assert bob.post(f"/comments/{first}/edit", data={"body": "hijacked", "csrf": token}).status_code == 403
    assert bob.post(f"/comments/{first}/delete", data={"csrf": token}).status_code == 403
    token = csrf_of(alice.get(f"/papers/{PAPER}").text)
    alice.post(f"/comments/{first}/edit", data={"body": "Second thought", "csrf": token})
    page = bob.get(f"/papers/{PAPER}").text
    assert "Second thought" in page and "edited" in page and "First thought" not in page
    comment(bob, "a reply", parent_id=first)
    alice.post(f"/comments/{first}/delete", data={"csrf": token})
    page = bob.get(f"/papers/{PAPER}").text
    assert "[deleted]" in page and "Second thought" not in page and "a reply" in page
    too_long = alice.post(f"/papers/{PAPER}/comments", data={"body": "x" * 10_001, "csrf": token})
    assert too_long.status_code == 400 and "at most 10,000 characters" in too_long.text


def test_reports_reach_the_moderators_who_hide_and_ban(people, engine, tmp_path):
    alice, bob, mod = people["alice"], people["bob"], people["mod"]
    spam = comment(bob, "Buy cheap pills")
    token = csrf_of(alice.get(f"/papers/{PAPER}").text)
    reported = alice.post(f"/comments/{spam}/report", data={"reason": "spam", "csrf": token})
    assert "the moderators will look at that comment" in reported.text
    assert alice.get("/moderation").status_code == 403
    queue = mod.get("/moderation").text
    assert "Buy cheap pills" in queue and "spam" in queue
    mod.post(f"/moderation/{spam}", data={"action": "ban", "csrf": csrf_of(queue)})
    assert "Buy cheap pills" not in alice.get(f"/papers/{PAPER}").text
    assert "Buy cheap pills" in mod.get(f"/papers/{PAPER}").text  # moderators still see it, marked hidden
    assert "Nothing to look at" in mod.get("/moderation").text
    assert bob.get("/submit", follow_redirects=False).status_code == 303  # the ban ended bob's session
    fresh = make_client(engine, tmp_path)
    assert sign_in(fresh, name="bob").status_code == 403


def test_user_promote_cli(tmp_path):
    add = run_cli("user", "add", "erin", "--password-stdin", data_dir=tmp_path, check_rc=None)
    assert add.returncode != 0  # no password on stdin: refused
    import subprocess
    import sys
    import os

    env = {**os.environ, "PAPERFEED_DATA_DIR": str(tmp_path)}
    subprocess.run([sys.executable, "-m", "paperfeed.cli", "user", "add", "erin", "--password-stdin"],
                   input=PASSWORD + "\n", env=env, text=True, check=True, capture_output=True)
    result = run_cli("user", "promote", "erin", "--role", "moderator", data_dir=tmp_path, check_rc=0)
    assert "now moderator" in result.stderr
    assert "no member named" in run_cli("user", "promote", "nobody", data_dir=tmp_path, check_rc=1).stderr


def test_members_comments_count_in_num_comments_and_trending(people, engine):
    from paperfeed.db.users import delete_user, find_by_username

    alice, bob, mod = people["alice"], people["bob"], people["mod"]

    def counts():
        paper = alice.get(f"/api/papers/{PAPER}").json()
        trending = alice.get("/api/daily_papers", params={"sort": "trending"}).json()[0]["trending"]
        return paper["numComments"], trending["commentPoints"]

    assert counts() == (0, 0)
    first = comment(alice, "First")
    comment(bob, "Second")
    reply = comment(bob, "A reply", parent_id=first)
    assert counts() == (3, 6)  # 2 points a comment (docs/ranking.md)
    bob.post(f"/comments/{reply}/delete", data={"csrf": csrf_of(bob.get(f"/papers/{PAPER}").text)})
    mod.post(f"/moderation/{first}", data={"action": "hide", "csrf": csrf_of(mod.get("/moderation").text)})
    assert counts()[0] == 1
    with engine.begin() as connection:
        delete_user(connection, find_by_username(connection, "bob").id, now=FIXED_NOW)
    assert counts() == (0, 0)


def test_a_new_import_keeps_the_members_comment_count(people, engine, tmp_path):
    comment(people["alice"], "Kept")
    ingest_files(engine, [write_jsonl(tmp_path / "again.jsonl", [
        {"id": PAPER, "title": "Paper A, revised", "date": FIXED_NOW.date().isoformat(), "listed": True},
        {"id": "2608.00002", "title": "Paper B", "date": FIXED_NOW.date().isoformat(), "listed": True}])])
    paper = people["alice"].get(f"/api/papers/{PAPER}").json()
    assert paper["title"] == "Paper A, revised" and paper["numComments"] == 1


def test_deleting_an_account_keeps_the_replies_of_others(people, engine):
    """Issue 13, data 7: the deleted member's comments become stubs; bob's and the moderator's
    replies stay in the thread and in bob's export."""
    alice, bob, mod = people["alice"], people["bob"], people["mod"]
    first = comment(alice, "Alice's opinion, soon gone")
    bobs = comment(bob, "Bob answers", parent_id=first)
    mods = comment(mod, "The moderator answers too", parent_id=first)
    page = alice.get("/account").text
    assert alice.post("/account/delete", data={"password": PASSWORD, "csrf": csrf_of(page)},
                      follow_redirects=False).status_code == 303
    thread = bob.get(f"/papers/{PAPER}").text
    assert "Alice's opinion" not in thread and "[deleted account]" in thread and "[deleted]" in thread
    assert f'id="comment-{bobs}"' in thread and f'id="comment-{mods}"' in thread
    nested = re.search(rf'id="comment-{first}".*?<ol class="comment-list">.*?id="comment-{bobs}"', thread, re.S)
    assert nested and "Discussion (2)" in thread
    export = bob.get("/account/export").json()
    assert [c["body"] for c in export["comments"]] == ["Bob answers"]
    api = bob.get(f"/api/papers/{PAPER}/comments").json()
    assert "Alice's opinion" not in str(api) and "Bob answers" in str(api)
