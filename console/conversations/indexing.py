"""The transcript index kept current while the console serves (``clinic.review.indexer``).

Pages catch up (bounded) before they read the index; a background task indexes new events
every ``INTERVAL_SECONDS``.
"""

from __future__ import annotations

import asyncio
import logging
from typing import AsyncIterator

from aiohttp import web

from clinic.db import get_engine, run_in_thread
from clinic.review.indexer import BATCH_SIZE, catch_up

logger = logging.getLogger(__name__)

INTERVAL_SECONDS = 2.0  # background catch-up


async def refresh(max_batches: int = 4, wait: float = 1.0) -> None:
    """Bounded catch-up before a page reads the index (the background task does the rest)."""
    try:
        await run_in_thread(catch_up, max_batches, BATCH_SIZE, wait)
    except Exception:  # noqa: BLE001 - a stale list beats an error page
        logger.warning("Conversation index: catch-up failed", exc_info=True)


def _shared_database() -> bool:
    engine = get_engine()
    return not (engine.dialect.name == "sqlite" and engine.url.database in (None, "", ":memory:"))


async def _keep_indexing(interval: float) -> None:
    while True:
        await refresh(max_batches=20, wait=0)
        await asyncio.sleep(interval)


async def background(app: web.Application) -> AsyncIterator[None]:
    """Cleanup context of the app: index new events every ``INTERVAL_SECONDS`` while serving.

    Not on an in-memory database (tests): nothing else writes there, and the pages catch
    up before reading.
    """
    task = asyncio.create_task(_keep_indexing(INTERVAL_SECONDS)) if _shared_database() else None
    yield
    if task is not None:
        task.cancel()
        try:
            await task
        except asyncio.CancelledError:
            pass


def setup(app: web.Application) -> None:
    """Run the background indexer while ``app`` serves."""
    app.cleanup_ctx.append(background)
