"""Citing (issue 16, item 4): the paper page's "Cite" (BibTeX, CSL-JSON, RIS: shown, and downloaded
with the right type and file name), the same formats for a collection and for a member's upvotes,
read back with the parsers people use (bibtexparser 2, pybtex) and checked against what CSL-JSON
and RIS expect. The titles are real ones from the sample (arXiv's LaTeX and Hugging Face's text)."""

from __future__ import annotations

import html
import json
import re

import bibtexparser
import pytest
from bibtexparser.middlewares import LatexDecodingMiddleware
from pybtex.database import parse_string as pybtex_parse

from paperfeed.ingest.files import ingest_files
from paperfeed.members.accounts import create_user
from tests.conftest import FIXED_NOW, make_client, write_jsonl
from tests.integration.test_members import csrf_of, sign_in

DAY = FIXED_NOW.date().isoformat()
PAPERS = [
    {"id": "2508.15881", "title": r"TPLA: Tensor Parallel Latent Attention for Efficient Disaggregated Prefill \& Decode Inference",
     "authors": ["Xiaojuan Tang", "Fanxu Meng"], "date": "2025-08-21", "categories": ["cs.LG", "cs.CL"], "listed": True},
    {"id": "2312.17276", "title": "PanGu-$π$: Enhancing Language Model Architectures via Nonlinearity Compensation",
     "authors": ["Yunhe Wang", "Hanting Chen"], "date": "2023-12-27", "categories": ["cs.CL"], "listed": True},
    {"id": "2608.20335", "title": "4DAnyone: Create Anyone in 4D from a Casual Monocular Video",
     "authors": ["Yudong Jin", "Tao Xie", "Qihang Zhang"], "date": DAY, "categories": ["cs.CV"], "listed": True},
    {"id": "2401.01974", "title": "Towards Truly Zero-shot Compositional Visual Reasoning with LLMs as Programmers",
     "authors": ["Aleksandar Stanić", "Sergi Caelles", "Michael Tschannen"], "date": "2024-01-03",
     "categories": ["cs.CV", "cs.AI"], "primary_category": "cs.CV", "listed": True,
     "abstract": "Visual reasoning is dominated by end-to-end neural networks.\n\nWe use LLMs as programmers."},
    {"id": "2502.12115", "title": "SWE-Lancer: Can Frontier LLMs Earn $1 Million from Real-World Freelance Software Engineering?",
     "authors": ["Samuel Miserendino"], "date": "2025-02-17", "listed": True},
    {"id": "1111.2011", "title": "Attention & {braces}: 100% of it, $5 and $10", "authors": ["Ada Lovelace"],
     "date": "2011-11-08", "doi": "10.1000/xyz_1", "categories": ["hep-th"], "listed": True},
    {"id": "acl:2024.acl-long.1", "title": "A paper from elsewhere", "authors": ["Grace Hopper"], "date": "2024-08-01",
     "listed": True},
]
BY_ID = {paper["id"]: paper for paper in PAPERS}


@pytest.fixture
def site(engine, tmp_path):
    ingest_files(engine, [write_jsonl(tmp_path / "papers.jsonl", PAPERS)])
    create_user(engine, "alice", "correct horse battery")
    create_user(engine, "bob", "correct horse battery")
    return engine, tmp_path


def member(site, name="alice"):
    client = make_client(*site)
    sign_in(client, name=name)
    return client


def shown_citation(page: str, name: str) -> str:
    """The text the "Cite" control shows for a format, as the browser shows it."""
    found = re.search(rf'<pre class="cite-text" id="cite-text-{name}"[^>]*>(.*?)</pre>', page, re.DOTALL)
    return html.unescape(found[1])


def parse_bibtex(text: str) -> dict[str, dict[str, str]]:
    """Entries by key, read by bibtexparser 2 (which must find nothing it cannot read)."""
    library = bibtexparser.parse_string(text)
    assert library.failed_blocks == []
    return {entry.key: {field.key: field.value for field in entry.fields} for entry in library.entries}


def test_the_paper_page_shows_and_downloads_the_three_formats(site):
    visitor = make_client(*site)
    page = visitor.get("/papers/2401.01974").text
    assert "Cite" in page and 'src="/static/cite.js"' in page
    bib, csl, ris = (shown_citation(page, name) for name in ("bibtex", "csl-json", "ris"))
    assert bib.startswith("@misc{stanic2024towards,")
    for suffix, shown, media_type in ((".bib", bib, "application/x-bibtex"),
                                      (".csl.json", csl, "application/vnd.citationstyles.csl+json"),
                                      (".ris", ris, "application/x-research-info-systems")):
        assert f'href="/papers/2401.01974{suffix}" download="stanic2024towards{suffix}"' in page
        download = visitor.get(f"/papers/2401.01974{suffix}")
        assert download.status_code == 200 and download.headers["content-type"].startswith(media_type)
        assert download.headers["content-disposition"] == f'attachment; filename="stanic2024towards{suffix}"'
        assert download.text.replace("\r\n", "\n") == shown.replace("\r\n", "\n")
    assert visitor.get("/papers/2401.01974v2.bib").text == visitor.get("/papers/2401.01974.bib").text
    missing = visitor.get("/papers/2401.99999.bib")
    assert missing.status_code == 404 and "2401.99999" in missing.text


def export_everything(site) -> dict[str, str]:
    """Alice saves every paper in one collection (through "Save") and exports it in each format."""
    alice = member(site)
    token = csrf_of(alice.get("/library").text)
    first = alice.post(f"/papers/{PAPERS[0]['id']}/save", data={"new_collection": "Everything", "csrf": token},
                       follow_redirects=False)
    assert first.status_code == 303
    collection_id = re.search(r'href="/collections/(\d+)"', alice.get("/library").text)[1]
    for paper in PAPERS[1:]:
        answer = alice.post(f"/papers/{paper['id']}/save", data={"collection_id": collection_id, "save": "add",
                                                                 "csrf": token}, follow_redirects=False)
        assert answer.status_code == 303
    exports = {suffix: alice.get(f"/collections/{collection_id}{suffix}") for suffix in (".bib", ".csl.json", ".ris")}
    assert exports[".ris"].headers["content-disposition"] == f'attachment; filename="collection-{collection_id}.ris"'
    assert alice.get(f"/collections/{collection_id}.json").text == exports[".csl.json"].text  # the older address
    return {suffix: answer.text for suffix, answer in exports.items()}


def test_bibtex_keeps_latex_and_math_and_escapes_the_rest(site):
    text = export_everything(site)[".bib"]
    entries = parse_bibtex(text)
    assert all(key.isascii() for key in entries)
    assert {"jin2026_4danyone", "stanic2024towards", "tang2025tpla", "wang2023pangu", "lovelace2011attention",
            "miserendino2025swe", "hopper2024paper"} == set(entries)
    assert "textbackslash" not in text and r"\$π\$" not in text
    assert entries["tang2025tpla"]["title"] == r"{TPLA: Tensor Parallel Latent Attention for Efficient Disaggregated Prefill \& Decode Inference}"
    assert entries["wang2023pangu"]["title"].startswith("{PanGu-$π$: Enhancing")
    assert r"Earn \$1 Million" in entries["miserendino2025swe"]["title"]
    assert entries["lovelace2011attention"]["title"] == r"{Attention \& {braces}: 100\% of it, \$5 and \$10}"
    stanic = entries["stanic2024towards"]
    assert stanic["author"] == "Stanić, Aleksandar and Caelles, Sergi and Tschannen, Michael"
    assert (stanic["year"], stanic["eprint"], stanic["archivePrefix"], stanic["primaryClass"]) == (
        "2024", "2401.01974", "arXiv", "cs.CV")
    assert stanic["doi"] == "10.48550/arXiv.2401.01974" and stanic["url"] == "https://arxiv.org/abs/2401.01974"
    assert entries["lovelace2011attention"]["doi"] == "10.1000/xyz_1"  # the record's own DOI, verbatim
    assert entries["lovelace2011attention"]["eprint"] == "1111.2011"  # and the arXiv version by its eprint
    elsewhere = entries["hopper2024paper"]
    assert "eprint" not in elsewhere and "doi" not in elsewhere and "archivePrefix" not in elsewhere

    decoded = bibtexparser.parse_string(text, append_middleware=[LatexDecodingMiddleware()])
    titles = {entry.key: entry["title"] for entry in decoded.entries}
    assert titles["tang2025tpla"].endswith("Prefill & Decode Inference")
    assert titles["miserendino2025swe"] == BY_ID["2502.12115"]["title"]


def test_pybtex_reads_the_same_titles_authors_years_eprints_and_dois(site):
    text = export_everything(site)[".bib"]
    database = pybtex_parse(text, "bibtex")
    stanic = database.entries["stanic2024towards"]
    first = stanic.persons["author"][0]
    assert (first.last_names, first.first_names) == (["Stanić"], ["Aleksandar"])
    assert [str(person) for person in stanic.persons["author"]] == ["Stanić, Aleksandar", "Caelles, Sergi",
                                                                     "Tschannen, Michael"]
    assert stanic.fields["title"] == "{" + BY_ID["2401.01974"]["title"] + "}"
    assert (stanic.fields["year"], stanic.fields["eprint"], stanic.fields["doi"]) == (
        "2024", "2401.01974", "10.48550/arXiv.2401.01974")
    assert database.entries["jin2026_4danyone"].fields["archivePrefix"] == "arXiv"
    assert len(database.entries) == len(PAPERS)


def test_csl_json_has_what_csl_expects(site):
    items = json.loads(export_everything(site)[".csl.json"])
    assert {item["id"] for item in items} == set(BY_ID)
    for item in items:
        assert item["type"] == "article" and isinstance(item["title"], str) and item["title"]
        assert item["author"] and all(set(name) <= {"family", "given", "suffix"} and name["family"]
                                      for name in item["author"])
        [[year, month, day]] = item["issued"]["date-parts"]
        assert f"{year:04}-{month:02}-{day:02}" == BY_ID[item["id"]]["date"]
    by_id = {item["id"]: item for item in items}
    stanic = by_id["2401.01974"]
    assert stanic["author"][0] == {"family": "Stanić", "given": "Aleksandar"}
    assert (stanic["DOI"], stanic["URL"], stanic["number"]) == (
        "10.48550/arXiv.2401.01974", "https://arxiv.org/abs/2401.01974", "arXiv:2401.01974")
    assert stanic["citation-key"] == "stanic2024towards"
    assert stanic["abstract"] == "Visual reasoning is dominated by end-to-end neural networks. We use LLMs as programmers."
    assert by_id["2508.15881"]["title"].endswith("Prefill & Decode Inference")  # plain text: no LaTeX escape
    assert by_id["2312.17276"]["title"].startswith("PanGu-$π$")  # the math as written
    assert by_id["1111.2011"]["DOI"] == "10.1000/xyz_1"
    assert "DOI" not in by_id["acl:2024.acl-long.1"] and "URL" not in by_id["acl:2024.acl-long.1"]


def test_ris_records_have_the_tags_reference_managers_read(site):
    text = export_everything(site)[".ris"]
    assert "\r\n" in text
    records = [record for record in re.split(r"(?m)^ER  - \r?\n", text) if record.strip()]
    assert len(records) == len(PAPERS) and text.endswith("ER  - \r\n")
    for record in records:
        lines = [line for line in record.replace("\r\n", "\n").split("\n") if line]
        assert lines[0] == "TY  - GEN"
        assert all(re.fullmatch(r"[A-Z][A-Z0-9]  - .+", line) for line in lines), lines
    stanic = next(record for record in records if "2401.01974" in record)
    tags = [line.split("  - ", 1) for line in stanic.replace("\r\n", "\n").split("\n") if line]
    assert ["AU", "Stanić, Aleksandar"] in tags and ["TI", BY_ID["2401.01974"]["title"]] in tags
    assert ["PY", "2024"] in tags and ["DA", "2024/01/03"] in tags and ["DO", "10.48550/arXiv.2401.01974"] in tags
    assert ["UR", "https://arxiv.org/abs/2401.01974"] in tags


def test_my_upvotes_export_from_the_library(site):
    alice = member(site)
    assert "Export your upvotes" not in alice.get("/library").text
    token = csrf_of(alice.get("/library").text)
    for paper_id in ("2401.01974", "2608.20335"):
        alice.post(f"/papers/{paper_id}/upvote", data={"vote": "up", "csrf": token})
    library = alice.get("/library").text
    assert 'href="/library/upvotes.bib"' in library and 'href="/library/upvotes.ris"' in library
    bib = alice.get("/library/upvotes.bib")
    assert bib.headers["content-disposition"] == 'attachment; filename="upvotes-alice.bib"'
    assert set(parse_bibtex(bib.text)) == {"jin2026_4danyone", "stanic2024towards"}
    assert {item["id"] for item in alice.get("/library/upvotes.csl.json").json()} == {"2608.20335", "2401.01974"}
    assert alice.get("/library/upvotes.ris").text.count("TY  - GEN") == 2
    bob = member(site, "bob")
    assert parse_bibtex(bob.get("/library/upvotes.bib").text) == {}  # bob's own, empty
    visitor = make_client(*site).get("/library/upvotes.bib", follow_redirects=False)
    assert visitor.status_code == 303 and visitor.headers["location"].startswith("/signin")
