"""Console queues: lists, filters, masking, status changes with audit (real database)."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import select, text

from clinic.db import session_scope
from clinic.models import (
    AppointmentRequest,
    AuditEntry,
    FollowUpCheckin,
    HandoffRequest,
    SmsConsent,
    StaffAlert,
    utcnow,
)
from tests.console_client import ConsoleClient

PHONE = "+13125550199"


def add(*rows: object) -> list:
    with session_scope() as session:
        session.add_all(rows)
        session.flush()
        return [row.id for row in rows]  # type: ignore[attr-defined]


def alert(level: str, minutes_ago: int, status: str = "new", text: str = "chest pain",
          conversation: str = "web-1", channel: str = "rest") -> StaffAlert:
    return StaffAlert(channel=channel, conversation_id=conversation,
                      message_id=f"m{level}{minutes_ago}", message_text=text, level=level,
                      evidence=["chest pain"], status=status,
                      created_at=utcnow() - timedelta(minutes=minutes_ago))


def booking(status: str = "new", minutes_ago: int = 5) -> AppointmentRequest:
    return AppointmentRequest(
        reference=f"K{minutes_ago}{status[:2]}".upper(), request_key=f"key-{minutes_ago}-{status}",
        channel="twilio", conversation_id=PHONE, patient_name="Rosa Delgado",
        phone=PHONE, preferred_times="Rosa Delgado here, thursdays, or call 312 555 0199",
        procedure="kyphoplasty", contact_methods=["sms"], adapter="queue", status=status,
        created_at=utcnow() - timedelta(minutes=minutes_ago))


def shown(page: str) -> str:
    """The page without link targets (a conversation link holds its id, by design)."""
    return re.sub(r'href="[^"]*"', "", page)


def audit_rows(action: str) -> list:
    with session_scope() as session:
        return [(a.username, a.target_id, a.detail) for a in session.scalars(
            select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id))]


async def test_alerts_crisis_then_emergency_first_newest_first_and_masked(
        console: ConsoleClient) -> None:
    urgent_new, emergency_old, emergency_new, closed = add(
        alert("urgent", 1), alert("emergency", 30), alert("emergency", 2),
        alert("emergency", 0, "closed"))
    add(alert("urgent", 3, text=f"pain, my number is {PHONE}", conversation=PHONE,
              channel="twilio"))
    follow_up, crisis = add(alert("follow_up", 0), alert("crisis", 60, text="i want to die"))
    await console.login("rita")
    page = await console.page("/queues")
    rows = [int(n) for n in re.findall(r"<tr>\s*<td>(\d+)</td>", page)]
    # the oldest alert is a crisis: still first; closed ones are not "to do"
    assert rows == [crisis, emergency_new, emergency_old, urgent_new, 5, follow_up]
    assert '<span class="badge bad">crisis</span>' in page
    assert PHONE not in shown(page) and "5550199" not in shown(page)
    assert "my number is [phone]" in page and "+•••••••••99" in page
    assert 'href="/conversations/%2B13125550199"' in page
    closed_page = await console.page("/queues?tab=alerts&status=closed")
    assert f"<td>{closed}</td>" in closed_page and f"<td>{urgent_new}</td>" not in closed_page
    everything = await console.page("/queues?status=all")
    assert everything.count("<tr>") == 8  # header + 7 alerts


async def test_bad_filters_and_pages_get_clear_answers(console: ConsoleClient) -> None:
    await console.login("rita")
    for path, status in (("/queues?status=nope", 400), ("/queues?page=abc", 400),
                         ("/queues?page=0", 400), ("/queues?tab=%3Cscript%3E", 404),
                         ("/queues?tab=handoffs&status=acknowledged", 400),
                         ("/queues/appointments/5", 404), ("/queues/handoffs/x", 404)):
        response = await console.get(path)
        assert response.status == status, path
        assert "<script>" not in await response.text()
    empty = await console.page("/queues?tab=appointments")
    assert "Nothing is waiting for staff here." in empty


async def test_appointments_masked_in_list_full_in_audited_detail(console: ConsoleClient) -> None:
    [request_id] = add(booking())
    add(SmsConsent(phone=PHONE, status="opted_out", keyword="STOP"))
    await console.login("rita")
    page = await console.page("/queues?tab=appointments")
    assert "Rosa" not in page and "Delgado" not in page and "0199" not in shown(page)
    assert "[name] here, thursdays, or call [phone]" in page and "Opted out of texts" in page
    assert audit_rows("view_appointment_request") == []
    detail = await console.page(f"/queues/appointments/{request_id}")
    assert "Rosa Delgado" in detail and PHONE in detail
    assert audit_rows("view_appointment_request") == [("rita", str(request_id), {})]


async def test_status_changes_are_validated_and_audited(console: ConsoleClient) -> None:
    alert_id, = add(alert("emergency", 1))
    booking_id, = add(booking("sent"))
    await console.login("rita")
    back = "/queues?tab=alerts&status=all"
    response = await console.post(f"/queues/alerts/{alert_id}/status",
                                  {"status": "acknowledged", "back": back})
    assert response.status == 303 and response.headers["Location"].startswith(back + "&msg=")
    response = await console.post(f"/queues/alerts/{alert_id}/status", {"status": "acknowledged"})
    assert response.status == 400 and "already acknowledged" in await response.text()
    assert (await console.post(f"/queues/alerts/{alert_id}/status",
                               {"status": "new"})).status == 400
    assert (await console.post("/queues/alerts/999/status", {"status": "closed"})).status == 404
    assert (await console.post(f"/queues/alerts/{alert_id}/status", {"status": "closed"},
                               csrf=False)).status == 403
    assert (await console.post(f"/queues/appointments/{booking_id}/status",
                               {"status": "sent"})).status == 400
    for status in ("contacted", "closed", "contacted"):  # closed by mistake: reopened
        response = await console.post(f"/queues/appointments/{booking_id}/status",
                                      {"status": status, "back": "https://evil.example/"})
        assert response.status == 303 and response.headers["Location"].startswith("/queues?")
    with session_scope() as session:
        row = session.get(StaffAlert, alert_id)
        assert (row.status, row.handled_by) == ("acknowledged", "rita")
        assert session.get(AppointmentRequest, booking_id).status == "contacted"
    assert audit_rows("set_alert_status") == [
        ("rita", str(alert_id), {"from": "new", "to": "acknowledged"})]
    assert [d["to"] for _, _, d in audit_rows("set_appointment_status")] == [
        "contacted", "closed", "contacted"]


async def test_handoffs_show_whether_the_bot_is_paused(console: ConsoleClient) -> None:
    waiting, resumed_elsewhere = add(
        HandoffRequest(channel="rest", conversation_id="web-7", message_id="a",
                       reason="patient_request", message_text="a person please",
                       during_office_hours=True),
        HandoffRequest(channel="twilio", conversation_id=PHONE, message_id="b",
                       reason="fallback", message_text="??", during_office_hours=False))
    await console.login("rita")
    page = await console.page("/queues?tab=handoffs")
    assert page.count("badge warn\">Paused") == 2
    with session_scope() as session:  # Rasa's own table: the SMS chat was resumed since
        session.execute(text("CREATE TABLE events (id INTEGER PRIMARY KEY, sender_id TEXT, "
                             "type_name TEXT, timestamp REAL, intent_name TEXT, "
                             "action_name TEXT, data TEXT)"))
        for kind in ("pause", "user", "resume", "user"):
            session.execute(text("INSERT INTO events (sender_id, type_name) VALUES (:s, :k)"),
                            {"s": PHONE, "k": kind})
        session.execute(text("INSERT INTO events (sender_id, type_name) VALUES ('web-7', "
                             "'pause')"))
    page = await console.page("/queues?tab=handoffs")
    assert page.count("badge warn\">Paused") == 1 and page.count("badge ok\">Answering") == 1
    assert f'href="/queues/handoffs/{waiting}"' in page
    assert f'href="/queues/handoffs/{resumed_elsewhere}"' in page


async def test_followups_listed_with_answers_and_cancelled_by_admins_only(
        console: ConsoleClient, settings_env) -> None:
    from datetime import date

    from clinic.followups.schedule import register

    follow_up = register("312 555 0199", "kyphoplasty", date.today() + timedelta(days=2),
                         "kim", None, settings_env())
    with session_scope() as session:
        first = session.scalars(select(FollowUpCheckin).where(
            FollowUpCheckin.follow_up_id == follow_up).order_by(FollowUpCheckin.day_offset)).first()
        first.status, first.pain_score, first.red_flag = "answered", 7, "reported"
    await console.login("rita")
    page = await console.page("/queues?tab=followups")
    assert "pain <strong>7/10</strong>" in page and "red flag: <span class=\"badge bad\">" in page
    assert "0199" not in shown(page) and "Cancel check-ins" not in page
    assert (await console.post(f"/queues/followups/{follow_up}/cancel")).status == 403
    admin = ConsoleClient(console.client)
    await admin.login("ada", role="admin")
    assert "Cancel check-ins" in await admin.page("/queues?tab=followups")
    assert (await admin.post(f"/queues/followups/{follow_up}/cancel")).status == 303
    assert (await admin.post(f"/queues/followups/{follow_up}/cancel")).status == 400
    assert (await admin.post("/queues/followups/999/cancel")).status == 404
    assert audit_rows("cancel_follow_up") == [("ada", str(follow_up), {"skipped": 2})]
    assert "Cancelled" in await admin.page("/queues?tab=followups&status=cancelled")


async def test_sms_consent_tab(console: ConsoleClient) -> None:
    add(SmsConsent(phone=PHONE, status="opted_out", keyword="STOP"),
        SmsConsent(phone="+17735550142", status="opted_in", keyword="START"))
    await console.login("rita")
    page = await console.page("/queues?tab=consent")
    assert "Opted out of texts" in page and "Opted in to texts" in page and "0199" not in page
    only = await console.page("/queues?tab=consent&status=opted_in")
    assert "Opted out of texts" not in only
