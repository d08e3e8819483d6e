"""A "yes" to a check-in's red-flag question, recognised by the Rasa server itself.

The check-in form reads its answers on the action server (``validate_checkin_form``). With
that server down or hung, a "yes" to "have you had any of these?" was never read: no
instruction, no staff alert. After every turn the channels ask :func:`checkin_yes` with
the same reader the form uses (``clinic.followups.checkin_answers.read_red_flag``); the safety net
in ``dialogue`` then gives the instruction and ``alert_backup`` records the alert.
"""

from __future__ import annotations

from typing import Optional

from rasa.shared.core.constants import REQUESTED_SLOT
from rasa.shared.core.events import SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from clinic.followups.checkin_answers import FLAGGED, INTERRUPTIONS, RED_FLAG, read_red_flag
from clinic.text import clean

CHECKIN_FORM = "checkin_form"
CHECKIN_OPEN = "checkin_open"  # a check-in waits for an answer (a late SMS reply reopens it)
MAX_ANSWER_CHARS = 500  # as the form reads it


def _latest_user_index(tracker: DialogueStateTracker) -> Optional[int]:
    for index in range(len(tracker.events) - 1, -1, -1):
        if isinstance(tracker.events[index], UserUttered):
            return index
    return None


def checkin_yes(tracker: Optional[DialogueStateTracker]) -> bool:
    """True if the latest message answered the check-in's red-flag question "yes".

    Either the form read it so in this turn (``checkin_red_flag`` set to flagged after the
    message), or the question was still open when the turn ended and the words read "yes".
    """
    index = _latest_user_index(tracker) if tracker is not None else None
    if tracker is None or index is None:
        return False
    if any(isinstance(event, SlotSet) and event.key == RED_FLAG and event.value == FLAGGED
           for event in list(tracker.events)[index + 1:]):
        return True
    if tracker.get_slot(REQUESTED_SLOT) != RED_FLAG:
        return False
    if tracker.active_loop_name != CHECKIN_FORM and tracker.get_slot(CHECKIN_OPEN) is not True:
        return False
    message = tracker.events[index]
    assert isinstance(message, UserUttered)
    intent = str((message.intent or {}).get("name") or "")
    if intent in INTERRUPTIONS:  # a red flag in words, or the check-in's own trigger
        return False
    text = str(message.text or "").strip()
    text = "" if text.startswith("/") else clean(text)[:MAX_ANSWER_CHARS]
    return read_red_flag(text, intent).value == FLAGGED
