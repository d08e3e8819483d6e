"""Messages that ask more than one question: the questions, each to be answered.

``questions("how long does it take and will i be asleep?")`` is
``["how long does it take", "will i be asleep"]``. A part ends at a question mark or a
sentence end, or before "and" / "also" / "plus" followed by a question word. A part is a
question when it ends with "?" or starts with a question word, and has at least three
words; statements around the questions ("she is 82") are context, not questions. At most
``MAX_QUESTIONS`` are kept; a message with fewer than two questions gives ``[]``.
"""

from __future__ import annotations

import re
from typing import List

MAX_QUESTIONS = 3
MIN_WORDS = 3
_STARTS = (r"(?:how|what|whats|what's|when|where|who|why|which|will|would|can|could|do|does|"
           r"is|are|should|shall)")
_QUESTION_START = re.compile(rf"^(?:and\s+|also\s+|so\s+|but\s+)?{_STARTS}\b", re.IGNORECASE)
_PART = re.compile(r"[^?!.;]+[?!.;]*")
_JOINED = re.compile(rf",?\s+(?:and|also|plus|&)\s+(?:also\s+)?(?={_STARTS}\b)", re.IGNORECASE)


def _pieces(text: str) -> List[str]:
    pieces: List[str] = []
    for sentence in _PART.findall(text):
        split = _JOINED.split(sentence)
        asked = sentence.rstrip().endswith("?")  # the last piece is the one before the "?"
        pieces += split[:-1] + [split[-1] + ("?" if asked and not split[-1].endswith("?")
                                              else "")]
    return [p.strip(" ,") for p in pieces if p.strip(" ,")]


def questions(text: str) -> List[str]:
    """The questions of a message that asks more than one ([] when it asks one or none)."""
    found = []
    for piece in _pieces(text or ""):
        words = piece.rstrip("?!.; ").strip()
        if len(words.split()) >= MIN_WORDS and (
                piece.endswith("?") or _QUESTION_START.match(words)):
            found.append(words)
    return found[:MAX_QUESTIONS] if len(found) > 1 else []
