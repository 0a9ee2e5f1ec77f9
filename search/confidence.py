"""How sure a hit is: a confidence in [0, 1] from the document's language-balanced cosine with the
query (search.semantic), and the floor below which a hit is not shown as an answer.

The fused score ranks the candidates of one query against each other; it says nothing about
whether the best of them is related at all (a query about a subject the archive never covers
still has a best document). The balanced cosine does, in part (and, a little more, the query's
names held by the hit, and for a hit in the query's own language the query's words it lacks:
``evidence``): measured on every bench and dev
task (bench/studies/relevance_floor.py, bench/RESULTS.md "Relevance floor"), relevant documents sit
mostly above FLOOR and the best hits of questions with no answer in the archive straddle it.
Of what else was measured (the cosine's distance above the archive's median or the 50 best
candidates, in standard deviations or not, alone or added to it), nothing separated the two
better.
"""
from __future__ import annotations

import math

# Evidence at which a hit is confident (confidence 0.5). No floor both keeps every answer and
# flags most unanswerable questions with this model: a relevant document in the top 10 has a
# median evidence of 0.923 (5 % under 0.847), the best hit of a question with no answer in the
# archive 0.831 (5 % under 0.798). 0.81 loses at most 0.016 recall@10 on any question or
# headline task (0.043-0.057 on news sentences → their article) and flags one unanswerable
# question in six, and every query of no words the archive knows (zzqqxx); the trade-off at
# each floor is in bench/RESULTS.md.
FLOOR = 0.81
# A hit that holds the query's names counts its cosine this much higher: a sentence quoted from
# a story meets the story's passages at a lower cosine than a headline does (one in seven of
# their answers sat under FLOOR), and its names, held by the article in either language, say what the
# cosine misses. Held: at least NAMES_HELD of them by rarity (search.keyword.name_matches).
# Measured with bench/studies/relevance_floor.py (bench/RESULTS.md, "Relevance floor").
NAME_EVIDENCE = 0.05
NAMES_HELD = 0.5
# A hit in the query's own language that lacks the query's words counts its cosine lower, up to
# WORDS_EVIDENCE × WORDS_HELD when it holds none of them: an article about something else in the
# query's language meets the query at a higher cosine than the answer in the other language would
# (the model's same-language preference), and whether it holds the query's words is what BM25
# reads. By rarity (search.keyword.word_matches): the share of the words' idf it holds; from
# WORDS_HELD of it on, nothing is taken. Across languages the words cannot be compared (the
# names do that). Measured with bench/studies/relevance_floor.py (bench/RESULTS.md, "Relevance
# floor", session 22): questions with no answer in the archive and no confident hit 16.9 % ->
# 25.3 %, at most 0.0092 recall@10 lost by a task in the query's language (facqa-news-id).
WORDS_EVIDENCE = 0.05
WORDS_HELD = 0.5
NO_GOOD_MATCH = "No good match: nothing in the archive is close enough to the query to be an answer."
SLOPE = 40.0  # per unit of cosine: the median relevant hit at 0.98, the median unanswerable best hit at 0.65


def evidence(cosine: float, names: float | None = None, words: float | None = None) -> float:
    """The balanced cosine, NAME_EVIDENCE higher when the hit holds the query's names (``names``:
    the share of them it holds; None or 0 when the query has none), and lower by WORDS_EVIDENCE
    for each unit of the query's words it lacks under WORDS_HELD (``words``: the share of them
    it holds, given for a hit in the query's language only; None: not compared)."""
    if names is not None and names >= NAMES_HELD:
        cosine += NAME_EVIDENCE
    if words is not None and words < WORDS_HELD:
        cosine -= WORDS_EVIDENCE * (WORDS_HELD - words)
    return cosine


def confidence(cosine: float, names: float | None = None, words: float | None = None) -> float:
    """The hit's confidence, 0–1: a logistic curve of its evidence, one half at FLOOR."""
    return 1 / (1 + math.exp(-SLOPE * (evidence(cosine, names, words) - FLOOR)))


def confident(cosine: float, names: float | None = None, words: float | None = None) -> bool:
    return evidence(cosine, names, words) >= FLOOR
