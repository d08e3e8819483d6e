"""The cues of red_flags.yml that stop a red-flag mention from counting.

A mention counts unless, in its clause or sentence, it is negated or denied, told of
something else (context), hypothetical, resolved, history or long-standing, below the
fever threshold, or part of a general question about it as a topic. Each cue suppresses
only the mention it is attached to. Used by :class:`addons.safety.detector.RedFlagDetector`.
"""

from __future__ import annotations

import re
from typing import Any, Dict, Iterable, List, Optional, Tuple

_CLAUSE_WORDS = {
    "but", "although", "though", "however", "so", "because", "plus", "also", "and",
    "pero", "y", "aunque", "porque", "sino",
}
QUESTION, VERB_NEGATION = "question", "verb_negation"
WEAK_CUES = frozenset({QUESTION, VERB_NEGATION})  # message cues a sure classifier outweighs
# Suppressions that leave the words standing (asked about, not denied): only these of the
# rules' own verdicts may a nearly certain classifier outweigh.
OPEN_SUPPRESSIONS = frozenset({QUESTION, "hypothetical"})
_LIST_ITEM = 3  # words in one item of a denied list ("short of breath")
_ABILITY = {"ca", "can", "could", "wo", "will", "do", "does", "did", "would"}  # "can't breathe"
_POSSIBILITY = {"could", "will", "would", "might", "may", "can"}  # "could my ... ?"
_UNSURE = {"know", "sure"}  # "idk if i've wet myself": not knowing is no denial
_MODAL = {"ca", "can", "could", "wo", "will", "would", "should", "might", "may", "must"}
_NUMBER = re.compile(r"^(\d{2,3}(?:[.,]\d+)?)")
_FEVER_WORD = re.compile(r"fe+a?ve?r|fevr|fevor|temp|thermometer|fiebre|calentura|febril|escalofr")


# "weak ever since" with nothing recent after it: since the past event the sentence tells of
_EVER_SINCE = re.compile(
    r"\bever since\b(?!\s+(the|my|his|her|their|yesterday|last|this|then|surgery|procedure|"
    r"kyphoplasty|vertebroplasty|cement|i|he|she|we|they)\b)"
)


# "it hasn't gone away", "that never settled": the resolution is denied
_NOT_OVER = re.compile(
    r"n't|(?<![a-z])(not|never|no|hasnt|havent|isnt|wasnt|didnt|wont|nt)(?![a-z])"
)


def _unsure_before(doc: Any, i: int) -> bool:
    """An "if" after not knowing ("idk if i've wet myself", "not sure whether") reports."""
    return any(doc[j].lower_ in _UNSURE for j in range(max(0, i - 2), i))


def _joined(tokens: Iterable[Any]) -> str:
    """Lower-cased words of ``tokens`` as written: contractions joined again ("she'll")."""
    text = " ".join(t.lower_ for t in tokens)
    return text.replace(" '", "'").replace(" n't", "n't").replace(" - ", "-")


def _phrase_in(text: str, phrases: Iterable[str]) -> bool:
    return any(re.search(r"(?<![a-z'])" + re.escape(p) + r"(?![a-z'])", text) for p in phrases)


class Cues:
    """The ``suppressors`` section of red_flags.yml, applied to one mention at a time."""

    def __init__(self, cues: Dict[str, Any]) -> None:
        """Keep the cue lists."""
        self._cues = cues

    def suppression(
        self, doc: Any, concept: Dict[str, Any], span: Tuple[int, int], clause: List[int],
        sentence: List[int],
    ) -> Optional[str]:
        """Why the mention ``span`` of ``concept`` does not count (None: it counts)."""
        start, end = span
        cues = self._cues
        keep = set(concept.get("keep_when") or ())
        clause_tokens = [t for t in doc if clause[t.i] == clause[start]]
        sentence_tokens = [t for t in doc if sentence[t.i] == sentence[start]]
        clause_text = _joined(clause_tokens)
        sentence_text = _joined(sentence_tokens)
        window = int(concept.get("negation_window", 5))
        inside = bool(concept.get("negation_inside", True))
        if self._negated(doc, clause_tokens, (start, end if inside else start + 1), window) or (
            self._denied_in_list(sentence_tokens, clause, start)
        ):
            return "negated"
        if (
            _phrase_in(sentence_text, cues["context"]["phrases"])
            or _phrase_in(clause_text, cues["context"]["clause_phrases"])
            or (concept.get("level") != "crisis" and (
                _phrase_in(sentence_text, cues["context"].get("animals") or ())
                or _phrase_in(clause_text, cues["context"].get("animals_in_clause") or ())))
        ):
            return "context"
        if "hypothetical" not in keep and any(
            t.lower_ in cues["hypothetical"] and not _unsure_before(doc, t.i)
            for t in clause_tokens if t.i < start
        ):
            return "hypothetical"
        if "resolved" not in keep and (
            _phrase_in(clause_text, cues["resolved"]["phrases"])
            or self._resolved_later(doc, start, clause, sentence)
        ):
            return "resolved"
        if "history" not in keep and self._history(sentence_text, clause_text):
            return "history"
        numeric = concept.get("numeric")
        if numeric:
            over = _temperatures_over(clause_tokens, numeric)
            if over is False or (over is None and not _FEVER_WORD.search(doc[start:end].text)):
                return "below_threshold"
        if "question" not in keep and self._general_question(sentence_tokens):
            return "question"
        return None

    def _negated(
        self, doc: Any, clause_tokens: List[Any], span: Tuple[int, int], window: int
    ) -> bool:
        """A negation attached to this mention: just before it in its clause, or inside it.

        "can't" / "won't" before a mention say what the patient can't do, not that the
        symptom is absent ("can't sleep, my chest hurts"), so they do not negate it.
        """
        start, end = span
        negations = self._cues["negation"]
        if start >= 2 and doc[start - 1].text == "-" and doc[start - 2].lower_ in negations:
            return True  # "non-tender": the dash would end the clause
        if any(t.lower_ in self._cues["denial"] for t in clause_tokens if t.i < start):
            return True
        before = [
            t for t in clause_tokens
            if start - window <= t.i < start and not (t.i > 0 and doc[t.i - 1].lower_ in _MODAL)
            and not (t.i + 1 < len(doc) and doc[t.i + 1].lower_ in _UNSURE)
        ]
        inside = [t for t in doc[start + 1 : end] if doc[t.i - 1].lower_ not in _ABILITY]
        return any(t.lower_ in negations for t in before + inside)

    def _denied_in_list(self, sentence_tokens: List[Any], clause: List[int], start: int) -> bool:
        """A denial reaches over the short list that follows it ("pt denies CP, SOB, fever").

        Every item on the way back to it is at most three words, and nothing on the way turns
        to what is present ("but", "reports", "new"): "pt denies fever, legs weak bilat since
        0600" still counts its second clause.
        """
        own = [t for t in sentence_tokens if clause[t.i] == clause[start] and not t.is_punct]
        if len(own) > _LIST_ITEM:
            return False
        words = 0
        for token in reversed([t for t in sentence_tokens if t.i < start]):
            if token.lower_ in self._cues["denial_ends"]:
                return False
            if token.lower_ in self._cues["denial"]:
                return True
            words = 0 if token.is_punct or token.lower_ in {"and", "or", "y", "o"} else words + 1
            if words > _LIST_ITEM:
                return False
        return False

    def _resolved_later(
        self, doc: Any, start: int, clause: List[int], sentence: List[int]
    ) -> bool:
        """Whether a later clause says the mention is over ("tingly, but it's gone now")."""
        resolved = self._cues["resolved"]
        later = [
            t for t in doc
            if (sentence[t.i] == sentence[start] and clause[t.i] > clause[start])
            or sentence[t.i] == sentence[start] + 1
        ]
        text = _joined(later)
        anaphors = "|".join(re.escape(a) for a in resolved["anaphors"])
        phrases = "|".join(re.escape(p) for p in resolved["later_phrases"])
        pattern = rf"(?<![a-z'])(?:{anaphors})(?:\s+\S+){{0,3}}?\s+(?:{phrases})(?![a-z'])"
        same_sentence = _joined(t for t in later if sentence[t.i] == sentence[start])
        told = any(not _NOT_OVER.search(m.group()) for m in re.finditer(pattern, text))
        return told or _phrase_in(
            same_sentence, resolved.get("sentence_phrases") or ()
        )

    def _history(self, sentence_text: str, clause_text: str) -> bool:
        """Told as the past or as long-standing, with nothing in the clause saying "now"."""
        past = self._cues["past"]
        told_as_past = (
            _phrase_in(sentence_text, past["phrases"])
            or _phrase_in(clause_text, past["clause_phrases"])
            or any(re.search(pattern, sentence_text) for pattern in past["regex"])
        )
        if _phrase_in(clause_text, past.get("chronic") or ()):
            return True  # "weak since her stroke", "numb 4ever bc of diabetes": not new
        if told_as_past:  # "a stroke ten years ago and her leg has been weak ever since"
            clause_text = _EVER_SINCE.sub("", clause_text)
        return told_as_past and not _phrase_in(clause_text, self._cues["present"]["phrases"])

    def _general_question(self, tokens: List[Any]) -> bool:
        """A question about the symptom as a topic ("is numbness a common risk?").

        A red flag inside any other question still counts ("my chest is heavy and it goes
        into my arm, is this from the surgery??"), and so does one that reports a state.
        """
        if not self._is_question(tokens) or self._reports_state(tokens):
            return False
        text = _joined(tokens)
        return _phrase_in(text, self._cues["general_question"])

    def message_cue(self, doc: Any) -> Optional[str]:
        """Why a message as a whole reads as no current alarm (None if nothing says so).

        Only for a message the classifier alone calls a red flag (no rule matched): it
        then has no mention to attach a cue to. Mentions the rules find never use this.
        The last two reasons (:data:`WEAK_CUES`: a question, a verb's "not") are weak: a
        classifier sure enough outweighs them.
        """
        cues = self._cues
        text = _joined(doc)
        if any(t.lower_ in cues["nominal_negation"] for t in doc):
            return "negated"
        if any(t.lower_ in cues["hypothetical"] for t in doc):
            return "hypothetical"
        if _phrase_in(text, cues["resolved"]["phrases"]) or _phrase_in(
            text, cues["reassured"]
        ):
            return "resolved"
        if _phrase_in(text, cues["context"]["phrases"]) or _phrase_in(text, cues["others"]):
            return "context"
        if self._history(text, text):
            return "history"
        _, sentence = segments(doc)
        sentences = [[t for t in doc if sentence[t.i] == n] for n in sorted(set(sentence))]
        if any(self._is_question(s) for s in sentences) and not any(
            self._reports_state(s) for s in sentences
        ):
            return QUESTION
        if any(t.lower_ in cues["negation"] for t in doc):
            return VERB_NEGATION
        return None

    def _is_question(self, tokens: List[Any]) -> bool:
        words = [t for t in tokens if not t.is_punct]
        ends_with_question = bool(tokens) and "?" in tokens[-1].text
        opens_as_question = bool(words) and words[0].lower_ in self._cues["question_openers"]
        return ends_with_question or opens_as_question

    def _reports_state(self, tokens: List[Any]) -> bool:
        report = self._cues["report"]
        text = _joined(tokens)
        present = self._cues["present"]["phrases"]
        if _phrase_in(text, report["phrases"]) or _phrase_in(text, present):
            return True
        signs = set(report["state_verbs"]) | set(report["body_parts"])
        for i, token in enumerate(tokens):
            if i and tokens[i - 1].lower_ in _POSSIBILITY:
                continue  # "could my legs go numb?": asked about, not reported
            if token.lower_ in report["possessive"]:
                following = {t.lower_ for t in tokens[i + 1 : i + 4]}
                if following & signs:
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


def _temperatures_over(tokens: List[Any], numeric: Dict[str, float]) -> Optional[bool]:
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
