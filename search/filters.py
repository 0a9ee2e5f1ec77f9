"""Which documents a search may return: language, date range, source.

The same filter is applied as a Whoosh query on the keyword leg and as a boolean mask on the
vector leg, so both legs rank inside the same set of documents.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

import numpy as np

from search.reader import IndexReader

PARTIAL_DATE = re.compile(r"[0-9]{4}(-[0-9]{2}(-[0-9]{2})?)?")  # ASCII digits (\d takes ٢٠٢٠), whole value


def check_date(value: str) -> str:
    """``value`` if it is a day, month or year of the calendar (YYYY-MM-DD, YYYY-MM or YYYY);
    else a ValueError that says why."""
    if not PARTIAL_DATE.fullmatch(value):
        raise ValueError(f"{value!r} is not a date: use YYYY-MM-DD, YYYY-MM or YYYY")
    year, month, day = (value.split("-") + ["01", "01"])[:3]
    try:
        date(int(year), int(month), int(day))
    except ValueError as error:
        raise ValueError(f"{value!r} is not on the calendar ({error})") from None
    return value


def check_range(since: str | None, until: str | None) -> None:
    """A ValueError when no day is both on or after ``since`` and on or before ``until``."""
    if since and until and since_bound(since) > until_bound(until):
        raise ValueError(f"{since} is after {until}: no day is in that range")


def since_bound(value: str) -> str:
    """'2020' and '2020-09' start at their first day."""
    return value + "-01-01"[len(value) - 4:] if len(value) < 10 else value


def until_bound(value: str) -> str:
    """'2020' and '2020-09' end after their last day (compared as text, so -31 covers any month)."""
    return value + "-12-31"[len(value) - 4:] if len(value) < 10 else value


@dataclass(frozen=True)
class Filters:
    lang: str | None = None
    since: str | None = None  # YYYY, YYYY-MM or YYYY-MM-DD, inclusive
    until: str | None = None
    source: str | None = None  # exact source, or its name before the domain ("kompas" for kompas.com)

    def __post_init__(self) -> None:
        for value in (self.since, self.until):
            if value is not None:
                check_date(value)
        check_range(self.since, self.until)

    @property
    def active(self) -> bool:
        return any((self.lang, self.since, self.until, self.source))

    def date_range(self) -> tuple[str, str]:
        """Inclusive ISO bounds; "0" sorts after "", so undated documents fall outside."""
        return (since_bound(self.since) if self.since else "0",
                until_bound(self.until) if self.until else "~")

    def whoosh_query(self):
        """The filter as a Whoosh query, None when nothing is filtered."""
        from whoosh.query import And, Or, Prefix, Term, TermRange

        clauses = []
        if self.lang:
            clauses.append(Term("lang", self.lang))
        if self.since or self.until:
            clauses.append(TermRange("date", *self.date_range()))
        if self.source:
            wanted = self.source.lower()
            clauses.append(Or([Term("source", wanted), Prefix("source", wanted + ".")]))
        if not clauses:
            return None
        return clauses[0] if len(clauses) == 1 else And(clauses)

    def mask(self, reader: IndexReader) -> np.ndarray | None:
        """True for every document (in index order) the filter lets through; None when all pass."""
        if not self.active:
            return None
        keep = np.ones(len(reader.docs), dtype=bool)
        if self.lang:
            keep &= reader.langs == self.lang
        if self.since or self.until:
            low, high = self.date_range()
            keep &= (reader.dates != "") & (reader.dates >= low) & (reader.dates <= high)
        if self.source:
            wanted = self.source.lower()
            keep &= (reader.sources == wanted) | np.char.startswith(reader.sources, wanted + ".")
        return keep
