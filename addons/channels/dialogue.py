"""One patient turn, shared by every channel: time limit, red flags, hand-off reminders.

- The turn runs with a time limit; on timeout or error the caller answers with the clinic's
  phone (the turn itself still completes and is saved).
- A red flag the dialogue left unanswered gets the safety instruction and the staff alert
  here: e.g. when an active form's validation failed because the action server was down, a
  "yes" to a check-in's red-flag question could not be read there (``checkin_guard``), or
  the conversation is paused (Rasa's ``ConversationPaused``: hand-offs no longer pause,
  but a conversation paused by an earlier release stays so until staff resume it).
- While the patient waits for staff (slot ``handoff_waiting``) the bot answers as usual,
  and every ``REMIND_EVERY``-th message it adds that staff have the message
  (``utter_handoff_waiting``), never after a red-flag instruction.
- A turn that raised (an action server that hung past Rasa's action timeout, say) is not
  saved by Rasa; its patient message is saved anyway (``CachedSQLTrackerStore.salvage``).
- Staff replies posted while the patient was away are found here, so channels that cannot
  push messages (REST) can deliver them with the next answer.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from typing import Any, Awaitable, Callable, Dict, List, Optional, Sequence, Set

from rasa.core.channels.channel import UserMessage
from rasa.shared.core.events import ActionExecuted, BotUttered, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from addons.channels.checkin_guard import checkin_yes
from addons.tracker_store import cached_store, read_tracker
from clinic.privacy import sender_tag
from clinic.vocabulary import (
    HANDOFF_WAITING_SLOT,
    SAFETY_FRAME_SLOT,
    STAFF_REPLY_KEY,
    URGENT_INTENT,
)

logger = logging.getLogger(__name__)

Handler = Callable[[UserMessage], Awaitable[Any]]

INSTRUCTION = "utter_urgent_symptom"
# Run in this order for a red flag the dialogue did not answer (as the rule does otherwise),
# then listen again so the rules see the usual state on the next message.
SAFETY_ACTIONS = (INSTRUCTION, "action_raise_staff_alert", "action_listen")
REMINDER = "utter_handoff_waiting"
REMIND_EVERY = 3  # patient messages between reminders that staff have the hand-off
_REMINDED_BY = ("action_request_handoff", REMINDER)


@dataclass(frozen=True)
class TurnResult:
    """How a turn went: finished in time without error, and whether the bot is paused."""

    ok: bool
    paused: bool


async def read_conversation(agent: Any, sender_id: str) -> Optional[DialogueStateTracker]:
    """The conversation as stored now, without taking it out of the tracker cache."""
    store = getattr(agent, "tracker_store", None)
    return await read_tracker(store, sender_id) if store is not None else None


def bot_messages_since_patient_spoke(
    tracker: Optional[DialogueStateTracker],
) -> List[BotUttered]:
    """The bot messages after the patient's latest message (oldest first)."""
    messages: List[BotUttered] = []
    for event in reversed(tracker.events if tracker is not None else []):
        if isinstance(event, UserUttered):
            break
        if isinstance(event, BotUttered):
            messages.append(event)
    return messages[::-1]


def staff_replies(sender_id: str, messages: List[BotUttered]) -> List[Dict[str, Any]]:
    """The staff replies among ``messages``, as REST-shaped messages."""
    return [{"recipient_id": sender_id, "text": m.text, "custom": {"from_staff": True}}
            for m in messages if (m.metadata or {}).get(STAFF_REPLY_KEY) and m.text]


def red_flag_unanswered(tracker: Optional[DialogueStateTracker]) -> bool:
    """True if no instruction followed the latest message, a red flag in words or a "yes"."""
    if tracker is None or not tracker.latest_message:
        return False
    if tracker.latest_message.intent.get("name") != URGENT_INTENT and not checkin_yes(tracker):
        return False
    for event in reversed(tracker.events):
        if isinstance(event, UserUttered):
            return True
        if isinstance(event, ActionExecuted) and event.action_name == INSTRUCTION:
            return False
    return True


def reminder_due(tracker: Optional[DialogueStateTracker]) -> bool:
    """Whether this turn's answer should say again that staff have the patient's message."""
    if tracker is None or not tracker.get_slot(HANDOFF_WAITING_SLOT):
        return False
    if tracker.get_slot(SAFETY_FRAME_SLOT) or (
            tracker.latest_message and tracker.latest_message.intent.get("name") == URGENT_INTENT):
        return False
    messages = 0
    for event in reversed(tracker.events):
        if isinstance(event, ActionExecuted) and event.action_name in _REMINDED_BY:
            return messages >= REMIND_EVERY
        if isinstance(event, BotUttered) and (event.metadata or {}).get(STAFF_REPLY_KEY):
            return False  # staff are answering: no "they will reply" now
        messages += isinstance(event, UserUttered)
    return False


async def _run_actions(agent: Any, message: UserMessage, actions: Sequence[str]) -> None:
    async with agent.lock_store.lock(message.sender_id):
        for action in actions:
            await agent.execute_action(
                message.sender_id, action, message.output_channel, "RedFlagGuard", 1.0
            )


def _salvage_if_failed(agent: Any, message: UserMessage, turn: asyncio.Future[Any]) -> None:
    """A turn that raised is not saved by Rasa: save the patient's message anyway."""
    if turn.cancelled() or turn.exception() is None:
        return
    store = cached_store(getattr(agent, "tracker_store", None))
    if store is not None:
        salvaging = asyncio.ensure_future(store.salvage(message.sender_id, message.message_id))
        _SALVAGES.add(salvaging)
        salvaging.add_done_callback(_SALVAGES.discard)


_SALVAGES: Set[asyncio.Future[bool]] = set()  # keeps the tasks alive until done


async def run_turn(agent: Any, on_new_message: Handler, message: UserMessage,
                   timeout: float) -> TurnResult:
    """Run the dialogue for one message (see the module docstring)."""
    tag = sender_tag(message.sender_id)
    turn = asyncio.ensure_future(on_new_message(message))
    turn.add_done_callback(lambda done: _salvage_if_failed(agent, message, done))
    try:
        # shield: on timeout the turn still completes and is saved; the patient is not
        # kept waiting for it.
        await asyncio.wait_for(asyncio.shield(turn), timeout=timeout)
    except asyncio.TimeoutError:
        logger.warning("Turn for sender %s exceeded %.1fs", tag, timeout)
        return TurnResult(ok=False, paused=False)
    except Exception as exc:  # noqa: BLE001 - any failure must still answer the patient
        logger.error("Turn for sender %s failed: %s", tag, type(exc).__name__)
        return TurnResult(ok=False, paused=False)
    tracker = await read_conversation(agent, message.sender_id)
    paused = tracker is not None and tracker.is_paused()
    if red_flag_unanswered(tracker):
        logger.warning("Red flag in conversation %s went unanswered (%s): answering it", tag,
                       "paused" if paused else "dialogue did not")
        try:
            await asyncio.wait_for(_run_actions(agent, message, SAFETY_ACTIONS), timeout)
        except Exception as exc:  # noqa: BLE001 - report, and let the caller answer
            logger.error("Red flag for sender %s failed: %s", tag, type(exc).__name__)
            return TurnResult(ok=False, paused=paused)
    elif reminder_due(tracker):
        try:
            await asyncio.wait_for(
                _run_actions(agent, message, (REMINDER, "action_listen")), timeout)
        except Exception as exc:  # noqa: BLE001 - the answer itself was given
            logger.warning("Hand-off reminder for sender %s failed: %s", tag,
                           type(exc).__name__)
    return TurnResult(ok=True, paused=paused)
