"""Fallback that also looks at how sure the FAQ response selector is."""

from __future__ import annotations

from typing import Any, Dict

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.nlu.classifiers.fallback_classifier import FallbackClassifier
from rasa.shared.nlu.training_data.message import Message

from clinic.vocabulary import FAQ_INTENT

LEVEL_ENTITY = "red_flag_level"


def faq_confidence(message: Message) -> float:
    """Confidence of the response selector's top FAQ answer (1.0 if there is none)."""
    selector = message.get("response_selector") or {}
    prediction = (selector.get(FAQ_INTENT) or {}).get("response") or {}
    return float(prediction.get("confidence", 1.0))


@DefaultV1Recipe.register(
    DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=False
)
class ClinicFallbackClassifier(FallbackClassifier):
    """``FallbackClassifier`` plus a threshold on the selected FAQ answer.

    Rasa's classifier only checks the intent; a confident ``faq`` intent with an unsure
    answer choice would still give a wrong answer. A message the safety rules flagged never
    falls back. Place after the router and the red-flag guard.
    """

    @staticmethod
    def get_default_config() -> Dict[str, Any]:
        """Adds ``faq_threshold`` to the stock settings."""
        config = FallbackClassifier.get_default_config()
        config["faq_threshold"] = 0.4
        return config

    def _should_fallback(self, message: Message) -> bool:
        if any(e.get("entity") == LEVEL_ENTITY for e in message.get("entities") or []):
            return False  # the safety rules found a red flag: never "Did you mean"
        if super()._should_fallback(message):
            return True
        intent = (message.get("intent") or {}).get("name")
        return intent == FAQ_INTENT and faq_confidence(message) < float(
            self.component_config["faq_threshold"]
        )
