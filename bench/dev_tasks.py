"""Dev tasks of the kinds the shared bench lacks, built from its own files (issue 24).

    .venv/bin/python bench/dev_tasks.py [BENCH_DIR] [OUT_DIR]

Writes BEIR task folders into OUT_DIR (default bench/dev-tasks/, not committed: the script
makes the same bytes again from the same bench). Every choice is a seeded coin, so a re-run
gives the same tasks.

Bilingual archives, where each story exists in one language only and its query is the other
language's version (the mission's case: the answer's language is not the query's, and the
query's own language fills the rest of the archive with unrelated documents):

- flores-bilingual: FLORES sentences, each pair's English or Indonesian side by a coin.
- tatoeba-bilingual: the same with Tatoeba's sentence pairs.
- ntrex-bilingual: NTREX articles, English or Indonesian by a coin, queried by the other
  language's headline, beside ntrex-mixed's distractors (IndoSum Indonesian, FLORES English).
- ntrex-bilingual-short: the same archive, each query cut to its headline's first four words,
  the way people type a search ("Welsh AMs worried about").
- ntrex-bilingual-lower, ntrex-bilingual-typed: the headlines, and their first four words, in
  lower case, as most people type into a search box ("welsh ams worried about"): without
  capitals a query's names cannot be told by their shape.

Question tasks with the other language's documents as distractors (an Indonesian question must
not be pulled to English documents on other subjects):

- facqa-plus-en, tydiqa-plus-en: the task's corpus plus ntrex-id-en's English articles.

One more translation direction the bench lacks (Indonesian sentence → English sentence):

- flores-id-en: FLORES' Indonesian sentences as queries, its English sentences as the corpus.

And the kind of the held-out news sentences (an Indonesian sentence from a news story, the
English article that tells it; the issue measured the hybrid 0.056 under a convex fusion there):

- ntrex-sentence-id-en: three sentences of each Indonesian NTREX article (by a coin, among its
  sentences of 8 words or more) as queries, ntrex-id-en's corpus (the English articles among
  FLORES English documents) as the archive.
- ntrex-sentence-en-id: the other direction, English sentences → the Indonesian article among
  ntrex-en-id's corpus (IndoSum news as the distractors).
- ntrex-bilingual-sentence: the same sentences against ntrex-bilingual's archive (each story in
  one language), each story queried by sentences of its other language's version: a sentence
  quoted from a story, its answer in the other language, unrelated news of the query's
  language all around.
"""
from __future__ import annotations

import json
import os
import random
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT.parent / "shared" / "bench"
OUT = ROOT / "bench" / "dev-tasks"
SEED = 24  # the number; any fixed seed does


def read_jsonl(path: Path) -> list[dict]:
    with open(path, encoding="utf-8") as lines:
        return [json.loads(line) for line in lines if line.strip()]


def read_qrels(folder: Path) -> dict[str, list[str]]:
    qrels: dict[str, list[str]] = {}
    with open(folder / "qrels" / "test.tsv", encoding="utf-8") as lines:
        next(lines)
        for line in lines:
            query, doc, score = line.rstrip("\n").split("\t")
            if float(score) > 0:
                qrels.setdefault(query, []).append(doc)
    return qrels


def write_task(folder: Path, corpus: list[dict], queries: list[dict], qrels: list[tuple[str, str]]) -> Path:
    (folder / "qrels").mkdir(parents=True, exist_ok=True)
    for name, rows in (("corpus.jsonl", corpus), ("queries.jsonl", queries)):
        replace(folder / name, "".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows))
    replace(folder / "qrels" / "test.tsv",
            "query-id\tcorpus-id\tscore\n" + "".join(f"{query}\t{doc}\t1\n" for query, doc in qrels))
    return folder


def replace(path: Path, text: str) -> None:
    """Write ``path`` through a temporary file renamed over it: another bench script reading the
    task while this one builds it again sees the whole file, never a half-written one."""
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    temporary.write_text(text, encoding="utf-8")
    os.replace(temporary, path)


def sentence_pairs(bench: Path, task: str) -> list[tuple[dict, dict]]:
    """(English query record, Indonesian corpus record) of each pair of a sentence task."""
    corpus = {row["_id"]: row for row in read_jsonl(bench / task / "corpus.jsonl")}
    qrels = read_qrels(bench / task)
    return [(query, corpus[qrels[query["_id"]][0]])
            for query in read_jsonl(bench / task / "queries.jsonl") if query["_id"] in qrels]


def split_pairs(pairs: list[tuple[dict, dict]], seed: int):
    """Corpus, queries and qrels of a bilingual archive: per pair a coin keeps one side as the
    document and makes the other side its query."""
    coin = random.Random(seed)
    corpus, queries, qrels = [], [], []
    for number, (english, indonesian) in enumerate(pairs):
        keep_indonesian = coin.random() < 0.5
        doc, query = (indonesian, english) if keep_indonesian else (english, indonesian)
        doc_id, query_id = f"d{number}-{'id' if keep_indonesian else 'en'}", f"q{number}"
        corpus.append({"_id": doc_id, "title": doc.get("title", ""), "text": doc["text"]})
        queries.append({"_id": query_id, "text": query["text"]})
        qrels.append((query_id, doc_id))
    return corpus, queries, qrels


def sentence_bilingual(bench: Path, out: Path, task: str, name: str) -> Path:
    return write_task(out / name, *split_pairs(sentence_pairs(bench, task), SEED))


def ntrex_bilingual(bench: Path, out: Path) -> Path:
    mixed = read_jsonl(bench / "ntrex-mixed" / "corpus.jsonl")
    articles = {row["_id"]: row for row in mixed}
    en_queries = {row["_id"]: row for row in read_jsonl(bench / "ntrex-en-id" / "queries.jsonl")}
    id_queries = {row["_id"]: row for row in read_jsonl(bench / "ntrex-id-en" / "queries.jsonl")}
    en_qrels, id_qrels = read_qrels(bench / "ntrex-en-id"), read_qrels(bench / "ntrex-id-en")
    coin = random.Random(SEED)
    corpus, queries, qrels = [], [], []
    for query_id in en_queries:  # q0 … q122: the same story in both query files
        keep_indonesian = coin.random() < 0.5
        doc_id = (en_qrels if keep_indonesian else id_qrels)[query_id][0]
        query = (en_queries if keep_indonesian else id_queries)[query_id]
        corpus.append(articles[doc_id])
        queries.append({"_id": query_id, "text": query["text"]})
        qrels.append((query_id, doc_id))
    corpus += [row for row in mixed if not row["_id"].startswith("ntrex-")]
    write_task(out / "ntrex-bilingual-short", corpus, [{**query, "text": short(query["text"])} for query in queries], qrels)
    write_task(out / "ntrex-bilingual-lower", corpus, [{**query, "text": query["text"].lower()} for query in queries], qrels)
    write_task(out / "ntrex-bilingual-typed", corpus,
               [{**query, "text": short(query["text"]).lower()} for query in queries], qrels)
    return write_task(out / "ntrex-bilingual", corpus, queries, qrels)


def short(headline: str, words: int = 4) -> str:
    """A headline's first ``words`` words, as typed into a search box."""
    return " ".join(headline.replace("\u2018", "").replace("'", "").replace('"', "").split()[:words])


def questions_plus_english(bench: Path, out: Path, task: str, name: str) -> Path:
    english = read_jsonl(bench / "ntrex-id-en" / "corpus.jsonl")
    queries = read_jsonl(bench / task / "queries.jsonl")
    qrels = [(query, doc) for query, docs in read_qrels(bench / task).items() for doc in docs]
    return write_task(out / name, read_jsonl(bench / task / "corpus.jsonl") + english, queries, qrels)


def flores_id_en(bench: Path, out: Path) -> Path:
    pairs = sentence_pairs(bench, "flores-en-id")
    corpus = [{"_id": f"e{n}", "title": "", "text": english["text"]} for n, (english, _) in enumerate(pairs)]
    queries = [{"_id": f"q{n}", "text": indonesian["text"]} for n, (_, indonesian) in enumerate(pairs)]
    return write_task(out / "flores-id-en", corpus, queries, [(f"q{n}", f"e{n}") for n in range(len(pairs))])


SENTENCE_END = re.compile(r"(?<=[.!?\"”])\s+(?=[A-Z0-9\"“])")


SENTENCES_PER_STORY = 3


def story_sentences(coin: random.Random, text: str) -> list[str]:
    """Up to SENTENCES_PER_STORY sentences of 8 words or more of an article, chosen by ``coin``
    and kept in the article's order."""
    sentences = [s for s in SENTENCE_END.split(text) if len(s.split()) >= 8]
    chosen = sorted(coin.sample(range(len(sentences)), min(SENTENCES_PER_STORY, len(sentences))))
    return [sentences[n] for n in chosen]


def ntrex_stories(bench: Path) -> list[tuple[str, dict, dict]]:
    """(story's query id, English article, Indonesian article) of each NTREX story."""
    articles = {row["_id"]: row for row in read_jsonl(bench / "ntrex-mixed" / "corpus.jsonl")}
    to_english, to_indonesian = read_qrels(bench / "ntrex-id-en"), read_qrels(bench / "ntrex-en-id")
    return [(query, articles[to_english[query][0]], articles[to_indonesian[query][0]])
            for query in sorted(to_english, key=lambda q: int(q.lstrip("q")))]


def sentence_queries(stories, answer_of) -> tuple[list[dict], list[tuple[str, str]]]:
    """Queries (sentences of the article the answer is not) and qrels; ``answer_of(english,
    indonesian)`` gives (the answer's id, the article the sentences come from) or None to skip."""
    coin = random.Random(SEED)
    queries, qrels = [], []
    for story, english, indonesian in stories:
        if (chosen := answer_of(coin, english, indonesian)) is None:
            continue
        answer, source = chosen
        for n, sentence in enumerate(story_sentences(coin, source["text"])):
            queries.append({"_id": f"{story}-{n}", "text": sentence})
            qrels.append((f"{story}-{n}", answer))
    return queries, qrels


def ntrex_sentences(bench: Path, out: Path) -> list[Path]:
    """ntrex-sentence-id-en, ntrex-sentence-en-id and ntrex-bilingual-sentence."""
    stories = ntrex_stories(bench)
    to_english = sentence_queries(stories, lambda coin, en, id_: (en["_id"], id_))
    to_indonesian = sentence_queries(stories, lambda coin, en, id_: (id_["_id"], en))
    bilingual = read_jsonl(out / "ntrex-bilingual" / "corpus.jsonl")
    kept = {row["_id"] for row in bilingual}
    either = sentence_queries(stories, lambda coin, en, id_: (en["_id"], id_) if en["_id"] in kept
                              else (id_["_id"], en) if id_["_id"] in kept else None)
    return [
        write_task(out / "ntrex-sentence-id-en", read_jsonl(bench / "ntrex-id-en" / "corpus.jsonl"), *to_english),
        write_task(out / "ntrex-sentence-en-id", read_jsonl(bench / "ntrex-en-id" / "corpus.jsonl"), *to_indonesian),
        write_task(out / "ntrex-bilingual-sentence", bilingual, *either),
    ]


def build(bench: Path = BENCH, out: Path = OUT) -> list[Path]:
    """Every dev task, written (again) into ``out``; their folders."""
    return [
        sentence_bilingual(bench, out, "flores-en-id", "flores-bilingual"),
        sentence_bilingual(bench, out, "tatoeba-en-id", "tatoeba-bilingual"),
        ntrex_bilingual(bench, out),
        out / "ntrex-bilingual-short",
        out / "ntrex-bilingual-lower",
        out / "ntrex-bilingual-typed",
        questions_plus_english(bench, out, "facqa-news-id", "facqa-plus-en"),
        questions_plus_english(bench, out, "tydiqa-goldp-id", "tydiqa-plus-en"),
        flores_id_en(bench, out),
        *ntrex_sentences(bench, out),
    ]


if __name__ == "__main__":
    args = [Path(arg) for arg in sys.argv[1:]]
    for folder in build(*args):
        print(folder)
