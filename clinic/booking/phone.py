"""Phone numbers typed by patients: find, validate and normalise them (``phonenumbers``).

Plain helpers for the booking form; no Rasa types here. Numbers become E.164
(``+13125550123``); the error kinds name the re-ask response the form sends.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Iterable, Optional

import phonenumbers
from phonenumbers import NumberParseException, PhoneNumberFormat, PhoneNumberType

# Error kinds (each has a response ``utter_invalid_phone_<kind>``).
NO_DIGITS = "no_digits"
LETTERS = "letters"
TOO_SHORT = "too_short"
TOO_LONG = "too_long"
FOREIGN = "foreign"
INVALID = "invalid"

# A number written partly in letters ("555-CALL-NOW", "312 555 O199").
_LETTERS_IN_NUMBER = re.compile(
    r"\d[\d\s().-]*[A-Za-z]{1,7}[\s().-]*\d|\d{3}[\s.-]+[A-Za-z]{4,7}\b"
)
_NOT_CALLABLE = {PhoneNumberType.PREMIUM_RATE, PhoneNumberType.SHARED_COST,
                 PhoneNumberType.TOLL_FREE, PhoneNumberType.UAN, PhoneNumberType.VOICEMAIL,
                 PhoneNumberType.PAGER}

_SHORT = {phonenumbers.ValidationResult.TOO_SHORT, phonenumbers.ValidationResult.INVALID_LENGTH,
          phonenumbers.ValidationResult.IS_POSSIBLE_LOCAL_ONLY}


@dataclass(frozen=True)
class PhoneResult:
    """A normalised number, or why there isn't one."""

    e164: Optional[str] = None
    display: Optional[str] = None  # national format for the read-back, e.g. (312) 555-0123
    error: Optional[str] = None


def _result(number: phonenumbers.PhoneNumber, regions: Iterable[str]) -> PhoneResult:
    region = phonenumbers.region_code_for_number(number)
    if region not in set(regions):
        return PhoneResult(error=FOREIGN)
    if phonenumbers.number_type(number) in _NOT_CALLABLE:
        return PhoneResult(error=INVALID)
    return PhoneResult(
        e164=phonenumbers.format_number(number, PhoneNumberFormat.E164),
        display=phonenumbers.format_number(number, PhoneNumberFormat.NATIONAL),
    )


def find_phone(text: str, region: str, regions: Iterable[str]) -> Optional[PhoneResult]:
    """The first valid phone number written anywhere in ``text`` (None if there is none)."""
    for match in phonenumbers.PhoneNumberMatcher(text[:500], region):
        return _result(match.number, regions)
    return None


def without_phone(text: str, region: str) -> str:
    """``text`` with any phone number in it removed ("Ann Lee 312 555 0199" -> "Ann Lee")."""
    for match in reversed(list(phonenumbers.PhoneNumberMatcher(text[:500], region))):
        text = text[:match.start] + " " + text[match.end:]
    return " ".join(text.split()).strip(" ,;-")


def parse_phone(text: str, region: str, regions: Iterable[str]) -> PhoneResult:
    """Read the answer to "what number should we call?" and say what is wrong with it."""
    text = text.strip()[:200]
    found = find_phone(text, region, regions)
    if found is not None:
        return found
    digits = re.sub(r"\D", "", text)
    if _LETTERS_IN_NUMBER.search(text):
        return PhoneResult(error=LETTERS)
    if not digits:
        return PhoneResult(error=NO_DIGITS)
    try:
        number = phonenumbers.parse(text, region)
    except NumberParseException:
        return PhoneResult(error=TOO_SHORT if len(digits) < 10 else INVALID)
    reason = phonenumbers.is_possible_number_with_reason(number)
    if reason in _SHORT and len(digits) < 10:
        return PhoneResult(error=TOO_SHORT)
    if reason == phonenumbers.ValidationResult.TOO_LONG or len(digits) > 15:
        return PhoneResult(error=TOO_LONG)
    if phonenumbers.is_valid_number(number):
        return _result(number, regions)
    return PhoneResult(error=INVALID)


def sender_phone(sender_id: str, region: str, regions: Iterable[str]) -> Optional[PhoneResult]:
    """The patient's own number when they text us (the SMS sender id), if it is callable."""
    try:
        number = phonenumbers.parse(sender_id, region)
    except NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    result = _result(number, regions)
    return result if result.e164 else None
