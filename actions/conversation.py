"""Facts about the patient's latest message, as the action server sees them."""

from __future__ import annotations

from typing import Optional

from rasa_sdk import Tracker

from clinic.messages import MessageContext, message_id_of


def _latest_user_event_text(tracker: Tracker) -> Optional[str]:
    """The text of the newest stored user event (``None`` when there is none)."""
    for event in reversed(tracker.events or []):
        if event.get("event") == "user":
            return str(event.get("text") or "").strip()
    return None


def last_patient_words(tracker: Tracker) -> str:
    """The newest message the patient typed (skipping button payloads such as ``/deny``)."""
    for event in reversed(tracker.events or []):
        if event.get("event") == "user":
            text = str(event.get("text") or "").strip()
            if text and not text.startswith("/"):
                return text
    return str((tracker.latest_message or {}).get("text") or "")


def latest_user_text(tracker: Tracker) -> str:
    """The patient's own words in the latest message ("" for a button payload like /affirm).

    Read from the stored user event: NLU sees a normalised copy (shorthand expanded), but a
    name or a phone number must be kept exactly as typed.
    """
    text = _latest_user_event_text(tracker)
    if text is None:
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
