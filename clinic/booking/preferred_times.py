"""Preferred days and times: free text, read with ``dateparser`` where it can be.

The patient's words are always kept; dates are added when they can be read with
confidence. A date in the past is an error the form re-asks about; words with no sense of
time at all ("blue") are another.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, Dict, List, Optional, Tuple

PAST = "past"
UNCLEAR = "unclear"
MAX_CHARS = 300
# Dates further ahead than this are more likely misreadings ("I may be free" -> May).
HORIZON = timedelta(days=180)

_DAY = r"(?:mon|tue|tues|wed|weds|thu|thur|thurs|fri|sat|sun)(?:day)?s?"
_MONTH = (r"(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*")
_TIME_WORDS = re.compile(
    rf"\b(?:{_DAY}|week ?days?|week ?ends?|weekly|mornings?|afternoons?|evenings?|nights?|"
    r"noon|midday|lunch(?:time)?|today|tonight|tomorrow|tmrw|2moro|tmr|week|wk|month|"
    r"asap|soon|soonest|earliest|first available|any ?time|any ?day|whenever|flexible|"
    r"no preference|(?:does ?n[o']?t|doesnt) matter|not sure|whatever works|either|"
    rf"o'?clock|{_MONTH} \d{{1,2}}|\d{{1,2}}(?::\d\d)? ?(?:am|pm|a\.m\.|p\.m\.)|"
    r"\d{1,2}/\d{1,2}|\d{1,2}(?:st|nd|rd|th)|before \d|after \d|between \d)\b",
    re.IGNORECASE,
)
_PAST_WORDS = re.compile(rf"\b(?:yesterday|last (?:{_DAY}|week|month)|ago)\b", re.IGNORECASE)
_LONE_MONTH = re.compile(rf"^{_MONTH}$|^(?:sun|sat|wed)$", re.IGNORECASE)


@dataclass(frozen=True)
class PreferredTimes:
    """What the patient said, the dates read from it, or why it can't be used."""

    text: str
    dates: List[str] = field(default_factory=list)  # ISO dates, soonest first
    error: Optional[str] = None


def _settings(today_start: datetime) -> Dict[str, Any]:
    return {"PREFER_DATES_FROM": "future", "RELATIVE_BASE": today_start,
            "DATE_ORDER": "MDY", "RETURN_AS_TIMEZONE_AWARE": False}


def read_dates(text: str, now_local: datetime) -> List[datetime]:
    """Dates in ``text``: the whole text as one date, else each date phrase in it."""
    import dateparser  # imported on first use: it loads its language data (~0.3 s)
    from dateparser.search import search_dates

    base = now_local.replace(tzinfo=None)
    settings = _settings(base)
    whole = dateparser.parse(text, languages=["en"], settings=settings)
    if whole is not None:
        return [whole]
    found: List[Tuple[str, datetime]] = search_dates(text, languages=["en"],
                                                     settings=settings) or []
    return [when for phrase, when in found if not _LONE_MONTH.match(phrase.strip())]


def parse_preferred_times(text: str, now_local: datetime) -> PreferredTimes:
    """Read the answer to "which days or times suit you?" (``now_local``: clinic time)."""
    text = text.strip()[:MAX_CHARS]
    if _PAST_WORDS.search(text):
        return PreferredTimes(text, error=PAST)
    today: date = now_local.date()
    readable = [d for d in read_dates(text, now_local) if d.date() <= today + HORIZON]
    if any(d.date() < today for d in readable):
        return PreferredTimes(text, error=PAST)
    if not readable and not _TIME_WORDS.search(text):
        return PreferredTimes(text, error=UNCLEAR)
    dates = sorted({d.date().isoformat() for d in readable})
    return PreferredTimes(text, dates=dates)


def mentions_time(text: str) -> bool:
    """True if ``text`` talks about days or times (used to spot corrections)."""
    return bool(_TIME_WORDS.search(text))
