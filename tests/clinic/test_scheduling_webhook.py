"""The webhook adapter against a local scheduling system: signed JSON, retries after
errors, never sent twice, nothing lost when the worker restarts, status new -> sent."""

from __future__ import annotations

import asyncio

from sqlalchemy import select

from clinic.booking.appointments import AppointmentDetails, store_request
from clinic.db import session_scope
from clinic.models import AppointmentRequest, OutboxMessage
from clinic.settings import load_settings
from tests.conftest import deliver_all

SECRET = "scheduling-secret"


def settings_for(url: str):
    return load_settings({
        "SCHEDULING_WEBHOOK_URL": url, "SCHEDULING_WEBHOOK_SECRET": SECRET,
        "NOTIFY_RETRY_BASE_SECONDS": "0.01", "NOTIFY_RETRY_CAP_SECONDS": "0.02",
    })


def book(settings_env, url: str) -> int:
    settings_env(SCHEDULING_WEBHOOK_URL=url, SCHEDULING_WEBHOOK_SECRET=SECRET)
    stored = store_request(AppointmentDetails(
        "+17735550142", "twilio", "Rosa Delgado", "+17735550142", "thursday afternoons",
        ["2026-11-26"], "vertebroplasty", "text"))
    return stored.id


def request_status(request_id: int) -> str:
    with session_scope() as session:
        return str(session.get(AppointmentRequest, request_id).status)


async def test_request_is_posted_signed_and_marked_sent(db_engine, receiver, settings_env):
    hook, url = receiver
    request_id = book(settings_env, url)
    assert request_status(request_id) == "new"
    assert await deliver_all(settings_for(url)) == 1
    payload = hook.only_signed_payload(SECRET)
    assert payload["type"] == "appointment_request"
    record = payload["record"]
    assert record["id"] == request_id and record["reference"].startswith("APT-")
    assert record["patient"] == {"name": "Rosa Delgado", "phone": "+17735550142"}
    assert record["preferred_times"] == {"text": "thursday afternoons", "dates": ["2026-11-26"]}
    assert (record["procedure"], record["contact_methods"]) == ("vertebroplasty", ["sms"])
    assert request_status(request_id) == "sent"


async def test_retried_after_500_with_one_delivery_id_and_never_twice(
        db_engine, receiver, settings_env):
    hook, url = receiver
    hook.statuses = [500, 502]
    request_id = book(settings_env, url)
    settings = settings_for(url)
    assert await deliver_all(settings) == 0
    assert request_status(request_id) == "new"  # not sent until the system accepted it
    for _ in range(20):
        await asyncio.sleep(0.03)
        if await deliver_all(settings):
            break
    assert request_status(request_id) == "sent"
    assert len(hook.requests) == 3
    assert len({r["headers"]["X-Clinic-Delivery"] for r in hook.requests}) == 1
    await asyncio.sleep(0.05)
    assert await deliver_all(settings) == 0 and len(hook.requests) == 3


async def test_nothing_lost_when_the_system_is_down_and_the_worker_restarts(
        db_engine, receiver, settings_env):
    hook, url = receiver
    request_id = book(settings_env, url)
    assert await deliver_all(settings_for("http://127.0.0.1:9/down")) == 0
    with session_scope() as session:
        [row] = session.execute(select(OutboxMessage)).scalars().all()
        assert row.status == "pending" and "could not reach" in row.last_error
    await asyncio.sleep(0.05)
    assert await deliver_all(settings_for(url)) == 1  # a new worker process
    assert request_status(request_id) == "sent" and len(hook.requests) == 1


async def test_a_status_staff_already_set_is_not_overwritten(db_engine, receiver, settings_env):
    hook, url = receiver
    request_id = book(settings_env, url)
    with session_scope() as session:
        session.get(AppointmentRequest, request_id).status = "contacted"
    assert await deliver_all(settings_for(url)) == 1
    assert request_status(request_id) == "contacted"


async def test_missing_webhook_url_is_retried_not_dropped(db_engine, settings_env):
    book(settings_env, "http://127.0.0.1:9/hook")
    assert await deliver_all(load_settings({})) == 0  # configuration lost: keep the row
    with session_scope() as session:
        [row] = session.execute(select(OutboxMessage)).scalars().all()
        assert row.status == "pending" and "no webhook URL" in row.last_error
