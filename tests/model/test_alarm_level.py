"""The level of a red flag only the router recognised (plain model, component, guard)."""

from __future__ import annotations

from pathlib import Path

import pytest

from addons.safety.level_model import LevelModel, most_likely
from tests.model.test_crisis_model import fake_encode

EXAMPLES = {
    "emergency": ["my chest is crushing and my arm", "he can't breathe at all",
                  "her legs gave out and won't move", "he passed out on the floor",
                  "chest pressure going to my jaw", "i cant get air"],
    "urgent": ["the incision is red and oozing pus", "fever of 102 and chills",
               "my calf is swollen and hot on one side", "the wound smells bad",
               "new tingling in both feet", "the site is leaking yellow fluid"],
    "crisis": ["i want to end my life", "everyone would be better off without me",
               "i don't want to wake up", "i have saved my pills to end it",
               "i won't be a burden much longer", "i want to die"],
}


@pytest.fixture(scope="module")
def model() -> LevelModel:
    texts = [t for level in EXAMPLES for t in EXAMPLES[level]]
    levels = [level for level in EXAMPLES for _ in EXAMPLES[level]]
    return LevelModel(c=16.0).fit(texts, levels, fake_encode)


@pytest.mark.parametrize("text, level", [
    ("my chest is crushing", "emergency"),
    ("the wound is red and oozing", "urgent"),
    ("i want to end it, everyone would be better off", "crisis"),
])
def test_the_most_likely_level_is_read_from_the_whole_message(model, text, level):
    probabilities = model.probabilities(text, fake_encode)
    assert set(probabilities) == {"emergency", "urgent", "crisis"}
    assert abs(sum(probabilities.values()) - 1.0) < 1e-6
    assert most_likely(probabilities, "urgent") == level


def test_nothing_to_read_gives_the_default():
    assert most_likely({}, "urgent") == "urgent"
    assert LevelModel().probabilities("my chest", fake_encode) == {}


def test_one_level_or_an_unknown_level_is_refused():
    with pytest.raises(ValueError):
        LevelModel().fit(["a", "b"], ["urgent", "urgent"], fake_encode)
    with pytest.raises(ValueError):
        LevelModel().fit(["a", "b"], ["urgent", "follow_up"], fake_encode)


def test_it_saves_and_loads(model, tmp_path: Path):
    model.save(tmp_path)
    loaded = LevelModel.load(tmp_path)
    text = "he can't breathe"
    assert loaded.probabilities(text, fake_encode) == model.probabilities(text, fake_encode)


class _FakeEncoder:
    encode = staticmethod(fake_encode)


def test_the_component_reads_only_the_examples_with_a_level():
    from rasa.shared.nlu.training_data.message import Message
    from rasa.shared.nlu.training_data.training_data import TrainingData

    from addons.nlu.alarm_level import level_examples

    data = TrainingData([
        Message.build("I want to die", "urgent_symptom", None, {"safety": "crisis"}),
        Message.build("my chest hurts", "urgent_symptom", None, {"safety": "emergency"}),
        Message.build("i feel off", "urgent_symptom"),
        Message.build("how long is recovery", "faq"),
    ])
    assert level_examples(data) == (["I want to die", "my chest hurts"], ["crisis", "emergency"])


@pytest.mark.parametrize("intent, scored", [("urgent_symptom", True), ("faq", False)])
def test_the_component_scores_only_the_routers_alarms(model, monkeypatch, intent, scored):
    from rasa.shared.nlu.training_data.message import Message

    import addons.nlu.alarm_level as alarm_level

    monkeypatch.setattr(alarm_level, "shared_encoder", _FakeEncoder)
    config = alarm_level.AlarmLevelClassifier.get_default_config()
    component = alarm_level.AlarmLevelClassifier(config, None, None, model)  # type: ignore[arg-type]
    message = Message(data={"text": "he can't breathe", "intent": {"name": intent}})
    component.process([message])
    assert (message.get("alarm_level") is not None) is scored
    if scored:
        assert most_likely(message.get("alarm_level"), "urgent") == "emergency"
