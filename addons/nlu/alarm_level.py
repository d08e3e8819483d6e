"""Rasa graph component: the level of a red flag only the router recognised.

Trains :class:`addons.safety.level_model.LevelModel` on the ``urgent_symptom`` examples
whose intent block carries ``metadata: {safety: <level>}``, and, on a message the router
calls ``urgent_symptom``, writes each level's probability into the parse data as
``alarm_level``. The red-flag guard, placed after it, gives a classifier-only alarm the
most probable level (911, 988 or the urgent line) instead of always the urgent line; the
rules' own level, when they find one, is never changed. Place after the router.
"""

from __future__ import annotations

import logging
from typing import Any, Dict, List, Tuple

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from addons.nlu.safety_marks import marked_examples
from addons.nlu.sentence_encoder import shared_encoder
from addons.nlu.stored import StoredModelComponent
from addons.safety.level_model import LEVELS, LevelModel
from clinic.text import has_words
from clinic.vocabulary import URGENT_INTENT

logger = logging.getLogger(__name__)
LEVEL_KEY = "alarm_level"


def level_examples(training_data: TrainingData) -> Tuple[List[str], List[str]]:
    """(texts, levels) of the examples whose intent block names a red-flag level."""
    examples = [(t, mark) for t, mark in marked_examples(training_data) if mark in LEVELS]
    return [t for t, _ in examples], [str(mark) for _, mark in examples]


@DefaultV1Recipe.register(
    DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=True
)
class AlarmLevelClassifier(StoredModelComponent):
    """Emergency, crisis or urgent, for the router's own ``urgent_symptom`` verdicts."""

    @staticmethod
    def get_default_config() -> Dict[str, Any]:
        """Regularisation and the dense-feature weight."""
        defaults = LevelModel()
        return {"c": defaults.c, "dense_weight": defaults.dense_weight}

    model_type = LevelModel

    def train(self, training_data: TrainingData) -> Resource:
        """Fit on the examples with a level; store the model."""
        texts, levels = level_examples(training_data)
        model = LevelModel(c=float(self._config["c"]),
                           dense_weight=float(self._config["dense_weight"]))
        self._model = model.fit(texts, levels, shared_encoder().encode)
        logger.info("Alarm-level classifier trained on %s", self._model.trained_on)
        return self.persist(self._model)

    def process(self, messages: List[Message]) -> List[Message]:
        """Add the level probabilities to each message the router calls ``urgent_symptom``."""
        if self._model is None:
            return messages
        encode = shared_encoder().encode
        for message in messages:
            text = str(message.get(TEXT) or "")
            if (message.get("intent") or {}).get("name") == URGENT_INTENT and has_words(text):
                probabilities = self._model.probabilities(text, encode)
                message.set(LEVEL_KEY, {k: round(v, 4) for k, v in probabilities.items()},
                            add_to_output=True)
        return messages
