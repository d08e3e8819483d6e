"""Entities from the project's spaCy entity ruler, with canonical values."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Dict, List

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.nlu.extractors.spacy_entity_extractor import SpacyEntityExtractor

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
    """

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
