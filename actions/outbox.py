"""The notification outbox: enqueue with the row it reports, claim, record the result.

Rows are written in the same transaction as the alert or hand-off they describe, so a
notification exists exactly when its record does. ``actions.worker`` delivers them.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Callable, Dict, Iterable, List, Optional, Tuple

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from actions.config import NotifySettings, get_settings
from actions.conversation import MessageContext
from actions.db import session_scope
from actions.models import AppointmentRequest, OutboxMessage, utcnow

# A claimed row becomes due again after this long if its worker died while delivering.
CLAIM_LEASE = timedelta(minutes=2)
APPOINTMENT_KIND = "appointment_request"
SCHEDULING_TARGET = "scheduling"


@dataclass(frozen=True)
class Claimed:
    """A snapshot of one claimed outbox row (safe to use outside the session)."""

    id: int
    delivery_id: str
    kind: str
    target: str
    ref_id: int
    payload: Dict[str, Any]
    attempts: int
    created_at: datetime


def enqueue(
    session: Session, kind: str, ref_id: int, payload: Dict[str, Any], targets: Iterable[str]
) -> List[OutboxMessage]:
    """Add one pending notification per target to ``session`` (caller commits)."""
    rows = [
        OutboxMessage(
            delivery_id=str(uuid.uuid4()), kind=kind, target=target, ref_id=ref_id,
            payload=payload, status="pending", attempts=0, next_attempt_at=utcnow(),
        )
        for target in targets
    ]
    session.add_all(rows)
    return rows


def record_once(
    model: Any, context: MessageContext, kind: str,
    fields: Dict[str, Any], payload: Callable[[Any, bool], Dict[str, Any]],
) -> Tuple[int, bool]:
    """Store the record (a ``FromPatientMessage`` model) a patient message raised, once.

    The notifications are stored in the same transaction.

    Returns (record id, created): a retried action finds the first record instead.
    """
    settings = get_settings().notify
    with session_scope() as session:
        existing = session.execute(
            select(model.id).where(
                model.conversation_id == context.conversation_id,
                model.message_id == context.message_id,
            )
        ).scalar_one_or_none()
        if existing is not None:
            return int(existing), False
        row = model(channel=context.channel, conversation_id=context.conversation_id,
                    message_id=context.message_id, **fields)
        session.add(row)
        session.flush()
        enqueue(session, kind, row.id, payload(row, settings.include_text), settings.targets)
        return int(row.id), True


def claim_due(limit: int = 20, now: Optional[datetime] = None) -> List[Claimed]:
    """Claim up to ``limit`` due rows; a row another worker claimed first is skipped."""
    now = now or utcnow()
    claimed: List[Claimed] = []
    with session_scope() as session:
        due = session.execute(
            select(OutboxMessage)
            .where(OutboxMessage.status == "pending", OutboxMessage.next_attempt_at <= now)
            .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
            .limit(limit)
        ).scalars().all()
        for row in due:
            result = session.execute(
                update(OutboxMessage)
                .where(
                    OutboxMessage.id == row.id,
                    OutboxMessage.status == "pending",
                    OutboxMessage.next_attempt_at == row.next_attempt_at,
                )
                .values(attempts=OutboxMessage.attempts + 1, next_attempt_at=now + CLAIM_LEASE)
                .execution_options(synchronize_session=False)
            )
            if result.rowcount == 1:
                claimed.append(
                    Claimed(row.id, row.delivery_id, row.kind, row.target, row.ref_id,
                            dict(row.payload), row.attempts + 1, row.created_at)
                )
    return claimed


def backoff(attempts: int, settings: NotifySettings) -> timedelta:
    """Wait before attempt ``attempts + 1``: doubling from the base, capped."""
    seconds = settings.retry_base_seconds * (2 ** max(0, min(attempts - 1, 30)))
    return timedelta(seconds=min(seconds, settings.retry_cap_seconds))


def record_result(
    claimed: Claimed, error: Optional[str], settings: NotifySettings,
    now: Optional[datetime] = None,
) -> str:
    """Store the outcome of one delivery attempt; returns the row's new status."""
    now = now or utcnow()
    if error is None:
        values: Dict[str, Any] = {"status": "sent", "sent_at": now, "last_error": None}
    elif now - claimed.created_at >= timedelta(hours=settings.give_up_hours):
        values = {"status": "failed", "last_error": error[:300]}
    else:
        values = {"next_attempt_at": now + backoff(claimed.attempts, settings),
                  "last_error": error[:300]}
    with session_scope() as session:
        session.execute(
            update(OutboxMessage).where(OutboxMessage.id == claimed.id).values(**values)
            .execution_options(synchronize_session=False)
        )
        if error is None and claimed.target == SCHEDULING_TARGET:
            # The scheduling system has the request: new -> sent (never back from later ones).
            session.execute(
                update(AppointmentRequest)
                .where(AppointmentRequest.id == claimed.ref_id,
                       AppointmentRequest.status == "new")
                .values(status="sent", updated_at=now)
                .execution_options(synchronize_session=False)
            )
    return str(values.get("status", "pending"))
