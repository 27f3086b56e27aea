from paperfeed.search.highlighting import highlight, query_stems
from paperfeed.search.query import parse_search_query


def test_highlights_follow_stems_and_skip_function_words():
    segments = highlight("Decoding for the drafts", query_stems(("decode", "for", "draft")))
    assert [s["text"] for s in segments if s["type"] == "highlight"] == ["Decoding", "drafts"]
    assert "".join(s["text"] for s in segments) == "Decoding for the drafts"


def test_query_words_and_phrases():
    query = parse_search_query('"Speculative  Decoding" AND title:drafts OR NEAR(')
    assert query.phrases == (("speculative", "decoding"),)
    assert query.words == ("and", "title", "drafts", "or", "near", "speculative", "decoding")
