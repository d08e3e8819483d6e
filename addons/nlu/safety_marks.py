"""The safety marks on NLU training examples, read once for the classifiers that use them.

An intent block may carry ``metadata: {safety: <mark>}``: ``crisis`` for the crisis
classifier, and a red flag's level (``emergency``, ``urgent``, ``crisis``) for the
alarm-level classifier.
"""

from __future__ import annotations

from typing import List, Optional, Tuple

from rasa.shared.nlu.constants import METADATA, METADATA_INTENT, TEXT
from rasa.shared.nlu.training_data.training_data import TrainingData

SAFETY_METADATA = "safety"


def marked_examples(training_data: TrainingData) -> List[Tuple[str, Optional[str]]]:
    """(text, safety mark or None) of every intent example that has a text."""
    examples: List[Tuple[str, Optional[str]]] = []
    for example in training_data.intent_examples:
        text = str(example.get(TEXT) or "")
        metadata = (example.get(METADATA) or {}).get(METADATA_INTENT) or {}
        mark = metadata.get(SAFETY_METADATA)
        if text:
            examples.append((text, str(mark) if mark is not None else None))
    return examples
