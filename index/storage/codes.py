"""Passage vectors as int8 codes: what a search scans (search.semantic), a quarter of the bytes
of float32 vectors (half of the float16 ones stored beside them for the exact score of the best
candidates).

    gen-000007/
      vec-000003.npy         float16 passage vectors (index.storage.store)
      vec-000003.codes.npy   int8, one row per passage: the vector over its scale, rounded
      vec-000003.scales.npy  float32, one per passage: its largest component / 127

Row i is ``codes[i] * scales[i]`` to within half a step of its own scale (a unit vector of
multilingual-e5-small has its largest component near 0.13: steps of ~0.001; a cosine from the
codes of passage and query is off by 0.0003 typically, 0.003 at most on the bench, bench/SPEED.md).
Each row is scaled by itself, so a segment needs nothing of the others and an update writes
codes for its new segment only. Like the segment, the codes are written once and hard-linked
into later generations; an index written before codes were kept gets them on first open (in
place, atomically; in memory when the folder is read-only) or on its next update.
"""
from __future__ import annotations

import os
import threading
from pathlib import Path

import numpy as np

from index.errors import IndexCorrupt

CHUNK = 65_536  # rows quantized at a time: bounded memory for a segment of millions of passages


def companions(segment: str) -> tuple[str, str]:
    """The codes' and the scales' file names of a vector segment."""
    stem = segment.removesuffix(".npy")
    return f"{stem}.codes.npy", f"{stem}.scales.npy"


def quantize(vectors: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(int8 codes, float32 scales) of a matrix of vectors, row by row."""
    rows = len(vectors)
    codes = np.empty(vectors.shape, dtype=np.int8)
    scales = np.empty(rows, dtype=np.float32)
    for start in range(0, rows, CHUNK):
        block = np.asarray(vectors[start:start + CHUNK], dtype=np.float32)
        peak = np.abs(block).max(axis=1) if block.shape[1] else np.zeros(len(block), dtype=np.float32)
        scale = np.where(peak > 0, peak / 127, 1).astype(np.float32)
        codes[start:start + CHUNK] = np.rint(block / scale[:, None])
        scales[start:start + CHUNK] = scale
    return codes, scales


def write_codes(folder: Path, segment: str, vectors: np.ndarray) -> None:
    """Write the codes of ``segment`` (its ``vectors``) into ``folder``: each file through a
    temporary one renamed into place, the codes last, so a reader finds both or no codes."""
    codes, scales = quantize(vectors)
    for name, array in zip(reversed(companions(segment)), (scales, codes)):
        # a name of this process and thread: another one may be writing the same codes now
        temporary = folder / f".{name}.{os.getpid()}-{threading.get_ident()}.tmp"
        try:
            with open(temporary, "wb") as out:  # created as the segment was (the umask's mode)
                np.save(out, array, allow_pickle=False)
            os.replace(temporary, folder / name)
        except BaseException:
            temporary.unlink(missing_ok=True)
            raise


def load_codes(folder: Path, segment: str, rows: int, dim: int, vectors: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The codes of ``segment`` (``rows`` × ``dim``), memory-mapped and checked (IndexCorrupt if
    not as the manifest says); made from its ``vectors`` when the index has none yet."""
    codes_name, scales_name = companions(segment)
    try:
        codes = np.load(folder / codes_name, mmap_mode="r", allow_pickle=False)
    except FileNotFoundError:
        try:
            write_codes(folder, segment, vectors)
        except OSError:  # a read-only index: keep them in this process only
            return quantize(vectors)
        codes = np.load(folder / codes_name, mmap_mode="r", allow_pickle=False)
    except (OSError, ValueError, EOFError) as error:
        raise IndexCorrupt(folder / codes_name, str(error) or type(error).__name__) from None
    try:
        scales = np.load(folder / scales_name, mmap_mode="r", allow_pickle=False)
    except (OSError, ValueError, EOFError) as error:
        raise IndexCorrupt(folder / scales_name, str(error) or type(error).__name__) from None
    if codes.shape != (rows, dim) or codes.dtype != np.int8:
        raise IndexCorrupt(folder / codes_name, f"shape {codes.shape} {codes.dtype}, manifest says ({rows}, {dim}) int8")
    if scales.shape != (rows,) or scales.dtype != np.float32:
        raise IndexCorrupt(folder / scales_name, f"shape {scales.shape} {scales.dtype}, manifest says ({rows},) float32")
    return codes, scales
