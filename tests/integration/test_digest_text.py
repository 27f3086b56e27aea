"""Issue 15, item 1: the digest as a reader opens it, on the bundled sample.

`paperfeed digest send --dry-run DIR --period daily --date 2026-08-20` (a Thursday), the message
read with the email package: its text part, the part many mail clients, screen readers and
archives show, has every paper on a line of its own and lines that fit 78 characters (RFC 5322
§2.1.1) but for links; it names the day whose papers it holds (Wednesday the 19th), and those are
the papers /papers/date/2026-08-19 lists. Sending for real with links to 127.0.0.1 is refused.
"""

import re
from datetime import UTC, datetime
from email import message_from_bytes, policy

import pytest

from paperfeed.db import subscriptions as subscriptions_repo
from paperfeed.db.engine import create_engine, write_transaction
from paperfeed.digest.subscriptions import Preferences, subscribe
from tests.conftest import make_client
from tests.integration.test_cli import run_cli
from tests.smtp_server import SmtpServer

_LINK_LINE = re.compile(r"\s*(?:[\w ()]+: )?https?://\S+")


@pytest.fixture(scope="module")
def sample(tmp_path_factory):
    """The sample as `paperfeed demo --load-only` loads it, with one confirmed daily subscriber."""
    data_dir = tmp_path_factory.mktemp("sample")
    run_cli("demo", "--load-only", data_dir=data_dir, check_rc=0)
    engine = create_engine(f"sqlite:///{data_dir / 'paperfeed.db'}")
    row, _ = subscribe(engine, "reader@example.org", Preferences(top_count=10, keywords="speculative decoding"))
    with write_transaction(engine) as connection:
        subscriptions_repo.update(connection, row.id, confirmed_at=datetime(2026, 8, 1, tzinfo=UTC))
    return data_dir, engine


def dry_run_message(data_dir, out, **env):
    done = run_cli("digest", "send", "--dry-run", str(out), "--period", "daily", "--date", "2026-08-20",
                   data_dir=data_dir, env=env, check_rc=0)
    assert "1 written" in done.stdout + done.stderr
    (path,) = out.glob("*.eml")
    return message_from_bytes(path.read_bytes(), policy=policy.default)


def test_the_text_part_reads_as_a_list_of_papers(sample, tmp_path):
    data_dir, engine = sample
    message = dry_run_message(data_dir, tmp_path / "out", PAPERFEED_BASE_URL="https://papers.example.org")
    text = message.get_body(("plain",)).get_content()
    lines = text.splitlines()
    too_long = [line for line in lines if len(line) > 78 and not _LINK_LINE.fullmatch(line)]
    assert too_long == []
    starts = [number for number, line in enumerate(lines) if line.startswith("* ")]
    assert len(starts) >= 10
    for number in starts:  # each paper on a line of its own, after a blank line
        assert lines[number - 1] == ""
    # In each paper: the title, then the byline on a line of its own, the summary, then the links.
    block = lines[starts[0]:starts[1] - 1]
    byline = next(line for line in block if re.match(r"  \d+ upvotes? · ", line))
    assert block.index(byline) >= 1 and block[-2].startswith("  https://papers.example.org/papers/")
    assert block[-1].startswith("  PDF: https://arxiv.org/pdf/")
    assert "upvotes  " not in text and "* " not in "".join(line[2:] for line in lines if line.startswith("  "))

    # It names the day whose papers it holds, and holds the papers that day's page lists.
    assert "Wednesday, 19 August 2026" in message["Subject"] and "Thursday" not in message["Subject"]
    assert lines[0] == "Daily papers: Wednesday, 19 August 2026"
    assert "https://papers.example.org/papers/date/2026-08-19" in text
    top = text.split("TOP PAPERS", 1)[1].split("PICKED FOR YOU", 1)[0]
    digest_ids = re.findall(r"https://papers\.example\.org/papers/(\d{4}\.\d{5})", top)
    listed = make_client(engine, data_dir).get("/api/daily_papers", params={"date": "2026-08-19", "limit": 100})
    day_ids = [item["paper"]["id"] for item in listed.json()]
    assert len(digest_ids) == 10 and set(digest_ids) <= set(day_ids)
    by_upvotes = sorted(listed.json(), key=lambda item: -item["paper"]["upvotes"])
    assert [item["paper"]["upvotes"] for item in by_upvotes[:10]] == [
        int(re.search(r"(\d+) upvotes?", line)[1]) for line in top.splitlines() if re.match(r"  \d+ upvotes? · ", line)]


def test_a_monday_digest_names_the_days_it_holds(sample, tmp_path):
    data_dir, _ = sample
    done = run_cli("digest", "send", "--dry-run", str(tmp_path / "out"), "--period", "daily", "--date", "2026-08-17",
                   data_dir=data_dir, env={"PAPERFEED_BASE_URL": "https://papers.example.org"}, check_rc=0)
    assert "1 written" in done.stdout + done.stderr
    (path,) = (tmp_path / "out").glob("*.eml")
    message = message_from_bytes(path.read_bytes(), policy=policy.default)
    assert message["Subject"].startswith("Daily papers, Friday 14 – Sunday 16 August 2026")


@pytest.mark.parametrize("base_url", ["", "http://localhost:8000", "http://127.0.0.1:9000", "http://[::1]:8000"])
def test_sending_links_to_this_machine_is_refused(sample, base_url):
    data_dir, _ = sample
    with SmtpServer() as mailbox:
        env = {key.upper(): str(value) for key, value in (("paperfeed_" + k, v) for k, v in mailbox.settings().items())}
        done = run_cli("digest", "send", "--period", "daily", "--date", "2026-08-20", data_dir=data_dir,
                       env={**env, "PAPERFEED_BASE_URL": base_url})
        assert done.returncode != 0 and mailbox.messages == []
    said = done.stdout + done.stderr
    assert "not sending the digests" in said and "PAPERFEED_BASE_URL" in said and "Traceback" not in said
