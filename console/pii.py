"""Personal data in patient messages: masked for lists and exports, replaced for training.

What is recognised: phone numbers, e-mail addresses, dates with a year (dates of birth),
"my name is …" phrases, and any value the patient gave the booking form (name, phone),
which the caller passes as ``known``. Conversation ids that are phone numbers (SMS) are
masked too. Two outputs:

- :func:`mask_text` puts ``[phone]``, ``[email]``, ``[date]``, ``[name]`` in place (lists,
  previews, exports of transcripts);
- :func:`scrub_for_training` puts neutral stand-ins instead (``Alex``, ``555-0100``, ...),
  so exported training examples still read like real messages.
"""

from __future__ import annotations

import re
from typing import Dict, Iterable, List, Pattern

# Slots whose values are the patient's personal data (the booking form).
PII_SLOTS = ("appointment_name", "appointment_phone", "appointment_phone_display")

_MONTHS = (
    r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|"
    r"sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)"
)
_YEAR = r"(?:19|20)\d{2}"

EMAIL: Pattern[str] = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+", re.IGNORECASE)
DATE: Pattern[str] = re.compile(
    r"\b(?:\d{1,2}[/.-]\d{1,2}[/.-](?:\d{4}|\d{2})"
    rf"|{_YEAR}-\d{{1,2}}-\d{{1,2}}"
    rf"|{_MONTHS}\.?\s+\d{{1,2}}(?:st|nd|rd|th)?,?\s+{_YEAR}"
    rf"|\d{{1,2}}(?:st|nd|rd|th)?\s+(?:of\s+)?{_MONTHS}\.?,?\s+{_YEAR})\b",
    re.IGNORECASE,
)
# 7 to 15 digits, optionally with +, spaces, dots, dashes and brackets between them.
PHONE: Pattern[str] = re.compile(r"(?<![\w/])\+?\(?\d(?:[\s().-]{0,2}\d){6,14}(?![\w/])")
NAME_PHRASE: Pattern[str] = re.compile(
    r"\b(my name is|my name's|name is|this is|i am|i'm|im|call me|it's|its)\s+"
    r"([A-Z][a-zA-Z'-]+(?:\s+[A-Z][a-zA-Z'-]+){0,2})"
)

MASKS = {"phone": "[phone]", "email": "[email]", "date": "[date]", "name": "[name]"}
STAND_INS = {"phone": "555-0100", "email": "patient@example.com", "date": "01/02/1960",
             "name": "Alex Smith"}

# Words after "this is" / "i am" that are not names (capitalised at the start of a sentence).
_NOT_NAMES = {
    "i", "a", "an", "the", "not", "kyphoplasty", "vertebroplasty", "urgent", "very", "so",
    "really", "still", "in", "on", "at", "my", "your", "it", "this", "that", "ok", "okay",
    "yes", "no", "fine", "good", "bad", "worried", "scared", "confused", "sorry",
}


def _known_patterns(known: Iterable[str]) -> List[Pattern[str]]:
    """Exact (case-insensitive, whole word) patterns for the form values, longest first."""
    values = sorted({v.strip() for v in known if v and len(v.strip()) >= 2}, key=len,
                    reverse=True)
    return [re.compile(rf"(?<!\w){re.escape(v)}(?!\w)", re.IGNORECASE) for v in values]


def _replace(text: str, known: Iterable[str], values: Dict[str, str]) -> str:
    for pattern in _known_patterns(known):  # form values: digits mean a phone number
        kind = "phone" if any(c.isdigit() for c in pattern.pattern) else "name"
        text = pattern.sub(values[kind], text)
    text = EMAIL.sub(values["email"], text)
    text = DATE.sub(values["date"], text)
    text = PHONE.sub(values["phone"], text)

    def name(match: re.Match[str]) -> str:
        if match.group(2).split()[0].lower() in _NOT_NAMES:
            return match.group(0)
        return f"{match.group(1)} {values['name']}"

    return NAME_PHRASE.sub(name, text)


def mask_text(text: str, known: Iterable[str] = ()) -> str:
    """``text`` with personal data replaced by ``[phone]``, ``[email]``, ``[date]``, ``[name]``."""
    return _replace(text or "", known, MASKS)


def scrub_for_training(text: str, known: Iterable[str] = ()) -> str:
    """``text`` with personal data replaced by neutral stand-ins (for NLU training data)."""
    return _replace(text or "", known, STAND_INS)


def has_personal_data(text: str, known: Iterable[str] = ()) -> bool:
    """Whether masking would change ``text``."""
    return mask_text(text, known) != (text or "")


def mask_conversation_id(conversation_id: str) -> str:
    """A conversation id safe to list: phone numbers keep only their last 2 digits."""
    digits = re.sub(r"\D", "", conversation_id or "")
    if PHONE.fullmatch(conversation_id or "") or (
        conversation_id.startswith("+") and len(digits) >= 7
    ):
        return f"+{'•' * max(len(digits) - 2, 1)}{digits[-2:]}"
    if EMAIL.search(conversation_id or ""):
        return "[email]"
    return conversation_id
