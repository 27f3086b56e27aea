"""Issue 16, item 2: TeX math in titles, abstracts and comments is MathML on the pages (built on the
server, no script), stays as typed where it does not parse, never becomes markup, keeps search
highlights, and feeds and emails carry the text as typed. On SQLite and PostgreSQL."""

import re
from datetime import UTC, datetime
from email import message_from_bytes, policy

import feedparser
import pytest

from paperfeed.config import Settings
from paperfeed.db import subscriptions as subscriptions_repo
from paperfeed.db.engine import write_transaction
from paperfeed.digest.deliver import send_digests
from paperfeed.digest.subscriptions import Preferences, subscribe
from paperfeed.ingest.files import ingest_files
from paperfeed.members.accounts import create_user
from paperfeed.search.indexer import update_indexes
from tests.conftest import make_client, write_jsonl
from tests.integration.test_members import PASSWORD, csrf_of, sign_in

LISTED_ON = "2026-08-21"  # a Friday: the daily digest of Monday the 24th holds it
PANGU = "2312.17276"
PANGU_TITLE = "PanGu-$π$: Enhancing Language Model Architectures via Nonlinearity Compensation"
BIG_O = "2608.00002"
PAPERS = [
    {"id": PANGU, "title": PANGU_TITLE, "date": LISTED_ON, "listed": True, "upvotes": 30,
     "authors": ["Yunhe Wang"], "categories": ["cs.CL"],
     "abstract": r"Attention costs $\mathcal{O}(n^2)$; with a learning rate of $10^{-3}$ PanGu-$\pi$ trains in a day.",
     "comments": r"Accepted at ICML; $\sim$10 pages, code at https://example.org/pangu"},
    {"id": BIG_O, "title": r"Linear attention in $\mathcal{O}(n)$ time", "date": LISTED_ON, "listed": True,
     "upvotes": 20, "authors": ["Ada Lovelace"], "categories": ["cs.LG"],
     "abstract": "It costs $5 and $10 to train, a price and not math; an unbalanced $x sign stays; "
                 r"\$OneMillion is a name; $\frac{a}{$ does not parse."},
    {"id": "2608.00003", "title": r"Hostile $\text{<script>alert(1)</script>}$ and $\href{javascript:alert(2)}{x}$",
     "date": LISTED_ON, "listed": True, "upvotes": 10, "authors": ["Mallory"], "categories": ["cs.CR"],
     "abstract": r"$\text{<img src=x onerror=alert(3)>}$ and <b>bold</b>"},
]
SECRET = "math-tests-secret"


@pytest.fixture
def site(engine, tmp_path):
    ingest_files(engine, [write_jsonl(tmp_path / "p.jsonl", PAPERS)])
    update_indexes(engine, tmp_path)
    create_user(engine, "alice", PASSWORD)
    return make_client(engine, tmp_path, semantic_search=False, base_url="http://testserver", secret_key=SECRET)


def _main(html: str) -> str:
    """The page's content, without the <head> (whose <title> keeps the text as typed)."""
    return html.split("<main", 1)[1]


def test_paper_page_shows_title_abstract_and_comments_as_mathml(site):
    answer = site.get(f"/papers/{PANGU}")
    assert answer.status_code == 200
    html = _main(answer.text)
    title = re.search(r'<h1 class="paper-title">(.*?)</h1>', html).group(1)
    assert title.startswith('PanGu-<math display="inline"><semantics><mrow><mi>π</mi></mrow>')
    assert title.endswith("</math>: Enhancing Language Model Architectures via Nonlinearity Compensation")
    abstract = re.search(r'<section class="abstract">(.*?)</section>', html, re.S).group(1)
    assert "<mi>𝒪</mi>" in abstract and "<msup><mi>n</mi><mn>2</mn></msup>" in abstract
    assert "<msup><mn>10</mn><mrow><mo>−</mo><mn>3</mn></mrow></msup>" in abstract
    assert "$" not in re.sub(r"<annotation.*?</annotation>", "", abstract)
    comments = re.search(r"<dt>Comments</dt><dd>(.*?)</dd>", html).group(1)
    assert comments.startswith("Accepted at ICML; <math") and "</math>10 pages" in comments
    # The browser's tab title is text: the title as typed.
    assert f"<title>{PANGU_TITLE} · " in answer.text
    assert "script-src 'self'" in answer.headers["content-security-policy"]  # no script added for math


def test_what_is_not_math_stays_as_typed(site):
    html = _main(site.get(f"/papers/{BIG_O}").text)
    abstract = re.search(r'<section class="abstract">(.*?)</section>', html, re.S).group(1)
    assert "<math" not in abstract
    assert ("It costs $5 and $10 to train, a price and not math; an unbalanced $x sign stays; "
            r"$OneMillion is a name; $\frac{a}{$ does not parse.") in abstract


def test_cards_render_math_in_titles(site):
    html = _main(site.get(f"/papers/date/{LISTED_ON}").text)
    card_titles = re.findall(r'<h2 class="card-title"><a href="/papers/[^"]+">(.*?)</a></h2>', html)
    assert len(card_titles) == 3
    assert any(title.startswith("PanGu-<math") for title in card_titles)
    assert any(title.startswith("Linear attention in <math") for title in card_titles)


def test_math_never_becomes_markup(site):
    html = _main(site.get("/papers/2608.00003").text)
    images = re.findall(r"<img\b[^>]*>", html)
    assert all(image.startswith('<img src="/covers/') for image in images)  # the paper's cover alone
    assert "<script>" not in html and 'href="javascript' not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html  # the text of \text{...}, shown as text
    assert "&lt;b&gt;bold&lt;/b&gt;" in html


def test_search_results_keep_highlights_around_math(site):
    html = _main(site.get("/search", params={"q": "linear attention"}).text)
    card = re.search(r'<h2 class="card-title"><a href="/papers/2608.00002">(.*?)</a></h2>', html).group(1)
    assert card.startswith("<mark>Linear</mark> <mark>attention</mark> in <math")
    summary = _main(site.get("/search", params={"q": "attention costs"}).text)
    assert re.search(r"<mark>Attention</mark> <mark>costs</mark> <math display=\"inline\">", summary)
    # A query word inside a formula marks the formula whole: the highlight never cuts it.
    pi = _main(site.get("/search", params={"q": "PanGu pi"}).text)
    title = re.search(rf'<a href="/papers/{PANGU}">(.*?)</a></h2>', pi).group(1)
    assert title.startswith("<mark>PanGu</mark>-<math")  # its π is no "pi"
    summary = re.search(rf'<a href="/papers/{PANGU}">.*?<p class="card-summary">(.*?)</p>', pi, re.S).group(1)
    assert "<mark>PanGu</mark>-<mark><math" in summary and "</math></mark> trains" in summary


def test_the_api_keeps_the_text_as_typed(site):
    paper = site.get(f"/api/papers/{PANGU}").json()
    assert paper["title"] == PANGU_TITLE and "<math" not in paper["summary"]


@pytest.mark.parametrize("fmt", ["atom", "rss"])
def test_feeds_carry_the_text_as_typed(site, fmt):
    answer = site.get(f"/feeds/daily.{fmt}")  # the latest day: LISTED_ON
    assert answer.status_code == 200 and "<math" not in answer.text and "&lt;math" not in answer.text
    feed = feedparser.parse(answer.content)
    titles = {entry.title for entry in feed.entries}
    assert PANGU_TITLE in titles and r"Linear attention in $\mathcal{O}(n)$ time" in titles


def test_digest_emails_carry_the_text_as_typed(site, engine, tmp_path):
    row, _ = subscribe(engine, "reader@example.org", Preferences(top_count=10))
    with write_transaction(engine) as connection:
        subscriptions_repo.update(connection, row.id, confirmed_at=datetime(2026, 8, 1, tzinfo=UTC))
    settings = Settings(data_dir=tmp_path, secret_key=SECRET, base_url="http://testserver")
    report = send_digests(engine, settings, vectors_of=lambda ids: {}, secret=SECRET, dry_run=tmp_path / "out",
                          clock=lambda: datetime(2026, 8, 24, 8, 0, tzinfo=UTC))
    assert report.counts["written"] == 1
    (path,) = (tmp_path / "out").glob("*.eml")
    message = message_from_bytes(path.read_bytes(), policy=policy.default)
    text, html = (message.get_body((kind,)).get_content() for kind in ("plain", "html"))
    assert "* PanGu-$π$: Enhancing Language Model Architectures via" in text
    assert r"Linear attention in $\mathcal{O}(n)$ time" in text
    assert "PanGu-$π$: Enhancing" in html and "<math" not in html


def test_member_comments_render_math_and_keep_markdown(site):
    sign_in(site)
    token = csrf_of(site.get(f"/papers/{PANGU}").text)
    body = r"The bound $a_1 * b_2$ is *tight*; costs $5 and $10; $\text{<img src=x onerror=alert(1)>}$"
    answer = site.post(f"/papers/{PANGU}/comments", data={"body": body, "csrf": token})
    assert answer.status_code == 200
    comment = re.search(r'<div class="comment-body">(.*?)</div>', answer.text, re.S).group(1)
    # Markdown did not read the formula's underscores and asterisk as emphasis.
    assert "<msub><mi>a</mi><mn>1</mn></msub><mo>*</mo><msub><mi>b</mi><mn>2</mn></msub>" in comment
    assert "<em>tight</em>" in comment and "costs $5 and $10;" in comment
    assert "<img" not in comment and "&lt;img" in comment
