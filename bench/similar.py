"""More like this (`lintas similar`), measured on a bilingual archive with subject labels.

    LINTAS_CACHE=... python bench/similar.py [--distractors 600]

The archive: every NTREX news article of ../shared/bench/ntrex-mixed, in English and in
Indonesian, cut into pieces of three sentences, each piece a document; the pieces of one
article (in both languages) share its subject. Beside them, IndoSum Indonesian news articles
of other subjects. Every piece asks for the articles like it; precision@10 is the share of the
ten that are pieces of the same article (in either language).

Compared in the same run, on the same vectors:
- plain nearest neighbour: each document's mean passage vector, cosine with every other
  document's (what a vector store's "more like this" does);
- the same with the archive's language direction taken out of both (reader.balance);
- Lintas (search.similar): the balanced mean vector against every passage, a document
  scored by its best passage, the piece's own story listed apart, the piece's own language
  lowered by its language offset (search.semantic.language_offset); and the same without
  the offset.
Every method is scored on its ten best after the piece's story (its translation, when the
index linked them) is set apart, and plain nearest neighbour also as it ranks, story included.
"""
from __future__ import annotations

import argparse
import json
import os
import re
import sys
import tempfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
BENCH = Path(os.environ.get("LINTAS_BENCH", "/work/shared/bench"))

from search.serving.evaluation import open_task_index, read_task  # noqa: E402
from search.similar import centroid, similar_scores  # noqa: E402

SENTENCE_END = re.compile(r"(?<=[.!?\"”])\s+(?=[A-Z0-9\"“])")
PIECE = 3  # sentences per piece


def archive(distractors: int) -> list[dict]:
    documents = []
    with open(BENCH / "ntrex-mixed" / "corpus.jsonl", encoding="utf-8") as lines:
        records = [json.loads(line) for line in lines if line.strip()]
    kept = 0
    for record in records:
        if record["_id"].startswith("ntrex-"):
            sentences = SENTENCE_END.split(record["text"])
            for n, start in enumerate(range(0, len(sentences), PIECE)):
                text = " ".join(sentences[start:start + PIECE])
                documents.append({"_id": f"{record['_id']}-p{n}", "title": "", "text": text})
        elif kept < distractors:
            documents.append({"_id": record["_id"], "title": "", "text": record["text"]})
            kept += 1
    return documents


def subject(doc_id: str) -> str | None:
    """'ntrex-en-12-p3' -> '12'; None for a distractor."""
    match = re.fullmatch(r"ntrex-(?:en|id)-(\d+)-p\d+", doc_id.rsplit("#", 1)[-1])
    return match.group(1) if match else None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--distractors", type=int, default=600)
    args = parser.parse_args()
    print(f"command: python bench/similar.py --distractors {args.distractors}")
    work = Path(os.environ.get("LINTAS_CACHE", tempfile.gettempdir())) / "bench-similar" / str(args.distractors)
    (work / "qrels").mkdir(parents=True, exist_ok=True)
    body = "".join(json.dumps(doc, ensure_ascii=False) + "\n" for doc in archive(args.distractors))
    corpus = work / "corpus.jsonl"
    if not corpus.exists() or corpus.read_text(encoding="utf-8") != body:
        corpus.write_text(body, encoding="utf-8")
    (work / "queries.jsonl").write_text('{"_id": "q", "text": "unused"}\n', encoding="utf-8")
    (work / "qrels" / "test.tsv").write_text("query-id\tcorpus-id\tscore\nq\tx\t1\n", encoding="utf-8")
    reader = open_task_index(read_task(work), work / "index")

    subjects = [subject(doc.id) for doc in reader.docs]
    stories = np.array(reader.stories)
    centroids = np.stack([centroid(reader, p) for p in range(len(reader.docs))])
    balanced = centroids.copy()
    if reader.balance is not None:
        u = reader.balance.direction
        balanced -= np.outer(balanced @ u, u)
        balanced /= np.linalg.norm(balanced, axis=1, keepdims=True)
    methods = {"plain nearest neighbour, story included": [], "plain nearest neighbour": [],
               "nearest neighbour, language direction out": [], "Lintas (similar), no language offset": [],
               "Lintas (similar)": []}
    pieces = [p for p, s in enumerate(subjects) if s is not None]
    langs = np.asarray(reader.langs)
    for p in pieces:
        own_story = (stories == stories[p])

        def precision(scores: np.ndarray, set_apart: bool) -> tuple[float, float]:
            scores = scores.astype(np.float64).copy()
            scores[p] = -np.inf
            if set_apart:
                scores[own_story] = -np.inf
            top = np.argsort(-scores, kind="stable")[:10]
            same = [t for t in top if subjects[t] == subjects[p]]
            return len(same) / 10, sum(reader.docs[t].lang != reader.docs[p].lang for t in same) / 10

        methods["plain nearest neighbour, story included"].append(precision(centroids @ centroids[p], False))
        methods["plain nearest neighbour"].append(precision(centroids @ centroids[p], True))
        methods["nearest neighbour, language direction out"].append(precision(balanced @ balanced[p], True))
        _, _, by_document, lowered = similar_scores(reader, p)
        methods["Lintas (similar), no language offset"].append(precision(by_document, True))
        methods["Lintas (similar)"].append(precision(by_document - lowered * (langs == reader.langs[p]), True))
    per_subject = np.bincount([int(subjects[p]) for p in pieces])
    print(f"archive: {len(reader.docs)} documents ({len(pieces)} pieces of {len(set(subjects) - {None})} articles "
          f"in two languages, {len(reader.docs) - len(pieces)} other articles); a piece has "
          f"{np.median(per_subject[per_subject > 0]) - 1:.0f} others of its subject (median)")
    print("| method | precision@10 of same subject | of which in the other language |")
    print("|---|---|---|")
    for name, values in methods.items():
        both = np.array(values)
        print(f"| {name} | {both[:, 0].mean():.4f} | {both[:, 1].mean():.4f} |")


if __name__ == "__main__":
    main()
