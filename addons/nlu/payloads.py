"""Resolve FAQ button payloads (``/faq/<key>``) into a certain FAQ prediction."""

from __future__ import annotations

import re
from typing import Any, Dict, List, Optional

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message

_FAQ_PAYLOAD = re.compile(r"^/(?P<intent>[a-z_]+)/(?P<key>[a-z0-9_]+)$")


def _known_keys(selector: Dict[str, Any], intent: str) -> List[str]:
    ranking = (selector.get(intent) or {}).get("ranking") or []
    return [str(item.get("intent_response_key")) for item in ranking]


def resolve(message: Message) -> Optional[str]:
    """Return the ``intent/key`` a payload names, if the response selector knows it."""
    match = _FAQ_PAYLOAD.match((message.get(TEXT) or "").strip())
    if not match:
        return None
    selector = message.get("response_selector") or {}
    full_key = f"{match['intent']}/{match['key']}"
    return full_key if full_key in _known_keys(selector, match["intent"]) else None


@DefaultV1Recipe.register(
    DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=False
)
class FaqPayloadResolver(GraphComponent):
    """Turns an offered FAQ button payload into a certain FAQ prediction.

    Rasa's own payload parser only knows plain intents (``/affirm``); FAQ buttons need
    ``/faq/<key>``. The guarded channel lets such text through only when the bot itself
    offered that button. Place last, after the response selector and the fallback.
    """

    @classmethod
    def create(
        cls,
        config: Dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> FaqPayloadResolver:
        """Create the component (nothing to train or load)."""
        return cls()

    def process(self, messages: List[Message]) -> List[Message]:
        """Overwrite intent and answer choice for recognised FAQ payloads."""
        for message in messages:
            full_key = resolve(message)
            if full_key is None:
                continue
            intent, _ = full_key.split("/", 1)
            message.set("intent", {"name": intent, "confidence": 1.0}, add_to_output=True)
            message.set(
                "intent_ranking", [{"name": intent, "confidence": 1.0}], add_to_output=True
            )
            selector = message.get("response_selector")
            entry = selector[intent]
            entry["response"] = {
                "responses": [],
                "confidence": 1.0,
                "intent_response_key": full_key,
                "utter_action": f"utter_{full_key}",
            }
            entry["ranking"] = [{"confidence": 1.0, "intent_response_key": full_key}]
            message.set("response_selector", selector, add_to_output=True)
        return messages
