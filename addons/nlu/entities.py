"""Entities from the project's spaCy entity ruler, with canonical values."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Dict, List

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.nlu.extractors.spacy_entity_extractor import SpacyEntityExtractor
from rasa.nlu.utils.spacy_utils import SpacyModel
from rasa.shared.nlu.constants import ENTITIES, TEXT
from rasa.shared.nlu.training_data.message import Message

from addons.nlu.normaliser import ORIGINAL_TEXT

if TYPE_CHECKING:
    from spacy.tokens.doc import Doc


@DefaultV1Recipe.register(
    DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR,
    is_trainable=False,
    model_from="SpacyNLP",
)
class CanonicalSpacyEntityExtractor(SpacyEntityExtractor):
    """Like ``SpacyEntityExtractor`` but reports the ruler's canonical id as the value.

    "kypho", "kiphoplasty" and "balloon vertebroplasty" all become ``kyphoplasty``.
    Runs on the patient's own (cleaned) words, so offsets point into what they typed.
    """

    def process(self, messages: List[Message], model: SpacyModel) -> List[Message]:
        """Add entity-ruler entities to each message."""
        for message in messages:
            text = message.get(ORIGINAL_TEXT) or message.get(TEXT)
            extracted = self.add_extractor_name(self._extract_entities(model.model(text)))
            extracted = self.filter_irrelevant_entities(extracted, self._config["dimensions"])
            message.set(ENTITIES, message.get(ENTITIES, []) + extracted, add_to_output=True)
        return messages

    @staticmethod
    def _extract_entities(doc: Doc) -> List[Dict[str, Any]]:
        return [
            {
                "entity": ent.label_,
                "value": ent.ent_id_ or ent.text,
                "text": ent.text,
                "start": ent.start_char,
                "end": ent.end_char,
                "confidence": None,
            }
            for ent in doc.ents
        ]
