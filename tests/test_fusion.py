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


# language_weighted_fusion: score = cosine + w(query lang, doc lang) * bm25 / best bm25
from search.fusion import keyword_weight, language_weighted_fusion  # noqa: E402


def test_keyword_weight_by_language():
    assert keyword_weight("en", "en", same=0.3, cross=0.01, unknown=0.1) == 0.3
    assert keyword_weight("en", "id", same=0.3, cross=0.01, unknown=0.1) == 0.01
    assert keyword_weight(None, "id", same=0.3, cross=0.01, unknown=0.1) == 0.1


def test_language_weighted_fusion_exact_order_and_scores():
    bm25 = {"en1": 10.0, "id2": 5.0, "id1": 0.0, "id3": 0.0}
    cosine = {"id1": 0.90, "id2": 0.89, "en1": 0.80, "id3": 0.70}
    langs = {"id1": "id", "id2": "id", "en1": "en", "id3": "id"}
    fused = language_weighted_fusion(cosine, bm25, langs, "en", same=0.2, cross=0.04, unknown=0.1, top=0)
    # en1: 0.80 + 0.2 * 1.0 = 1.00; id2: 0.89 + 0.04 * 0.5 = 0.91; id1 0.90; id3 0.70
    assert [doc for doc, _ in fused] == ["en1", "id2", "id1", "id3"]
    assert dict(fused) == pytest.approx({"en1": 1.0, "id2": 0.91, "id1": 0.90, "id3": 0.70})


def test_cross_language_keyword_match_only_breaks_near_ties():
    cosine = {"id1": 0.90, "id2": 0.85}
    langs = {"id1": "id", "id2": "id"}
    bm25 = {"id1": 0.0, "id2": 7.0}
    fused = language_weighted_fusion(cosine, bm25, langs, "en", same=0.2, cross=0.04, unknown=0.1, top=0)
    assert [doc for doc, _ in fused] == ["id1", "id2"]  # 0.85 + 0.04 < 0.90
    fused = language_weighted_fusion(cosine, bm25, langs, "id", same=0.2, cross=0.04, unknown=0.1, top=0)
    assert [doc for doc, _ in fused] == ["id2", "id1"]  # same language: 0.85 + 0.2 > 0.90


def test_language_weighted_fusion_without_keyword_hits_is_the_vector_order():
    cosine = {"b": 0.5, "a": 0.7, "c": 0.5}
    assert language_weighted_fusion(cosine, {}, {}, "en", top=0) == [("a", 0.7), ("b", 0.5), ("c", 0.5)]
    assert language_weighted_fusion({}, {}, {}, None) == []


def test_unknown_query_language_uses_the_unknown_weight():
    fused = language_weighted_fusion({"a": 0.5, "b": 0.45}, {"a": 0.0, "b": 2.0}, {"a": "id", "b": "id"},
                                     None, same=0.2, cross=0.0, unknown=0.1, top=0)
    assert fused == [("b", pytest.approx(0.55)), ("a", 0.5)]


def test_each_language_group_is_measured_against_its_own_baseline():
    # An English query: English documents score higher cosines than Indonesian ones overall.
    cosine = {"en1": 0.95, "en2": 0.90, "en3": 0.88, "id1": 0.86, "id2": 0.78, "id3": 0.76}
    langs = {doc: doc[:2] for doc in cosine}
    fused = language_weighted_fusion(cosine, {}, langs, "en", same=0.0, cross=0.0, unknown=0.0, top=2)
    # baselines: en (0.95 + 0.90) / 2 = 0.925; id (0.86 + 0.78) / 2 = 0.82
    assert [doc for doc, _ in fused] == ["id1", "en1", "en2", "id2", "en3", "id3"]
    assert dict(fused) == pytest.approx({"id1": 0.04, "en1": 0.025, "en2": -0.025, "id2": -0.04,
                                         "id3": -0.06, "en3": -0.045})
    # With the query's language unknown there is one group: the cosine order stays.
    fused = language_weighted_fusion(cosine, {}, langs, None, same=0.0, cross=0.0, unknown=0.0, top=2)
    assert [doc for doc, _ in fused] == list(cosine)
    # A group smaller than top would be its own baseline: no baselines at all then.
    fused = language_weighted_fusion(cosine, {}, langs, "en", same=0.0, cross=0.0, unknown=0.0, top=4)
    assert fused == list(cosine.items())


def test_lead_match_counts_only_for_documents_outside_the_query_language():
    cosine = {"en1": 0.90, "id1": 0.897, "id2": 0.892}
    langs = {"en1": "en", "id1": "id", "id2": "id"}
    lead = {"en1": 1.0, "id1": 0.0, "id2": 1.0}

    def fuse(query_lang):
        return language_weighted_fusion(cosine, {}, langs, query_lang, same=0.0, cross=0.0, unknown=0.0,
                                        top=0, lead=lead, lead_weight=0.01)

    # An English query: id2 gets 0.892 + 0.01; en1, in the query's language, gets nothing.
    assert fuse("en") == [("id2", pytest.approx(0.902)), ("en1", 0.90), ("id1", 0.897)]
    # An Indonesian query: only en1 is across languages.
    assert fuse("id") == [("en1", pytest.approx(0.91)), ("id1", 0.897), ("id2", 0.892)]
    # The query's language unknown: every document may earn it.
    assert fuse(None) == [("en1", pytest.approx(0.91)), ("id2", pytest.approx(0.902)), ("id1", 0.897)]


def test_fusion_returns_each_score_as_its_named_parts():
    from search.fusion import Part, language_weighted_parts

    cosine = {"en1": 0.95, "en2": 0.90, "id1": 0.86, "id2": 0.78}
    langs = {doc: doc[:2] for doc in cosine}
    bm25 = {"en1": 4.0, "en2": 8.0, "id1": 2.0, "id2": 0.0}
    lead = {"en1": 1.0, "en2": 0.0, "id1": 0.5, "id2": 0.25}
    fused = language_weighted_parts(cosine, bm25, langs, "en", same=0.2, cross=0.0, unknown=0.1, top=2,
                                    lead=lead, lead_weight=0.01)
    # baselines: en (0.95 + 0.90) / 2 = 0.925; id (0.86 + 0.78) / 2 = 0.82. English documents get
    # BM25 / best BM25 with the same-language weight; Indonesian ones the lead match, no BM25 (cross 0).
    assert {item.doc: [(p.name, p.weight, p.value) for p in item.parts] for item in fused} == {
        "en1": [("semantic", 1.0, 0.95), ("baseline", -1.0, pytest.approx(0.925)), ("keyword", 0.2, 0.5)],
        "en2": [("semantic", 1.0, 0.90), ("baseline", -1.0, pytest.approx(0.925)), ("keyword", 0.2, 1.0)],
        "id1": [("semantic", 1.0, 0.86), ("baseline", -1.0, pytest.approx(0.82)), ("lead", 0.01, 0.5)],
        "id2": [("semantic", 1.0, 0.78), ("baseline", -1.0, pytest.approx(0.82)), ("lead", 0.01, 0.25)],
    }
    assert [(item.doc, item.score) for item in fused] == [
        ("en2", pytest.approx(0.175)), ("en1", pytest.approx(0.125)), ("id1", pytest.approx(0.045)),
        ("id2", pytest.approx(-0.0375))]
    for item in fused:
        assert item.score == sum(part.weight * part.value for part in item.parts)
    assert language_weighted_fusion(cosine, bm25, langs, "en", same=0.2, cross=0.0, unknown=0.1, top=2,
                                    lead=lead, lead_weight=0.01) == [(item.doc, item.score) for item in fused]
    # No baseline (top 0) and no lead given: only the terms that apply.
    [only] = language_weighted_parts({"a": 0.5}, {"a": 3.0}, {"a": "id"}, None, unknown=0.1, top=0)
    assert only.parts == (Part("semantic", 0.5), Part("keyword", 1.0, 0.1))
