"""Wording helpers of the red-flag rules: clauses and sentences, phrases, temperatures.

No rule knowledge here: :mod:`addons.safety.cues` applies the cues of red_flags.yml with
these.
"""

from __future__ import annotations

import re
from typing import Any, Dict, Iterable, List, Optional, Tuple

_CLAUSE_WORDS = {
    "but", "although", "though", "however", "so", "because", "plus", "also", "and",
    "pero", "y", "aunque", "porque", "sino",
}
_NUMBER = re.compile(r"^(\d{2,3}(?:[.,]\d+)?)")


# "it hasn't gone away", "that never settled": the resolution is denied
NOT_OVER = re.compile(
    r"n't|(?<![a-z])(not|never|no|hasnt|havent|isnt|wasnt|didnt|wont|nt)(?![a-z])"
)


def joined(tokens: Iterable[Any]) -> str:
    """Lower-cased words of ``tokens`` as written: contractions joined again ("she'll")."""
    text = " ".join(t.lower_ for t in tokens)
    return text.replace(" '", "'").replace(" n't", "n't").replace(" - ", "-")


def phrase_in(text: str, phrases: Iterable[str]) -> bool:
    """Whether one of ``phrases`` stands in ``text`` as whole words."""
    return any(re.search(r"(?<![a-z'])" + re.escape(p) + r"(?![a-z'])", text) for p in phrases)


def unnegated_phrase_in(text: str, phrases: Iterable[str]) -> bool:
    """A phrase of ``phrases`` in ``text`` that no "not" / "never" just before denies.

    "the fever never went away", "not much better": the resolution is denied.
    """
    for phrase in phrases:
        for match in re.finditer(r"(?<![a-z'])" + re.escape(phrase) + r"(?![a-z'])", text):
            if not NOT_OVER.search(" ".join(text[:match.start()].split()[-2:])):
                return True
    return False


_CONTRAST = {"but", "however", "though", "although", "except", "yet", "pero", "aunque"}


def several_parts(doc: Any) -> bool:
    """Whether a message says more than one thing: two sentences, or a contrast ("but").

    A message-wide cue or a denial may then belong to another part than the symptom.
    """
    if any(t.lower_ in _CONTRAST for t in doc):
        return True
    _, sentence = segments(doc)
    words = [sum(1 for t in doc if sentence[t.i] == n and not t.is_punct) for n in set(sentence)]
    return sum(1 for w in words if w >= 2) > 1


def segments(doc: Any) -> Tuple[List[int], List[int]]:
    """Clause and sentence number of every token."""
    clause, sentence = [], []
    c = s = 0
    for token in doc:
        clause.append(c)
        sentence.append(s)
        if (token.is_punct and token.text != "/") or token.lower_ in _CLAUSE_WORDS or (
            "\n" in token.text
        ):
            c += 1
        if token.text in {".", "!", "?"} or "\n" in token.text or token.text.endswith("?"):
            s += 1
    return clause, sentence


def temperatures_over(tokens: List[Any], numeric: Dict[str, float]) -> Optional[bool]:
    """Whether a stated temperature is over the line; None if no temperature is stated."""
    temps = []
    for token in tokens:
        match = _NUMBER.match(token.text)
        if match:
            value = float(match.group(1).replace(",", "."))
            if 35.0 <= value <= 43.0:
                temps.append(value > numeric["celsius_over"])
            elif 95.0 <= value <= 110.0:
                temps.append(value > numeric["fahrenheit_over"])
    return any(temps) if temps else None
