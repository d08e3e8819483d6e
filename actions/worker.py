"""Background worker: delivers the outbox with retries and backoff; sends due check-ins.

The outbox holds staff notifications and appointment requests for the scheduling system.
Post-procedure check-ins are started through Rasa's API (``actions.checkin_sender``).

``python -m actions.worker`` (started by ``make run``) polls the outbox every
``WORKER_POLL_SECONDS``; ``--once`` delivers what is due and exits. Everything it needs is
in the database, so stopping or restarting it loses nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
from typing import List, Optional

import aiohttp
from sqlalchemy.exc import SQLAlchemyError

from actions.alert_spool import replay_spool
from actions.checkin_sender import send_due
from actions.config import Settings, get_settings
from actions.db import run_in_thread
from actions.notifier import deliver
from actions.outbox import claim_due, record_result

logger = logging.getLogger(__name__)


async def run_once(settings: Settings, http: aiohttp.ClientSession) -> int:
    """Deliver every due notification once; returns how many were delivered."""
    delivered = 0
    while True:
        batch = await run_in_thread(claim_due)
        if not batch:
            return delivered
        for message in batch:
            error = await deliver(message, settings, http)
            status = await run_in_thread(record_result, message, error, settings.notify)
            if error is None:
                delivered += 1
            else:
                log = logger.error if status == "failed" else logger.warning
                log("Notification %s (%s) attempt %d failed: %s; now %s", message.id,
                    message.target, message.attempts, error, status)


async def run_forever(settings: Settings, stop: asyncio.Event) -> None:
    """Poll until ``stop`` is set; a database outage is logged and retried."""
    async with aiohttp.ClientSession() as http:
        while not stop.is_set():
            try:
                await run_in_thread(replay_spool, settings.alert_spool_dir)
                await run_once(settings, http)
                await send_due(settings, http)
            except SQLAlchemyError as exc:
                logger.error("Outbox unavailable (%s); retrying", type(exc).__name__)
            try:
                await asyncio.wait_for(stop.wait(), timeout=settings.notify.poll_seconds)
            except asyncio.TimeoutError:
                pass


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
