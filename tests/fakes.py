"""A small deterministic embedder for tests of I/O, updates and the query path (not of ranking)."""
from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence

import numpy as np

DIM = 32


def _word_vector(word: str) -> np.ndarray:
    seed = int.from_bytes(hashlib.sha256(word.encode("utf-8")).digest()[:8], "little")
    return np.random.default_rng(seed).standard_normal(DIM).astype(np.float32)


class FakeEmbedder:
    """Sum of hash-seeded word vectors, L2-normalised: same text, same vector, in microseconds."""

    backend = "fake"
    dim = DIM

    def __init__(self, model: str = "fake-hash") -> None:
        self.model = model
        self.passages_embedded = 0

    def _embed(self, text: str) -> np.ndarray:
        vector = np.zeros(DIM, dtype=np.float32) + 1e-3
        for word in re.findall(r"\w+", text.lower()):
            vector += _word_vector(word)
        return vector / np.linalg.norm(vector)

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        self.passages_embedded += len(texts)
        return np.stack([self._embed(t) for t in texts]) if texts else np.zeros((0, DIM), np.float32)

    def embed_query(self, text: str) -> np.ndarray:
        return self._embed(text)
