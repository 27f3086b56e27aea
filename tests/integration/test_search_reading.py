"""Issue 25: search reads what researchers type. A person's name is never "corrected" and ranks
their papers first (alone or with topic words); formulas are found as people type them; a
mistyped word is read as the written word nearest it; a query in another language is told that
search reads English. Through the page, the API, the feed and the CLI, on SQLite and PostgreSQL."""

from __future__ import annotations

import feedparser
import pytest

from tests.conftest import result_ids, searchable
from tests.integration.test_cli import run_cli


def paper(number: int, title: str, abstract: str, authors: list[str], day: str = "2025-01-10") -> dict:
    return {"id": f"2501.{number:05d}", "title": title, "abstract": abstract, "authors": authors, "date": day}


# The words that the old spelling check turned the names into ("server levir", "yarn", "static",
# "tone", "kalm") are in the text of other papers, as they are in the sample.
PAPERS = [
    paper(1, "Conservative Q-learning for offline reinforcement learning",
          "Offline reinforcement learning from fixed datasets without overestimation.",
          ["Aviral Kumar", "Aurick Zhou", "George Tucker", "Sergey Levine"], "2024-03-01"),
    paper(2, "Robot manipulation from human videos", "Dexterous grasping learned from videos.",
          ["Sergey Levine", "Chelsea Finn"], "2025-02-01"),
    paper(3, "Offline reinforcement learning at scale", "Offline reinforcement learning with large models.",
          ["Jost Springenberg"], "2025-03-01"),
    paper(4, "Offline reinforcement learning for reasoning", "Offline reinforcement learning for LLM reasoning.",
          ["Huaijie Wang"], "2025-03-02"),
    paper(5, "A parameter server for training", "Server-side aggregation and the LEVIR dataset of buildings.",
          ["Changyue Liao"]),
    paper(6, "Extending context windows with yarn", "Rope scaling with yarn.", ["Bowen Peng"]),
    paper(7, "Learning world models", "Joint embedding predictive architectures.", ["Yann LeCun", "Randall Balestriero"]),
    paper(8, "Static quantization beats dynamic", "Static activations, static weights.", ["Mengzhao Chen"]),
    paper(9, "Compositional visual reasoning", "Programs written by language models.",
          ["Aleksandar Stanić", "Sergi Caelles"]),
    paper(10, "Voice models with a natural tone", "Tone and prosody of speech.", ["Yemin Shi"]),
    paper(11, "Photorealistic object insertion", "Inverse rendering with diffusion.", ["Ruofan Liang", "Xin Tong"]),
    paper(12, "KaLM embedding models", "Kalm is a family of embedders.", ["Xinping Zhao"]),
    paper(13, "Transformers without normalization", "Dynamic tanh replaces layer norm.",
          ["Jiachen Zhu", "Kaiming He", "Yann LeCun"], "2025-03-13"),
    paper(14, "Structural probing of vision models", "Graph probes of normalization layers.", ["Haoyu He"]),
    paper(15, "MVD$^2$: Efficient multiview 3D reconstruction for multiview diffusion",
          "Multiview images from diffusion, reconstructed.", ["Xin-Yang Zheng"]),
    paper(16, "PanGu-$\\pi$: enhancing language model architectures",
          "Nonlinearity compensation with $\\pi$-shaped blocks.", ["Yunhe Wang"]),
    paper(17, "TokSuite: the impact of tokenizer choice", "A tokenizer changes what a model learns.",
          ["Gul Altintas"]),
    paper(18, "Tokenization falling short", "The curse of tokenization; we tokenize words.", ["Yekun Chai"]),
    paper(19, "Token sparse attention", "Tokens, tokens and more tokens for long contexts.", ["Dongwon Jo"]),
    paper(20, "Mixture of experts at scale", "Sparse experts route tokens.", ["Noam Shazeer"]),
    paper(21, "Song generation from lyrics", "A song generator with lyrics and melody.", ["Shun Lei"]),
    paper(22, "Seed diffusion language model", "Discrete diffusion for code.", ["Yuxuan Song", "Hao Zhou"]),
    paper(23, "A reply on manipulation", "As Levine and Finn argued, videos help robots.", ["Jan Peters"],
          "2025-06-01"),  # newer than his papers, and says "Levine"
    paper(30, "DeepSeekMath: pushing the limits of mathematical reasoning",
          "We introduce group relative policy optimization (GRPO), a variant of PPO.", ["Zhihong Shao"],
          "2024-02-05"),
] + [paper(40 + n, f"Group relative policy optimization for task {n}",
           "We train with group relative policy optimization and group relative policy optimization again.",
           [f"Later Author{n}"], f"2025-0{n + 1}-01") for n in range(5)] + [
    paper(100 + n, f"Survey of methods number {n}", "We review language models and a song or two.",
           [f"Jiaxing Song{n}" if n < 3 else f"Someone Else{n}"]) for n in range(50)]


@pytest.fixture
def site(client, engine, tmp_path):
    return searchable(client, engine, tmp_path, PAPERS)


def cards(page: str) -> list[str]:
    return [card.split('"', 1)[0] for card in page.split('class="card-title"><a href="/papers/')[1:]]


def first_card(page: str) -> str:
    return cards(page)[0]


@pytest.mark.parametrize(("q", "theirs"), [
    ("Sergey Levine", {"2501.00001", "2501.00002"}),
    ("Levine, Sergey", {"2501.00001", "2501.00002"}),
    ("S. Levine", {"2501.00001", "2501.00002"}),
    ("sergey levine", {"2501.00001", "2501.00002"}),
    ("Levine", {"2501.00001", "2501.00002"}),
    ("Yann LeCun", {"2501.00007", "2501.00013"}),
    ("Kaiming He", {"2501.00013"}),
    ("Aleksandar Stanić", {"2501.00009"}),
    ("Aleksandar Stanic", {"2501.00009"}),
    ("Xin Tong", {"2501.00011"}),
])
def test_a_name_is_never_corrected_and_ranks_that_persons_papers_first(site, q, theirs):
    items = site.get("/api/papers/search", params={"q": q}).json()
    assert set(result_ids(items)[:len(theirs)]) == theirs
    page = site.get("/search", params={"q": q}).text
    assert "Showing results for" not in page
    assert first_card(page) in theirs and "is an author here" in page


def test_a_name_with_topic_words_ranks_their_papers_on_the_topic_first(site):
    items = site.get("/api/papers/search", params={"q": "Levine offline reinforcement learning"}).json()
    assert result_ids(items)[0] == "2501.00001"  # his offline RL paper, then the others on offline RL
    assert set(result_ids(items)[1:3]) == {"2501.00003", "2501.00004"}
    page = site.get("/search", params={"q": "offline reinforcement learning Sergey Levine"}).text
    assert first_card(page) == "2501.00001"
    assert "Papers by <a href=\"/authors/Sergey%20Levine\">Sergey Levine</a> on “offline reinforcement learning”" in page
    # A person with no paper on the topic: the topic's papers, and the page says so.
    page = site.get("/search", params={"q": "LeCun offline reinforcement learning"}).text
    assert "No paper of this author matches" in page and first_card(page) in {"2501.00001", "2501.00003", "2501.00004"}


def test_a_last_name_several_people_share_is_said_as_a_last_name(site, database_url, tmp_path):
    page = site.get("/search", params={"q": "He normalization"}).text  # Kaiming He's and Haoyu He's
    assert set(cards(page)[:2]) == {"2501.00013", "2501.00014"}
    assert "Papers by authors named He on “normalization” come first" in page
    page = site.get("/search", params={"q": "Levine offline reinforcement learning"}).text  # one Levine here
    assert "Papers by <a href=\"/authors/Sergey%20Levine\">Sergey Levine</a> on" in page
    done = run_cli("search", "He normalization", data_dir=tmp_path, database_url=database_url, check_rc=0)
    assert "papers by authors named He on 'normalization' first" in done.stdout + done.stderr


def test_a_surname_that_is_also_a_word_is_read_as_the_word_unless_capitalised(site):
    items = site.get("/api/papers/search", params={"q": "song generation"}).json()
    assert result_ids(items)[0] == "2501.00021"  # the song generator, not a paper by someone called Song
    items = site.get("/api/papers/search", params={"q": "Song diffusion"}).json()
    assert result_ids(items)[0] == "2501.00022"


def test_author_filter_with_a_last_name_or_a_full_name(site, database_url, tmp_path):
    for author in ("Levine", "Sergey Levine", "Levine, Sergey"):
        items = site.get("/api/papers/search", params={"q": "Levine", "author": author}).json()
        assert set(result_ids(items)) == {"2501.00001", "2501.00002"}
    page = site.get("/search", params={"q": "offline", "author": "Levine"}).text
    assert first_card(page) == "2501.00001" and page.count('class="card"') == 1
    done = run_cli("search", "Levine", "--author", "Levine", data_dir=tmp_path, database_url=database_url, check_rc=0)
    assert "Conservative Q-learning" in done.stdout and "Robot manipulation" in done.stdout
    assert "no papers match" not in done.stdout + done.stderr
    done = run_cli("search", "Sergey Levine", data_dir=tmp_path, database_url=database_url, check_rc=0)
    assert "papers by Sergey Levine first" in done.stdout + done.stderr
    assert "showing results for" not in done.stdout + done.stderr
    feed = feedparser.parse(site.get("/feeds/search.atom", params={"q": "Sergey Levine"}).content)
    assert {entry.link.rsplit("/", 1)[1] for entry in feed.entries[:2]} == {"2501.00001", "2501.00002"}
    feed = feedparser.parse(site.get("/feeds/search.atom", params={"author": "Levine"}).content)
    assert {entry.link.rsplit("/", 1)[1] for entry in feed.entries} == {"2501.00001", "2501.00002"}


@pytest.mark.parametrize("q", ["MVD2", "mvd²", "MVD$^2$", "MVD^2"])
def test_a_formula_is_found_as_people_type_it(site, q):
    assert result_ids(site.get("/api/papers/search", params={"q": q}).json())[0] == "2501.00015"


def test_greek_letters_by_name_or_by_letter(site, database_url, tmp_path):
    assert result_ids(site.get("/api/papers/search", params={"q": "PanGu-π"}).json())[0] == "2501.00016"
    assert result_ids(site.get("/api/papers/search", params={"q": "pangu pi"}).json())[0] == "2501.00016"
    page = site.get("/search", params={"q": "MVD2"}).text
    assert first_card(page) == "2501.00015" and "MVD$^2$" not in page.split("card-title", 1)[1][:400]  # shown as math
    done = run_cli("search", "MVD2", data_dir=tmp_path, database_url=database_url, check_rc=0)
    assert "2501.00015" in done.stdout


def test_a_typo_is_read_as_the_nearest_written_word(site, database_url, tmp_path):
    page = site.get("/search", params={"q": "tokenzier"}).text
    assert "Showing results for “tokenizer”: no paper has “tokenzier”." in page
    assert "2501.00017" in cards(page)[:3]  # keyword matches only here: "tokens" share the stem
    done = run_cli("search", "tokenzier", data_dir=tmp_path, database_url=database_url, check_rc=0)
    assert "showing results for 'tokenizer'" in done.stdout + done.stderr
    response = site.get("/api/papers/search", params={"q": "tokenzier"})
    assert response.headers["x-search-query"] == "tokenizer" and "2501.00017" in result_ids(response.json())[:3]


@pytest.mark.parametrize("q", ["levir", "yarn", "kalm", "Altintas", "Shazeer"])
def test_a_word_some_paper_holds_in_any_field_is_taken_as_typed(site, q):
    response = site.get("/api/papers/search", params={"q": q})
    assert "x-search-query" not in response.headers and response.json()


def test_the_paper_that_introduced_a_phrase_comes_first_for_it(site):
    """Five later papers hold "group relative policy optimization" in their titles, twice in their
    abstracts; DeepSeekMath, the oldest holder, introduced it. (Its rarest word, "relative", is in
    under a tenth of the papers: a phrase of common words would name nothing in particular.)"""
    assert result_ids(site.get("/api/papers/search", params={"q": "group relative policy optimization"}).json())[0] == (
        "2501.00030")
    assert result_ids(site.get("/api/papers/search", params={"q": '"group relative policy optimization"'}).json())[0] == (
        "2501.00030")
    # Other words beside the phrase: the query is not the name of one thing, and nothing is raised.
    assert result_ids(site.get("/api/papers/search", params={"q": '"group relative policy optimization" task'}).json()
               )[0] != "2501.00030"


@pytest.mark.parametrize("q", ["qwxzvbnm", "flurbo snargle", "zzkq vvbx", "poiuyt sdfkjh wert"])
def test_nonsense_finds_nothing(site, q):
    assert site.get("/api/papers/search", params={"q": q}).json() == []
    assert "No papers match" in site.get("/search", params={"q": q}).text


@pytest.mark.parametrize(("q", "language"), [("Mischung von Experten", "German"),
                                             ("décodage spéculatif pour les modèles de langue", "French"),
                                             ("大语言模型 推理", "Chinese")])
def test_a_query_in_another_language_is_told_search_reads_english(site, q, language, database_url, tmp_path):
    page = site.get("/search", params={"q": q}).text
    assert f"This query looks {language}. Search reads English" in page
    response = site.get("/api/papers/search", params={"q": q})
    assert "Search%20reads%20English" in response.headers["x-search-notice"]
    done = run_cli("search", q, data_dir=tmp_path, database_url=database_url, check_rc=0)
    assert "Search reads English" in done.stdout + done.stderr


@pytest.mark.parametrize("q", ["Mixture of experts", "Sergey Levine", "tokenzier", "MVD2"])
def test_english_queries_are_not_told_otherwise(site, q):
    assert "Search reads English" not in site.get("/search", params={"q": q}).text
