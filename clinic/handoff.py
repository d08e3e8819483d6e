"""Hand-off requests: record one per patient message, withdraw them, word the office hours.

The bot never pauses for a hand-off: it keeps answering while the patient waits for staff
(the ``handoff_waiting`` slot), staff reply into the same conversation, and the patient may
withdraw the request ("Back to the assistant").
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Dict, Optional, Tuple

from sqlalchemy import select

from clinic.db import session_scope
from clinic.delivery.notifier import handoff_payload
from clinic.delivery.outbox import record_once
from clinic.messages import MessageContext
from clinic.models import HandoffRequest, utcnow
from clinic.settings import Settings

WAITING = ("open", "answered")  # requests staff have not closed


def record_handoff(
    context: MessageContext, reason: str, text: str, office_open: bool
) -> Tuple[int, bool]:
    """Store the hand-off request and its notifications once per message."""
    fields = {"reason": reason, "message_text": text, "during_office_hours": office_open,
              "status": "open"}
    return record_once(HandoffRequest, context, "handoff_request", fields, handoff_payload)


def withdraw(conversation_id: str) -> int:
    """Close the conversation's hand-offs still waiting for staff; how many were closed."""
    with session_scope() as session:
        rows = session.execute(
            select(HandoffRequest).where(HandoffRequest.conversation_id == conversation_id,
                                         HandoffRequest.status.in_(WAITING))).scalars().all()
        for row in rows:
            row.status, row.closed_at, row.staff_name = "closed", utcnow(), "(patient)"
        return len(rows)


def office_wording(settings: Settings, now: datetime) -> Tuple[bool, Dict[str, Any]]:
    """Whether the office is open now, and the values the hand-off responses fill in."""
    opening: Optional[datetime] = None
    if not settings.office_hours.is_open(now):
        opening = settings.office_hours.next_opening(now)
    values: Dict[str, Any] = {"handoff_reply_minutes": settings.handoff_reply_minutes}
    if opening is not None:
        values.update(next_open_day=opening.strftime("%A"),
                      next_open_time=opening.strftime("%-I:%M %p"))
    return opening is None, values
