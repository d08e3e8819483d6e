"""The staff alert for a red flag, made sure of by the Rasa server, whatever the actions did.

The instruction (911, the urgent line, the crisis line) reaches the patient before the alert
action runs, so a hung, stopped or failing action server used to leave a patient told to
call 911 with no alert in the staff queue. After every turn that gave a red-flag
instruction on the rules' evidence, or followed a check-in's "yes" to its red-flag question,
the channel records the alert itself, from the same
evidence the action uses, through the same once-per-message store (when the action stored
it, this finds that row: no duplicate) and, if the database fails too, the spool.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any, Dict, Optional, Set

from rasa.shared.core.events import UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from addons.channels.checkin_guard import checkin_yes
from clinic.followups.checkin_answers import CHECKIN_EVIDENCE
from clinic.messages import MessageContext, message_id_of
from clinic.privacy import sender_tag
from clinic.safety.alert_spool import save_alert
from clinic.safety.alerts import LEVELS, guard_level
from clinic.settings import Settings
from clinic.vocabulary import URGENT_INTENT

logger = logging.getLogger(__name__)


def latest_message(tracker: Optional[DialogueStateTracker]) -> Optional[UserUttered]:
    """The newest patient message of a conversation."""
    for event in reversed(tracker.events if tracker is not None else []):
        if isinstance(event, UserUttered):
            return event
    return None


def alert_for(tracker: DialogueStateTracker, message: UserUttered) -> Optional[Dict[str, Any]]:
    """The level and evidence of the red flag in ``message``, the latest one (None if none).

    The rules' evidence for a red flag in words, or a check-in's "yes" (urgent, as the
    alert action files it: the instruction covers every red flag).
    """
    data = message.parse_data or {}
    if (data.get("intent") or {}).get("name") != URGENT_INTENT:  # no instruction was given
        return ({"level": "urgent", "red_flag": dict(CHECKIN_EVIDENCE)}
                if checkin_yes(tracker) else None)
    red_flag = dict(data.get("red_flag") or {})  # type: ignore[call-overload]
    if not red_flag.get("evidence"):
        return None
    level = guard_level(data.get("entities") or []) or red_flag.get("level")
    return {"level": level if level in LEVELS else "urgent", "red_flag": red_flag}


async def record_missed_alert(tracker: Optional[DialogueStateTracker], channel: str,
                              settings: Settings) -> Optional[str]:
    """After a turn: make sure of the alert its red flag called for; the outcome, or None."""
    message = latest_message(tracker)
    found = alert_for(tracker, message) if message is not None and tracker is not None else None
    if found is None or message is None or tracker is None:
        return None
    context = MessageContext(
        conversation_id=tracker.sender_id, channel=channel,
        # the id the alert action computes from the same parse data: one alert per message
        message_id=message_id_of(dict(message.parse_data or {}), tracker.sender_id),
        text=str(message.text or ""), intent=str((message.intent or {}).get("name") or ""))
    _, outcome = await asyncio.to_thread(save_alert, settings.alert_spool_dir, context,
                                         found["level"], found["red_flag"])
    if outcome == "created":
        logger.warning("Staff alert raised by the channel (the alert action did not): level=%s "
                       "conversation=%s", found["level"], sender_tag(tracker.sender_id))
    return outcome


_pending: Set[asyncio.Task[Optional[str]]] = set()  # keeps running tasks referenced


def ensure_alert(tracker: Optional[DialogueStateTracker], channel: str,
                 settings: Settings) -> None:
    """Start :func:`record_missed_alert` in the background when the turn gave an instruction."""
    message = latest_message(tracker)
    if tracker is None or message is None or alert_for(tracker, message) is None:
        return
    task = asyncio.get_running_loop().create_task(
        record_missed_alert(tracker, channel, settings))
    _pending.add(task)
    task.add_done_callback(_pending.discard)
