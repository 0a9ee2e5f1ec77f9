"""Language tags: langdetect for documents (seeded, so every run agrees), and a more
careful guess for short queries, where langdetect alone is right little more than half the time."""
from __future__ import annotations

from langdetect import DetectorFactory, detect_langs
from langdetect.lang_detect_exception import LangDetectException

from index.analysis import ENGLISH_STOPWORDS, INDONESIAN_STOPWORDS, TOKEN_RE

UNDETERMINED = "und"
DETECT_CHARS = 5000  # langdetect samples anyway; reading more only costs time
_SEED = 0


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

    Function words decide first ("di", "yang" against "the", "of"); langdetect is trusted
    only when it is very sure, since short queries are mostly names and content words.
    """
    words = [w.lower() for w in TOKEN_RE.findall(query)]
    id_hits = sum(w in INDONESIAN_STOPWORDS for w in words)
    en_hits = sum(w in ENGLISH_STOPWORDS for w in words)
    if id_hits != en_hits:
        return "id" if id_hits > en_hits else "en"
    probs = _probabilities(query)
    if probs and probs[0][1] >= 0.9 and probs[0][0] in ("id", "ms", "en") and len(words) >= 3:
        return "en" if probs[0][0] == "en" else "id"
    return None
