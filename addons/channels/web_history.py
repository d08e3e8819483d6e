"""The messages of a stored conversation, as the website widget shows them after a reload.

User messages that were button clicks show the button's title (what the patient saw), not
its payload; only the newest bot message keeps its buttons, and only if the patient has not
answered it yet. Staff replies keep their ``from_staff`` mark.
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional

from rasa.shared.core.events import BotUttered, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from clinic.vocabulary import STAFF_REPLY_KEY

MAX_REPLAYED = 200  # newest messages sent to the widget on reconnect

Message = Dict[str, Any]


def _buttons(event: BotUttered) -> List[Dict[str, Any]]:
    raw = (event.data or {}).get("buttons") or []
    return [{"title": str(b.get("title", "")), "payload": str(b.get("payload", ""))}
            for b in raw if isinstance(b, dict) and b.get("title") and b.get("payload")]


def bot_message(text: str, buttons: List[Dict[str, Any]], from_staff: bool) -> Message:
    """One bot message in the widget's shape."""
    message: Message = {"sender": "bot", "text": text}
    if buttons:
        message["buttons"] = buttons
    if from_staff:
        message["custom"] = {"from_staff": True}
    return message


def replay(tracker: Optional[DialogueStateTracker]) -> List[Message]:
    """User and bot messages in order (newest ``MAX_REPLAYED``); see the module docstring."""
    messages: List[Message] = []
    offered: Dict[str, str] = {}  # payload -> title of buttons since the patient last spoke
    for event in tracker.events if tracker is not None else []:
        if isinstance(event, UserUttered) and event.text:
            messages.append({"sender": "user", "text": offered.get(event.text, event.text)})
            offered = {}
        elif isinstance(event, BotUttered) and event.text:
            buttons = _buttons(event)
            offered.update({b["payload"]: b["title"] for b in buttons})
            staff = bool((event.metadata or {}).get(STAFF_REPLY_KEY))
            messages.append(bot_message(event.text, buttons, staff))
    for message in messages[:-1]:
        message.pop("buttons", None)
    return messages[-MAX_REPLAYED:]
