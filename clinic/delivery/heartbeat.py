"""Worker heartbeats: each outbox worker process says it is alive, so its claims can end early.

A worker process gets an id (uuid4) at start and a row in the ``workers`` table that it
refreshes every ``WORKER_HEARTBEAT_SECONDS`` (1 s). Its outbox claims name it
(``outbox.claimed_by``). When its heartbeat is older than ``WORKER_STALE_SECONDS`` (3 s), or
its row is gone, other workers treat its claims as ended (``clinic.delivery.outbox.claim_due``): a
killed worker holds an alert back for a few seconds, not for its whole lease.

The other side of that bargain: a live worker whose heartbeat could not be written for
``WORKER_STALE_SECONDS - WORKER_HEARTBEAT_SECONDS`` (2 s) stops its deliveries and claims
nothing until a heartbeat is written again (:meth:`Heartbeat.holds`), one heartbeat before
another worker may take its rows, so two live workers never deliver one row at once. This
works across hosts as long as their clocks agree to well within that heartbeat (NTP).

A worker that stops cleanly releases its claims, then deletes its row (:func:`retire`).
Rows of workers dead for an hour are deleted by the live workers.
"""

from __future__ import annotations

import asyncio
import logging
import math
import os
import socket
import time
import uuid
from datetime import datetime, timedelta
from typing import Any, Awaitable, Callable, Optional

from sqlalchemy import delete, update
from sqlalchemy.exc import SQLAlchemyError

from clinic.db import session_scope
from clinic.models import WorkerHeartbeat, utcnow
from clinic.settings import NotifySettings

logger = logging.getLogger(__name__)

DEAD_ROWS_KEPT = timedelta(hours=1)  # a dead worker's row is deleted this long after its last beat
Runner = Callable[..., Awaitable[Any]]  # runs a blocking database call off the event loop


def beat(worker_id: str, host: str, pid: int, started_at: datetime,
         now: Optional[datetime] = None) -> float:
    """Mark the worker alive at ``now``: refresh its row, or write it (first beat, or purged).

    Rows of workers silent for :data:`DEAD_ROWS_KEPT` are deleted on the way.
    Returns the monotonic time the heartbeat stands for (read before writing).
    """
    started = time.monotonic()
    now = now or utcnow()
    with session_scope() as session:
        result = session.execute(
            update(WorkerHeartbeat).where(WorkerHeartbeat.id == worker_id)
            .values(heartbeat_at=now).execution_options(synchronize_session=False)
        )
        if result.rowcount == 0:
            session.add(WorkerHeartbeat(id=worker_id, host=host[:255], pid=pid,
                                        started_at=started_at, heartbeat_at=now))
        session.execute(
            delete(WorkerHeartbeat)
            .where(WorkerHeartbeat.heartbeat_at < now - DEAD_ROWS_KEPT)
            .execution_options(synchronize_session=False)
        )
    return started


def retire(worker_id: str) -> None:
    """Delete the worker's row: it stops cleanly (after releasing its claims)."""
    with session_scope() as session:
        session.execute(
            delete(WorkerHeartbeat).where(WorkerHeartbeat.id == worker_id)
            .execution_options(synchronize_session=False)
        )


class Heartbeat:
    """A worker process's id and heartbeat, and whether its claims still hold."""

    def __init__(self, settings: NotifySettings, run: Runner) -> None:
        self.worker_id = str(uuid.uuid4())
        self.host = socket.gethostname()
        self.pid = os.getpid()
        self.started_at = utcnow()
        self.interval = settings.heartbeat_seconds
        # Claims hold while the last heartbeat is younger than this: one heartbeat less than
        # other workers wait before taking them (config keeps it at two heartbeats or more).
        self.window = settings.worker_stale_seconds - settings.heartbeat_seconds
        self.fresh_until = -math.inf  # monotonic: the claims hold until then
        self.epoch = 0  # goes up when the claims stopped holding: older claims are void
        self._run = run
        self._failing = False

    def holds(self, epoch: int) -> bool:
        """Whether claims made in ``epoch`` are still this worker's alone."""
        return epoch == self.epoch and time.monotonic() < self.fresh_until

    def seconds_left(self) -> float:
        """How long the claims hold without another heartbeat (negative: they don't)."""
        return self.fresh_until - time.monotonic()

    def record(self, started: float) -> None:
        """A heartbeat read at monotonic ``started`` was written."""
        if time.monotonic() >= self.fresh_until:  # lapsed meanwhile (or the first beat)
            self.epoch += 1
        self.fresh_until = started + self.window

    async def beat(self) -> None:
        """Write one heartbeat now; a database error is raised."""
        started = await self._run(beat, self.worker_id, self.host, self.pid, self.started_at)
        self.record(started)

    async def try_beat(self) -> bool:
        """Write one heartbeat; a database error is logged once (until it works again)."""
        try:
            await self.beat()
        except SQLAlchemyError as exc:
            if not self._failing:
                logger.error("Worker heartbeat not stored (%s); deliveries stop within %.1f s "
                             "and resume once it is", type(exc).__name__,
                             max(0.0, self.seconds_left()))
            self._failing = True
            return False
        if self._failing:
            logger.info("Worker heartbeat stored again")
        self._failing = False
        return True

    async def run(self, stop: asyncio.Event) -> None:
        """Beat every ``interval`` until ``stop`` (the first beat is the caller's)."""
        last = time.monotonic()
        while not stop.is_set():
            try:
                await asyncio.wait_for(stop.wait(), max(0.0, last + self.interval
                                                        - time.monotonic()))
                return
            except asyncio.TimeoutError:
                pass
            last = time.monotonic()
            await self.try_beat()

    async def retire(self) -> None:
        """Delete this worker's row (it stops cleanly); a database error is logged."""
        self.fresh_until, self.epoch = -math.inf, self.epoch + 1
        try:
            await self._run(retire, self.worker_id)
        except SQLAlchemyError as exc:
            logger.warning("Worker heartbeat row not deleted (%s); it goes stale in %.1f s",
                           type(exc).__name__, self.window + self.interval)
