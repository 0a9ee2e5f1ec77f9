import pytest

from search.fusion import (Part, Weights, centred_names, language_groups, min_max_convex, reciprocal_rank_fusion,
                           same_language_share, standardized, standardized_fusion)


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


def test_min_max_convex_exact_order_and_scores():
    keyword = [("a", 10.0), ("b", 5.0), ("c", 0.0)]
    semantic = [("b", 0.9), ("d", 0.8), ("a", 0.7)]
    # min-max: BM25 a 1, b 0.5, c 0; cosine b 1, d 0.5, a 0; a missing document gets 0.
    fused = min_max_convex(keyword, semantic, 0.3)
    assert [doc for doc, _ in fused] == ["b", "d", "a", "c"]
    assert dict(fused) == pytest.approx({"b": 0.3 * 0.5 + 0.7, "d": 0.7 * 0.5, "a": 0.3, "c": 0.0})
    assert min_max_convex([], [("x", 0.5)], 0.3) == [("x", pytest.approx(0.7))]


def test_standardized_uses_the_mean_and_spread_of_the_groups_top():
    scores = {"a": 4.0, "b": 2.0, "c": 0.0, "d": -2.0}
    # top 2 = (4, 2): mean 3, population spread 1.
    assert standardized(scores, dict.fromkeys(scores, True), top=2) == {"a": 1.0, "b": -1.0, "c": -3.0, "d": -5.0}
    # Two groups, each against its own top 2: (4, 2) and (0, -2).
    group = {"a": True, "b": True, "c": False, "d": False}
    assert standardized(scores, group, top=2) == {"a": 1.0, "b": -1.0, "c": 1.0, "d": -1.0}
    # Equal top scores (BM25 0 everywhere): spread 1, every score 0 above the mean.
    assert standardized({"a": 0.0, "b": 0.0}, {"a": True, "b": True}) == {"a": 0.0, "b": 0.0}
    # A document without a score counts as 0.
    assert standardized({"a": 2.0}, {"a": True, "b": True}, top=2) == {"a": 1.0, "b": -1.0}


def test_language_groups():
    docs = ["en1", "en2", "id1", "id2", "id3"]
    langs = {doc: doc[:2] for doc in docs}
    assert language_groups(docs, langs, "en", min_size=2) == {"en1": True, "en2": True, "id1": False,
                                                              "id2": False, "id3": False}
    # A group under min_size would set its own scale from too few documents: one group then.
    assert language_groups(docs, langs, "en", min_size=3) == dict.fromkeys(docs, True)
    # The query's language unclear, or every document in one language: one group.
    assert language_groups(docs, langs, None, min_size=2) == dict.fromkeys(docs, True)
    assert language_groups(["id1", "id2"], langs, "en", min_size=2) == {"id1": False, "id2": False}


COSINE = {"en1": 0.95, "en2": 0.93, "id1": 0.86, "id2": 0.82}
BM25 = {"en1": 2.0, "en2": 6.0, "id1": 3.0, "id2": 0.0}
LEAD = {"en1": 1.0, "en2": 0.0, "id1": 0.5, "id2": 1.0}
LANGS = {doc: doc[:2] for doc in COSINE}
# Issue 13's fusion: each leg standardized within the language groups, one BM25 weight
WEIGHTS = Weights(keyword_same=0.5, keyword_same_low=0.5, keyword_cross=0.25, keyword_unknown=0.1, lead=2.0,
                  semantic_by_language=True, keyword_by_language=True)


def test_standardized_fusion_exact_scores_and_parts():
    fused = standardized_fusion(COSINE, BM25, LANGS, "en", LEAD, WEIGHTS, top=2, min_group=2)
    # Per group (top 2 each): cosine en (0.95, 0.93) -> en1 +1, en2 -1; id (0.86, 0.82) -> id1 +1,
    # id2 -1. BM25 en (6, 2) -> en1 -1, en2 +1; id (3, 0) -> id1 +1, id2 -1. English documents
    # get BM25 x 0.5; Indonesian ones BM25 x 0.25 and the lead match x 2.
    assert [item.doc for item in fused] == ["id1", "id2", "en1", "en2"]
    assert {item.doc: item.score for item in fused} == pytest.approx(
        {"id1": 1 + 0.25 + 2 * 0.5, "id2": -1 - 0.25 + 2 * 1.0, "en1": 1 - 0.5, "en2": -1 + 0.5})
    parts = {item.doc: [(p.name, p.weight, p.value) for p in item.parts] for item in fused}
    assert parts == {
        "en1": [("semantic", 1.0, pytest.approx(1.0)), ("keyword", 0.5, -1.0)],
        "en2": [("semantic", 1.0, pytest.approx(-1.0)), ("keyword", 0.5, 1.0)],
        "id1": [("semantic", 1.0, pytest.approx(1.0)), ("keyword", 0.25, 1.0), ("lead", 2.0, 0.5)],
        "id2": [("semantic", 1.0, pytest.approx(-1.0)), ("keyword", 0.25, -1.0), ("lead", 2.0, 1.0)],
    }
    for item in fused:
        assert item.score == sum(part.weight * part.value for part in item.parts)


def test_each_language_group_is_measured_on_its_own():
    # An English query over a mixed archive: English documents score higher cosines overall.
    # Measured within its group, the best Indonesian document ranks beside the best English one.
    nothing = Weights(0.0, 0.0, 0.0, 0.0, 0.0, semantic_by_language=True, keyword_by_language=True)
    fused = standardized_fusion(COSINE, BM25, LANGS, "en", LEAD, nothing, top=2, min_group=2)
    assert [item.doc for item in fused] == ["en1", "id1", "en2", "id2"]  # the tie keeps cosine's order
    assert all(item.parts == (Part("semantic", item.parts[0].value),) for item in fused)
    # Groups under min_group: one group, the cosine order.
    fused = standardized_fusion(COSINE, BM25, LANGS, "en", LEAD, nothing, top=2, min_group=3)
    assert [item.doc for item in fused] == ["en1", "en2", "id1", "id2"]


def test_unknown_query_language_is_one_group_with_the_unknown_weight_and_the_lead_for_all():
    fused = standardized_fusion(COSINE, BM25, LANGS, None, LEAD, WEIGHTS, top=2, min_group=2)
    # One group: cosine top 2 (0.95, 0.93) -> en1 +1, en2 -1, id1 -8, id2 -12; BM25 top 2 (6, 3)
    # -> en1 -5/3, en2 +1, id1 -1, id2 -3; BM25 x 0.1 and the lead x 2 for every document.
    assert [item.doc for item in fused] == ["en1", "en2", "id1", "id2"]
    assert {item.doc: item.score for item in fused} == pytest.approx(
        {"en1": 1 - 0.1 * 5 / 3 + 2.0, "en2": -1 + 0.1, "id1": -8 - 0.1 + 1.0, "id2": -12 - 0.3 + 2.0})


def test_a_zero_weight_leaves_its_part_out_and_no_candidates_fuse_to_nothing():
    fused = standardized_fusion(COSINE, BM25, LANGS, "en", None, Weights(keyword_same=0.5, keyword_same_low=0.5, keyword_cross=0.0, keyword_unknown=0.0, lead=2.0), top=2, min_group=2)
    assert {item.doc: [p.name for p in item.parts] for item in fused} == {
        "en1": ["semantic", "keyword"], "en2": ["semantic", "keyword"], "id1": ["semantic"], "id2": ["semantic"]}
    assert standardized_fusion({}, {}, {}, None) == []


def test_one_group_lifts_no_document_for_its_language():
    # The shipped fusion: the (language-balanced) cosines compared over all candidates, so the
    # best Indonesian document does not rise beside the best English one for being Indonesian.
    nothing = Weights(0.0, 0.0, 0.0, 0.0, 0.0)
    fused = standardized_fusion(COSINE, BM25, LANGS, "en", LEAD, nothing, top=2, min_group=2)
    assert [item.doc for item in fused] == ["en1", "en2", "id1", "id2"]


def test_bm25_counts_as_much_as_the_vector_legs_best_candidates_are_in_the_querys_language():
    weights = Weights(keyword_same=0.6, keyword_same_low=0.1, keyword_cross=0.0, keyword_unknown=0.0, lead=0.0)
    assert same_language_share(COSINE, LANGS, "en", top=4) == 0.5
    assert same_language_share(COSINE, LANGS, "en", top=2) == 1.0
    assert same_language_share(COSINE, LANGS, "id", top=2) == 0.0
    assert same_language_share(COSINE, LANGS, None) == 1.0
    assert weights.keyword_for_same(0.5) == pytest.approx(0.35)
    fused = standardized_fusion(COSINE, BM25, LANGS, "en", LEAD, weights, top=2, min_group=2)
    english = [p.weight for item in fused if item.doc.startswith("en") for p in item.parts if p.name == "keyword"]
    assert english == [0.35, 0.35]  # 2 of the 4 candidates are English (SHARE_TOP is 20)
    assert all(p.name == "semantic" for item in fused if item.doc.startswith("id") for p in item.parts)


def test_the_name_match_counts_where_the_lead_match_does_less_its_mean_over_the_best_candidates():
    # Documents not in the query's language get w_names × their name match less its mean over
    # the candidates (here all four: 0.5); documents in it do not (their BM25 holds the names
    # already); with the query's language unclear, every document.
    names = {"en1": 0.0, "en2": 1.0, "id1": 0.0, "id2": 1.0}
    weights = Weights(keyword_same=0.0, keyword_same_low=0.0, keyword_cross=0.0, keyword_unknown=0.0, lead=0.0,
                      names=1.5)
    fused = standardized_fusion(COSINE, BM25, LANGS, "en", LEAD, weights, top=2, min_group=2, names=names)
    parts = {item.doc: [(p.name, p.weight, p.value) for p in item.parts] for item in fused}
    assert parts["en2"] == [("semantic", 1.0, pytest.approx(-1.0))]
    assert parts["id2"] == [("semantic", 1.0, pytest.approx(-12.0)), ("names", 1.5, 0.5)]
    assert parts["id1"] == [("semantic", 1.0, pytest.approx(-8.0)), ("names", 1.5, -0.5)]
    unclear = standardized_fusion(COSINE, BM25, LANGS, None, LEAD, weights, top=2, min_group=2, names=names)
    assert {item.doc: item.score for item in unclear} == pytest.approx(
        {"en1": 1 - 0.75, "en2": -1 + 0.75, "id1": -8 - 0.75, "id2": -12 + 0.75})
    # Without name matches (keyword or semantic mode gathers none) the part is left out.
    assert all(p.name != "names" for item in standardized_fusion(COSINE, BM25, LANGS, "en", LEAD, weights, top=2,
                                                                 min_group=2) for p in item.parts)


def test_a_name_every_best_candidate_holds_lifts_none():
    # The mean is taken over the best candidates by cosine and by BM25 (top 2 each here: en1,
    # en2 by cosine; en2, id1 by BM25), so a name all of them hold adds nothing to them, and a
    # candidate outside both that lacks it falls below.
    assert centred_names({"en1": 1.0, "en2": 1.0, "id1": 1.0}, COSINE, BM25, top=2) == {
        "en1": 0.0, "en2": 0.0, "id1": 0.0, "id2": -1.0}
    assert centred_names({"id2": 1.0}, COSINE, BM25, top=2) == {"en1": 0.0, "en2": 0.0, "id1": 0.0, "id2": 1.0}
    assert centred_names({}, {}, {}) == {}
