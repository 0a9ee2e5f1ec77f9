"""The query's language: what its words say (index.reading.language), and when they leave it unclear,
what the archive's own vocabulary says."""
from __future__ import annotations

from index.reading.analysis import LANGUAGE_FIELD, term_spans
from index.reading.language import detect_query_language
from search.reader import IndexReader

# Each language needs this many documents before its vocabulary is asked: in a handful of
# documents most words of that language are missing, and a word missing there would vote for
# the other language.
MIN_DOCS = 50


def query_language(reader: IndexReader, query: str) -> str | None:
    """'id' or 'en': the query's own words (function and question words, langdetect), else the
    words it shares with only one language's documents; None when neither tells."""
    return detect_query_language(query) or language_in_index(reader, query)


def language_in_index(reader: IndexReader, query: str) -> str | None:
    """The language whose documents alone hold more of the query's words than the other's do.

    Each word that both languages' analyses keep is looked up in both stemmed fields (each
    filled only by documents of its language): found in Indonesian documents and in no English
    one, it votes Indonesian ("mengkritik", "beracun"), and the other way round ("hundreds",
    "killed"). A name a story carries in both languages ("Harington", "tsunami") is in both
    and does not vote. None on a tie, or when the index has fewer than MIN_DOCS documents in
    either language (an archive in one language says nothing about the query's).
    """
    counts = reader.language_counts
    if any(counts.get(lang, 0) < MIN_DOCS for lang in LANGUAGE_FIELD):
        return None
    stems = {lang: {start: term for start, _, term in term_spans(field, query)}
             for lang, field in LANGUAGE_FIELD.items()}
    margin = 0
    with reader.searcher() as searcher:
        for start in stems["id"].keys() & stems["en"].keys():
            in_id = searcher.doc_frequency(LANGUAGE_FIELD["id"], stems["id"][start]) > 0
            in_en = searcher.doc_frequency(LANGUAGE_FIELD["en"], stems["en"][start]) > 0
            margin += in_id - in_en
    return "id" if margin > 0 else "en" if margin < 0 else None
