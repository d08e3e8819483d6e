"""The staff queues as the console lists them (database work only).

Staff alerts (crisis, then emergency, urgent, follow-up), hand-off requests (with whether
the bot is still paused), appointment requests, post-procedure follow-ups and SMS consent:
each filtered by status, newest first, a page at a time. Rows are plain dicts, detached from
the session; the templates mask personal data in them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Dict, Iterable, List, Optional, Sequence, Tuple

from sqlalchemy import case, func, inspect, select
from sqlalchemy.orm import Session
from sqlalchemy.sql import Select

from clinic.models import (
    RASA_EVENTS,
    AppointmentRequest,
    FollowUp,
    FollowUpCheckin,
    HandoffRequest,
    SmsConsent,
    StaffAlert,
)
from console.paging import Page, counted

PAGE_SIZE = 50
TODO, ALL = "todo", "all"  # filters besides the statuses: not finished yet, everything
LEVELS = ("crisis", "emergency", "urgent", "follow_up")  # the alert queue's order
SMS_CHANNEL = "twilio"  # conversation ids of SMS chats are the patient's phone number
NO_KEYWORD = "no_keyword"  # the number never sent STOP or START: it may be texted


@dataclass(frozen=True)
class Queue:
    """One queue: its table, the statuses that still need staff, and its filters."""

    name: str
    title: str
    model: Any
    todo: Tuple[str, ...]

    @property
    def statuses(self) -> Tuple[str, ...]:
        """The statuses a row can have."""
        return tuple(self.model.STATUSES)

    @property
    def filters(self) -> Tuple[str, ...]:
        """What the status filter accepts: to do, each status, all."""
        return ((TODO,) if self.todo else ()) + self.statuses + (ALL,)


QUEUES: Dict[str, Queue] = {q.name: q for q in (
    Queue("alerts", "Staff alerts", StaffAlert, ("new", "acknowledged")),
    Queue("handoffs", "Hand-offs", HandoffRequest, ("open", "answered")),
    Queue("appointments", "Appointment requests", AppointmentRequest,
          ("new", "sent", "contacted")),
    Queue("followups", "Follow-ups", FollowUp, ("active",)),
    Queue("consent", "SMS consent", SmsConsent, ()),
)}

# Rasa's tracker store table (same database); read only, and only if it exists.
_EVENTS = RASA_EVENTS
_PAUSE_EVENTS = ("pause", "resume", "restart", "session_started")


def plain(row: Any) -> Dict[str, Any]:
    """A mapped row as a dict of its columns (safe to use after the session ends)."""
    return {column.key: getattr(row, column.key) for column in inspect(row).mapper.column_attrs}


def status_values(queue: Queue, status: str) -> Optional[Tuple[str, ...]]:
    """The statuses a filter value selects (None: all); ValueError for an unknown one."""
    if status not in queue.filters:
        raise ValueError(f"Unknown status filter {status!r} for {queue.title.lower()}.")
    if status == ALL:
        return None
    return queue.todo if status == TODO else (status,)


def _order(queue: Queue) -> List[Any]:
    model = queue.model
    newest = [model.created_at.desc(), model.id.desc()]
    if model is StaffAlert:
        urgency = case(*((model.level == level, rank) for rank, level in enumerate(LEVELS)),
                       else_=len(LEVELS))
        return [urgency, *newest]
    if model is SmsConsent:
        return [model.updated_at.desc(), model.id.desc()]
    return newest


def _query(queue: Queue, statuses: Optional[Sequence[str]]) -> Select:
    query = select(queue.model)
    if statuses is not None:
        query = query.where(queue.model.status.in_(statuses))
    return query


def todo_counts(session: Session) -> Dict[str, int]:
    """How many rows of each queue still need staff."""
    return {name: int(session.scalar(select(func.count()).select_from(queue.model)
                                     .where(queue.model.status.in_(queue.todo))) or 0)
            for name, queue in QUEUES.items() if queue.todo}


def load(session: Session, name: str, status: str, page: int) -> Page[Dict[str, Any]]:
    """Page ``page`` (from 1) of queue ``name`` filtered by ``status``; ValueError if invalid."""
    queue = QUEUES.get(name)
    if queue is None:
        raise ValueError(f"Unknown queue {name!r}.")
    query = _query(queue, status_values(queue, status))
    total = int(session.scalar(select(func.count()).select_from(query.subquery())) or 0)

    def fetch(offset: int, limit: int) -> List[Dict[str, Any]]:
        found = session.scalars(query.order_by(*_order(queue)).limit(limit).offset(offset))
        rows = [plain(row) for row in found]
        _add_details(session, name, rows)
        return rows

    return counted(total, page, PAGE_SIZE, fetch)


def _add_details(session: Session, name: str, rows: List[Dict[str, Any]]) -> None:
    """Whether the bot is paused (hand-offs), SMS consent, follow-ups' check-ins."""
    if name == "handoffs":
        paused = paused_states(session, [r["conversation_id"] for r in rows])
        for row in rows:
            row["bot_paused"] = paused.get(row["conversation_id"],
                                           row["status"] in ("open", "answered"))
    if name in ("handoffs", "appointments", "followups"):
        consent = consent_states(session, [p for p in map(_phone_of, rows) if p])
        for row in rows:
            phone = _phone_of(row)
            row["sms_consent"] = consent.get(phone, NO_KEYWORD) if phone else None
    if name == "followups":
        checkins = checkins_of(session, [r["id"] for r in rows])
        for row in rows:
            row["checkins"] = checkins.get(row["id"], [])


def _phone_of(row: Dict[str, Any]) -> Optional[str]:
    """The number texts to this row's patient go to (None: not an SMS chat)."""
    if "phone" in row:
        return str(row["phone"])
    return str(row["conversation_id"]) if row.get("channel") == SMS_CHANNEL else None


def paused_states(session: Session, conversation_ids: Iterable[str]) -> Dict[str, bool]:
    """Whether each conversation is paused now, from Rasa's events (if in this database)."""
    ids = sorted(set(conversation_ids))
    if not ids or not inspect(session.connection()).has_table(_EVENTS.name):
        return {}
    latest = (select(_EVENTS.c.sender_id, func.max(_EVENTS.c.id).label("last_id"))
              .where(_EVENTS.c.sender_id.in_(ids), _EVENTS.c.type_name.in_(_PAUSE_EVENTS))
              .group_by(_EVENTS.c.sender_id).subquery())
    found = session.execute(select(_EVENTS.c.sender_id, _EVENTS.c.type_name)
                            .join(latest, _EVENTS.c.id == latest.c.last_id))
    return {str(sender): kind == "pause" for sender, kind in found}


def consent_states(session: Session, phones: Iterable[str]) -> Dict[str, str]:
    """``opted_in`` / ``opted_out`` of each number that ever sent a keyword."""
    numbers = sorted(set(phones))
    if not numbers:
        return {}
    found = session.execute(select(SmsConsent.phone, SmsConsent.status)
                            .where(SmsConsent.phone.in_(numbers)))
    return {str(phone): str(status) for phone, status in found}


def checkins_of(session: Session, follow_up_ids: Iterable[int]
                ) -> Dict[int, List[Dict[str, Any]]]:
    """Each follow-up's check-ins, by day."""
    ids = sorted(set(follow_up_ids))
    result: Dict[int, List[Dict[str, Any]]] = {}
    if not ids:
        return result
    found = session.scalars(select(FollowUpCheckin)
                            .where(FollowUpCheckin.follow_up_id.in_(ids))
                            .order_by(FollowUpCheckin.follow_up_id, FollowUpCheckin.day_offset))
    for checkin in found:
        result.setdefault(int(checkin.follow_up_id), []).append(plain(checkin))
    return result


def one(session: Session, name: str, row_id: int) -> Optional[Dict[str, Any]]:
    """One row of queue ``name`` with its details (paused, SMS consent ...), or None."""
    row = session.get(QUEUES[name].model, row_id)
    if row is None:
        return None
    rows = [plain(row)]
    _add_details(session, name, rows)
    return rows[0]
