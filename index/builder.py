"""build_index: files in, a complete new index generation out."""
from __future__ import annotations

import json
import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

from index import store
from index.analysis import ANALYZER_VERSION
from index.documents import Document, ErrorSink, read_documents
from index.embedding import Embedder, VectorCache, embed_passages_cached
from index.errors import DocumentError
from index.keyword import write_keyword_index
from index.language import detect_language
from index.passages import PASSAGES_VERSION, passage_spans, passage_texts

# progress(stage, advance, total): stage is "read", "embed" or "write"
ProgressFn = Callable[[str, int, int | None], None]


@dataclass(frozen=True)
class BuildReport:
    index_dir: Path
    documents: int
    passages: int
    languages: dict[str, int]
    seconds: float
    problems: list[DocumentError] = field(default_factory=list)

    @property
    def skipped(self) -> int:
        return sum(1 for p in self.problems if "skipped" in p.reason)


def _no_progress(stage: str, advance: int, total: int | None) -> None:
    pass


def build_index(
    paths: Iterable[Path],
    index_dir: Path,
    embedder: Embedder,
    *,
    progress: ProgressFn = _no_progress,
    on_error: ErrorSink | None = None,
    cache: VectorCache | None = None,
) -> BuildReport:
    """Read, tag, cut, embed and write every document under ``paths`` as a new generation."""
    started = time.perf_counter()
    problems: list[DocumentError] = []

    def record(error: DocumentError) -> None:
        problems.append(error)
        if on_error:
            on_error(error)

    docs = []
    for doc in read_documents(paths, on_error=record):
        docs.append(doc.with_lang(detect_language(doc.full_text)))
        progress("read", 1, None)
    spans = [passage_spans(doc.full_text) for doc in docs]
    texts = [t for doc, sp in zip(docs, spans) for t in passage_texts(doc.title, doc.full_text, sp)]

    staged = store.new_generation(index_dir)
    try:
        progress("embed", 0, len(texts))
        vectors = embed_passages_cached(
            embedder, texts, cache if cache is not None else VectorCache(embedder),
            progress=lambda n: progress("embed", n, len(texts)),
        )
        progress("write", 0, len(docs))
        write_keyword_index(staged / store.WHOOSH, docs)
        np.save(staged / store.VECTORS, vectors)
        _write_docs(staged / store.DOCS, docs, spans)
        languages = dict(sorted(Counter(doc.lang for doc in docs).items()))
        store.write_manifest(staged, store.Manifest(
            format_version=store.FORMAT_VERSION, model=embedder.model, backend=embedder.backend,
            dim=embedder.dim, analyzer_version=ANALYZER_VERSION, passages_version=PASSAGES_VERSION,
            documents=len(docs), passages=len(texts), languages=languages,
            created=datetime.now(timezone.utc).isoformat(timespec="seconds"),
        ))
        store.commit_generation(index_dir, staged)
    except BaseException:
        import shutil

        shutil.rmtree(staged, ignore_errors=True)
        raise
    return BuildReport(index_dir, len(docs), len(texts), languages, time.perf_counter() - started, problems)


def _write_docs(path: Path, docs: list[Document], spans: list[list[tuple[int, int]]]) -> None:
    with open(path, "w", encoding="utf-8") as out:
        for doc, sp in zip(docs, spans):
            record = {"id": doc.id, "title": doc.title, "path": doc.path, "lang": doc.lang,
                      "date": doc.date, "source": doc.source, "url": doc.url,
                      "hash": doc.content_hash, "passages": sp}
            out.write(json.dumps(record, ensure_ascii=False) + "\n")
