"""Rasa graph component: intents and FAQ answers from one calibrated classifier.

Replaces DIET + ResponseSelector. Its output has their shape, so the rules, the
fallback classifier, the "Did you mean" buttons and ``utter_faq`` work unchanged:
``intent`` (``faq`` for every curated answer) with the chosen label's own probability,
``intent_ranking`` (one entry per intent, FAQ = its best answer) and
``response_selector.faq`` with the answer key and a ranking of answers.
The model itself is plain code in :mod:`addons.nlu.routing_model`.
"""

from __future__ import annotations

import logging
import warnings
from typing import Any, Dict, List, Optional, Tuple

from rasa.engine.graph import ExecutionContext
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import INTENT, INTENT_RESPONSE_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from addons.nlu.routing_model import RouterModel, RouterSettings
from addons.nlu.sentence_encoder import shared_encoder
from addons.nlu.stored import StoredModelComponent
from clinic.text import has_words
from clinic.vocabulary import FAQ_INTENT

logger = logging.getLogger(__name__)
RETRIEVAL_INTENT = FAQ_INTENT
RANKING_LENGTH = 10

# Rasa warns that retrieval data needs a ResponseSelector; this component is the selector.
warnings.filterwarnings("ignore", message="You have defined training data with examples for "
                        "training a response selector")


def training_pairs(training_data: TrainingData) -> Tuple[List[str], List[str]]:
    """(text, label) of every NLU example; label = ``faq/<key>`` for retrieval examples."""
    texts, labels = [], []
    for example in training_data.intent_examples:
        text = example.get(TEXT)
        label = example.get(INTENT_RESPONSE_KEY) or example.get(INTENT)
        if text and label:
            texts.append(str(text))
            labels.append(str(label))
    return texts, labels


def _intent_of(label: str) -> str:
    return label.split("/", 1)[0]


def routing_output(ranking: List[Tuple[str, float]]) -> Dict[str, Any]:
    """``intent``, ``intent_ranking`` and ``response_selector`` for a label ranking."""
    top_label, top_conf = ranking[0]
    intents: Dict[str, float] = {}
    for label, conf in ranking:
        intents.setdefault(_intent_of(label), conf)  # an intent's best label (ranking sorted)
    answers = [(label, conf) for label, conf in ranking if _intent_of(label) == RETRIEVAL_INTENT]
    best_key, best_conf = answers[0] if answers else (f"{RETRIEVAL_INTENT}/none", 0.0)
    selector = {
        "all_retrieval_intents": [RETRIEVAL_INTENT],
        RETRIEVAL_INTENT: {
            "response": {
                "responses": [],
                "confidence": best_conf,
                "intent_response_key": best_key,
                "utter_action": f"utter_{best_key}",
            },
            "ranking": [
                {"confidence": conf, "intent_response_key": label}
                for label, conf in answers[:RANKING_LENGTH]
            ],
        },
    }
    return {
        "intent": {"name": _intent_of(top_label), "confidence": top_conf},
        "intent_ranking": [
            {"name": name, "confidence": conf}
            for name, conf in list(intents.items())[:RANKING_LENGTH]
        ],
        "response_selector": selector,
    }


@DefaultV1Recipe.register(
    DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=True
)
class CalibratedRouter(StoredModelComponent):
    """TF-IDF + MiniLM features, logistic regression, temperature-calibrated."""

    @staticmethod
    def get_default_config() -> Dict[str, Any]:
        """Hyper-parameters (see :class:`RouterSettings`)."""
        defaults = RouterSettings()
        return {"c": defaults.c, "dense_weight": defaults.dense_weight,
                "folds": defaults.folds, "seed": defaults.seed}

    model_type = RouterModel

    def __init__(
        self,
        config: Dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        model: Optional[RouterModel] = None,
    ) -> None:
        """Keep the config, its settings and, once trained or loaded, the model."""
        super().__init__(config, model_storage, resource, model)
        self._settings = RouterSettings.from_config(config)

    def train(self, training_data: TrainingData) -> Resource:
        """Fit on every NLU example and store the model."""
        texts, labels = training_pairs(training_data)
        encoder = shared_encoder()
        self._model = RouterModel(self._settings).fit(texts, labels, encoder.encode)
        logger.info("Router trained on %d examples, %d labels, temperature %.2f",
                    len(texts), len(set(labels)), self._model.temperature)
        return self.persist(self._model)

    @classmethod
    def load(
        cls,
        config: Dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> CalibratedRouter:
        """Load the stored model and check the embedding files now, not on the first message."""
        component = super().load(config, model_storage, resource, execution_context, **kwargs)
        shared_encoder()
        return component

    def process(self, messages: List[Message]) -> List[Message]:
        """Route every message (an untrained router leaves messages as they are)."""
        if self._model is None:
            return messages
        encode = shared_encoder().encode
        for message in messages:
            text = str(message.get(TEXT) or "")
            ranking = self._model.rank(text, encode)
            if not has_words(text):  # nothing to read: no label may claim it
                ranking = [(label, 0.0) for label, _ in ranking]
            output = routing_output(ranking)
            for key, value in output.items():
                message.set(key, value, add_to_output=True)
        return messages
