"""Deterministic red-flag detection with spaCy's ``Matcher`` over lemmas.

The vocabulary lives in ``red_flags.yml`` (concepts -> level + token patterns, and the cues
that stop a mention from counting). A mention counts unless, in its clause or sentence, it
is negated ("no fever"), hypothetical ("if I get a fever"), resolved ("the fever went
away"), history or long-standing ("fainted once as a kid", "numb feet for years"), below the
fever threshold, or part of a general question about it as a topic ("is fever a common
risk?") that doesn't also report the patient's state. A red flag inside any other question
still counts. Each cue suppresses only the mention it is attached to.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, Iterable, List, Optional, Tuple

import yaml

VOCABULARY_FILE = Path(__file__).with_name("red_flags.yml")
SPANISH_FILE = Path(__file__).with_name("red_flags_es.yml")  # concepts only, lang es
EMERGENCY, CRISIS, URGENT = "emergency", "crisis", "urgent"
LEVEL_ORDER = (EMERGENCY, CRISIS, URGENT)  # the first level found picks the instruction
_FORMS = "clinic_forms"  # token extension: "|lemma|lower|"
_CLAUSE_WORDS = {
    "but", "although", "though", "however", "so", "because", "plus", "also", "and",
    "pero", "y", "aunque", "porque", "sino",
}
_ABILITY = {"ca", "can", "could", "wo", "will", "do", "does", "did", "would"}  # "can't breathe"
_MODAL = {"ca", "can", "could", "wo", "will", "would", "should", "might", "may", "must"}
_NUMBER = re.compile(r"^(\d{2,3}(?:[.,]\d+)?)")
_FEVER_WORD = re.compile(r"fe+a?ve?r|fevr|fevor|temp|thermometer|fiebre|calentura|febril|escalofr")


@dataclass(frozen=True)
class Finding:
    """One red-flag mention: which concept, its level, the words, where."""

    concept: str
    level: str
    text: str
    start: int
    end: int
    suppressed_by: Optional[str] = None
    lang: str = "en"


@dataclass
class Assessment:
    """The result for one message."""

    findings: List[Finding] = field(default_factory=list)
    suppressed: List[Finding] = field(default_factory=list)

    @property
    def level(self) -> Optional[str]:
        """The most pressing level found (emergency, then crisis, then urgent), else None."""
        levels = {f.level for f in self.findings}
        return next((level for level in LEVEL_ORDER if level in levels), None)

    @property
    def spanish(self) -> bool:
        """Whether a counted finding came from the Spanish vocabulary."""
        return any(f.lang == "es" for f in self.findings)

    def as_dict(self) -> Dict[str, Any]:
        """JSON-friendly form for parse data and logs (evidence = matched words only)."""
        return {
            "level": self.level,
            "concepts": sorted({f.concept for f in self.findings}),
            "evidence": [f.text for f in self.findings],
            "language": "es" if self.spanish else "en",
            "suppressed": [
                {"concept": f.concept, "reason": f.suppressed_by} for f in self.suppressed
            ],
        }


def _alternatives(spec: str) -> List[str]:
    """Split ``a|re:^b(c|d)$|e`` on the bars that are not inside a regex group."""
    parts, depth, current = [], 0, ""
    for char in spec:
        if char == "|" and depth == 0:
            parts.append(current)
            current = ""
            continue
        depth += {"(": 1, ")": -1}.get(char, 0)
        current += char
    return parts + [current]


def _token_pattern(spec: str) -> List[Dict[str, Any]]:
    if spec.startswith("*"):
        return [{"OP": "?"}] * int(spec[1:])
    optional = spec.startswith("?")
    alternatives = []
    for item in _alternatives(spec.lstrip("?")):
        if item.startswith("re:"):
            alternatives.append(item[3:].lstrip("^").rstrip("$"))
        else:
            alternatives.append(re.escape(item))
    pattern: Dict[str, Any] = {"_": {_FORMS: {"REGEX": r"\|(?:" + "|".join(alternatives) + r")\|"}}}
    if optional:
        pattern["OP"] = "?"
    return [pattern]


def _joined(tokens: Iterable[Any]) -> str:
    """Lower-cased words of ``tokens`` as written: contractions joined again ("she'll")."""
    return " ".join(t.lower_ for t in tokens).replace(" '", "'").replace(" n't", "n't")


def _phrase_in(text: str, phrases: Iterable[str]) -> bool:
    return any(re.search(r"(?<![a-z'])" + re.escape(p) + r"(?![a-z'])", text) for p in phrases)


class RedFlagDetector:
    """Finds red flags in a spaCy ``Doc`` (lower-cased text, lookup lemmas)."""

    def __init__(self, vocab: Any, spec: Dict[str, Any]) -> None:
        """Build the matcher from the vocabulary ``spec`` (see red_flags.yml)."""
        from spacy.matcher import Matcher
        from spacy.tokens import Token

        if not Token.has_extension(_FORMS):
            Token.set_extension(_FORMS, getter=lambda t: f"|{t.lemma_.lower()}|{t.lower_}|")
        self._concepts: Dict[str, Dict[str, Any]] = spec["concepts"]
        self._cues: Dict[str, Any] = spec["suppressors"]
        self._matcher = Matcher(vocab)
        for name, concept in self._concepts.items():
            patterns = [
                [tok for spec_item in pattern for tok in _token_pattern(spec_item)]
                for pattern in concept["patterns"]
            ]
            self._matcher.add(name, patterns)

    @classmethod
    def from_file(
        cls, vocab: Any, path: Path = VOCABULARY_FILE, spanish: Optional[Path] = SPANISH_FILE
    ) -> RedFlagDetector:
        """Load the vocabulary file, plus the Spanish concepts when that file is given."""
        spec = yaml.safe_load(path.read_text(encoding="utf-8"))
        if spanish is not None:
            extra = yaml.safe_load(spanish.read_text(encoding="utf-8"))["concepts"]
            spec["concepts"].update({k: {"lang": "es", **v} for k, v in extra.items()})
        return cls(vocab, spec)

    def assess(self, doc: Any) -> Assessment:
        """Every red-flag mention in ``doc``, split into counted and suppressed ones."""
        clause, sentence = _segments(doc)
        result = Assessment()
        seen: set = set()
        for match_id, start, end in sorted(self._matcher(doc), key=lambda m: (m[1], -m[2])):
            concept = doc.vocab.strings[match_id]
            if any(c == concept and s <= start < e for c, s, e in seen):
                continue  # a longer match of the same concept already covers this
            seen.add((concept, start, end))
            span = doc[start:end]
            reason = self._suppression(doc, concept, (start, end), clause, sentence)
            finding = Finding(
                concept, self._concepts[concept]["level"], span.text,
                span.start_char, span.end_char, reason, self._concepts[concept].get("lang", "en"),
            )
            (result.suppressed if reason else result.findings).append(finding)
        return _crisis_owns_its_words(result)

    def _suppression(
        self, doc: Any, concept: str, span: Tuple[int, int], clause: List[int], sentence: List[int]
    ) -> Optional[str]:
        start, end = span
        cues = self._cues
        keep = set(self._concepts[concept].get("keep_when") or ())
        clause_tokens = [t for t in doc if clause[t.i] == clause[start]]
        sentence_tokens = [t for t in doc if sentence[t.i] == sentence[start]]
        clause_text = _joined(clause_tokens)
        sentence_text = _joined(sentence_tokens)
        window = int(self._concepts[concept].get("negation_window", 5))
        inside = bool(self._concepts[concept].get("negation_inside", True))
        if self._negated(doc, clause_tokens, (start, end if inside else start + 1), window):
            return "negated"
        if _phrase_in(sentence_text, cues["context"]["phrases"]) or _phrase_in(
            clause_text, cues["context"]["clause_phrases"]
        ):
            return "context"
        if "hypothetical" not in keep and any(
            t.lower_ in cues["hypothetical"] for t in clause_tokens if t.i < start
        ):
            return "hypothetical"
        if "resolved" not in keep and (
            _phrase_in(clause_text, cues["resolved"]["phrases"])
            or self._resolved_later(doc, start, clause, sentence)
        ):
            return "resolved"
        if "history" not in keep and self._history(sentence_text, clause_text):
            return "history"
        numeric = self._concepts[concept].get("numeric")
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
        if any(t.lower_ in self._cues["denial"] for t in clause_tokens if t.i < start):
            return True
        before = [
            t for t in clause_tokens
            if start - window <= t.i < start and not (t.i > 0 and doc[t.i - 1].lower_ in _MODAL)
        ]
        inside = [t for t in doc[start + 1 : end] if doc[t.i - 1].lower_ not in _ABILITY]
        return any(t.lower_ in negations for t in before + inside)

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
        return re.search(pattern, text) is not None

    def _history(self, sentence_text: str, clause_text: str) -> bool:
        """Told as the past or as long-standing, with nothing in the clause saying "now"."""
        past = self._cues["past"]
        told_as_past = (
            _phrase_in(sentence_text, past["phrases"])
            or _phrase_in(clause_text, past["clause_phrases"])
            or any(re.search(pattern, sentence_text) for pattern in past["regex"])
        )
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
        """
        cues = self._cues
        text = _joined(doc)
        if any(t.lower_ in cues["negation"] for t in doc):
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
        _, sentence = _segments(doc)
        sentences = [[t for t in doc if sentence[t.i] == n] for n in sorted(set(sentence))]
        if any(self._is_question(s) for s in sentences) and not any(
            self._reports_state(s) for s in sentences
        ):
            return "question"
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
            if token.lower_ in report["possessive"]:
                following = {t.lower_ for t in tokens[i + 1 : i + 4]}
                if following & signs:
                    return True
        return False


def _crisis_owns_its_words(result: Assessment) -> Assessment:
    """Drop findings inside a crisis finding's words ("wishes she wouldn't wake up")."""
    crises = [f for f in result.findings if f.level == CRISIS]
    result.findings = [
        f for f in result.findings
        if f.level == CRISIS or not any(c.start <= f.start and f.end <= c.end for c in crises)
    ]
    return result


def _segments(doc: Any) -> Tuple[List[int], List[int]]:
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
