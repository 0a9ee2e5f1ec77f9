import pytest

from search.fusion import reciprocal_rank_fusion


def test_rrf_exact_order_and_scores():
    fused = reciprocal_rank_fusion([["a", "b", "c"], ["c", "a", "d"]], k=60)
    assert [doc for doc, _ in fused] == ["a", "c", "b", "d"]
    scores = dict(fused)
    assert scores["a"] == pytest.approx(1 / 61 + 1 / 62)
    assert scores["c"] == pytest.approx(1 / 63 + 1 / 61)
    assert scores["b"] == pytest.approx(1 / 62)
    assert scores["d"] == pytest.approx(1 / 63)


def test_rrf_missing_document_gets_nothing_from_that_list():
    fused = dict(reciprocal_rank_fusion([["a"], ["b", "a"]], k=1))
    assert fused == {"a": pytest.approx(1 / 2 + 1 / 3), "b": pytest.approx(1 / 2)}


def test_rrf_ties_keep_first_seen_order():
    assert [d for d, _ in reciprocal_rank_fusion([["x", "y"], ["y", "x"]])] == ["x", "y"]


def test_rrf_weights():
    fused = reciprocal_rank_fusion([["a", "b"], ["b", "a"]], k=0, weights=[1.0, 3.0])
    assert [d for d, _ in fused] == ["b", "a"]
    assert dict(fused)["b"] == pytest.approx(1 / 2 + 3 / 1)
    with pytest.raises(ValueError):
        reciprocal_rank_fusion([["a"]], weights=[1.0, 2.0])


def test_rrf_empty():
    assert reciprocal_rank_fusion([[], []]) == []
