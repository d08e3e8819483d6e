"""The booking form's validation action (``validate_appointment_form``).

Rasa's form asks the questions (``utter_ask_<slot>`` in ``data/responses/scheduling.yml``);
this action decides what each message fills (``get_extraction_events``, see
``clinic.booking.turn``) and checks it (``validate_<slot>``). An answer that can't be
used gets a re-ask that says why; after three in a row the form ends and the patient is
offered the clinic's phone (``action_finish_appointment``).
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any, Dict, List, Optional

from rasa_sdk import Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.forms import REQUESTED_SLOT, FormValidationAction
from rasa_sdk.types import DomainDict

from actions.conversation import latest_user_text
from actions.form_failures import count_failure
from clinic.booking import form_answers as answers
from clinic.booking.slots import (
    ANSWERS,
    CONFIRMED,
    CONTACT,
    DATES,
    DECLINED_CONTACT,
    FAILURES,
    FIELD,
    FIELD_SLOTS,
    FORM,
    NAME,
    OUTCOME,
    PHONE,
    PHONE_DISPLAY,
    REASON,
    TIMES,
)
from clinic.booking.turn import Turn, extract, read_name, read_phone, read_times
from clinic.settings import get_settings

Slots = Dict[str, Any]


def turn_of(tracker: Tracker) -> Turn:
    """The booking turn of the tracker's latest message (the patient's own words)."""
    return Turn.of(latest_user_text(tracker), tracker.latest_message or {},
                   tracker.get_slot(REQUESTED_SLOT), tracker.get_latest_input_channel() or "",
                   tracker.sender_id)


def accepted(tracker: Tracker, slot: str, values: Slots) -> Slots:
    """Slot values for a good answer.

    The failure count restarts; a correction of an earlier answer leads back to the read-back.
    """
    if tracker.get_slot(REQUESTED_SLOT) == slot:
        return {**values, FAILURES: 0}
    return {**values, CONFIRMED: None, FIELD: None}


def rejected(dispatcher: CollectingDispatcher, tracker: Tracker, slot: str,
             response: str) -> Slots:
    """Say what is wrong and ask again; the third failure in a row ends the form."""
    if tracker.get_slot(REQUESTED_SLOT) != slot:
        return {slot: None}  # never keep a half-understood correction: ask for it again
    return count_failure(dispatcher, tracker, slot, response, FAILURES, OUTCOME)


class ValidateAppointmentForm(FormValidationAction):
    """Extract and check the booking form's answers; handle changes and corrections."""

    def name(self) -> str:
        """The form's validation action."""
        return f"validate_{FORM}"

    async def required_slots(
        self, domain_slots: List[str], dispatcher: CollectingDispatcher, tracker: Tracker,
        domain: DomainDict,
    ) -> List[str]:
        """The questions still to ask; none once the form has an outcome."""
        if tracker.get_slot(OUTCOME):
            return []
        slots = list(ANSWERS)
        if tracker.get_slot(CONFIRMED) is False:
            slots.append(FIELD)
        return slots + [CONFIRMED]

    async def get_extraction_events(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[EventType]:
        """Which of the open questions this message answers (``clinic.booking.turn``).

        One pass over the message for every slot, instead of rasa-sdk's ``extract_<slot>``
        method per slot (each would re-read the same corrections).
        """
        slots = await self.required_slots(self.domain_slots(domain), dispatcher, tracker,
                                          domain)
        found = extract(slots, turn_of(tracker))
        tracker.slots.update(found)
        return [SlotSet(slot, value) for slot, value in found.items()]

    # --- validation: tidy good answers, explain bad ones ---

    def validate_appointment_name(self, value: Any, dispatcher: CollectingDispatcher,
                                  tracker: Tracker, domain: DomainDict) -> Slots:
        """Letters, at least first and last name; tidied capitals."""
        answer = read_name(str(value or ""))
        if answer.value is None:
            return rejected(dispatcher, tracker, NAME, f"utter_invalid_name_{answer.error}")
        return accepted(tracker, NAME, {NAME: answer.value})

    def validate_appointment_phone(self, value: Any, dispatcher: CollectingDispatcher,
                                   tracker: Tracker, domain: DomainDict) -> Slots:
        """A callable number in the clinic's regions, stored as E.164."""
        result = read_phone(replace(turn_of(tracker), text=str(value or "")),
                            get_settings().scheduling)
        if result.e164 is None:
            return rejected(dispatcher, tracker, PHONE, f"utter_invalid_phone_{result.error}")
        return accepted(tracker, PHONE, {PHONE: result.e164, PHONE_DISPLAY: result.display})

    def validate_appointment_times(self, value: Any, dispatcher: CollectingDispatcher,
                                   tracker: Tracker, domain: DomainDict) -> Slots:
        """Free text kept as typed, with the dates read from it; no dates in the past."""
        times = read_times(str(value or ""))
        if times.error is not None:
            return rejected(dispatcher, tracker, TIMES, f"utter_invalid_times_{times.error}")
        return accepted(tracker, TIMES, {TIMES: times.text, DATES: times.dates})

    def validate_appointment_reason(self, value: Any, dispatcher: CollectingDispatcher,
                                    tracker: Tracker, domain: DomainDict) -> Slots:
        """Kyphoplasty, vertebroplasty or not sure."""
        answer = answers.read_procedure(str(value or ""), turn_of(tracker).procedures)
        if answer.value is None:
            return rejected(dispatcher, tracker, REASON, "utter_invalid_reason")
        return accepted(tracker, REASON, {REASON: answer.value})

    def validate_appointment_contact(self, value: Any, dispatcher: CollectingDispatcher,
                                     tracker: Tracker, domain: DomainDict) -> Slots:
        """Phone, text or either; "no" ends the form (nobody could get back to them)."""
        answer = answers.read_contact(str(value or ""), turn_of(tracker).intent)
        if answer.value == answers.DECLINED:
            return {CONTACT: None, OUTCOME: DECLINED_CONTACT}
        if answer.value is None:
            return rejected(dispatcher, tracker, CONTACT, "utter_invalid_contact")
        return accepted(tracker, CONTACT, {CONTACT: answer.value})

    def validate_appointment_confirmed(self, value: Any, dispatcher: CollectingDispatcher,
                                       tracker: Tracker, domain: DomainDict) -> Slots:
        """Yes sends the request; a change asks which answer (or goes straight to it)."""
        text = str(value or "")
        answer = answers.read_confirmation(text, turn_of(tracker).intent)
        if answer.value == answers.YES:
            return {CONFIRMED: True, FAILURES: 0}
        if answer.value == answers.CHANGE:
            field = answers.read_field(text).value
            return clear_field(field) if field else {CONFIRMED: False, FAILURES: 0}
        return rejected(dispatcher, tracker, CONFIRMED, "utter_invalid_confirmation")

    def validate_appointment_field(self, value: Any, dispatcher: CollectingDispatcher,
                                   tracker: Tracker, domain: DomainDict) -> Slots:
        """Clear the chosen answer so the form asks it again."""
        field = answers.read_field(str(value or "")).value
        if field is None:
            return rejected(dispatcher, tracker, FIELD, "utter_invalid_field")
        return clear_field(field)


def clear_field(field: Optional[str]) -> Slots:
    """Forget one answer (and what was derived from it) so the form asks it again."""
    cleared: Slots = {slot: None for slot in FIELD_SLOTS.get(field or "", ())}
    return {**cleared, FIELD: None, CONFIRMED: None, FAILURES: 0}
