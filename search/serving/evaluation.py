"""`lintas eval`: measure retrieval quality on a BEIR-format task.

A task folder holds ``corpus.jsonl`` (``_id``, ``title``, ``text``), ``queries.jsonl``
(``_id``, ``text``) and ``qrels/test.tsv`` (``query-id``, ``corpus-id``, ``score``, header line).
The corpus is indexed by the same ``build_index`` as ``lintas index`` (cached vectors make a
re-run fast); every query runs its legs once and each mode is ranked from them. The index
names a corpus document ``CORPUS#_id``; rankings and run files name it by its ``_id``, as the
qrels do.
"""
from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from index.storage import store
from index.reading.analysis import ANALYZER_VERSION
from index.errors import DocumentError, IndexNotFound
from index.embedding.passages import PASSAGES_VERSION
from index.reading.language import LANGUAGE_VERSION
from index.storage.stories import STORIES_VERSION
from search.serving import metrics
from search.engine import Legs, Mode, clean_query, gather_legs, rank
from search.reader import IndexReader
from search.stories import in_story_order

DEPTH = 100  # Recall@100 needs 100 results per query
CORPUS, QUERIES, QRELS = "corpus.jsonl", "queries.jsonl", "qrels/test.tsv"


@dataclass(frozen=True)
class Task:
    name: str
    folder: Path
    queries: dict[str, str]  # query id -> text, file order
    qrels: dict[str, dict[str, float]]  # query id -> {doc id: relevance > 0}

    @property
    def corpus(self) -> Path:
        return self.folder / CORPUS


@dataclass(frozen=True)
class ModeResult:
    task: str
    mode: str
    ndcg_at_10: float
    mrr_at_10: float
    recall_at_1: float
    recall_at_10: float
    recall_at_100: float
    queries: int
    docs: int

    def to_json(self) -> dict:
        return {"task": self.task, "mode": self.mode, "ndcg@10": self.ndcg_at_10,
                "mrr@10": self.mrr_at_10, "recall@1": self.recall_at_1,
                "recall@10": self.recall_at_10, "recall@100": self.recall_at_100,
                "queries": self.queries, "docs": self.docs}


def read_task(folder: Path) -> Task:
    """The queries and judgements of a BEIR task; queries without a judgement are left out."""
    folder = Path(folder)
    for name in (CORPUS, QUERIES, QRELS):
        if not (folder / name).is_file():
            raise DocumentError(folder / name, "missing; a BEIR task has corpus.jsonl, "
                                               "queries.jsonl and qrels/test.tsv")
    qrels: dict[str, dict[str, float]] = {}
    with open(folder / QRELS, encoding="utf-8") as lines:
        for number, line in enumerate(lines, start=1):
            fields = line.rstrip("\n").split("\t")
            if number == 1 and fields[0] == "query-id" or not line.strip():
                continue
            try:
                query_id, doc_id, score = fields[0], fields[-2], float(fields[-1])
            except (IndexError, ValueError):
                raise DocumentError(folder / QRELS, "expected query-id, corpus-id, score", line=number) from None
            if score > 0:
                qrels.setdefault(query_id, {})[doc_id] = score
    queries: dict[str, str] = {}
    with open(folder / QUERIES, encoding="utf-8") as lines:
        for number, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
                query_id, text = str(record["_id"]), str(record["text"])
            except (ValueError, KeyError, TypeError):
                raise DocumentError(folder / QUERIES, "expected JSON with _id and text", line=number) from None
            if query_id in qrels:
                queries[query_id] = text
    return Task(folder.resolve().name, folder, queries, qrels)


def default_index_dir(task: Task, model: str) -> Path:
    """An eval index per indexed content (documents as read and cleaned now), model and index
    format, in the user's cache: a change in reading or cleaning gets a fresh index."""
    from index.reading.documents import read_documents
    from index.cache import cache_dir

    digest = hashlib.sha256()
    for doc in read_documents([task.corpus], on_error=lambda error: None):
        digest.update(f"{doc.id}\0{doc.content_hash}\0".encode())
    digest.update(f"{model}\0{store.FORMAT_VERSION}\0{ANALYZER_VERSION}\0{PASSAGES_VERSION}\0"
                  f"{LANGUAGE_VERSION}\0{STORIES_VERSION}".encode())
    return cache_dir() / "eval" / f"{task.name}-{digest.hexdigest()[:12]}"


def has_index(index_dir: Path) -> bool:
    try:
        store.current_generation(index_dir)
    except IndexNotFound:
        return False
    return True


def modes_for(choice: str) -> list[Mode]:
    return list(Mode) if choice == "all" else [Mode(choice)]


def run_task(reader: IndexReader, task: Task, modes: Iterable[Mode],
             progress: Callable[[int], None] | None = None) -> dict[Mode, dict[str, list[tuple[str, float]]]]:
    """Each mode's ranking (DEPTH long) of every query, as `lintas search` lists it (stories
    together, ``as_listed``); the legs run once per query."""
    modes = list(modes)
    needed = Mode.hybrid if len(modes) > 1 else modes[0]
    runs: dict[Mode, dict[str, list[tuple[str, float]]]] = {mode: {} for mode in modes}
    names = judged_names(reader)
    for query_id, text in task.queries.items():
        legs = query_legs(reader, text, needed)
        for mode in modes:
            runs[mode][query_id] = [(names[doc_id], score) for doc_id, score in as_listed(reader, rank(legs, mode))]
        if progress:
            progress(1)
    return runs


def as_listed(reader: IndexReader, ranked: list[tuple[str, float]], depth: int = DEPTH) -> list[tuple[str, float]]:
    """The first ``depth`` of a ranking in the order `lintas search` lists it (search.stories.
    in_story_order), each score lowered where that order needs it to keep falling (a story's
    member after a better-scored story's best one; by a millionth, where two are equal), so that
    trec_eval, which sorts a run by score, reads the run in its own order."""
    scores = dict(ranked)
    listed, last = [], math.inf
    for doc in in_story_order(reader, [doc for doc, _ in ranked])[:depth]:
        last = min(scores[doc], last - 1e-6)
        listed.append((doc, last))
    return listed


def judged_names(reader: IndexReader) -> dict[str, str]:
    """Each document's name in the qrels: its own id in the corpus (``_id``), else its index id."""
    return {doc.id: doc.key if doc.key is not None else doc.id for doc in reader.docs}


def query_legs(reader: IndexReader, text: str, mode: Mode = Mode.hybrid) -> Legs:
    return gather_legs(reader, clean_query(text), DEPTH, mode)


def score_run(task: Task, mode: Mode | str, run: dict[str, list[tuple[str, float]]], docs: int) -> ModeResult:
    """Mean metrics over the task's judged queries (a query with no result scores 0); ``mode``
    names the run (a Mode, or another label such as a reference fusion's)."""
    def mean(metric: Callable, k: int) -> float:
        values = [metric([doc for doc, _ in run.get(q, [])], task.qrels[q], k) for q in task.queries]
        return round(sum(values) / len(values), 4) if values else 0.0

    name = mode.value if isinstance(mode, Mode) else mode
    return ModeResult(task.name, name, mean(metrics.ndcg_at, 10), mean(metrics.mrr_at, 10),
                      mean(metrics.recall_at, 1), mean(metrics.recall_at, 10),
                      mean(metrics.recall_at, 100), len(task.queries), docs)


def write_trec_run(path: Path, run: dict[str, list[tuple[str, float]]], tag: str) -> None:
    """trec_eval's run format: query-id Q0 doc-id rank score tag."""
    with open(path, "w", encoding="utf-8") as out:
        for query_id, ranking in run.items():
            for position, (doc_id, score) in enumerate(ranking, start=1):
                out.write(f"{query_id} Q0 {doc_id} {position} {score:.6f} {tag}\n")


def open_task_index(task: Task, index_dir: Path | None, model: str | None = None,
                    progress=None, on_error=None, ray: str | None = None) -> IndexReader:
    """The task's index: ``index_dir`` when it holds one, else built there (or in the cache)
    by build_index with the embedder ``lintas index`` would choose (the bulk engine when
    installed; a Ray cluster with ``ray``), with cached vectors reused."""
    from index.storage.builder import build_index
    from index.embedding.choose import load_index_embedder
    from index.embedding.engine import canonical_model

    target = index_dir or default_index_dir(task, canonical_model(model))
    if not has_index(target):
        kwargs = {"progress": progress} if progress else {}
        build_index([task.corpus], target, load_index_embedder(model, ray=ray), on_error=on_error, **kwargs)
    return IndexReader(target, model=model)
