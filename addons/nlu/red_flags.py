"""Red-flag guard: a deterministic spaCy rule layer on every message.

A classifier miss can never hide a red flag: when the rules find one, the message becomes
``urgent_symptom`` with an entity ``red_flag_level`` (``emergency`` or ``urgent``), which
fills the slot that picks the instruction. When the classifier alone says
``urgent_symptom``, the level is ``urgent`` — unless the rules saw the symptom words only
negated, asked about or in the past ("no fever", "is fever a risk?"), or the message as a
whole is negated, hypothetical, resolved, history or a general question; then it goes to
the next best intent and gets the normal answer.
Place after the fallback classifier and before ``FaqPayloadResolver``.
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.utils.spacy_utils import SpacyModel, SpacyNLP
from rasa.shared.nlu.training_data.message import Message

from addons.safety.detector import URGENT, RedFlagDetector

URGENT_INTENT = "urgent_symptom"
LEVEL_ENTITY = "red_flag_level"
SPACY_DOC = "text_spacy_doc"


def _set_intent(message: Message, name: str, confidence: float) -> None:
    ranking = [r for r in message.get("intent_ranking") or [] if r.get("name") != name]
    message.set("intent", {"name": name, "confidence": confidence}, add_to_output=True)
    message.set(
        "intent_ranking", [{"name": name, "confidence": confidence}, *ranking], add_to_output=True
    )


def _next_best(message: Message) -> Optional[Dict[str, Any]]:
    for candidate in message.get("intent_ranking") or []:
        if candidate.get("name") not in (URGENT_INTENT, "nlu_fallback"):
            return dict(candidate)
    return None


@DefaultV1Recipe.register(
    DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=False, model_from="SpacyNLP"
)
class RedFlagGuard(GraphComponent):
    """Deterministic red-flag layer over the classifier (see module docstring)."""

    @classmethod
    def required_components(cls) -> List[type]:
        """Needs the spaCy docs made by ``SpacyNLP``."""
        return [SpacyNLP]

    def __init__(self) -> None:
        """The detector is built on first use, with the loaded pipeline's vocabulary."""
        self._detector: Optional[RedFlagDetector] = None

    @classmethod
    def create(
        cls,
        config: Dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> RedFlagGuard:
        """Create the component (nothing to train)."""
        return cls()

    def _detect(self, model: SpacyModel) -> RedFlagDetector:
        if self._detector is None:
            self._detector = RedFlagDetector.from_file(model.model.vocab)
        return self._detector

    def process(self, messages: List[Message], model: SpacyModel) -> List[Message]:
        """Assess every message and route red flags to ``urgent_symptom``."""
        for message in messages:
            doc = message.get(SPACY_DOC)
            if doc is None:
                continue
            assessment = self._detect(model).assess(doc)
            message.set("red_flag", assessment.as_dict(), add_to_output=True)
            intent = (message.get("intent") or {}).get("name")
            level = assessment.level
            if level is None and intent == URGENT_INTENT:
                if assessment.suppressed or self._detect(model).message_cue(doc):
                    fallback = _next_best(message)
                    if fallback is not None:
                        _set_intent(message, fallback["name"], float(fallback["confidence"]))
                    continue
                level = URGENT
            if level is None:
                continue
            _set_intent(message, URGENT_INTENT, 1.0)
            entities = [e for e in message.get("entities") or [] if e.get("entity") != LEVEL_ENTITY]
            evidence = [f for f in assessment.findings if f.level == level]
            start, end = (evidence[0].start, evidence[0].end) if evidence else (0, len(doc.text))
            entities.append(
                {
                    "entity": LEVEL_ENTITY,
                    "value": level,
                    "start": start,
                    "end": end,
                    "extractor": type(self).__name__,
                }
            )
            message.set("entities", entities, add_to_output=True)
        return messages
