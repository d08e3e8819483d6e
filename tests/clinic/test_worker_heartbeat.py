"""Worker heartbeats: settings, when a worker's claims hold, a worker that cannot write its
heartbeat stops delivering before another may take over, and ``--once`` cleans up after itself.
"""

from __future__ import annotations

import asyncio
import time
from datetime import timedelta
from typing import Any

import aiohttp
from aiohttp import web

from clinic.delivery.heartbeat import Heartbeat
from clinic.delivery.outbox import claim_due
from clinic.models import utcnow
from clinic.settings import load_settings
from clinic.worker import Database, Lane, run_once
from tests.clinic.test_outbox_priority import add_alert, outbox_rows, settings_for, worker_rows
from tests.helpers import serve


async def no_database(*_: Any) -> Any:
    raise AssertionError("not used")


def test_heartbeat_settings_default_to_1_and_3_seconds_and_stale_is_three_heartbeats_or_more():
    notify = load_settings({}).notify
    assert (notify.heartbeat_seconds, notify.worker_stale_seconds) == (1.0, 3.0)
    notify = load_settings({"WORKER_HEARTBEAT_SECONDS": "2", "WORKER_STALE_SECONDS": "3"}).notify
    assert (notify.heartbeat_seconds, notify.worker_stale_seconds) == (2.0, 6.0)
    notify = load_settings({"WORKER_HEARTBEAT_SECONDS": "0", "WORKER_STALE_SECONDS": "x"}).notify
    assert (notify.heartbeat_seconds, notify.worker_stale_seconds) == (0.1, 3.0)


def test_claims_hold_while_the_heartbeat_is_fresh_and_never_across_a_lapse():
    heartbeat = Heartbeat(load_settings({}).notify, no_database)
    assert heartbeat.window == 2.0  # one heartbeat before others take its claims (3 s)
    assert not heartbeat.holds(heartbeat.epoch)  # no heartbeat yet: claim nothing
    now = time.monotonic()
    heartbeat.record(now)
    epoch = heartbeat.epoch
    assert heartbeat.holds(epoch) and heartbeat.fresh_until == now + 2.0
    heartbeat.record(now + 0.5)  # on time: the same claims go on holding
    assert heartbeat.holds(epoch) and heartbeat.fresh_until == now + 2.5
    heartbeat.fresh_until = time.monotonic() - 0.1  # no heartbeat written for too long
    assert not heartbeat.holds(epoch)
    heartbeat.record(time.monotonic())  # written again: new claims hold, the old never again
    assert not heartbeat.holds(epoch) and heartbeat.holds(heartbeat.epoch)


async def test_a_worker_that_cannot_write_its_heartbeat_stops_before_others_may_take_over(
        file_db, tmp_path):
    hanging = asyncio.Event()

    async def hang(request: web.Request) -> web.Response:
        hanging.set()
        await asyncio.sleep(60)
        return web.Response()

    app = web.Application()
    app.router.add_post("/staff", hang)
    async with serve(app) as url, aiohttp.ClientSession() as http:
        # a 20 s webhook timeout (lease 25 s) and a 0.25 s heartbeat: claims hold 0.5 s
        # without one, others take them after 0.75 s
        settings = settings_for(tmp_path, url, STAFF_WEBHOOK_TIMEOUT_SECONDS="20",
                                WORKER_HEARTBEAT_SECONDS="0.25", WORKER_STALE_SECONDS="0.75")
        stale = timedelta(seconds=settings.notify.worker_stale_seconds)
        database = Database()
        heartbeat = Heartbeat(settings.notify, database.run)
        await heartbeat.beat()  # the last heartbeat this worker manages to write
        delivery_id = await asyncio.to_thread(add_alert)
        [claimed] = await asyncio.to_thread(claim_due, 1, None, settings, True,
                                            heartbeat.worker_id)
        lane = Lane("alert", True, 8, settings, http, database, heartbeat)
        started = time.monotonic()
        await asyncio.wait_for(lane.attempt(claimed, heartbeat.epoch), 15)
        stopped = utcnow()
        assert hanging.is_set() and time.monotonic() - started < 5  # not the 20 s timeout
    [row] = outbox_rows()
    [beat] = worker_rows()
    assert stopped < beat.heartbeat_at + stale  # before it looked dead
    assert row.status == "pending" and row.claimed_by is None and row.next_attempt_at <= utcnow()
    [again] = claim_due(settings=settings, worker_id="another-worker")  # at once, same id
    assert again.delivery_id == delivery_id and again.attempts == 2


async def test_a_run_once_worker_claims_in_its_name_and_deletes_its_heartbeat(
        file_db, tmp_path):
    seen = []

    async def staff(request: web.Request) -> web.Response:  # while the claim is held
        [row] = await asyncio.to_thread(outbox_rows)
        seen.append((row.claimed_by, [w.id for w in await asyncio.to_thread(worker_rows)]))
        return web.Response()

    app = web.Application()
    app.router.add_post("/staff", staff)
    add_alert()
    async with serve(app) as url, aiohttp.ClientSession() as http:
        assert await run_once(settings_for(tmp_path, url), http) == 1
    [(claimed_by, workers)] = seen
    assert claimed_by is not None and workers == [claimed_by]
    [row] = outbox_rows()
    assert (row.status, row.attempts, row.claimed_by) == ("sent", 1, None)
    assert worker_rows() == []
