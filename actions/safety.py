"""Red-flag alerts: after the patient has been told what to do, tell the staff.

The instruction itself (``utter_urgent_symptom``) is sent by Rasa before this action runs,
so a failure here can never hold it back. This action stores a ``StaffAlert`` row and, in
the same transaction, the outbox rows the notification worker delivers. Every alert carries
its evidence: the words the safety rules matched, or the patient's "yes" to a check-in's
red-flag question. When only the classifier judged a message urgent (no rule matched),
the patient has had the instruction but no alert is raised: staff could not triage it.

With evidence, the conversation also enters the instruction's frame (``safety_frame``):
until the patient taps "I'm safe now" (:class:`ActionEndSafetyFrame`), other messages are
answered by repeating where help is, never by an FAQ answer or new advice
(``data/rules/safety_frame.yml``). On the classifier alone there is no frame: in a blind
patient run both such alarms were false, and the frame then refused every later question.
"""

from __future__ import annotations

import logging
from typing import Any, Dict, List

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.conversation import message_context
from clinic.db import run_in_thread
from clinic.followups.checkin_answers import CHECKIN_EVIDENCE, FLAGGED
from clinic.followups.checkin_answers import RED_FLAG as CHECKIN_RED_FLAG
from clinic.privacy import sender_tag
from clinic.safety.alert_spool import save_alert
from clinic.safety.alerts import LEVEL_ENTITY, LEVELS, guard_level
from clinic.settings import get_settings
from clinic.vocabulary import SAFETY_FRAME_SLOT

logger = logging.getLogger(__name__)


def red_flag_level(tracker: Tracker) -> str:
    """The level the guard set on the latest message (slot as a backup; urgent if unknown)."""
    level = guard_level((tracker.latest_message or {}).get("entities") or [])
    if level is not None:
        return level
    slot = tracker.get_slot(LEVEL_ENTITY)
    return str(slot) if slot in LEVELS else "urgent"


def alert_evidence(tracker: Tracker) -> Dict[str, Any]:
    """What the alert stands on: the rules' matches, or a "yes" in a check-in."""
    red_flag = (tracker.latest_message or {}).get("red_flag") or {}
    if red_flag.get("evidence"):
        return dict(red_flag)
    if tracker.get_slot(CHECKIN_RED_FLAG) == FLAGGED:
        return dict(CHECKIN_EVIDENCE)
    return {}


class ActionRaiseStaffAlert(Action):
    """Store a staff alert for the red flag in the latest message."""

    def name(self) -> str:
        """Action name used in rules and by the channels while a conversation is paused."""
        return "action_raise_staff_alert"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[EventType]:
        """Record the alert: retried, spooled if the database fails (the patient was told)."""
        frame: List[EventType] = [SlotSet(SAFETY_FRAME_SLOT, True)]
        context = message_context(tracker)
        level = red_flag_level(tracker)
        red_flag = alert_evidence(tracker)
        if not red_flag.get("evidence"):
            logger.warning("Urgent instruction given on the classifier alone (no rule matched) "
                           "in conversation %s: no staff alert",
                           sender_tag(context.conversation_id))
            return []  # nor a safety frame: without evidence it may be a false alarm
        alert_id, outcome = await run_in_thread(
            save_alert, get_settings().alert_spool_dir, context, level, red_flag)
        if outcome == "created":
            logger.warning("Staff alert #%d raised: level=%s channel=%s conversation=%s",
                           alert_id, level, context.channel, sender_tag(context.conversation_id))
        return frame


class ActionEndSafetyFrame(Action):
    """The patient says they are safe: answer questions again."""

    def name(self) -> str:
        """Action name used in ``data/rules/safety_frame.yml``."""
        return "action_end_safety_frame"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[EventType]:
        """Leave the frame, saying so (outside it, the same words do no harm)."""
        dispatcher.utter_message(response="utter_safe_now")
        return [SlotSet(SAFETY_FRAME_SLOT, False)]
