"""A sentence-level crisis classifier: self-harm and suicidal statements, direct or not.

The rules in ``red_flags.yml`` catch the crisis statements they have words for; indirect
ones ("they won't have to look after me much longer", "I've put my papers in order") need
a model that reads meaning. This one scores every sentence of a message with a logistic
regression over character 2-5 grams and MiniLM sentence embeddings, trained on the
examples marked ``safety: crisis`` against every other training example (figures of
speech such as "this pain is killing me" among them). A message's score is its highest
sentence's; the sentence is the evidence a staff alert shows.

Plain code: no Rasa import (the graph component is :mod:`addons.nlu.crisis`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, ClassVar, List, Optional, Sequence, Tuple

import numpy as np

from addons.safety.features import Encoder, char_and_dense, char_vectoriser
from addons.safety.saved import SavedFields

# a sentence ends at . ! ? (then a space) or a line break; "..." and "?!" stay one end
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+|\s*\n+\s*")
_WORD = re.compile(r"[^\W\d_]", re.UNICODE)
# a period after one of these does not end a sentence ("Dr. Patel", "Mrs. Okafor")
_ABBREVIATIONS = re.compile(r"(?:^|\s)(?:dr|mr|mrs|ms|st|sr|jr|vs|approx|e\.g|i\.e)\.$", re.I)


def sentences(text: str) -> List[Tuple[int, int]]:
    """(start, end) of every sentence of ``text`` that has a letter in it."""
    spans, start = [], 0
    for match in _SENTENCE_END.finditer(text):
        if "\n" not in match.group() and _ABBREVIATIONS.search(text[start:match.start()]):
            continue
        spans.append((start, match.start()))
        start = match.end()
    spans.append((start, len(text)))
    return [(s, e) for s, e in spans if _WORD.search(text[s:e])]


@dataclass
class CrisisScore:
    """The highest-scoring sentence of a message (score 0 and no span: nothing to read)."""

    score: float = 0.0
    span: Optional[Tuple[int, int]] = None
    sentence: str = ""


@dataclass
class CrisisModel(SavedFields):
    """Character n-grams + dense embeddings, one logistic regression (see module docstring)."""

    model_file: ClassVar[str] = "crisis_model.joblib"
    c: float = 16.0
    dense_weight: float = 1.5
    vectoriser: Any = None
    classifier: Any = None
    threshold: float = 0.7
    trained_on: List[int] = field(default_factory=list)

    def _features(self, texts: Sequence[str], encode: Encoder) -> Any:
        return char_and_dense(self.vectoriser, texts, encode, self.dense_weight)

    def fit(self, crisis: Sequence[str], other: Sequence[str], encode: Encoder) -> CrisisModel:
        """Fit on crisis statements against every other example (split into sentences)."""
        from sklearn.linear_model import LogisticRegression

        negatives = [text[s:e] for text in other for s, e in sentences(text)]
        texts = list(crisis) + negatives
        truth = np.array([1] * len(crisis) + [0] * len(negatives))
        if not crisis or not negatives:
            raise ValueError("the crisis classifier needs crisis examples and other examples")
        self.vectoriser = char_vectoriser(texts)
        self.classifier = LogisticRegression(C=self.c, max_iter=3000)
        self.classifier.fit(self._features(texts, encode), truth)
        self.trained_on = [len(crisis), len(negatives)]
        return self

    def score(self, text: str, encode: Encoder) -> CrisisScore:
        """The message's most crisis-like sentence and its probability."""
        spans = sentences(text)
        if self.classifier is None or not spans:
            return CrisisScore()
        parts = [text[s:e] for s, e in spans]
        probabilities = self.classifier.predict_proba(self._features(parts, encode))[:, 1]
        best = int(np.argmax(probabilities))
        return CrisisScore(float(probabilities[best]), spans[best], parts[best])

    def flags(self, result: CrisisScore) -> bool:
        """Whether a score is a crisis statement (at or above the threshold)."""
        return result.span is not None and result.score >= self.threshold
