"""The relevance floor (issue 24): a query with nothing related in the archive gets no
confident-looking list, in the terminal, the JSON, the API and the page alike."""
from __future__ import annotations

import pytest
from starlette.testclient import TestClient

from conftest import run, run_json
from search.confidence import (FLOOR, NAME_EVIDENCE, NAMES_HELD, WORDS_EVIDENCE, WORDS_HELD, confidence, confident,
                               evidence)
from search.serving.server import create_app

NOTHING_RELATED = "zzqqxx"  # no word of it in the archive, no meaning the model knows


def test_confidence_is_one_half_at_the_floor_and_rises_with_the_cosine():
    assert confidence(FLOOR) == pytest.approx(0.5)
    assert confidence(FLOOR - 0.05) < 0.2 < 0.8 < confidence(FLOOR + 0.05)
    assert confident(FLOOR) and not confident(FLOOR - 1e-6)


@pytest.mark.parametrize("mode", ["hybrid", "semantic"])
def test_every_json_hit_carries_its_confidence(runner, seeds_index, mode):
    hits = run_json(runner, "search", "Lukashenko asks Putin for support", "--mode", mode, "--index", seeds_index)
    assert hits
    for hit in hits:
        assert 0 <= hit["confidence"] <= 1
        assert hit["confident"] == (hit["confidence"] >= 0.5)
    assert hits[0]["confident"]


def test_a_query_with_nothing_related_says_there_is_no_good_match(runner, seeds_index):
    result = run(runner, "search", NOTHING_RELATED, "--index", seeds_index)
    assert (result.exit_code, result.stdout) == (0, "")
    assert result.stderr.startswith("No good match: nothing in the archive is close enough")
    assert "weak matches under the relevance floor not shown; --weak shows them" in result.stderr
    hits = run_json(runner, "search", NOTHING_RELATED, "--index", seeds_index)
    assert hits and not any(hit["confident"] for hit in hits)  # the JSON keeps every hit, flagged

    weak = run(runner, "search", NOTHING_RELATED, "--weak", "--index", seeds_index)
    lines = weak.stdout.splitlines()
    assert lines[0] == "Weak matches (under the relevance floor):"
    assert sum(line.startswith("    id: ") for line in lines) == len({hit["group"] for hit in hits})


def test_results_come_before_the_weak_matches(runner, seeds_index):
    hits = run_json(runner, "search", "six hours of talks at a Black Sea resort on stalled integration", "--no-group", "--index", seeds_index)
    strong = [hit for hit in hits if hit["confident"]]
    weak = [hit for hit in hits if not hit["confident"]]
    assert strong and weak
    lines = run(runner, "search", "six hours of talks at a Black Sea resort on stalled integration", "--no-group", "--weak",
                "--index", seeds_index).stdout.splitlines()
    header = lines.index("Weak matches (under the relevance floor):")
    ids = [line.removeprefix("    id: ") for line in lines if line.startswith("    id: ")]
    assert len(ids) == len(hits)
    assert sum(line.startswith("    id: ") for line in lines[:header]) == len(strong)


def test_keyword_mode_shows_every_document_that_holds_the_words(runner, seeds_index):
    # no vector leg in keyword mode (it stays as fast as BM25): no confidence, and no floor
    [hit] = run_json(runner, "search", "paratroopers", "--mode", "keyword", "--index", seeds_index)
    assert hit["confident"] is True and hit["confidence"] is None
    assert run(runner, "search", "paratroopers", "--mode", "keyword", "--index", seeds_index).stdout


def test_the_api_and_the_page_agree_with_the_terminal(seeds_index):
    client = TestClient(create_app(seeds_index))
    hits = client.get("/api/search", params={"q": NOTHING_RELATED}).json()
    assert hits and all(not hit["confident"] and 0 <= hit["confidence"] < 0.5 for hit in hits)
    page = client.get("/", params={"q": NOTHING_RELATED}).text
    assert "No good match: nothing in the archive is close enough" in page
    assert "Weak matches (" in page and '<ol class="results">' not in page

    page = client.get("/", params={"q": "Lukashenko asks Putin for support"}).text
    assert '<ol class="results">' in page and "No good match" not in page


def test_holding_the_querys_names_counts_as_evidence():
    assert evidence(0.80, None) == evidence(0.80, 0.0) == evidence(0.80, NAMES_HELD - 0.01) == 0.80
    assert evidence(0.80, NAMES_HELD) == pytest.approx(0.80 + NAME_EVIDENCE)
    assert confident(FLOOR - NAME_EVIDENCE, 1.0) and not confident(FLOOR - NAME_EVIDENCE - 1e-6, 1.0)
    assert confidence(FLOOR - NAME_EVIDENCE, 1.0) == pytest.approx(0.5)


def test_the_name_evidence_is_the_same_for_a_hit_and_for_the_count_of_hits(seeds_index, monkeypatch):
    # Only seed 004 names Peskov. With the floor set just above its cosine, it is confident only
    # by the names it holds, and the count of hits (--sort date, --facets) counts it likewise.
    import search.confidence
    import search.engine
    from search.engine import find
    from search.reader import IndexReader
    from search.semantic import one_document_evidence, passage_scores

    query = "Kremlin spokesman Dmitry Peskov said no press conference was planned"
    reader = IndexReader(seeds_index)
    hits = find(reader, query, k=10, group=False).hits
    peskov = next(hit for hit in hits if hit.path.endswith("004_111cb5bf34ac05bb.txt"))
    # its evidence: the cosine with only the language direction out (search.semantic.evidence)
    vector = reader.query_vector(query)
    cosine = one_document_evidence(reader, vector, passage_scores(reader, vector), reader.position(peskov.id))
    floor = cosine + NAME_EVIDENCE / 2
    monkeypatch.setattr(search.confidence, "FLOOR", floor)
    monkeypatch.setattr(search.engine, "FLOOR", floor)
    results = find(reader, query, k=10, facets=True)
    again = {hit.id: hit for hit in results.hits}
    assert again[peskov.id].confident and cosine < floor
    assert len(results.hits) == len(reader.docs)  # k covers the archive: every document is ranked
    assert results.total == sum(hit.confident for hit in results.hits)
    assert any(not hit.confident for hit in results.hits)  # the floor does bite


def test_a_hit_in_the_querys_language_that_lacks_its_words_counts_lower():
    assert evidence(0.83, None, None) == evidence(0.83, None, WORDS_HELD) == evidence(0.83, None, 1.0) == 0.83
    assert evidence(0.83, None, 0.0) == pytest.approx(0.83 - WORDS_EVIDENCE * WORDS_HELD)
    assert evidence(0.83, None, WORDS_HELD / 2) == pytest.approx(0.83 - WORDS_EVIDENCE * WORDS_HELD / 2)
    assert evidence(0.83, 1.0, 0.0) == pytest.approx(0.83 + NAME_EVIDENCE - WORDS_EVIDENCE * WORDS_HELD)
    assert not confident(FLOOR, None, 0.0) and confident(FLOOR, None, WORDS_HELD)


def test_the_word_evidence_is_the_same_for_a_hit_and_for_the_count_of_hits(seeds_index, monkeypatch):
    # Seed 003, the one English article, holds none of this English query's words but "Belarus",
    # which every seed holds (its idf is 0): it holds none of their weight. With the floor set
    # just under its cosine, by the cosine alone it is confident; lacking the query's words it is
    # not, and the count of hits agrees.
    import search.confidence
    import search.engine
    from search.engine import find, gather_legs, words_held
    from search.reader import IndexReader
    from search.semantic import one_document_evidence, passage_scores

    query = "Belarus wheat harvest exports and grain prices"
    reader = IndexReader(seeds_index)
    hits = find(reader, query, k=10, group=False).hits
    english = next(hit for hit in hits if hit.path.endswith("003_f79bf9490dbe2041.txt"))
    assert english.lang == "en" and all(hit.lang == "id" for hit in hits if hit is not english)
    legs = gather_legs(reader, query, 50)
    held = words_held(reader, legs, [hit.id for hit in hits])
    assert set(held) == {english.id} and held[english.id] < WORDS_HELD  # only the query's language is compared
    vector = reader.query_vector(query)
    cosine = one_document_evidence(reader, vector, passage_scores(reader, vector), reader.position(english.id))
    floor = cosine - WORDS_EVIDENCE * (WORDS_HELD - held[english.id]) / 2
    monkeypatch.setattr(search.confidence, "FLOOR", floor)
    monkeypatch.setattr(search.engine, "FLOOR", floor)
    results = find(reader, query, k=10, facets=True)
    again = {hit.id: hit for hit in results.hits}
    assert not again[english.id].confident and cosine > floor
    assert len(results.hits) == len(reader.docs)
    assert results.total == sum(hit.confident for hit in results.hits)
    assert any(hit.confident for hit in results.hits)  # the Indonesian seeds above the floor stay


def test_a_date_sorted_hit_past_the_candidates_keeps_its_names_evidence(seeds_index, monkeypatch):
    # --sort date lists every document above the floor, also those past the legs' candidates;
    # one above it only by the names it holds is a confident hit there too, as it is counted.
    import search.confidence
    import search.engine
    from search.engine import Sort, find
    from search.reader import IndexReader
    from search.semantic import one_document_evidence, passage_scores

    query = "Kremlin spokesman Dmitry Peskov said no press conference was planned"
    reader = IndexReader(seeds_index)
    peskov = next(hit for hit in find(reader, query, k=10, group=False).hits
                  if hit.path.endswith("004_111cb5bf34ac05bb.txt"))
    vector = reader.query_vector(query)
    cosine = one_document_evidence(reader, vector, passage_scores(reader, vector), reader.position(peskov.id))
    floor = cosine + NAME_EVIDENCE / 2
    monkeypatch.setattr(search.confidence, "FLOOR", floor)
    monkeypatch.setattr(search.engine, "FLOOR", floor)
    monkeypatch.setattr(search.engine, "candidates", lambda k: 0)  # every document is past the candidates
    results = find(reader, query, k=10, sort=Sort.date, group=False)
    dated = {hit.id: hit for hit in results.hits}
    assert peskov.id in dated and dated[peskov.id].confident
    assert all(hit.confident for hit in results.hits)  # a date-sorted page lists only hits above the floor
    assert all(hit.lead_match is not None for hit in results.hits)  # kept from their scoring, as a candidate's
