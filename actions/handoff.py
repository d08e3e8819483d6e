"""Hand-off to a person: offer it, record it, say when staff will reply; withdraw it.

The bot never pauses for a hand-off. While the patient waits (slot ``handoff_waiting``) it
keeps answering questions and red flags, reminds the patient now and then that staff have
the message (``addons/channels/dialogue.py``), and offers "Back to the assistant". Staff
reply into the same conversation and hand it back with ``python -m clinic staff`` or the
review console, which use Rasa's HTTP API.
"""

from __future__ import annotations

import logging
from typing import List, Optional

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict
from sqlalchemy.exc import SQLAlchemyError

from actions.conversation import last_patient_words, message_context
from clinic import handoff
from clinic.db import run_in_thread
from clinic.models import utcnow
from clinic.privacy import sender_tag
from clinic.settings import get_settings
from clinic.vocabulary import HANDOFF_INTENT, HANDOFF_WAITING_SLOT

logger = logging.getLogger(__name__)

OFFER_ACTION = "action_offer_handoff"


def action_before_patient_spoke(tracker: Tracker) -> Optional[str]:
    """The last action the bot ran before the patient's latest message."""
    seen_user = False
    for event in reversed(tracker.events or []):
        if event.get("event") == "user":
            seen_user = True
        elif seen_user and event.get("event") == "action" and event.get("name") not in (
                "action_listen", None):
            return str(event["name"])
    return None


class ActionOfferHandoff(Action):
    """Still not understood: offer a person as a choice, with the office-hours wording."""

    def name(self) -> str:
        """Action name used in ``data/rules/fallback.yml``."""
        return OFFER_ACTION

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[EventType]:
        """Say when staff would answer; the buttons hand over or let the patient rephrase."""
        is_open, values = handoff.office_wording(get_settings(), utcnow())
        dispatcher.utter_message(
            response="utter_offer_handoff_open" if is_open else "utter_offer_handoff_closed",
            **values)
        return []


class ActionRequestHandoff(Action):
    """Queue the conversation for staff; the bot goes on answering meanwhile."""

    def name(self) -> str:
        """Action name used in rules (request_human)."""
        return "action_request_handoff"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[EventType]:
        """Record the request; if it cannot be recorded, give the phone instead."""
        context = message_context(tracker)
        offered = action_before_patient_spoke(tracker) == OFFER_ACTION
        reason = "patient_request" if context.intent == HANDOFF_INTENT and not offered \
            else "fallback"
        is_open, values = handoff.office_wording(get_settings(), utcnow())
        try:
            request_id, _ = await run_in_thread(
                handoff.record_handoff, context, reason, last_patient_words(tracker), is_open)
        except SQLAlchemyError as exc:
            logger.error("Could not store a hand-off for conversation %s: %s",
                         sender_tag(context.conversation_id), type(exc).__name__)
            dispatcher.utter_message(response="utter_handoff_unavailable")
            return []
        logger.info("Hand-off #%d (%s) queued for conversation %s", request_id, reason,
                    sender_tag(context.conversation_id))
        dispatcher.utter_message(
            response="utter_handoff_open" if is_open else "utter_handoff_closed", **values)
        return [SlotSet(HANDOFF_WAITING_SLOT, True)]


class ActionWithdrawHandoff(Action):
    """"Back to the assistant": the patient no longer waits for staff."""

    def name(self) -> str:
        """Action name used in ``data/rules/core.yml``."""
        return "action_withdraw_handoff"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[EventType]:
        """Close the waiting requests (staff see it) and say the assistant is answering."""
        try:
            closed = await run_in_thread(handoff.withdraw, tracker.sender_id)
        except SQLAlchemyError as exc:
            logger.error("Could not withdraw the hand-off of conversation %s: %s",
                         sender_tag(tracker.sender_id), type(exc).__name__)
            closed = 0
        logger.info("Conversation %s withdrew %d hand-off(s)", sender_tag(tracker.sender_id),
                    closed)
        dispatcher.utter_message(response="utter_handoff_withdrawn")
        return [SlotSet(HANDOFF_WAITING_SLOT, False)]
