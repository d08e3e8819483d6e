"""FAQ button payloads (``/faq/<key>``) and a lean response-selector output.

Rasa's own payload parser only knows plain intents (``/affirm``); FAQ buttons need
``/faq/<key>``. The guarded channel lets such text through only when the bot itself
offered that button; this component turns it into a certain FAQ prediction. It also drops
the full answer texts the ResponseSelector copies into every parse result (the dialogue
only needs the answer's name), which keeps stored conversations small.
A follow-up the channel resolved from the conversation ("and for vertebroplasty?") is
forced the same way, unless the message is a red flag. Place last, after the response
selector and the fallback classifier.
"""

from __future__ import annotations

import json
import re
import warnings
from typing import Any, Dict, List, Optional

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from clinic.vocabulary import FOLLOW_UP_KEY, URGENT_INTENT

_FAQ_PAYLOAD = re.compile(r"^/(?P<intent>[a-z_]+)/(?P<key>[a-z0-9_]+)$")

# Rasa's regex reader warns about every /faq/<key> payload before this component handles it.
warnings.filterwarnings("ignore", message=r"Failed to parse arguments in line '/faq/")
_KEYS_FILE = "retrieval_keys.json"


def resolve(text: Optional[str], known: List[str]) -> Optional[str]:
    """Return the ``intent/key`` a payload names, if it is a known answer."""
    match = _FAQ_PAYLOAD.match((text or "").strip())
    if not match:
        return None
    full_key = f"{match['intent']}/{match['key']}"
    return full_key if full_key in known else None


def _force(message: Message, full_key: str) -> None:
    intent, _ = full_key.split("/", 1)
    message.set("intent", {"name": intent, "confidence": 1.0}, add_to_output=True)
    message.set("intent_ranking", [{"name": intent, "confidence": 1.0}], add_to_output=True)
    selector = message.get("response_selector") or {}
    selector[intent] = {
        "response": {
            "responses": [],
            "confidence": 1.0,
            "intent_response_key": full_key,
            "utter_action": f"utter_{full_key}",
        },
        "ranking": [{"confidence": 1.0, "intent_response_key": full_key}],
    }
    message.set("response_selector", selector, add_to_output=True)


def _follow_up(message: Message, known: List[str]) -> None:
    """Give a follow-up read from the conversation its answer (a red flag always wins)."""
    asked = (message.get("metadata") or {}).get(FOLLOW_UP_KEY)
    if not isinstance(asked, dict) or asked.get("answer") not in known:
        return
    if (message.get("intent") or {}).get("name") == URGENT_INTENT:
        return
    _force(message, str(asked["answer"]))
    message.set(FOLLOW_UP_KEY, {k: asked.get(k) for k in ("answer", "procedure", "twin")},
                add_to_output=True)


def _drop_answer_texts(message: Message) -> None:
    for entry in (message.get("response_selector") or {}).values():
        if isinstance(entry, dict) and isinstance(entry.get("response"), dict):
            entry["response"]["responses"] = []


@DefaultV1Recipe.register(
    DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=True
)
class FaqPayloadResolver(GraphComponent):
    """Certain FAQ prediction for offered ``/faq/<key>`` buttons (see module docstring)."""

    def __init__(
        self, model_storage: ModelStorage, resource: Resource, known: Optional[List[str]] = None
    ) -> None:
        """Keep the known ``intent/key`` names."""
        self._model_storage = model_storage
        self._resource = resource
        self._known = sorted(known or [])

    @classmethod
    def create(
        cls,
        config: Dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> FaqPayloadResolver:
        """Create an untrained component."""
        return cls(model_storage, resource)

    def train(self, training_data: TrainingData) -> Resource:
        """Remember which retrieval answers exist (``faq/<key>``)."""
        self._known = sorted(
            name[len("utter_"):] for name in training_data.responses if "/" in name
        )
        with self._model_storage.write_to(self._resource) as directory:
            (directory / _KEYS_FILE).write_text(json.dumps(self._known), encoding="utf-8")
        return self._resource

    @classmethod
    def load(
        cls,
        config: Dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> FaqPayloadResolver:
        """Load the known answer names saved by :meth:`train`."""
        try:
            with model_storage.read_from(resource) as directory:
                known = json.loads((directory / _KEYS_FILE).read_text(encoding="utf-8"))
        except (ValueError, FileNotFoundError):
            known = []
        return cls(model_storage, resource, known)

    def process(self, messages: List[Message]) -> List[Message]:
        """Resolve payloads and slim down the response-selector output."""
        for message in messages:
            full_key = resolve(message.get(TEXT), self._known)
            if full_key is not None:
                _force(message, full_key)
            else:
                _follow_up(message, self._known)
            _drop_answer_texts(message)
        return messages
