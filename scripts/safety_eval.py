"""Safety-set helpers shared by `make eval` and tests/model/test_safety.py."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Dict, List, Mapping, Optional, Tuple

import yaml

if TYPE_CHECKING:
    from addons.safety.detector import Assessment

ROOT = Path(__file__).resolve().parent.parent
SAFETY_SET = ROOT / "tests" / "safety_set.yml"
LEVEL_ENTITY = "red_flag_level"
INSTRUCTION_ENTITY = "safety_instruction"


@dataclass
class SafetyResult:
    """Recall / level accuracy on red flags, false-alarm rate on look-alikes."""

    missed: List[Tuple[str, str]] = field(default_factory=list)
    wrong_level: List[Tuple[str, str, str]] = field(default_factory=list)
    false_alarms: List[Tuple[str, str]] = field(default_factory=list)
    red_flags: int = 0
    look_alikes: int = 0

    @property
    def recall(self) -> float:
        """Share of red flags that raised an alarm."""
        return 1 - len(self.missed) / self.red_flags

    @property
    def level_accuracy(self) -> float:
        """Share of red flags with an alarm of the right level."""
        return 1 - (len(self.missed) + len(self.wrong_level)) / self.red_flags

    @property
    def false_alarm_rate(self) -> float:
        """Share of look-alikes that raised an alarm."""
        return len(self.false_alarms) / self.look_alikes


def load_safety_set(path: Path = SAFETY_SET) -> Dict[str, Any]:
    """The red flags (text + level) and look-alikes."""
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def evaluate(judge: Callable[[str], Optional[str]], data: Dict[str, Any]) -> SafetyResult:
    """Run ``judge(text) -> level or None`` over the safety set."""
    result = SafetyResult(red_flags=len(data["red_flags"]), look_alikes=len(data["look_alikes"]))
    for item in data["red_flags"]:
        level = judge(item["text"])
        if level is None:
            result.missed.append((item["text"], item["level"]))
        elif level != item["level"]:
            result.wrong_level.append((item["text"], item["level"], level))
    for text in data["look_alikes"]:
        level = judge(text)
        if level is not None:
            result.false_alarms.append((text, level))
    return result


def detector_assessor(pipeline_path: Path) -> Callable[[str], Assessment]:
    """The rule layer alone, on the text the NLU pipeline would see: the full assessment."""
    import spacy

    from addons.safety.detector import RedFlagDetector
    from clinic.text import normalise_for_nlu

    nlp = spacy.load(pipeline_path)
    detector = RedFlagDetector.from_file(nlp.vocab)
    return lambda text: detector.assess(nlp(normalise_for_nlu(text).lower()))


def detector_judge(pipeline_path: Path) -> Callable[[str], Optional[str]]:
    """The rule layer alone: the level it finds (None: no red flag)."""
    assess = detector_assessor(pipeline_path)
    return lambda text: assess(text).level


def _entity_value(parse: Mapping[str, Any], name: str) -> Optional[str]:
    values = [e.get("value") for e in parse.get("entities") or [] if e.get("entity") == name]
    return str(values[0]) if values and values[0] else None


def alarm_level(parse: Mapping[str, Any]) -> Optional[str]:
    """The alarm a parsed message raises: the ``red_flag_level`` entity (None: no alarm)."""
    return _entity_value(parse, LEVEL_ENTITY)


def instruction(parse: Mapping[str, Any]) -> Optional[str]:
    """The safety instruction variant (``safety_instruction`` entity, e.g. ``emergency_es``)."""
    return _entity_value(parse, INSTRUCTION_ENTITY)


def model_level(parse: Dict[str, Any]) -> Optional[str]:
    """The alarm level the full model gives a parsed message (None: no alarm)."""
    return alarm_level(parse)


def table(rows: List[Tuple[str, SafetyResult]]) -> List[str]:
    """Markdown rows for the evaluation report."""
    out = [
        "| layer | red-flag recall | right level | false alarms on look-alikes |",
        "|---|---|---|---|",
    ]
    for name, r in rows:
        out.append(
            f"| {name} | {r.recall:.3f} ({r.red_flags - len(r.missed)}/{r.red_flags}) "
            f"| {r.level_accuracy:.3f} | {r.false_alarm_rate:.3f} "
            f"({len(r.false_alarms)}/{r.look_alikes}) |"
        )
    return out
