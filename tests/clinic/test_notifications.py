"""Outbox worker and notifiers against a real local HTTP server: signatures, retries,
no double delivery, nothing lost across a worker restart, log lines without patient data."""

from __future__ import annotations

import asyncio
import logging
import uuid
from datetime import timedelta
from typing import List

from sqlalchemy import select

from clinic.db import session_scope
from clinic.delivery.notifier import alert_payload
from clinic.delivery.outbox import backoff, claim_due, enqueue
from clinic.models import OutboxMessage, StaffAlert, utcnow
from clinic.settings import load_notify, load_settings
from tests.conftest import deliver_all

SECRET = "s3cret"


def settings_for(url: str, **extra: str):
    env = {"STAFF_WEBHOOK_URL": url, "STAFF_WEBHOOK_SECRET": SECRET,
           "NOTIFY_RETRY_BASE_SECONDS": "0.01", "NOTIFY_RETRY_CAP_SECONDS": "0.02", **extra}
    return load_settings(env)


def add_alert(targets=("webhook",), text: str = "my legs went numb") -> int:
    with session_scope() as session:
        alert = StaffAlert(channel="rest", conversation_id="+15550002222",
                           message_id=uuid.uuid4().hex, level="urgent", concepts=["new_numbness"],
                           evidence=["legs went numb"],
                           message_text=text)
        session.add(alert)
        session.flush()
        enqueue(session, "staff_alert", alert.id, alert_payload(alert, False), targets)
        return int(alert.id)


def outbox_rows() -> List[OutboxMessage]:
    with session_scope() as session:
        rows = session.execute(select(OutboxMessage).order_by(OutboxMessage.id)).scalars().all()
        session.expunge_all()
        return list(rows)


async def test_webhook_is_signed_and_carries_the_alert(db_engine, receiver):
    hook, url = receiver
    alert_id = add_alert()
    assert await deliver_all(settings_for(url)) == 1
    payload = hook.only_signed_payload(SECRET)
    assert payload["type"] == "staff_alert"
    assert payload["record"]["id"] == alert_id and payload["record"]["level"] == "urgent"
    assert "message_text" not in payload["record"]
    [row] = outbox_rows()
    assert (row.status, row.attempts, row.last_error) == ("sent", 1, None)


async def test_retries_after_500_until_delivered_and_never_twice(db_engine, receiver):
    hook, url = receiver
    hook.statuses = [500, 503]
    add_alert()
    settings = settings_for(url)
    assert await deliver_all(settings) == 0
    [row] = outbox_rows()
    assert (row.status, row.attempts, row.last_error) == ("pending", 1, "HTTP 500")
    for _ in range(20):
        await asyncio.sleep(0.03)
        if await deliver_all(settings):
            break
    [row] = outbox_rows()
    assert (row.status, row.attempts) == ("sent", 3)
    assert len({r["headers"]["X-Clinic-Delivery"] for r in hook.requests}) == 1
    await asyncio.sleep(0.05)
    assert await deliver_all(settings) == 0 and len(hook.requests) == 3


async def test_nothing_lost_across_a_worker_restart(db_engine, receiver):
    hook, url = receiver
    add_alert()
    down = settings_for("http://127.0.0.1:9/unreachable")
    assert await deliver_all(down) == 0  # first worker: receiver unreachable
    [row] = outbox_rows()
    assert row.status == "pending" and "could not reach" in row.last_error
    await asyncio.sleep(0.05)
    assert await deliver_all(settings_for(url)) == 1  # a new worker process picks it up
    assert [r.status for r in outbox_rows()] == ["sent"] and len(hook.requests) == 1


async def test_a_crashed_delivery_is_retried_after_the_claim_lease(db_engine):
    add_alert()
    assert len(claim_due()) == 1  # claimed, then the worker dies before recording
    assert claim_due() == []  # nobody else sends it meanwhile
    later = utcnow() + timedelta(minutes=3)
    [again] = claim_due(now=later)
    assert again.attempts == 2


async def test_two_workers_never_claim_the_same_row(db_engine):
    for _ in range(5):
        add_alert()
    first, second = claim_due(limit=3), claim_due(limit=10)
    assert len(first) == 3 and len(second) == 2
    assert not {c.id for c in first} & {c.id for c in second}


def created_ago(row_id: int, age: timedelta) -> None:
    """Back-date an outbox row, as if it had been written ``age`` ago."""
    with session_scope() as session:
        session.get(OutboxMessage, row_id).created_at = utcnow() - age


async def test_gives_up_only_after_the_configured_window(db_engine):
    add_alert(), add_alert()
    old, young = outbox_rows()
    created_ago(old.id, timedelta(hours=1, minutes=1))
    created_ago(young.id, timedelta(minutes=59))
    settings = settings_for("http://127.0.0.1:9/unreachable", NOTIFY_GIVE_UP_HOURS="1")
    assert await deliver_all(settings) == 0
    old, young = outbox_rows()
    assert (old.status, old.attempts) == ("failed", 1)  # older than the window: given up
    assert (young.status, young.attempts) == ("pending", 1)  # inside it: tried again later


def test_backoff_doubles_up_to_the_cap():
    settings = load_notify({"NOTIFY_RETRY_BASE_SECONDS": "5", "NOTIFY_RETRY_CAP_SECONDS": "60"})
    assert [backoff(n, settings).total_seconds() for n in (1, 2, 3, 4, 5, 50)] == [
        5, 10, 20, 40, 60, 60]


async def test_log_notifier_names_the_alert_but_not_the_patient(db_engine, caplog):
    add_alert(targets=("log",))
    with caplog.at_level(logging.INFO):
        assert await deliver_all(load_settings({})) == 1
    assert "staff_alert #1" in caplog.text and "level=urgent" in caplog.text
    assert "numb" not in caplog.text and "5550002222" not in caplog.text


def test_notify_targets_from_the_environment():
    assert load_notify({}).targets == ("log",)
    assert load_notify({"STAFF_WEBHOOK_URL": "https://x"}).targets == ("log", "webhook")
    assert load_notify({"STAFF_NOTIFY": "webhook", "STAFF_WEBHOOK_URL": "https://x"}).targets == (
        "webhook",)
    assert load_notify({"STAFF_NOTIFY": "webhook"}).targets == ("log",)  # no URL: never silent
