"""The held-out evaluation sets (all listed in ``HELD_OUT``) and their loaders.

Every set becomes a list of ``Item``: a routing message (gold label), a red flag (gold alarm
level and language) or a look-alike (no alarm expected; a gold label when the set gives one).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Dict, List, Mapping, Optional, Tuple

import yaml

from scripts.nlu_eval import load_examples

ROOT = Path(__file__).resolve().parent.parent

ROUTING, RED_FLAG, LOOK_ALIKE = "routing", "red_flag", "look_alike"
LEVELS = ("emergency", "urgent", "crisis")
LANGS = ("en", "es")
NO_PERSONA = "-"


@dataclass(frozen=True)
class Item:
    """One held-out message and what the model should do with it."""

    text: str
    kind: str  # ROUTING, RED_FLAG or LOOK_ALIKE
    label: Optional[str] = None  # expected routing (None: a red flag, or an unlabelled look-alike)
    level: Optional[str] = None  # expected alarm level (red flags only)
    lang: str = "en"
    persona: str = NO_PERSONA


@dataclass(frozen=True)
class SetSpec:
    """A held-out set: where it is, its format and how much of it a report may show."""

    name: str
    path: Path
    fmt: str  # "persona", "rasa_nlu" or "safety"
    texts_in_report: bool  # may docs/evaluation.md quote its messages?
    texts_on_request: bool  # may `--show-errors` print its messages?
    note: str = ""

    @property
    def rel(self) -> str:
        """The path relative to the project, for reports."""
        try:
            return str(self.path.relative_to(ROOT))
        except ValueError:
            return str(self.path)


# The one list of held-out sets; the first present one gets docs/confusion_matrix.png.
HELD_OUT: Tuple[SetSpec, ...] = (
    SetSpec("persona test", ROOT / "eval" / "persona_test.yml", "persona", False, False,
            "blind measuring set: counts only, never read or tuned on"),
    SetSpec("persona dev", ROOT / "eval" / "persona_dev.yml", "persona", False, True,
            "blind tuning set: texts only via `--show-errors`"),
    SetSpec("persona dev, safety", ROOT / "eval" / "persona_dev_safety.yml", "persona", False,
            True, "blind tuning set of red flags and hard look-alikes: texts via `--show-errors`"),
    SetSpec("persona dev 3", ROOT / "eval" / "persona_dev3.yml", "persona", False, True,
            "third blind tuning set (2026-12-02): first scored before any tuning on it"),
    SetSpec("persona dev 3, safety", ROOT / "eval" / "persona_dev3_safety.yml", "persona", False,
            True, "third blind safety tuning set (2026-12-02): crisis-heavy, hard look-alikes"),
    SetSpec("persona dev 4", ROOT / "eval" / "persona_dev4.yml", "persona", False, True,
            "fourth blind tuning set (2026-12-02): 240 hard look-alikes, 87 red flags"),
    SetSpec("persona dev 5", ROOT / "eval" / "persona_dev5.yml", "persona", False, True,
            "fifth blind tuning set (2026-12-02): 366 routing items, 60 red flags, 60 look-alikes"),
    SetSpec("persona dev 5, safety", ROOT / "eval" / "persona_dev5_safety.yml", "persona", False,
            True, "fifth blind safety tuning set (2026-12-02): 170 red flags, 180 look-alikes"),
    SetSpec("persona dev 6", ROOT / "eval" / "persona_dev6.yml", "persona", False, True,
            "sixth blind tuning set (2026-12-02): 337 routing items, 60 red flags, 60 look-alikes, "
            "a seventh persona (voice dictation)"),
    SetSpec("persona dev 6, safety", ROOT / "eval" / "persona_dev6_safety.yml", "persona", False,
            True, "sixth blind safety tuning set (2026-12-02): 160 red flags, 170 look-alikes"),
    SetSpec("persona dev 7, safety", ROOT / "eval" / "persona_dev7_safety.yml", "persona", False,
            True, "seventh blind safety set (2026-12-02): 160 red flags, 170 look-alikes; "
            "scored once before any tuning on it"),
    SetSpec("persona dev 8, safety", ROOT / "eval" / "persona_dev8_safety.yml", "persona", False,
            True, "eighth blind safety set (2026-12-02, session 7): 160 red flags, 170 "
            "look-alikes; scored once before the session's guard change"),
    SetSpec("team NLU test", ROOT / "tests" / "nlu_test.yml", "rasa_nlu", True, True,
            "the team's own set (written next to the training data: it can flatter)"),
    SetSpec("team safety set", ROOT / "tests" / "safety_set.yml", "safety", True, True,
            "the team's own red flags and look-alikes (no routing labels)"),
)


def _require(entry: Any, keys: Tuple[str, ...], where: str) -> Mapping[str, Any]:
    if not isinstance(entry, Mapping) or any(not entry.get(k) for k in keys):
        raise ValueError(f"{where}: needs the keys {', '.join(keys)}")
    return entry


def _red_flag(entry: Any, where: str, persona_keys: bool) -> Item:
    e = _require(entry, ("text", "level"), where)
    level, lang = str(e["level"]), str(e.get("lang") or "en")
    if level not in LEVELS or lang not in LANGS:
        raise ValueError(f"{where}: level must be one of {LEVELS}, lang one of {LANGS}")
    persona = str(e.get("persona") or NO_PERSONA) if persona_keys else NO_PERSONA
    return Item(str(e["text"]), RED_FLAG, None, level, lang, persona)


def load_persona(path: Path) -> List[Item]:
    """Read the persona format: ``routing``, ``red_flags`` and ``look_alikes`` sections."""
    data: Dict[str, Any] = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    items: List[Item] = []
    for i, e in enumerate(data.get("routing") or []):
        e = _require(e, ("text", "label"), f"{path.name} routing[{i}]")
        items.append(Item(str(e["text"]), ROUTING, str(e["label"]),
                          persona=str(e.get("persona") or NO_PERSONA)))
    for i, e in enumerate(data.get("red_flags") or []):
        items.append(_red_flag(e, f"{path.name} red_flags[{i}]", persona_keys=True))
    for i, e in enumerate(data.get("look_alikes") or []):
        e = _require(e, ("text",), f"{path.name} look_alikes[{i}]")
        label = str(e["label"]) if e.get("label") else None
        items.append(Item(str(e["text"]), LOOK_ALIKE, label,
                          persona=str(e.get("persona") or NO_PERSONA)))
    return items


def load_rasa_nlu(path: Path) -> List[Item]:
    """Read a Rasa NLU yaml file: every example is a routing item."""
    return [Item(text, ROUTING, label) for text, label in load_examples([path])]


def load_safety(path: Path) -> List[Item]:
    """Read tests/safety_set.yml: red flags (text + level) and look-alikes (plain strings)."""
    data: Dict[str, Any] = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    items = [_red_flag(e, f"{path.name} red_flags[{i}]", persona_keys=False)
             for i, e in enumerate(data.get("red_flags") or [])]
    for entry in data.get("look_alikes") or []:
        text = entry if isinstance(entry, str) else str(entry.get("text"))
        label = None if isinstance(entry, str) else entry.get("label")
        items.append(Item(text, LOOK_ALIKE, str(label) if label else None))
    return items


LOADERS: Dict[str, Callable[[Path], List[Item]]] = {
    "persona": load_persona, "rasa_nlu": load_rasa_nlu, "safety": load_safety,
}


def load_set(spec: SetSpec) -> List[Item]:
    """The items of one held-out set."""
    return LOADERS[spec.fmt](spec.path)


def find_spec(path: str, specs: Tuple[SetSpec, ...] = HELD_OUT) -> SetSpec:
    """The registered set at ``path`` (relative to the project or the working directory)."""
    wanted = {Path(path).resolve(), (ROOT / path).resolve()}
    for spec in specs:
        if spec.path.resolve() in wanted:
            return spec
    known = ", ".join(s.rel for s in specs)
    raise SystemExit(f"{path} is not a registered held-out set (known: {known}); "
                     "add it to HELD_OUT in scripts/eval_sets.py")
