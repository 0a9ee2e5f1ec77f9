"""The vector leg's language offset (search.semantic.language_offset): the documents in the
query's language lowered by how much closer they sit to it than the other language's, at the
median of each, never raised; the relevance floor keeps the cosine."""
from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

from fakes import FakeEmbedder
from index.embedding.engine import VectorCache
from index.storage.builder import build_index
from search import engine
from search import reader as reader_module
from search.engine import Mode, gather_legs, hit_evidence, search
from search.reader import IndexReader
from search.semantic import document_scores, language_medians, language_offset, passage_scores

WORDS = {"id": "banjir hujan gempa harga beras pasar sekolah jalan kota desa sungai laut kapal".split(),
         "en": "flood rain quake price rice market school road city village river sea ship".split()}
QUERY = "banjir di kota yang terendam"  # read as Indonesian (its function words)


def test_the_offset_lowers_the_querys_own_language_and_never_raises_it():
    medians = {"id": 0.80, "en": 0.77}
    assert language_offset(medians, "id") == pytest.approx(0.03)
    assert language_offset(medians, "en") == 0.0  # its own language sits further: left as it is
    assert language_offset(medians, None) == 0.0  # a query whose language is unclear
    assert language_offset({"id": 0.80}, "id") == 0.0  # too few English documents to measure
    assert language_offset({}, "en") == 0.0  # an archive without a language balance


@pytest.fixture
def archive(tmp_path, monkeypatch) -> Path:
    """30 Indonesian and 25 English articles of one to four passages, tagged by their first word."""
    monkeypatch.setattr("index.storage.builder.detect_language", lambda text: text.split()[0])
    corpus, index_dir = tmp_path / "archive", tmp_path / "index"
    corpus.mkdir()
    rng = np.random.default_rng(5)
    for lang, count in (("id", 30), ("en", 25)):
        for n in range(count):
            passages = [" ".join(rng.choice(WORDS[lang], 60)) for _ in range(rng.integers(1, 5))]
            (corpus / f"{lang}-{n:02d}.txt").write_text(f"{lang} {n}\n\n" + ".\n\n".join(passages) + ".",
                                                        encoding="utf-8")
    embedder = FakeEmbedder()
    build_index([corpus], index_dir, embedder, cache=VectorCache(embedder, Path(os.environ["LINTAS_CACHE"]) / "offset.sqlite"))
    return index_dir


def reader_of(index_dir: Path) -> IndexReader:
    reader = IndexReader(index_dir)
    reader.__dict__["embedder"] = FakeEmbedder()  # the cached_property, overridden
    return reader


def test_the_medians_are_each_languages_median_document_over_every_nth_one(archive, monkeypatch):
    reader = reader_of(archive)
    assert reader.balance is not None and reader.language_counts == {"en": 25, "id": 30}
    scores = passage_scores(reader, reader.query_vector(QUERY))
    by_document = document_scores(reader, scores)
    positions = {lang: np.flatnonzero(reader.langs == lang) for lang in ("id", "en")}
    medians = language_medians(reader, scores)
    assert set(medians) == {"id", "en"}
    for lang, places in positions.items():
        assert medians[lang] == pytest.approx(float(np.median(by_document[places])), abs=1e-6)

    monkeypatch.setattr(reader_module, "OFFSET_SAMPLE", 7)  # every 5th Indonesian, every 4th English document
    reader = reader_of(archive)
    medians = language_medians(reader, scores)
    assert medians["id"] == pytest.approx(float(np.median(by_document[positions["id"][::5]])), abs=1e-6)
    assert medians["en"] == pytest.approx(float(np.median(by_document[positions["en"][::4]])), abs=1e-6)

    monkeypatch.setattr(reader_module, "OFFSET_MIN", 26)  # too few English documents: no English median
    assert set(language_medians(reader_of(archive), scores)) == {"id"}


@pytest.mark.parametrize("mode", [Mode.hybrid, Mode.semantic])
def test_the_vector_leg_ranks_by_the_lowered_cosine_and_the_floor_keeps_the_cosine(archive, monkeypatch, mode):
    def hits(offset: float) -> list[dict]:
        monkeypatch.setattr(engine, "language_offset", lambda medians, query_lang: offset if query_lang == "id" else 0.0)
        return [hit.to_json() for hit in search(reader_of(archive), QUERY, k=55, mode=mode)]

    reader = reader_of(archive)
    monkeypatch.setattr(engine, "language_offset", lambda medians, query_lang: 0.02)
    legs = gather_legs(reader, QUERY, 55, mode)
    assert legs.query_lang == "id" and legs.offset == 0.02
    for doc, cosine in legs.semantic:
        exact = float(legs.doc_scores[reader.position(doc)])
        assert cosine == pytest.approx(exact - 0.02 if legs.doc_lang[doc] == "id" else exact, abs=1e-6)
        assert legs.cosine[doc] == cosine
    assert [cosine for _, cosine in legs.semantic] == sorted((cosine for _, cosine in legs.semantic), reverse=True)
    evidence = {doc: hit_evidence(reader, legs, doc) for doc, _ in legs.semantic}

    plain, lowered = hits(0.0), hits(0.02)
    assert all(hit["language_offset"] == 0.0 for hit in plain)
    assert {hit["language_offset"] for hit in lowered} == {0.0, 0.02}
    assert all(hit["language_offset"] == (0.02 if hit["lang"] == "id" else 0.0) for hit in lowered)
    # what a hit's confidence says does not move with the offset: it is the cosine's
    confidence = {hit["id"]: hit["confidence"] for hit in plain}
    assert all(hit["confidence"] == confidence[hit["id"]] for hit in lowered)
    assert all(hit["confidence"] == round(engine.confidence(evidence[hit["id"]], legs.names.get(hit["id"])), 4)
               for hit in lowered if hit["id"] in evidence and mode == Mode.semantic)
    # an offset larger than any cosine's lead puts every English article first
    assert [hit["lang"] for hit in plain[:25]] != ["en"] * 25
    assert [hit["lang"] for hit in hits(2.0)[:25]] == ["en"] * 25


def test_explain_says_how_much_lower_a_cosine_was_put():
    from cli import _leg

    assert _leg(3, 0.7123, "cosine", 0.0281) == "#3 (cosine 0.712, 0.028 lower for being in the query's language)"
    assert _leg(3, 0.7123, "cosine", 0.0) == "#3 (cosine 0.712)"
    assert _leg(None, None, "cosine", 0.0281) == "-"


def test_more_like_this_lowers_the_articles_own_language_as_a_query_in_it(archive, monkeypatch):
    from search import similar as similar_module

    def hits(offset: float):
        monkeypatch.setattr(similar_module, "language_offset", lambda medians, lang: offset if lang == "id" else 0.0)
        return similar_module.similar(reader_of(archive), str(archive.parent / "archive" / "id-03.txt"), k=30).hits

    plain, lowered = hits(0.0), hits(2.0)
    assert [hit.lang for hit in plain[:25]] != ["en"] * 25
    assert [hit.lang for hit in lowered[:25]] == ["en"] * 25  # every English article before any Indonesian one
    assert all(hit.language_offset == (2.0 if hit.lang == "id" else 0.0) for hit in lowered)
    cosine = {hit.id: hit.semantic_score for hit in plain}
    assert all(hit.semantic_score == pytest.approx(cosine[hit.id] - hit.language_offset, abs=1e-5)
               for hit in lowered if hit.id in cosine)


def test_a_date_sorted_page_orders_equal_dates_past_the_candidates_by_the_lowered_cosine():
    """Past the ranked candidates, hits of one date follow the vector leg's own order: a document
    in the query's language after the offset, as it would rank among the candidates."""
    from types import SimpleNamespace

    reader = SimpleNamespace(langs=np.array(["id", "en", "id"]), dates=np.array(["", "", ""]),
                             doc_id=lambda position: f"d{position}")
    scores = np.array([0.80, 0.79, 0.70], dtype=np.float32)

    def by_date(offset: float) -> list[str]:
        legs = engine.Legs("id", {}, [], [], {}, {}, {}, {}, {}, [], None, scores, None, offset)
        return engine._by_date(reader, legs, [], np.ones(3, dtype=bool))

    assert by_date(0.0) == ["d0", "d1", "d2"]
    assert by_date(0.02) == ["d1", "d0", "d2"]  # the Indonesian d0, 0.78 after the offset, below the English d1

