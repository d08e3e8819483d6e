"""Staff side of hand-offs, alerts, appointment requests and follow-ups.

List, reply, resume, update; register, list and cancel post-procedure follow-ups.

``python -m clinic staff --help``. Replies go through Rasa's HTTP API (``clinic.rasa_api``;
the running Rasa server owns the conversations): a bot message marked as a staff reply is
appended and delivered on the patient's channel, and ``resume`` appends
``ConversationResumed``. The API token is ``RASA_API_TOKEN`` or the file ``make run`` writes
(``var/api_token``). :func:`reply` and :func:`resume` are coroutines (database work runs in
a thread); the review console (``console/pages/queues.py``) awaits the same functions.
"""

from __future__ import annotations

import sys
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

from sqlalchemy import select
from sqlalchemy.orm import Session

from clinic import rasa_api
from clinic.db import run_in_thread, session_scope
from clinic.models import AppointmentRequest, HandoffRequest, StaffAlert, utcnow
from clinic.rasa_api import RasaUnavailable as RasaUnavailable  # reply, resume raise it
from clinic.settings import Settings, get_settings
from clinic.vocabulary import HANDOFF_WAITING_SLOT, SAFETY_FRAME_SLOT, STAFF_REPLY_KEY

# Handing the chat back ends the wait for staff and a safety frame (the care team has
# talked to the patient); ``resume`` unpauses conversations paused by earlier releases. It
# also marks the bot as listening: while paused no action_listen was logged, and
# the dialogue rules expect one before the next patient message.
RESUME_EVENTS: List[Dict[str, Any]] = [
    {"event": "resume"},
    {"event": "slot", "name": SAFETY_FRAME_SLOT, "value": False},
    {"event": "slot", "name": HANDOFF_WAITING_SLOT, "value": False},
    {"event": "action", "name": "action_listen"}]


class StaffActionError(RuntimeError):
    """A staff action could not be carried out (message says why, for the staff member)."""


class UnknownRecord(StaffActionError):
    """No alert, hand-off or appointment request with that id."""


# Status changes staff may make (``sent`` is the scheduling adapter's, never a person's).
# A closed item can be reopened, in case it was closed by mistake.
ALERT_MOVES: Dict[str, Tuple[str, ...]] = {
    "new": ("acknowledged", "closed"), "acknowledged": ("closed",), "closed": ("acknowledged",)}
APPOINTMENT_MOVES: Dict[str, Tuple[str, ...]] = {
    "new": ("contacted", "closed"), "sent": ("contacted", "closed"),
    "contacted": ("closed",), "closed": ("contacted",)}
# Called in the transaction that records a reply or resume (the console audits there).
AfterHandoff = Callable[[Session, HandoffRequest], None]


async def post_events(settings: Settings, conversation_id: str,
                      events: List[Dict[str, Any]]) -> None:
    """Append events to a live conversation and deliver bot messages on its channel."""
    async with rasa_api.connect(settings) as rasa:
        await rasa.append_events(conversation_id, events)


def _handoff(session: Session, handoff_id: int) -> HandoffRequest:
    request = session.get(HandoffRequest, handoff_id)
    if request is None:
        raise UnknownRecord(f"No hand-off request #{handoff_id}.")
    return request


def _open_conversation(handoff_id: int) -> str:
    """The conversation of a hand-off still waiting for staff (not closed)."""
    with session_scope() as session:
        request = _handoff(session, handoff_id)
        if request.status == "closed":
            raise StaffActionError(
                f"Hand-off #{handoff_id} is closed: the assistant is already answering.")
        return str(request.conversation_id)


def _record_reply(handoff_id: int, staff: str, resume: bool,
                  after: Optional[AfterHandoff]) -> None:
    """Store that ``staff`` answered (and maybe resumed); ``after`` runs in that transaction."""
    with session_scope() as session:
        request = _handoff(session, handoff_id)
        request.staff_name = staff
        request.answered_at = request.answered_at or utcnow()
        request.status = "closed" if resume else "answered"
        if resume:
            request.closed_at = utcnow()
        if after is not None:
            after(session, request)


def _record_resume(handoff_id: int, staff: str, after: Optional[AfterHandoff]) -> None:
    """Store that the hand-off is closed; ``after`` runs in that transaction."""
    with session_scope() as session:
        request = _handoff(session, handoff_id)
        request.status, request.closed_at = "closed", utcnow()
        request.staff_name = request.staff_name or staff
        if after is not None:
            after(session, request)


async def reply(handoff_id: int, text: str, staff: str, resume: bool = False,
                settings: Optional[Settings] = None, after: Optional[AfterHandoff] = None) -> None:
    """Send a staff message into the hand-off's conversation; optionally resume the bot.

    Nothing is recorded unless Rasa took the message (else RasaUnavailable); ``after`` runs
    in the transaction that records it.
    """
    settings = settings or get_settings()
    text = text.strip()
    if not text:
        raise StaffActionError("The reply is empty.")
    conversation_id = await run_in_thread(_open_conversation, handoff_id)
    events: List[Dict[str, Any]] = [
        {"event": "bot", "text": text, "metadata": {STAFF_REPLY_KEY: True, "staff": staff}}
    ]
    if resume:
        events += RESUME_EVENTS
    await post_events(settings, conversation_id, events)
    await run_in_thread(_record_reply, handoff_id, staff, resume, after)


async def resume(handoff_id: int, staff: str, settings: Optional[Settings] = None,
                 after: Optional[AfterHandoff] = None) -> None:
    """Give the conversation back to the bot and close the hand-off (RasaUnavailable: not)."""
    settings = settings or get_settings()
    conversation_id = await run_in_thread(_open_conversation, handoff_id)
    await post_events(settings, conversation_id, RESUME_EVENTS)
    await run_in_thread(_record_resume, handoff_id, staff, after)


def check_move(what: str, current: str, status: str, moves: Dict[str, Tuple[str, ...]]) -> None:
    """StaffActionError unless staff may move ``what`` from ``current`` to ``status``."""
    allowed = dict.fromkeys(target for targets in moves.values() for target in targets)
    if status not in allowed:
        raise StaffActionError(f"Status must be one of {', '.join(allowed)}.")
    if status == current:
        raise StaffActionError(f"{what} is already {status}.")
    if status not in moves.get(current, ()):
        raise StaffActionError(f"{what} can't go from {current} to {status}.")


def _change_status(session: Session, model: Any, record_id: int, status: str, staff: str,
                   what: str, moves: Dict[str, Tuple[str, ...]]) -> str:
    record = session.get(model, record_id)
    if record is None:
        raise UnknownRecord(f"No {what.lower()} #{record_id}.")
    previous = str(record.status)
    check_move(f"{what} #{record_id}", previous, status, moves)
    record.status, record.handled_by, record.handled_at = status, staff, utcnow()
    return previous


def change_alert_status(session: Session, alert_id: int, status: str, staff: str) -> str:
    """Acknowledge, close or reopen a staff alert in ``session``; returns the old status."""
    return _change_status(session, StaffAlert, alert_id, status, staff, "Staff alert",
                          ALERT_MOVES)


def change_appointment_status(session: Session, request_id: int, status: str,
                              staff: str) -> str:
    """Record progress on an appointment request in ``session``; returns the old status."""
    return _change_status(session, AppointmentRequest, request_id, status, staff,
                          "Appointment request", APPOINTMENT_MOVES)


def set_alert_status(alert_id: int, status: str, staff: str) -> None:
    """Acknowledge, close or reopen a staff alert."""
    with session_scope() as session:
        change_alert_status(session, alert_id, status, staff)


def set_appointment_status(request_id: int, status: str, staff: str) -> None:
    """Record progress on an appointment request (contacted, closed)."""
    with session_scope() as session:
        change_appointment_status(session, request_id, status, staff)


def appointment_lines(session: Session, show_all: bool) -> List[str]:
    """Appointment requests still to handle (or all), newest first, one line each."""
    query = select(AppointmentRequest).order_by(AppointmentRequest.created_at.desc())
    if not show_all:
        query = query.where(AppointmentRequest.status.in_(("new", "sent")))
    return [
        f"booking #{r.id:<5} {r.created_at:%Y-%m-%d %H:%M} {r.reference:<10} {r.status:<9} "
        f"{r.channel:<8} {r.patient_name} {r.phone} ({'/'.join(r.contact_methods or [])}) "
        f"{r.procedure}: {r.preferred_times}"
        for r in session.execute(query.limit(200)).scalars()
    ]


def listing(show_all: bool = False) -> List[str]:
    """Open hand-offs, alerts and appointment requests (or all), newest first."""
    lines: List[str] = []
    with session_scope() as session:
        alerts = select(StaffAlert).order_by(StaffAlert.created_at.desc())
        handoffs = select(HandoffRequest).order_by(HandoffRequest.created_at.desc())
        if not show_all:
            alerts = alerts.where(StaffAlert.status != "closed")
            handoffs = handoffs.where(HandoffRequest.status != "closed")
        for a in session.execute(alerts.limit(200)).scalars():
            lines.append(f"alert   #{a.id:<5} {a.created_at:%Y-%m-%d %H:%M} {a.level:<9} "
                         f"{a.status:<12} {a.channel:<8} {a.conversation_id}  "
                         f"[{', '.join(a.evidence or [])}]")
        for h in session.execute(handoffs.limit(200)).scalars():
            lines.append(f"handoff #{h.id:<5} {h.created_at:%Y-%m-%d %H:%M} {h.reason:<15} "
                         f"{h.status:<9} {h.channel:<8} {h.conversation_id}")
        lines += appointment_lines(session, show_all)
    return lines


def main(argv: Optional[Sequence[str]] = None) -> int:
    """``python -m clinic.staff``: ``python -m clinic staff``, with ``followup``; exit code."""
    from clinic.cli import staff_tool  # the command line (clinic.cli) imports this module

    return staff_tool(argv)


if __name__ == "__main__":
    sys.exit(main())
