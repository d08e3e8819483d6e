"""Follow-up questions that only make sense after the last answer.

"and for vertebroplasty?", "what about kypho", "same for the other one?" ask the last
answer's question again for another procedure. :func:`follow_up` reads such a message;
:func:`answer_for` picks the answer: the other procedure's own answer where there is one
(``what_is_kyphoplasty`` -> ``what_is_vertebroplasty``), else the same answer, which the
reply then says covers both procedures (or that the sources describe only one).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Collection, Optional

PROCEDURES = ("kyphoplasty", "vertebroplasty")
OTHER = "other"
MAX_WORDS = 8
_KYPHO = re.compile(r"\b(?:balloon\w*|k[iy]pho\w*|kyph\w*)", re.IGNORECASE)
_VERTEBRO = re.compile(r"\bverteb\w*", re.IGNORECASE)
_OTHER = re.compile(r"\bthe other(?: one| procedure| treatment| kind| type| option)?\b",
                    re.IGNORECASE)
_NAMED = re.compile(r"(?:the\s+)?(?:balloon\s+)?[a-z]+(?:\s+(?:one|procedure|treatment|too|then|"
                    r"instead|as well))?", re.IGNORECASE)
_LEAD = re.compile(
    r"^(?:ok(?:ay)?,?\s+|so\s+|and\s+|but\s+)*(?:what about|how about|what if (?:it'?s|i have)|"
    r"same for|is it the same for|is that the same for|and for|for|with|what of|about|"
    r"and|also)\b", re.IGNORECASE)


@dataclass(frozen=True)
class FollowUp:
    """Answer ``key`` (``faq/<key>``) again, for ``procedure``."""

    key: str
    procedure: str


def procedure_in(text: str) -> Optional[str]:
    """The procedure a text names ("balloon vertebroplasty" is kyphoplasty), if one."""
    if _KYPHO.search(text or ""):
        return "kyphoplasty"
    if _VERTEBRO.search(text or ""):
        return "vertebroplasty"
    return None


def follow_up(text: str) -> Optional[str]:
    """The procedure a short follow-up asks about: a name, ``OTHER``, or None.

    The message must be a lead ("and for", "what about" ...) and a procedure, nothing
    else: "what about kypho risks?" is a question of its own.
    """
    cleaned = re.sub(r"[?!.]+$", "", (text or "").strip())
    lead = _LEAD.match(cleaned)
    if not cleaned or len(cleaned.split()) > MAX_WORDS or not lead:
        return None
    rest = cleaned[lead.end():].strip()
    if _OTHER.fullmatch(rest.removesuffix(" too").removesuffix(" then")):
        return OTHER
    if not _NAMED.fullmatch(rest):
        return None
    return procedure_in(rest)


def other(procedure: str) -> str:
    """The other of the two procedures."""
    return PROCEDURES[1] if procedure == PROCEDURES[0] else PROCEDURES[0]


def answer_for(asked: str, last_key: str, last_procedure: Optional[str],
               known: Collection[str]) -> Optional[FollowUp]:
    """The follow-up's answer, given the last answer and the procedure talked about last."""
    if asked == OTHER:
        if last_procedure is None:
            return None
        asked = other(last_procedure)
    for name in PROCEDURES:
        if name in last_key and name != asked:
            twin = last_key.replace(name, asked)
            if twin in known:
                return FollowUp(twin, asked)
    return FollowUp(last_key, asked)
