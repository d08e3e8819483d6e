"""What one stored Rasa event says: patient messages out of the ``events`` table's JSON.

The table (``clinic.review.rasa_events.EVENTS``) belongs to Rasa's SQL tracker store; the
project only reads it, without importing Rasa.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Dict, Optional

from clinic.models import utcnow
from clinic.review.rasa_events import EVENTS, event_data

__all__ = ["EVENTS", "load", "patient_message", "when"]
load = event_data  # the event's JSON as a dict ({} if unreadable)

FAQ_INTENT = "faq"
FALLBACK_INTENT = "nlu_fallback"
# The first action after a message that shows the bot did not understand it: stage one of
# the project's two-stage fallback (data/rules/fallback.yml) and Rasa's core fallback.
FALLBACK_ACTIONS = frozenset({"action_suggest_topics", "action_default_fallback",
                              "action_two_stage_fallback"})
EXTERNAL_PREFIX = "EXTERNAL: "  # intents triggered by the system (check-ins), not typed
CHANNEL_CHARS = 32


@dataclass(frozen=True)
class PatientMessage:
    """What the assistant understood of one patient message (a ``user`` event)."""

    text: str
    channel: str
    intent: Optional[str]
    confidence: Optional[float]  # for nlu_fallback: the best real intent's confidence
    faq_key: Optional[str]  # faq/<key>, only when the intent is faq
    faq_confidence: Optional[float]
    fallback: bool  # intent nlu_fallback (the next action may also make it one)
    message_id: str
    guess: Optional[str]  # for nlu_fallback: the intent it would have been

    @property
    def lowest_confidence(self) -> Optional[float]:
        """The lower of the intent and FAQ-answer confidences (None if neither is known)."""
        values = [v for v in (self.confidence, self.faq_confidence) if v is not None]
        return min(values) if values else None


def when(timestamp: Optional[float]) -> datetime:
    """A Rasa event timestamp (Unix seconds) as naive UTC."""
    if timestamp is None:
        return utcnow()
    return datetime.fromtimestamp(float(timestamp), timezone.utc).replace(tzinfo=None)


def _number(value: Any) -> Optional[float]:
    try:
        return None if value is None else float(value)
    except (TypeError, ValueError):
        return None


def patient_message(event: Dict[str, Any]) -> Optional[PatientMessage]:
    """The patient message in a ``user`` event (None for system-triggered intents)."""
    parse = event.get("parse_data") or {}
    text = str(event.get("text") or "")
    intent_data = parse.get("intent") or {}
    intent = intent_data.get("name")
    if text.startswith(EXTERNAL_PREFIX) or str(intent or "").startswith("EXTERNAL_") or (
        (event.get("metadata") or {}).get("is_external")
    ):
        return None
    confidence = _number(intent_data.get("confidence"))
    guess = None
    if intent == FALLBACK_INTENT:
        best = next((r for r in parse.get("intent_ranking") or ()
                     if isinstance(r, dict) and r.get("name") != FALLBACK_INTENT), None)
        if best:
            guess, confidence = best.get("name"), _number(best.get("confidence"))
    faq_key = faq_confidence = None
    if intent == FAQ_INTENT:
        answer = ((parse.get("response_selector") or {}).get(FAQ_INTENT) or {}).get(
            "response") or {}
        faq_key = answer.get("intent_response_key") or None
        faq_confidence = _number(answer.get("confidence")) if faq_key else None
    return PatientMessage(
        text=text,
        channel=str(event.get("input_channel") or "")[:CHANNEL_CHARS],
        intent=str(intent)[:96] if intent else None,
        confidence=confidence,
        faq_key=str(faq_key)[:96] if faq_key else None,
        faq_confidence=faq_confidence,
        fallback=intent == FALLBACK_INTENT,
        message_id=str(event.get("message_id") or parse.get("message_id") or ""),
        guess=str(guess) if guess else None,
    )
