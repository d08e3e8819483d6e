"""Facts about the patient's latest message, as the action server sees them."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any, Dict
from urllib.parse import quote

from rasa_sdk import Tracker

# Rasa's HTTP API does not decode percent-escapes in /conversations/<id>/...: "%2B1312..."
# would be another conversation than "+1312...". Sender ids only use A-Z a-z 0-9 _ . : @ + -
# (the REST channel checks), and these may stand as they are in a URL path.
_PATH_SAFE = "+:@"


@dataclass(frozen=True)
class MessageContext:
    """Where a message came from and what it said."""

    conversation_id: str
    channel: str
    message_id: str
    text: str
    intent: str


def conversation_path(conversation_id: str) -> str:
    """The conversation id as it must appear in Rasa's ``/conversations/<id>/`` URLs."""
    return quote(conversation_id, safe=_PATH_SAFE)


def message_id_of(latest: Dict[str, Any], conversation_id: str) -> str:
    """The message's id (Rasa's), else a stable digest of the conversation and the text."""
    message_id = latest.get("message_id")
    if message_id:
        return str(message_id)[:64]
    seed = f"{conversation_id}\n{latest.get('text') or ''}"
    return hashlib.sha256(seed.encode("utf-8")).hexdigest()[:32]


def last_patient_words(tracker: Tracker) -> str:
    """The newest message the patient typed (skipping button payloads such as ``/deny``)."""
    for event in reversed(tracker.events or []):
        if event.get("event") == "user":
            text = (event.get("text") or "").strip()
            if text and not text.startswith("/"):
                return text
    return str((tracker.latest_message or {}).get("text") or "")


def latest_user_text(tracker: Tracker) -> str:
    """The patient's own words in the latest message ("" for a button payload like /affirm).

    Read from the stored user event: NLU sees a normalised copy (shorthand expanded), but a
    name or a phone number must be kept exactly as typed.
    """
    for event in reversed(tracker.events or []):
        if event.get("event") == "user":
            text = str(event.get("text") or "").strip()
            return "" if text.startswith("/") else text
    text = str((tracker.latest_message or {}).get("text") or "").strip()
    return "" if text.startswith("/") else text


def message_context(tracker: Tracker) -> MessageContext:
    """The latest user message with its conversation, channel and message id."""
    latest = tracker.latest_message or {}
    return MessageContext(
        conversation_id=tracker.sender_id,
        channel=tracker.get_latest_input_channel() or "unknown",
        message_id=message_id_of(latest, tracker.sender_id),
        text=str(latest.get("text") or ""),
        intent=str((latest.get("intent") or {}).get("name") or ""),
    )
