"""Story links, decided once at index time: which documents tell the same story, in any language.

Two documents are linked when the rule (StoryRule) says so from what the index already has:

- the passage vectors: a translation or a close rewrite of an article has, for each of its
  passages, a close passage in the other (``alignments``: the smaller of the two directions'
  mean best passage cosine). The model scores two texts in one language higher than two in
  different languages, so a pair in one language must clear a higher bar (every pair but an
  Indonesian and an English document counts as one language), and so must a short line, as
  unrelated short lines align closely;
- the numbers: a translation or a rewrite keeps the story's figures (832 dead, 7.5, 2018),
  where two articles on one topic report different ones (``number_agreement``);
- the dates: two dated documents further apart than ``max_days`` are different stories.

Stories are made from the links, strongest first (``story_groups``), and search.stories groups
hits by them, so the groups are the index's, the same for every query, `lintas show`, the
JSON and the page. Every write computes the links of its new and changed documents against
every document (``link_documents``) and keeps the others' links. The rule's values were
chosen by measurement (bench/stories.py; figures and method in bench/STORIES.md).
"""
from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date

import numpy as np

from index.storage.balance import LANGUAGES

_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
STORIES_VERSION = 2  # 2: the cross-language bar for Indonesian-English pairs only; short lines need more


@dataclass(frozen=True)
class StoryRule:
    """When two documents tell the same story (bench/STORIES.md says how each value was chosen)."""

    min_alignment: float = 0.84  # two documents in different languages
    same_language_lift: float = 0.12  # added to min_alignment for two documents in one language
    min_number_agreement: float = 0.8  # shared numbers over the smaller set's, when either has one
    no_numbers_margin: float = 0.01  # added to the alignment needed when neither has a number
    max_days: int = 3  # two dated documents further apart are different stories
    short_words: int = 8  # a pair whose shorter document has fewer words than this (a line, not
    short_lift: float = 0.06  # an article, where unrelated lines align closely) needs this much more
    copy_alignment: float = 0.99  # no bar is higher: a copy is one story, however short

    def needed(self, same_language: bool, words: int | None = None) -> float:
        """The least alignment that can make two documents one story (``words``: the shorter
        one's; None: long enough for no lift)."""
        short = words is not None and words < self.short_words
        return (self.min_alignment + (self.same_language_lift if same_language else 0.0)
                + (self.short_lift if short else 0.0))

    def same(self, aligned: float, same_language: bool, numbers: tuple[frozenset, frozenset],
             days_apart: int | None, words: int | None = None) -> bool:
        """``words``: the shorter document's word count (None: not known, taken as long)."""
        if days_apart is not None and days_apart > self.max_days:
            return False
        needed = self.needed(same_language, words)
        agreement = number_agreement(*numbers)
        if agreement is None:
            return aligned >= min(needed + self.no_numbers_margin, self.copy_alignment)
        return aligned >= min(needed, self.copy_alignment) and agreement >= self.min_number_agreement

    def joins(self, aligned: float, first: StoryFacts, second: StoryFacts) -> bool:
        """``same`` for two documents aligned at ``aligned``, from what the index knows of each."""
        return self.same(aligned, one_language(first.lang, second.lang), (first.numbers, second.numbers),
                         days_apart(first.date, second.date), shorter(first.words, second.words))


DEFAULT_RULE = StoryRule()


def one_language(first: str, second: str) -> bool:
    """Whether two documents' pair is held to the one-language bar: every pair but one
    Indonesian and one English document. Only across those two are a translation's cosines
    lower for the language; a third tag is most often langdetect's guess on a short text, and
    held to the lower bar it linked unrelated short sentences (bench/STORIES.md)."""
    return first == second or {first, second} != set(LANGUAGES)


def numbers_in(text: str) -> frozenset[str]:
    """The numbers a text mentions, separators dropped ("1,000" and "1.000" are both "1000")."""
    return frozenset(re.sub(r"[.,]", "", match) for match in _NUMBER.findall(text))


def number_agreement(first: frozenset, second: frozenset) -> float | None:
    """The share of the smaller set's numbers that the other mentions too (a rewrite that keeps
    some of an article's figures agrees with it); 0 when only one has numbers; None when
    neither has one (no evidence either way)."""
    if not first and not second:
        return None
    if not first or not second:
        return 0.0
    return len(first & second) / min(len(first), len(second))


def shorter(first: int | None, second: int | None) -> int | None:
    """The shorter of two documents' word counts (None when neither is known)."""
    known = [words for words in (first, second) if words is not None]
    return min(known) if known else None


def days_apart(first: str | None, second: str | None) -> int | None:
    if not first or not second:
        return None
    try:
        return abs((date.fromisoformat(first) - date.fromisoformat(second)).days)
    except ValueError:
        return None


def alignments(ours: np.ndarray, vectors: np.ndarray, starts: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """The alignment of one document (its passage vectors ``ours``) with each of many
    (``vectors``, document i's passages at ``starts[i]``, ``counts[i]`` of them)."""
    return _aligned(ours, np.array([len(ours)]), vectors, starts, counts)[0]


@dataclass(frozen=True)
class StoryFacts:
    """What the rule needs of one document besides its vectors."""

    lang: str
    date: str | None
    numbers: frozenset[str]
    words: int | None = None  # None: not known (taken as long enough)


def link_documents(vectors: np.ndarray, counts: Sequence[int], facts: Sequence[StoryFacts],
                   linking: Iterable[int], rule: StoryRule = DEFAULT_RULE,
                   linked: Callable[[int], None] = lambda count: None) -> dict[int, dict[int, float]]:
    """The story links of the documents ``linking`` (positions) with every document: for each
    linked pair (both directions), its alignment. ``vectors``: every document's passages in
    order, ``counts[i]`` of them for document i. The documents are aligned in batches of about
    BATCH_PASSAGES passages, one matrix product per batch, with every document that can be of
    their story: a dated batch only with the documents dated within ``rule.max_days`` of it
    and the undated ones (the rule keeps no pair further apart), so that a news archive's
    build grows with its size times the articles of a week, not with its size squared (issue
    21: every pair took ~45 minutes at 100,000 articles, and would take ~3 days at a million).
    ``linked`` hears how many more of ``linking`` are done, batch by batch."""
    counts_array = np.asarray(counts, dtype=np.int64)
    starts = np.concatenate([[0], np.cumsum(counts_array)[:-1]]).astype(np.int64)
    lowest = rule.needed(False)
    links: dict[int, dict[int, float]] = {}
    if len(counts_array) < 2:
        return links
    days = _days(facts)
    undated = days == UNDATED
    order = sorted(set(linking), key=lambda position: (bool(undated[position]), int(days[position]), position))
    for batch in _batches(order, counts_array):
        near = None if undated[batch].any() else np.flatnonzero(
            undated | ((days >= days[batch].min() - rule.max_days) & (days <= days[batch].max() + rule.max_days)))
        if near is None or len(near) == len(counts_array):
            near, aligned = np.arange(len(counts_array)), _aligned_with_all(batch, vectors, starts, counts_array)
        else:
            aligned = _aligned_with_some(batch, near, vectors, starts, counts_array)
        for row, position in enumerate(batch):
            aligned[row, np.searchsorted(near, position)] = -1.0
            for column in np.flatnonzero(aligned[row] >= lowest).tolist():
                other = int(near[column])
                value = float(aligned[row, column])
                if rule.joins(value, facts[position], facts[other]):
                    links.setdefault(position, {})[other] = round(value, 4)
                    links.setdefault(other, {})[position] = round(value, 4)
        linked(len(batch))
    return links


UNDATED = np.iinfo(np.int64).min


def _days(facts: Sequence[StoryFacts]) -> np.ndarray:
    """Each document's date as a day number (UNDATED when it has none that days_apart reads)."""
    days = np.full(len(facts), UNDATED, dtype=np.int64)
    for position, fact in enumerate(facts):
        if fact.date:
            try:
                days[position] = date.fromisoformat(fact.date).toordinal()
            except ValueError:
                pass
    return days


BATCH_PASSAGES = 256


def _batches(positions: list[int], counts: np.ndarray) -> Iterable[list[int]]:
    batch, size = [], 0
    for position in positions:
        batch.append(position)
        size += int(counts[position])
        if size >= BATCH_PASSAGES:
            yield batch
            batch, size = [], 0
    if batch:
        yield batch


def _aligned(own: np.ndarray, own_counts: np.ndarray, vectors: np.ndarray, starts: np.ndarray,
             counts: np.ndarray) -> np.ndarray:
    """The alignment of each of some documents (their passages ``own``, ``own_counts[k]`` of
    them for the k-th) with each of many (``vectors``, ``starts``, ``counts``), in a few array
    passes: one product, then per pair of documents both directions' mean best cosine; the
    smaller of the two. Shape (len(own_counts), len(counts))."""
    own_starts = np.concatenate([[0], np.cumsum(own_counts)[:-1]]).astype(np.int64)
    scores = vectors @ own.T  # every passage against each of ours
    # each passage's best match in each of our documents, averaged over its document's passages
    theirs = np.add.reduceat(np.maximum.reduceat(scores, own_starts, axis=1), starts, axis=0) / counts[:, None]
    # each of our passages' best match in each document, averaged over our document's passages
    ours = np.add.reduceat(np.maximum.reduceat(scores, starts, axis=0), own_starts, axis=1) / own_counts[None, :]
    return np.minimum(theirs, ours).T


def _aligned_with_all(batch: list[int], vectors: np.ndarray, starts: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """``_aligned`` for the documents ``batch`` (positions) with every document."""
    own = np.concatenate([vectors[starts[p]:starts[p] + counts[p]] for p in batch])
    return _aligned(own, counts[batch], vectors, starts, counts)


def _aligned_with_some(batch: list[int], near: np.ndarray, vectors: np.ndarray, starts: np.ndarray,
                       counts: np.ndarray) -> np.ndarray:
    """``_aligned`` for the documents ``batch`` with the documents ``near`` (positions, sorted)."""
    own = np.concatenate([vectors[starts[p]:starts[p] + counts[p]] for p in batch])
    sizes = counts[near]
    firsts = np.cumsum(sizes) - sizes
    rows = np.arange(int(sizes.sum())) - np.repeat(firsts, sizes) + np.repeat(starts[near], sizes)
    return _aligned(own, counts[batch], vectors[rows], firsts.astype(np.int64), sizes)


def story_groups(links: Sequence[dict[int, float]]) -> list[int]:
    """Each document's story (the position of its story's first document), from the links
    (``links[i]``: position -> alignment): the strongest links first, a link makes a story of two
    documents in none yet, or adds one to the story of the other when it is linked to that
    story's first document too. So a story never grows by a chain of look-alikes (A like B like
    C), and a translation pair, whose link is the strongest either has, stays together. Depends
    only on the links: the same for every query."""
    edges = sorted(((value, i, j) for i, others in enumerate(links) for j, value in others.items() if i < j),
                   key=lambda edge: (-edge[0], edge[1], edge[2]))
    story = [-1] * len(links)
    for _, i, j in edges:
        if story[i] < 0 and story[j] < 0:
            story[i] = story[j] = min(i, j)
        elif story[j] < 0 and (story[i] == i or story[i] in links[j]):
            story[j] = story[i]
        elif story[i] < 0 and (story[j] == j or story[j] in links[i]):
            story[i] = story[j]
    return [own if own >= 0 else i for i, own in enumerate(story)]


MAX_LINKS = 20  # a document keeps its strongest links: a story is rarely bigger


def update_links(records: list[dict], vectors: np.ndarray, changed: set[str], rule: StoryRule = DEFAULT_RULE,
                 progress: Callable[[int, int], None] = lambda done, total: None, recheck: bool = False) -> None:
    """Keep every record's ``story`` links current (record id -> alignment): the documents in
    ``changed`` (new or re-indexed) are linked anew with every document, the others keep theirs
    to documents still there. ``vectors``: every record's passages, in record order; each record
    needs ``numbers`` and ``words``. Records written before links were kept are all linked;
    ``recheck``: the kept links were made by an older, looser rule (STORIES_VERSION 1) and each
    is checked again by ``rule`` (every rule since is stricter, so this gives the links a new
    linking would, without aligning anything).

    The vectors are the model's own (not the language-balanced ones of the vector leg): they
    never change, so a link made once holds however the archive grows. ``progress(done,
    total)`` hears of the documents linked anew (minutes at a million articles)."""
    everything = any("story" not in rec for rec in records)
    ids = [rec["id"] for rec in records]
    live = set(ids) - changed
    relink = [i for i, rec in enumerate(records) if everything or rec["id"] in changed]
    for i in relink:
        records[i]["story"] = {}
    for rec in records:  # links to documents gone or re-indexed go (the latter are made again below)
        rec["story"] = {other: value for other, value in rec["story"].items() if other in live}
    facts = [StoryFacts(rec["lang"], rec.get("date"), frozenset(rec["numbers"]), rec.get("words")) for rec in records]
    if recheck:
        _recheck(records, facts, rule)
    if relink:
        progress(0, len(relink))
    links = link_documents(vectors, [len(rec["passages"]) for rec in records], facts, relink, rule,
                           linked=lambda count: progress(count, len(relink)))
    for i, others in links.items():
        records[i]["story"].update({ids[j]: value for j, value in others.items()})
    for rec in records:
        if len(rec["story"]) > MAX_LINKS:
            rec["story"] = dict(sorted(rec["story"].items(), key=lambda item: -item[1])[:MAX_LINKS])


def _recheck(records: list[dict], facts: Sequence[StoryFacts], rule: StoryRule) -> None:
    """Drop each kept link that ``rule`` does not make."""
    position = {rec["id"]: i for i, rec in enumerate(records)}
    for mine, rec in zip(facts, records):
        rec["story"] = {other: value for other, value in rec["story"].items()
                        if rule.joins(value, mine, facts[position[other]])}
