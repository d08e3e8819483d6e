"""Deterministic red-flag detection with spaCy's ``Matcher`` over lemmas.

The vocabulary lives in ``red_flags.yml`` (concepts -> level + token patterns, and the cues
that stop a mention from counting). A mention counts unless, in its clause or sentence, it
is negated ("no fever"), hypothetical ("if I get a fever"), resolved ("the fever went
away"), history or long-standing ("fainted once as a kid", "numb feet for years"), below the
fever threshold, or part of a general question about it as a topic ("is fever a common
risk?") that doesn't also report the patient's state. A red flag inside any other question
still counts. Each cue suppresses only the mention it is attached to (the cues are
applied by :mod:`addons.safety.cues`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, List, Optional

import yaml

from addons.safety.cues import Cues
from addons.safety.wording import segments

VOCABULARY_FILE = Path(__file__).with_name("red_flags.yml")
SPANISH_FILE = Path(__file__).with_name("red_flags_es.yml")  # concepts only, lang es
EMERGENCY, CRISIS, URGENT = "emergency", "crisis", "urgent"
LEVEL_ORDER = (EMERGENCY, CRISIS, URGENT)  # the first level found picks the instruction


def _forms(doc: Any) -> Any:
    """A twin of ``doc`` whose tokens read "|lemma|lower|": what the patterns match.

    One native text attribute per token is much faster for the matcher than a custom
    token extension; token positions are those of ``doc``.
    """
    from spacy.tokens import Doc

    return Doc(doc.vocab, words=[f"|{t.lemma_.lower()}|{t.lower_}|" for t in doc])


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
    pattern: Dict[str, Any] = {"TEXT": {"REGEX": r"\|(?:" + "|".join(alternatives) + r")\|"}}
    if optional:
        pattern["OP"] = "?"
    return [pattern]


class RedFlagDetector:
    """Finds red flags in a spaCy ``Doc`` (lower-cased text, lookup lemmas)."""

    def __init__(self, vocab: Any, spec: Dict[str, Any]) -> None:
        """Build the matcher from the vocabulary ``spec`` (see red_flags.yml)."""
        from spacy.matcher import Matcher

        self._concepts: Dict[str, Dict[str, Any]] = spec["concepts"]
        self._cues = Cues(spec["suppressors"])
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
        clause, sentence = segments(doc)
        result = Assessment()
        seen: set = set()
        for match_id, start, end in sorted(self._matcher(_forms(doc)), key=lambda m: (m[1], -m[2])):
            concept = doc.vocab.strings[match_id]
            if any(c == concept and s <= start < e for c, s, e in seen):
                continue  # a longer match of the same concept already covers this
            seen.add((concept, start, end))
            span = doc[start:end]
            reason = self._cues.suppression(
                doc, self._concepts[concept], (start, end), clause, sentence
            )
            finding = Finding(
                concept, self._concepts[concept]["level"], span.text,
                span.start_char, span.end_char, reason, self._concepts[concept].get("lang", "en"),
            )
            (result.suppressed if reason else result.findings).append(finding)
        return _crisis_owns_its_words(result)

    def message_cue(self, doc: Any) -> Optional[str]:
        """Why a message as a whole reads as no current alarm (see :meth:`Cues.message_cue`)."""
        return self._cues.message_cue(doc)


def _crisis_owns_its_words(result: Assessment) -> Assessment:
    """Drop findings inside a crisis finding's words ("wishes she wouldn't wake up")."""
    crises = [f for f in result.findings if f.level == CRISIS]
    result.findings = [
        f for f in result.findings
        if f.level == CRISIS or not any(c.start <= f.start and f.end <= c.end for c in crises)
    ]
    return result
