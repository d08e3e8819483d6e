"""The red-flag guard over the classifier: level, instruction variant, evidence, overrides."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Dict, Optional

import pytest
from rasa.nlu.utils.spacy_utils import SpacyModel
from rasa.shared.nlu.training_data.message import Message

from addons.nlu.red_flags import RedFlagGuard
from clinic.text import normalise_for_nlu
from spacy_pipeline.build import build


@pytest.fixture(scope="module")
def spacy_model(tmp_path_factory: pytest.TempPathFactory) -> SpacyModel:
    import spacy

    path = build(Path(tmp_path_factory.mktemp("spacy_guard")) / "en_clinic")
    return SpacyModel(model=spacy.load(path), model_name=str(path))


@pytest.fixture(scope="module")
def guard() -> RedFlagGuard:
    return RedFlagGuard()


def parse(guard: RedFlagGuard, model: SpacyModel, text: str, intent: str,
          confidence: float = 0.9, crisis: Optional[Dict[str, Any]] = None,
          alarm_level: Optional[Dict[str, float]] = None, urgent: float = 0.05,
          ) -> Dict[str, Any]:
    """Guard one message; ``urgent``: the router's share for urgent_symptom when not its guess."""
    ranking = [{"name": intent, "confidence": confidence}]
    if intent != "urgent_symptom":
        ranking.append({"name": "urgent_symptom", "confidence": urgent})
    ranking.append({"name": "faq" if intent != "faq" else "thank",
                    "confidence": max(0.0, 1 - confidence - urgent)})
    message = Message(data={
        **({"crisis": crisis} if crisis else {}),
        **({"alarm_level": alarm_level} if alarm_level else {}),
        "text": text,
        "text_spacy_doc": model.model(normalise_for_nlu(text).lower()),
        "intent": {"name": intent, "confidence": confidence},
        "intent_ranking": ranking,
    })
    guard.process([message], model)
    entities = {e["entity"]: e["value"] for e in message.get("entities") or []}
    return {"intent": message.get("intent")["name"], "entities": entities,
            "red_flag": message.get("red_flag")}


def test_rules_override_a_confident_classifier(guard, spacy_model):
    out = parse(guard, spacy_model, "is this from the surgery? my chest is heavy", "faq", 0.99)
    assert out["intent"] == "urgent_symptom"
    assert out["entities"] == {"red_flag_level": "emergency", "safety_instruction": "emergency"}
    assert out["red_flag"]["evidence"] == ["chest is heavy"]
    assert out["red_flag"]["concepts"] == ["chest_pain"]


def test_a_crisis_statement_gets_its_own_level(guard, spacy_model):
    out = parse(guard, spacy_model, "honestly I want to end it all", "faq")
    assert out["entities"] == {"red_flag_level": "crisis", "safety_instruction": "crisis"}


def test_spanish_gets_the_spanish_instruction(guard, spacy_model):
    out = parse(guard, spacy_model, "mi esposo no puede respirar", "out_of_scope")
    assert out["entities"] == {"red_flag_level": "emergency",
                               "safety_instruction": "emergency_es"}
    assert out["red_flag"]["language"] == "es"


def test_a_message_the_router_calls_spanish_gets_the_spanish_instruction(guard, spacy_model):
    out = parse(guard, spacy_model, "sale pus de la incision", "spanish")
    assert out["entities"]["safety_instruction"] == "urgent_es"


def test_a_spanish_message_the_classifier_alone_alarms_on_gets_the_spanish_instruction(
    guard, spacy_model
):
    out = parse(guard, spacy_model, "mi papa esta muy raro desde la manana", "urgent_symptom")
    assert out["entities"] == {"red_flag_level": "urgent", "safety_instruction": "urgent_es"}


@pytest.mark.parametrize("text, spanish", [
    ("me duele el pecho", True),
    ("Pte de 80 años, refiere dolor torácico opresivo desde las 15h", True),
    ("ya no quiero vivir", True),
    ("My son is in pain", False),
    ("Sorry my english, my mother is not able to breath good", False),
    ("chest pain", False),
])
def test_spanish_is_told_by_its_function_words(text, spanish):
    from addons.safety.language import looks_spanish

    assert looks_spanish(text) is spanish


def test_suppressed_words_turn_a_classifier_alarm_into_the_menu(guard, spacy_model):
    out = parse(guard, spacy_model, "no fever and no numbness, just sore", "urgent_symptom")
    assert out["intent"] == "nlu_fallback"
    assert out["entities"] == {}


@pytest.mark.parametrize("confidence, intent", [(0.99, "urgent_symptom"), (0.9, "nlu_fallback")])
def test_a_negation_word_with_no_symptom_found_outweighs_only_an_unsure_classifier(
    guard, spacy_model, confidence, intent
):
    text = "since lunch my father make pipi in his pants and he not feel it"
    out = parse(guard, spacy_model, text, "urgent_symptom", confidence)
    assert out["red_flag"]["concepts"] == [] and out["red_flag"]["suppressed"] == []
    assert out["intent"] == intent


@pytest.mark.parametrize("confidence, intent", [(0.999, "urgent_symptom"), (0.98, "nlu_fallback")])
def test_a_strong_message_cue_outweighs_all_but_a_nearly_certain_classifier(
    guard, spacy_model, confidence, intent
):
    text = "something is really wrong with him since lunch, no cough though"
    out = parse(guard, spacy_model, text, "urgent_symptom", confidence)
    assert out["red_flag"]["cue"] == "negated"
    assert out["intent"] == intent


@pytest.mark.parametrize(
    "text, confidence, intent",
    [
        ("is it normal to have a fever after kyphoplasty?", 0.995, "urgent_symptom"),
        ("is it normal to have a fever after kyphoplasty?", 0.98, "nlu_fallback"),
        ("no fever and no numbness, just sore", 0.9999, "nlu_fallback"),
        ("the fever went away yesterday, all good now", 0.9999, "nlu_fallback"),
    ],
)
def test_the_rules_suppression_yields_only_when_asked_about_to_a_nearly_certain_classifier(
    guard, spacy_model, text, confidence, intent
):
    out = parse(guard, spacy_model, text, "urgent_symptom", confidence)
    assert out["red_flag"]["suppressed"]
    assert out["intent"] == intent
    if intent == "urgent_symptom":  # the rules found nothing current: no evidence to alert on
        assert out["red_flag"]["evidence"] == []


@pytest.mark.parametrize("confidence, intent", [(0.997, "urgent_symptom"), (0.99, "nlu_fallback")])
def test_a_denial_in_a_message_of_several_parts_yields_to_a_nearly_certain_classifier(
    guard, spacy_model, confidence, intent
):
    text = "No fever. He is just not himself since lunch, something is off with him."
    out = parse(guard, spacy_model, text, "urgent_symptom", confidence)
    assert [f["reason"] for f in out["red_flag"]["suppressed"]] == ["negated"]
    assert out["intent"] == intent


@pytest.mark.parametrize("confidence, intent", [(0.85, "urgent_symptom"), (0.6, "nlu_fallback")])
def test_the_classifier_alone_alarms_only_when_sure(guard, spacy_model, confidence, intent):
    out = parse(guard, spacy_model, "good morning, home health nurse here", "urgent_symptom",
                confidence)
    assert out["red_flag"]["concepts"] == [] and out["red_flag"]["suppressed"] == []
    assert out["intent"] == intent
    assert bool(out["entities"]) == (intent == "urgent_symptom")


def test_the_classifier_alone_gives_the_urgent_instruction_without_evidence(guard, spacy_model):
    out = parse(guard, spacy_model, "something feels really wrong with me", "urgent_symptom")
    assert out["intent"] == "urgent_symptom"
    assert out["entities"] == {"red_flag_level": "urgent", "safety_instruction": "urgent"}
    assert out["red_flag"]["evidence"] == []


def test_a_classifier_alone_alarm_takes_the_level_classifiers_level(guard, spacy_model):
    levels = {"emergency": 0.8, "urgent": 0.15, "crisis": 0.05}
    out = parse(guard, spacy_model, "something feels really wrong with me", "urgent_symptom",
                alarm_level=levels)
    assert out["entities"] == {"red_flag_level": "emergency", "safety_instruction": "emergency"}


@pytest.mark.parametrize("crisis_score, level", [(0.1, "emergency"), (0.4, "crisis")])
def test_a_classifier_alone_crisis_needs_the_crisis_model_half_agreeing(
    guard, spacy_model, crisis_score, level
):
    levels = {"emergency": 0.3, "urgent": 0.1, "crisis": 0.6}
    crisis = {"score": crisis_score, "threshold": 0.7, "flagged": False, "sentence": "x",
              "start": 0, "end": 1, "router_urgent": 0.99}
    out = parse(guard, spacy_model, "that will be all for today, goodbye", "urgent_symptom",
                crisis=crisis, alarm_level=levels)
    assert out["entities"]["red_flag_level"] == level


def test_the_rules_level_is_never_changed_by_the_level_classifier(guard, spacy_model):
    levels = {"emergency": 0.1, "urgent": 0.1, "crisis": 0.8}
    out = parse(guard, spacy_model, "my chest is heavy", "urgent_symptom", alarm_level=levels)
    assert out["entities"]["red_flag_level"] == "emergency"


def test_nothing_to_see_leaves_the_classifier_alone(guard, spacy_model):
    out = parse(guard, spacy_model, "how long is recovery", "faq", 0.8)
    assert out["intent"] == "faq" and out["entities"] == {}


def test_no_red_flag_takes_the_alarm_class_out_of_the_classifier(guard, spacy_model):
    text = "had a fever last week, gone now. can i go back to the gym"
    message = Message(data={
        "text": text,
        "text_spacy_doc": spacy_model.model(text),
        "intent": {"name": "faq", "confidence": 0.4},
        "intent_ranking": [{"name": "faq", "confidence": 0.4},
                           {"name": "urgent_symptom", "confidence": 0.5},
                           {"name": "greet", "confidence": 0.1}],
        "response_selector": {"faq": {
            "response": {"intent_response_key": "faq/activity_restrictions", "confidence": 0.4},
            "ranking": [{"intent_response_key": "faq/activity_restrictions", "confidence": 0.4}],
        }},
    })
    guard.process([message], spacy_model)
    assert message.get("intent") == {"name": "faq", "confidence": pytest.approx(0.8)}
    assert [r["name"] for r in message.get("intent_ranking")] == ["faq", "greet"]
    response = message.get("response_selector")["faq"]["response"]
    assert response["confidence"] == pytest.approx(0.8)


def _crisis(text: str, sentence: str, flagged: bool = True) -> Dict[str, Any]:
    start = text.index(sentence)
    return {"score": 0.93 if flagged else 0.2, "threshold": 0.8, "flagged": flagged,
            "sentence": sentence, "start": start, "end": start + len(sentence)}


def test_a_crisis_the_classifier_found_is_a_crisis_alarm_with_its_sentence(guard, spacy_model):
    text = "Thanks for everything. They won't have to look after me much longer."
    sentence = "They won't have to look after me much longer."
    out = parse(guard, spacy_model, text, "faq", crisis=_crisis(text, sentence))
    assert out["intent"] == "urgent_symptom"
    assert out["entities"] == {"red_flag_level": "crisis", "safety_instruction": "crisis"}
    assert out["red_flag"]["evidence"] == [sentence]
    assert out["red_flag"]["concepts"] == ["crisis"]
    assert out["red_flag"]["crisis_score"] == 0.93


def test_a_crisis_outranks_an_urgent_rule_finding_and_keeps_its_evidence(guard, spacy_model):
    text = "I have a fever. I won't be around much longer anyway."
    sentence = "I won't be around much longer anyway."
    out = parse(guard, spacy_model, text, "faq", crisis=_crisis(text, sentence))
    assert out["entities"]["red_flag_level"] == "crisis"
    assert out["red_flag"]["evidence"] == ["fever", sentence]


def test_an_emergency_outranks_a_crisis(guard, spacy_model):
    text = "My chest is crushing. I don't care what happens to me anymore."
    sentence = "I don't care what happens to me anymore."
    out = parse(guard, spacy_model, text, "faq", crisis=_crisis(text, sentence))
    assert out["entities"]["red_flag_level"] == "emergency"


def test_a_crisis_score_below_the_threshold_changes_nothing(guard, spacy_model):
    text = "I'm tired of this brace, when can it come off?"
    out = parse(guard, spacy_model, text, "faq", crisis=_crisis(text, text, flagged=False))
    assert out["intent"] == "faq"
    assert "red_flag_level" not in out["entities"]


VETO_TEXT = "what does nerve irritation mean, does it mean my legs could go numb"


def test_a_router_that_all_but_rules_out_the_finding_gets_a_safety_check(guard, spacy_model):
    out = parse(guard, spacy_model, VETO_TEXT, "faq", 0.98, urgent=0.0006)
    assert out["intent"] == "faq"
    assert "red_flag_level" not in out["entities"]
    assert out["red_flag"]["check"] == "urgent"
    assert out["red_flag"]["evidence"] == ["legs could go numb"]  # kept for review


@pytest.mark.parametrize("urgent", [0.01, 0.05, 0.3])
def test_a_router_share_at_or_over_the_veto_line_leaves_the_alarm(guard, spacy_model, urgent):
    out = parse(guard, spacy_model, VETO_TEXT, "faq", 0.6, urgent=urgent)
    assert out["entities"]["red_flag_level"] == "urgent"
    assert "check" not in out["red_flag"]


@pytest.mark.parametrize("urgent, alarm", [(0.005, True), (0.0015, False)])
def test_a_crisis_finding_needs_a_router_far_surer_to_yield(guard, spacy_model, urgent, alarm):
    out = parse(guard, spacy_model, "honestly I want to end it all", "faq", 0.99, urgent=urgent)
    assert ("red_flag_level" in out["entities"]) is alarm
    if not alarm:
        assert out["red_flag"]["check"] == "crisis"


def test_a_spanish_finding_never_yields_to_the_router(guard, spacy_model):
    out = parse(guard, spacy_model, "mi esposo no puede respirar", "spanish", 0.99,
                urgent=0.0001)
    assert out["entities"]["safety_instruction"] == "emergency_es"


def test_the_veto_line_is_a_setting(spacy_model):
    strict = RedFlagGuard({"classifier_veto": 0.0})
    out = parse(strict, spacy_model, VETO_TEXT, "faq", 0.98, urgent=0.0006)
    assert out["entities"]["red_flag_level"] == "urgent"
