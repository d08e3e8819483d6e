"""Hand-off to a person: record the request, say when staff will reply, pause the bot.

While paused, Rasa stores the patient's messages without answering them (red flags are
still answered: see ``addons/channels/dialogue.py``). Staff reply and resume the bot with
``python -m clinic staff`` (or the review console), which use Rasa's HTTP API.
"""

from __future__ import annotations

import logging
from typing import Any, Dict, List, Tuple

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ConversationPaused, EventType
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict
from sqlalchemy.exc import SQLAlchemyError

from actions.conversation import last_patient_words, message_context
from clinic.db import run_in_thread
from clinic.delivery.notifier import handoff_payload
from clinic.delivery.outbox import record_once
from clinic.messages import MessageContext
from clinic.models import HandoffRequest, utcnow
from clinic.privacy import sender_tag
from clinic.settings import get_settings
from clinic.vocabulary import HANDOFF_INTENT

logger = logging.getLogger(__name__)

ASKED_INTENT = HANDOFF_INTENT


def record_handoff(
    context: MessageContext, reason: str, text: str, office_open: bool
) -> Tuple[int, bool]:
    """Store the hand-off request and its notifications once per message."""
    fields = {"reason": reason, "message_text": text, "during_office_hours": office_open,
              "status": "open"}
    return record_once(HandoffRequest, context, "handoff_request", fields, handoff_payload)


class ActionRequestHandoff(Action):
    """Queue the conversation for staff and pause the bot until they resume it."""

    def name(self) -> str:
        """Action name used in rules (request_human and the second fallback)."""
        return "action_request_handoff"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[EventType]:
        """Record the request and pause; if it cannot be recorded, give the phone instead."""
        settings = get_settings()
        context = message_context(tracker)
        reason = "patient_request" if context.intent == ASKED_INTENT else "fallback"
        now = utcnow()
        office_open = settings.office_hours.is_open(now)
        try:
            request_id, _ = await run_in_thread(
                record_handoff, context, reason, last_patient_words(tracker), office_open
            )
        except SQLAlchemyError as exc:
            logger.error("Could not store a hand-off for conversation %s: %s",
                         sender_tag(context.conversation_id), type(exc).__name__)
            dispatcher.utter_message(response="utter_handoff_unavailable")
            return []
        logger.info("Hand-off #%d (%s) queued; conversation %s paused", request_id, reason,
                    sender_tag(context.conversation_id))
        opening = None if office_open else settings.office_hours.next_opening(now)
        values: Dict[str, Any] = {"handoff_reply_minutes": settings.handoff_reply_minutes}
        if opening is not None:
            values.update(next_open_day=opening.strftime("%A"),
                          next_open_time=opening.strftime("%-I:%M %p"))
        dispatcher.utter_message(
            response="utter_handoff_closed" if opening else "utter_handoff_open", **values
        )
        return [ConversationPaused()]
