"""Rasa graph component: the sentence-level crisis classifier on every message.

Trains :class:`addons.safety.crisis_model.CrisisModel` on the NLU examples whose intent
block carries ``metadata: {safety: crisis}`` (``data/nlu/safety/crisis.yml``) against every
other example, and writes its verdict into the parse data as ``crisis``: the score, the
threshold, whether it flags the message and the sentence (with its offsets) it stands on.
A sentence flags the message only when the router, reading the whole message, also gives
``urgent_symptom`` at least ``min_router_urgent``: on the blind tuning sets the sentence
model alone mistook figures of speech ("you'll be the death of me", "I want to get this
over with") for crisis statements, and the router's second opinion ruled most of them out.
The red-flag guard, placed after it, turns a flag into a crisis alarm. Place after the
router (it reads the router's ranking); below ``min_router_urgent`` no sentence is scored.
"""

from __future__ import annotations

import logging
from typing import Any, Dict, List, Optional, Tuple

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from addons.nlu.safety_marks import marked_examples
from addons.nlu.sentence_encoder import shared_encoder
from addons.nlu.stored import StoredModelComponent
from addons.safety.crisis_model import CrisisModel
from clinic.text import has_words
from clinic.vocabulary import URGENT_INTENT

logger = logging.getLogger(__name__)
CRISIS_KEY = "crisis"


def crisis_examples(training_data: TrainingData) -> Tuple[List[str], List[str]]:
    """(crisis statements, every other example's text)."""
    examples = marked_examples(training_data)
    return ([t for t, mark in examples if mark == CRISIS_KEY],
            [t for t, mark in examples if mark != CRISIS_KEY])


@DefaultV1Recipe.register(
    DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=True
)
class CrisisClassifier(StoredModelComponent):
    """Scores each sentence for self-harm or suicidal meaning (see module docstring)."""

    @staticmethod
    def get_default_config() -> Dict[str, Any]:
        """Regularisation, dense-feature weight, flagging threshold, the router's minimum."""
        defaults = CrisisModel()
        return {"c": defaults.c, "dense_weight": defaults.dense_weight,
                "threshold": defaults.threshold, "min_router_urgent": 0.03}

    model_type = CrisisModel

    def __init__(
        self,
        config: Dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        model: Optional[CrisisModel] = None,
    ) -> None:
        """Keep the config and the model, with the configured threshold."""
        super().__init__(config, model_storage, resource, model)
        if model is not None:
            model.threshold = float(config["threshold"])

    def train(self, training_data: TrainingData) -> Resource:
        """Fit on the marked crisis examples against all the others; store the model."""
        crisis, other = crisis_examples(training_data)
        model = CrisisModel(c=float(self._config["c"]),
                            dense_weight=float(self._config["dense_weight"]),
                            threshold=float(self._config["threshold"]))
        self._model = model.fit(crisis, other, shared_encoder().encode)
        logger.info("Crisis classifier trained on %d crisis and %d other sentences",
                    *self._model.trained_on)
        return self.persist(self._model)

    def process(self, messages: List[Message]) -> List[Message]:
        """Score every message (an untrained classifier leaves them as they are)."""
        if self._model is None:
            return messages
        encode = shared_encoder().encode
        for message in messages:
            text = str(message.get(TEXT) or "")
            if has_words(text):
                entry = self._judge(self._model, text, encode, message)
                message.set(CRISIS_KEY, entry, add_to_output=True)
        return messages

    def _judge(
        self, model: CrisisModel, text: str, encode: Any, message: Message
    ) -> Dict[str, Any]:
        """The parse entry of one message.

        Below the router's minimum share nothing can be flagged, so the sentences are not
        scored at all (``score`` None: most messages, and most of this component's time).
        """
        ranking = message.get("intent_ranking") or []
        router_urgent = next((float(r["confidence"]) for r in ranking
                              if r.get("name") == URGENT_INTENT), 0.0)
        entry: Dict[str, Any] = {"router_urgent": round(router_urgent, 4), "score": None,
                                 "threshold": model.threshold, "flagged": False,
                                 "sentence": "", "start": 0, "end": 0}
        if router_urgent < float(self._config["min_router_urgent"]):
            return entry
        result = model.score(text, encode)
        entry.update({
            "score": round(result.score, 4),
            "flagged": model.flags(result),
            "sentence": result.sentence,
            "start": result.span[0] if result.span else 0,
            "end": result.span[1] if result.span else 0,
        })
        return entry
