"""Staff tools: reply into a paused conversation and resume it through Rasa's HTTP API."""

from __future__ import annotations

import dataclasses
import json
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any, Dict, Iterator, List
from urllib.parse import parse_qs, unquote, urlparse

import pytest
from rasa.shared.core.events import BotUttered, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from sqlalchemy import select

from addons.channels.dialogue import bot_messages_since_patient_spoke, staff_replies
from clinic import staff
from clinic.db import session_scope
from clinic.models import AppointmentRequest, HandoffRequest, StaffAlert
from clinic.settings import get_settings

CONVERSATION = "+1 555/0003333"


class FakeRasa(BaseHTTPRequestHandler):
    calls: List[Dict[str, Any]] = []
    status = 200

    def do_POST(self) -> None:  # noqa: N802 - http.server's naming
        url = urlparse(self.path)
        length = int(self.headers.get("Content-Length", 0))
        FakeRasa.calls.append({"path": unquote(url.path), "query": parse_qs(url.query),
                               "body": json.loads(self.rfile.read(length))})
        self.send_response(FakeRasa.status)
        self.end_headers()
        self.wfile.write(b"{}")

    def log_message(self, *_: Any) -> None:
        pass


@pytest.fixture
def rasa_api() -> Iterator[Any]:
    FakeRasa.calls, FakeRasa.status = [], 200
    server = HTTPServer(("127.0.0.1", 0), FakeRasa)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    settings = dataclasses.replace(
        get_settings(), rasa_url=f"http://127.0.0.1:{server.server_port}", rasa_api_token="tok"
    )
    yield settings
    server.shutdown()


def add_handoff() -> int:
    with session_scope() as session:
        request = HandoffRequest(channel="twilio", conversation_id=CONVERSATION, message_id="m",
                                 reason="patient_request", message_text="a person please",
                                 during_office_hours=True)
        session.add(request)
        session.flush()
        return int(request.id)


async def test_reply_posts_a_staff_message_to_the_patients_channel(db_engine, rasa_api):
    handoff_id = add_handoff()
    await staff.reply(handoff_id, "  Hi, this is Nurse Kim. How can I help?  ", "kim",
                settings=rasa_api)
    [call] = FakeRasa.calls
    assert call["path"] == f"/conversations/{CONVERSATION}/tracker/events"
    assert call["query"] == {"token": ["tok"], "output_channel": ["latest"],
                             "execute_side_effects": ["true"]}
    assert call["body"] == [{"event": "bot", "text": "Hi, this is Nurse Kim. How can I help?",
                             "metadata": {"staff_reply": True, "staff": "kim"}}]
    with session_scope() as session:
        row = session.get(HandoffRequest, handoff_id)
        assert (row.status, row.staff_name) == ("answered", "kim") and row.answered_at


async def test_reply_with_resume_and_resume_alone_close_the_handoff(db_engine, rasa_api):
    first, second = add_handoff(), add_handoff_other()
    await staff.reply(first, "All sorted, the bot can help again.", "kim", resume=True,
                settings=rasa_api)
    resume = staff.RESUME_EVENTS  # spelled out in the last test of this file
    assert FakeRasa.calls[-1]["body"][1:] == resume
    await staff.resume(second, "lee", settings=rasa_api)
    assert FakeRasa.calls[-1]["body"] == resume
    with session_scope() as session:
        rows = session.execute(select(HandoffRequest).order_by(HandoffRequest.id)).scalars()
        assert [(r.status, r.staff_name) for r in rows] == [("closed", "kim"), ("closed", "lee")]


def add_handoff_other() -> int:
    with session_scope() as session:
        request = HandoffRequest(channel="rest", conversation_id="web-1", message_id="m2",
                                 reason="fallback", message_text="?", during_office_hours=False)
        session.add(request)
        session.flush()
        return int(request.id)


async def test_failures_are_reported_and_change_nothing(db_engine, rasa_api):
    handoff_id = add_handoff()
    FakeRasa.status = 404
    with pytest.raises(staff.RasaUnavailable, match="HTTP 404"):
        await staff.reply(handoff_id, "hello", "kim", settings=rasa_api)
    with pytest.raises(staff.StaffActionError, match="empty"):
        await staff.reply(handoff_id, "   ", "kim", settings=rasa_api)
    with pytest.raises(staff.UnknownRecord, match="No hand-off"):
        await staff.reply(999, "hello", "kim", settings=rasa_api)
    no_token = dataclasses.replace(rasa_api, rasa_api_token="")
    with pytest.raises(staff.RasaUnavailable, match="token"):
        await staff.resume(handoff_id, "kim", settings=no_token)
    down = dataclasses.replace(rasa_api, rasa_url="http://127.0.0.1:9")
    with pytest.raises(staff.RasaUnavailable, match="not reachable"):
        await staff.resume(handoff_id, "kim", settings=down)
    assert len(FakeRasa.calls) == 1  # only the refused reply reached Rasa
    with session_scope() as session:
        assert session.get(HandoffRequest, handoff_id).status == "open"


def test_cli_reports_rasa_down_and_changes_nothing(db_engine, rasa_api, monkeypatch, capsys):
    handoff_id = add_handoff()
    monkeypatch.setattr(staff, "get_settings",
                        lambda: dataclasses.replace(rasa_api, rasa_url="http://127.0.0.1:9"))
    assert staff.main(["reply", str(handoff_id), "hello"]) == 1
    assert "error: Rasa server not reachable at http://127.0.0.1:9" in capsys.readouterr().err
    monkeypatch.setattr(staff, "get_settings", lambda: rasa_api)
    assert staff.main(["--staff", "kim", "resume", str(handoff_id)]) == 0
    assert FakeRasa.calls[-1]["body"] == staff.RESUME_EVENTS
    with session_scope() as session:
        assert session.get(HandoffRequest, handoff_id).status == "closed"


def test_cli_lists_and_acknowledges_alerts(db_engine, capsys):
    with session_scope() as session:
        session.add(StaffAlert(channel="rest", conversation_id="c1", message_id="m",
                               level="emergency", evidence=["chest pain"], message_text="x"))
    add_handoff()
    assert staff.main(["list"]) == 0
    out = capsys.readouterr().out
    assert "alert   #1" in out and "chest pain" in out and "handoff #1" in out
    assert staff.main(["--staff", "kim", "ack", "1"]) == 0
    assert staff.main(["close", "42"]) == 1
    assert "No staff alert #42" in capsys.readouterr().err
    with session_scope() as session:
        alert = session.get(StaffAlert, 1)
        assert (alert.status, alert.handled_by) == ("acknowledged", "kim")


def test_cli_lists_booking_requests_and_records_progress(db_engine, capsys):
    from clinic.booking.appointments import AppointmentDetails, store_request

    stored = store_request(AppointmentDetails("c2", "rest", "Rosa Delgado", "+17085550134",
                                              "thursday afternoons", [], "kyphoplasty", "text"))
    assert staff.main(["list"]) == 0
    out = capsys.readouterr().out
    assert f"booking #{stored.id}" in out and stored.reference in out
    assert "Rosa Delgado +17085550134 (sms) kyphoplasty: thursday afternoons" in out
    assert staff.main(["--staff", "lee", "booking", str(stored.id), "contacted"]) == 0
    assert staff.main(["booking", "99", "closed"]) == 1
    assert "No appointment request #99" in capsys.readouterr().err
    with session_scope() as session:
        row = session.get(AppointmentRequest, stored.id)
        assert (row.status, row.handled_by) == ("contacted", "lee")
    assert staff.main(["booking", str(stored.id), "closed"]) == 0
    assert staff.main(["list"]) == 0
    assert "booking #" not in capsys.readouterr().out  # handled: off the open list
    assert staff.main(["list", "--all"]) == 0
    assert "closed" in capsys.readouterr().out


def test_rest_delivers_staff_replies_posted_since_the_last_message():
    tracker = DialogueStateTracker.from_events("c", [
        UserUttered("a person please"),
        BotUttered("I've passed your conversation to our team."),
        BotUttered("Hi, Nurse Kim here.", metadata={"staff_reply": True}),
        BotUttered("Are you still there?", metadata={"staff_reply": True}),
    ])
    def unseen_staff_texts():
        return [m["text"] for m in staff_replies("c", bot_messages_since_patient_spoke(tracker))]

    assert unseen_staff_texts() == ["Hi, Nurse Kim here.", "Are you still there?"]
    tracker.update(UserUttered("yes"))
    assert unseen_staff_texts() == []


def test_resuming_ends_the_wait_and_any_safety_frame_and_listens():
    # staff have talked to the patient: the wait for staff and the red flag's frame end,
    # a conversation paused by an earlier release is unpaused, and the rules see the bot
    # listening before the next patient message
    assert staff.RESUME_EVENTS == [
        {"event": "resume"},
        {"event": "slot", "name": "safety_frame", "value": False},
        {"event": "slot", "name": "handoff_waiting", "value": False},
        {"event": "action", "name": "action_listen"}]
