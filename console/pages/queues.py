"""Queues: staff alerts, hand-offs (reply, resume), appointment requests, follow-ups, SMS consent.

Status changes reuse ``clinic.staff`` / ``clinic.followups.schedule`` and are audited in the same
transaction. A reply goes through Rasa's HTTP API (asynchronously: the event loop never waits
on it; its database work runs in a thread); if Rasa is down the page says so and keeps the
typed text.
"""

from __future__ import annotations

from typing import Any, Callable, Dict, Mapping, Tuple

from aiohttp import web
from sqlalchemy.orm import Session

from clinic import audit, staff
from clinic.accounts import StaffIdentity
from clinic.followups import schedule as followups
from clinic.models import HandoffRequest
from console import queues
from console.paging import Page, link
from console.web import (
    current_user,
    db,
    form,
    page_number,
    redirect,
    render,
    require_admin,
    settings_of,
)

routes = web.RouteTableDef()

ID = r"{id:\d{1,9}}"
MAX_REPLY = 1000
STATUS_LABELS = {
    queues.TODO: "To do", queues.ALL: "All", "new": "New", "acknowledged": "Acknowledged",
    "closed": "Closed", "open": "Open", "answered": "Answered", "sent": "Sent to scheduling",
    "contacted": "Contacted", "active": "Active", "cancelled": "Cancelled",
    "completed": "Completed", "opted_in": "Opted in", "opted_out": "Opted out",
}


def back_to(fields: Mapping[str, str], default: str = "/queues") -> str:
    """Where a form returns to: the queue page it came from (never another site)."""
    back = fields.get("back", "")
    if back.startswith("/queues") and not back.startswith("//") and "\\" not in back:
        return back[:500]
    return default


async def attempt(function: Callable[[Session], Any]) -> Any:
    """Run a status change; unknown ids give 404, refused changes 400 (nothing is saved)."""
    try:
        return await db(function)
    except (staff.UnknownRecord, followups.UnknownFollowUp, LookupError) as error:
        raise web.HTTPNotFound(text=str(error)) from error
    except (staff.StaffActionError, followups.FollowUpError) as error:
        raise web.HTTPBadRequest(text=str(error)) from error


def _queue(session: Session, name: str, status: str, number: int
           ) -> Tuple[Page[Dict[str, Any]], Dict[str, int]]:
    """A page of one queue, and how many rows of every queue are to do (for the tabs)."""
    return queues.load(session, name, status, number), queues.todo_counts(session)


@routes.get("/queues")
async def queue_page(request: web.Request) -> web.Response:
    """One queue (tab), filtered by status, newest first (alerts: crisis and emergencies first)."""
    name = request.query.get("tab", "alerts")
    queue = queues.QUEUES.get(name)
    if queue is None:
        raise web.HTTPNotFound(text="There is no such queue.")
    status = request.query.get("status", queues.TODO if queue.todo else queues.ALL)
    number = page_number(request.query.get("page", "1"))
    try:
        page, counts = await db(_queue, name, status, number)
    except ValueError as error:
        raise web.HTTPBadRequest(text=str(error)) from error
    return render(request, "queues/list.html", queues=queues.QUEUES, queue=queue,
                  current=status, page=page, counts=counts, labels=STATUS_LABELS,
                  page_link=link("/queues", {"tab": name, "status": status}),
                  back=request.path_qs, alert_moves=staff.ALERT_MOVES,
                  appointment_moves=staff.APPOINTMENT_MOVES)


# kind in the URL -> (change, audit action, audit target type, name in notices)
STATUS_CHANGES = {
    "alerts": (staff.change_alert_status, "set_alert_status", "staff_alert", "Alert"),
    "appointments": (staff.change_appointment_status, "set_appointment_status",
                     "appointment_request", "Appointment request"),
}


@routes.post(rf"/queues/{{kind:alerts|appointments}}/{ID}/status")
async def change_status(request: web.Request) -> web.Response:
    """Acknowledge, close or reopen an alert; mark an appointment request contacted, ...."""
    user, record_id = current_user(request), int(request.match_info["id"])
    change_status, action, target, name = STATUS_CHANGES[request.match_info["kind"]]
    fields = await form(request)
    status = fields.get("status", "")

    def change(session: Session) -> None:
        previous = change_status(session, record_id, status, user.username)
        audit.record(session, user.username, action, target, str(record_id),
                     {"from": previous, "to": status})

    await attempt(change)
    raise redirect(back_to(fields), f"{name} #{record_id} is now "
                                    f"{STATUS_LABELS[status].lower()}.")


@routes.get(f"/queues/appointments/{ID}")
async def appointment_page(request: web.Request) -> web.Response:
    """An appointment request in full (name, phone): for calling the patient back; audited."""
    user, request_id = current_user(request), int(request.match_info["id"])

    def read(session: Session) -> Dict[str, Any]:
        row = queues.one(session, "appointments", request_id)
        if row is None:
            raise LookupError(f"No appointment request #{request_id}.")
        audit.record(session, user.username, "view_appointment_request", "appointment_request",
                     str(request_id))
        return row

    row = await attempt(read)
    return render(request, "queues/appointment.html", row=row, labels=STATUS_LABELS,
                  moves=staff.APPOINTMENT_MOVES, back=request.path)


async def _handoff_page(request: web.Request, user: StaffIdentity, handoff_id: int,
                        status: int = 200, error: str = "", text: str = "",
                        resume: bool = False) -> web.Response:
    def read(session: Session) -> Dict[str, Any]:
        row = queues.one(session, "handoffs", handoff_id)
        if row is None:
            raise LookupError(f"No hand-off request #{handoff_id}.")
        if status == 200:
            audit.record(session, user.username, "view_handoff", "handoff_request",
                         str(handoff_id))
        return row

    row = await attempt(read)
    return render(request, "queues/handoff.html", status=status, row=row, labels=STATUS_LABELS,
                  error=error, text=text, resume=resume, max_reply=MAX_REPLY)


@routes.get(f"/queues/handoffs/{ID}")
async def handoff_page(request: web.Request) -> web.Response:
    """A hand-off: the patient's message in full, a reply form and resume; audited."""
    return await _handoff_page(request, current_user(request), int(request.match_info["id"]))


def _audit_handoff(user: StaffIdentity, action: str, detail: Dict[str, Any]
                   ) -> staff.AfterHandoff:
    def record(session: Session, handoff: HandoffRequest) -> None:
        audit.record(session, user.username, action, "handoff_request", str(handoff.id), detail)

    return record


@routes.post(f"/queues/handoffs/{ID}/reply")
async def handoff_reply(request: web.Request) -> web.Response:
    """Send a reply on the patient's channel (1-1000 characters); optionally resume the bot."""
    user, handoff_id = current_user(request), int(request.match_info["id"])
    fields = await form(request)
    text, resume = fields.get("text", "").strip(), fields.get("resume") == "1"
    if not text or len(text) > MAX_REPLY:
        return await _handoff_page(request, user, handoff_id, 400, text=text[:MAX_REPLY * 2],
                                   resume=resume,
                                   error=f"Write a reply of 1 to {MAX_REPLY} characters.")
    after = _audit_handoff(user, "reply_handoff", {"resume": resume, "chars": len(text)})
    try:
        await staff.reply(handoff_id, text, user.username, resume, settings_of(request), after)
    except staff.UnknownRecord as error:
        raise web.HTTPNotFound(text=str(error)) from error
    except (staff.StaffActionError, staff.RasaUnavailable) as error:
        code = 502 if isinstance(error, staff.RasaUnavailable) else 400
        return await _handoff_page(request, user, handoff_id, code, text=text, resume=resume,
                                   error=_failure(error, kept=True))
    done = "Reply sent and the assistant resumed." if resume else "Reply sent."
    raise redirect("/queues?tab=handoffs", f"Hand-off #{handoff_id}: {done}")


@routes.post(f"/queues/handoffs/{ID}/resume")
async def handoff_resume(request: web.Request) -> web.Response:
    """Give the conversation back to the assistant and close the hand-off."""
    user, handoff_id = current_user(request), int(request.match_info["id"])
    fields = await form(request)
    after = _audit_handoff(user, "resume_handoff", {})
    try:
        await staff.resume(handoff_id, user.username, settings_of(request), after)
    except staff.UnknownRecord as error:
        raise web.HTTPNotFound(text=str(error)) from error
    except (staff.StaffActionError, staff.RasaUnavailable) as error:
        code = 502 if isinstance(error, staff.RasaUnavailable) else 400
        return await _handoff_page(request, user, handoff_id, code, error=_failure(error))
    raise redirect(back_to(fields, "/queues?tab=handoffs"),
                   f"Hand-off #{handoff_id}: the assistant is answering again.")


def _failure(error: Exception, kept: bool = False) -> str:
    if isinstance(error, staff.RasaUnavailable):
        return (f"Not done: the assistant's server is unavailable ({error}). Nothing was "
                f"changed{'; your text is kept below' if kept else ''}. Try again in a moment.")
    return str(error)


@routes.post(f"/queues/followups/{ID}/cancel")
async def followup_cancel(request: web.Request) -> web.Response:
    """Cancel a follow-up's remaining check-ins (admins only)."""
    user, follow_up_id = require_admin(request), int(request.match_info["id"])
    fields = await form(request)

    def cancel(session: Session) -> int:
        skipped = followups.cancel_follow_up(session, follow_up_id)
        audit.record(session, user.username, "cancel_follow_up", "follow_up", str(follow_up_id),
                     {"skipped": skipped})
        return skipped

    skipped = await attempt(cancel)
    raise redirect(back_to(fields, "/queues?tab=followups"),
                   f"Follow-up #{follow_up_id} cancelled ({skipped} check-in(s) not sent).")
