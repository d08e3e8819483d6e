"""The router: calibrated classifier over TF-IDF + sentence embeddings, Rasa-shaped output."""

from __future__ import annotations

from pathlib import Path
from typing import Sequence

import numpy as np
import pytest

from addons.nlu.router import routing_output
from addons.nlu.routing_model import RouterModel, RouterSettings
from addons.nlu.sentence_encoder import (
    DIMENSIONS,
    EncoderFiles,
    EncoderUnavailable,
    SentenceEncoder,
    default_model_path,
    sha256_of,
)

TRAIN = [
    ("how long is the recovery", "faq/recovery_time"),
    ("when will i feel normal again", "faq/recovery_time"),
    ("weeks until i am back to normal", "faq/recovery_time"),
    ("how long to heal", "faq/recovery_time"),
    ("what are the risks", "faq/risks"),
    ("is it dangerous", "faq/risks"),
    ("any complications", "faq/risks"),
    ("could something go wrong", "faq/risks"),
    ("hello there", "greet"),
    ("hi", "greet"),
    ("good morning", "greet"),
    ("hey you", "greet"),
]


def fake_encoder(texts: Sequence[str]) -> np.ndarray:
    """A deterministic stand-in: bag of letters, normalised (no model file needed)."""
    rows = np.zeros((len(texts), 26), dtype=np.float32)
    for i, text in enumerate(texts):
        for char in text.lower():
            if "a" <= char <= "z":
                rows[i, ord(char) - 97] += 1
    return rows / np.maximum(np.linalg.norm(rows, axis=1, keepdims=True), 1e-9)


@pytest.fixture(scope="module")
def model() -> RouterModel:
    texts, labels = zip(*TRAIN, strict=True)
    return RouterModel(RouterSettings(folds=3)).fit(list(texts), list(labels), fake_encoder)


def test_probabilities_are_a_distribution_over_every_label(model):
    probs = model.predict_proba(["how long is recovery", "hi"], fake_encoder)
    assert probs.shape == (2, 3)
    assert np.allclose(probs.sum(axis=1), 1.0)
    assert sorted(model.labels) == ["faq/recovery_time", "faq/risks", "greet"]
    assert 0.2 <= model.temperature <= 5.0


def test_ranking_puts_the_right_label_first(model):
    assert model.rank("how long does recovery take", fake_encoder)[0][0] == "faq/recovery_time"
    assert model.rank("hello", fake_encoder)[0][0] == "greet"


def test_save_and_load_give_the_same_probabilities(model, tmp_path: Path):
    model.save(tmp_path)
    loaded = RouterModel.load(tmp_path)
    text = ["are there risks"]
    assert np.allclose(loaded.predict_proba(text, fake_encoder), model.predict_proba(text,
                                                                                     fake_encoder))


def test_output_has_the_shape_of_diet_and_the_response_selector():
    ranking = [("faq/risks", 0.7), ("faq/recovery_time", 0.2), ("greet", 0.1)]
    out = routing_output(ranking)
    assert out["intent"] == {"name": "faq", "confidence": 0.7}
    assert out["intent_ranking"] == [{"name": "faq", "confidence": 0.7},
                                     {"name": "greet", "confidence": 0.1}]
    selected = out["response_selector"]["faq"]
    assert selected["response"]["intent_response_key"] == "faq/risks"
    assert selected["response"]["confidence"] == 0.7
    assert selected["response"]["utter_action"] == "utter_faq/risks"
    assert [r["intent_response_key"] for r in selected["ranking"]] == ["faq/risks",
                                                                       "faq/recovery_time"]


def test_an_intent_keeps_its_own_probability_when_it_wins():
    out = routing_output([("greet", 0.55), ("faq/risks", 0.4), ("faq/recovery_time", 0.05)])
    assert out["intent"] == {"name": "greet", "confidence": 0.55}
    assert out["response_selector"]["faq"]["response"]["intent_response_key"] == "faq/risks"


def test_a_changed_model_file_is_refused_with_a_clear_message(tmp_path: Path):
    fake = tmp_path / "model.onnx"
    fake.write_bytes(b"not the model")
    with pytest.raises(EncoderUnavailable, match="not the pinned file.*make install"):
        SentenceEncoder(EncoderFiles(model=fake))


def test_a_missing_model_file_is_refused_with_a_clear_message(tmp_path: Path):
    with pytest.raises(EncoderUnavailable, match="missing.*make install"):
        SentenceEncoder(EncoderFiles(model=tmp_path / "absent.onnx"))


@pytest.fixture(scope="module")
def encoder() -> SentenceEncoder:
    return SentenceEncoder(EncoderFiles(model=default_model_path()))


def test_the_installed_model_is_the_pinned_one():
    assert sha256_of(default_model_path()) == EncoderFiles(model=Path()).model_sha256


def test_sentence_vectors_are_unit_length_and_mean_something(encoder):
    vectors = encoder.encode([
        "how long does recovery take after kyphoplasty",
        "when will I feel like myself again after the back procedure",
        "what is the capital of France",
        "",
    ])
    assert vectors.shape == (4, DIMENSIONS)
    assert np.allclose(np.linalg.norm(vectors[:3], axis=1), 1.0, atol=1e-4)
    assert vectors[0] @ vectors[1] > vectors[0] @ vectors[2] + 0.2
    assert encoder.encode([]).shape == (0, DIMENSIONS)


def test_long_text_is_cut_not_refused(encoder):
    assert encoder.encode(["back pain " * 2000]).shape == (1, DIMENSIONS)


def test_a_message_without_words_gives_no_label_any_confidence():
    from addons.nlu.router import routing_output

    out = routing_output([("affirm", 0.0), ("faq/risks", 0.0)])
    assert out["intent"]["confidence"] == 0.0


def test_repeated_texts_are_encoded_once_and_give_the_same_vectors(encoder, monkeypatch):
    texts = ["is the cement safe", "how long is recovery", "is the cement safe"]
    first = encoder.encode(texts)
    calls = []
    real = encoder._encode_batch

    def counting(batch):
        calls.append(batch)
        return real(batch)

    monkeypatch.setattr(encoder, "_encode_batch", counting)
    again = encoder.encode(["how long is recovery", "a text never seen before"])
    assert calls == [["a text never seen before"]]
    assert np.allclose(again[0], first[1])
    assert np.allclose(first[0], first[2])
