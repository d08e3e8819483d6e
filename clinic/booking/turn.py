"""What the patient's latest message means for the booking form, as plain decisions.

For the question being asked: is the message an answer (valid or not), or something
else the dialogue should handle first -- a red flag, "cancel", a request for a person, a
question about the procedure? And does it correct an earlier answer ("actually my number
is …")? The validation action (``actions.appointment_form``) reads the turn from the
tracker and only wires these decisions into Rasa.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Dict, Iterable, Optional, Tuple

from clinic.booking import form_answers as answers
from clinic.booking.phone import PhoneResult, find_phone, parse_phone, sender_phone, without_phone
from clinic.booking.preferred_times import PreferredTimes, mentions_time, parse_preferred_times
from clinic.booking.slots import (
    CONFIRMED,
    CONTACT,
    FIELD,
    NAME,
    PHONE,
    REASON,
    TIMES,
)
from clinic.models import utcnow
from clinic.settings import SchedulingSettings, get_settings
from clinic.text import clean
from clinic.vocabulary import SMS_CHANNEL

# Always handled by their own rules, whatever is being asked (the form steps aside) --
# except "cancel" at the read-back, where "change something" can look like it. A follow-up
# check-in the worker starts (EXTERNAL_followup_checkin) takes over from the form.
INTERRUPTIONS = frozenset({"urgent_symptom", "cancel", "EXTERNAL_followup_checkin"})
# Handled by their own rules when the words are not a usable answer ("Phone call" is an
# answer to "how may we contact you?", not a request for a person).
DETOURS = frozenset({"faq", "out_of_scope", "bot_challenge", "request_appointment", "goodbye",
                     "request_human", "cancel"})
_SAME_NUMBER = re.compile(
    r"\b(?:this|same|my|the)\s+(?:number|one|phone|cell|mobile)\b|^(?:same|this|this one|"
    r"yes|yep|yeah|ok|okay|sure)\W*$",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Turn:
    """The latest message as the form needs it."""

    text: str
    intent: str
    requested: Optional[str]
    channel: str
    sender_id: str
    procedures: Tuple[str, ...]

    @classmethod
    def of(cls, words: str, latest: Dict[str, Any], requested: Optional[str], channel: str,
           sender_id: str) -> Turn:
        """The turn from the patient's own words and Rasa's parse of them (markup removed)."""
        procedures = tuple(str(e.get("value")) for e in latest.get("entities") or []
                           if e.get("entity") == "procedure")
        return cls(text=clean(words)[:1000],
                   intent=str((latest.get("intent") or {}).get("name") or ""),
                   requested=requested, channel=channel, sender_id=sender_id,
                   procedures=procedures)

    @property
    def interrupts(self) -> bool:
        """True if the form must step aside whatever the words are."""
        if self.intent == "cancel" and self.requested in (CONFIRMED, FIELD):
            return False  # a usable answer ("change something") wins; else it's a detour
        return self.intent in INTERRUPTIONS

    @property
    def detour(self) -> bool:
        """True if, failing a usable answer, another rule should handle the message.

        A phone number given when the phone is asked is always an attempt at the answer,
        whatever the classifier made of it: a foreign one gets the form's own reply.
        """
        if self.requested == PHONE:
            scheduling = get_settings().scheduling
            if find_phone(self.text, scheduling.phone_region, scheduling.phone_regions):
                return False
        return self.intent in DETOURS or answers.is_question(self.text)


def read_phone(turn: Turn, settings: SchedulingSettings) -> PhoneResult:
    """The phone answer; on SMS, "this number" means the number the patient texts from."""
    if turn.channel == SMS_CHANNEL and _SAME_NUMBER.search(turn.text):
        own = sender_phone(turn.sender_id, settings.phone_region, settings.phone_regions)
        if own is not None:
            return own
    return parse_phone(turn.text, settings.phone_region, settings.phone_regions)


def read_name(text: str) -> answers.Answer:
    """The name answer, ignoring a phone number given with it (the number is kept too)."""
    return answers.read_name(without_phone(text, get_settings().scheduling.phone_region))


def read_times(text: str) -> PreferredTimes:
    """Preferred times, with dates read relative to now in the clinic's time zone."""
    return parse_preferred_times(text, get_settings().office_hours.local(utcnow()))


def is_answer(slot: str, turn: Turn) -> bool:
    """True if the message is a usable answer to ``slot`` (it may still need tidying)."""
    if slot == NAME:
        return read_name(turn.text).value is not None
    if slot == PHONE:
        return read_phone(turn, get_settings().scheduling).e164 is not None
    if answers.is_question(turn.text) and turn.intent in DETOURS:
        return False  # "what is kyphoplasty?" is a question, not a choice
    if slot == TIMES:
        return read_times(turn.text).error is None
    if slot == REASON:
        return answers.read_procedure(turn.text, turn.procedures).value is not None
    if slot == CONTACT:
        return answers.read_contact(turn.text, turn.intent).value is not None
    if slot == CONFIRMED:
        return answers.read_confirmation(turn.text, turn.intent).value is not None
    if slot == FIELD:
        return answers.read_field(turn.text).value is not None
    return False


def corrections(turn: Turn) -> Dict[str, str]:
    """Earlier answers this message replaces, as {slot: words to validate}.

    A valid phone number or "my name is …" counts at any point; new times, procedure or
    contact preference count at the read-back (or when choosing what to change) when the
    words say it is a change ("actually", "instead" …). At the start of the form a
    procedure named in the request ("a kyphoplasty consult") is taken as the reason.
    """
    found: Dict[str, str] = {}
    settings = get_settings().scheduling
    if turn.requested != PHONE:
        phone = find_phone(turn.text, settings.phone_region, settings.phone_regions)
        if phone is not None and phone.e164:
            found[PHONE] = phone.e164
    if turn.requested != NAME:
        name = answers.name_correction(turn.text)
        if name:
            found[NAME] = name
    if turn.requested is None and answers.mentions_procedure(turn.text, turn.procedures):
        found[REASON] = turn.text
    if turn.requested in (CONFIRMED, FIELD) and answers.is_correction(turn.text):
        if mentions_time(turn.text) and read_times(turn.text).error is None:
            found[TIMES] = turn.text
        if answers.mentions_procedure(turn.text, turn.procedures):
            found[REASON] = turn.text
        contact = answers.read_contact(turn.text)
        if answers.mentions_contact_preference(turn.text) and contact.value not in (
                None, answers.DECLINED, answers.BY_PHONE_OR_TEXT):
            found[CONTACT] = turn.text
    return found


def extract(slots: Iterable[str], turn: Turn) -> Dict[str, str]:
    """What the form should take from this message, for each of ``slots`` it answers.

    The corrections are read once per message (they may parse dates); an empty result
    means the form steps aside and another rule handles the message.
    """
    if turn.interrupts:
        return {}
    changes = corrections(turn)
    found: Dict[str, str] = {}
    for slot in slots:
        if turn.requested != slot:
            if slot in changes:
                found[slot] = changes[slot]
        elif slot in (CONFIRMED, FIELD) and changes:
            continue  # the correction is the answer; the summary is read back again
        elif is_answer(slot, turn) or not turn.detour:
            found[slot] = turn.text  # a bad answer too: the validator explains what's wrong
    return found
