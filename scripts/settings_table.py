"""README.md's configuration table, generated from the declared settings.

``python -m scripts.settings_table`` prints it; ``--write`` (``make settings-table``) replaces
the table between the markers in README.md; tests/clinic/test_config.py fails when they differ.
"""

from __future__ import annotations

from typing import List

from clinic.settings import SETTINGS, Setting
from clinic.settings.reader import item_kind, show
from scripts import readme_blocks

KIND_NAMES = {"text": "text", "url": "URL", "code": "region code", "choice": "one of",
              "int": "integer", "float": "number", "flag": "on/off", "time": "HH:MM",
              "days": "days", "zone": "time zone", "path": "path", "network": "network"}


def _number(value: float) -> str:
    return f"{value:g}"


def type_text(setting: Setting) -> str:
    """``integer 50-10000``, ``one of `queue`, `webhook```, ``list of URL``."""
    kind = item_kind(setting) or setting.kind
    text = KIND_NAMES[kind]
    if setting.choices:
        text = f"{text} {', '.join(f'`{choice}`' for choice in setting.choices)}"
    if setting.low is not None and setting.high is not None:
        text = f"{text} {_number(setting.low)}-{_number(setting.high)}"
    if item_kind(setting):
        text = "list: " + text.replace("one of ", "")
    return text


def default_text(setting: Setting) -> str:
    """The default as shown: ``shown`` if declared, ``none`` if empty, else the value."""
    if setting.shown:
        return setting.shown
    if setting.default in ("", ()):
        return "none"
    return f"`{show(setting, setting.default)}`"


def row(setting: Setting) -> str:
    """One table row."""
    key = f"`{setting.key}`" if setting.key else ""
    text = setting.text + (f" (read by `{setting.reader}`)" if setting.reader else "")
    cells = [f"`{setting.env}`", key, default_text(setting), type_text(setting), text]
    return "| " + " | ".join(cells) + " |"


def table() -> str:
    """The whole table (without the markers)."""
    lines: List[str] = ["| variable | `clinic.yml` | default | type | what |",
                        "|---|---|---|---|---|"]
    lines.extend(row(setting) for setting in SETTINGS)
    return "\n".join(lines)


def with_table(readme: str, block: str) -> str:
    """The README with the settings table replaced."""
    return readme_blocks.with_block(readme, "settings", block)


if __name__ == "__main__":
    readme_blocks.main("settings", table, __doc__.splitlines()[0])
