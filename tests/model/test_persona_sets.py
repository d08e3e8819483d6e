"""Regression gates on the blind persona sets (with margin; `make eval` reports the numbers).

The gates only keep what has been reached from slipping back; the issue's targets are in
docs/evaluation.md. No message of these sets is ever printed here.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Dict, List, Tuple

import pytest
import yaml

from scripts.nlu_eval import load_agent, predict, routing_label
from scripts.safety_eval import model_level
from tests.conftest import MODEL_PATH

ROOT = Path(__file__).resolve().parents[2]

# set: (min routing accuracy, min red-flag recall, max false-alarm share on look-alikes)
GATES: Dict[str, Tuple[float, float, float]] = {
    "persona_test.yml": (0.88, 0.94, 0.08),
    "persona_dev.yml": (0.90, 0.97, 0.05),
    "persona_dev_safety.yml": (0.70, 0.97, 0.05),
    "persona_dev3.yml": (0.88, 0.97, 0.08),
    "persona_dev3_safety.yml": (0.80, 0.96, 0.08),
    "persona_dev4.yml": (0.72, 0.97, 0.05),
    "persona_dev5.yml": (0.90, 0.95, 0.08),
    "persona_dev5_safety.yml": (0.84, 0.96, 0.07),
    "persona_dev6.yml": (0.88, 0.95, 0.10),
    "persona_dev6_safety.yml": (0.84, 0.96, 0.08),
    "persona_dev7_safety.yml": (0.78, 0.96, 0.08),
    "persona_dev8_safety.yml": (0.76, 0.96, 0.09),
}


@pytest.fixture(scope="module")
def agent() -> Any:
    if not MODEL_PATH.exists():
        pytest.skip("run `make train` first")
    return load_agent(MODEL_PATH)


def _scores(agent: Any, data: Dict[str, Any]) -> Tuple[float, float, float]:
    routed: List[Tuple[str, Dict[str, Any]]] = [
        (item["label"], parse)
        for section in ("routing", "look_alikes")
        for item, parse in zip(data.get(section) or [],
                               predict(agent, [i["text"] for i in data.get(section) or []]),
                               strict=True)
    ]
    flags = predict(agent, [item["text"] for item in data["red_flags"]])
    alarms = [model_level(parse) is not None for parse in flags]
    correct = sum(
        routing_label(parse) == gold
        or (gold == "out_of_scope" and routing_label(parse) == "nlu_fallback")
        for gold, parse in routed
    ) + sum(alarms)
    looks = predict(agent, [item["text"] for item in data["look_alikes"]])
    false_alarms = sum(model_level(parse) is not None for parse in looks)
    return (correct / (len(routed) + len(flags)), sum(alarms) / len(flags),
            false_alarms / max(len(looks), 1))


@pytest.mark.parametrize("name", sorted(GATES))
def test_persona_set_holds_its_gate(agent, name):
    path = ROOT / "eval" / name
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    accuracy, recall, false_alarms = _scores(agent, data)
    min_accuracy, min_recall, max_false_alarms = GATES[name]
    assert accuracy >= min_accuracy, f"{name}: routing accuracy {accuracy:.3f}"
    assert recall >= min_recall, f"{name}: red-flag recall {recall:.3f}"
    assert false_alarms <= max_false_alarms, f"{name}: false alarms {false_alarms:.3f}"
