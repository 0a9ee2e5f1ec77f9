"""Language tags: langdetect for documents (seeded, so every run agrees), and a more
careful guess for short queries, where langdetect alone is right little more than half the time."""
from __future__ import annotations

import re

from langdetect import DetectorFactory, detect_langs
from langdetect.lang_detect_exception import LangDetectException

from index.reading.analysis import ENGLISH_STOPWORDS, INDONESIAN_STOPWORDS, TOKEN_RE, question_language

UNDETERMINED = "und"
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


def detect_language(text: str) -> str:
    """The majority language of a document: 'id', 'en', another ISO code, or 'und'."""
    probs = _probabilities(text)
    if not probs:
        return UNDETERMINED
    lang = probs[0][0]
    return "id" if lang == "ms" else lang


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
    probs = _probabilities(query)
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
