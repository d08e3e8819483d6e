"""How hard the FAQ answers are to read: the Flesch-Kincaid grade of every chat and SMS text.

Patient materials are advised at grade 6 or below (:data:`MAX_GRADE`). The grade is
textstat's ``flesch_kincaid_grade`` (syllables from the CMU pronouncing dictionary, pyphen's
hyphenation for words it lacks) of the text a patient actually reads:

* placeholders are filled with the clinic's configured values (``clinic.yml``: its name,
  hours, address ...), as the bot fills them;
* markdown is reduced to its words (``[text](url)`` to ``text``; ``**``, ``_`` and back-ticks
  dropped);
* a phone number, a web address or an e-mail address counts as one short word
  (:data:`STAND_IN`): left as it is, textstat reads ``(555) 010-0100`` as two one-syllable
  "words", which lowers the grade for no reason.

Plain Python (no Rasa import): used by ``scripts/readability_report.py`` and the tests.
"""

from __future__ import annotations

import re
import statistics
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, List, Mapping, Optional, Sequence

import textstat

from clinic.content.catalog import FAQ_PREFIX, load_catalog
from clinic.content.placeholders import configured_values, fill
from clinic.settings import PROJECT_ROOT, get_settings

MAX_GRADE = 6.0  # the advised reading grade of patient materials
HIGH_GRADE = 8.0  # also counted in the report
STAND_IN = "phone"  # what a phone number, a web address or an e-mail address is read as
CHANNELS = ("chat", "sms")

_MARKDOWN_LINK = re.compile(r"\[([^\]]+)\]\([^)\s]+\)")
_EMPHASIS = re.compile(r"(\*\*|__|\*|`)(.+?)\1")
_URL = re.compile(r"\b(?:https?://|www\.)\S+?(?=[.,;:!?)]?(?:\s|$))")
_EMAIL = re.compile(r"\b[\w.+-]+@[\w-]+(?:\.[\w-]+)+\b")
# (555) 010-0100, 555-010-0100, +1 555 010 0100: ten digits in groups of 3, 3 and 4
_PHONE = re.compile(r"(?:\+\d{1,3}[ .-]?)?(?:\(\d{3}\)|\b\d{3})[ .-]?\d{3}[ .-]?\d{4}\b")
_SPACE = re.compile(r"\s+")


@dataclass(frozen=True)
class FaqText:
    """One variant of one FAQ answer, as written in the domain files."""

    key: str  # the FAQ key: recovery_time, ...
    channel: str  # "chat" or "sms" (the ``channel: twilio`` variant)
    text: str


@dataclass(frozen=True)
class AnswerGrade:
    """The reading grade of one variant of one FAQ answer."""

    key: str
    channel: str
    grade: float
    text: str  # as measured: filled in and made plain


@dataclass(frozen=True)
class Summary:
    """Median, how many above grade 6 and 8, and the highest grade of a set of answers."""

    count: int
    median: float
    over_max: int  # above MAX_GRADE
    over_high: int  # above HIGH_GRADE
    highest: float


def template_values() -> Dict[str, str]:
    """The clinic's values for the placeholders (as the bot fills them)."""
    return {**configured_values(get_settings()), "max_chars": "1000"}


def readable_text(text: str, values: Optional[Mapping[str, str]] = None) -> str:
    """``text`` as a patient reads it: filled in, markdown removed, numbers as one word."""
    text = fill(text, template_values() if values is None else values)
    text = _MARKDOWN_LINK.sub(r"\1", text)
    text = _EMPHASIS.sub(r"\2", text)
    for pattern in (_URL, _EMAIL, _PHONE):
        text = pattern.sub(STAND_IN, text)
    return _SPACE.sub(" ", text).strip()


def grade(text: str, values: Optional[Mapping[str, str]] = None) -> float:
    """Flesch-Kincaid grade of ``text`` as a patient reads it (see :func:`readable_text`)."""
    return float(textstat.flesch_kincaid_grade(readable_text(text, values)))


def faq_texts(root: Path = PROJECT_ROOT) -> List[FaqText]:
    """The chat text and the SMS text of every ``utter_faq/<key>`` answer, by key."""
    found = []
    for answer in load_catalog(root).answers.values():
        if not answer.is_faq:
            continue
        key = answer.name[len(FAQ_PREFIX):]
        found.append(FaqText(key, "chat", answer.chat_text))
        if answer.sms_text is not None:
            found.append(FaqText(key, "sms", answer.sms_text))
    return found


def faq_grades(root: Path = PROJECT_ROOT,
               values: Optional[Mapping[str, str]] = None) -> List[AnswerGrade]:
    """Every FAQ answer's chat and SMS text with its grade."""
    filled = template_values() if values is None else values
    graded = []
    for item in faq_texts(root):
        plain = readable_text(item.text, filled)
        graded.append(AnswerGrade(item.key, item.channel, grade(plain, filled), plain))
    return graded


def summarize(grades: Sequence[float]) -> Summary:
    """:class:`Summary` of some grades (all zero for none)."""
    if not grades:
        return Summary(0, 0.0, 0, 0, 0.0)
    return Summary(
        count=len(grades),
        median=float(statistics.median(grades)),
        over_max=sum(1 for g in grades if g > MAX_GRADE),
        over_high=sum(1 for g in grades if g > HIGH_GRADE),
        highest=max(grades),
    )


def too_hard(grades: Sequence[AnswerGrade], limit: float = MAX_GRADE) -> List[AnswerGrade]:
    """The answers above ``limit``, hardest first."""
    return sorted((g for g in grades if g.grade > limit), key=lambda g: -g.grade)
