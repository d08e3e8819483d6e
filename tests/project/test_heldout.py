"""Held-out sets stay held out: none of their messages is in the training data."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Iterator

import yaml

from scripts.nlu_eval import load_examples, training_files

ROOT = Path(__file__).resolve().parents[2]


def _key(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", " ", text.lower()).strip()


def held_out_texts() -> Iterator[str]:
    yield from (text for text, _ in load_examples([ROOT / "tests" / "nlu_test.yml"]))
    safety = yaml.safe_load((ROOT / "tests" / "safety_set.yml").read_text(encoding="utf-8"))
    yield from (item["text"] for item in safety["red_flags"])
    yield from safety["look_alikes"]
    for path in sorted((ROOT / "eval").glob("persona_*.yml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        for section in ("routing", "red_flags", "look_alikes"):
            yield from (item["text"] for item in data.get(section) or [])


def test_no_held_out_message_is_trained_on():
    training = {_key(text) for text, _ in load_examples(training_files(ROOT))}
    leaked = [text for text in held_out_texts() if _key(text) in training and len(_key(text)) > 12]
    assert not leaked, leaked[:10]
