"""Response placeholders such as ``{clinic_phone}``: configured values and long samples.

Sample values stand in for the placeholders filled in at run time, to check that texts fit
an SMS.

No Rasa import: used by the NLG, the review console's answer checks and the tests.
"""

from __future__ import annotations

import re
from typing import Dict, List, Mapping

from clinic.settings import Settings

# A placeholder as Rasa's interpolator reads it: anything between braces on one line.
PLACEHOLDER = re.compile(r"{([^\n{}]*)}")
NAME = re.compile(r"[a-z_][a-z0-9_]*")

# Values for the placeholders filled in at run time (long but realistic ones).
SAMPLE_VALUES: Dict[str, str] = {
    "max_chars": "1000", "handoff_reply_minutes": "30", "next_open_day": "Wednesday",
    "next_open_time": "10:00 AM", "appointment_reference": "APT-7KQ2MX",
    "reply_within": "one business day", "appointment_name": "Maria Lopez-Hernandez",
    "appointment_phone_display": "(312) 555-0199", "appointment_times": "tuesday mornings",
    "appointment_reason": "vertebroplasty", "appointment_contact": "phone or text",
    "checkin_day": "14", "checkin_procedure": "vertebroplasty", "checkin_previous_pain": "10",
    "procedure": "vertebroplasty", "covered": "kyphoplasty",
    "answered_topic": "Kyphoplasty vs. vertebroplasty",
}


def configured_values(settings: Settings) -> Dict[str, str]:
    """The clinic's details (``{clinic_phone}`` ...) and ``{sms_program_name}``."""
    values = dict(settings.clinic.as_template_vars())
    values["sms_program_name"] = settings.sms.program_name
    return values


def placeholders(text: str) -> List[str]:
    """The placeholder names in ``text``, in order (as written, even if malformed)."""
    return PLACEHOLDER.findall(text)


def fill(text: str, values: Mapping[str, str]) -> str:
    """``text`` with every known ``{name}`` replaced (unknown ones are left as they are)."""
    return re.sub(r"{([a-z_]+)}", lambda m: str(values.get(m.group(1), m.group(0))), text)


def sample_values(settings: Settings) -> Dict[str, str]:
    """Configured values plus the long run-time samples: the worst case for an SMS."""
    return {**configured_values(settings), **SAMPLE_VALUES}
