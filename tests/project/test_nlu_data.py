"""Training and held-out data: coverage per label, and no leakage into the held-out set."""

from __future__ import annotations

import string
from collections import Counter

from scripts.nlu_eval import load_examples, training_files
from tests.conftest import ROOT
from tests.project.test_content import ALL_KEYS

INTENTS = [
    "greet", "goodbye", "thank", "affirm", "deny", "bot_challenge", "request_appointment",
    "request_human", "urgent_symptom", "out_of_scope", "cancel", "inform", "spanish",
]
LABELS = set(INTENTS) | {f"faq/{k}" for k in ALL_KEYS}


def norm(text: str) -> str:
    return " ".join(text.lower().translate(str.maketrans("", "", string.punctuation)).split())


def test_training_covers_every_label_with_20_or_more_examples():
    counts = Counter(label for _, label in load_examples(training_files(ROOT)))
    assert set(counts) == LABELS
    thin = {label: n for label, n in counts.items() if n < 20}
    assert not thin


def test_held_out_set_has_5_or_more_per_label():
    counts = Counter(label for _, label in load_examples([ROOT / "tests" / "nlu_test.yml"]))
    assert set(counts) == LABELS
    assert min(counts.values()) >= 5


def test_held_out_messages_never_appear_in_training():
    train = {norm(t) for t, _ in load_examples(training_files(ROOT))}
    leaked = [t for t, _ in load_examples([ROOT / "tests" / "nlu_test.yml"]) if norm(t) in train]
    assert not leaked


def test_no_training_example_has_two_labels():
    seen: dict = {}
    clashes = []
    for text, label in load_examples(training_files(ROOT)):
        key = norm(text)
        if key in seen and seen[key] != label:
            clashes.append((text, seen[key], label))
        seen[key] = label
    assert not clashes
