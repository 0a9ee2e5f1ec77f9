"""The language balance (issue 24): the archive's language direction, stored with the index,
kept current on updates, taken out of the vector leg's cosine; and what an English question
finds in an archive of both languages."""
from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pytest

from conftest import run, run_json, seed_id
from fakes import FakeEmbedder
from index.storage import store
from index.storage import balance
from index.storage.balance import MIN_PASSAGES, language_direction, language_sums, record_sums
from index.storage.builder import build_index
from index.embedding.engine import VectorCache
from search.reader import IndexReader
from index.storage.codes import quantize
from search import semantic
from search.semantic import passage_scores


def sums(counts: dict[str, int], dim: int = 8, seed: int = 0) -> dict:
    rng = np.random.default_rng(seed)
    vectors = np.concatenate([rng.standard_normal((n, dim)) + (3 if lang == "id" else -3) * np.eye(dim)[0]
                              for lang, n in counts.items()])
    langs = np.concatenate([[lang] * n for lang, n in counts.items()])
    return language_sums(vectors, langs)


def test_the_direction_points_from_the_english_mean_to_the_indonesian_one():
    direction = language_direction(sums({"id": 200, "en": 200}))
    assert direction is not None and np.isclose(np.linalg.norm(direction), 1)
    assert direction[0] > 0.95  # the axis the two languages were set apart on


def test_the_sums_are_taken_a_chunk_at_a_time_to_the_same_figures(monkeypatch):
    """A build sums each language's vectors a chunk of passages at a time (at a million articles
    the vectors are 4.8 GB, and the sum's float64 copy of them was twice that): the same figures
    to the last bit as one sum over all of them, also over records spread over two segments."""
    rng = np.random.default_rng(3)
    vectors = rng.standard_normal((1000, 16)).astype(np.float32)
    langs = rng.choice(["id", "en", "fr"], size=1000)
    whole = {lang: {"passages": int((langs == lang).sum()),
                    "sum": np.asarray(vectors[langs == lang], dtype=np.float64).sum(axis=0).tolist()}
             for lang in ("id", "en")}
    segments = {"a": vectors[:600], "b": vectors[600:]}
    records, rows = [], []
    for number in range(120):  # records in both segments, out of order, with rows left dead between
        segment, first = ("a", 5 * number) if number % 2 else ("b", 3 * number)
        count = number % 4
        lang = ["id", "en", "fr"][number % 3]
        records.append({"segment": segment, "row": first, "passages": [[0, 1]] * count, "lang": lang})
        rows.append(segments[segment][first:first + count])
    in_order = np.concatenate(rows)
    record_langs = np.concatenate([[rec["lang"]] * len(rec["passages"]) for rec in records])
    assert language_sums(vectors, langs) == whole
    together = language_sums(in_order, record_langs)
    assert record_sums(records, segments) == together
    monkeypatch.setattr(balance, "CHUNK_ROWS", 37)
    assert language_sums(vectors, langs) == whole
    assert record_sums(records, segments) == together


def test_an_archive_of_one_language_or_a_few_mistagged_passages_has_no_direction():
    assert language_direction(sums({"id": 50})) is None
    assert language_direction({}) is None
    assert language_direction(sums({"id": 500, "en": MIN_PASSAGES - 1})) is None
    assert language_direction(sums({"id": 1000, "en": 9})) is None  # under 1 % of the passages
    assert language_direction(sums({"id": 100, "en": 5})) is not None


@pytest.mark.parametrize("rescored", [40, 5])
def test_balanced_scores_are_the_cosine_with_the_direction_taken_out(monkeypatch, rescored):
    """Exact for the passages scored again from their float32 vectors (all 40, or the best 5),
    within the int8 codes' error for the others."""
    monkeypatch.setattr(semantic, "RESCORED", rescored)
    rng = np.random.default_rng(1)
    vectors = rng.standard_normal((40, 16)).astype(np.float32)
    vectors[:, 1] += 6  # a component every vector shares, as a model's passages do (about 0.9 of each)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    query = vectors[3] + 0.1 * rng.standard_normal(16).astype(np.float32)
    query /= np.linalg.norm(query)

    class Reader:
        pass

    reader = Reader()
    # an updated index's segments: read run by run
    reader.code_runs = [quantize(vectors[:25]), quantize(vectors[25:])]
    reader.vectors_at = lambda passages: vectors[passages]
    from search.reader import Balance

    direction = rng.standard_normal(16).astype(np.float32)
    direction /= np.linalg.norm(direction)

    def without(x):
        x = x - np.outer(x @ direction, direction).reshape(x.shape)
        return x / np.linalg.norm(x, axis=-1, keepdims=True)

    # the common direction: at right angles to the language direction, the mean of the rest
    common = vectors.mean(axis=0) - (vectors.mean(axis=0) @ direction) * direction
    common /= np.linalg.norm(common)

    def half_common_out(x):  # half of the component's length along it taken out, then unit length
        x = without(x)
        x = x - balance.COMMON_TAKEN * np.outer(x @ common, common).reshape(x.shape)
        return x / np.linalg.norm(x, axis=-1, keepdims=True)

    cases = ((Balance.of(vectors, direction, common), half_common_out(vectors) @ half_common_out(query)),
             (Balance.of(vectors, direction), without(vectors) @ without(query)),
             (None, vectors @ query))
    for reader.balance, exact in cases:
        scores = passage_scores(reader, query)
        rescored_here = np.isclose(scores, exact, rtol=0, atol=1e-6)
        assert rescored_here.sum() == rescored  # the others are off by the codes' rounding
        assert rescored_here[np.argsort(-exact)[:3]].all()  # the clear best among the rescored
        assert np.abs(scores - exact).max() < 0.03
        # the relevance floor's evidence: the cosine with only the language direction out
        only_direction = without(vectors) @ without(query) if reader.balance is not None else exact
        assert np.allclose(semantic.evidence(reader, query, scores)[rescored_here],
                           only_direction[rescored_here], rtol=0, atol=1e-5)


def build(paths, index_dir, embedder):
    cache = VectorCache(embedder, Path(os.environ["LINTAS_CACHE"]) / "balance.sqlite")
    return build_index(paths, index_dir, embedder, cache=cache)


def write_articles(folder: Path, lang: str, count: int) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    words = {"id": "banjir hujan kota warga jalan rumah sungai", "en": "flood rain city people road house river"}[lang]
    for n in range(count):
        (folder / f"{lang}-{n}.txt").write_text(f"{lang} {n}\n\n{words} {n}", encoding="utf-8")


def manifest_sums(index_dir: Path) -> dict | None:
    return store.read_manifest(store.current_generation(index_dir)).language_vectors


def test_the_index_keeps_each_languages_vector_sum_and_updates_keep_it_current(tmp_path, monkeypatch):
    monkeypatch.setattr("index.storage.builder.detect_language", lambda text: text.split()[0])  # the test's own tags
    embedder, index_dir = FakeEmbedder(), tmp_path / "index"
    write_articles(tmp_path / "archive", "id", 6)
    build([tmp_path / "archive"], index_dir, embedder)
    assert set(manifest_sums(index_dir)) == {"id"} and IndexReader(index_dir).balance is None

    write_articles(tmp_path / "archive", "en", 4)
    build([tmp_path / "archive"], index_dir, embedder)
    reader = IndexReader(index_dir)
    stored = manifest_sums(index_dir)
    fresh = language_sums(np.asarray(reader.vectors), reader.passage_langs)
    assert {lang: entry["passages"] for lang, entry in stored.items()} == {"id": 6, "en": 4}
    for lang in fresh:
        assert np.allclose(stored[lang]["sum"], fresh[lang]["sum"], atol=1e-5)
    assert reader.balance is not None

    for n in range(4):  # every English article gone: the archive is of one language again
        (tmp_path / "archive" / f"en-{n}.txt").unlink()
    build([tmp_path / "archive"], index_dir, embedder)
    assert set(manifest_sums(index_dir)) == {"id"} and IndexReader(index_dir).balance is None


def test_an_index_from_before_the_balance_is_searched_and_the_next_update_stores_it(runner, seeds_index):
    generation = store.current_generation(seeds_index)
    manifest = json.loads((generation / store.MANIFEST).read_text())
    stored = manifest.pop("language_vectors")
    (generation / store.MANIFEST).write_text(json.dumps(manifest))

    reader = IndexReader(seeds_index)
    assert reader.manifest.language_vectors is None
    assert {lang: entry["passages"] for lang, entry in reader.language_vectors.items()} == \
        {lang: entry["passages"] for lang, entry in stored.items()}
    assert run(runner, "search", "Putin Sochi", "--index", seeds_index).exit_code == 0
    assert "predates it" in run(runner, "info", "--index", seeds_index).stdout

    result = run(runner, "index", "--index", seeds_index)
    assert result.exit_code == 0, result.stderr
    assert result.stderr.count("now keeps its language balance") == 1
    assert manifest_sums(seeds_index) is not None
    again = run(runner, "index", "--index", seeds_index)
    assert "language balance" not in again.stderr  # said once
    assert "language balance: on (passages id " in run(runner, "info", "--index", seeds_index).stdout


def test_an_index_from_before_the_common_component_computes_it_and_the_next_update_stores_it(runner, seeds_index):
    """An index whose table keeps the language direction's components but not the common
    direction's (written before the vector leg took part of it out): searched with it computed
    on opening, the same hits; the next `lintas index` writes it and says so once."""
    from index.storage import table

    before = run_json(runner, "search", "Putin Sochi", "--index", seeds_index)
    folder = store.current_generation(seeds_index) / table.TABLE
    meta = json.loads((folder / table.META).read_text())
    meta.pop("common")
    (folder / table.META).write_text(json.dumps(meta))
    (folder / "common.npy").unlink()
    reader = IndexReader(seeds_index)
    assert reader.table.common is None and reader.balance.common is not None
    assert run_json(runner, "search", "Putin Sochi", "--index", seeds_index) == before

    result = run(runner, "index", "--index", seeds_index)
    assert result.exit_code == 0, result.stderr
    assert result.stderr.count("now keeps its language balance") == 1
    assert IndexReader(seeds_index).table.common is not None
    assert "language balance" not in run(runner, "index", "--index", seeds_index).stderr  # said once
    assert run_json(runner, "search", "Putin Sochi", "--index", seeds_index) == before


# English questions that only one Indonesian seed answers (003, the English seed, is the
# English version of 000, so 000's facts are left out): that seed comes first.
ONLY_ONE_INDONESIAN_SEED = {
    "Putin and Lukashenko agreed in a phone call that the problems in Belarus would be resolved quickly":
        "001_cf8019bd0f87cf4f",
    "six hours of talks at a Black Sea resort on stalled integration": "002_a5b2618d017f9403",
    "Putin and Lukashenka went skiing together before a formal dinner": "002_a5b2618d017f9403",
    "Russian coronavirus vaccine supplies to Belarus": "002_a5b2618d017f9403",
    "Tikhanovskaya is sheltering in Lithuania": "004_111cb5bf34ac05bb",
    # the English seed stands 0.02 above 004 in the vector leg; only 004 names Peskov
    "Kremlin spokesman Dmitry Peskov said no press conference was planned": "004_111cb5bf34ac05bb",
}


@pytest.mark.parametrize("typed", [str, str.lower], ids=["as written", "in lower case"])
@pytest.mark.parametrize("query", ONLY_ONE_INDONESIAN_SEED)
def test_an_english_question_finds_the_one_indonesian_seed_that_answers_it(runner, seeds_index, query, typed):
    # In lower case the names ("peskov", "tikhanovskaya") are the words the English query
    # writes as only the Indonesian seeds do (search.keyword.shared_words).
    hits = run_json(runner, "search", typed(query), "--index", seeds_index, "--no-group")
    assert hits[0]["id"] == seed_id(ONLY_ONE_INDONESIAN_SEED[query])
    assert hits[0]["confident"] is True
