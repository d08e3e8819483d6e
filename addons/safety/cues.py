"""The cues of red_flags.yml that stop a red-flag mention from counting.

A mention counts unless, in its clause or sentence, it is negated or denied, told of
something else (context), hypothetical, resolved, history or long-standing, below the
fever threshold, or part of a general question about it as a topic. Each cue suppresses
only the mention it is attached to. Used by :class:`addons.safety.detector.RedFlagDetector`.
"""

from __future__ import annotations

import re
from typing import Any, Dict, List, Optional, Tuple

from addons.safety.wording import (
    NOT_OVER,
    joined,
    phrase_in,
    segments,
    temperatures_over,
    unnegated_phrase_in,
)

QUESTION, VERB_NEGATION = "question", "verb_negation"
WEAK_CUES = frozenset({QUESTION, VERB_NEGATION})  # message cues a sure classifier outweighs
# Suppressions that leave the words standing (asked about, not denied): only these of the
# rules' own verdicts may a nearly certain classifier outweigh.
OPEN_SUPPRESSIONS = frozenset({QUESTION, "hypothetical"})
_LIST_ITEM = 3  # words in one item of a denied list ("short of breath")
_ABILITY = {"ca", "can", "could", "wo", "will", "do", "does", "did", "would"}  # "can't breathe"
_POSSIBILITY = {"could", "will", "would", "might", "may", "can"}  # "could my ... ?"
_UNSURE = {"know", "sure"}  # "idk if i've wet myself": not knowing is no denial
_RESOLUTION_VERBS = {
    "stop", "stopped", "go", "gone", "went", "better", "improve", "improved", "clear",
    "cleared", "heal", "healed", "settle", "settled", "ease", "eased", "subside", "subsided",
    "resolve", "resolved",
}
_MODAL = {"ca", "can", "could", "wo", "will", "would", "should", "might", "may", "must"}
_FEVER_WORD = re.compile(r"fe+a?ve?r|fevr|fevor|temp|thermometer|fiebre|calentura|febril|escalofr")


# "weak ever since" with nothing recent after it: since the past event the sentence tells of
_EVER_SINCE = re.compile(
    r"\bever since\b(?!\s+(the|my|his|her|their|yesterday|last|this|then|surgery|procedure|"
    r"kyphoplasty|vertebroplasty|cement|i|he|she|we|they)\b)"
)


def _unsure_before(doc: Any, i: int) -> bool:
    """An "if" after not knowing ("idk if i've wet myself", "not sure whether") reports."""
    return any(doc[j].lower_ in _UNSURE for j in range(max(0, i - 2), i))


def _resolution_follows(doc: Any, i: int) -> bool:
    """The negation at ``i`` denies a resolution ("has not stopped", "never went away")."""
    after = [t.lemma_.lower() for t in doc[i + 1 : i + 3] if t.lower_ not in ("been", "yet")]
    return bool(after) and after[0] in _RESOLUTION_VERBS


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
        clause_text = joined(clause_tokens)
        sentence_text = joined(sentence_tokens)
        window = int(concept.get("negation_window", 5))
        inside = bool(concept.get("negation_inside", True))
        if self._negated(doc, clause_tokens, (start, end if inside else start + 1), window) or (
            self._denied_in_list(sentence_tokens, clause, start)
        ):
            return "negated"
        if (
            phrase_in(sentence_text, cues["context"]["phrases"])
            or phrase_in(clause_text, cues["context"]["clause_phrases"])
            or (concept.get("level") != "crisis" and (
                phrase_in(sentence_text, cues["context"].get("animals") or ())
                or phrase_in(clause_text, cues["context"].get("animals_in_clause") or ())))
        ):
            return "context"
        if "hypothetical" not in keep and any(
            t.lower_ in cues["hypothetical"] and not _unsure_before(doc, t.i)
            for t in clause_tokens if t.i < start
        ):
            return "hypothetical"
        back = self._recurred(doc, start, sentence)
        if "resolved" not in keep and not back and (
            unnegated_phrase_in(clause_text, cues["resolved"]["phrases"])
            or self._resolved_later(doc, start, clause, sentence)
        ):
            return "resolved"
        reach = joined(t for t in doc if clause[start] <= clause[t.i] <= clause[end - 1])
        if "history" not in keep and not back and self._history(
            sentence_text, clause_text, reach
        ):
            return "history"
        numeric = concept.get("numeric")
        if numeric:
            # the reading may sit in the mention itself, past a comma ("temperature like you
            # asked, 37.1"), or in the clause where the mention ends
            ends = {clause[start], clause[end - 1]}
            over = temperatures_over([t for t in doc if clause[t.i] in ends], numeric)
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
        return any(
            t.lower_ in negations and not _resolution_follows(doc, t.i) for t in before + inside
        )

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
        text = joined(later)
        anaphors = "|".join(re.escape(a) for a in resolved["anaphors"])
        phrases = "|".join(re.escape(p) for p in resolved["later_phrases"])
        pattern = rf"(?<![a-z'])(?:{anaphors})(?:\s+\S+){{0,3}}?\s+(?:{phrases})(?![a-z'])"
        same_sentence = joined(t for t in later if sentence[t.i] == sentence[start])
        told = any(not NOT_OVER.search(m.group()) for m in re.finditer(pattern, text))
        return told or phrase_in(
            same_sentence, resolved.get("sentence_phrases") or ()
        )

    def _recurred(self, doc: Any, start: int, sentence: List[int]) -> bool:
        """Whether the mention's sentence, after it, or the next sentence says it is back.

        "turned out to be indigestion but now it is back and worse": a resolution or a
        history that the patient says has returned does not stop the mention. "It hasn't
        come back" does not count.
        """
        later = [t for t in doc if (sentence[t.i] == sentence[start] and t.i > start)
                 or sentence[t.i] == sentence[start] + 1]
        text = joined(later)
        resolved = self._cues["resolved"]
        after = resolved.get("recurred_after") or {"words": [], "phrases": []}
        for phrase in [*(resolved.get("recurred") or ()), *after["phrases"]]:
            for match in re.finditer(r"(?<![a-z'])" + re.escape(phrase) + r"(?![a-z'])", text):
                before = text[:match.start()].split()
                if NOT_OVER.search(" ".join(before[-3:])):
                    continue
                if phrase in after["phrases"] and not (before and before[-1] in after["words"]):
                    continue
                return True
        return False

    def _history(self, sentence_text: str, clause_text: str, reach: str = "") -> bool:
        """Told as the past or as long-standing, with nothing in the clause saying "now".

        ``reach``: the clauses the mention spans, where long-standing counts too ("feet
        numb and tingly for about ten years").
        """
        past = self._cues["past"]
        told_as_past = (
            phrase_in(sentence_text, past["phrases"])
            or phrase_in(clause_text, past["clause_phrases"])
            or any(re.search(pattern, sentence_text) for pattern in past["regex"])
        )
        span_text = f"{clause_text} {reach}"
        if phrase_in(span_text, past.get("chronic") or ()) or any(
            re.search(pattern, span_text) for pattern in past.get("chronic_regex") or ()
        ):
            return True  # "weak since her stroke", "numb 4ever bc of diabetes": not new
        if told_as_past:  # "a stroke ten years ago and her leg has been weak ever since"
            clause_text = _EVER_SINCE.sub("", clause_text)
        return told_as_past and not phrase_in(clause_text, self._cues["present"]["phrases"])

    def _general_question(self, tokens: List[Any]) -> bool:
        """A question about the symptom as a topic ("is numbness a common risk?").

        A red flag inside any other question still counts ("my chest is heavy and it goes
        into my arm, is this from the surgery??"), and so does one that reports a state.
        """
        if not self._is_question(tokens) or self._reports_state(tokens):
            return False
        text = joined(tokens)
        return phrase_in(text, self._cues["general_question"])

    def message_cue(self, doc: Any) -> Optional[str]:
        """Why a message as a whole reads as no current alarm (None if nothing says so).

        Only for a message the classifier alone calls a red flag (no rule matched): it
        then has no mention to attach a cue to. Mentions the rules find never use this.
        The last two reasons (:data:`WEAK_CUES`: a question, a verb's "not") are weak: a
        classifier sure enough outweighs them.
        """
        cues = self._cues
        text = joined(doc)
        if any(t.lower_ in cues["nominal_negation"] for t in doc):
            return "negated"
        if any(t.lower_ in cues["hypothetical"] for t in doc):
            return "hypothetical"
        if phrase_in(text, cues["resolved"]["phrases"]) or phrase_in(
            text, cues["reassured"]
        ):
            return "resolved"
        if phrase_in(text, cues["context"]["phrases"]) or phrase_in(text, cues["others"]):
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
        text = joined(tokens)
        present = self._cues["present"]["phrases"]
        if phrase_in(text, report["phrases"]) or phrase_in(text, present):
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
