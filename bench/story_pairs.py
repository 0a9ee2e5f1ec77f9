"""Story links over whole archives, on four kinds of pairs: precision and recall of the pairs
they join, for the shipped rule and the ones it was chosen among.

    LINTAS_CACHE=/work/tmp/cache .venv/bin/python bench/story_pairs.py [--grid]

Each archive is indexed as `lintas eval` indexes a task (vectors from the shared cache), then
every document is linked with every other by index.stories.link_documents, the same code
`lintas index` runs, and stories are the sets joined by links. Over every pair of documents
of the archive: **precision**, of the pairs put in one story, the share that are a true pair;
**recall**, of the true pairs, the share put in one story.

The kinds of pairs (the truth: a document and its translation or rewrite; nothing else):
- ntrex articles: ntrex-mixed as it is (123 English news articles and their Indonesian
  translations, 3,744 distractors of both languages);
- ntrex rewrites: the same archive with each Indonesian translation cut to its first half
  (a rewrite that keeps only some of the story's figures);
- news sentences: the 1,012 FLORES sentences in English and in Indonesian, one archive
  (consecutive sentences of one article are the distractors: one topic, other figures);
- short sentences: the 1,000 Tatoeba sentences in English and in Indonesian, one archive.

``--grid`` also prints every rule of the grid, and the choice made as bench/STORIES.md says.
"""
from __future__ import annotations

import argparse
import itertools
import json
import os
import sys
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from index import stories as index_stories  # noqa: E402
from index.embedding import cache_dir  # noqa: E402
from index.stories import DEFAULT_RULE, StoryFacts, StoryRule, link_documents, numbers_in, story_ids  # noqa: E402
from search.evaluation import open_task_index, read_task  # noqa: E402

BENCH = Path(os.environ.get("LINTAS_BENCH", "/work/shared/bench"))
KINDS = ("ntrex articles", "ntrex rewrites", "news sentences", "short sentences")


def _write_task(folder: Path, documents: list[dict]) -> Path:
    """A BEIR folder holding ``documents`` (one judged query, which nothing here runs)."""
    (folder / "qrels").mkdir(parents=True, exist_ok=True)
    body = "".join(json.dumps(doc, ensure_ascii=False) + "\n" for doc in documents)
    if not (folder / "corpus.jsonl").exists() or (folder / "corpus.jsonl").read_text(encoding="utf-8") != body:
        (folder / "corpus.jsonl").write_text(body, encoding="utf-8")
    (folder / "queries.jsonl").write_text(json.dumps({"_id": "q", "text": "unused"}) + "\n", encoding="utf-8")
    (folder / "qrels" / "test.tsv").write_text(f"query-id\tcorpus-id\tscore\nq\t{documents[0]['_id']}\t1\n",
                                               encoding="utf-8")
    return folder


def _jsonl(path: Path) -> list[dict]:
    with open(path, encoding="utf-8") as lines:
        return [json.loads(line) for line in lines if line.strip()]


def _first_half(text: str) -> str:
    sentences = [s for s in text.replace("\n", " ").split(". ") if s.strip()]
    return ". ".join(sentences[:max(1, len(sentences) // 2)]).rstrip(".") + "."


def archives() -> dict[str, tuple[Path, dict[str, str]]]:
    """Each kind's task folder and its truth: {document _id: its pair's name}."""
    work = cache_dir() / "story-pairs"
    out: dict[str, tuple[Path, dict[str, str]]] = {}
    mixed = _jsonl(BENCH / "ntrex-mixed" / "corpus.jsonl")
    pairs = {doc["_id"]: doc["_id"].rsplit("-", 1)[1] for doc in mixed if doc["_id"].startswith("ntrex-")}
    out["ntrex articles"] = (BENCH / "ntrex-mixed", pairs)
    rewritten = [{**doc, "text": _first_half(doc["text"])} if doc["_id"].startswith("ntrex-id-") else doc
                 for doc in mixed]
    out["ntrex rewrites"] = (_write_task(work / "ntrex-rewrites", rewritten), pairs)
    for kind, name in (("news sentences", "flores-en-id"), ("short sentences", "tatoeba-en-id")):
        corpus = _jsonl(BENCH / name / "corpus.jsonl")
        queries = _jsonl(BENCH / name / "queries.jsonl")
        qrels = [line.split("\t") for line in (BENCH / name / "qrels" / "test.tsv").read_text().splitlines()[1:]]
        documents = ([{"_id": f"id-{doc['_id']}", "title": "", "text": doc["text"]} for doc in corpus]
                     + [{"_id": f"en-{query['_id']}", "title": "", "text": query["text"]} for query in queries])
        truth: dict[str, str] = {}
        for query_id, doc_id, _ in qrels:
            truth[f"en-{query_id}"] = truth.setdefault(f"id-{doc_id}", query_id)
        out[kind] = (_write_task(work / name, documents), truth)
    return out


@dataclass
class Archive:
    vectors: np.ndarray
    balanced: np.ndarray
    counts: list[int]
    facts: list[StoryFacts]
    truth: list[str | None]  # each document's pair name, None for a distractor


def load(folder: Path, truth: dict[str, str]) -> Archive:
    reader = open_task_index(read_task(folder), None)
    counts = [len(doc.passages) for doc in reader.docs]
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
    assert np.array_equal(starts, reader.passage_starts), "passages are not stored in document order"
    vectors = np.asarray(reader.vectors, dtype=np.float32)
    balanced = vectors
    if reader.balance is not None:
        u = reader.balance.direction
        balanced = vectors - np.outer(vectors @ u, u)
        balanced /= np.linalg.norm(balanced, axis=1, keepdims=True)
    facts = [StoryFacts(doc.lang, doc.date, numbers_in(reader.stored_text(doc.id))) for doc in reader.docs]
    names = [truth.get(doc.id.rsplit("#", 1)[-1]) for doc in reader.docs]
    return Archive(vectors, balanced.astype(np.float32), counts, facts, names)


@dataclass(frozen=True)
class Score:
    joined: int
    right: int
    pairs: int

    @property
    def precision(self) -> float:
        return self.right / self.joined if self.joined else 1.0

    @property
    def recall(self) -> float:
        return self.right / self.pairs if self.pairs else 1.0


def candidates(archive: Archive, balanced: bool, lowest: float) -> list[tuple[int, int, float]]:
    """Every pair (i < j) aligned at least ``lowest``, with its alignment (index.stories.alignments)."""
    vectors = archive.balanced if balanced else archive.vectors
    counts = np.asarray(archive.counts)
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]]).astype(np.int64)
    found = []
    for i in range(len(counts)):
        aligned = index_stories.alignments(vectors[starts[i]:starts[i] + counts[i]], vectors, starts, counts)
        for j in np.flatnonzero(aligned[i + 1:] >= lowest).tolist():
            found.append((i, i + 1 + j, float(aligned[i + 1 + j])))
    return found


def score_links(archive: Archive, links: list[tuple[int, int]]) -> Score:
    adjacency: list[set[int]] = [set() for _ in archive.counts]
    for a, b in links:
        adjacency[a].add(b)
        adjacency[b].add(a)
    members: dict[int, list[int]] = {}
    for position, story in enumerate(story_ids(adjacency)):
        members.setdefault(story, []).append(position)
    joined = right = 0
    for group in members.values():
        for a, b in itertools.combinations(group, 2):
            joined += 1
            right += archive.truth[a] is not None and archive.truth[a] == archive.truth[b]
    by_pair: dict[str, int] = {}
    for name in archive.truth:
        if name is not None:
            by_pair[name] = by_pair.get(name, 0) + 1
    return Score(joined, right, sum(n * (n - 1) // 2 for n in by_pair.values()))


def rule_links(archive: Archive, pairs: list[tuple[int, int, float]], rule: StoryRule) -> list[tuple[int, int]]:
    facts = archive.facts
    return [(a, b) for a, b, aligned in pairs
            if rule.same(aligned, facts[a].lang == facts[b].lang, (facts[a].numbers, facts[b].numbers),
                         index_stories.days_apart(facts[a].date, facts[b].date))]


def shipped(archive: Archive) -> Score:
    """The shipped rule through the code `lintas index` runs."""
    links = link_documents(archive.balanced if BALANCED else archive.vectors, archive.counts, archive.facts,
                           range(len(archive.counts)))
    return score_links(archive, [(a, b) for a, others in links.items() for b in others if a < b])


GRID = {
    "min_alignment": [0.80, 0.82, 0.83, 0.84, 0.85, 0.86, 0.87],
    "min_number_agreement": [0.5, 0.6, 0.8, 1.0],
    "no_numbers_margin": [0.0, 0.02, 0.04, 0.06],
}


BALANCED = True  # the links are computed on the language-balanced vectors (index.stories)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--grid", action="store_true")
    args = parser.parse_args()
    print(f"$ LINTAS_CACHE={os.environ.get('LINTAS_CACHE', '')} .venv/bin/python bench/story_pairs.py"
          f"{' --grid' if args.grid else ''}")
    loaded = {kind: load(folder, truth) for kind, (folder, truth) in archives().items()}
    for kind, archive in loaded.items():
        print(f"{kind}: {len(archive.counts)} documents, {sum(archive.counts)} passages, "
              f"{sum(1 for t in archive.truth if t) // 2} true pairs")
    print(f"{'rule':<52} " + " ".join(f"{kind:>20}" for kind in KINDS))
    print(f"{'shipped (index.stories.DEFAULT_RULE)':<52} "
          + " ".join(_cell(shipped(loaded[kind])) for kind in KINDS), flush=True)
    if not args.grid:
        return
    lowest = min(GRID["min_alignment"])
    for balanced in (False, True):
        pairs = {kind: candidates(archive, balanced, lowest) for kind, archive in loaded.items()}
        for values in itertools.product(*GRID.values()):
            rule = replace(DEFAULT_RULE, **dict(zip(GRID, values)))
            scores = [score_links(loaded[kind], rule_links(loaded[kind], pairs[kind], rule)) for kind in KINDS]
            label = f"{'balanced' if balanced else 'raw'} " + " ".join(f"{v:g}" for v in values)
            print(f"{label:<52} " + " ".join(_cell(s) for s in scores), flush=True)


def _cell(s: Score) -> str:
    return f"  P {s.precision:.3f} R {s.recall:.3f}"


if __name__ == "__main__":
    main()
