"""The messages of a stored conversation, as the website widget shows them after a reload.

User messages that were button clicks show the button's title (what the patient saw), not
its payload; only the newest bot message keeps its buttons, and only if the patient has not
answered it yet. Staff replies keep their ``from_staff`` mark, emergency instructions their
``emergency`` mark (the widget shows them apart and announces them at once).
"""

from __future__ import annotations

from typing import Any, Dict, Iterable, List, Optional, Set, Tuple

from rasa.shared.core.events import BotUttered, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from clinic.vocabulary import STAFF_REPLY_KEY

MAX_REPLAYED = 200  # newest messages sent to the widget on reconnect
# Responses that tell the patient what to do in an emergency (Rasa keeps the response's
# name in the bot event's metadata as ``utter_action``)
EMERGENCY_RESPONSES = frozenset({"utter_urgent_symptom", "utter_safety_frame"})

Message = Dict[str, Any]


def _buttons(event: BotUttered) -> List[Dict[str, Any]]:
    raw = (event.data or {}).get("buttons") or []
    return [{"title": str(b.get("title", "")), "payload": str(b.get("payload", ""))}
            for b in raw if isinstance(b, dict) and b.get("title") and b.get("payload")]


def is_emergency(metadata: Optional[Dict[str, Any]]) -> bool:
    """Whether a bot message with this metadata is an emergency instruction."""
    return (metadata or {}).get("utter_action") in EMERGENCY_RESPONSES


def emergency_texts(events: Iterable[Any]) -> Set[str]:
    """The texts of the emergency instructions among ``events`` (bot events)."""
    return {e.text for e in events
            if isinstance(e, BotUttered) and e.text and is_emergency(e.metadata)}


def bot_message(text: str, buttons: List[Dict[str, Any]], from_staff: bool,
                emergency: bool = False) -> Message:
    """One bot message in the widget's shape."""
    message: Message = {"sender": "bot", "text": text}
    if buttons:
        message["buttons"] = buttons
    custom = {name: True for name, on in (("from_staff", from_staff),
                                          ("emergency", emergency)) if on}
    if custom:
        message["custom"] = custom
    return message


def replay_with_times(
    tracker: Optional[DialogueStateTracker],
) -> Tuple[List[Message], List[float]]:
    """:func:`replay`, and when each message was said (Unix time, same order)."""
    messages: List[Message] = []
    times: List[float] = []
    offered: Dict[str, str] = {}  # payload -> title of buttons since the patient last spoke
    for event in tracker.events if tracker is not None else []:
        if isinstance(event, UserUttered) and event.text:
            messages.append({"sender": "user", "text": offered.get(event.text, event.text)})
            offered = {}
        elif isinstance(event, BotUttered) and event.text:
            buttons = _buttons(event)
            offered.update({b["payload"]: b["title"] for b in buttons})
            staff = bool((event.metadata or {}).get(STAFF_REPLY_KEY))
            messages.append(bot_message(event.text, buttons, staff,
                                        is_emergency(event.metadata)))
        else:
            continue
        times.append(float(event.timestamp))
    for message in messages[:-1]:
        message.pop("buttons", None)
    return messages[-MAX_REPLAYED:], times[-MAX_REPLAYED:]


def replay(tracker: Optional[DialogueStateTracker]) -> List[Message]:
    """User and bot messages in order (newest ``MAX_REPLAYED``); see the module docstring."""
    return replay_with_times(tracker)[0]
