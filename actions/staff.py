"""Staff side of hand-offs, alerts, appointment requests and follow-ups.

List, reply, resume, update; register, list and cancel post-procedure follow-ups.

``python -m actions.staff --help``. Replies go through Rasa's HTTP API (the running Rasa
server owns the conversations): a bot message marked as a staff reply is appended and
delivered on the patient's channel, and ``resume`` appends ``ConversationResumed``. The API
token is ``RASA_API_TOKEN`` or the file ``make run`` writes (``var/api_token``).
The review console (``console/views_queues.py``) calls the same functions.
"""

from __future__ import annotations

import argparse
import sys
from datetime import date
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

import requests
from sqlalchemy import select
from sqlalchemy.orm import Session

from actions import followups
from actions.config import Settings, get_settings
from actions.conversation import conversation_path
from actions.db import session_scope
from actions.models import AppointmentRequest, HandoffRequest, StaffAlert, utcnow

STAFF_REPLY_KEY = "staff_reply"  # also read by addons/channels/dialogue.py
# Resuming also marks the bot as listening: while paused no action_listen was logged, and
# the dialogue rules expect one before the next patient message.
RESUME_EVENTS: List[Dict[str, Any]] = [{"event": "resume"},
                                       {"event": "action", "name": "action_listen"}]


class StaffActionError(RuntimeError):
    """A staff action could not be carried out (message says why, for the staff member)."""


class UnknownRecord(StaffActionError):
    """No alert, hand-off or appointment request with that id."""


class RasaUnavailable(StaffActionError):
    """Rasa's HTTP API could not take the events (down, no token, or an error answer)."""


# Status changes staff may make (``sent`` is the scheduling adapter's, never a person's).
# A closed item can be reopened, in case it was closed by mistake.
ALERT_MOVES: Dict[str, Tuple[str, ...]] = {
    "new": ("acknowledged", "closed"), "acknowledged": ("closed",), "closed": ("acknowledged",)}
APPOINTMENT_MOVES: Dict[str, Tuple[str, ...]] = {
    "new": ("contacted", "closed"), "sent": ("contacted", "closed"),
    "contacted": ("closed",), "closed": ("contacted",)}
# Called in the transaction that records a reply or resume (the console audits there).
AfterHandoff = Callable[[Session, HandoffRequest], None]


def post_events(settings: Settings, conversation_id: str, events: List[Dict[str, Any]]) -> None:
    """Append events to a live conversation and deliver bot messages on its channel."""
    if not settings.rasa_api_token:
        raise RasaUnavailable("No API token: set RASA_API_TOKEN (as for `make run`).")
    url = f"{settings.rasa_url}/conversations/{conversation_path(conversation_id)}/tracker/events"
    params = {"token": settings.rasa_api_token, "output_channel": "latest",
              "execute_side_effects": "true"}
    try:
        answer = requests.post(url, params=params, json=events, timeout=15)
    except requests.RequestException as exc:
        raise RasaUnavailable(f"Rasa server not reachable at {settings.rasa_url}") from exc
    if answer.status_code != 200:
        raise RasaUnavailable(f"Rasa server answered HTTP {answer.status_code}")


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


def reply(handoff_id: int, text: str, staff: str, resume: bool = False,
          settings: Optional[Settings] = None, after: Optional[AfterHandoff] = None) -> None:
    """Send a staff message into the hand-off's conversation; optionally resume the bot.

    Nothing is recorded unless Rasa took the message; ``after`` runs in the transaction
    that records it.
    """
    settings = settings or get_settings()
    text = text.strip()
    if not text:
        raise StaffActionError("The reply is empty.")
    conversation_id = _open_conversation(handoff_id)
    events: List[Dict[str, Any]] = [
        {"event": "bot", "text": text, "metadata": {STAFF_REPLY_KEY: True, "staff": staff}}
    ]
    if resume:
        events += RESUME_EVENTS
    post_events(settings, conversation_id, events)
    with session_scope() as session:
        request = _handoff(session, handoff_id)
        request.staff_name = staff
        request.answered_at = request.answered_at or utcnow()
        request.status = "closed" if resume else "answered"
        if resume:
            request.closed_at = utcnow()
        if after is not None:
            after(session, request)


def resume(handoff_id: int, staff: str, settings: Optional[Settings] = None,
           after: Optional[AfterHandoff] = None) -> None:
    """Give the conversation back to the bot and close the hand-off."""
    settings = settings or get_settings()
    conversation_id = _open_conversation(handoff_id)
    post_events(settings, conversation_id, RESUME_EVENTS)
    with session_scope() as session:
        request = _handoff(session, handoff_id)
        request.status, request.closed_at = "closed", utcnow()
        request.staff_name = request.staff_name or staff
        if after is not None:
            after(session, request)


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


def add_followup_commands(commands: Any) -> None:
    """``followup add|list|cancel``: post-procedure check-ins by text."""
    followup = commands.add_parser("followup", help="post-procedure check-ins by text")
    actions = followup.add_subparsers(dest="followup_command", required=True)
    add = actions.add_parser("add", help="register a patient for check-ins")
    add.add_argument("--phone", required=True, help="the patient's mobile number")
    add.add_argument("--procedure", required=True, choices=followups.PROCEDURES)
    add.add_argument("--date", required=True, type=date.fromisoformat,
                     help="procedure date, YYYY-MM-DD")
    add.add_argument("--timezone", help="the patient's IANA time zone, e.g. America/Denver "
                                        "(default: FOLLOWUP_TIMEZONE / the clinic's)")
    show = actions.add_parser("list", help="active follow-ups and their check-ins")
    show.add_argument("--all", action="store_true", help="include cancelled and completed")
    stop = actions.add_parser("cancel", help="cancel a follow-up's remaining check-ins")
    stop.add_argument("followup_id", type=int)


def run_followup_command(args: argparse.Namespace) -> None:
    """Carry out a ``followup`` command (errors become StaffActionError)."""
    try:
        if args.followup_command == "add":
            new_id = followups.register(args.phone, args.procedure, args.date, args.staff,
                                        args.timezone)
            print(f"Follow-up #{new_id} registered.")
            print("\n".join(line for line in followups.listing(show_all=True)
                            if line.startswith(f"followup #{new_id} ")))
        elif args.followup_command == "list":
            print("\n".join(followups.listing(args.all)) or "No follow-ups.")
        else:
            skipped = followups.cancel(args.followup_id)
            print(f"Follow-up #{args.followup_id} cancelled ({skipped} check-in(s) not sent).")
    except followups.FollowUpError as exc:
        raise StaffActionError(str(exc)) from exc


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Command-line entry point; returns the exit code."""
    parser = argparse.ArgumentParser(
        prog="python -m actions.staff", description=(__doc__ or "").split("\n")[0]
    )
    parser.add_argument("--staff", default="staff", help="your name, stored with each action")
    commands = parser.add_subparsers(dest="command", required=True)
    show = commands.add_parser("list", help="open alerts, hand-offs and appointment requests")
    show.add_argument("--all", action="store_true", help="include closed ones")
    say = commands.add_parser("reply", help="send a message into a hand-off's conversation")
    say.add_argument("handoff_id", type=int)
    say.add_argument("text")
    say.add_argument("--resume", action="store_true", help="also give the chat back to the bot")
    back = commands.add_parser("resume", help="give a hand-off's conversation back to the bot")
    back.add_argument("handoff_id", type=int)
    for name in ("ack", "close"):
        alert = commands.add_parser(name, help=f"{name} a staff alert")
        alert.add_argument("alert_id", type=int)
    booking = commands.add_parser("booking", help="update an appointment request's status")
    booking.add_argument("request_id", type=int)
    booking.add_argument("status", choices=("contacted", "closed"))
    add_followup_commands(commands)
    args = parser.parse_args(argv)
    try:
        if args.command == "list":
            print("\n".join(listing(args.all)) or "Nothing open.")
        elif args.command == "reply":
            reply(args.handoff_id, args.text, args.staff, args.resume)
        elif args.command == "resume":
            resume(args.handoff_id, args.staff)
        elif args.command == "booking":
            set_appointment_status(args.request_id, args.status, args.staff)
        elif args.command == "followup":
            run_followup_command(args)
        else:
            status = "acknowledged" if args.command == "ack" else "closed"
            set_alert_status(args.alert_id, status, args.staff)
    except StaffActionError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
