"""Ending the booking form: send the confirmed request, or say why nothing was sent.

``action_finish_appointment`` runs when the form is done (rule in
``data/rules/scheduling.yml``); ``action_cancel_appointment`` when the patient cancels.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any, Dict, List, Optional

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict
from sqlalchemy.exc import SQLAlchemyError

from actions.form_failures import GAVE_UP, cleared
from clinic.booking.appointments import AppointmentDetails, store_request
from clinic.booking.form_answers import BY_PHONE_OR_TEXT, NOT_SURE
from clinic.booking.slots import (
    CONFIRMED,
    CONTACT,
    DATES,
    DECLINED_CONTACT,
    NAME,
    OUTCOME,
    PHONE,
    PHONE_DISPLAY,
    REASON,
    TIMES,
    reset_slots,
)
from clinic.db import run_in_thread
from clinic.models import utcnow
from clinic.privacy import sender_tag
from clinic.settings import get_settings

logger = logging.getLogger(__name__)


def details_from(tracker: Tracker) -> AppointmentDetails:
    """The confirmed answers of the form."""
    return AppointmentDetails(
        conversation_id=tracker.sender_id,
        channel=tracker.get_latest_input_channel() or "unknown",
        patient_name=str(tracker.get_slot(NAME) or ""),
        phone=str(tracker.get_slot(PHONE) or ""),
        preferred_times=str(tracker.get_slot(TIMES) or ""),
        preferred_dates=[str(d) for d in tracker.get_slot(DATES) or []],
        reason=str(tracker.get_slot(REASON) or NOT_SURE),
        contact=str(tracker.get_slot(CONTACT) or BY_PHONE_OR_TEXT),
    )


def next_steps(tracker: Tracker, reference: str,
               now: Optional[datetime] = None) -> Dict[str, Any]:
    """Values for the confirmation: reference, who gets back, how and when."""
    settings = get_settings()
    values: Dict[str, Any] = {
        "appointment_reference": reference,
        "reply_within": settings.scheduling.reply_within,
        "appointment_contact": tracker.get_slot(CONTACT) or BY_PHONE_OR_TEXT,
        "appointment_phone_display": tracker.get_slot(PHONE_DISPLAY) or tracker.get_slot(PHONE),
    }
    now = now or utcnow()
    if not settings.office_hours.is_open(now):
        opening = settings.office_hours.next_opening(now)
        if opening is not None:
            values.update(next_open_day=opening.strftime("%A"),
                          next_open_time=opening.strftime("%-I:%M %p"))
    return values


class ActionFinishAppointment(Action):
    """Store and hand off a confirmed request; otherwise explain and offer the phone."""

    def name(self) -> str:
        """Runs when the booking form ends."""
        return "action_finish_appointment"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[EventType]:
        """Send the request, or handle the form's other outcomes."""
        outcome = tracker.get_slot(OUTCOME)
        if outcome == GAVE_UP:
            dispatcher.utter_message(response="utter_appointment_gave_up")
            return cleared(reset_slots(keep_answers=True))
        if outcome == DECLINED_CONTACT:
            dispatcher.utter_message(response="utter_appointment_declined_contact")
            return cleared(reset_slots())
        if tracker.get_slot(CONFIRMED) is not True:
            dispatcher.utter_message(response="utter_appointment_cancelled")
            return cleared(reset_slots())
        tag = sender_tag(tracker.sender_id)
        try:
            stored = await run_in_thread(store_request, details_from(tracker))
        except (SQLAlchemyError, RuntimeError) as exc:
            logger.error("Could not store an appointment request for conversation %s: %s",
                         tag, type(exc).__name__)
            dispatcher.utter_message(response="utter_appointment_unavailable")
            return [SlotSet(CONFIRMED, None)]  # answers kept: asking again needs no retyping
        logger.info("Appointment request #%d %s for conversation %s (adapter=%s)", stored.id,
                    "stored" if stored.created else "already stored", tag,
                    get_settings().scheduling.adapter)
        values = next_steps(tracker, stored.reference)
        if not stored.created:
            response = "utter_appointment_already_received"
        elif "next_open_day" in values:
            response = "utter_appointment_submitted_closed"
        else:
            response = "utter_appointment_submitted"
        dispatcher.utter_message(response=response, **values)
        return cleared(reset_slots())


class ActionCancelAppointment(Action):
    """The patient cancelled the booking form: forget the answers, confirm nothing was sent."""

    def name(self) -> str:
        """Runs after the form is deactivated by "cancel" / "never mind"."""
        return "action_cancel_appointment"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[EventType]:
        """Confirm the cancellation and clear the form."""
        dispatcher.utter_message(response="utter_appointment_cancelled")
        return cleared(reset_slots())
