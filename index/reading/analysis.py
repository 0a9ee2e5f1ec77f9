"""Text analysis shared by documents and queries.

Three analyzers, one per keyword field: Indonesian (Snowball stems, Indonesian stopwords),
English (Snowball stems, English stopwords) and exact (lower-cased words and numbers, stopwords
of both languages removed, nothing stemmed) so that names and numbers match as written.
Whoosh pickles its schema, so every piece here is a module-level callable.
"""
from __future__ import annotations

import re

import Stemmer
from whoosh.analysis import LowercaseFilter, RegexTokenizer, StemFilter, StopFilter

ANALYZER_VERSION = 2  # 2: the lead_exact field (title and first passage)

# Numbers keep their separators ("100.000", "9,5", "11/09/2020"); anything else is a word.
TOKEN_PATTERN = r"\d+(?:[.,/:]\d+)+|\w+"
TOKEN_RE = re.compile(TOKEN_PATTERN)

INDONESIAN_STOPWORDS = frozenset("""
ada adalah agar akan aku anda antara apa apabila atas atau bagaimana bagi bahkan bahwa banyak
beberapa begitu belum bila bisa boleh bukan dalam dan dapat dari daripada demikian dengan di dia
dirinya hal hanya harus hingga ia ialah ini itu jadi jika juga justru kalau kami kamu kapan
karena ke kemudian kenapa kepada ketika kini kita lagi lain lalu maka mana masih melalui
mengapa menjadi mereka meski meskipun mungkin namun nya oleh pada para pun saat saja sampai
sang saya se sebab sebagai sebelum sebelumnya sebuah secara sedang sehingga sejak selama
seorang seperti sering serta sesuatu setelah setiap si sini situ siapa sudah supaya tak
tanpa tapi telah tentang terhadap tersebut tetapi tidak untuk walau walaupun yaitu yakni yang
""".split())

ENGLISH_STOPWORDS = frozenset("""
a about after all also am an and any are as at be been before being between both but by can
could did do does doing during each for from further had has have having he her here hers
herself him himself his how i if in into is it its itself just me more most my myself no nor
not of off on once only or other our ours ourselves out over own same she should so some such
than that the their theirs them themselves then there these they this those through to too
under until up very was we were what when where which while who whom why will with would you
your yours yourself yourselves s t
""".split())
FUNCTION_WORDS = INDONESIAN_STOPWORDS | ENGLISH_STOPWORDS  # the exact field's stopwords: either language's

# Question words: the interrogatives of each language. Documents keep them (they are no index
# stopwords, so ANALYZER_VERSION stays); a query drops them from its keyword terms (the
# "berapakah" of a question is not what its answer says, and the Indonesian stemmer turns
# "berapakah", "berapa" and "mengapakah" alike into "apa"), and they tell its language.
INDONESIAN_QUESTION_WORDS = frozenset("""
apa siapa kapan bilamana dimana mana kemana darimana mengapa kenapa bagaimana berapa
""".split())
ENGLISH_QUESTION_WORDS = frozenset("what who whom whose which when where why how".split())
QUESTION_SUFFIX = "kah"  # "siapakah", "adakah", "bisakah": the Indonesian question particle


def question_language(word: str) -> str | None:
    """'id' or 'en' when ``word`` (lower case) is a question word of that language: an
    interrogative, or in Indonesian an interrogative or function word carrying the question
    suffix -kah ("siapakah", "dimanakah", "adakah"); else None. A content word with -kah
    ("negarakah") is no question word: the Indonesian stemmer already strips the suffix."""
    if word in INDONESIAN_QUESTION_WORDS:
        return "id"
    if word in ENGLISH_QUESTION_WORDS:
        return "en"
    base = word.removesuffix(QUESTION_SUFFIX)
    if base != word and (base in INDONESIAN_QUESTION_WORDS or base in INDONESIAN_STOPWORDS):
        return "id"
    return None


_STEMMERS = {"id": Stemmer.Stemmer("indonesian"), "en": Stemmer.Stemmer("english")}


def stem_indonesian(word: str) -> str:
    return _STEMMERS["id"].stemWord(word)


def stem_english(word: str) -> str:
    return _STEMMERS["en"].stemWord(word)


def indonesian_analyzer():
    return (RegexTokenizer(TOKEN_PATTERN) | LowercaseFilter()
            | StopFilter(stoplist=INDONESIAN_STOPWORDS, minsize=2) | StemFilter(stemfn=stem_indonesian))


def english_analyzer():
    return (RegexTokenizer(TOKEN_PATTERN) | LowercaseFilter()
            | StopFilter(stoplist=ENGLISH_STOPWORDS, minsize=2) | StemFilter(stemfn=stem_english))


def exact_analyzer():
    return (RegexTokenizer(TOKEN_PATTERN) | LowercaseFilter()
            | StopFilter(stoplist=FUNCTION_WORDS, minsize=1))


# keyword field name -> (analyzer factory, languages whose documents fill it)
FIELDS = {
    "text_id": indonesian_analyzer,
    "text_en": english_analyzer,
    "text_exact": exact_analyzer,
}
LANGUAGE_FIELD = {"id": "text_id", "en": "text_en"}


def terms(field: str, text: str) -> list[str]:
    """The index terms ``text`` yields in ``field``, in order, duplicates kept."""
    return [token.text for token in FIELDS[field]()(text)]


def names_and_numbers(text: str) -> list[str]:
    """The words of ``text`` written with a capital letter or holding a digit, function words
    aside, in lower case, each once, first seen first: its names and numbers, the words a text
    shares with its translation as written ("Jokowi", "Jakarta", "2019", "COVID-19")."""
    return list(dict.fromkeys(word.lower() for word in TOKEN_RE.findall(text)
                              if (word[0].isupper() or any(ch.isdigit() for ch in word))
                              and word.lower() not in FUNCTION_WORDS))


def word_spans(text: str) -> list[tuple[int, int]]:
    """Character spans of the tokens the analyzers see, for highlighting."""
    return [match.span() for match in TOKEN_RE.finditer(text)]


# The same three analyses without Whoosh's token objects, for the search hot path (snippets):
# field -> (stopwords, shortest kept token, stemmer or None). tests/test_text.py checks that
# term_spans gives exactly the Whoosh analyzers' terms and offsets.
_PLAIN = {
    "text_id": (INDONESIAN_STOPWORDS, 2, _STEMMERS["id"]),
    "text_en": (ENGLISH_STOPWORDS, 2, _STEMMERS["en"]),
    "text_exact": (FUNCTION_WORDS, 1, None),
}


def term_spans(field: str, text: str) -> list[tuple[int, int, str]]:
    """(start, end, index term) of every token ``text`` yields in ``field``."""
    stopwords, minsize, stemmer = _PLAIN[field]
    kept = [(m.start(), m.end(), word) for m in TOKEN_RE.finditer(text)
            if len(word := m.group().lower()) >= minsize and word not in stopwords]
    if stemmer is None:
        return kept
    stems = stemmer.stemWords([word for _, _, word in kept])
    return [(start, end, stem) for (start, end, _), stem in zip(kept, stems)]
