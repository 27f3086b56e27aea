"""Collections: create, add, reorder, remove, public or private (another member sees a private one
as "not found"), BibTeX and CSL-JSON exports (tests/integration/test_citations.py reads them with
the parsers), the library page."""

import json
import re

import pytest

from paperfeed.members.accounts import create_user
from paperfeed.ingest.files import ingest_files
from tests.conftest import FIXED_NOW, make_client, write_jsonl
from tests.integration.test_members import PASSWORD, csrf_of, sign_in

DAY = FIXED_NOW.date().isoformat()


@pytest.fixture
def members(engine, tmp_path):
    ingest_files(engine, [write_jsonl(tmp_path / "p.jsonl", [
        {"id": "2608.00001", "title": "Attention & {braces}: 100% of it", "authors": ["Ada Lovelace", "Alan Turing"],
         "date": DAY, "categories": ["cs.CL"], "doi": "10.1000/xyz_1"},
        {"id": "2608.00002", "title": "Second paper", "authors": ["Grace Hopper"], "date": DAY},
    ])])
    for name in ("alice", "bob"):
        create_user(engine, name, PASSWORD)
    clients = {}
    for name in ("alice", "bob"):
        clients[name] = make_client(engine, tmp_path)
        sign_in(clients[name], name=name)
    return clients


def create(client, name, public=False):
    data = {"name": name, "csrf": csrf_of(client.get("/library").text)} | ({"public": "true"} if public else {})
    answer = client.post("/collections", data=data, follow_redirects=False)
    return int(answer.headers["location"].rsplit("/", 1)[1])


def add(client, collection_id, paper_id):
    token = csrf_of(client.get(f"/papers/{paper_id}").text)
    return client.post(f"/collections/{collection_id}/items", data={"paper_id": paper_id, "csrf": token},
                       follow_redirects=False)


def titles(html):
    return re.findall(r'<li>\s*<a href="/papers/([^"]+)">', html)


def test_collections_are_built_ordered_and_exported(members):
    alice = members["alice"]
    reading = create(alice, "Reading list")
    assert add(alice, reading, "2608.00001").status_code == 303
    add(alice, reading, "2608.00002")
    add(alice, reading, "2608.00001")  # again: no duplicate
    page = alice.get(f"/collections/{reading}").text
    assert titles(page) == ["2608.00001", "2608.00002"]
    alice.post(f"/collections/{reading}/items/2608.00002/up", data={"csrf": csrf_of(page)})
    assert titles(alice.get(f"/collections/{reading}").text) == ["2608.00002", "2608.00001"]

    bib = alice.get(f"/collections/{reading}.bib")
    assert bib.headers["content-type"].startswith("application/x-bibtex")
    assert "@misc{lovelace2026attention," in bib.text and r"Attention \& {braces}: 100\% of it" in bib.text
    assert "author = {Lovelace, Ada and Turing, Alan}" in bib.text and "eprint = {2608.00001}" in bib.text
    assert "doi = {10.1000/xyz_1}" in bib.text and "primaryClass = {cs.CL}" in bib.text
    assert "doi = {10.48550/arXiv.2608.00002}" in bib.text  # no DOI of its own: arXiv's
    csl = json.loads(alice.get(f"/collections/{reading}.json").text)
    assert [item["id"] for item in csl] == ["2608.00002", "2608.00001"]
    assert csl[1]["author"][0] == {"family": "Lovelace", "given": "Ada"} and csl[1]["DOI"] == "10.1000/xyz_1"

    alice.post(f"/collections/{reading}/items/2608.00002/remove", data={"csrf": csrf_of(page)})
    assert titles(alice.get(f"/collections/{reading}").text) == ["2608.00001"]
    library = alice.get("/library").text
    assert "Reading list" in library and "1 paper" in library and "private" in library


def test_private_collections_are_invisible_to_others(members):
    alice, bob = members["alice"], members["bob"]
    secret = create(alice, "Secret project")
    shared = create(alice, "Shared picks", public=True)
    add(alice, secret, "2608.00001")
    for path in (f"/collections/{secret}", f"/collections/{secret}.bib", f"/collections/{secret}.json"):
        assert bob.get(path).status_code == 404
    assert add(bob, secret, "2608.00002").status_code == 404
    token = csrf_of(bob.get("/library").text)
    assert bob.post(f"/collections/{secret}/delete", data={"csrf": token}).status_code == 404
    assert bob.post(f"/collections/{secret}/settings", data={"name": "mine now", "public": "true",
                                                              "csrf": token}).status_code == 404
    assert bob.get(f"/collections/{shared}").status_code == 200
    assert "Secret project" not in bob.get("/library").text


def test_visitors_see_public_collections_only(members, engine, tmp_path):
    alice = members["alice"]
    shared = create(alice, "Shared picks", public=True)
    private = create(alice, "Private")
    visitor = make_client(engine, tmp_path)
    assert visitor.get(f"/collections/{shared}").status_code == 200
    assert visitor.get(f"/collections/{private}").status_code == 404
    assert visitor.get("/library", follow_redirects=False).status_code == 303
