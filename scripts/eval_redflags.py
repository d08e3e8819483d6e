"""Red-flag metrics: recall, level accuracy, per level / language, false alarms."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Dict, List, Optional, Sequence, Tuple

from scripts.eval_sets import LEVELS, LOOK_ALIKE, RED_FLAG, Item

NAN = float("nan")


@dataclass
class RedFlagStats:
    """Alarms raised on a set's red flags and look-alikes."""

    red_flags: List[Item] = field(default_factory=list)
    look_alikes: List[Item] = field(default_factory=list)
    missed: List[Item] = field(default_factory=list)
    wrong_level: List[Tuple[Item, str]] = field(default_factory=list)
    false_alarms: List[Tuple[Item, str]] = field(default_factory=list)
    wrong_language: List[Tuple[Item, str]] = field(default_factory=list)
    instructions_known: bool = False

    @property
    def recall(self) -> float:
        """Share of red flags that raised any alarm."""
        n = len(self.red_flags)
        return 1 - len(self.missed) / n if n else NAN

    @property
    def level_accuracy(self) -> float:
        """Share of red flags that raised an alarm of the right level."""
        n = len(self.red_flags)
        return 1 - (len(self.missed) + len(self.wrong_level)) / n if n else NAN

    @property
    def false_alarm_rate(self) -> float:
        """Share of look-alikes that raised an alarm."""
        n = len(self.look_alikes)
        return len(self.false_alarms) / n if n else NAN

    def per_level(self) -> Dict[str, Tuple[int, float, float]]:
        """Level -> (red flags, recall, right level) for the levels present."""
        missed = {id(i) for i in self.missed}
        wrong = {id(i) for i, _ in self.wrong_level}
        out = {}
        for level in LEVELS:
            group = [i for i in self.red_flags if i.level == level]
            if group:
                caught = sum(id(i) not in missed for i in group)
                right = sum(id(i) not in missed and id(i) not in wrong for i in group)
                out[level] = (len(group), caught / len(group), right / len(group))
        return out

    def per_lang(self) -> Dict[str, Tuple[int, float]]:
        """Language -> (red flags, recall)."""
        missed = {id(i) for i in self.missed}
        out = {}
        for lang in sorted({i.lang for i in self.red_flags}):
            group = [i for i in self.red_flags if i.lang == lang]
            out[lang] = (len(group), sum(id(i) not in missed for i in group) / len(group))
        return out

    @property
    def crisis_recall(self) -> float:
        """Recall on crisis statements (NaN when the set has none)."""
        row = self.per_level().get("crisis")
        return row[1] if row else NAN


def _language_ok(item: Item, variant: Optional[str]) -> bool:
    spanish = bool(variant and variant.endswith("_es"))
    return spanish == (item.lang == "es")


def red_flag_stats(
    items: Sequence[Item],
    levels: Sequence[Optional[str]],
    instructions: Optional[Sequence[Optional[str]]] = None,
) -> RedFlagStats:
    """Compare the alarm ``levels`` (None: no alarm) raised on ``items`` with the gold ones."""
    stats = RedFlagStats(instructions_known=instructions is not None)
    variants = instructions if instructions is not None else [None] * len(items)
    for item, level, variant in zip(items, levels, variants, strict=True):
        if item.kind == RED_FLAG:
            stats.red_flags.append(item)
            if level is None:
                stats.missed.append(item)
                continue
            if level != item.level:
                stats.wrong_level.append((item, level))
            if instructions is not None and not _language_ok(item, variant):
                stats.wrong_language.append((item, str(variant)))
        elif item.kind == LOOK_ALIKE:
            stats.look_alikes.append(item)
            if level is not None:
                stats.false_alarms.append((item, level))
    return stats
