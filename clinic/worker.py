"""Background worker: delivers the outbox with retries and backoff; sends due check-ins.

The outbox holds staff notifications and appointment requests for the scheduling system.
Post-procedure check-ins are started through Rasa's API (``clinic.followups.checkin_sender``).

``python -m clinic.worker`` (started by ``make run``) runs two delivery lanes side by side:

- **alerts** (staff alerts: red flags and worse pain): looked for every
  ``WORKER_ALERT_POLL_SECONDS`` (0.2 s), up to ``ALERT_CONCURRENCY`` delivered at once;
- **everything else** (hand-offs first, then appointment requests): every
  ``WORKER_POLL_SECONDS``, up to ``OTHER_CONCURRENCY`` at once.

A lane claims only as many rows as it has free slots, so a claimed row is sent at once and
no claim waits behind another delivery; a hanging webhook holds one slot of its own lane for
at most its timeout, never an alert. Every attempt ends the margin before its claim does
(``clinic.delivery.outbox``). Spooled alerts are stored on each alert poll; check-ins have a loop of
their own.
``--once`` delivers what is due and exits. Everything the worker needs is in the database,
so stopping or restarting it loses nothing: on stop, deliveries in flight are abandoned and
their rows are due again at once (same delivery id), then the worker's heartbeat row is
deleted; after a crash (SIGKILL), once its heartbeat is ``WORKER_STALE_SECONDS`` (3 s) old
(``clinic.delivery.heartbeat``). A worker that cannot write its heartbeat stops its
deliveries before another worker may take them over.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
import time
from typing import Any, Awaitable, Callable, List, Optional, Set, Tuple, TypeVar

import aiohttp
from sqlalchemy.exc import SQLAlchemyError

from clinic.db import run_in_thread
from clinic.delivery.heartbeat import Heartbeat
from clinic.delivery.notifier import deliver
from clinic.delivery.outbox import Claimed, claim_due, claim_lease, record_result, release
from clinic.followups.checkin_sender import send_due
from clinic.models import utcnow
from clinic.safety.alert_spool import replay_spool
from clinic.settings import Settings, get_settings

logger = logging.getLogger(__name__)

ALERT_CONCURRENCY = 8  # alert deliveries at once (each to one target)
OTHER_CONCURRENCY = 4  # hand-offs and appointment requests at once
TIMED_OUT = "TimeoutError: could not reach the webhook"
T = TypeVar("T")


class Database:
    """The worker's database calls, one at a time in a thread (they take milliseconds).

    SQLite takes one writer anyway, and the calls never share a connection at once.
    """

    def __init__(self) -> None:
        self._lock = asyncio.Lock()

    async def run(self, function: Callable[..., T], *args: Any) -> T:
        """Run ``function(*args)`` off the event loop, after the calls before it."""
        async with self._lock:
            return await run_in_thread(function, *args)


class Lane:
    """Claims and delivers one kind of outbox row (alerts, or the rest) concurrently."""

    def __init__(self, name: str, alerts: bool, concurrency: int, settings: Settings,
                 http: aiohttp.ClientSession, database: Database, heartbeat: Heartbeat) -> None:
        self.name = name
        self.alerts = alerts
        self.concurrency = concurrency
        self.settings = settings
        self.http = http
        self.database = database
        self.heartbeat = heartbeat
        self.delivered = 0
        self.in_flight: Set[asyncio.Task[None]] = set()
        self.freed = asyncio.Event()  # a delivery ended: a slot is free

    async def fill(self) -> int:
        """Claim as many due rows as there are free slots and start each delivery now."""
        free = self.concurrency - len(self.in_flight)
        epoch = self.heartbeat.epoch
        if free <= 0 or not self.heartbeat.holds(epoch):  # no heartbeat: claim nothing
            return 0
        batch = await self.database.run(claim_due, free, None, self.settings, self.alerts,
                                        self.heartbeat.worker_id)
        for message in batch:
            task = asyncio.create_task(self.attempt(message, epoch))
            self.in_flight.add(task)
            task.add_done_callback(self._done)
        return len(batch)

    def _done(self, task: asyncio.Task[None]) -> None:
        self.in_flight.discard(task)
        self.freed.set()
        if not task.cancelled() and task.exception() is not None:
            logger.error("A %s delivery failed unexpectedly; its row is due again when its "
                         "claim ends", self.name, exc_info=task.exception())

    async def attempt(self, message: Claimed, epoch: int) -> None:
        """Deliver one claimed row within its claim, then store the outcome.

        The claim holds while the lease runs and this worker's heartbeat (of ``epoch``) does.
        """
        notify = self.settings.notify
        lease_until = message.lease_until or utcnow() + claim_lease(message.target, self.settings)
        # Over by the margin before the lease ends: the margin is for storing the outcome.
        budget = (lease_until - utcnow()).total_seconds() - notify.claim_margin_seconds
        try:
            if budget <= 0 or not self.heartbeat.holds(epoch):
                # the claim itself took that long: let a new claim start afresh
                await self.give_back(message, "claimed too long ago to send")
                return
            held, error = await self.deliver_within(message, time.monotonic() + budget, epoch)
            if not held:  # another worker may take the row now: stop before it does
                await self.give_back(message, "this worker's heartbeat lapsed; delivery stopped")
                return
        except asyncio.CancelledError:
            await self.database.run(release, message)  # the worker stops: due again now
            raise
        try:
            status = await self.database.run(record_result, message, error,
                                             self.settings.notify)
        except SQLAlchemyError as exc:
            logger.error("Notification %s (%s): outcome not stored (%s); it is due again "
                         "when its claim ends, with the same delivery id", message.id,
                         message.target, type(exc).__name__)
            return
        if error is None:
            self.delivered += 1
        else:
            log = logger.error if status == "failed" else logger.warning
            log("Notification %s (%s) attempt %d failed: %s; now %s", message.id,
                message.target, message.attempts, error, status)

    async def give_back(self, message: Claimed, why: str) -> None:
        """Release a claim this worker can no longer use (unless it was claimed since)."""
        logger.warning("Notification %s (%s): %s; due again", message.id, message.target, why)
        try:
            await self.database.run(release, message)
        except SQLAlchemyError as exc:  # then it is due when the lease or heartbeat ends
            logger.error("Notification %s (%s): claim not released (%s)", message.id,
                         message.target, type(exc).__name__)

    async def deliver_within(self, message: Claimed, deadline: float,
                             epoch: int) -> Tuple[bool, Optional[str]]:
        """Deliver until done, ``deadline`` (monotonic) or the heartbeat lapses.

        Returns (finished or timed out, the error or None); (False, None) when the heartbeat
        lapsed first. A delivery cut short is over (cancelled) when this returns.
        """
        delivery = asyncio.ensure_future(deliver(message, self.settings, self.http))
        try:
            while not delivery.done():
                if not self.heartbeat.holds(epoch):
                    return False, None
                if time.monotonic() >= deadline:
                    return True, TIMED_OUT
                wait = min(deadline, self.heartbeat.fresh_until) - time.monotonic()
                await asyncio.wait({delivery}, timeout=max(0.0, wait))
            try:
                return True, delivery.result()
            except asyncio.TimeoutError:
                return True, TIMED_OUT
        finally:
            if not delivery.done():
                delivery.cancel()
                await asyncio.gather(delivery, return_exceptions=True)

    async def drain(self) -> int:
        """Deliver until nothing is due or in flight; returns how many were delivered."""
        while True:
            self.freed.clear()
            claimed = await self.fill()
            if not claimed and not self.in_flight:
                return self.delivered
            if self.in_flight:
                await asyncio.wait(set(self.in_flight), return_when=asyncio.FIRST_COMPLETED)

    async def run(self, stop: asyncio.Event, poll_seconds: float,
                  before: Optional[Callable[[], Awaitable[Any]]] = None) -> None:
        """Poll until ``stop``; a delivery that ends wakes the lane (more may be due)."""
        try:
            while not stop.is_set():
                self.freed.clear()
                try:
                    if before is not None:
                        await before()
                    await self.fill()
                except SQLAlchemyError as exc:
                    logger.error("Outbox unavailable to the %s lane (%s); retrying", self.name,
                                 type(exc).__name__)
                await wait_any(poll_seconds, stop, self.freed)
        finally:
            await self.abandon()

    async def abandon(self) -> None:
        """Stop the deliveries in flight; their rows are released (due again at once)."""
        tasks = list(self.in_flight)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


async def wait_any(seconds: float, *events: asyncio.Event) -> None:
    """Wait until one of ``events`` is set, at most ``seconds``."""
    waiters = [asyncio.ensure_future(event.wait()) for event in events]
    try:
        await asyncio.wait(waiters, timeout=seconds, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for waiter in waiters:
            waiter.cancel()


def lanes(settings: Settings, http: aiohttp.ClientSession, database: Database,
          heartbeat: Heartbeat) -> List[Lane]:
    """The alert lane and the lane for everything else, sharing one database queue."""
    return [Lane("alert", True, ALERT_CONCURRENCY, settings, http, database, heartbeat),
            Lane("other", False, OTHER_CONCURRENCY, settings, http, database, heartbeat)]


async def run_once(settings: Settings, http: aiohttp.ClientSession) -> int:
    """Deliver every due notification once (alerts in their own lane); returns how many.

    The run has a heartbeat like a long-running worker (a database error on the first one
    is raised), deleted at the end.
    """
    database = Database()
    heartbeat = Heartbeat(settings.notify, database.run)
    await heartbeat.beat()
    stop = asyncio.Event()
    beating = asyncio.create_task(heartbeat.run(stop))
    try:
        counts = await asyncio.gather(
            *(lane.drain() for lane in lanes(settings, http, database, heartbeat)))
    finally:
        stop.set()
        await beating
        await heartbeat.retire()
    return sum(counts)


async def _checkins_forever(settings: Settings, http: aiohttp.ClientSession,
                            stop: asyncio.Event) -> None:
    while not stop.is_set():
        try:
            await send_due(settings, http)
        except SQLAlchemyError as exc:
            logger.error("Check-ins unavailable (%s); retrying", type(exc).__name__)
        await wait_any(settings.notify.poll_seconds, stop)


async def run_forever(settings: Settings, stop: asyncio.Event) -> None:
    """Deliver and send until ``stop`` is set; a database outage is logged and retried."""
    async with aiohttp.ClientSession() as http:
        database = Database()
        heartbeat = Heartbeat(settings.notify, database.run)
        await heartbeat.try_beat()  # before the first claim (the lanes wait for one)
        alert_lane, other_lane = lanes(settings, http, database, heartbeat)

        async def replay() -> None:  # spooled alerts go out with the next alert poll
            await alert_lane.database.run(replay_spool, settings.alert_spool_dir)

        notify = settings.notify
        tasks = [
            asyncio.create_task(alert_lane.run(
                stop, min(notify.alert_poll_seconds, notify.poll_seconds), replay)),
            asyncio.create_task(other_lane.run(stop, notify.poll_seconds)),
            asyncio.create_task(_checkins_forever(settings, http, stop)),
            asyncio.create_task(heartbeat.run(stop)),
        ]
        try:
            await asyncio.gather(*tasks)
        finally:  # one loop failed (or we are cancelled): stop the others too
            stop.set()
            await asyncio.gather(*tasks, return_exceptions=True)
            await heartbeat.retire()  # the lanes released their claims: gone at once


async def _main(once: bool) -> None:
    settings = get_settings()
    if once:
        async with aiohttp.ClientSession() as http:
            count = await run_once(settings, http)
            checkins = await send_due(settings, http)
        logger.info("Delivered %d notification(s), sent %d check-in(s)", count, checkins)
        return
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    logger.info("Outbox worker started (staff targets: %s; scheduling adapter: %s)",
                ", ".join(settings.notify.targets), settings.scheduling.adapter)
    await run_forever(settings, stop)


def main(argv: Optional[List[str]] = None) -> None:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--once", action="store_true",
                        help="deliver and send what is due, then exit")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    asyncio.run(_main(args.once))


if __name__ == "__main__":
    main()
