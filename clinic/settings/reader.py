"""The one generic reader: environment over ``clinic.yml`` over default, typed and bounded.

A blank value (unset, empty or spaces) counts as not given. A given value that can't be read
as its kind (``"lots"`` for a number, an unknown choice, an unknown time zone) gives the
default; numbers are clamped to their bounds; list items that can't be read, or lie outside
the bounds, are dropped (no items left: the default).
"""

from __future__ import annotations

import ipaddress
import math
import os
from dataclasses import dataclass
from datetime import time
from pathlib import Path
from typing import Any, Callable, Dict, FrozenSet, List, Mapping, Optional, Set, Tuple
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from clinic.office_hours import DAY_NAMES, parse_days
from clinic.settings.declared import BY_ENV, PROJECT_ROOT, Setting

TRUE = frozenset({"1", "true", "yes", "on"})
FALSE = frozenset({"0", "false", "no", "off"})


def _scalar(raw: Any) -> str:
    """A scalar value as stripped text; mappings and lists can't be one value."""
    if isinstance(raw, (dict, list, tuple)):
        raise ValueError("not a single value")
    return str(raw).strip()


def _int(raw: Any) -> int:
    if isinstance(raw, bool):
        raise ValueError("not a number")
    return int(_scalar(raw))


def _float(raw: Any) -> float:
    if isinstance(raw, bool):
        raise ValueError("not a number")
    value = float(_scalar(raw))
    if math.isnan(value):
        raise ValueError("not a number")
    return value


def _flag(raw: Any) -> bool:
    if isinstance(raw, bool):
        return raw
    text = _scalar(raw).lower()
    if text in TRUE or text in FALSE:
        return text in TRUE
    raise ValueError("not on/off")


def _time(raw: Any) -> time:
    hours, minutes = _scalar(raw).split(":", 1)
    return time(int(hours), int(minutes))


def _days(raw: Any) -> FrozenSet[int]:
    days = parse_days(raw)
    if not days:
        raise ValueError("no day names")
    return days


def _zone(raw: Any) -> str:
    name = _scalar(raw)
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as error:
        raise ValueError(f"unknown time zone {name!r}") from error
    return name


def _network(raw: Any) -> str:
    return str(ipaddress.ip_network(_scalar(raw), strict=False))


def _show_days(days: FrozenSet[int]) -> str:
    ordered = sorted(days)
    if len(ordered) > 2 and ordered == list(range(ordered[0], ordered[-1] + 1)):
        return f"{DAY_NAMES[ordered[0]]}-{DAY_NAMES[ordered[-1]]}"
    return ",".join(DAY_NAMES[day] for day in ordered)


@dataclass(frozen=True)
class Kind:
    """A setting's type: the Python type of its values, how to read one, how to show one."""

    type: type
    parse: Callable[[Any], Any]
    show: Callable[[Any], str] = str


KINDS: Dict[str, Kind] = {
    "text": Kind(str, _scalar),
    "url": Kind(str, lambda raw: _scalar(raw).rstrip("/")),  # no trailing slash
    "code": Kind(str, lambda raw: _scalar(raw).upper()),  # region codes: US, CA
    "choice": Kind(str, lambda raw: _scalar(raw).lower()),  # one of Setting.choices
    "int": Kind(int, _int),
    "float": Kind(float, _float, lambda value: f"{value:g}"),
    "flag": Kind(bool, _flag, lambda value: "on" if value else "off"),
    "time": Kind(time, _time, lambda value: value.strftime("%H:%M")),
    "days": Kind(frozenset, _days, _show_days),
    "zone": Kind(str, _zone),
    "path": Kind(Path, lambda raw: Path(_scalar(raw))),
    "network": Kind(str, _network),
}


def item_kind(setting: Setting) -> Optional[str]:
    """``"int"`` for a ``list[int]`` setting; None for a single value."""
    if setting.kind.startswith("list[") and setting.kind.endswith("]"):
        return setting.kind[5:-1]
    return None


def python_type(setting: Setting) -> type:
    """The type of the setting's values (``tuple`` for lists)."""
    return tuple if item_kind(setting) else KINDS[setting.kind].type


def _bounded(setting: Setting, kind: str, raw: Any, clamp: bool) -> Any:
    """One value of ``kind`` within the setting's bounds and choices; ValueError if not."""
    value = KINDS[kind].parse(raw)
    if setting.choices and value not in setting.choices:
        raise ValueError(f"not one of {', '.join(setting.choices)}")
    low, high = setting.low, setting.high
    if (low is not None and value < low) or (high is not None and value > high):
        if not clamp:
            raise ValueError("out of bounds")
        value = low if low is not None and value < low else high
    return value


def _items(setting: Setting, kind: str, raw: Any) -> Tuple[Any, ...]:
    """The readable items within bounds, duplicates dropped (choices in declared order)."""
    parts = raw if isinstance(raw, (list, tuple)) else str(raw).split(",")
    items: List[Any] = []
    for part in parts:
        if isinstance(part, str) and not part.strip():
            continue
        try:
            items.append(_bounded(setting, kind, part, clamp=False))
        except (ValueError, TypeError):
            continue
    if setting.choices:
        items = [choice for choice in setting.choices if choice in items]
    if not items:
        raise ValueError("no readable items")
    return tuple(dict.fromkeys(items))


def convert(setting: Setting, raw: Any) -> Any:
    """``raw`` (text from the environment, or a YAML value) as the setting's type.

    Raises ValueError if it can't be read; numbers are clamped, not refused.
    """
    kind = item_kind(setting)
    if kind is not None:
        return _items(setting, kind, raw)
    try:
        return _bounded(setting, setting.kind, raw, clamp=True)
    except TypeError as error:
        raise ValueError(str(error)) from error


def show(setting: Setting, value: Any) -> str:
    """A value as the README shows it: ``mon-fri``, ``1,3,7``, ``var/api_token`` (project's)."""
    kind = item_kind(setting)
    if kind is not None:
        text = ",".join(KINDS[kind].show(item) for item in value)
    else:
        text = KINDS[setting.kind].show(value)
    return text.replace(f"{PROJECT_ROOT}{os.sep}", "")


def is_blank(raw: Any) -> bool:
    """True for what counts as not given: None, or text that is empty or only spaces."""
    return raw is None or (isinstance(raw, str) and not raw.strip())


def lookup(data: Mapping[str, Any], dotted: str) -> Any:
    """``data["a"]["b"]`` for ``"a.b"``; None where a level is missing or not a mapping."""
    value: Any = data
    for part in dotted.split("."):
        if not isinstance(value, Mapping):
            return None
        value = value.get(part)
    return value


class Values:
    """The declared settings' values for one environment and one ``clinic.yml`` mapping.

    ``values["MAX_MESSAGE_CHARS"]`` is read on first use; ``used`` names what was read.
    """

    def __init__(self, env: Mapping[str, str], clinic_file: Mapping[str, Any]) -> None:
        """Read from ``env`` first, then from the parsed ``clinic.yml``."""
        self.env = env
        self.clinic_file = clinic_file
        self.used: Set[str] = set()

    def raw(self, name: str) -> Any:
        """The value given for a setting (environment, else clinic.yml); None if blank."""
        key = BY_ENV[name].key
        self.used.add(name)
        raw = self.env.get(name)
        if is_blank(raw) and key:
            raw = lookup(self.clinic_file, key)
        return None if is_blank(raw) else raw

    def given(self, name: str) -> bool:
        """True if the environment or clinic.yml gives a value (readable or not)."""
        return self.raw(name) is not None

    def __getitem__(self, name: str) -> Any:
        """The setting's value: given and readable, else its default."""
        raw = self.raw(name)
        if raw is None:
            return BY_ENV[name].default
        try:
            return convert(BY_ENV[name], raw)
        except ValueError:
            return BY_ENV[name].default

    def window(self, start: str, end: str) -> Tuple[Any, Any]:
        """Two settings that must be in order (opens < closes); both defaults if not."""
        first, last = self[start], self[end]
        if last <= first:
            return BY_ENV[start].default, BY_ENV[end].default
        return first, last
