"""Hybrid (keyword + vector) search and similar papers with the packaged embedding model."""

import json

import numpy as np
import pytest

from paperfeed.errors import ConfigError
from paperfeed.ingest.files import ingest_files
from paperfeed.search.embedder import Embedder
from paperfeed.search.embedding_models import MINILM, load_embedder
from paperfeed.search.indexer import IndexState, index_directory, update_indexes
from tests.conftest import write_jsonl

PAPERS = [
    {"id": "2401.10001", "title": "Recycling rejected draft tokens to speed up speculative decoding",
     "abstract": "Speculative decoding drafts tokens with a small model and verifies them with a large one. "
                 "We reuse the tokens the verifier rejects as candidates for later positions.",
     "date": "2024-01-10", "categories": ["cs.CL"], "upvotes": 5},
    {"id": "2401.10002", "title": "Faster inference for large language models with draft models",
     "abstract": "A small draft network proposes continuations that the large language model checks in parallel.",
     "date": "2024-01-11", "categories": ["cs.CL"], "upvotes": 3},
    {"id": "2401.10003", "title": "Protein structure prediction with geometric deep learning",
     "abstract": "We predict three-dimensional protein folds from amino acid sequences.",
     "date": "2024-01-12", "categories": ["q-bio.BM"], "upvotes": 1},
    {"id": "2401.10004", "title": "Coral reef monitoring from satellite images",
     "abstract": "Remote sensing of reef health with convolutional networks.",
     "date": "2024-01-12", "categories": ["cs.CV"], "upvotes": 1},
]


@pytest.fixture(scope="module")
def embedder() -> Embedder:
    return load_embedder()


@pytest.fixture
def hybrid(client, engine, tmp_path, embedder):
    ingest_files(engine, [write_jsonl(tmp_path / "papers.jsonl", PAPERS)])
    report = update_indexes(engine, tmp_path, embedder=embedder)
    assert (report.embedded, report.vectors) == (4, 4)
    return client


def test_search_by_meaning_finds_papers_without_the_words(hybrid):
    # No query word is in any paper; the vectors know "orbital cameras" ~ "satellite images". (Queries
    # as short as the papers here reach lower cosines than real abstracts do: this one clears the
    # relevance floor, and so does the query for a real paper, bench/relevance_floor.py.)
    items = hybrid.get("/api/papers/search", params={"q": "orbital cameras watching ocean ecosystems"}).json()
    assert [i["paper"]["id"] for i in items] == ["2401.10004"]
    page = hybrid.get("/search", params={"q": "orbital cameras watching ocean ecosystems"}).text
    assert "Semantic search is unavailable" not in page


def test_similar_papers_exclude_the_paper_itself(hybrid):
    html = hybrid.get("/papers/2401.10001").text
    similar = html.split("Similar papers", 1)[1]
    assert "2401.10002" in similar and similar.index("2401.10002") < similar.index("2401.10003")
    assert 'href="/papers/2401.10001"' not in similar
    assert 'href="/search?like=2401.10001"' in similar


def test_more_like_this(hybrid):
    html = hybrid.get("/search", params={"like": "2401.10001"}).text
    assert "/papers/2401.10002" in html
    assert hybrid.get("/search", params={"like": "9999.99999"}).status_code == 404


def test_unchanged_papers_are_not_embedded_again(engine, tmp_path, embedder):
    ingest_files(engine, [write_jsonl(tmp_path / "a.jsonl", PAPERS[:2])])
    assert update_indexes(engine, tmp_path, embedder=embedder).embedded == 2
    ingest_files(engine, [write_jsonl(tmp_path / "b.jsonl", PAPERS[2:] + [{**PAPERS[0], "upvotes": 50}])])
    report = update_indexes(engine, tmp_path, embedder=embedder)
    assert (report.embedded, report.vectors) == (2, 4)  # only the new papers; an upvote is not new text


def test_precomputed_vectors_are_used_when_the_text_matches(engine, tmp_path, embedder):
    from paperfeed.search.documents import embedding_text, text_hash

    ingest_files(engine, [write_jsonl(tmp_path / "a.jsonl", PAPERS[:1])])
    text = embedding_text(PAPERS[0]["title"], PAPERS[0]["abstract"])
    vector = embedder.embed_documents([text])[0]
    report = update_indexes(engine, tmp_path, embedder=embedder, precomputed={("2401.10001", text_hash(text)): vector})
    assert (report.embedded, report.reused) == (0, 1)


def test_vectors_of_another_model_are_not_used(client, engine, tmp_path, embedder):
    ingest_files(engine, [write_jsonl(tmp_path / "papers.jsonl", PAPERS)])
    update_indexes(engine, tmp_path, embedder=embedder)
    state_file = index_directory(tmp_path) / "state.json"
    state = json.loads(state_file.read_text())
    state_file.write_text(json.dumps({**state, "vector_model": "another-model"}))
    meta_file = index_directory(tmp_path) / "vectors" / "meta.json"
    meta_file.write_text(json.dumps({**json.loads(meta_file.read_text()), "model": "another-model"}))
    page = client.get("/search", params={"q": "speculative decoding"}).text
    assert "Semantic search is unavailable" in page and "another model" in page
    assert "2401.10001" in page  # keyword results still come
    report = update_indexes(engine, tmp_path, embedder=embedder)
    assert report.embedded == 4 and IndexState.read(index_directory(tmp_path)).vector_model == MINILM.name


def test_a_model_file_with_the_wrong_checksum_is_refused(tmp_path):
    from dataclasses import replace

    with pytest.raises(ConfigError, match="SHA-256"):
        Embedder(replace(MINILM, sha256="0" * 64))


def test_a_local_model_directory_can_replace_the_packaged_one(tmp_path, embedder):
    import shutil
    from pathlib import Path

    from paperfeed.search.embedder import package_directory

    shutil.copy(package_directory(MINILM) / "model.onnx", tmp_path / "model.onnx")
    shutil.copy(Path(MINILM.tokenizer_file), tmp_path / "tokenizer.json")
    local = load_embedder(directory=tmp_path)
    assert local.identity.name.startswith("local:")
    assert np.allclose(local.embed_query("draft tokens"), embedder.embed_query("draft tokens"), atol=1e-6)


def test_a_large_backlog_is_left_to_paperfeed_index(client, engine, tmp_path, embedder):
    ingest_files(engine, [write_jsonl(tmp_path / "papers.jsonl", PAPERS)])
    report = update_indexes(engine, tmp_path, embedder=embedder, max_embeddings=2)
    assert (report.embedded, report.vector_backlog, report.total) == (0, 4, 4)
    page = client.get("/search", params={"q": "speculative decoding"}).text
    assert "Semantic search is unavailable" in page and "2401.10001" in page
    assert update_indexes(engine, tmp_path, embedder=embedder).embedded == 4
