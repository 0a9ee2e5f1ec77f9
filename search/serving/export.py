"""Exporting an index for a distributed engine: one JSON object per document, vectors included.

Each line carries what OpenSearch/Elasticsearch (or any engine) needs to serve the archive
without re-reading the sources or re-running the model: the metadata, the cleaned text as
indexed, its language (which analyzer to use), and every passage with its character span and
its vector from the index's model (the manifest line says which one).
"""
from __future__ import annotations

from collections.abc import Iterator
from dataclasses import asdict

from search.reader import IndexReader

VECTOR_DIGITS = 6  # decimals: the stored float16 (or older float32) components to within 5e-7; cosines need far fewer


def export_header(reader: IndexReader) -> dict:
    """The first line: which model made the vectors, and how many documents follow."""
    return {"lintas_export": 1, "manifest": asdict(reader.manifest)}


def export_documents(reader: IndexReader, vectors: bool = True) -> Iterator[dict]:
    """Every document of the index, in index order."""
    with reader.searcher() as searcher:
        for position, info in enumerate(reader.docs):
            fields = searcher.document(id=info.id) or {}
            rows = reader.passage_vectors(position) if vectors else None  # a document's own, never every one
            passages = []
            for offset, (begin, end) in enumerate(info.passages):
                passage = {"start": begin, "end": end}
                if rows is not None:
                    passage["vector"] = [round(float(x), VECTOR_DIGITS) for x in rows[offset]]
                passages.append(passage)
            yield {"id": info.id, "key": info.key, "title": info.title, "lang": info.lang, "path": info.path,
                   "date": info.date, "source": info.source, "url": info.url,
                   "text": fields.get("content", ""), "passages": passages}
