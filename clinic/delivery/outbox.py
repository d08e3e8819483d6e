"""The notification outbox: enqueue with the row it reports, claim, record the result.

Rows are written in the same transaction as the alert or hand-off they describe, so a
notification exists exactly when its record does. ``clinic.worker`` delivers them.

Staff alerts (red flags: emergency, crisis, urgent; and worse pain in a check-in) rank first,
then hand-offs, then appointment requests. A claim is a lease: the row is due again when it
ends. The lease is the target's attempt timeout plus ``NOTIFY_CLAIM_MARGIN_SECONDS``, and the
worker stops an attempt that margin before the lease ends, so two live workers never deliver
one row at once. A claim also names its worker (``claimed_by``): once that worker's heartbeat
(``clinic.delivery.heartbeat``) is older than ``WORKER_STALE_SECONDS`` (3 s), or gone, the row
is due again before its lease ends, so a killed worker holds an alert back for seconds at
most. A live worker stops its deliveries before its heartbeat can look that old.
A row delivered again after a crash keeps its ``delivery_id``: receivers drop repeats by it.
Claims, leases and backoff work as for check-ins (``clinic.delivery.lease``).
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Callable, Dict, Iterable, List, Optional, Tuple

from sqlalchemy import and_, case, exists, not_, or_, select
from sqlalchemy.orm import Session

from clinic.db import session_scope
from clinic.delivery.lease import backoff, claim, still_claimed, update_where
from clinic.messages import MessageContext
from clinic.models import AppointmentRequest, OutboxMessage, WorkerHeartbeat, utcnow
from clinic.settings import NotifySettings, Settings, get_settings

logger = logging.getLogger(__name__)

APPOINTMENT_KIND = "appointment_request"
HANDOFF_KIND = "handoff_request"
# Red-flag alerts (levels emergency, crisis, urgent: actions/safety.py via alert_spool.py) and
# check-in pain alerts: delivered first, in a lane of their own (clinic/worker.py).
STAFF_ALERT_KIND = "staff_alert"
ALERT_KINDS = (STAFF_ALERT_KIND,)
SCHEDULING_TARGET = "scheduling"
WEBHOOK_TARGET = "webhook"
LOCAL_ATTEMPT_SECONDS = 1.0  # a log line (or a target that fails at once, e.g. no URL)
# Claim order: alerts, then hand-offs, then everything else (appointment requests).
PRIORITY = case(
    (OutboxMessage.kind.in_(ALERT_KINDS), 0), (OutboxMessage.kind == HANDOFF_KIND, 1), else_=2)


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
    lease_until: Optional[datetime] = None  # the claim ends then: the attempt must be over
    claimed_by: Optional[str] = None  # the claiming worker's id (``workers`` table)

    @property
    def is_alert(self) -> bool:
        """A staff alert (red flag or worse pain): first in line, its own delivery lane."""
        return self.kind in ALERT_KINDS


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


Payload = Callable[[Any, bool], Dict[str, Any]]  # (record, include text) -> notification


def add_once(session: Session, model: Any, context: MessageContext, kind: str,
             fields: Dict[str, Any], payload: Payload) -> Tuple[int, bool]:
    """Add the record (a ``FromPatientMessage`` model) a message raised, with its notifications.

    Once per message: returns (record id, created); a retry finds the first record instead.
    The caller's transaction commits both.
    """
    settings = get_settings().notify
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


def record_once(model: Any, context: MessageContext, kind: str, fields: Dict[str, Any],
                payload: Payload) -> Tuple[int, bool]:
    """:func:`add_once` in a transaction of its own; returns (record id, created)."""
    with session_scope() as session:
        return add_once(session, model, context, kind, fields, payload)


def attempt_seconds(target: str, settings: Settings) -> float:
    """The longest one delivery attempt to ``target`` may take (its webhook timeout)."""
    if target == WEBHOOK_TARGET:
        return settings.notify.timeout_seconds
    if target == SCHEDULING_TARGET:
        return settings.scheduling.timeout_seconds
    return LOCAL_ATTEMPT_SECONDS


def claim_lease(target: str, settings: Settings) -> timedelta:
    """How long a claim on a row for ``target`` holds: its longest attempt plus the margin."""
    return timedelta(
        seconds=attempt_seconds(target, settings) + settings.notify.claim_margin_seconds)


def claimer_gone(now: datetime, stale_seconds: float) -> Any:
    """SQL: the row's claim names a worker whose heartbeat is stale, or gone.

    Stale: older than ``stale_seconds``; gone: the worker stopped, or its row was purged.
    A claim naming no worker holds for its whole lease.
    """
    alive = exists().where(
        WorkerHeartbeat.id == OutboxMessage.claimed_by,
        WorkerHeartbeat.heartbeat_at >= now - timedelta(seconds=stale_seconds),
    )
    return and_(OutboxMessage.claimed_by.is_not(None), not_(alive))


def is_due(now: datetime, settings: Settings) -> Any:
    """SQL: a pending row whose lease (or backoff) ended, or whose claimer is gone."""
    return and_(
        OutboxMessage.status == "pending",
        or_(OutboxMessage.next_attempt_at <= now,
            claimer_gone(now, settings.notify.worker_stale_seconds)),
    )


def claim_due(
    limit: int = 20, now: Optional[datetime] = None, settings: Optional[Settings] = None,
    alerts: Optional[bool] = None, worker_id: Optional[str] = None,
) -> List[Claimed]:
    """Claim up to ``limit`` due rows, alerts first; rows other live workers hold are skipped.

    ``alerts``: True claims only staff alerts, False everything but them, None all rows.
    Each claim holds for :func:`claim_lease` of the row's target, and is recorded as
    ``worker_id``'s: other workers take it over early once that worker's heartbeat is stale.
    Without ``worker_id`` (tools, tests) the claim holds for its whole lease.
    """
    now = now or utcnow()
    settings = settings or get_settings()
    claimed: List[Claimed] = []
    query = select(OutboxMessage).where(is_due(now, settings))
    if alerts is True:
        query = query.where(OutboxMessage.kind.in_(ALERT_KINDS))
    elif alerts is False:
        query = query.where(OutboxMessage.kind.not_in(ALERT_KINDS))
    with session_scope() as session:
        due = session.execute(
            query.order_by(PRIORITY, OutboxMessage.next_attempt_at, OutboxMessage.id)
            .limit(limit)
        ).scalars().all()
        for row in due:
            lease_until = now + claim_lease(row.target, settings)
            # Nobody claimed (or stored a result for) the row since we read it, and it is
            # still due (a slow claimer's heartbeat may have come back).
            attempt = claim(session, row, (OutboxMessage.next_attempt_at,), is_due(now, settings),
                            next_attempt_at=lease_until, claimed_by=worker_id)
            if attempt is None:
                continue
            if row.next_attempt_at > now:
                logger.warning("Notification %s (%s): its worker %s stopped (no heartbeat); "
                               "claimed again before its lease ended", row.id, row.target,
                               (row.claimed_by or "?")[:8])
            claimed.append(
                Claimed(row.id, row.delivery_id, row.kind, row.target, row.ref_id,
                        dict(row.payload), attempt, row.created_at, lease_until,
                        worker_id)
            )
    return claimed


def _still_claimed(claimed: Claimed) -> Any:
    """The row is pending and nobody claimed it after ``claimed`` (its lease may have ended)."""
    return still_claimed(OutboxMessage, claimed.id, claimed.attempts, "pending")


def release(claimed: Claimed, now: Optional[datetime] = None) -> None:
    """Make a claimed row due again at once (its worker stops before finishing the attempt).

    A row claimed again since (after the lease) is left to its new worker.
    """
    with session_scope() as session:
        update_where(session, OutboxMessage, _still_claimed(claimed),
                     next_attempt_at=now or utcnow(), claimed_by=None)


def record_result(
    claimed: Claimed, error: Optional[str], settings: NotifySettings,
    now: Optional[datetime] = None,
) -> str:
    """Store the outcome of one delivery attempt; returns the row's new status.

    A success is always stored (once). A failure is dropped if another worker has claimed the
    row since (this attempt outlived its lease): storing it would cut that claim short.
    """
    now = now or utcnow()
    # The claim ends with its outcome: a row waiting out its backoff belongs to no worker.
    if error is None:
        values: Dict[str, Any] = {"status": "sent", "sent_at": now, "last_error": None,
                                  "claimed_by": None}
        where: Any = (OutboxMessage.id == claimed.id, OutboxMessage.status != "sent")
    elif now - claimed.created_at >= timedelta(hours=settings.give_up_hours):
        values = {"status": "failed", "last_error": error[:300], "claimed_by": None}
        where = _still_claimed(claimed)
    else:
        values = {"next_attempt_at": now + backoff(claimed.attempts, settings),
                  "last_error": error[:300], "claimed_by": None}
        where = _still_claimed(claimed)
    with session_scope() as session:
        update_where(session, OutboxMessage, where, **values)
        if error is None and claimed.target == SCHEDULING_TARGET:
            # The scheduling system has the request: new -> sent (never back from later ones).
            update_where(session, AppointmentRequest,
                         (AppointmentRequest.id == claimed.ref_id,
                          AppointmentRequest.status == "new"),
                         status="sent", updated_at=now)
    return str(values.get("status", "pending"))
