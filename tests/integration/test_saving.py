"""Saving papers in collections (issue 16, item 8): "Save" on every card and on the paper page puts
the paper in one of the member's collections or takes it out, as a plain form that comes back to the
same page (query and page number included) or, for save.js, as JSON with the control's new HTML; the
control says which collections hold the paper; visitors get "Sign in to save", back to the same URL."""

from __future__ import annotations

import re
from urllib.parse import quote

import pytest

from paperfeed.ingest.files import ingest_files
from paperfeed.members.accounts import create_user
from tests.conftest import FIXED_NOW, make_client, write_jsonl
from tests.integration.test_members import csrf_of, sign_in

DAY = FIXED_NOW.date().isoformat()


@pytest.fixture
def site(engine, tmp_path):
    ingest_files(engine, [write_jsonl(tmp_path / "papers.jsonl", [
        {"id": f"2608.0000{n}", "title": f"Paper number {n}", "authors": ["Ada Lovelace"], "date": DAY,
         "listed": True, "upvotes": 10 - n} for n in range(1, 4)] + [
        {"id": "hep-th/9901001", "title": "An old-style id", "authors": ["Old Timer"], "date": DAY, "listed": True}])])
    for name in ("alice", "bob"):
        create_user(engine, name, "correct horse battery")
    return engine, tmp_path


def member(site, name="alice"):
    client = make_client(*site)
    sign_in(client, name=name)
    return client


def save(client, paper_id, *, back="/", accept=None, **fields):
    token = csrf_of(client.get("/library").text)
    headers = {"Accept": accept} if accept else {}
    return client.post(f"/papers/{paper_id}/save", data={"csrf": token, "back": back, **fields}, headers=headers,
                       follow_redirects=False)


def control(page: str, paper_id: str) -> str:
    """The "Save" control of one paper on a page."""
    found = re.search(rf'<details class="save-control [^"]*" id="save-{re.escape(paper_id)}".*?</details>', page, re.DOTALL)
    assert found, f"no Save control for {paper_id}"
    return found[0]


def collection_ids(client) -> dict[str, int]:
    library = client.get("/library").text
    return {name: int(number) for number, name in re.findall(r'<a href="/collections/(\d+)">([^<]+)</a>', library)}


def test_visitors_are_asked_to_sign_in_and_come_back(site):
    visitor = make_client(*site)
    day_page = visitor.get(f"/papers/date/{DAY}", params={"page": 1}).text
    here = quote(f"/papers/date/{DAY}?page=1", safe="/")
    assert day_page.count(f'href="/signin?next={here}" title="Sign in to save"') == 4  # one per card
    paper_page = visitor.get("/papers/2608.00001").text
    assert re.search(r'href="/signin\?next=/papers/2608.00001"><span aria-hidden="true">☆</span> Sign in to save</a>',
                     paper_page)
    assert 'class="save-form"' not in paper_page


def test_save_in_a_new_collection_then_toggle_it_without_javascript(site):
    alice = member(site)
    card = control(alice.get(f"/papers/date/{DAY}").text, "2608.00002")
    assert "Not in your collections yet." in card and 'value="Reading list"' in card  # a first collection, one click
    back = f"/papers/date/{DAY}?page=1"
    answer = save(alice, "2608.00002", back=back, new_collection="Reading list")
    assert answer.status_code == 303 and answer.headers["location"] == f"{back}#save-2608.00002"
    reading = collection_ids(alice)["Reading list"]
    card = control(alice.get(back).text, "2608.00002")
    assert 'data-saved="true"' in card and "Saved in Reading list." in card and "★" in card
    assert re.search(r'name="save" value="remove">\s*<button type="submit" class="save-toggle" aria-pressed="true"', card)
    assert 'data-saved="false"' in control(alice.get(back).text, "2608.00001")  # the others are not saved

    save(alice, "2608.00002", new_collection="Reading list")  # the same name again: the same collection
    assert list(collection_ids(alice)) == ["Reading list"]
    save(alice, "2608.00002", collection_id=reading, save="add")  # twice: still once in it
    assert alice.get(f"/collections/{reading}").text.count('href="/papers/2608.00002"') == 1

    answer = save(alice, "2608.00002", back="/papers/2608.00002", collection_id=reading, save="remove")
    assert answer.headers["location"] == "/papers/2608.00002#save-2608.00002"
    assert "Not in your collections yet." in control(alice.get("/papers/2608.00002").text, "2608.00002")
    assert 'href="/papers/2608.00002"' not in alice.get(f"/collections/{reading}").text


def test_the_control_names_every_collection_that_holds_the_paper(site):
    alice = member(site)
    save(alice, "hep-th/9901001", new_collection="Reading list")
    save(alice, "hep-th/9901001", new_collection="Old physics")
    ids = collection_ids(alice)
    save(alice, "2608.00001", collection_id=ids["Old physics"], save="add")
    page = alice.get("/papers/hep-th/9901001").text
    paper_control = control(page, "hep-th/9901001")
    assert "Saved in Old physics, Reading list." in paper_control and "paper-save" in paper_control
    assert paper_control.count('aria-pressed="true"') == 2
    one = control(alice.get(f"/papers/date/{DAY}").text, "2608.00001")
    assert "Saved in Old physics." in one and one.count('aria-pressed="true"') == 1
    assert one.count('aria-pressed="false"') == 1  # Reading list, offered


def test_save_js_gets_json_and_the_new_control(site):
    alice = member(site)
    save(alice, "2608.00003", new_collection="Reading list")
    reading = collection_ids(alice)["Reading list"]
    answer = save(alice, "2608.00001", accept="application/json", back=f"/papers/date/{DAY}?page=1",
                  collection_id=reading, save="add")
    assert answer.status_code == 200
    result = answer.json()
    assert result["saved"] is True and result["collections"] == ["Reading list"]
    assert result["html"].startswith('<details class="save-control') and 'id="save-2608.00001"' in result["html"]
    assert f'name="back" value="/papers/date/{DAY}?page=1"' in result["html"]  # the page it is on, not /save
    off = save(alice, "2608.00001", accept="application/json", collection_id=reading, save="remove").json()
    assert off["saved"] is False and off["collections"] == [] and "Not in your collections yet." in off["html"]


def test_another_members_collection_and_bad_input(site):
    alice, bob = member(site), member(site, "bob")
    save(alice, "2608.00001", new_collection="Alice only")
    alices = collection_ids(alice)["Alice only"]
    assert save(bob, "2608.00002", collection_id=alices, save="add").status_code == 404
    assert save(bob, "2608.00001", collection_id=alices, save="remove").status_code == 404
    assert alice.get(f"/collections/{alices}").text.count('href="/papers/2608.00001"') == 1
    assert 'href="/papers/2608.00002"' not in alice.get(f"/collections/{alices}").text

    missing = save(alice, "2608.00001")
    assert missing.status_code == 400 and "choose a collection, or name a new one" in missing.text
    assert save(alice, "2608.00001", collection_id="many", save="add").status_code == 400
    assert save(alice, "2608.00001", collection_id=alices, save="maybe").status_code == 400
    assert save(alice, "2401.99999", new_collection="Never made").status_code == 404
    assert "Never made" not in collection_ids(alice)
    forged = alice.post("/papers/2608.00001/save", data={"collection_id": alices, "save": "remove", "csrf": "forged"})
    assert forged.status_code == 403
    assert alice.get(f"/collections/{alices}").text.count('href="/papers/2608.00001"') == 1
    visitor = make_client(*site).post("/papers/2608.00001/save", data={"collection_id": alices})
    assert visitor.status_code == 401
