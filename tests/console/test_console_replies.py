"""Console hand-off replies and resume through a fake Rasa HTTP API (real database)."""

from __future__ import annotations

import asyncio
import dataclasses
import time
from typing import Any, AsyncIterator, Dict, List, Tuple

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy import select

from clinic import staff
from clinic.db import session_scope
from clinic.models import AuditEntry, HandoffRequest
from console.app import create_app
from tests.console_client import ConsoleClient
from tests.helpers import serve

PHONE = "+13125550199"


class FakeRasa:
    """Rasa's ``/conversations/<id>/tracker/events``: records calls, answers ``status``."""

    def __init__(self) -> None:
        self.calls: List[Dict[str, Any]] = []
        self.status = 200
        self.delay = 0.0
        self.called = asyncio.Event()  # set once a call has arrived

    async def events(self, request: web.Request) -> web.Response:
        self.calls.append({"path": request.path, "query": dict(request.query),
                           "body": await request.json()})
        self.called.set()
        await asyncio.sleep(self.delay)
        return web.json_response({}, status=self.status)


@pytest.fixture
async def rasa(db_engine, settings_env) -> AsyncIterator[Tuple[FakeRasa, ConsoleClient]]:
    """A fake Rasa server and a console app that talks to it."""
    fake = FakeRasa()
    app = web.Application()
    app.router.add_post("/conversations/{id}/tracker/events", fake.events)
    async with serve(app) as url:
        settings = dataclasses.replace(settings_env(), rasa_url=url, rasa_api_token="tok")
        client = TestClient(TestServer(create_app(settings)))
        await client.start_server()
        yield fake, ConsoleClient(client)
        await client.close()


def handoff(channel: str = "twilio", conversation: str = PHONE, status: str = "open") -> int:
    with session_scope() as session:
        row = HandoffRequest(channel=channel, conversation_id=conversation, message_id="m",
                             reason="patient_request", message_text="a person please",
                             during_office_hours=True, status=status)
        session.add(row)
        session.flush()
        return int(row.id)


def state(handoff_id: int) -> Tuple[str, Any]:
    with session_scope() as session:
        row = session.get(HandoffRequest, handoff_id)
        return row.status, row.staff_name


def audited() -> List[Tuple[str, str, Dict[str, Any]]]:
    with session_scope() as session:
        return [(a.action, a.target_id, a.detail) for a in session.scalars(
            select(AuditEntry).where(AuditEntry.target_type == "handoff_request")
            .order_by(AuditEntry.id))]


async def test_reply_is_delivered_on_the_patients_channel_and_audited(rasa) -> None:
    fake, console = rasa
    handoff_id = handoff()
    await console.login("rita")
    page = await console.page(f"/queues/handoffs/{handoff_id}")
    assert "a person please" in page and PHONE in page  # full text on the staff-only page
    response = await console.post(f"/queues/handoffs/{handoff_id}/reply",
                                  {"text": "  Hi, this is Rita from the clinic.  "})
    assert response.status == 303 and "Reply%20sent" in response.headers["Location"]
    [call] = fake.calls
    assert call["path"] == f"/conversations/{PHONE}/tracker/events"
    assert call["query"] == {"token": "tok", "output_channel": "latest",
                             "execute_side_effects": "true"}
    assert call["body"] == [{"event": "bot", "text": "Hi, this is Rita from the clinic.",
                             "metadata": {"staff_reply": True, "staff": "rita"}}]
    assert state(handoff_id) == ("answered", "rita")
    response = await console.post(f"/queues/handoffs/{handoff_id}/reply",
                                  {"text": "All done, the assistant can help again.",
                                   "resume": "1"})
    assert response.status == 303
    assert fake.calls[-1]["body"][1:] == staff.RESUME_EVENTS
    assert state(handoff_id)[0] == "closed"
    assert audited() == [
        ("view_handoff", str(handoff_id), {}),
        ("reply_handoff", str(handoff_id), {"resume": False, "chars": 33}),
        ("reply_handoff", str(handoff_id), {"resume": True, "chars": 39})]
    response = await console.post(f"/queues/handoffs/{handoff_id}/reply", {"text": "Again?"})
    assert response.status == 400 and "is closed" in await response.text()
    assert len(fake.calls) == 2


async def test_resume_alone_gives_the_chat_back(rasa) -> None:
    fake, console = rasa
    handoff_id = handoff("rest", "web-42")
    await console.login("rita")
    response = await console.post(f"/queues/handoffs/{handoff_id}/resume",
                                  {"back": "/queues?tab=handoffs&status=all"})
    assert response.status == 303
    assert response.headers["Location"].startswith("/queues?tab=handoffs&status=all&msg=")
    assert fake.calls[0]["path"] == "/conversations/web-42/tracker/events"
    assert fake.calls[0]["body"] == staff.RESUME_EVENTS
    assert state(handoff_id) == ("closed", "rita")
    assert audited()[-1] == ("resume_handoff", str(handoff_id), {})
    assert (await console.post(f"/queues/handoffs/{handoff_id}/resume")).status == 400
    assert (await console.post("/queues/handoffs/404/resume")).status == 404
    assert (await console.post("/queues/handoffs/404/reply", {"text": "hi"})).status == 404


async def test_replies_must_be_1_to_1000_characters(rasa) -> None:
    fake, console = rasa
    handoff_id = handoff()
    await console.login("rita")
    for text in ("", "   ", "x" * 1001):
        response = await console.post(f"/queues/handoffs/{handoff_id}/reply", {"text": text})
        assert response.status == 400
        assert "1 to 1000 characters" in await response.text()
    html = "<script>alert(1)</script>"
    response = await console.post(f"/queues/handoffs/{handoff_id}/reply",
                                  {"text": html + "x" * 1000})
    assert response.status == 400 and html not in await response.text()
    assert fake.calls == [] and state(handoff_id) == ("open", None)


async def test_rasa_down_is_explained_and_nothing_is_lost(rasa) -> None:
    fake, console = rasa
    handoff_id = handoff()
    await console.login("rita")
    fake.status = 500
    response = await console.post(f"/queues/handoffs/{handoff_id}/reply",
                                  {"text": "We will call you <today>", "resume": "1"})
    body = await response.text()
    assert response.status == 502
    assert "server is unavailable (Rasa server answered HTTP 500)" in body
    assert "your text is kept below" in body
    assert "We will call you &lt;today&gt;</textarea>" in body and "checked" in body
    down = ConsoleClient(TestClient(TestServer(create_app(dataclasses.replace(
        _settings(console), rasa_url="http://127.0.0.1:9")))))
    await down.client.start_server()
    try:
        await down.login("rita", create=False)
        response = await down.post(f"/queues/handoffs/{handoff_id}/resume")
        assert response.status == 502 and "not reachable" in await response.text()
    finally:
        await down.client.close()
    assert state(handoff_id) == ("open", None)
    assert [a for a, _, _ in audited()] == []


def _settings(console: ConsoleClient) -> Any:
    from console.web import SETTINGS_KEY

    assert console.client.app is not None
    return console.client.app[SETTINGS_KEY]


async def test_a_slow_rasa_does_not_block_other_pages(rasa) -> None:
    fake, console = rasa
    handoff_id = handoff()
    await console.login("rita")
    fake.delay = 1.0
    sending = asyncio.ensure_future(console.post(f"/queues/handoffs/{handoff_id}/reply",
                                                 {"text": "One moment please."}))
    await asyncio.wait_for(fake.called.wait(), 5)  # the reply is now waiting on Rasa
    started = time.monotonic()
    assert (await console.get("/health")).status == 200
    assert time.monotonic() - started < 0.5
    assert (await sending).status == 303
