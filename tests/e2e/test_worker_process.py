"""A worker process SIGKILLed while it delivers an alert: a restarted worker sends it again
once the dead worker's heartbeat is stale, with the same delivery id (a real process, so it
runs with the servers, not in the fast lane)."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from typing import AsyncIterator, Tuple

import pytest

from clinic.delivery.outbox import claim_lease
from tests.clinic.test_outbox_priority import (
    add_alert,
    outbox_rows,
    settings_for,
    until,
    until_sent,
    worker,
    worker_rows,
)
from tests.conftest import ROOT
from tests.outbox_fakes import Systems, running_systems


@pytest.fixture
async def systems() -> AsyncIterator[Tuple[Systems, str]]:
    async with running_systems() as running:
        yield running


async def test_a_killed_workers_alert_is_delivered_again_within_seconds_same_delivery_id(
        file_db, systems, tmp_path):
    """SIGKILL a worker process while it delivers an alert; a restarted worker sends it again
    once the dead worker's heartbeat is stale (3 s), not when its claim's lease ends (10 s)."""
    fake, url = systems
    fake.staff_hangs = 1  # the first worker's POST never ends: it dies holding the claim
    settings = settings_for(tmp_path, url)
    lease = claim_lease("webhook", settings).total_seconds()
    assert lease == 10.0 and settings.notify.worker_stale_seconds == 3.0  # the defaults
    env = {**os.environ, "DATABASE_URL": str(file_db.url), "PYTHONPATH": str(ROOT),
           "STAFF_NOTIFY": "webhook", "STAFF_WEBHOOK_URL": f"{url}/staff",
           "ALERT_SPOOL_DIR": str(tmp_path / "spool")}
    with open(tmp_path / "worker.log", "wb") as log:
        first = subprocess.Popen([sys.executable, "-m", "clinic.worker"], cwd=ROOT, env=env,
                                 stdout=log, stderr=subprocess.STDOUT)
    try:
        delivery_id = await asyncio.to_thread(add_alert)
        await asyncio.wait_for(fake.alert_arrived.wait(), 60)  # started, claimed, posting
    finally:
        first.kill()  # SIGKILL: nothing released, its heartbeat row stays behind
        first.wait(10)
    killed_at = time.monotonic()
    [dead] = await asyncio.to_thread(worker_rows)
    [row] = await asyncio.to_thread(outbox_rows)
    assert (row.claimed_by, row.attempts, dead.pid) == (dead.id, 1, first.pid)
    async with worker(settings):  # the restarted worker
        await until(lambda: len(fake.alerts()) == 2, 30, "the alert was not sent again")
        await until_sent()
    first_try, again = fake.alerts()
    delay = again["at"] - killed_at
    print(f"re-delivered {delay:.2f} s after SIGKILL (lease {lease:.0f} s)")
    assert delay < lease / 2  # 2-3 s; was 10.2 s (the whole lease)
    assert first_try["delivery_id"] == again["delivery_id"] == again["header"] == delivery_id
    [row] = outbox_rows()
    assert (row.status, row.attempts, row.delivery_id) == ("sent", 2, delivery_id)
    assert [w.id for w in worker_rows()] == [dead.id]  # the restarted worker's row is gone
