"""The BM25 leg's common-terms shortcut, on the real seeds index."""
from __future__ import annotations

import pytest

from conftest import EN_SEED
from search import keyword
from search.reader import IndexReader


@pytest.fixture
def reader(seeds_index):
    return IndexReader(seeds_index)


def test_small_index_is_searched_exactly(reader):
    # "putin" is in every seed, "paratroopers" in 003 only; 5 documents is far below the
    # size where common terms are split off, so every seed matches.
    found = keyword.keyword_search(reader, {"text_exact": ["putin", "paratroopers"]}, 10)
    assert len(found) == 5 and found[0][0] == EN_SEED


def test_common_terms_only_score_documents_the_rare_terms_found(reader, monkeypatch):
    terms = {"text_exact": ["putin", "paratroopers"]}
    exact = dict(keyword.keyword_search(reader, terms, 10))
    monkeypatch.setattr(keyword, "MIN_COMMON_DOCS", 0)
    monkeypatch.setattr(keyword, "COMMON_FRACTION", 0.5)  # "putin" (5 of 5 seeds) is common
    found = keyword.keyword_search(reader, terms, 10)
    assert [doc for doc, _ in found] == [EN_SEED]
    assert found[0][1] == pytest.approx(exact[EN_SEED])  # the common term still counts for it


def test_a_query_of_common_terms_only_is_searched_whole(reader, monkeypatch):
    terms = {"text_exact": ["putin"]}
    exact = keyword.keyword_search(reader, terms, 10)
    monkeypatch.setattr(keyword, "MIN_COMMON_DOCS", 0)
    monkeypatch.setattr(keyword, "COMMON_FRACTION", 0.5)
    assert keyword.keyword_search(reader, terms, 10) == exact


def test_scores_of_given_documents_equal_the_search_scores(reader):
    terms = {"text_exact": ["putin", "sochi"], "text_en": ["paratroop"]}
    searched = dict(keyword.keyword_search(reader, terms, 10))
    ids = list(searched) + ["no-such-id"]
    scored = keyword.keyword_scores_of(reader, terms, ids)
    assert scored.pop("no-such-id") == 0.0
    assert scored == pytest.approx(searched)
