"""Metric code against values computed by hand on a tiny run."""
import math

import pytest

from search.serving.metrics import all_found_at, dcg, mrr_at, ndcg_at, recall_at

RANKING = ["d3", "d1", "d7", "d2"]
RELEVANT = {"d1": 1, "d2": 1}


def test_dcg_by_hand():
    assert dcg([1, 0, 1]) == pytest.approx(1 / math.log2(2) + 1 / math.log2(4))  # 1 + 0.5


def test_ndcg_on_a_tiny_run():
    # Relevant at ranks 2 and 4: DCG = 1/log2(3) + 1/log2(5) = 0.63093 + 0.43068 = 1.06161;
    # ideal (ranks 1 and 2) = 1 + 0.63093 = 1.63093; nDCG = 0.65092.
    assert ndcg_at(RANKING, RELEVANT, 10) == pytest.approx(0.650921, abs=1e-6)
    # Cut at 3: only rank 2 counts; the ideal still holds two relevant documents.
    assert ndcg_at(RANKING, RELEVANT, 3) == pytest.approx(0.386853, abs=1e-6)
    assert ndcg_at(["d1", "d2"], RELEVANT, 10) == pytest.approx(1.0)
    assert ndcg_at(RANKING, {}, 10) == 0.0


def test_graded_ndcg_uses_the_grade_as_gain():
    # gains [1, 2] against ideal [2, 1]: (1 + 2/log2 3) / (2 + 1/log2 3) = 2.26186 / 2.63093
    assert ndcg_at(["a", "b"], {"a": 1, "b": 2}, 10) == pytest.approx(0.859719, abs=1e-6)


def test_mrr_on_a_tiny_run():
    assert mrr_at(RANKING, RELEVANT, 10) == 0.5
    assert mrr_at(RANKING, RELEVANT, 1) == 0.0
    assert mrr_at(RANKING, {"d2": 1}, 10) == 0.25


def test_recall_on_a_tiny_run():
    assert recall_at(RANKING, RELEVANT, 1) == 0.0
    assert recall_at(RANKING, RELEVANT, 2) == 0.5
    assert recall_at(RANKING, RELEVANT, 4) == 1.0
    assert recall_at(RANKING, RELEVANT, 100) == 1.0
    assert all_found_at(RANKING, RELEVANT, 4) and not all_found_at(RANKING, RELEVANT, 3)
