"""First NLU component: clean and cap the text every later component sees."""

from __future__ import annotations

from typing import Any, Dict, List

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from clinic.text import normalise_for_nlu

# The patient's words before shorthand expansion, for components that report character
# offsets (entities must point into the text the patient typed, not the expanded one).
ORIGINAL_TEXT = "clinic_original_text"


@DefaultV1Recipe.register(
    DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER, is_trainable=False
)
class TextNormaliser(GraphComponent):
    """Strips markup and control characters, expands SMS shorthand and caps the length.

    The cap protects the classifiers even when text arrives through ``/model/parse``; the
    conversation keeps the patient's original words (Rasa stores ``UserMessage.text``).
    """

    @staticmethod
    def get_default_config() -> Dict[str, Any]:
        """Default: read at most 1000 characters."""
        return {"max_chars": 1000}

    def __init__(self, config: Dict[str, Any]) -> None:
        """Store the component configuration."""
        self._max_chars = int(config["max_chars"])

    @classmethod
    def create(
        cls,
        config: Dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> TextNormaliser:
        """Create the component (nothing to train or load)."""
        return cls(config)

    def _normalise(self, message: Message) -> None:
        text = message.get(TEXT)
        if isinstance(text, str) and text:
            message.set(ORIGINAL_TEXT, text[: self._max_chars])
            message.set(TEXT, normalise_for_nlu(text, self._max_chars), add_to_output=True)

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        """Apply the same normalisation to training examples."""
        for example in training_data.training_examples:
            self._normalise(example)
        return training_data

    def process(self, messages: List[Message]) -> List[Message]:
        """Normalise incoming messages in place."""
        for message in messages:
            self._normalise(message)
        return messages
