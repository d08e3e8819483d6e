"""The evaluation metrics, with a fake agent (canned parse dicts): no trained model needed."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any, Dict, Optional

import pytest

from scripts.eval_metrics import (
    Outcome,
    Prediction,
    expected_calibration_error,
    judge,
    oos_recall,
    read_parse,
    reliability,
    wrong_confident_share,
)
from scripts.eval_report import set_section, summary
from scripts.eval_run import meets, run_set
from scripts.eval_sets import (
    HELD_OUT,
    LOOK_ALIKE,
    RED_FLAG,
    ROUTING,
    Item,
    SetSpec,
    find_spec,
    load_persona,
    load_safety,
)
from scripts.evaluate import chosen_specs, parse_args
from scripts.safety_eval import alarm_level, instruction, model_level


def intent(name: str, confidence: float = 0.95, **extra: Any) -> Dict[str, Any]:
    return {"text": "", "intent": {"name": name, "confidence": confidence}, "entities": [],
            **extra}


def faq(key: str, confidence: float, intent_confidence: float = 0.99) -> Dict[str, Any]:
    selector = {"faq": {"response": {"intent_response_key": f"faq/{key}",
                                     "confidence": confidence}, "ranking": []}}
    return intent("faq", intent_confidence, response_selector=selector)


def alarm(level: str, variant: Optional[str] = None) -> Dict[str, Any]:
    entities = [{"entity": "red_flag_level", "value": level},
                {"entity": "safety_instruction", "value": variant or level}]
    return {**intent("urgent_symptom", 1.0), "entities": entities,
            "red_flag": {"level": level, "concepts": [], "evidence": [], "suppressed": False}}


def fake_agent(canned: Dict[str, Dict[str, Any]]):
    """A parser: texts -> the canned parse of each text."""
    return lambda texts: [canned[t] for t in texts]


def outcome(correct: bool, confidence: float, gold: str = "greet") -> Outcome:
    item = Item("x", ROUTING, gold)
    got = gold if correct else "thank"
    return Outcome(item, Prediction(got, confidence, None, None), gold, got)


# --- parse reading -------------------------------------------------------------------------

def test_alarm_level_and_instruction_come_from_the_entities():
    parse = alarm("emergency", "emergency_es")
    assert alarm_level(parse) == "emergency" == model_level(parse)
    assert instruction(parse) == "emergency_es"
    assert alarm_level(intent("urgent_symptom")) is None
    assert alarm_level(intent("greet")) is None


def test_answer_confidence_is_the_faq_responses_for_faqs():
    assert read_parse(faq("brace", 0.42)) == Prediction("faq/brace", 0.42, None, None)
    assert read_parse(intent("greet", 0.8)).confidence == 0.8
    assert read_parse(alarm("crisis")).level == "crisis"


# --- routing -------------------------------------------------------------------------------

def test_fallback_is_right_only_for_out_of_scope():
    fallback = read_parse(intent("nlu_fallback", 0.3))
    oos = judge(Item("weather?", ROUTING, "out_of_scope"), fallback)
    faq_item = judge(Item("brace?", ROUTING, "faq/brace"), fallback)
    assert oos is not None and oos.correct and oos.got == "out_of_scope"
    assert faq_item is not None and not faq_item.correct and faq_item.got == "nlu_fallback"


def test_oos_recall_counts_the_fallback_separately():
    parses = [intent("nlu_fallback", 0.3), intent("out_of_scope"), faq("risks", 0.9)]
    items = [Item(f"m{i}", ROUTING, "out_of_scope") for i in range(3)]
    outcomes = [judge(i, read_parse(p)) for i, p in zip(items, parses, strict=True)]
    recall, n, by_fallback = oos_recall([o for o in outcomes if o is not None])
    assert (n, by_fallback) == (3, 1)
    assert recall == pytest.approx(2 / 3)
    assert math.isnan(oos_recall([outcome(True, 0.9)])[0])


def test_red_flag_is_routed_right_by_any_alarm_and_unlabelled_look_alikes_are_not_routed():
    red = Item("chest pain", RED_FLAG, level="emergency")
    routed = judge(red, read_parse(alarm("urgent")))
    assert routed is not None and routed.correct
    missed = judge(red, read_parse(faq("risks", 0.9)))
    assert missed is not None and not missed.correct and missed.got == "faq/risks"
    assert judge(Item("no fever", LOOK_ALIKE), read_parse(intent("greet"))) is None


# --- calibration ---------------------------------------------------------------------------

def test_reliability_bins_include_one_in_the_last_bin():
    outcomes = [outcome(True, 0.1), outcome(False, 0.29), outcome(True, 0.3),
                outcome(True, 0.9), outcome(False, 1.0), outcome(True, 0.85)]
    bins = reliability(outcomes)
    assert [(b.low, b.high) for b in bins] == [
        (0.0, 0.3), (0.3, 0.5), (0.5, 0.7), (0.7, 0.8), (0.8, 0.9), (0.9, 1.0)]
    assert [b.count for b in bins] == [2, 1, 0, 0, 1, 2]
    assert bins[0].accuracy == 0.5 and bins[0].confidence == pytest.approx(0.195)
    assert bins[5].accuracy == 0.5 and bins[5].confidence == pytest.approx(0.95)
    assert math.isnan(bins[2].accuracy)
    # |0.5-0.195|*2 + |1-0.3|*1 + |1-0.85|*1 + |0.5-0.95|*2, over 6
    assert expected_calibration_error(bins) == pytest.approx((0.61 + 0.7 + 0.15 + 0.9) / 6)


def test_wrong_confident_share_is_over_all_answers():
    outcomes = [outcome(False, 0.95), outcome(False, 0.9), outcome(False, 0.89),
                outcome(True, 0.99)] + [outcome(True, 0.5)] * 96
    assert wrong_confident_share(outcomes) == pytest.approx(0.02)
    assert meets("wrong_at_90", 0.02) is True
    assert meets("accuracy", 0.91) is False
    assert meets("oos_recall", float("nan")) is None


# --- loaders -------------------------------------------------------------------------------

PERSONA_YAML = """
version: "1"
note: test
routing:
  - {text: "hi there", label: greet, persona: elderly}
  - {text: "hola, una pregunta", label: spanish, persona: non_native}
  - {text: "whats the weather", label: out_of_scope, persona: sms}
red_flags:
  - {text: "chest hurts bad", level: emergency, lang: en, persona: elderly}
  - {text: "quiero morirme", level: crisis, lang: es, persona: non_native}
look_alikes:
  - {text: "no fever, when can i drive", label: faq/activity_restrictions, persona: sms}
"""


def persona_file(tmp_path: Path, text: str = PERSONA_YAML) -> Path:
    path = tmp_path / "persona.yml"
    path.write_text(text, encoding="utf-8")
    return path


def test_persona_loader(tmp_path):
    items = load_persona(persona_file(tmp_path))
    assert [i.kind for i in items].count(ROUTING) == 3
    reds = [i for i in items if i.kind == RED_FLAG]
    assert [(i.level, i.lang, i.persona) for i in reds] == [
        ("emergency", "en", "elderly"), ("crisis", "es", "non_native")]
    [look] = [i for i in items if i.kind == LOOK_ALIKE]
    assert look.label == "faq/activity_restrictions" and look.persona == "sms"


def test_persona_loader_rejects_bad_items(tmp_path):
    with pytest.raises(ValueError, match="red_flags"):
        load_persona(persona_file(tmp_path, "red_flags:\n  - {text: x, level: mild}\n"))
    with pytest.raises(ValueError, match="routing"):
        load_persona(persona_file(tmp_path, "routing:\n  - {text: x}\n"))


def test_safety_loader_reads_plain_look_alikes(tmp_path):
    path = tmp_path / "safety.yml"
    path.write_text('red_flags:\n  - {text: "chest pain", level: emergency}\n'
                    'look_alikes:\n  - "no chest pain"\n', encoding="utf-8")
    red, look = load_safety(path)
    assert (red.kind, red.level, red.lang) == (RED_FLAG, "emergency", "en")
    assert (look.kind, look.label) == (LOOK_ALIKE, None)


def test_registered_sets_and_the_blind_test_set_guard(tmp_path):
    assert find_spec("eval/persona_dev.yml").texts_on_request
    assert not find_spec("eval/persona_test.yml").texts_on_request
    assert all(not s.texts_in_report for s in HELD_OUT if s.fmt == "persona")
    with pytest.raises(SystemExit, match="refusing"):
        chosen_specs(parse_args(["--set", "eval/persona_test.yml", "--show-errors"]))
    with pytest.raises(SystemExit, match="needs --set"):
        chosen_specs(parse_args(["--show-errors"]))
    with pytest.raises(SystemExit, match="not a registered"):
        find_spec(str(tmp_path / "other.yml"))


# --- a whole set through the fake agent ----------------------------------------------------

CANNED = {
    "hi there": intent("greet", 0.97),
    "hola, una pregunta": intent("greet", 0.95),  # wrong and confident
    "whats the weather": intent("nlu_fallback", 0.3),
    "chest hurts bad": alarm("emergency"),
    "quiero morirme": alarm("crisis", "crisis"),  # right level, English instruction
    "no fever, when can i drive": alarm("urgent"),  # a false alarm
}


def run_fake(tmp_path: Path, texts_in_report: bool):
    spec = SetSpec("fake", persona_file(tmp_path), "persona", texts_in_report, True, "a test")
    items = load_persona(spec.path)
    return run_set(spec, items, fake_agent(CANNED), baseline=lambda ts: ["greet"] * len(ts))


def test_run_set_with_a_fake_agent(tmp_path):
    result = run_fake(tmp_path, texts_in_report=False)
    assert len(result.outcomes) == 6 and len(result.routing_outcomes) == 3
    values = result.summary()
    assert values["accuracy"] == pytest.approx(4 / 6)
    assert values["oos_recall"] == 1.0
    assert values["red_flag_recall"] == 1.0 and result.safety.level_accuracy == 1.0
    assert values["false_alarms"] == 1.0
    assert values["wrong_at_90"] == pytest.approx(2 / 6)
    assert result.safety.crisis_recall == 1.0
    assert [i.text for i, _ in result.safety.wrong_language] == ["quiero morirme"]
    assert result.baseline is not None and result.baseline["accuracy"] == pytest.approx(1 / 3)
    assert result.rasa_routing["accuracy"] == pytest.approx(2 / 3)


def test_blind_report_shows_counts_not_texts(tmp_path):
    blind = "\n".join(set_section(run_fake(tmp_path, texts_in_report=False)))
    assert "| `spanish` | `greet` | 1 |" in blind
    assert not any(text in blind for text in CANNED)
    open_report = "\n".join(set_section(run_fake(tmp_path, texts_in_report=True)))
    assert "hola, una pregunta" in open_report and "no fever, when can i drive" in open_report
    table = "\n".join(summary([run_fake(tmp_path, False)], ["x is absent: skipped."]))
    assert "0.667 ✗" in table and "x is absent" in table



def test_accuracy_is_not_claimed_for_a_set_of_red_flags_only(tmp_path):
    path = tmp_path / "safety.yml"
    path.write_text('red_flags:\n  - {text: "chest hurts bad", level: emergency}\n'
                    'look_alikes:\n  - "no fever, when can i drive"\n', encoding="utf-8")
    spec = SetSpec("safety", path, "safety", True, True)
    result = run_set(spec, load_safety(path), fake_agent(CANNED))
    values = result.summary()
    assert math.isnan(values["accuracy"])
    assert values["red_flag_recall"] == 1.0 and values["false_alarms"] == 1.0
    assert "`no fever, when can i drive` (urgent)" in "\n".join(set_section(result))
