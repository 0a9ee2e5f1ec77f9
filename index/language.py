"""Language tags: langdetect for documents (seeded, so every run agrees), and a more
careful guess for short queries, where langdetect alone is right little more than half the time."""
from __future__ import annotations

import re

from langdetect import DetectorFactory, detect_langs
from langdetect.lang_detect_exception import LangDetectException

from index.analysis import ENGLISH_STOPWORDS, INDONESIAN_STOPWORDS, TOKEN_RE

UNDETERMINED = "und"
DETECT_CHARS = 5000  # langdetect samples anyway; reading more only costs time
_SEED = 0
_ABBREVIATION = re.compile(r"\b(?:\w\.){2,}")  # A.S., U.S., A.I.


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

    Function words vote first ("di", "yang" against "the", "of"; abbreviations do not vote,
    so the "A" of "A.S." is not English). langdetect, when very sure on three or more words,
    overrules a one-word margin ("Bintang Game of Thrones ... mengkritik ...") and breaks a
    tie. Short queries are mostly names and content words, where langdetect alone often errs.
    """
    words = [w.lower() for w in TOKEN_RE.findall(_ABBREVIATION.sub(" ", query))]
    margin = sum(w in INDONESIAN_STOPWORDS for w in words) - sum(w in ENGLISH_STOPWORDS for w in words)
    voted = "id" if margin > 0 else "en" if margin < 0 else None
    if abs(margin) >= 2:
        return voted
    probs = _probabilities(query)
    sure = None
    if probs and probs[0][1] >= 0.8 and probs[0][0] in ("id", "ms", "en") and len(words) >= 3:
        sure = "en" if probs[0][0] == "en" else "id"
    if voted is None:
        return sure if sure and probs[0][1] >= 0.9 else None
    return sure or voted
