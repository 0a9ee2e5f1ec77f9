"""The document table's columns, written beside docs.jsonl so that opening an index reads none of it.

A search needs, of every document, only a few small facts (its language, how many passages it
has and where its vectors are, its date and source for the filters, its story), and of a few
documents their whole record (the hits). Parsing docs.jsonl whole cost every new process
0.28 s at 10,000 articles and 2.2 s at 100,000 (issue 21). So each generation also holds:

    table/
      meta.json        documents, docs.jsonl's size, the vocabularies of the coded columns
      offsets.npy      int64, documents + 1: where each line of docs.jsonl starts (and the end)
      counts.npy       int32: passages per document
      segments.npy     int32: the document's vector segment, as its place in meta's "segments"
      rows.npy         int64: its first row there
      langs.npy        uint8: its language, as its place in meta's "langs"
      sources.npy      int32: its source, as its place in meta's "sources"; -1 for none
      dates.npy        unicode: its ISO date, "" for none
      stories.npy      int32: its story (index.storage.stories.story_groups over the links)
      id_hashes.npy    uint64, sorted: the first 8 bytes of each id's BLAKE2b digest ...
      id_places.npy    int32: ... and the document each belongs to
      along.npy        float32, one per passage: its component along the archive's language
                       direction (index.storage.balance), for the vector leg; absent for an
                       archive of one language, and in a table made on open
      common.npy       float32, one per passage: its component along the archive's common
                       direction (index.storage.balance.common_direction); absent with along.npy,
                       and in a table written before the vector leg used it

Every array is memory-mapped: opening costs the same at any size, and a query touches only
the pages it reads. The table is derived from docs.jsonl alone, so an index written before it
was kept gets it on first open (written in place, atomically; kept in memory when the folder
is read-only), and `write_table` is the one writer for both.
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from index.errors import IndexCorrupt
from index.storage.store import DOCS

TABLE = "table"
TABLE_VERSION = 1
META = "meta.json"
COLUMNS = ("offsets", "counts", "segments", "rows", "langs", "sources", "dates", "stories", "id_hashes", "id_places")
PER_PASSAGE = ("along", "common")  # columns of one value per passage, kept when the archive has a balance


def id_hash(doc_id: str) -> int:
    return int.from_bytes(hashlib.blake2b(doc_id.encode("utf-8"), digest_size=8).digest(), "little")


@dataclass(frozen=True)
class Table:
    """The columns of one generation's document table (memory-mapped, or in memory for a
    table made on open that could not be written)."""

    documents: int
    langs_vocabulary: list[str]
    sources_vocabulary: list[str]
    segments_vocabulary: list[str]
    offsets: np.ndarray
    counts: np.ndarray
    segments: np.ndarray
    rows: np.ndarray
    langs: np.ndarray
    sources: np.ndarray
    dates: np.ndarray
    stories: np.ndarray
    id_hashes: np.ndarray
    id_places: np.ndarray
    along: np.ndarray | None = None
    common: np.ndarray | None = None

    def places(self, doc_id: str) -> np.ndarray:
        """The documents whose id has ``doc_id``'s hash (almost always one; the caller checks the id)."""
        key = np.uint64(id_hash(doc_id))
        first = int(np.searchsorted(self.id_hashes, key, side="left"))
        last = first
        while last < len(self.id_hashes) and self.id_hashes[last] == key:
            last += 1
        return self.id_places[first:last]


def columns_of(folder: Path, records: list[dict]) -> tuple[dict, dict[str, np.ndarray]]:
    """(meta, columns) of the document table ``records`` (in order) that ``folder``'s docs.jsonl
    holds, already written."""
    from index.storage.stories import story_groups

    langs = sorted({str(rec.get("lang") or "") for rec in records})
    sources = sorted({rec["source"] for rec in records if rec.get("source")})
    segments = sorted({rec["segment"] for rec in records})
    lang_code = {lang: i for i, lang in enumerate(langs)}
    source_code = {source: i for i, source in enumerate(sources)}
    segment_code = {segment: i for i, segment in enumerate(segments)}
    place = {rec["id"]: i for i, rec in enumerate(records)}
    links = [{place[other]: value for other, value in (rec.get("story") or {}).items() if other in place}
             for rec in records]
    hashes = np.array([id_hash(rec["id"]) for rec in records], dtype=np.uint64)
    order = np.argsort(hashes, kind="stable")
    dates = [rec.get("date") or "" for rec in records]
    docs = folder / DOCS
    columns = {
        "offsets": line_offsets(docs),
        "counts": np.array([len(rec["passages"]) for rec in records], dtype=np.int32),
        "segments": np.array([segment_code[rec["segment"]] for rec in records], dtype=np.int32),
        "rows": np.array([rec["row"] for rec in records], dtype=np.int64),
        "langs": np.array([lang_code[str(rec.get("lang") or "")] for rec in records], dtype=np.uint8),
        "sources": np.array([source_code.get(rec.get("source"), -1) for rec in records], dtype=np.int32),
        "dates": np.array(dates, dtype=f"<U{max(map(len, dates), default=0) or 1}"),
        "stories": np.array(story_groups(links), dtype=np.int32),
        "id_hashes": hashes[order],
        "id_places": order.astype(np.int32),
    }
    if len(columns["offsets"]) != len(records) + 1:
        raise IndexCorrupt(docs, f"{len(columns['offsets']) - 1} lines, {len(records)} documents")
    meta = {"version": TABLE_VERSION, "documents": len(records), "langs": langs, "sources": sources,
            "segments": segments, "passages": int(columns["counts"].sum()),
            "docs_bytes": int(columns["offsets"][-1]), "along": False, "common": False}
    return meta, columns


def line_offsets(docs: Path) -> np.ndarray:
    """Where each line of ``docs`` starts, and its end: documents + 1 offsets."""
    data = np.fromfile(docs, dtype=np.uint8)
    ends = np.flatnonzero(data == ord("\n")) + 1
    return np.concatenate([[0], ends]).astype(np.int64)


def write_table(folder: Path, records: list[dict], along: np.ndarray | None = None,
                common: np.ndarray | None = None) -> None:
    """Write ``folder``/table for the records its docs.jsonl (already written) holds, and each
    passage's component ``along`` the language direction and along the ``common`` direction when
    the archive has them: into a temporary folder renamed into place, so a reader sees a whole
    table or none."""
    meta, columns = columns_of(folder, records)
    for name, values in (("along", along), ("common", common)):
        if values is not None:
            columns[name] = np.asarray(values, dtype=np.float32)
            meta[name] = True
    staged = Path(tempfile.mkdtemp(prefix=".table-", dir=folder))
    try:
        for name, array in columns.items():
            np.save(staged / f"{name}.npy", array, allow_pickle=False)
        (staged / META).write_text(json.dumps(meta, ensure_ascii=False), encoding="utf-8")
        os.rename(staged, folder / TABLE)
    except BaseException:
        shutil.rmtree(staged, ignore_errors=True)
        raise


def keeps(folder: Path, column: str) -> bool:
    """Whether the generation in ``folder`` has a table that keeps ``column`` (one of PER_PASSAGE)."""
    try:
        meta = json.loads((folder / TABLE / META).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(meta, dict) and bool(meta.get(column))


def in_memory(folder: Path, records: list[dict]) -> Table:
    """The table of ``records`` without writing it (a read-only index written before tables)."""
    return _table(*columns_of(folder, records))


def read_table(folder: Path, documents: int) -> Table | None:
    """The generation's table, memory-mapped; None when it has none (written before tables, or
    by another version of the table); IndexCorrupt when it does not match docs.jsonl."""
    where = folder / TABLE
    try:
        meta = json.loads((where / META).read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as error:
        raise IndexCorrupt(where / META, str(error)) from None
    if not isinstance(meta, dict) or meta.get("version") != TABLE_VERSION:
        return None
    try:
        columns = {name: np.load(where / f"{name}.npy", mmap_mode="r", allow_pickle=False) for name in COLUMNS}
    except (OSError, ValueError, EOFError) as error:
        raise IndexCorrupt(where, f"{type(error).__name__}: {error}") from None
    for name in PER_PASSAGE:
        if not meta.get(name):
            continue
        try:
            columns[name] = np.load(where / f"{name}.npy", mmap_mode="r", allow_pickle=False)
        except (OSError, ValueError, EOFError) as error:
            raise IndexCorrupt(where, f"{type(error).__name__}: {error}") from None
        if len(columns[name]) != meta.get("passages"):
            raise IndexCorrupt(where / f"{name}.npy", f"{len(columns[name])} passages, the table has {meta.get('passages')}")
    wrong = [name for name, array in columns.items()
             if name not in PER_PASSAGE and len(array) != documents + (name == "offsets")]
    if meta.get("documents") != documents or wrong:
        raise IndexCorrupt(where, f"does not match the manifest's {documents} documents ({', '.join(wrong) or 'meta'})")
    try:
        size = (folder / DOCS).stat().st_size
    except OSError as error:
        raise IndexCorrupt(folder / DOCS, str(error)) from None
    if size != meta.get("docs_bytes") or int(columns["offsets"][-1]) != size:
        raise IndexCorrupt(folder / DOCS, f"{size} bytes, the document table was written for {meta.get('docs_bytes')}")
    return _table(meta, columns)


def _table(meta: dict, columns: dict[str, np.ndarray]) -> Table:
    return Table(documents=meta["documents"], langs_vocabulary=meta["langs"], sources_vocabulary=meta["sources"],
                 segments_vocabulary=meta["segments"], **columns)
