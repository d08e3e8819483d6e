"""Rasa's ``SpacyNLP`` with a bounded vocabulary: a long-running server stays in its memory.

spaCy 3.4 adds every new word it meets to the pipeline's ``Vocab`` and ``StringStore`` and
never lets go: 20,000 messages of unseen words (names, phone numbers, typos, or a flood of
junk) took a server 620 MB further (``docs/fuzz.md``). When the vocabulary has grown by
``max_new_lexemes`` since loading, this component loads the same pipeline from disk again,
before any of the turn's documents are made (documents of an earlier turn keep the old
vocabulary alive until they are gone). Loading is deterministic, so analyses are the same.

The class keeps the name ``SpacyNLP``: Rasa's recipe hands the spaCy model to the tokenizer
and the other spaCy components by that class name (``model_from="SpacyNLP"``). Components
that hold vocabulary-bound objects (the red-flag ``Matcher``) key them by ``doc.vocab``.
"""

from __future__ import annotations

import logging
from typing import Any, Dict, List

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.nlu.utils import spacy_utils
from rasa.nlu.utils.spacy_utils import SpacyModel
from rasa.shared.nlu.training_data.message import Message

logger = logging.getLogger(__name__)

DEFAULT_MAX_NEW_LEXEMES = 100_000  # about 50 MB of words and strings


def vocabulary_size(model: SpacyModel) -> int:
    """Words plus strings the pipeline holds now."""
    vocab = model.model.vocab
    return len(vocab) + len(vocab.strings)


@DefaultV1Recipe.register(
    [
        DefaultV1Recipe.ComponentType.MODEL_LOADER,
        DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER,
    ],
    is_trainable=False,
    model_from="SpacyNLP",
)
class SpacyNLP(spacy_utils.SpacyNLP):
    """``SpacyNLP`` that reloads its pipeline when the vocabulary outgrows its bound."""

    @staticmethod
    def get_default_config() -> Dict[str, Any]:
        """Rasa's settings plus ``max_new_lexemes``."""
        return {**spacy_utils.SpacyNLP.get_default_config(),
                "max_new_lexemes": DEFAULT_MAX_NEW_LEXEMES}

    def __init__(self, model: SpacyModel, config: Dict[str, Any]) -> None:
        """Remember the loaded vocabulary's size: growth is counted from there."""
        super().__init__(model, config)
        self._max_new = int(config.get("max_new_lexemes", DEFAULT_MAX_NEW_LEXEMES))
        self._loaded_size = vocabulary_size(model)
        self.reloads = 0

    def bound_vocabulary(self, model: SpacyModel) -> bool:
        """Load the pipeline again if its vocabulary grew past the bound; True if it did."""
        if self._max_new <= 0 or vocabulary_size(model) - self._loaded_size <= self._max_new:
            return False
        grown = vocabulary_size(model) - self._loaded_size
        fresh = self.load_model(model.model_name).model
        model.model = fresh  # the object every spaCy component of the graph is handed
        if self._model is not model:
            self._model.model = fresh
        self._loaded_size = vocabulary_size(model)
        self.reloads += 1
        logger.info("spaCy vocabulary grew by %d entries: pipeline reloaded (%d so far)",
                    grown, self.reloads)
        return True

    def process(self, messages: List[Message], model: SpacyModel) -> List[Message]:
        """Bound the vocabulary, then add spaCy documents as Rasa's ``SpacyNLP`` does."""
        self.bound_vocabulary(model)
        return super().process(messages, model)
