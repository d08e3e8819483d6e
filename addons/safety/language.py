"""Is a message written in Spanish? From spaCy's own Spanish and English stop-word lists.

Used when an alarm comes from a classifier rather than from the Spanish rules: the patient
must get the instruction in the language they wrote in. The words the two lists share
("no", "me", "a") count for neither side.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import FrozenSet, Tuple

_WORD = re.compile(r"[^\W\d_]+", re.UNICODE)


@lru_cache(maxsize=1)
def _lists() -> Tuple[FrozenSet[str], FrozenSet[str]]:
    from spacy.lang.en.stop_words import STOP_WORDS as ENGLISH
    from spacy.lang.es.stop_words import STOP_WORDS as SPANISH

    return frozenset(SPANISH - ENGLISH), frozenset(ENGLISH - SPANISH)


def looks_spanish(text: str) -> bool:
    """Whether Spanish function words outnumber English ones at least two to one.

    One is enough when there is no English function word at all ("me duele el pecho").
    """
    spanish, english = _lists()
    words = [w.lower() for w in _WORD.findall(text)]
    es = sum(w in spanish for w in words)
    en = sum(w in english for w in words)
    return (es >= 1 and en == 0) or (es >= 2 and es >= 2 * en)
