"""Custom NLU components, tested on Rasa Message objects."""

from typing import Any, Dict, List

from rasa.shared.nlu.training_data.message import Message

from addons.nlu.fallback import ClinicFallbackClassifier
from addons.nlu.normaliser import TextNormaliser
from addons.nlu.payloads import FaqPayloadResolver


def _selector(ranking: List[Dict[str, Any]]) -> Dict[str, Any]:
    top = ranking[0]
    return {
        "faq": {
            "response": {
                "confidence": top["confidence"],
                "intent_response_key": top["intent_response_key"],
                "utter_action": "utter_" + top["intent_response_key"],
                "responses": [],
            },
            "ranking": ranking,
        }
    }


def _message(text: str, intent: str, confidence: float, faq_conf: float = 0.9) -> Message:
    ranking = [
        {"intent_response_key": "faq/risks", "confidence": faq_conf},
        {"intent_response_key": "faq/anesthesia", "confidence": 1 - faq_conf},
    ]
    return Message(
        data={
            "text": text,
            "intent": {"name": intent, "confidence": confidence},
            "intent_ranking": [
                {"name": intent, "confidence": confidence},
                {"name": "greet", "confidence": 1 - confidence},
            ],
            "response_selector": _selector(ranking),
        }
    )


def test_normaliser_cleans_and_caps():
    component = TextNormaliser({"max_chars": 20})
    [msg] = component.process([Message(data={"text": "<b>hw</b> long is kypho recovery?"})])
    assert msg.get("text") == "how long is kypho"


def _fallback() -> ClinicFallbackClassifier:
    config = ClinicFallbackClassifier.get_default_config()
    config.update({"threshold": 0.45, "ambiguity_threshold": 0.08, "faq_threshold": 0.35})
    return ClinicFallbackClassifier(config)


def test_fallback_on_low_intent_confidence():
    [msg] = _fallback().process([_message("blah", "faq", 0.3)])
    assert msg.get("intent")["name"] == "nlu_fallback"


def test_fallback_on_unsure_faq_answer_even_if_intent_is_sure():
    [msg] = _fallback().process([_message("hmm", "faq", 0.95, faq_conf=0.2)])
    assert msg.get("intent")["name"] == "nlu_fallback"


def test_no_fallback_when_both_are_sure():
    [msg] = _fallback().process([_message("is it risky", "faq", 0.95, faq_conf=0.9)])
    assert msg.get("intent")["name"] == "faq"


KNOWN = ["faq/anesthesia", "faq/risks"]


def _resolver(known=KNOWN) -> FaqPayloadResolver:
    return FaqPayloadResolver(None, None, known)  # type: ignore[arg-type]


def test_payload_resolver_sets_certain_faq_prediction():
    msg = _message("/faq/anesthesia", "nlu_fallback", 0.45, faq_conf=0.9)
    [msg] = _resolver().process([msg])
    assert msg.get("intent") == {"name": "faq", "confidence": 1.0}
    response = msg.get("response_selector")["faq"]["response"]
    assert response["utter_action"] == "utter_faq/anesthesia"
    assert msg.get("response_selector")["faq"]["ranking"][0]["intent_response_key"] == (
        "faq/anesthesia"
    )


def test_payload_resolver_ignores_unknown_keys_and_plain_text():
    unknown = _message("/faq/not_a_topic", "nlu_fallback", 0.45)
    text = _message("faq anesthesia", "faq", 0.9)
    _resolver().process([unknown, text])
    assert unknown.get("intent")["name"] == "nlu_fallback"
    assert text.get("response_selector")["faq"]["response"]["utter_action"] == "utter_faq/risks"


def test_payload_resolver_drops_copied_answer_texts():
    msg = _message("is it risky", "faq", 0.9)
    msg.get("response_selector")["faq"]["response"]["responses"] = [{"text": "long answer"}]
    [msg] = _resolver().process([msg])
    assert msg.get("response_selector")["faq"]["response"]["responses"] == []


def test_normaliser_keeps_the_original_words_for_offsets():
    from addons.nlu.normaliser import ORIGINAL_TEXT

    [msg] = TextNormaliser({"max_chars": 1000}).process([Message(data={"text": "hw r u"})])
    assert msg.get("text") == "how are you"
    assert msg.get(ORIGINAL_TEXT) == "hw r u"


def test_a_red_flag_never_falls_back():
    message = _message("no puedo respirar", "urgent_symptom", 0.3)
    message.set("entities", [{"entity": "red_flag_level", "value": "emergency"}])
    [msg] = _fallback().process([message])
    assert msg.get("intent")["name"] == "urgent_symptom"
