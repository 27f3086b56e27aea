"""Covers (issue 16, item 1): `paperfeed covers` fetches each listed paper's PDF from a local server
standing in for arXiv, politely, and draws its first page; the pages then show it, and the site
serves it with long-lived cache headers; a PDF that does not render is reported and the rest go
on; a paper without one shows its generated cover; the worker draws the covers of new listings by
itself, and a visitor's request never fetches anything."""

from __future__ import annotations

import re
import threading
import time
from datetime import UTC, datetime
from xml.etree.ElementTree import fromstring

import pytest
from fastapi.testclient import TestClient

from paperfeed.config import Settings
from paperfeed.catalog.covers import RECHECK_S
from paperfeed.db import job_runs
from paperfeed.db.engine import create_engine
from paperfeed.ingest.files import ingest_files
from paperfeed.jobs import run_cover_job
from paperfeed.web.app import create_app
from tests.conftest import write_jsonl
from tests.integration.test_cli import one_line, run_cli
from tests.pdf_pages import BROKEN_PDF, make_pdf, pixel, read_png
from tests.replay_server import ReplayServer, Reply

DAY = "2026-11-30"
GOOD, BROKEN, HTML, GONE, OTHER = "2411.00001", "2411.00002", "2411.00003", "2411.00004", "local:notes-1"
RED = (0.85, 0.1, 0.1)


def listed(paper_id: str, title: str, upvotes: int, **extra) -> dict:
    return {"id": paper_id, "title": title, "authors": ["Ada Lovelace", "Charles Babbage"], "date": DAY,
            "upvotes": upvotes, "submitted_by": "ada", **extra}


PAPERS = [
    listed(GOOD, "A Paper That Renders", 9, categories=["cs.CL"]),
    listed(BROKEN, "A Paper Whose PDF Is Cut Off", 7),
    listed(HTML, "A Paper Still Being Built", 5),
    listed(GONE, "A Withdrawn Paper", 3),
    listed(OTHER, "Notes From Elsewhere", 1),
]


def arxiv_stand_in(path: str, params: dict) -> Reply:
    """What a local 'arXiv' answers at /pdf/ID."""
    paper_id = path.removeprefix("/pdf/")
    if paper_id == GOOD:
        return Reply(body=make_pdf("A Paper That Renders", band_rgb=RED), headers={"Content-Type": "application/pdf"})
    if paper_id == BROKEN:
        return Reply(body=BROKEN_PDF, headers={"Content-Type": "application/pdf"})
    if paper_id == HTML:
        return Reply(body=b"<html><body>PDF being generated, try later</body></html>",
                     headers={"Content-Type": "text/html; charset=utf-8"})
    return Reply(status=404, body=b"not found")


def environment(server: ReplayServer, **extra: str) -> dict[str, str]:
    return {"PAPERFEED_ARXIV_PDF_URL": server.url + "/pdf", "PAPERFEED_ARXIV_DELAY_S": "0",
            "PAPERFEED_CONTACT_EMAIL": "covers@example.org", "PAPERFEED_SEMANTIC_SEARCH": "false", **extra}


@pytest.fixture
def data_dir(tmp_path):
    data = tmp_path / "data"
    run_cli("ingest", str(write_jsonl(tmp_path / "papers.jsonl", PAPERS)), data_dir=data, check_rc=0,
            env={"PAPERFEED_SEMANTIC_SEARCH": "false"})
    return data


def site(data_dir) -> TestClient:
    settings = Settings(data_dir=data_dir, semantic_search=False)
    return TestClient(create_app(settings, engine=create_engine(settings.resolved_database_url)))


def test_covers_are_drawn_from_the_pdfs_failures_reported_and_the_pages_show_them(data_dir):
    with ReplayServer(arxiv_stand_in) as server:
        result = run_cli("covers", data_dir=data_dir, check_rc=3, env=environment(server))
    output = one_line(result.stderr)
    assert f"failed {BROKEN}: not a readable PDF" in output
    assert f"failed {HTML}: the answer is not a PDF (text/html" in output
    assert f"failed {GONE}: HTTP 404" in output
    assert "covers: 1 cover rendered, 3 failed" in output
    assert sorted(request.path for request in server.requests) == [f"/pdf/{paper_id}" for paper_id in
                                                                    (GOOD, BROKEN, HTML, GONE)]
    assert all("mailto:covers@example.org" in request.user_agent for request in server.requests)
    assert (data_dir / "covers" / "2411" / f"{GOOD}.png").is_file()
    assert "HTTP 404" in (data_dir / "covers" / "2411" / f"{GONE}.failed").read_text()

    client = site(data_dir)
    page = client.get(f"/papers/date/{DAY}").text
    covers = dict(re.findall(r'href="/papers/([^"]+)" tabindex="-1" aria-hidden="true">\s*<img src="([^"]+)"', page))
    assert covers.keys() == {GOOD, BROKEN, HTML, GONE, OTHER}
    assert re.fullmatch(rf"/covers/{GOOD}\.png\?v=[0-9a-f]+-[0-9a-f]+", covers[GOOD])
    assert covers[BROKEN] == f"/covers/{BROKEN}.svg" and covers[OTHER] == f"/covers/{OTHER}.svg"

    image = client.get(covers[GOOD])
    assert image.status_code == 200 and image.headers["content-type"] == "image/png"
    assert image.headers["cache-control"] == "public, max-age=31536000, immutable"
    width, height, rows = read_png(image.content)
    assert (width, height) == (300, 388)  # US Letter at 300 pixels
    red, green, blue = pixel(rows, 150, 20)  # the PDF's red band across the top
    assert red > 180 and green < 60 and blue < 60
    assert pixel(rows, 150, height - 5) == (255, 255, 255)  # the white foot of the page
    again = client.get(covers[GOOD], headers={"If-None-Match": image.headers["etag"]})
    assert again.status_code == 304 and again.content == b""

    paper_page = client.get(f"/papers/{GOOD}").text
    assert re.search(rf'<a class="cover paper-cover" href="https://arxiv.org/pdf/{GOOD}" rel="noopener">\s*'
                     rf'<img src="/covers/{GOOD}\.png\?v=[^"]+"[^>]*alt="First page of the PDF"', paper_page)


def test_a_running_site_shows_a_cover_as_soon_as_the_worker_stored_it(data_dir):
    # The pages remember which covers are on disk (no look at a file per card); a cover stored by
    # another process shows on the next page all the same.
    client = site(data_dir)
    before = client.get(f"/papers/date/{DAY}").text
    assert f'src="/covers/{GOOD}.svg"' in before
    with ReplayServer(arxiv_stand_in) as server:
        run_cli("covers", data_dir=data_dir, check_rc=3, env=environment(server))
    time.sleep(RECHECK_S)
    after = client.get(f"/papers/date/{DAY}").text
    assert re.search(rf'src="/covers/{GOOD}\.png\?v=[0-9a-f]+-[0-9a-f]+"', after)
    assert f'src="/covers/{BROKEN}.svg"' in after


def test_missing_retries_only_the_papers_without_a_cover_and_limit_stops_early(data_dir):
    with ReplayServer(arxiv_stand_in) as server:
        first = run_cli("covers", "--limit", "2", data_dir=data_dir, check_rc=3, env=environment(server))
        assert "covers: 1 cover rendered, 1 failed; 2 left for a later run (--limit 2)" in one_line(first.stderr)
        server.requests.clear()
        second = run_cli("covers", "--missing", data_dir=data_dir, check_rc=3, env=environment(server))
    assert "covers: 0 covers rendered, 3 failed, 1 already there" in one_line(second.stderr)
    assert {request.path for request in server.requests} == {f"/pdf/{BROKEN}", f"/pdf/{HTML}", f"/pdf/{GONE}"}


def test_covers_on_a_data_directory_without_a_database_says_so(tmp_path):
    result = run_cli("covers", data_dir=tmp_path / "nowhere", check_rc=1)
    assert "paperfeed covers found no database" in one_line(result.stderr)
    assert not (tmp_path / "nowhere" / "paperfeed.db").exists()


HOSTILE_TITLE = 'Tom & Jerry <script>alert(1)</script> "quoted" ]]> \x01 $\\alpha$'


def test_a_paper_without_a_cover_gets_a_generated_one_escaped_and_cached(tmp_path):
    data = tmp_path / "data"
    papers = [{"id": "2411.09999", "title": HOSTILE_TITLE, "authors": ["Zoë <b>Bold</b>", "B"], "date": DAY,
               "upvotes": 2, "categories": ["cs.LG"]}]
    run_cli("ingest", str(write_jsonl(tmp_path / "hostile.jsonl", papers)), data_dir=data, check_rc=0,
            env={"PAPERFEED_SEMANTIC_SEARCH": "false"})
    client = site(data)
    assert 'src="/covers/2411.09999.svg"' in client.get(f"/papers/date/{DAY}").text
    answer = client.get("/covers/2411.09999.svg")
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("image/svg+xml")
    assert answer.headers["cache-control"] == "public, max-age=86400"
    assert answer.headers["content-security-policy"].startswith("default-src 'none'")
    svg = fromstring(answer.content)  # well-formed XML, whatever the title holds
    namespace = "{http://www.w3.org/2000/svg}"
    texts = ["".join(element.itertext()) for element in svg.iter(f"{namespace}text")]
    assert texts[0] == "cs.LG"  # the band names the category
    shown = 'Tom & Jerry <script>alert(1)</script> "quoted" ]]> $\\alpha$'  # as typed, less the control character
    lines = [line.text for line in svg.iter(f"{namespace}tspan")]
    assert "".join(lines).replace(" ", "") == shown.replace(" ", "")  # every character, wrapped into lines
    assert texts[2].endswith("<b>Bold</b> et al.") and texts[3] == "2411.09999"  # the first author, as text
    assert svg.findtext(f"{namespace}title") == shown
    assert not list(svg.iter(f"{namespace}script")) and not list(svg.iter(f"{namespace}style"))
    assert b"<script" not in answer.content
    assert client.get("/covers/2411.09999.svg", headers={"If-None-Match": answer.headers["etag"]}).status_code == 304

    assert client.get("/covers/2411.09999.png").status_code == 404  # not drawn (yet)
    assert client.get("/covers/2411.00404.svg").status_code == 404  # no such paper


def test_a_cover_address_cannot_reach_other_files(data_dir):
    (data_dir / "covers").mkdir(exist_ok=True)
    client = site(data_dir)
    for address in ("/covers/..%2Fsecret_key.png", "/covers/2411/..%2F..%2Fsecret_key.png",
                    "/covers/%2E%2E/paperfeed.db.png", "/covers/local:..%2F..%2Fsecret_key.png"):
        answer = client.get(address)
        assert answer.status_code in (400, 404), address
        assert answer.headers["content-type"].startswith("text/html"), address


def test_the_worker_draws_new_listings_covers_politely_and_visitors_never_fetch(data_dir):
    with ReplayServer(arxiv_stand_in, clock=time.monotonic) as server:
        client = site(data_dir)
        client.get(f"/papers/date/{DAY}")
        client.get(f"/papers/{GOOD}")
        client.get(f"/covers/{GOOD}.svg")
        assert server.requests == []  # pages never fetch a PDF while a visitor waits

        env = environment(server, PAPERFEED_ARXIV_DELAY_S="1", PAPERFEED_SCHEDULED_FETCHES="")
        result = run_cli("worker", "--once", data_dir=data_dir, check_rc=0, env=env)
        output = one_line(result.stderr)
        assert re.search(r"covers \d{4}-\d\d-\d\dT\d\d:\d0: done — 1 cover rendered, 3 failed", output)
        assert f"{GONE}: HTTP 404" in output
        times = [request.clock_time for request in server.requests]
        # PAPERFEED_ARXIV_DELAY_S apart (as the server sees them arrive: less a little jitter)
        assert len(times) == 4 and all(later - earlier >= 0.75 for earlier, later in zip(times, times[1:]))

        again = run_cli("worker", "--once", data_dir=data_dir, check_rc=0, env=env)
        assert "covers" not in again.stderr and len(server.requests) == 4  # failures wait a day
    assert re.search(rf'<img src="/covers/{GOOD}\.png\?v=', client.get(f"/papers/date/{DAY}").text)


def test_two_workers_at_once_fetch_each_pdf_once(engine, tmp_path):
    ingest_files(engine, [write_jsonl(tmp_path / "papers.jsonl", PAPERS)], listings="auto")
    with ReplayServer(lambda path, params: Reply(body=make_pdf(path), delay_s=0.05)) as server:
        settings = Settings(data_dir=tmp_path, database_url=engine.url.render_as_string(hide_password=False),
                            arxiv_pdf_url=server.url + "/pdf", arxiv_delay_s=0)
        outcomes, now = [], datetime.now(UTC)  # one ten-minute slot for the three of them
        workers = [threading.Thread(target=lambda n=n: outcomes.append(
            run_cover_job(engine, settings, worker=f"w{n}", clock=lambda: now))) for n in range(3)]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join()
    assert sorted(request.path for request in server.requests) == [f"/pdf/{paper_id}" for paper_id in
                                                                    (GOOD, BROKEN, HTML, GONE)]
    done = [outcome for outcome in outcomes if outcome is not None]
    assert len(done) == 1 and done[0].message == "4 covers rendered"
    with engine.connect() as connection:
        assert [(run.job, run.status) for run in job_runs.recent_runs(connection)] == [("covers", "done")]
    assert run_cover_job(engine, settings) is None  # nothing left to draw
