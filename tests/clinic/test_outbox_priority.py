"""Alerts first: a killed worker's claim ends within seconds (its heartbeat goes stale; same
delivery id) while a live worker's claim holds, a hanging scheduling webhook never delays a
staff alert, and alerts are claimed before everything else.

The worker runs for real (``run_forever``; as a process that is killed in
``tests/e2e/test_worker_process.py``) against local HTTP servers and a SQLite file (the
worker's threads and the test write to it at the same time, as in production). Claims and
heartbeats are checked with ``now`` set by the test.
"""

from __future__ import annotations

import asyncio
import os
import time
import uuid
from contextlib import asynccontextmanager
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, AsyncIterator, List, Optional, Tuple

import aiohttp
import pytest
from sqlalchemy import select

from clinic import db
from clinic.delivery.heartbeat import beat
from clinic.delivery.notifier import alert_payload
from clinic.delivery.outbox import (
    APPOINTMENT_KIND,
    HANDOFF_KIND,
    SCHEDULING_TARGET,
    attempt_seconds,
    claim_due,
    claim_lease,
    enqueue,
    record_result,
)
from clinic.models import OutboxMessage, StaffAlert, WorkerHeartbeat, utcnow
from clinic.settings import Settings, load_settings
from clinic.worker import run_forever, run_once
from tests.outbox_fakes import Systems, running_systems

SCHEDULING_TIMEOUT = 5.0  # the default SCHEDULING_WEBHOOK_TIMEOUT_SECONDS


@pytest.fixture
async def systems() -> AsyncIterator[Tuple[Systems, str]]:
    async with running_systems() as running:
        yield running


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


def worker_rows() -> List[WorkerHeartbeat]:
    with db.session_scope() as session:
        rows = session.execute(select(WorkerHeartbeat)).scalars().all()
        session.expunge_all()
        return list(rows)


def alive(worker_id: str, at: datetime) -> None:
    """A heartbeat of ``worker_id`` stamped ``at`` (as its worker's loop writes it)."""
    beat(worker_id, "host", 1, at, now=at)


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


async def until(condition: Any, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, what
        await asyncio.sleep(0.02)


def test_a_live_workers_claim_is_not_taken_before_its_lease_ends(file_db, tmp_path):
    settings = settings_for(tmp_path, "http://127.0.0.1:9")
    stale = settings.notify.worker_stale_seconds
    delivery_id = add_alert()
    start = utcnow()
    alive("worker-a", start)
    [claimed] = claim_due(now=start, settings=settings, worker_id="worker-a")
    assert claimed.claimed_by == "worker-a" and outbox_rows()[0].claimed_by == "worker-a"
    lease_end = start + claim_lease("webhook", settings)
    seconds = 0.5
    while start + timedelta(seconds=seconds) < lease_end:  # worker A keeps beating
        now = start + timedelta(seconds=seconds)
        alive("worker-a", now - timedelta(seconds=stale - 0.1))  # old, not stale yet
        alive("worker-b", now)
        assert claim_due(now=now, settings=settings, worker_id="worker-b") == []
        seconds += 0.5
    alive("worker-b", lease_end)  # the lease ends: due again even though A still lives
    [again] = claim_due(now=lease_end, settings=settings, worker_id="worker-b")
    assert (again.delivery_id, again.attempts, again.claimed_by) == (delivery_id, 2, "worker-b")


def test_a_claim_whose_workers_heartbeat_is_stale_is_taken_same_delivery_id(file_db, tmp_path):
    settings = settings_for(tmp_path, "http://127.0.0.1:9")
    stale = timedelta(seconds=settings.notify.worker_stale_seconds)
    delivery_id = add_alert()
    start = utcnow()
    alive("worker-a", start)
    [dead] = claim_due(now=start, settings=settings, worker_id="worker-a")  # then A is killed
    just_before = start + stale - timedelta(seconds=0.1)
    alive("worker-b", just_before)
    assert claim_due(now=just_before, settings=settings, worker_id="worker-b") == []
    after = start + stale + timedelta(seconds=0.1)
    alive("worker-b", after)
    [taken] = claim_due(now=after, settings=settings, worker_id="worker-b")
    assert (taken.delivery_id, taken.attempts, taken.claimed_by) == (delivery_id, 2, "worker-b")
    assert taken.lease_until == after + claim_lease("webhook", settings)
    alive("worker-c", after)  # a third worker: B is alive, so the row stays B's
    assert claim_due(now=after, settings=settings, worker_id="worker-c") == []
    assert record_result(dead, "HTTP 500", settings.notify) == "pending"  # A's late failure
    [row] = outbox_rows()
    assert (row.next_attempt_at, row.claimed_by) == (taken.lease_until, "worker-b")  # ignored


def test_a_claim_whose_worker_has_no_heartbeat_row_is_taken_at_once(file_db, tmp_path):
    settings = settings_for(tmp_path, "http://127.0.0.1:9")
    add_alert()
    add_alert()
    start = utcnow()
    [gone] = claim_due(limit=1, now=start, settings=settings, worker_id="stopped-worker")
    [anonymous] = claim_due(limit=1, now=start, settings=settings)  # no worker: lease only
    alive("worker-b", start)
    [taken] = claim_due(now=start, settings=settings, worker_id="worker-b")
    assert taken.id == gone.id != anonymous.id and taken.delivery_id == gone.delivery_id


def test_a_row_waiting_out_its_backoff_belongs_to_no_worker(file_db, tmp_path):
    settings = settings_for(tmp_path, "http://127.0.0.1:9", NOTIFY_RETRY_BASE_SECONDS="60",
                            NOTIFY_RETRY_CAP_SECONDS="600")
    add_alert()
    start = utcnow()
    alive("worker-a", start)
    [claimed] = claim_due(now=start, settings=settings, worker_id="worker-a")
    assert record_result(claimed, "HTTP 500", settings.notify, now=start) == "pending"
    [row] = outbox_rows()
    assert row.claimed_by is None and row.next_attempt_at == start + timedelta(seconds=60)
    later = start + timedelta(seconds=30)  # worker A is long dead: the backoff still holds
    alive("worker-b", later)
    assert claim_due(now=later, settings=settings, worker_id="worker-b") == []


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
    assert row.claimed_by is None and worker_rows() == []  # released, heartbeat row deleted
    [again] = claim_due(settings=settings)  # the next worker sends it at once, same id
    assert again.delivery_id == row.delivery_id


async def test_a_running_worker_refreshes_its_heartbeat_and_deletes_it_on_stop(
        file_db, systems, tmp_path):
    _, url = systems
    settings = settings_for(tmp_path, url)
    assert settings.notify.heartbeat_seconds == 1.0
    first: Optional[WorkerHeartbeat] = None
    async with worker(settings):
        await until(lambda: len(worker_rows()) == 1, 10, "no heartbeat row")
        [first] = await asyncio.to_thread(worker_rows)
        assert first.pid == os.getpid() and first.started_at <= first.heartbeat_at
        await until(lambda: worker_rows()[0].heartbeat_at > first.heartbeat_at, 10,
                    "the heartbeat was not refreshed")
        [later] = await asyncio.to_thread(worker_rows)
        assert (later.id, later.started_at) == (first.id, first.started_at)
    assert worker_rows() == []  # stopped cleanly: gone, so nobody waits for it to go stale


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
