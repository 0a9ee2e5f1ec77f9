"""The query syntax news searchers type: "an exact phrase", -word and -"a phrase".

``parse`` splits what was typed into the words both legs search (everything but the
exclusions; a phrase's words count as words too) and two constraints: the phrases a document
must contain, and the words or phrases it must not. ``Constraints`` turns them into the set of
documents a search may return, for each leg (the keyword leg counts in Whoosh's document
numbers, the vector leg in the index's order).

A phrase is matched as written, word after word, letters folded to lower case and punctuation
ignored ("Joko Widodo" matches "JOKO WIDODO," but not "Joko Anwar dan Widodo"); nothing is
stemmed, so a phrase crosses languages only where both write it alike: names, numbers, and
words one language took from the other.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cached_property

import numpy as np

from index.reading.analysis import TOKEN_RE, terms
from search.keyword import segment_postings
from search.reader import IndexReader

QUOTES = str.maketrans({"\u201c": '"', "\u201d": '"', "\u201e": '"', "\u00ab": '"', "\u00bb": '"'})
# -"a phrase" / "a phrase" / -word / word. A minus starts an exclusion only at the start of a
# term ("COVID-19" and "Jawa-Barat" are words), and only before a letter, a digit or a quote.
PIECE = re.compile(r'(?P<minus>-?)"(?P<phrase>[^"]*)"|(?P<word>\S+)')


def tokens(text: str) -> tuple[str, ...]:
    """The words and numbers of ``text`` as a phrase is matched: lower case, in order."""
    return tuple(word.lower() for word in TOKEN_RE.findall(text))


@dataclass(frozen=True)
class Parsed:
    words: str  # what both legs search: the query without its exclusions and quote marks
    phrases: tuple[tuple[str, ...], ...] = ()  # a document must contain each (as tokens)
    excluded: tuple[tuple[str, ...], ...] = ()  # a document containing any of these is left out

    @property
    def constrained(self) -> bool:
        return bool(self.phrases or self.excluded)


def parse(query: str) -> Parsed:
    """The query's words, phrases and exclusions. Curly quotes count as straight ones; a quote
    left open is no quote (its words are plain words); a phrase of one word must be in the
    document as a word; an empty phrase or a lone minus is nothing."""
    query = query.translate(QUOTES)
    if query.count('"') % 2:  # the last quote opens nothing: read it as a plain character
        at = query.rfind('"')
        query = query[:at] + " " + query[at + 1:]
    words, phrases, excluded = [], [], []
    for match in PIECE.finditer(query):
        if match.group("phrase") is not None:
            phrase = tokens(match.group("phrase"))
            if not phrase:
                continue
            if match.group("minus"):
                excluded.append(phrase)
            else:
                phrases.append(phrase)
                words.append(match.group("phrase").strip())
            continue
        word = match.group("word")
        if word.startswith("-") and len(word) > 1 and (word[1].isalnum()):
            if exclusion := tokens(word[1:]):
                excluded.append(exclusion)
            continue
        words.append(word.replace('"', " ").strip())
    return Parsed(" ".join(w for w in words if w), tuple(dict.fromkeys(phrases)), tuple(dict.fromkeys(excluded)))


def only_exclusions(parsed: Parsed) -> str | None:
    """Why a query of exclusions alone is no query (said after "the query"), else None."""
    if parsed.excluded and not any(ch.isalnum() for ch in parsed.words):
        return ("only says what to leave out (-word); give words to look for too, "
                'e.g. banjir -Jakarta')
    return None


class Constraints:
    """The documents ``parsed``'s phrases and exclusions let through, in one index generation.

    Each phrase or exclusion is looked up once: the documents holding all of its indexed words
    (Whoosh's exact-words postings; stopwords are not indexed there, so a phrase of stopwords
    alone checks every document), then, for a phrase of more than one word, the stored text of
    each of those documents read to check the words stand in that order.
    """

    def __init__(self, reader: IndexReader, parsed: Parsed) -> None:
        self.reader, self.parsed = reader, parsed

    @cached_property
    def _numbers(self) -> tuple[set[int] | None, set[int]]:
        """(Whoosh numbers of the documents that hold every phrase, None when there is no
        phrase; numbers of the documents that hold an excluded word or phrase)."""
        required: set[int] | None = None
        for phrase in self.parsed.phrases:
            found = self._holding(phrase)
            required = found if required is None else required & found
        excluded: set[int] = set()
        for phrase in self.parsed.excluded:
            excluded |= self._holding(phrase)
        return required, excluded

    def _holding(self, phrase: tuple[str, ...]) -> set[int]:
        """Whoosh numbers of the live documents whose text holds ``phrase``."""
        indexed = terms("text_exact", " ".join(phrase))
        with self.reader.searcher() as searcher:
            if indexed:
                found: set[int] | None = None
                for term in dict.fromkeys(indexed):
                    numbers = {int(n) + offset for _, offset, postings, _ in segment_postings(searcher, "text_exact", term)
                               for n in postings}
                    found = numbers if found is None else found & numbers
            else:
                found = {n for n in range(searcher.doc_count_all()) if not searcher.ixreader.is_deleted(n)}
            if len(phrase) == 1 and list(indexed) == list(phrase):
                return found  # one indexed word: its postings are the answer
            return {n for n in found if _holds(tokens(searcher.stored_fields(n).get("content", "")), phrase)}

    def number_mask(self, total: int) -> np.ndarray:
        """True for each Whoosh document number the constraints let through."""
        required, excluded = self._numbers
        keep = np.ones(total, dtype=bool) if required is None else np.zeros(total, dtype=bool)
        if required is not None and required:
            keep[list(required)] = True
        if excluded:
            keep[list(excluded)] = False
        return keep

    def position_mask(self) -> np.ndarray:
        """True for each document (in the index's order) the constraints let through."""
        required, excluded = self._numbers
        reader = self.reader
        count = len(reader.docs)
        keep = np.ones(count, dtype=bool) if required is None else np.zeros(count, dtype=bool)
        if required:
            keep[[reader.position(reader.document_id(n)) for n in required]] = True
        if excluded:
            keep[[reader.position(reader.document_id(n)) for n in excluded]] = False
        return keep


def _holds(words: tuple[str, ...], phrase: tuple[str, ...]) -> bool:
    """Whether ``phrase`` stands in ``words`` word after word."""
    size = len(phrase)
    first = phrase[0]
    return any(words[at:at + size] == phrase for at, word in enumerate(words) if word == first)
