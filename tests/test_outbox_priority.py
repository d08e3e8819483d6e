"""Alerts first: a crashed worker's claim ends within seconds (same delivery id), a hanging
scheduling webhook never delays a staff alert, and alerts are claimed before everything else.

The worker runs for real (``run_forever``) against local HTTP servers and a SQLite file (the
worker's threads and the test write to it at the same time, as in production).
"""

from __future__ import annotations

import asyncio
import time
import uuid
from contextlib import asynccontextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any, AsyncIterator, Dict, List, Tuple

import aiohttp
import pytest
from aiohttp import web
from sqlalchemy import select

from actions import db
from actions.config import Settings, load_settings
from actions.models import OutboxMessage, StaffAlert, utcnow
from actions.notifier import alert_payload
from actions.outbox import (
    APPOINTMENT_KIND,
    HANDOFF_KIND,
    SCHEDULING_TARGET,
    attempt_seconds,
    claim_due,
    claim_lease,
    enqueue,
    record_result,
)
from actions.worker import run_forever, run_once
from tests.helpers import serve

SCHEDULING_TIMEOUT = 5.0  # the default SCHEDULING_WEBHOOK_TIMEOUT_SECONDS


class Systems:
    """A staff webhook that answers at once and a scheduling system that can hang."""

    def __init__(self) -> None:
        self.arrivals: List[Dict[str, Any]] = []
        self.alert_arrived = asyncio.Event()
        self.hang = False
        self.hung = asyncio.Event()  # a scheduling request is hanging
        self.let_go = asyncio.Event()
        self.scheduling_answered = 0

    async def record(self, request: web.Request, target: str) -> Dict[str, Any]:
        body = await request.json()
        arrival = {"target": target, "type": body["type"], "delivery_id": body["delivery_id"],
                   "header": request.headers["X-Clinic-Delivery"], "at": time.monotonic()}
        self.arrivals.append(arrival)
        return arrival

    async def staff(self, request: web.Request) -> web.Response:
        arrival = await self.record(request, "webhook")
        if arrival["type"] == "staff_alert":
            self.alert_arrived.set()
        return web.Response()

    async def scheduling(self, request: web.Request) -> web.Response:
        await self.record(request, SCHEDULING_TARGET)
        if self.hang:
            self.hung.set()
            await self.let_go.wait()
        self.scheduling_answered += 1
        return web.Response()

    def alerts(self) -> List[Dict[str, Any]]:
        return [a for a in self.arrivals if a["type"] == "staff_alert"]


@pytest.fixture
async def systems() -> AsyncIterator[Tuple[Systems, str]]:
    fake = Systems()
    app = web.Application()
    app.router.add_post("/staff", fake.staff)
    app.router.add_post("/scheduling", fake.scheduling)
    async with serve(app) as url:
        try:
            yield fake, url
        finally:
            fake.let_go.set()  # hanging handlers end before the server stops


def settings_for(tmp_path: Path, url: str, **extra: str) -> Settings:
    return load_settings({
        "STAFF_NOTIFY": "webhook", "STAFF_WEBHOOK_URL": f"{url}/staff",
        "SCHEDULING_WEBHOOK_URL": f"{url}/scheduling",
        "ALERT_SPOOL_DIR": str(tmp_path / "spool"),
        "NOTIFY_RETRY_BASE_SECONDS": "0.01", "NOTIFY_RETRY_CAP_SECONDS": "0.02", **extra,
    })


def add_alert(level: str = "emergency") -> str:
    """A red-flag alert with one staff webhook notification; returns its delivery id."""
    with db.session_scope() as session:
        alert = StaffAlert(channel="rest", conversation_id="rest-patient",
                           message_id=uuid.uuid4().hex, level=level,
                           concepts=["leg_paralysis"], evidence=["can't move my legs"],
                           message_text="i suddenly can't move my legs")
        session.add(alert)
        session.flush()
        [row] = enqueue(session, "staff_alert", alert.id, alert_payload(alert, False),
                        ["webhook"])
        return str(row.delivery_id)


def add_requests(count: int, kind: str = APPOINTMENT_KIND,
                 target: str = SCHEDULING_TARGET) -> None:
    with db.session_scope() as session:
        for number in range(count):
            enqueue(session, kind, 1000 + number, {"id": 1000 + number}, [target])


def outbox_rows() -> List[OutboxMessage]:
    with db.session_scope() as session:
        rows = session.execute(select(OutboxMessage).order_by(OutboxMessage.id)).scalars().all()
        session.expunge_all()
        return list(rows)


async def until_sent(timeout: float = 5.0) -> None:
    """Wait until every outbox row is stored as sent (the worker records after the POST)."""
    deadline = time.monotonic() + timeout
    while {r.status for r in await asyncio.to_thread(outbox_rows)} != {"sent"}:
        assert time.monotonic() < deadline, "not every row was recorded as sent"
        await asyncio.sleep(0.02)


@asynccontextmanager
async def worker(settings: Settings) -> AsyncIterator[asyncio.Task[None]]:
    stop = asyncio.Event()
    task = asyncio.create_task(run_forever(settings, stop))
    try:
        yield task
    finally:
        stop.set()
        await asyncio.wait_for(task, 5)


async def test_a_crashed_workers_claim_is_delivered_again_within_seconds_same_delivery_id(
        file_db, systems, tmp_path):
    fake, url = systems
    settings = settings_for(tmp_path, url, STAFF_WEBHOOK_TIMEOUT_SECONDS="0.5",
                            NOTIFY_CLAIM_MARGIN_SECONDS="0.5")
    lease = claim_lease("webhook", settings).total_seconds()
    assert lease == 1.0
    delivery_id = add_alert()
    crashed_at = time.monotonic()
    [crashed] = claim_due(settings=settings)  # claimed, then the worker dies: never recorded
    async with worker(settings):  # the restarted worker
        await asyncio.wait_for(fake.alert_arrived.wait(), 5)  # the old lease was 120 s
        await until_sent()
    [arrival] = fake.alerts()
    delay = arrival["at"] - crashed_at
    assert lease - 0.05 <= delay < lease + 1.0  # not while the claim held; soon after
    assert arrival["delivery_id"] == arrival["header"] == crashed.delivery_id == delivery_id
    [row] = outbox_rows()
    assert (row.status, row.attempts, row.delivery_id) == ("sent", 2, delivery_id)


def test_a_claim_outlives_the_longest_attempt_by_the_margin_only():
    settings = load_settings({"STAFF_WEBHOOK_URL": "http://x", "SCHEDULING_WEBHOOK_URL": "http://y",
                              "SCHEDULING_WEBHOOK_TIMEOUT_SECONDS": "8"})
    margin = settings.notify.claim_margin_seconds
    assert margin == 5.0
    for target, attempt in (("webhook", 5.0), (SCHEDULING_TARGET, 8.0), ("log", 1.0)):
        assert attempt_seconds(target, settings) == attempt
        assert claim_lease(target, settings) == timedelta(seconds=attempt + margin)
    assert claim_lease(SCHEDULING_TARGET, settings) < timedelta(seconds=15)


async def test_a_hanging_scheduling_webhook_never_delays_a_new_alert(file_db, systems, tmp_path):
    fake, url = systems
    fake.hang = True
    settings = settings_for(tmp_path, url)
    assert settings.scheduling.timeout_seconds == SCHEDULING_TIMEOUT
    add_requests(3)
    async with worker(settings):
        await asyncio.wait_for(fake.hung.wait(), 5)  # the scheduling system hangs
        stored_at = time.monotonic()
        await asyncio.to_thread(add_alert)
        await asyncio.wait_for(fake.alert_arrived.wait(), SCHEDULING_TIMEOUT / 2)
        [arrival] = fake.alerts()
        assert fake.scheduling_answered == 0  # still hanging when the alert went out
    assert arrival["at"] - stored_at < 1.0  # was 17 s: behind three 5 s timeouts in a row


async def test_stopping_the_worker_makes_its_deliveries_in_flight_due_again(
        file_db, systems, tmp_path):
    fake, url = systems
    fake.hang = True
    settings = settings_for(tmp_path, url)
    add_requests(1)
    async with worker(settings):
        await asyncio.wait_for(fake.hung.wait(), 5)
        stopping = time.monotonic()
    assert time.monotonic() - stopping < 1.0  # did not wait for the hanging webhook
    [row] = outbox_rows()
    assert row.status == "pending" and row.attempts == 1 and row.next_attempt_at <= utcnow()
    [again] = claim_due(settings=settings)  # the next worker sends it at once, same id
    assert again.delivery_id == row.delivery_id


async def test_alerts_are_claimed_and_delivered_before_due_appointment_requests(
        file_db, systems, tmp_path):
    fake, url = systems
    settings = settings_for(tmp_path, url)
    add_requests(30)
    add_requests(1, HANDOFF_KIND, "webhook")
    delivery_id = add_alert("urgent")  # due last of all
    first = claim_due(limit=2, settings=settings)
    assert [c.kind for c in first] == ["staff_alert", HANDOFF_KIND]
    assert first[0].delivery_id == delivery_id and first[0].is_alert
    with db.session_scope() as session:  # unclaim them: due again, still the newest rows
        for row in session.execute(select(OutboxMessage)).scalars():
            row.next_attempt_at, row.attempts = utcnow() - timedelta(seconds=1), 0
    async with aiohttp.ClientSession() as http:
        assert await run_once(settings, http) == 32
    assert fake.arrivals[0]["delivery_id"] == delivery_id
    assert {r.status for r in outbox_rows()} == {"sent"}


def test_a_late_failure_never_cuts_short_another_workers_claim(file_db, tmp_path):
    settings = settings_for(tmp_path, "http://127.0.0.1:9")
    add_alert()
    start = utcnow()
    [stale] = claim_due(now=start, settings=settings)  # a worker that hangs past its lease
    later = start + claim_lease("webhook", settings) + timedelta(seconds=1)
    assert stale.lease_until == later - timedelta(seconds=1)
    [current] = claim_due(now=later, settings=settings)  # another worker's claim
    assert record_result(stale, "HTTP 500", settings.notify) == "pending"
    [row] = outbox_rows()
    assert row.next_attempt_at == current.lease_until  # untouched: nobody else sends it now
    record_result(stale, None, settings.notify)  # but a success is a success
    [row] = outbox_rows()
    assert row.status == "sent"
