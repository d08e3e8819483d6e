"""Reading check-in answers: a pain score from 0 to 10, and yes/no to the red flags.

Plain functions over the patient's words (no Rasa types), unit-tested on their own, plus
:func:`extract`, which decides what one message answers. Each reader returns a value, or an
error kind naming the re-ask response (``utter_invalid_checkin_<slot>_<kind>``).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Dict, Optional

from clinic.booking.form_answers import Answer, is_question
from clinic.vocabulary import CHECKIN_INTENT, URGENT_INTENT

PAIN = "checkin_pain"
RED_FLAG = "checkin_red_flag"
# checkin_red_flag values: "yes" to the question, "no", or a red flag typed in words
# during the check-in (the safety rule already gave the instruction and alerted staff).
FLAGGED, CLEAR, FLAGGED_IN_WORDS = "flagged", "clear", "flagged_in_words"
# What a staff alert for a "yes" stands on (the action and the Rasa-side backup use it).
CHECKIN_EVIDENCE = {
    "concepts": ["checkin_red_flag"],
    "evidence": ["answered yes to the check-in's red-flag question"],
}

UNCLEAR, OUT_OF_RANGE = "unclear", "out_of_range"
EXTERNAL_INTENT = CHECKIN_INTENT
# Always handled by their own rules: the form steps aside whatever the words are.
INTERRUPTIONS = frozenset({URGENT_INTENT, EXTERNAL_INTENT})
# Handled by their own rules when the words are not a usable answer.
DETOURS = frozenset({"faq", "out_of_scope", "bot_challenge", "request_human", "cancel",
                     "goodbye"})

_WORDS = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten")
_NUMBER = r"\d+(?:\.\d+)?|" + "|".join(_WORDS)
_OUT_OF_TEN = re.compile(rf"\b({_NUMBER})\s*(?:/|out of|of|on)\s*(?:10|ten)\b")
_NUMBERS = re.compile(
    rf"(?<![\d.])(?:{_NUMBER})(?![\d.])(?!\s*(?:mg|pills?|tablets?|days?|hours?|hrs?|weeks?|"
    rf"times|am|pm|tylenol|advil|percent|%))",
)
_NEGATIVE = re.compile(r"^-\s*\d")
_NO_PAIN = re.compile(
    r"^(?:no pain(?: at all)?|none|pain[- ]free|zero|nothing|no pain now|doesn'?t hurt|"
    r"it doesn'?t hurt|no,? no pain)\W*$")
_PAIN_WORDS = re.compile(r"\b(?:pain|hurts?|sore|ache|aching|scale|rate|level|score)\b")
MAX_WORDS_WITHOUT_PAIN_WORD = 8

_YES = re.compile(
    r"^(?:y|yes|yeah|yep|yup|ya|yea|i have|i did|i do|some|a few|one of them|"
    r"affirmative|correct|true)\b")
_NO = re.compile(
    r"^(?:n|no|nope|nah|none|neither|nothing|negative|not really|not at all|"
    r"i haven'?t|haven'?t|i have not|i did not|i didn'?t|no to all|none of (?:those|them|these)|"
    r"all good|all fine|fine|i'?m (?:fine|good|ok|okay)|good)\b")


@dataclass(frozen=True)
class CheckinTurn:
    """The latest message as the check-in form needs it."""

    text: str  # the patient's own words; "" for a button payload or the trigger itself
    intent: str
    requested: Optional[str]
    after_listen: bool  # the form reads this message first (no other rule answered it)
    red_flag_raised: bool  # a red flag in words since this check-in started
    red_flag_answered: bool  # the red-flag question already has an answer

    @property
    def detour(self) -> bool:
        """True if, failing a usable answer, another rule should handle the message."""
        return self.intent in DETOURS or is_question(self.text)


def _tidy(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip().lower().strip(".,;:!")


def _value(token: str) -> float:
    return float(_WORDS.index(token)) if token in _WORDS else float(token)


def read_pain(text: str) -> Answer:
    """A pain score: "7", "about a 6", "4/10", "seven", "6-7" (the higher), "no pain" (0)."""
    text = _tidy(text)
    if not text:
        return Answer(error=UNCLEAR)
    if _NO_PAIN.match(text):
        return Answer("0")
    if _NEGATIVE.match(text):
        return Answer(error=OUT_OF_RANGE)
    out_of_ten = _OUT_OF_TEN.search(text)
    if out_of_ten:
        value = _value(out_of_ten.group(1))
    else:
        numbers = [_value(n) for n in _NUMBERS.findall(text)]
        long_text = len(text.split()) > MAX_WORDS_WITHOUT_PAIN_WORD and not _PAIN_WORDS.search(
            text)
        if not numbers or len(numbers) > 2 or long_text:
            return Answer(error=UNCLEAR)
        value = max(numbers)  # "6 or 7": the higher, to be safe
    if not 0 <= value <= 10:
        return Answer(error=OUT_OF_RANGE)
    return Answer(str(math.ceil(value)))


def read_red_flag(text: str, intent: str = "") -> Answer:
    """Yes or no to "have you had any of these?" (a button press arrives as its intent)."""
    text = _tidy(text)
    if _NO.match(text):
        return Answer(CLEAR)
    if _YES.match(text):
        return Answer(FLAGGED)
    if not text and intent in ("affirm", "deny"):
        return Answer(FLAGGED if intent == "affirm" else CLEAR)
    if intent == "affirm" and not is_question(text):
        return Answer(FLAGGED)
    if intent == "deny" and not is_question(text):
        return Answer(CLEAR)
    return Answer(error=UNCLEAR)


def is_answer(slot: str, turn: CheckinTurn) -> bool:
    """True if the message is a usable answer to ``slot``."""
    if slot == PAIN:
        return read_pain(turn.text).value is not None
    if slot == RED_FLAG:
        return read_red_flag(turn.text, turn.intent).value is not None
    return False


def extract(turn: CheckinTurn) -> Dict[str, str]:
    """What the check-in should take from this message (empty: another rule handles it).

    Back after the safety rule answered a red flag typed in words, the red-flag question is
    answered already: the instruction was given and staff were alerted.
    """
    if not turn.after_listen:
        if turn.red_flag_raised and not turn.red_flag_answered:
            return {RED_FLAG: FLAGGED_IN_WORDS}
        return {}
    if turn.intent in INTERRUPTIONS or turn.requested not in (PAIN, RED_FLAG):
        return {}
    if is_answer(turn.requested, turn) or not turn.detour:
        return {turn.requested: turn.text}  # a bad answer too: the validator says why
    return {}
