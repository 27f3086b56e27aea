"""Issue 16, item 5: counts that agree. A card and the paper page say how many comments this site's
discussion holds ("N comments", the number "Discussion (N)" shows), and apart, where the imported
record has one, how many Hugging Face counted ("M on Hugging Face", a link to the paper there):
Hugging Face's count is never shown as ours. On SQLite and PostgreSQL."""

import re

import pytest

from paperfeed.ingest.files import ingest_files
from paperfeed.members.accounts import create_user
from tests.conftest import make_client, write_jsonl
from tests.integration.test_members import PASSWORD, csrf_of, sign_in

DAY = "2026-08-21"
DISCUSSED = "2608.00001"  # 3 comments on Hugging Face; members comment here too
HF_ONLY = "2608.00002"  # 1 comment on Hugging Face, none here
ELSEWHERE = "local:notes-1"  # a count from a record that is not on Hugging Face
PAPERS = [
    {"id": DISCUSSED, "title": "Speculative decoding with recycled draft tokens", "date": DAY, "listed": True,
     "upvotes": 30, "num_comments": 3},
    {"id": HF_ONLY, "title": "Coral reefs from space", "date": DAY, "listed": True, "upvotes": 20, "num_comments": 1},
    {"id": ELSEWHERE, "title": "Lab notes", "date": DAY, "listed": True, "upvotes": 10, "num_comments": 4},
]


@pytest.fixture
def site(engine, tmp_path):
    ingest_files(engine, [write_jsonl(tmp_path / "p.jsonl", PAPERS)])
    for name in ("alice", "bob"):
        create_user(engine, name, PASSWORD)
    return make_client(engine, tmp_path, semantic_search=False)


def comment(client, paper_id, body):
    token = csrf_of(client.get(f"/papers/{paper_id}").text)
    answer = client.post(f"/papers/{paper_id}/comments", data={"body": body, "csrf": token}, follow_redirects=False)
    assert answer.status_code == 303, answer.text


def card_meta(html: str, paper_id: str) -> str:
    """The text and links of one card's meta line on a listing page."""
    card = re.search(rf'<article class="card">(?:(?!</article>).)*?href="/papers/{re.escape(paper_id)}".*?</article>',
                     html, re.S).group(0)
    return re.search(r'<div class="card-meta">(.*?)(?:<details class="save-control|<a class="save-link)', card, re.S).group(1)


def paper_facts(html: str) -> str:
    return re.search(r'<div class="paper-facts">(.*?)</div>\s*<nav', html, re.S).group(1)


def discussion_count(html: str) -> int:
    return int(re.search(r"<h2>Discussion \((\d+)\)</h2>", html).group(1))


def test_ours_and_hugging_faces_are_shown_apart_and_agree(site):
    sign_in(site)
    comment(site, DISCUSSED, "First!")
    comment(site, DISCUSSED, "Second thought.")
    day = site.get(f"/papers/date/{DAY}").text
    page = site.get(f"/papers/{DISCUSSED}").text
    hf_link = f'<a class="hf-comment-count" href="https://huggingface.co/papers/{DISCUSSED}" rel="noopener">'
    for shown in (card_meta(day, DISCUSSED), paper_facts(page)):
        assert f'<a class="comment-count" href="/papers/{DISCUSSED}#comments">2 comments</a>' in shown
        assert hf_link + "3 on Hugging Face</a>" in shown
        assert "5 comments" not in shown
    assert discussion_count(page) == 2


def test_a_paper_discussed_only_on_hugging_face(site):
    day = site.get(f"/papers/date/{DAY}").text
    page = site.get(f"/papers/{HF_ONLY}").text
    for shown in (card_meta(day, HF_ONLY), paper_facts(page)):
        assert 'class="comment-count"' not in shown
        assert (f'<a class="hf-comment-count" href="https://huggingface.co/papers/{HF_ONLY}" rel="noopener">'
                "1 comment on Hugging Face</a>") in shown
    assert discussion_count(page) == 0


def test_one_comment_here_and_its_deletion(site):
    sign_in(site)
    comment(site, HF_ONLY, "Nice reefs.")
    page = site.get(f"/papers/{HF_ONLY}").text
    assert ">1 comment</a>" in paper_facts(page) and discussion_count(page) == 1
    assert ">1 comment</a>" in card_meta(site.get(f"/papers/date/{DAY}").text, HF_ONLY)
    comment_id = re.search(r'id="comment-(\d+)"', page).group(1)
    delete = site.post(f"/comments/{comment_id}/delete", data={"csrf": csrf_of(page)}, follow_redirects=False)
    assert delete.status_code == 303
    page = site.get(f"/papers/{HF_ONLY}").text
    assert 'class="comment-count"' not in paper_facts(page) and discussion_count(page) == 0
    assert "1 comment on Hugging Face" in paper_facts(page)


def test_a_count_from_elsewhere_is_neither_ours_nor_hugging_faces(site):
    day = site.get(f"/papers/date/{DAY}").text
    shown = card_meta(day, ELSEWHERE) + paper_facts(site.get(f"/papers/{ELSEWHERE}").text)
    assert "comment" not in shown and "Hugging Face" not in shown


def test_the_api_counts_both_as_hugging_face_does(site):
    sign_in(site)
    comment(site, DISCUSSED, "One here.")
    paper = site.get(f"/api/papers/{DISCUSSED}").json()
    assert paper["numComments"] == 4  # Hugging Face's field: every comment on the paper, as upvotes counts both
    markdown = site.get(f"/papers/{DISCUSSED}.md").text
    assert "**Comments:** 1" in markdown and "**Comments on Hugging Face:** 3" in markdown
