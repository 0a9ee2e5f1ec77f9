"""Story groups: documents that tell the same story, in any language, shown as one result.

Sameness is decided from what the index already has, no other model:

- the passage vectors: a translation or a close rewrite of an article has, for each of its
  passages, a close passage in the other (``alignment``: the smaller of the two directions'
  mean best passage cosine). The model scores two texts in one language higher than two in
  different languages, so a pair in one language must clear a higher bar;
- the numbers: a translation or a rewrite keeps the story's figures (832 dead, 7.5, 2018),
  where two articles on one topic report different ones (``number_agreement``);
- the dates: two dated articles further apart than ``max_days`` are different stories.

The rule's values were chosen by measurement on ntrex-mixed (bench/stories.py, figures and
method in bench/STORIES.md): on half of the queries, and checked on the other half.
"""
from __future__ import annotations

import re
import weakref
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date

import numpy as np

from search.reader import IndexReader
from search.results import Hit

STORY_LIMIT = 20  # `lintas show` lists at most this many other documents of a story
_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")


@dataclass(frozen=True)
class StoryRule:
    """When two documents tell the same story (bench/STORIES.md says how each value was chosen)."""

    min_alignment: float = 0.85  # two documents in different languages
    same_language_lift: float = 0.05  # added to min_alignment for two documents in one language
    min_number_agreement: float = 0.6  # Jaccard of their sets of numbers, when either has one
    no_numbers_margin: float = 0.02  # added to the alignment needed when neither has a number
    max_days: int = 3  # two dated documents further apart are different stories

    def needed(self, same_language: bool) -> float:
        """The least alignment that can make two documents one story."""
        return self.min_alignment + (self.same_language_lift if same_language else 0.0)

    def same(self, aligned: float, same_language: bool, numbers: tuple[frozenset, frozenset],
             days_apart: int | None) -> bool:
        if days_apart is not None and days_apart > self.max_days:
            return False
        needed = self.needed(same_language)
        agreement = number_agreement(*numbers)
        if agreement is None:
            return aligned >= needed + self.no_numbers_margin
        return aligned >= needed and agreement >= self.min_number_agreement


DEFAULT_RULE = StoryRule()


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


def numbers_in(text: str) -> frozenset[str]:
    """The numbers a text mentions, separators dropped ("1,000" and "1.000" are both "1000")."""
    return frozenset(re.sub(r"[.,]", "", match) for match in _NUMBER.findall(text))


def number_agreement(first: frozenset, second: frozenset) -> float | None:
    """Jaccard of two number sets; None when neither has a number (no evidence either way)."""
    union = first | second
    return len(first & second) / len(union) if union else None


def days_apart(first: str | None, second: str | None) -> int | None:
    if not first or not second:
        return None
    try:
        return abs((date.fromisoformat(first) - date.fromisoformat(second)).days)
    except ValueError:
        return None


_NUMBERS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()  # reader -> {position: numbers}


def _numbers(reader: IndexReader, position: int) -> frozenset[str]:
    cache = _NUMBERS.setdefault(reader, {})
    if position not in cache:
        cache[position] = numbers_in(reader.stored_text(reader.docs[position].id))
    return cache[position]


def _passages(reader: IndexReader, position: int) -> np.ndarray:
    start = int(reader.passage_starts[position])
    return reader.vectors[start:start + len(reader.docs[position].passages)]


def _alignment(scores: np.ndarray) -> float:
    """From a passages x passages cosine matrix: the smaller direction's mean best cosine."""
    return float(min(scores.max(axis=1).mean(), scores.max(axis=0).mean()))


def alignment(reader: IndexReader, first: int, second: int) -> float:
    """How well each document's passages are matched in the other (1 for the same text)."""
    return _alignment(np.einsum("ij,kj->ik", _passages(reader, first), _passages(reader, second)))


def _same(reader: IndexReader, first: int, second: int, aligned: float, rule: StoryRule) -> bool:
    a, b = reader.docs[first], reader.docs[second]
    same_language = a.lang == b.lang
    if aligned < rule.needed(same_language):  # the cheap test first: most pairs stop here
        return False
    return rule.same(aligned, same_language, (_numbers(reader, first), _numbers(reader, second)),
                     days_apart(a.date, b.date))


def leader_groups(items: Sequence[str], same: Callable[[str, str], bool], stories: int) -> dict[str, int]:
    """Story numbers (1-based, in list order of each story's first item) for the items of the
    first ``stories`` stories: walking the list in order, an item joins the first story whose
    first item ("leader") it is the same as, else starts a new story (or, past ``stories``
    stories, is left out). Comparing with leaders only keeps a chain of near neighbours
    from merging unrelated articles."""
    leaders: list[str] = []
    groups: dict[str, int] = {}
    for item in items:
        for number, leader in enumerate(leaders, start=1):
            if same(leader, item):
                groups[item] = number
                break
        else:
            if len(leaders) < stories:
                leaders.append(item)
                groups[item] = len(leaders)
    return groups


def group_ranked(reader: IndexReader, ranked: Sequence[str], stories: int,
                 rule: StoryRule = DEFAULT_RULE) -> dict[str, int]:
    """The story number of every document of the first ``stories`` stories of a ranked list
    (best documents first): see ``leader_groups``."""
    if not ranked:
        return {}
    positions = [reader.position(doc) for doc in ranked]
    counts = np.array([len(reader.docs[p].passages) for p in positions])
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
    # Every candidate's passage rows, gathered by one fancy index instead of a slice per document.
    first_rows = reader.passage_starts[positions]
    vectors = reader.vectors[np.repeat(first_rows - starts, counts) + np.arange(counts.sum())]
    where = {doc: i for i, doc in enumerate(ranked)}
    rows: dict[str, list[float]] = {}  # a leader's alignment with every candidate, computed once
    lowest = rule.needed(False)

    def same(leader: str, doc: str) -> bool:
        if leader not in rows:
            i = where[leader]
            rows[leader] = _alignments(vectors[starts[i]:starts[i] + counts[i]], vectors, starts, counts).tolist()
        aligned = rows[leader][where[doc]]
        return aligned >= lowest and _same(reader, positions[where[leader]], positions[where[doc]], aligned, rule)

    return leader_groups(list(ranked), same, stories)


def _alignments(ours: np.ndarray, vectors: np.ndarray, starts: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """``alignment`` of one document (its passage vectors ``ours``) with each of many
    (``vectors``, document i's passages at ``starts[i]``, ``counts[i]`` of them), in a few
    array passes: one product, then per document both directions' mean best cosine."""
    scores = np.einsum("ij,kj->ik", vectors, ours)  # every passage against ours
    theirs_matched = np.add.reduceat(scores.max(axis=1), starts) / counts
    ours_matched = np.maximum.reduceat(scores, starts, axis=0).mean(axis=1)
    return np.minimum(theirs_matched, ours_matched)


def story_members(reader: IndexReader, doc_id: str, limit: int = STORY_LIMIT,
                  rule: StoryRule = DEFAULT_RULE) -> list[StoryMember]:
    """The other documents of ``doc_id``'s story in the whole index (those that pass the same
    rule with it as in search results), most aligned first."""
    position = reader.position(doc_id)
    if len(reader.docs) < 2:
        return []
    counts = np.array([len(doc.passages) for doc in reader.docs])
    aligned = _alignments(_passages(reader, position), reader.vectors, reader.passage_starts, counts)
    aligned[position] = -1.0
    lowest = rule.needed(False)
    found = [(float(aligned[other]), other) for other in np.flatnonzero(aligned >= lowest)
             if _same(reader, position, int(other), float(aligned[other]), rule)]
    found.sort(key=lambda item: (-item[0], item[1]))
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
