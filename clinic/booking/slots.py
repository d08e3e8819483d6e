"""Names of the booking form's slots, and which of them a reset clears.

Shared by the form's validation action, the scheduling actions and the booking turn.
"""

from __future__ import annotations

from typing import Dict, Tuple

FORM = "appointment_form"

NAME = "appointment_name"
PHONE = "appointment_phone"  # E.164
PHONE_DISPLAY = "appointment_phone_display"  # national format, for the read-back
TIMES = "appointment_times"  # the patient's words
DATES = "appointment_dates"  # ISO dates read from them
REASON = "appointment_reason"  # kyphoplasty | vertebroplasty | not sure
CONTACT = "appointment_contact"  # phone | text | phone or text
CONFIRMED = "appointment_confirmed"  # True: send it; False: the patient wants a change
FIELD = "appointment_field"  # which answer to change
FAILURES = "appointment_failures"  # failed answers to the current question, in a row
OUTCOME = "appointment_outcome"  # set when the form ends without a request (see below)

DECLINED_CONTACT = "declined_contact"  # the patient does not want to be called or texted

ANSWERS: Tuple[str, ...] = (NAME, PHONE, TIMES, REASON, CONTACT)
# The slots one "change ..." choice clears (an answer and what was derived from it).
FIELD_SLOTS: Dict[str, Tuple[str, ...]] = {
    "name": (NAME,),
    "phone": (PHONE, PHONE_DISPLAY),
    "times": (TIMES, DATES),
    "reason": (REASON,),
    "contact": (CONTACT,),
}
ANSWER_SLOTS: Tuple[str, ...] = tuple(s for slots in FIELD_SLOTS.values() for s in slots)
CONTROL_SLOTS: Tuple[str, ...] = (CONFIRMED, FIELD, FAILURES, OUTCOME)


def reset_slots(keep_answers: bool = False) -> Tuple[str, ...]:
    """The slots a reset clears; with ``keep_answers`` a later try starts where this one was."""
    return CONTROL_SLOTS if keep_answers else CONTROL_SLOTS + ANSWER_SLOTS
