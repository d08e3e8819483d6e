"""SMS keywords that carriers require every text program to honour, read before NLU.

A keyword counts only when it is the whole message (``"Stop"``, ``"STOP."``, ``" quit "``);
"stop the pain" or "please help" are ordinary messages for the assistant. ``YES`` opts a
number back in only while it is opted out: otherwise it answers the bot's question.
"""

from __future__ import annotations

import re
from enum import Enum
from typing import Optional


class Keyword(Enum):
    """What a keyword asks for."""

    OPT_OUT = "opt_out"
    OPT_IN = "opt_in"
    HELP = "help"


OPT_OUT_WORDS = frozenset({"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT"})
OPT_IN_WORDS = frozenset({"START", "UNSTOP"})
OPT_IN_WHEN_OPTED_OUT = frozenset({"YES"})
HELP_WORDS = frozenset({"HELP", "INFO"})

_EDGES = re.compile(r"^[\s\W_]+|[\s\W_]+$")


def keyword_word(text: str) -> str:
    """The message as one upper-case word without surrounding punctuation ('' if more)."""
    word = _EDGES.sub("", text or "").upper()
    return word if word.isalpha() else ""


def keyword_of(text: str, opted_out: bool) -> Optional[Keyword]:
    """The keyword ``text`` is, if any (``opted_out``: the sender's current state)."""
    word = keyword_word(text)
    if word in OPT_OUT_WORDS:
        return Keyword.OPT_OUT
    if word in OPT_IN_WORDS or (opted_out and word in OPT_IN_WHEN_OPTED_OUT):
        return Keyword.OPT_IN
    if word in HELP_WORDS:
        return Keyword.HELP
    return None
