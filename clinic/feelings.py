"""Feelings in a patient's message that the answer should acknowledge first.

``feeling("i'm so scared, will i be awake?")`` is ``"fear"``. The cue words are in
``clinic/feelings.yml``; the acknowledgement texts are responses (``utter_ack_<feeling>``).
Fear is checked before frustration: a patient who is both gets the reassurance.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path
from typing import Dict, List, Optional, Pattern

import yaml

FEELINGS_FILE = Path(__file__).with_name("feelings.yml")
_NEGATION = re.compile(r"(?:\bnot|\bno|n't|\bnever)(?:\s+\w+){0,2}\s*$")


@lru_cache(maxsize=1)
def _patterns() -> Dict[str, List[Pattern[str]]]:
    with FEELINGS_FILE.open(encoding="utf-8") as handle:
        raw = yaml.safe_load(handle)
    return {name: [re.compile(rf"\b(?:{cue})\b") for cue in cues] for name, cues in raw.items()}


def names() -> List[str]:
    """The feelings ``clinic/feelings.yml`` lists, in the order they are checked."""
    return list(_patterns())


def feeling(text: Optional[str]) -> Optional[str]:
    """The first feeling whose cue occurs in ``text`` without a negation just before it."""
    lowered = (text or "").lower().replace("’", "'")
    for name, patterns in _patterns().items():
        for pattern in patterns:
            for match in pattern.finditer(lowered):
                if not _NEGATION.search(lowered[:match.start()]):
                    return name
    return None
