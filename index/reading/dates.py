"""Publication dates as ISO (YYYY-MM-DD): from metadata when there is one, else from a dateline.

Rules, in order:
1. A metadata date (JSONL/CSV `date`, the page's own metadata) in any common form.
2. A full date in the article's head (its first lines and first story paragraph):
   "Kompas.com - 11/09/2020, 18:43 WIB", "Jumat (11/9/2020)", "13 September 2020",
   "September 13, 2020", "2020-09-13". Numbers are read day first, as Indonesian and
   most non-US news write them.
3. Else any weekday dateline "Senin (14/9/2020)" anywhere in the text.
4. A day and month without a year in the head ("pada 22 Februari", "13 September") takes the
   first year that puts it on or after the newest month-with-year the article mentions
   ("Agustus 2020", "11/9/2020"): a story is published after what it reports. With no
   year anywhere in the text, the article stays undated rather than guessed.
"""
from __future__ import annotations

import re
from datetime import date

MONTHS = {
    "januari": 1, "january": 1, "jan": 1, "februari": 2, "february": 2, "feb": 2, "pebruari": 2,
    "maret": 3, "march": 3, "mar": 3, "april": 4, "apr": 4, "mei": 5, "may": 5,
    "juni": 6, "june": 6, "jun": 6, "juli": 7, "july": 7, "jul": 7,
    "agustus": 8, "august": 8, "agu": 8, "agt": 8, "aug": 8, "september": 9, "sept": 9, "sep": 9,
    "oktober": 10, "october": 10, "okt": 10, "oct": 10, "november": 11, "nopember": 11, "nov": 11,
    "desember": 12, "december": 12, "des": 12, "dec": 12,
}
_MONTH = r"(?P<month>" + "|".join(sorted(MONTHS, key=len, reverse=True)) + r")\.?"
_YEAR = r"(?P<year>(19|20)\d\d)"
_DAY = r"(?P<day>[0-3]?\d)"

ISO = re.compile(rf"\b{_YEAR}-(?P<month>[01]\d)-(?P<day>[0-3]\d)(?!\d)")
NUMERIC = re.compile(rf"(?<![\d/.-]){_DAY}[/.-](?P<month>[01]?\d)[/.-]{_YEAR}(?![\d/])")
DAY_MONTH_YEAR = re.compile(rf"\b{_DAY}\s+{_MONTH}\s*,?\s+{_YEAR}\b", re.IGNORECASE)
MONTH_DAY_YEAR = re.compile(rf"\b{_MONTH}\s+{_DAY}(st|nd|rd|th)?,?\s+{_YEAR}\b", re.IGNORECASE)
FULL_DATES = (ISO, NUMERIC, DAY_MONTH_YEAR, MONTH_DAY_YEAR)
WEEKDAY_DATELINE = re.compile(
    rf"\b(senin|selasa|rabu|kamis|jumat|jum'at|sabtu|minggu|ahad)\s*\(\s*{_DAY}/(?P<month>[01]?\d)/{_YEAR}\s*\)",
    re.IGNORECASE,
)
DAY_MONTH = re.compile(rf"\b{_DAY}\s+{_MONTH}\b(?!\s*,?\s*(19|20)\d\d)", re.IGNORECASE)
MONTH_DAY = re.compile(rf"\b{_MONTH}\s+{_DAY}(st|nd|rd|th)?\b(?!\s*,?\s*(19|20)\d\d)(?!\d)", re.IGNORECASE)
MONTH_YEAR = re.compile(rf"\b{_MONTH}\s+{_YEAR}\b", re.IGNORECASE)
HEAD_LINES = 6  # non-blank lines that make an article's head: title, dateline, byline, first paragraph


def _month(value: str) -> int:
    return int(value) if value.isdigit() else MONTHS[value.lower().rstrip(".")]


def _valid(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None


def _found(match: re.Match) -> date | None:
    return _valid(int(match.group("year")), _month(match.group("month")), int(match.group("day")))


def parse_date(value: str) -> str | None:
    """A metadata date in a common form, as YYYY-MM-DD; None when it is not a date."""
    value = value.strip()
    for pattern in FULL_DATES:
        match = pattern.search(value)
        if match and (found := _found(match)):
            return found.isoformat()
    return None


def _first_full_date(text: str) -> date | None:
    best: tuple[int, date] | None = None
    for pattern in FULL_DATES:
        for match in pattern.finditer(text):
            found = _found(match)
            if found and (best is None or match.start() < best[0]):
                best = (match.start(), found)
            if found:
                break
    return best[1] if best else None


def _newest_mention(text: str) -> tuple[int, int] | None:
    """The latest (year, month) the text mentions with a year."""
    mentions = [(int(m.group("year")), _month(m.group("month"))) for m in MONTH_YEAR.finditer(text)]
    for pattern in FULL_DATES:
        mentions += [(found.year, found.month) for m in pattern.finditer(text) if (found := _found(m))]
    return max(mentions, default=None)


def _day_month(head: str) -> tuple[int, int] | None:
    matches = [m for pattern in (DAY_MONTH, MONTH_DAY) for m in pattern.finditer(head)]
    for match in sorted(matches, key=lambda m: m.start()):
        month, day = _month(match.group("month")), int(match.group("day"))
        if _valid(2000, month, day):  # 2000 is a leap year: 29 February is a real day
            return month, day
    return None


def article_head(text: str) -> str:
    lines = [line for line in text.split("\n") if line.strip()]
    return "\n".join(lines[:HEAD_LINES])


def find_date(text: str) -> str | None:
    """The article's date from its datelines, as YYYY-MM-DD; None when the text does not say."""
    head = article_head(text)
    if found := _first_full_date(head):
        return found.isoformat()
    match = WEEKDAY_DATELINE.search(text)
    if match and (found := _found(match)):
        return found.isoformat()
    day_month = _day_month(head)
    newest = _newest_mention(text)
    if day_month is None or newest is None:
        return None
    month, day = day_month
    year = newest[0] if (month, day) >= (newest[1], 1) else newest[0] + 1
    found = _valid(year, month, day)
    return found.isoformat() if found else None
