"""The one place that reads configuration: environment variables over ``clinic.yml``.

Nothing is read at import time; call :func:`get_settings` (cached) when a value is needed.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Dict, Mapping, Optional, TypeVar

import yaml

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_CLINIC_FILE = PROJECT_ROOT / "clinic.yml"

# clinic.yml field -> environment variable that overrides it
CLINIC_FIELDS = {
    "name": "CLINIC_NAME",
    "phone": "CLINIC_PHONE",
    "urgent_phone": "CLINIC_URGENT_PHONE",
    "billing_phone": "CLINIC_BILLING_PHONE",
    "hours": "CLINIC_HOURS",
    "address": "CLINIC_ADDRESS",
}
# Used only if neither clinic.yml nor the environment provides a value, so an answer never
# shows an empty phone number. 911 is the one fact that is the same everywhere.
FALLBACK_CLINIC = {
    "name": "the clinic",
    "phone": "the clinic's main number",
    "urgent_phone": "the clinic's main number",
    "billing_phone": "the clinic's main number",
    "hours": "office hours",
    "address": "the clinic",
}


@dataclass(frozen=True)
class ClinicInfo:
    """Public details of the clinic, as shown to patients."""

    name: str
    phone: str
    urgent_phone: str
    billing_phone: str
    hours: str
    address: str

    def as_template_vars(self) -> Dict[str, str]:
        """Values for response placeholders such as ``{clinic_phone}``."""
        return {
            "clinic_name": self.name,
            "clinic_phone": self.phone,
            "clinic_urgent_phone": self.urgent_phone,
            "billing_phone": self.billing_phone,
            "clinic_hours": self.hours,
            "clinic_address": self.address,
        }


@dataclass(frozen=True)
class Settings:
    """Runtime settings shared by the Rasa server add-ons and the action server."""

    clinic: ClinicInfo
    max_message_chars: int
    turn_timeout_seconds: float
    database_url: str
    fallback_suggestions: int


Number = TypeVar("Number", int, float)


def _number(
    env: Mapping[str, str], key: str, default: Number, low: Number, high: Number
) -> Number:
    """Read a number of the default's type, clamped to [low, high]; default if unreadable."""
    try:
        value = type(default)(env.get(key, default))
    except ValueError:
        return default
    return min(max(value, low), high)


def load_yaml_file(path: Path) -> Dict[str, Any]:
    """A YAML mapping from ``path``; empty if the file is missing or not a mapping."""
    if not path.is_file():
        return {}
    loaded = yaml.safe_load(path.read_text(encoding="utf-8"))
    return loaded if isinstance(loaded, dict) else {}


def load_clinic(env: Mapping[str, str], path: Optional[Path] = None) -> ClinicInfo:
    """Clinic details: environment variable, else clinic.yml, else a neutral fallback."""
    file_values = load_yaml_file(path or Path(env.get("CLINIC_CONFIG", DEFAULT_CLINIC_FILE)))
    values = {}
    for field, env_key in CLINIC_FIELDS.items():
        raw = env.get(env_key) or file_values.get(field) or FALLBACK_CLINIC[field]
        values[field] = str(raw).strip()
    return ClinicInfo(**values)


def load_settings(env: Optional[Mapping[str, str]] = None) -> Settings:
    """Build settings from an environment mapping (``os.environ`` by default)."""
    env = os.environ if env is None else env
    default_db = f"sqlite:///{PROJECT_ROOT / 'var' / 'clinic.db'}"
    return Settings(
        clinic=load_clinic(env),
        max_message_chars=_number(env, "MAX_MESSAGE_CHARS", 1000, 50, 10000),
        turn_timeout_seconds=_number(env, "TURN_TIMEOUT_SECONDS", 8.0, 0.5, 120.0),
        database_url=env.get("DATABASE_URL") or default_db,
        fallback_suggestions=_number(env, "FALLBACK_SUGGESTIONS", 3, 1, 5),
    )


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """Process-wide settings, read once on first use."""
    return load_settings()
