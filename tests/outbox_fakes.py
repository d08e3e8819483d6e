"""A fake staff webhook and scheduling system for the outbox worker's tests."""

from __future__ import annotations

import asyncio
import time
from contextlib import asynccontextmanager
from typing import Any, AsyncIterator, Dict, List, Tuple

from aiohttp import web

from clinic.delivery.outbox import SCHEDULING_TARGET
from tests.helpers import serve


class Systems:
    """A staff webhook that answers at once and a scheduling system that can hang."""

    def __init__(self) -> None:
        self.arrivals: List[Dict[str, Any]] = []
        self.alert_arrived = asyncio.Event()
        self.hang = False
        self.hung = asyncio.Event()  # a scheduling request is hanging
        self.let_go = asyncio.Event()
        self.scheduling_answered = 0
        self.staff_hangs = 0  # this many staff requests hang (until the test ends)

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
        if self.staff_hangs > 0:
            self.staff_hangs -= 1
            await self.let_go.wait()
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


@asynccontextmanager
async def running_systems() -> AsyncIterator[Tuple[Systems, str]]:
    """The fakes served on a local port: (fakes, base url)."""
    fake = Systems()
    app = web.Application()
    app.router.add_post("/staff", fake.staff)
    app.router.add_post("/scheduling", fake.scheduling)
    async with serve(app) as url:
        try:
            yield fake, url
        finally:
            fake.let_go.set()  # hanging handlers end before the server stops
