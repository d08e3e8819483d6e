"""The sentence-level crisis classifier (plain code, with a stand-in encoder)."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Sequence

import numpy as np
import pytest

from addons.safety.crisis_model import CrisisModel, sentences

CRISIS = [
    "I want to die", "I don't want to live anymore", "I'm going to kill myself",
    "I have saved up my pills to end it", "everyone would be better off without me",
    "I won't be around much longer", "I want to end my life", "I keep thinking about suicide",
]
OTHER = [
    "how long is the recovery", "when can I drive again", "what is kyphoplasty",
    "is the cement safe", "do I need a brace. How long do I wear it?",
    "what are the risks", "can I shower after the procedure", "thank you so much",
    "I'd like to book an appointment", "what time do you open",
]


def fake_encode(texts: Sequence[str]) -> np.ndarray:
    """A deterministic bag-of-words vector: enough to separate the two sets."""
    rows = np.zeros((len(texts), 64), dtype=np.float32)
    for row, text in enumerate(texts):
        for word in text.lower().split():
            rows[row, int(hashlib.sha256(word.encode()).hexdigest(), 16) % 64] += 1.0
    norms = np.maximum(np.linalg.norm(rows, axis=1, keepdims=True), 1e-9)
    return rows / norms


@pytest.fixture(scope="module")
def model() -> CrisisModel:
    return CrisisModel(c=16.0, threshold=0.5).fit(CRISIS, OTHER, fake_encode)


@pytest.mark.parametrize(
    "text, expected",
    [
        ("One. Two! Three?", ["One.", "Two!", "Three?"]),
        ("first line\nsecond line", ["first line", "second line"]),
        ("wait... what?! ok", ["wait...", "what?!", "ok"]),
        ("   ", []),
        ("?? !!", []),
        ("Dr. Patel said so. Thanks", ["Dr. Patel said so.", "Thanks"]),
        ("ask Mrs. Okafor", ["ask Mrs. Okafor"]),
    ],
)
def test_sentences(text, expected):
    assert [text[s:e] for s, e in sentences(text)] == expected


def test_the_crisis_sentence_of_a_long_message_is_found(model):
    text = "Thanks for the help with my brace. Honestly I want to end my life. Bye."
    result = model.score(text, fake_encode)
    assert result.sentence == "Honestly I want to end my life."
    assert text[result.span[0]:result.span[1]] == result.sentence
    assert model.flags(result)


def test_an_ordinary_question_is_not_flagged(model):
    result = model.score("how long is the recovery after kyphoplasty", fake_encode)
    assert not model.flags(result)
    assert result.score < 0.5


def test_a_message_without_words_scores_nothing(model):
    result = model.score("!!! 123", fake_encode)
    assert result.span is None and result.score == 0.0 and not model.flags(result)


def test_negatives_are_split_into_sentences(model):
    assert model.trained_on == [len(CRISIS), len(OTHER) + 1]


def test_fit_needs_both_kinds_of_examples():
    with pytest.raises(ValueError):
        CrisisModel().fit([], OTHER, fake_encode)


def test_save_and_load_give_the_same_scores(model, tmp_path: Path):
    model.save(tmp_path)
    loaded = CrisisModel.load(tmp_path)
    text = "I want to die. What time do you open?"
    assert loaded.score(text, fake_encode).score == pytest.approx(
        model.score(text, fake_encode).score)
    assert loaded.threshold == model.threshold


class _FakeEncoder:
    encode = staticmethod(fake_encode)


@pytest.mark.parametrize("router_urgent, flagged", [(0.5, True), (0.01, False)])
def test_the_component_needs_the_routers_second_opinion(model, monkeypatch, router_urgent,
                                                        flagged):
    from rasa.shared.nlu.training_data.message import Message

    import addons.nlu.crisis as crisis

    monkeypatch.setattr(crisis, "shared_encoder", _FakeEncoder)
    config = {**crisis.CrisisClassifier.get_default_config(), "threshold": 0.5}
    component = crisis.CrisisClassifier(config, None, None, model)  # type: ignore[arg-type]
    message = Message(data={"text": "Thanks. I want to end my life.", "intent_ranking": [
        {"name": "faq", "confidence": 1 - router_urgent},
        {"name": "urgent_symptom", "confidence": router_urgent}]})
    component.process([message])
    verdict = message.get("crisis")
    assert verdict["flagged"] is flagged
    assert verdict["router_urgent"] == router_urgent
    if flagged:
        assert verdict["sentence"] == "I want to end my life."
        assert verdict["score"] >= 0.5
    else:  # below the router's minimum share the sentences are not scored
        assert verdict["score"] is None and verdict["sentence"] == ""


def test_the_component_trains_on_the_marked_examples_only():
    from rasa.shared.nlu.training_data.message import Message
    from rasa.shared.nlu.training_data.training_data import TrainingData

    from addons.nlu.crisis import crisis_examples

    data = TrainingData([
        Message.build("I want to die", "urgent_symptom", None, {"safety": "crisis"}),
        Message.build("my chest hurts", "urgent_symptom"),
        Message.build("how long is recovery", "faq"),
    ])
    assert crisis_examples(data) == (["I want to die"], ["my chest hurts", "how long is recovery"])


def test_the_component_trains_stores_and_loads_through_rasa(monkeypatch, tmp_path: Path):
    from rasa.engine.storage.local_model_storage import LocalModelStorage
    from rasa.engine.storage.resource import Resource
    from rasa.shared.nlu.training_data.message import Message
    from rasa.shared.nlu.training_data.training_data import TrainingData

    import addons.nlu.crisis as crisis

    monkeypatch.setattr(crisis, "shared_encoder", _FakeEncoder)
    storage = LocalModelStorage(tmp_path)
    resource = Resource("crisis")
    config = {**crisis.CrisisClassifier.get_default_config(), "threshold": 0.5}
    data = TrainingData(
        [Message.build(t, "urgent_symptom", None, {"safety": "crisis"}) for t in CRISIS]
        + [Message.build(t, "faq") for t in OTHER]
    )
    trained = crisis.CrisisClassifier.create(config, storage, resource, None)  # type: ignore[arg-type]
    trained.train(data)
    loaded = crisis.CrisisClassifier.load(config, storage, resource, None)  # type: ignore[arg-type]
    message = Message(data={"text": "I want to die", "intent_ranking": [
        {"name": "urgent_symptom", "confidence": 0.4}]})
    loaded.process([message])
    assert message.get("crisis")["flagged"] is True
    assert message.get("crisis")["threshold"] == 0.5
