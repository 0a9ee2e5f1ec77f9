"""Language tags: langdetect for documents (seeded, so every run agrees), and a more
careful guess for short queries, where langdetect alone is right little more than half the time."""
from __future__ import annotations

import os
import re
import shutil
import tempfile
import threading
import zlib
from pathlib import Path

from langdetect import DetectorFactory, detect_langs
from langdetect.detector_factory import PROFILES_DIRECTORY
from langdetect.lang_detect_exception import LangDetectException

from index.cache import cache_dir
from index.reading.analysis import ENGLISH_STOPWORDS, INDONESIAN_STOPWORDS, TOKEN_RE, question_language

UNDETERMINED = "und"
LANGUAGE_VERSION = 2  # 2: a short text given a third language is asked again by its function words
DETECT_CHARS = 5000  # langdetect samples anyway; reading more only costs time
_SEED = 0
_ABBREVIATION = re.compile(r"\b(?:\w\.){2,}")  # A.S., U.S., A.I.
_GRAMMAR = frozenset({"I", "s", "t"})  # capitalized or between names, still the sentence's grammar


def _probabilities(text: str) -> list[tuple[str, float]]:
    DetectorFactory.seed = _SEED  # langdetect is random unless seeded
    try:
        return [(item.lang, item.prob) for item in detect_langs(text[:DETECT_CHARS])]
    except LangDetectException:
        return []


def _query_probabilities(text: str) -> list[tuple[str, float]]:
    """``_probabilities`` for a query, the same figures to the last bit, from langdetect's
    table as ``_query_factory`` reads it: a few rows instead of all 55 profiles."""
    DetectorFactory.seed = _SEED
    try:
        detector = _query_factory().create()
        detector.append(text[:DETECT_CHARS])
        return [(item.lang, item.prob) for item in detector.get_probabilities()]
    except LangDetectException:
        return []


class _Rows:
    """langdetect's n-gram → probability in each language (its factory's word_lang_prob_map),
    each row made when first asked for, from the compact table ``_write_table`` keeps."""

    def __init__(self, folder: Path, languages: int) -> None:
        import numpy as np

        self._np = np
        self._grams = np.load(folder / "grams.npy")  # sorted
        self._starts = np.load(folder / "starts.npy")  # each gram's first (language, probability)
        self._languages = np.load(folder / "languages.npy")
        self._probabilities = np.load(folder / "probabilities.npy")  # float64: langdetect's own values
        self._width = languages
        self._made: dict[str, list[float]] = {}  # the rows asked for (at most the table's 87,598)
        if not (len(self._starts) == len(self._grams) + 1 and self._starts[-1] == len(self._languages)
                == len(self._probabilities) and self._languages.max(initial=0) < languages):
            raise ValueError("a damaged langdetect table")

    def _row(self, gram: str) -> list[float] | None:
        row = self._made.get(gram)
        if row is not None:
            return row
        place = int(self._np.searchsorted(self._grams, gram))
        if place == len(self._grams) or self._grams[place] != gram:
            return None
        row = [0.0] * self._width
        first, end = int(self._starts[place]), int(self._starts[place + 1])
        for language, probability in zip(self._languages[first:end].tolist(), self._probabilities[first:end].tolist()):
            row[language] = probability
        self._made[gram] = row
        return row

    def __contains__(self, gram: str) -> bool:
        return self._row(gram) is not None

    def __getitem__(self, gram: str) -> list[float]:
        row = self._row(gram)
        if row is None:
            raise KeyError(gram)
        return row


_QUERY_FACTORY: list[DetectorFactory] = []
_QUERY_FACTORY_LOCK = threading.Lock()


def _query_factory() -> DetectorFactory:
    """A langdetect factory for queries. langdetect's own reads all 55 language profiles
    (0.4 s, most of a cold `lintas search`'s own work); this one reads a compact copy of the
    same table, made from them once per machine and kept in the cache folder, a row when a
    query's n-gram asks for it. Where the copy cannot be kept, langdetect's own serves."""
    with _QUERY_FACTORY_LOCK:
        if not _QUERY_FACTORY:
            _QUERY_FACTORY.append(_table_factory() or _full_factory())
        return _QUERY_FACTORY[0]


def _full_factory() -> DetectorFactory:
    from langdetect import detector_factory

    detector_factory.init_factory()
    return detector_factory._factory


def _table_factory() -> DetectorFactory | None:
    folder = cache_dir() / f"langdetect-table-{_profiles_key():08x}"
    if not (folder / "languages.txt").exists():
        try:
            _write_table(folder, _full_factory())
        except OSError:  # a cache folder that cannot be written: langdetect's own factory
            return None
    try:
        languages = (folder / "languages.txt").read_text(encoding="utf-8").split()
        factory = DetectorFactory()
        factory.langlist = languages
        factory.word_lang_prob_map = _Rows(folder, len(languages))
        return factory
    except (OSError, ValueError, EOFError):  # a damaged copy: langdetect's own, and the copy made again next time
        shutil.rmtree(folder, ignore_errors=True)
        return None


def _profiles_key() -> int:
    """What the table is made from: the installed profiles' names, sizes and times."""
    entries = sorted((entry.name, entry.stat().st_size, entry.stat().st_mtime_ns)
                     for entry in os.scandir(PROFILES_DIRECTORY))
    return zlib.crc32(repr(entries).encode())


def _write_table(folder: Path, factory: DetectorFactory) -> None:
    """The factory's table as sorted n-grams and, for each, its languages' nonzero probabilities
    (184,129 of 87,598 × 55), written to a temporary folder renamed into place."""
    import numpy as np

    grams = sorted(factory.word_lang_prob_map)
    starts, languages, probabilities = [0], [], []
    for gram in grams:
        row = factory.word_lang_prob_map[gram]
        for language, probability in enumerate(row):
            if probability:
                languages.append(language)
                probabilities.append(probability)
        starts.append(len(languages))
    folder.parent.mkdir(parents=True, exist_ok=True)
    staged = Path(tempfile.mkdtemp(dir=folder.parent, prefix=f".{folder.name}-"))
    try:
        np.save(staged / "grams.npy", np.array(grams, dtype=str))
        np.save(staged / "starts.npy", np.array(starts, dtype=np.int64))
        np.save(staged / "languages.npy", np.array(languages, dtype=np.uint8))
        np.save(staged / "probabilities.npy", np.array(probabilities, dtype=np.float64))
        (staged / "languages.txt").write_text(" ".join(factory.langlist), encoding="utf-8")
        os.replace(staged, folder)
    except OSError:
        if folder.exists():  # another process made it first
            return
        raise
    finally:
        shutil.rmtree(staged, ignore_errors=True)


SHORT_DOCUMENT_WORDS = 30  # up to this many words langdetect's n-grams can name a third language


def detect_language(text: str) -> str:
    """The majority language of a document: 'id', 'en', another ISO code, or 'und'.

    A short text that langdetect gives a third language is asked again as a query is
    (``detect_query_language``: function words first): on five words langdetect calls
    "Anda ingin segelas kopi lagi?" Tagalog and "Oranye itu warna apa?" Swahili (44 of
    Tatoeba's 1,000 Indonesian sentences get such a tag), and a wrong tag puts a document
    outside its language's balance and gives it the cross-language story bar. A longer text
    keeps langdetect's answer, whatever its function words say."""
    probs = _probabilities(text)
    if not probs:
        return UNDETERMINED
    lang = "id" if probs[0][0] == "ms" else probs[0][0]
    if lang not in ("id", "en") and len(text.split()) <= SHORT_DOCUMENT_WORDS:
        return detect_query_language(text) or lang
    return lang


def detect_query_language(query: str) -> str | None:
    """'id' or 'en' when the query says so clearly, else None (search both languages).

    Function words vote first ("di", "yang" against "the", "of"), question words twice
    ("siapakah", "berapa" against "who", "how": they make the sentence a question in their
    language). Words that belong to a name or title do not vote: abbreviations ("A.S.") and
    acronyms ("AS", "WHO") in a query that has lower case, and in a query written in sentence
    case the function words of a capitalized title ("Kapan album We Need to Talk About Kevin
    dirilis?"), unless nothing else votes. langdetect, when very sure on three or more words,
    overrules a margin of one ("Bintang Game of Thrones ... mengkritik ...") and breaks a tie.
    Short queries are mostly names and content words, where langdetect alone often errs.
    """
    tokens = TOKEN_RE.findall(_ABBREVIATION.sub(" ", query))
    acronyms = _acronyms(tokens) if any(ch.islower() for ch in query) else set()
    margin = _margin(tokens, acronyms | _title_words(tokens)) or _margin(tokens, acronyms)
    voted = "id" if margin > 0 else "en" if margin < 0 else None
    if abs(margin) >= 2:
        return voted
    probs = _query_probabilities(query)
    sure = None
    if probs and probs[0][1] >= 0.8 and probs[0][0] in ("id", "ms", "en") and len(tokens) >= 3:
        sure = "en" if probs[0][0] == "en" else "id"
    if voted is None:
        return sure if sure and probs[0][1] >= 0.9 else None
    return sure or voted


def _margin(tokens: list[str], silent: set[int]) -> int:
    """Indonesian votes minus English votes: a function word counts 1, a question word 2."""
    margin = 0
    for position, token in enumerate(tokens):
        if position in silent:
            continue
        word = token.lower()
        question = question_language(word)
        if question:
            margin += 2 if question == "id" else -2
        elif word in INDONESIAN_STOPWORDS:
            margin += 1
        elif word in ENGLISH_STOPWORDS:
            margin -= 1
    return margin


def _function_word(word: str) -> bool:
    return word in INDONESIAN_STOPWORDS or word in ENGLISH_STOPWORDS or question_language(word) is not None


def _acronyms(tokens: list[str]) -> set[int]:
    """Positions of acronyms: "AS" is Amerika Serikat, not "as"; "WHO" is no "who"."""
    return {i for i, token in enumerate(tokens) if len(token) >= 2 and token.isupper()}


def _title_words(tokens: list[str]) -> set[int]:
    """Positions of function words that belong to a capitalized name or title, in a query in
    sentence case (a lower-case content word after the first word: a Title Case headline has
    none): a function word written with a capital after the first word ("We Need to Talk About
    Kevin"), and a run of lower-case function words between two capitalized words, the left
    one not the first word ("Fifty Shades of Grey", "Beauty and the Beast"). "I" and the "s"
    of "Liverpool's" stay the sentence's grammar."""
    capital = [token[:1].isupper() for token in tokens]
    function = [_function_word(token.lower()) for token in tokens]
    if not any(token[:1].isalpha() and not capital[i] and not function[i] for i, token in enumerate(tokens[1:], 1)):
        return set()
    titled = [is_function and token not in _GRAMMAR for is_function, token in zip(function, tokens)]
    silent, i = set(), 1
    while i < len(tokens):
        if not titled[i]:
            i += 1
        elif capital[i]:
            silent.add(i)
            i += 1
        else:
            end = i
            while end < len(tokens) and titled[end] and not capital[end]:
                end += 1
            if i > 1 and capital[i - 1] and end < len(tokens) and capital[end]:
                silent.update(range(i, end))
            i = end
    return silent
