"""The level of a red flag the rules did not recognise: 911, 988 or the urgent line.

When only the router calls a message ``urgent_symptom``, nothing says whether it describes
an emergency (911), a crisis (988) or an urgent problem (the clinic's 24/7 line). This
model answers that from the message as a whole: a logistic regression over character
2-5 grams and MiniLM sentence embeddings, trained on the red-flag examples whose intent
block names their level (``metadata: {safety: emergency | urgent | crisis}``).

Plain code: no Rasa import (the graph component is :mod:`addons.nlu.alarm_level`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar, Dict, List, Sequence

import numpy as np

from addons.safety.features import Encoder, char_and_dense, char_vectoriser
from addons.safety.saved import SavedFields

LEVELS = ("emergency", "crisis", "urgent")


@dataclass
class LevelModel(SavedFields):
    """Character n-grams + dense embeddings, one multinomial logistic regression."""

    model_file: ClassVar[str] = "alarm_level.joblib"
    c: float = 8.0
    dense_weight: float = 1.5
    vectoriser: Any = None
    classifier: Any = None
    trained_on: Dict[str, int] = field(default_factory=dict)

    def _features(self, texts: Sequence[str], encode: Encoder) -> Any:
        return char_and_dense(self.vectoriser, texts, encode, self.dense_weight)

    def fit(self, texts: Sequence[str], levels: Sequence[str], encode: Encoder) -> LevelModel:
        """Fit on red-flag examples and their levels (at least two levels needed)."""
        from sklearn.linear_model import LogisticRegression

        if len(set(levels)) < 2 or any(level not in LEVELS for level in levels):
            raise ValueError(f"the level model needs examples of two or more of {LEVELS}")
        self.vectoriser = char_vectoriser(texts)
        self.classifier = LogisticRegression(C=self.c, max_iter=3000)
        self.classifier.fit(self._features(texts, encode), np.asarray(levels))
        self.trained_on = {level: int(sum(x == level for x in levels)) for level in LEVELS}
        return self

    def probabilities(self, text: str, encode: Encoder) -> Dict[str, float]:
        """Each level's probability for one message (empty when untrained)."""
        if self.classifier is None:
            return {}
        row = self.classifier.predict_proba(self._features([text], encode))[0]
        return {str(level): float(p) for level, p in zip(self.classifier.classes_, row,
                                                          strict=True)}


def most_likely(probabilities: Dict[str, float], default: str) -> str:
    """The most probable level, or ``default`` when there is nothing to read."""
    if not probabilities:
        return default
    best: List[str] = sorted(probabilities, key=lambda k: -probabilities[k])
    return best[0]
