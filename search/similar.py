"""More like this: the articles on the same subject as one article, in either language.

The article's passages are averaged into one vector, which is then searched like a query's
vector: each document scores its best passage, with the archive's language direction taken out
(search.semantic), so that an English article finds the Indonesian ones on its subject and not
only the English ones. The article's own story (its translations and rewrites,
search.stories) is listed apart: it is the same story, not a related one. Measured against a
plain nearest neighbour of the same vectors in bench/similar.py (bench/RESULTS.md, "More like
this").
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from search.fusion import Part, fused
from search.reader import IndexReader
from search.results import Hit
from search.semantic import best_passage, document_scores, passage_scores
from search.snippets import make_snippet
from search.stories import StoryMember, story_members


@dataclass(frozen=True)
class Similar:
    """What `lintas similar` shows: the article's story, then the articles like it."""

    story: list[StoryMember]
    hits: list[Hit]
    more: bool = False

    def to_json(self) -> dict:
        return {"story": [member.to_json() for member in self.story], "hits": [hit.to_json() for hit in self.hits]}


def centroid(reader: IndexReader, position: int) -> np.ndarray:
    """The mean of a document's passage vectors, at unit length."""
    start = int(reader.passage_starts[position])
    mean = reader.vectors[start:start + len(reader.docs[position].passages)].mean(axis=0)
    return (mean / max(float(np.linalg.norm(mean)), 1e-12)).astype(np.float32)


def similar_scores(reader: IndexReader, position: int) -> tuple[np.ndarray, np.ndarray]:
    """(every passage's balanced cosine with the document's centroid, every document's best)."""
    scores = passage_scores(reader, centroid(reader, position))
    return scores, document_scores(reader, scores)


def similar(reader: IndexReader, name: str, k: int = 10, offset: int = 0) -> Similar:
    """The ``k`` articles most like the one ``name`` names (an id, a path, an explicit id),
    after the first ``offset``, best first; its own story apart."""
    doc_id = reader.resolve_id(name)
    position = reader.position(doc_id)
    story = story_members(reader, doc_id)
    scores, by_document = similar_scores(reader, position)
    by_document = by_document.copy()
    by_document[position] = -np.inf
    for member in story:
        by_document[reader.position(member.id)] = -np.inf
    found = int(np.isfinite(by_document).sum())
    wanted = min(found, offset + k)
    if wanted <= offset:
        return Similar(story, [], False)
    top = np.argpartition(-by_document, wanted - 1)[:wanted]
    top = top[np.lexsort((top, -by_document[top]))][offset:]
    hits = [_hit(reader, offset + place, int(other), float(by_document[other]), scores)
            for place, other in enumerate(top, start=1)]
    return Similar(story, hits, found > offset + k)


def _hit(reader: IndexReader, rank: int, position: int, cosine: float, scores: np.ndarray) -> Hit:
    info = reader.docs[position]
    best = best_passage(reader, scores, position)
    text = reader.stored_text(info.id)
    fallback = info.passages[best + 1] if best + 1 < len(info.passages) else None
    snippet, _ = make_snippet(text, info.passages[best], info.lang, {}, info.title, fallback)
    item = fused(info.id, [Part("semantic", cosine)])
    return Hit(rank=rank, id=info.id, title=info.title, lang=info.lang, path=info.path, key=info.key,
               score=round(item.score, 6), score_parts=item.parts, keyword_rank=None, semantic_rank=rank,
               keyword_score=None, semantic_score=round(cosine, 6), snippet=snippet, date=info.date,
               source=info.source, confidence=None, confident=True)
