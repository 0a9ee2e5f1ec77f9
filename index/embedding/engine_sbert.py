"""Any other sentence-transformers model, by local path or hub name (offline unless allowed)."""
from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from index.embedding.engine import BATCH_SIZE, normalise


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
                f"model {model!r} needs sentence-transformers: in the lintas folder, pip install torch==2.13.0 && pip install -e ."
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
        return normalise(self._st.encode(batch, batch_size=BATCH_SIZE, convert_to_numpy=True))

    def embed_query(self, text: str) -> np.ndarray:
        return normalise(self._st.encode([self._query_prefix + text], convert_to_numpy=True)[0])
