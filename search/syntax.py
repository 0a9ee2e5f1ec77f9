"""The query syntax news searchers type: "an exact phrase", -word and -"a phrase".

``parse`` splits what was typed into the words both legs search (everything but the
exclusions; a phrase's words count as words too) and two constraints: the phrases a document
must contain, and the words or phrases it must not. ``Constraints`` turns them into the set of
documents a search may return, for each leg (the keyword leg counts in Whoosh's document
numbers, the vector leg in the index's order).

A phrase is matched as written, word after word, letters folded to lower case and punctuation
ignored ("Joko Widodo" matches "JOKO WIDODO," but not "Joko Anwar dan Widodo"), in the articles
of its own language. Nothing is stemmed or translated, so in the other language's articles a
phrase asks only for what crosses languages as written: its names and numbers (its words with a
capital letter or a digit, not counting function words). A quoted English phrase of common words
("looking like muppets", pasted with a headline) thus binds the English articles and leaves the
Indonesian ones to be found by meaning, as if it were not quoted. A phrase whose language is
unclear (a name alone: "Joko Widodo") binds every article word for word.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cached_property

import numpy as np

from index.reading.analysis import TOKEN_RE, names_and_numbers, terms
from index.reading.language import detect_query_language
from search.keyword import term_numbers, wanted_postings
from search.reader import IndexReader

QUOTES = str.maketrans({"\u201c": '"', "\u201d": '"', "\u201e": '"', "\u00ab": '"', "\u00bb": '"'})
# -"a phrase" / "a phrase" / -word / word. A minus starts an exclusion only at the start of a
# term ("COVID-19" and "Jawa-Barat" are words), and only before a letter, a digit or a quote.
PIECE = re.compile(r'(?P<minus>-?)"(?P<phrase>[^"]*)"|(?P<word>\S+)')


def tokens(text: str) -> tuple[str, ...]:
    """The words and numbers of ``text`` as a phrase is matched: lower case, in order."""
    return tuple(word.lower() for word in TOKEN_RE.findall(text))


@dataclass(frozen=True)
class Phrase:
    words: tuple[str, ...]  # its tokens, lower case
    lang: str | None = None  # "id" or "en": the articles it binds word for word; None: every article
    names: tuple[str, ...] = ()  # its names and numbers, lower case: what it asks of the other language

    @classmethod
    def of(cls, text: str, query_lang: str | None) -> "Phrase":
        return cls(tokens(text), detect_query_language(text) or query_lang, tuple(names_and_numbers(text)))


@dataclass(frozen=True)
class Parsed:
    words: str  # what both legs search: the query without its exclusions and quote marks
    phrases: tuple[Phrase, ...] = ()  # a document must hold each (search.syntax's rule)
    excluded: tuple[tuple[str, ...], ...] = ()  # a document holding any of these (as tokens) is left out

    @property
    def constrained(self) -> bool:
        return bool(self.phrases or self.excluded)


def parse(query: str) -> Parsed:
    """The query's words, phrases and exclusions. Curly quotes count as straight ones; a quote
    left open is no quote (its words are plain words); a phrase of one word must be in the
    document as a word; an empty phrase or a lone minus is nothing."""
    typed, query = query, query.translate(QUOTES)
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
                phrases.append(match.group("phrase").strip())
                words.append(match.group("phrase").strip())
            continue
        word = match.group("word")
        if word.startswith("-") and len(word) > 1 and (word[1].isalnum()):
            if exclusion := tokens(word[1:]):
                excluded.append(exclusion)
            continue
        words.append(word.replace('"', " ").strip())
    if not phrases and not excluded:
        return Parsed(typed)  # no operator: the query as typed, stray quotes and all, as before
    text = " ".join(w for w in words if w)
    query_lang = detect_query_language(text) if phrases else None
    return Parsed(text, tuple(dict.fromkeys(Phrase.of(phrase, query_lang) for phrase in phrases)),
                  tuple(dict.fromkeys(excluded)))


def only_exclusions(parsed: Parsed) -> str | None:
    """Why a query of exclusions alone is no query (said after "the query"), else None."""
    if parsed.excluded and not any(ch.isalnum() for ch in parsed.words):
        return ("only says what to leave out (-word); give words to look for too, "
                'e.g. banjir -Jakarta')
    return None


@dataclass(frozen=True)
class _Found:
    """What one phrase lets through, as Whoosh numbers: the documents holding it word for word,
    and for a phrase of known language, the documents holding its names (None: no names, so
    every document of another language)."""

    full: frozenset[int]
    lang: str | None
    names: frozenset[int] | None


class Constraints:
    """The documents ``parsed``'s phrases and exclusions let through, in one index generation.

    Each phrase or exclusion is looked up once: the documents holding all of its indexed words
    (Whoosh's exact-words postings; stopwords are not indexed there, so a phrase of stopwords
    alone checks every document), then, for a phrase of more than one word, the stored text of
    each of those documents read to check the words stand in that order. A phrase binds the
    documents of its language so; the others need only its names and numbers (module docstring).
    The keyword leg takes the result as Whoosh numbers, the vector leg in the index's order;
    only the documents named by postings are translated from one to the other (a language is
    a column of the reader), so a phrase of common words costs no look-up per document.
    """

    def __init__(self, reader: IndexReader, parsed: Parsed) -> None:
        self.reader, self.parsed = reader, parsed

    @cached_property
    def _found(self) -> tuple[list[_Found], frozenset[int]]:
        """(what each phrase lets through; the documents holding an excluded word or phrase)."""
        phrases = []
        for phrase in self.parsed.phrases:
            names = None
            if phrase.lang is not None and phrase.names:
                names = frozenset(self._holding_each(phrase.names))
            phrases.append(_Found(frozenset(self._holding(phrase.words)), phrase.lang, names))
        excluded: set[int] = set()
        for words in self.parsed.excluded:
            excluded |= self._holding(words)
        return phrases, frozenset(excluded)

    @cached_property
    def _live(self) -> set[int]:
        with self.reader.searcher() as searcher:
            return {n for n in range(searcher.doc_count_all()) if not searcher.ixreader.is_deleted(n)}

    def _holding_each(self, words) -> set[int]:
        """Whoosh numbers of the live documents holding every one of ``words`` (indexed ones)."""
        words = list(dict.fromkeys(words))
        if not words:
            return self._live
        with self.reader.searcher() as searcher:
            # the rarest word's documents, then each other word looked up only where they are:
            # of a common word's postings, the blocks that can hold one of them (search.keyword)
            words.sort(key=lambda term: searcher.doc_frequency("text_exact", term))
            found = term_numbers(searcher, "text_exact", words[0])
            for term in words[1:]:
                held = np.zeros(len(found), dtype=bool)
                for _, _, places, _ in wanted_postings(searcher, "text_exact", term, found):
                    held[places] = True
                found = found[held]
        return set(found.tolist())

    def _holding(self, phrase: tuple[str, ...]) -> set[int]:
        """Whoosh numbers of the live documents whose text holds ``phrase`` word for word."""
        indexed = terms("text_exact", " ".join(phrase))
        found = self._holding_each(indexed)
        if len(phrase) == 1 and list(indexed) == list(phrase):
            return found  # one indexed word: its postings are the answer
        # A regular expression on the lower-cased text finds every document whose tokens hold
        # the phrase. Words are runs of \w as tokens are, so for a phrase of words it finds
        # exactly those; with a number in the phrase it finds a few more ("2020" in "1.2020", a
        # token of its own), so those documents are tokenized to be sure. (A look-behind at its
        # start would cost the regular expression its fast scan for the first word: 50 instead
        # of 3 microseconds a document; the start is checked by hand.)
        pattern = re.compile(r"\W+".join(map(re.escape, phrase)) + r"(?!\w)")
        exact = not any(ch.isdigit() for word in phrase for ch in word)
        held = set()
        with self.reader.searcher() as searcher:
            for n in found:
                text = searcher.stored_fields(n).get("content", "").lower()
                if _starts_a_match(pattern, text) and (exact or _holds(tokens(text), phrase)):
                    held.add(n)
        return held

    @cached_property
    def number_mask(self) -> np.ndarray:
        """True for each Whoosh document number the constraints let through (worked out once:
        the keyword leg and the count of hits both ask)."""
        phrases, excluded = self._found
        with self.reader.searcher() as searcher:
            total = searcher.doc_count_all()
        keep = np.ones(total, dtype=bool)
        for found in phrases:
            through = self._numbers_mask(found.full, total)
            if found.lang is not None:
                own = self._in_language(found.lang, total)
                others = ~own if found.names is None else ~own & self._numbers_mask(found.names, total)
                through = (through & own) | others
            keep &= through
        return keep & ~self._numbers_mask(excluded, total)

    @cached_property
    def position_mask(self) -> np.ndarray:
        """True for each document (in the index's order) the constraints let through (worked
        out once: the vector leg and the count of hits both ask)."""
        phrases, excluded = self._found
        keep = np.ones(len(self.reader.docs), dtype=bool)
        for found in phrases:
            through = self._positions(found.full)
            if found.lang is not None:
                own = self.reader.langs == found.lang
                others = ~own if found.names is None else ~own & self._positions(found.names)
                through = (through & own) | others
            keep &= through
        return keep & ~self._positions(excluded)

    def holds_phrases(self, doc_id: str) -> bool:
        """Whether the document holds every phrase of the query word for word (and no exclusion)."""
        phrases, excluded = self._found
        number = self.reader.document_number(doc_id)
        return bool(phrases) and number not in excluded and all(number in found.full for found in phrases)

    def holder_mask(self) -> np.ndarray | None:
        """True for each document (index order) holding every phrase word for word and no
        exclusion; None when the query has no phrase."""
        phrases, excluded = self._found
        if not phrases:
            return None
        return self._positions(frozenset.intersection(*(found.full for found in phrases)) - excluded)

    def _in_language(self, lang: str, total: int) -> np.ndarray:
        """True for each Whoosh document number of a live document in ``lang`` (from the lang
        field's postings, a block at a time: a third of a million documents at 1M)."""
        mask = np.zeros(total, dtype=bool)
        with self.reader.searcher() as searcher:
            mask[term_numbers(searcher, "lang", lang)] = True
        return mask

    @staticmethod
    def _numbers_mask(numbers, total: int) -> np.ndarray:
        mask = np.zeros(total, dtype=bool)
        if numbers:
            mask[list(numbers)] = True
        return mask

    def _positions(self, numbers) -> np.ndarray:
        reader = self.reader
        mask = np.zeros(len(reader.docs), dtype=bool)
        if numbers:
            mask[[reader.position(reader.document_id(n)) for n in numbers]] = True
        return mask


WORD_CHARACTER = re.compile(r"\w")


def _starts_a_match(pattern: re.Pattern, text: str) -> bool:
    """Whether ``pattern`` matches in ``text`` at the start of a word."""
    return any(not match.start() or not WORD_CHARACTER.match(text, match.start() - 1)
               for match in pattern.finditer(text))


def _holds(words: tuple[str, ...], phrase: tuple[str, ...]) -> bool:
    """Whether ``phrase`` stands in ``words`` word after word."""
    size = len(phrase)
    first = phrase[0]
    return any(words[at:at + size] == phrase for at, word in enumerate(words) if word == first)
