import pytest

from paperfeed.search.fusion import reciprocal_rank_fusion


def test_rrf_follows_the_formula():
    fused = dict(reciprocal_rank_fusion([["a", "b", "c"], ["b", "d"]], k=60))
    assert fused["b"] == pytest.approx(1 / 62 + 1 / 61)
    assert fused["a"] == pytest.approx(1 / 61)
    assert fused["d"] == pytest.approx(1 / 62)


def test_documents_found_by_both_lists_rise_and_weights_count():
    assert [i for i, _ in reciprocal_rank_fusion([["a", "b"], ["b", "c"]])][0] == "b"
    weighted = reciprocal_rank_fusion([["a"], ["c"]], weights=[1.0, 2.0])
    assert [i for i, _ in weighted] == ["c", "a"]


def test_empty_lists_fuse_to_nothing():
    assert reciprocal_rank_fusion([[], []]) == []



def test_min_max_fusion_follows_the_formula():
    from paperfeed.search.fusion import min_max_fusion

    fused = dict(min_max_fusion([[("a", 10.0), ("b", 5.0), ("c", 0.0)], [("b", 0.9), ("d", 0.5)]], weights=(0.6, 0.4)))
    assert fused["a"] == pytest.approx(0.6)
    assert fused["b"] == pytest.approx(0.6 * 0.5 + 0.4)
    assert fused["c"] == pytest.approx(0.0) and fused["d"] == pytest.approx(0.0)
    assert min_max_fusion([[("x", 3.0)], []], weights=(0.6, 0.4)) == [("x", 0.6)]
