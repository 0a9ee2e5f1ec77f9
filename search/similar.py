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

from search.engine import make_hit
from search.fusion import Part, fused
from search.reader import IndexReader
from search.results import Hit
from search.semantic import document_scores, language_offset, ranked_documents, scores_and_medians
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
    mean = reader.passage_vectors(position).mean(axis=0)
    return (mean / max(float(np.linalg.norm(mean)), 1e-12)).astype(np.float32)


def similar_scores(reader: IndexReader, position: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, float]:
    """(the document's centroid, every passage's balanced cosine with it, every document's best,
    the language offset of the document's own language: search.semantic.language_offset)."""
    query = centroid(reader, position)
    scores, medians = scores_and_medians(reader, query)
    return query, scores, document_scores(reader, scores), language_offset(medians, str(reader.langs[position]))


def similar(reader: IndexReader, name: str, k: int = 10, offset: int = 0) -> Similar:
    """The ``k`` articles most like the one ``name`` names (an id, a path, an explicit id),
    after the first ``offset``, best first; its own story apart."""
    doc_id = reader.resolve_id(name)
    position = reader.position(doc_id)
    story = story_members(reader, doc_id)
    query, scores, by_document, lower = similar_scores(reader, position)
    lang = str(reader.langs[position])
    others = np.ones(len(reader.docs), dtype=bool)  # every document but the article and its story
    others[[position] + [reader.position(member.id) for member in story]] = False
    # one more: is there a next page; the article's own language lowered, as for a query in it
    ranked = ranked_documents(reader, query, scores, by_document, offset + k + 1, lang, lower, keep=others)
    hits = [make_hit(reader, place, fused(other, [Part("semantic", cosine)]), None, (place, cosine), None, scores, {},
                     None, None, offset=lower if reader.langs[reader.position(other)] == lang else 0.0)
            for place, (other, cosine) in enumerate(ranked[offset:offset + k], start=offset + 1)]
    reader.let_go()  # as a search does (search.engine.find)
    return Similar(story, hits, len(ranked) > offset + k)
