"""Fetching from arXiv (OAI-PMH) and Hugging Face against a local server replaying real recordings,
with injected faults: resumable, idempotent, polite (3 s between requests), and never corrupting
the store."""

import json
from datetime import UTC, date, datetime

import pytest
import sqlalchemy as sa

from paperfeed.db import fetch_state
from paperfeed.db.engine import create_engine
from paperfeed.db.tables import listings, papers
from paperfeed.ingest.fetch import fetch_arxiv, fetch_hf
from paperfeed.sources.arxiv_taxonomy import oai_set_of
from paperfeed.sources.http import PoliteClient, retry_after_seconds
from tests.conftest import FIXTURES
from tests.integration.test_cli import one_line, run_cli
from tests.replay_server import FakeClock, ReplayServer, Reply

OAI = FIXTURES / "arxiv-oai-pmh"
RAW_PAGE = (OAI / "ListRecords_arXivRaw_from-2014-10-01_with-resumptionToken_TRIMMED_2015.xml").read_bytes()
CS_PAGE = (OAI / "ListRecords_arXiv_set-cs_2015-01-16_to_2015-01-18_complete-46-records_2016.xml").read_bytes()
NO_RECORDS = (OAI / "error_noRecordsMatch_unknown-set-moo_2015.xml").read_bytes()
BAD_ARGUMENT = (OAI / "error_badArgument_2015.xml").read_bytes()
BAD_TOKEN = (OAI / "error_badResumptionToken_2015.xml").read_bytes()
TOKEN = "726959|1001"
NOW = datetime(2026, 8, 22, 12, 0, tzinfo=UTC)


def clock():
    return NOW


def client_for(fake: FakeClock, *, delay: float = 3.0, retries: int = 2) -> PoliteClient:
    return PoliteClient(user_agent="paperfeed-test (mailto:test@example.org)", min_interval_s=delay,
                        retries=retries, clock=fake, sleep=fake.sleep, timeout_s=2)


def two_page_route(second_page=lambda: Reply(body=CS_PAGE)):
    """First page: arXivRaw records and a resumption token; second page: the cs records."""
    def route(path, params):
        if params.get("resumptionToken") == TOKEN:
            return second_page()
        return Reply(body=RAW_PAGE, headers={"Content-Type": "text/xml"})
    return route


def paper_count(engine) -> int:
    with engine.connect() as connection:
        return connection.execute(sa.select(sa.func.count()).select_from(papers)).scalar_one()


def harvest(engine, server, fake, **options):
    with client_for(fake, **options.pop("client", {})) as client:
        return fetch_arxiv(engine, client, oai_url=server.url + "/oai", categories=options.pop("categories", ["cs.LG"]),
                           since=options.pop("since", date(2014, 10, 1)), clock=clock, **options)


def test_oai_sets_are_archives():
    assert [oai_set_of(c) for c in ("cs.CL", "cs", "math.AG", "hep-th", "astro-ph.CO", "q-bio.NC", "physics.optics")] == [
        "cs", "cs", "math", "physics:hep-th", "physics:astro-ph", "q-bio", "physics:physics"]


def test_harvest_follows_the_resumption_token_politely_and_keeps_the_categories_asked(engine):
    fake = FakeClock()
    with ReplayServer(two_page_route(), clock=fake) as server:
        report = harvest(engine, server, fake)
    assert [r.params.get("resumptionToken") for r in server.requests] == [None, TOKEN]
    first = server.requests[0].params
    assert (first["verb"], first["metadataPrefix"], first["set"], first["from"]) == (
        "ListRecords", "arXivRaw", "cs", "2014-10-01")
    assert "mailto:test@example.org" in server.requests[0].user_agent
    # arXiv's terms: at least 3 seconds between the starts of two requests.
    times = [r.clock_time for r in server.requests]
    assert all(later - earlier >= 3.0 for earlier, later in zip(times, times[1:], strict=False))
    # Only cs.LG papers are kept: none of the nuclear physics page, some of the cs page.
    assert report.added == paper_count(engine) > 0 and report.skipped > 0 and not report.failed
    with engine.connect() as connection:
        stored = connection.execute(sa.select(papers.c.categories)).scalars().all()
        assert all("cs.LG" in categories for categories in stored)
        state = fetch_state.get_state(connection, "arxiv-oai:cs")
    assert state.cursor == {"from": "2026-08-22"} and state.last_outcome == "ok"


def test_an_interrupted_harvest_resumes_from_its_token_and_a_rerun_changes_nothing(engine):
    fake = FakeClock()
    failing = [True]

    def second_page():
        return Reply(status=503, headers={"Retry-After": "5"}) if failing[0] else Reply(body=CS_PAGE)

    with ReplayServer(two_page_route(second_page), clock=fake) as server:
        first = harvest(engine, server, fake, categories=["cs.LG", "nucl-th"])
        assert first.failed and first.added > 0
        assert 5.0 in fake.slept  # Retry-After honoured
        with engine.connect() as connection:
            assert fetch_state.get_state(connection, "arxiv-oai:physics:nucl-th").cursor["token"] == TOKEN
        stored_after_failure = paper_count(engine)

        failing[0] = False
        server.requests.clear()
        resumed = harvest(engine, server, fake, categories=["cs.LG", "nucl-th"], since=None)
        # The physics set resumes with its token instead of starting over.
        assert {"verb": "ListRecords", "resumptionToken": TOKEN} in [r.params for r in server.requests]
        assert not resumed.failed and paper_count(engine) > stored_after_failure

        server.requests.clear()
        again = harvest(engine, server, fake, categories=["cs.LG", "nucl-th"])
        assert (again.added, again.updated) == (0, 0) and again.unchanged > 0


def test_a_cut_off_page_keeps_its_good_records_and_is_asked_again(engine):
    fake = FakeClock()
    with ReplayServer(lambda path, params: Reply(body=CS_PAGE[: len(CS_PAGE) // 2]), clock=fake) as server:
        report = harvest(engine, server, fake)
    assert report.failed and report.added > 0
    assert "the XML breaks after" in str(report.failure)
    with engine.connect() as connection:
        state = fetch_state.get_state(connection, "arxiv-oai:cs")
    assert state.cursor == {"from": "2014-10-01"} and state.last_outcome == "failed"


@pytest.mark.parametrize(("body", "failed"), [(NO_RECORDS, False), (BAD_ARGUMENT, True)])
def test_oai_errors(engine, body, failed):
    fake = FakeClock()
    with ReplayServer(lambda path, params: Reply(body=body), clock=fake) as server:
        report = harvest(engine, server, fake)
    assert report.failed is failed and paper_count(engine) == 0
    if failed:
        assert "OAI error badArgument" in str(report.failure)


def test_an_expired_token_restarts_from_the_stored_day(engine):
    fake = FakeClock()

    def route(path, params):
        return Reply(body=BAD_TOKEN) if "resumptionToken" in params else Reply(body=CS_PAGE)

    with engine.begin() as connection:
        fetch_state.save_cursor(connection, "arxiv-oai:cs", {"from": "2015-01-16", "token": "stale"}, now=NOW)
    with ReplayServer(route, clock=fake) as server:
        report = harvest(engine, server, fake, since=None)
    assert server.requests[1].params["from"] == "2015-01-16"
    assert not report.failed and report.added > 0 and "expired" in report.notes[0]


def test_connection_resets_and_timeouts_are_retried_then_reported(engine):
    fake = FakeClock()
    faults = ["reset", "slow"]

    def route(path, params):
        if faults:
            fault = faults.pop(0)
            return Reply(fault=fault, delay_s=3.0 if fault == "slow" else 0, body=CS_PAGE)
        return Reply(body=CS_PAGE)

    with ReplayServer(route, clock=fake) as server:
        report = harvest(engine, server, fake)
    assert not report.failed and report.added > 0 and len(server.requests) == 3

    with ReplayServer(lambda path, params: Reply(status=500), clock=fake) as server:
        report = harvest(engine, server, fake, client={"retries": 1})
    assert report.failed and "HTTP 500 (gave up after 2 attempts)" in str(report.failure)


def test_retry_after_accepts_seconds_and_http_dates():
    assert retry_after_seconds("120", now=NOW) == 120
    assert retry_after_seconds("Sat, 22 Aug 2026 12:00:30 GMT", now=NOW) == 30
    assert retry_after_seconds("soon", now=NOW) is None
    assert retry_after_seconds("999999", now=NOW) == 300


HF_DAY = (FIXTURES / "hf_daily_papers_api" / "2024-05-27.json").read_bytes()


def test_hf_listings_are_created_then_updated_not_duplicated(engine):
    items = json.loads(HF_DAY)
    fake = FakeClock()
    with ReplayServer(lambda path, params: Reply(body=json.dumps(items).encode()), clock=fake) as server:
        with client_for(fake, delay=0) as client:
            first = fetch_hf(engine, client, api_url=server.url + "/api", days=[date(2024, 5, 27)], clock=clock)
        assert server.requests[0].path == "/api/daily_papers"
        assert server.requests[0].params["date"] == "2024-05-27"
        assert first.added == len(items) and not first.failed
        items[0]["paper"]["upvotes"] += 10
        with client_for(fake, delay=0) as client:
            second = fetch_hf(engine, client, api_url=server.url + "/api", days=[date(2024, 5, 27)], clock=clock)
    assert (second.added, second.updated, second.unchanged) == (0, 1, len(items) - 1)
    with engine.connect() as connection:
        assert connection.execute(sa.select(sa.func.count()).select_from(listings)).scalar_one() == len(items)
        upvotes = connection.execute(sa.select(papers.c.upvotes).where(
            papers.c.id == items[0]["paper"]["id"])).scalar_one()
        assert upvotes == items[0]["paper"]["upvotes"]
        assert fetch_state.get_state(connection, "hf").cursor == {"done_through": "2024-05-27"}


def test_hf_bad_answers_are_reported_and_keep_the_good_items(engine):
    items = json.loads(HF_DAY)[:3]
    items[1]["paper"]["title"] = "x" * 1_000_000
    fake = FakeClock()
    with ReplayServer(lambda path, params: Reply(body=json.dumps(items).encode()), clock=fake) as server:
        with client_for(fake, delay=0) as client:
            report = fetch_hf(engine, client, api_url=server.url + "/api", days=[date(2024, 5, 27)], clock=clock)
    assert (report.added, report.rejected) == (2, 1) and "item 2: title" in str(report.problems[0])
    with ReplayServer(lambda path, params: Reply(body=b"<html>busy</html>"), clock=fake) as server:
        with client_for(fake, delay=0) as client:
            report = fetch_hf(engine, client, api_url=server.url + "/api", days=[date(2024, 5, 28)], clock=clock)
    assert report.failed and "not JSON" in str(report.failure)


def test_cli_fetch_and_status(tmp_path):
    items = HF_DAY

    def route(path, params):
        if path == "/api/daily_papers":
            return Reply(body=items)
        return Reply(body=CS_PAGE)

    with ReplayServer(route) as server:
        env = {"PAPERFEED_HF_API_URL": server.url + "/api", "PAPERFEED_ARXIV_OAI_URL": server.url + "/oai",
               "PAPERFEED_ARXIV_DELAY_S": "0", "PAPERFEED_SEMANTIC_SEARCH": "false"}
        result = run_cli("fetch", "hf", "--date", "2024-05-27", data_dir=tmp_path, check_rc=0, env=env)
        assert "added" in result.stderr
        result = run_cli("fetch", "arxiv", "--categories", "cs.LG", "--since", "2015-01-16", data_dir=tmp_path,
                         check_rc=0, env=env)
        assert "records outside the categories skipped" in result.stderr
        status = run_cli("fetch", "--status", data_dir=tmp_path, check_rc=0, env=env).stdout
    assert "arxiv-oai:cs" in status and "hf" in status and "ok" in status and "2024-05-27" in status
    bad = run_cli("fetch", "hf", "--date", "yesterday", data_dir=tmp_path, check_rc=2)
    assert "--date" in bad.stderr and "Traceback" not in bad.stderr


def test_auto_feature_rule_lists_matching_papers_once(engine):
    from paperfeed.ingest.fetch import AutoFeatureRule

    fake = FakeClock()
    rule = AutoFeatureRule(categories=frozenset({"stat.ML"}))
    with ReplayServer(lambda path, params: Reply(body=CS_PAGE), clock=fake) as server:
        with client_for(fake) as client:
            fetch_arxiv(engine, client, oai_url=server.url, categories=["cs.LG"], since=date(2015, 1, 16),
                        clock=clock, auto_feature=rule)
        with engine.connect() as connection:
            listed = dict(connection.execute(sa.select(listings.c.paper_id, listings.c.listed_on)).all())
            in_category = connection.execute(sa.select(papers.c.id, papers.c.categories)).all()
        assert listed and set(listed) == {pid for pid, cats in in_category if "stat.ML" in cats}
        assert set(listed.values()) == {NOW.date()}
        later = datetime(2026, 8, 25, 12, tzinfo=UTC)
        with client_for(fake) as client:  # fetched again days later: the listings stay on their day
            fetch_arxiv(engine, client, oai_url=server.url, categories=["cs.LG"], since=date(2015, 1, 16),
                        clock=lambda: later, auto_feature=rule)
    with engine.connect() as connection:
        assert dict(connection.execute(sa.select(listings.c.paper_id, listings.c.listed_on)).all()) == listed


def test_a_new_version_updates_the_paper_and_keeps_its_history(engine, tmp_path):
    from tests.conftest import make_client

    v1 = RAW_PAGE.replace(b'<resumptionToken cursor="0" completeListSize="58011">726959|1001</resumptionToken>', b"")
    v2 = v1.replace(b'<version version="v1"><date>Tue, 3 Apr 2007 22:04:11 GMT</date><size>294kb</size></version>',
                          b'<version version="v1"><date>Tue, 3 Apr 2007 22:04:11 GMT</date><size>294kb</size></version>'
                          b'<version version="v2"><date>Mon, 2 Jul 2007 10:00:00 GMT</date><size>300kb</size></version>', 1)
    v2 = v2.replace(b"<title>Density dependence of the symmetry energy", b"<title>Revised: density dependence of the symmetry energy", 1)
    fake = FakeClock()
    for body in (v1, v2):
        with ReplayServer(lambda path, params, body=body: Reply(body=body), clock=fake) as server:
            harvest(engine, server, fake, categories=["nucl-ex"])
    page = make_client(engine, tmp_path).get("/papers/0704.0471").text
    assert "Revised: density dependence" in page and "updated to v2" in page
    assert "Earlier versions of the title and abstract (1)" in page


def test_a_server_repeating_its_token_does_not_loop_forever(engine):
    fake = FakeClock()
    with ReplayServer(lambda path, params: Reply(body=RAW_PAGE), clock=fake) as server:
        report = harvest(engine, server, fake, categories=["nucl-ex"])
    assert report.failed and len(server.requests) == 2 and "instead of looping" in str(report.failure)


def test_a_fetch_killed_with_sigkill_resumes_from_its_stored_token(tmp_path):
    import os
    import subprocess
    import sys
    import threading
    import time

    from paperfeed.db.engine import create_engine

    released = threading.Event()
    NO_TOKEN = RAW_PAGE.replace(b'<resumptionToken cursor="0" completeListSize="58011">726959|1001</resumptionToken>', b"")

    def route(path, params):
        if params.get("resumptionToken") == TOKEN:
            if not released.is_set():
                released.wait(30)  # hold the answer: the process is killed while it waits
                return Reply(fault="reset")
            return Reply(body=NO_TOKEN.replace(b"<id>0704.0471</id>", b"<id>0704.0999</id>"))
        if params.get("set") == "cs":
            return Reply(body=CS_PAGE)
        return Reply(body=RAW_PAGE)

    env = {**os.environ, "PAPERFEED_DATA_DIR": str(tmp_path), "PAPERFEED_ARXIV_DELAY_S": "0",
           "PAPERFEED_SEMANTIC_SEARCH": "false"}
    command = [sys.executable, "-m", "paperfeed.cli", "fetch", "arxiv", "--categories", "cs.LG,nucl-ex",
               "--since", "2014-10-01"]
    with ReplayServer(route) as server:
        env["PAPERFEED_ARXIV_OAI_URL"] = server.url + "/oai"
        process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 60
        while not any(r.params.get("resumptionToken") for r in server.requests) and time.monotonic() < deadline:
            time.sleep(0.05)
        process.kill()  # SIGKILL, mid-request
        process.wait()
        released.set()
        engine = create_engine(f"sqlite:///{tmp_path / 'paperfeed.db'}")
        with engine.connect() as connection:
            assert fetch_state.get_state(connection, "arxiv-oai:physics:nucl-ex").cursor["token"] == TOKEN
            before = connection.execute(sa.select(papers.c.id)).scalars().all()
        assert "0704.0471" in before and "0704.0999" not in before

        resumed = subprocess.run(command[:-2], env=env, capture_output=True, text=True, timeout=120)
        assert resumed.returncode == 0, resumed.stderr
        assert [r.params for r in server.requests][-1] == {"verb": "ListRecords", "resumptionToken": TOKEN}
    with engine.connect() as connection:
        ids = connection.execute(sa.select(papers.c.id)).scalars().all()
        assert len(ids) == len(set(ids)) and "0704.0999" in ids and set(before) <= set(ids)
        assert "token" not in fetch_state.get_state(connection, "arxiv-oai:physics:nucl-ex").cursor


RSS = FIXTURES / "arxiv-rss"


def test_latest_announcement_from_the_listing_feed(engine):
    body = (RSS / "rss2_rss.arxiv.org-rss-cs.LG+cs.AI+cs.CL+stat.ML_2026-09-24_TRIMMED-4-items.xml").read_bytes()
    fake = FakeClock()
    with ReplayServer(lambda path, params: Reply(body=body), clock=fake) as server:
        with client_for(fake) as client:
            report = fetch_latest(engine, client, server)
            again = fetch_latest(engine, client, server)
    assert server.requests[0].path == "/rss/cs.LG+cs.AI+cs.CL+stat.ML"
    assert report.added == 4 and not report.failed and (again.added, again.updated) == (0, 0)
    with engine.connect() as connection:
        assert fetch_state.get_state(connection, "arxiv-rss:cs.AI+cs.CL+cs.LG+stat.ML").cursor == {"last_day": "2026-09-24"}
        assert connection.execute(sa.select(sa.func.count()).select_from(listings)).scalar_one() == 0  # curated


def fetch_latest(engine, client, server):
    from paperfeed.ingest.fetch import fetch_arxiv_latest

    return fetch_arxiv_latest(engine, client, rss_url=server.url, categories=["cs.LG", "cs.AI", "cs.CL", "stat.ML"],
                              clock=clock)


def test_a_cut_off_listing_feed_keeps_the_entries_before_the_break(engine):
    body = (RSS / "atom_rss.arxiv.org-atom-cs.AI_2025-08-20_87-entries_CUT-OFF-not-well-formed.xml").read_bytes()
    fake = FakeClock()
    with ReplayServer(lambda path, params: Reply(body=body), clock=fake) as server:
        with client_for(fake) as client:
            report = fetch_latest(engine, client, server)
    assert report.failed and report.added > 50 and "the feed breaks after 86 entries" in str(report.failure)


def test_final_and_transient_http_statuses():
    from paperfeed.errors import FetchError

    fake = FakeClock()
    answers = {"/gone": [Reply(status=404)], "/busy": [Reply(status=429, headers={"Retry-After": "9"}), Reply(body=b"ok")]}
    with ReplayServer(lambda path, params: answers[path].pop(0), clock=fake) as server:
        with client_for(fake, delay=0) as client:
            with pytest.raises(FetchError) as error:
                client.get(server.url + "/gone")
            assert error.value.status == 404 and len(server.requests) == 1  # not retried
            assert client.get(server.url + "/busy").body == b"ok" and 9.0 in fake.slept


def test_wrong_encodings_are_reported_not_stored_garbled(engine):
    fake = FakeClock()
    item = json.loads(HF_DAY)[0]
    item["paper"]["title"] = item["title"] = "Café-scale attention"
    latin1 = json.dumps([item], ensure_ascii=False).encode("latin-1")  # served as if it were UTF-8
    with ReplayServer(lambda path, params: Reply(body=latin1), clock=fake) as server:
        with client_for(fake, delay=0) as client:
            report = fetch_hf(engine, client, api_url=server.url + "/api", days=[date(2024, 5, 27)], clock=clock)
    assert report.failed and "not JSON" in str(report.failure) and paper_count(engine) == 0

    broken = CS_PAGE.replace(b"Reproducing Kernel Banach", "Reproducing Kernel Bänach".encode("latin-1"), 1)
    with ReplayServer(lambda path, params: Reply(body=broken), clock=fake) as server:
        report = harvest(engine, server, fake)
    assert report.failed and "the XML breaks after 0 records" in str(report.failure)


def test_truncated_bodies_are_retried_then_reported(engine):
    fake = FakeClock()
    faults = ["truncate"]

    def route(path, params):
        return Reply(body=CS_PAGE, fault=faults.pop(0) if faults else None)

    with ReplayServer(route, clock=fake) as server:
        report = harvest(engine, server, fake)
    assert not report.failed and report.added > 0 and len(server.requests) == 2  # the cut answer was asked again
    with ReplayServer(lambda path, params: Reply(body=CS_PAGE, fault="truncate"), clock=fake) as server:
        report = harvest(engine, server, fake, client={"retries": 1})
    assert report.failed and "RemoteProtocolError" in str(report.failure)


def cli_env(server) -> dict:
    return {"PAPERFEED_HF_API_URL": server.url + "/api", "PAPERFEED_ARXIV_OAI_URL": server.url + "/oai",
            "PAPERFEED_ARXIV_RSS_URL": server.url, "PAPERFEED_ARXIV_DELAY_S": "0", "PAPERFEED_SEMANTIC_SEARCH": "false"}


def test_cli_fetch_of_an_archive_keeps_all_of_its_categories(tmp_path):
    rss = (RSS / "rss2_rss.arxiv.org-rss-cs.LG+cs.AI+cs.CL+stat.ML_2026-09-24_TRIMMED-4-items.xml").read_bytes()
    with ReplayServer(lambda path, params: Reply(body=rss if path.startswith("/rss/") else CS_PAGE)) as server:
        result = run_cli("fetch", "arxiv", "--categories", "cs", "--since", "2015-01-16", data_dir=tmp_path,
                         check_rc=0, env=cli_env(server))
        assert server.requests[0].params["set"] == "cs"
        said = one_line(result.stderr)
        assert "46 added, 0 updated, 0 unchanged, 0 rejected" in said  # every record of the cs set
        assert "0 records outside the categories skipped" in said
        # An archive's whole set (physics: the archive, not the physics group); a category and an
        # archive in one list; names in any case are arXiv's.
        server.requests.clear()
        run_cli("fetch", "arxiv", "--categories", "Physics,hep-th,CS.cl", "--since", "2015-01-16", data_dir=tmp_path,
                check_rc=0, env=cli_env(server))
        assert [r.params["set"] for r in server.requests] == ["cs", "physics:hep-th", "physics:physics"]
        latest = run_cli("fetch", "arxiv", "--latest", "--categories", "cs,stat", data_dir=tmp_path, check_rc=0,
                         env=cli_env(server))
        assert server.requests[-1].path == "/rss/cs+stat"
        assert "4 added" in latest.stderr
    engine = create_engine(f"sqlite:///{tmp_path / 'paperfeed.db'}")
    with engine.connect() as connection:
        assert connection.execute(sa.select(sa.func.count()).select_from(papers)).scalar_one() == 50


def test_cli_fetch_refuses_an_unknown_category_with_the_valid_ones(tmp_path):
    with ReplayServer(lambda path, params: Reply(body=CS_PAGE)) as server:
        wrong = run_cli("fetch", "arxiv", "--categories", "cs.CL,cs.XY", data_dir=tmp_path / "data", check_rc=2,
                        env=cli_env(server))
        said = one_line(wrong.stderr.replace("│", " "))
        assert "Invalid value for --categories: 'cs.XY' is not an arXiv category; cs has cs.AI, cs.AR," in said
        assert "cs.SY (or cs for all of them)" in said
        unknown = one_line(run_cli("fetch", "arxiv", "--categories", "biology", data_dir=tmp_path / "data",
                                   check_rc=2, env=cli_env(server)).stderr.replace("│", " "))
        assert "'biology' is neither an arXiv archive nor a category" in unknown
        assert "q-bio: q-bio.BM q-bio.CB" in unknown and " hep-th " in unknown
        setting = run_cli("fetch", "arxiv", data_dir=tmp_path / "data", check_rc=1,
                          env={**cli_env(server), "PAPERFEED_FETCH_CATEGORIES": "cs.CL,nlp"}).stderr
        assert "error: PAPERFEED_FETCH_CATEGORIES: 'nlp' is neither an arXiv archive nor a category" in setting
        assert server.requests == [] and not (tmp_path / "data").exists()  # refused before anything was asked or made


def test_cli_failed_hf_fetch_says_what_failed(tmp_path):
    with ReplayServer(lambda path, params: Reply(status=503, headers={"Retry-After": "0"})) as server:
        result = run_cli("fetch", "hf", "--date", "2024-05-27", data_dir=tmp_path, check_rc=1, env=cli_env(server))
        url = f"{server.url}/api/daily_papers?date=2024-05-27&limit=100&p=0"
    said = one_line(result.stderr)
    assert f"failed: {url}: HTTP 503 (gave up after 5 attempts); nothing was stored" in said
    assert "the fetch stopped early; run it again" in said
    for misleading in ("nothing to change", "already holds", "rejected", "outside the categories"):
        assert misleading not in said


def test_cli_fetch_status_is_one_readable_block_per_source_at_80_columns(tmp_path):
    items = HF_DAY

    def route(path, params):
        if path == "/api/daily_papers":
            return Reply(body=items) if params["date"] == "2024-05-27" else Reply(status=404)
        return Reply(body=CS_PAGE)

    with ReplayServer(route) as server:
        env = cli_env(server)
        run_cli("fetch", "arxiv", "--categories", "cs.LG", "--since", "2015-01-16", data_dir=tmp_path, check_rc=0, env=env)
        run_cli("fetch", "hf", "--date", "2024-05-28", data_dir=tmp_path, check_rc=1, env=env)
        status = run_cli("fetch", "--status", data_dir=tmp_path, check_rc=0, env={**env, "COLUMNS": "80"}).stdout
    lines = status.splitlines()
    assert max(len(line) for line in lines) <= 80
    blocks = status.split("\n\n")
    assert [block.splitlines()[0] for block in blocks] == ["arxiv-oai:cs", "hf"]
    hf_block = blocks[1].splitlines()
    assert hf_block[1:5] == ["  last run  " + hf_block[1][12:], "  outcome   failed", "  counts    requests 1",
                             "  cursor    none yet"]
    message = "".join(line[12:] for line in hf_block[5:])  # the message, wrapped under itself
    assert hf_block[5].startswith("  message   failed: ")
    url = f"{server.url}/api/daily_papers?date=2024-05-28&limit=100&p=0"
    assert message.replace(" ", "") == f"failed: {url}: HTTP 404; nothing was stored".replace(" ", "")
