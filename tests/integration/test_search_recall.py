"""Issue 14, quality: a researcher recalling a paper types several of its words; the paper that
holds all of them comes before one that BM25 ranks higher for holding the two rarest more often (the re-ranking by
coverage, fusion.coverage_rerank, chosen in bench/search_levers.py)."""

from paperfeed.ingest.files import ingest_files
from paperfeed.search.indexer import update_indexes
from tests.conftest import write_jsonl

FILLER = [{"id": f"2402.1{n:04d}", "title": f"Robot grasping in clutter, part {n}",
           "abstract": "A robot arm learns grasping of rigid parts from camera images in a warehouse.",
           "date": "2024-02-01", "categories": ["cs.RO"]} for n in range(6)]
REMEMBERED = {"id": "2402.20001", "title": "Learning to handle soft things",
              "abstract": "A robot adjusts its grasping of deformable objects with tactile feedback from the tactile "
                          "sensors on its fingers, in trials with cloth, dough and sponges.",
              "date": "2024-02-02", "categories": ["cs.RO"]}
RARE_WORDS_ONLY = {"id": "2402.20002", "title": "Skins that feel",
                   "abstract": "Tactile arrays on deformable membranes measure pressure across a soft skin: tactile maps.",
                   "date": "2024-02-03", "categories": ["physics.app-ph"]}


def test_the_paper_holding_every_remembered_word_comes_first(client, engine, tmp_path):
    ingest_files(engine, [write_jsonl(tmp_path / "papers.jsonl", [*FILLER, REMEMBERED, RARE_WORDS_ONLY])])
    update_indexes(engine, tmp_path)
    items = client.get("/api/papers/search", params={"q": "tactile robot grasping deformable"}).json()
    ids = [item["paper"]["id"] for item in items]
    assert ids[:2] == ["2402.20001", "2402.20002"]
    page = client.get("/search", params={"q": "tactile robot grasping deformable"}).text
    assert page.index("Learning to handle soft things") < page.index("Skins that feel")
