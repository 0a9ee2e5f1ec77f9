"""Story groups in results: the documents that tell one story, in any language, shown as one.

Which documents tell one story is the index's own decision, made once when they were indexed
(index.storage.stories: their passages align, their figures agree, their dates are close), so a
search, `lintas show`, the JSON and the page always group alike, whatever the query's words.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from index.storage.stories import alignments
from search.reader import IndexReader
from search.results import Hit

STORY_LIMIT = 20  # `lintas show` lists at most this many other documents of a story


@dataclass(frozen=True)
class StoryMember:
    """Another document of a story, as `lintas show` and the article page list it."""

    id: str
    title: str
    lang: str
    date: str | None
    source: str | None
    similarity: float  # the passage alignment with the document shown

    def to_json(self) -> dict:
        return {"id": self.id, "title": self.title, "lang": self.lang, "date": self.date,
                "source": self.source, "similarity": self.similarity}


def in_story_order(reader: IndexReader, ranked: Sequence[str]) -> list[str]:
    """``ranked`` with each story's documents together, right after the story's best one, the
    stories in the order of their best documents: the order a grouped list shows them in (the
    terminal, the page), and so the order of the JSON's hits and of `lintas eval`'s ranking. A
    translation or copy of a good hit ranked lower (the model's same-language preference) comes
    up with it: ntrex-mixed, where every story is in both languages, 0.9630 -> 0.9890 nDCG@10
    (bench/RESULTS.md, "Stories together")."""
    members: dict[int, list[str]] = {}
    stories = reader.stories
    for doc in ranked:
        members.setdefault(int(stories[reader.position(doc)]), []).append(doc)
    return [doc for docs in members.values() for doc in docs]


def group_ranked(reader: IndexReader, ranked: Sequence[str], stories: int) -> dict[str, int]:
    """The story number (1-based, in order of each story's best document) of every document of
    the first ``stories`` stories of a ranked list, best documents first; the later ones are
    left out."""
    numbers: dict[int, int] = {}
    groups: dict[str, int] = {}
    for doc in ranked:
        story = int(reader.stories[reader.position(doc)])
        if story not in numbers:
            if len(numbers) == stories:
                continue
            numbers[story] = len(numbers) + 1
        groups[doc] = numbers[story]
    return groups


def story_members(reader: IndexReader, doc_id: str, limit: int = STORY_LIMIT) -> list[StoryMember]:
    """The other documents of ``doc_id``'s story, most aligned with it first."""
    position = reader.position(doc_id)
    story = reader.stories[position]
    others = [int(other) for other in np.flatnonzero(reader.stories == story) if other != position]
    if not others:
        return []
    counts = reader.table.counts[others].astype(np.int64)
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]]).astype(np.int64)
    vectors = np.concatenate([reader.passage_vectors(other) for other in others])
    aligned = alignments(reader.passage_vectors(position), vectors, starts, counts)
    found = sorted(zip(aligned.tolist(), others), key=lambda item: (-item[0], item[1]))
    members = []
    for similarity, other in found[:limit]:
        info = reader.docs[other]
        members.append(StoryMember(info.id, info.title, info.lang, info.date, info.source, round(similarity, 4)))
    return members


def stories_of(hits: Sequence[Hit]) -> list[list[Hit]]:
    """Hits gathered into their stories, in the order of each story's best hit (which comes
    first in its list); hits without a group stand alone."""
    stories: dict[object, list[Hit]] = {}
    for hit in hits:
        stories.setdefault(hit.group if hit.group is not None else ("hit", hit.rank), []).append(hit)
    return list(stories.values())


def confident_and_weak(hits: Sequence[Hit]) -> tuple[list[list[Hit]], list[list[Hit]]]:
    """stories_of ``hits`` split at the relevance floor (search.confidence): the stories with a
    confident hit, shown as results, and the others, weak matches; each in story order."""
    stories = stories_of(hits)
    confident = [story for story in stories if any(hit.confident for hit in story)]
    return confident, [story for story in stories if not any(hit.confident for hit in story)]
