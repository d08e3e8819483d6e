"""action_request_handoff: a HandoffRequest row, office-hours wording, ConversationPaused."""

from __future__ import annotations

from datetime import datetime

from rasa_sdk.events import ConversationPaused
from sqlalchemy import select
from sqlalchemy.exc import OperationalError

from actions import handoff
from actions.handoff import ActionRequestHandoff
from clinic.models import HandoffRequest, OutboxMessage

MONDAY_2PM_CHICAGO = datetime(2026, 11, 23, 20, 0)
SATURDAY_NOON_CHICAGO = datetime(2026, 11, 28, 18, 0)


def asked(text: str = "can I talk to a real person please", message_id: str = "m-1") -> dict:
    return {"text": text, "message_id": message_id,
            "intent": {"name": "request_human", "confidence": 0.98}, "entities": []}


async def test_open_office_pauses_and_says_when_staff_reply(
    monkeypatch, db_session, dispatcher, domain, make_tracker
):
    monkeypatch.setattr(handoff, "utcnow", lambda: MONDAY_2PM_CHICAGO)
    tracker = make_tracker(asked(), sender_id="conv-1", channel="rest")
    events = await ActionRequestHandoff().run(dispatcher, tracker, domain)
    assert events == [ConversationPaused()]
    [message] = dispatcher.messages
    assert message["response"] == "utter_handoff_open"
    assert message["handoff_reply_minutes"] == 30
    row = db_session.execute(select(HandoffRequest)).scalar_one()
    assert (row.reason, row.status, row.channel, row.conversation_id) == (
        "patient_request", "open", "rest", "conv-1")
    assert row.during_office_hours is True
    assert row.message_text == "can I talk to a real person please"
    [note] = db_session.execute(select(OutboxMessage)).scalars().all()
    assert (note.kind, note.ref_id) == ("handoff_request", row.id)


async def test_closed_office_names_the_next_opening(
    monkeypatch, db_session, dispatcher, domain, make_tracker
):
    monkeypatch.setattr(handoff, "utcnow", lambda: SATURDAY_NOON_CHICAGO)
    events = await ActionRequestHandoff().run(dispatcher, make_tracker(asked()), domain)
    assert events == [ConversationPaused()]
    [message] = dispatcher.messages
    assert message["response"] == "utter_handoff_closed"
    assert (message["next_open_day"], message["next_open_time"]) == ("Monday", "8:00 AM")
    row = db_session.execute(select(HandoffRequest)).scalar_one()
    assert row.during_office_hours is False


async def test_second_fallback_records_what_the_patient_typed(
    db_session, dispatcher, domain, make_tracker
):
    events = [
        {"event": "user", "text": "the thing with the glue in my back hurts when it rains"},
        {"event": "bot", "text": "Did you mean one of these?"},
        {"event": "user", "text": "/deny"},
    ]
    latest = {"text": "/deny", "message_id": "m-5", "intent": {"name": "deny"}}
    await ActionRequestHandoff().run(dispatcher, make_tracker(latest, events=events), domain)
    row = db_session.execute(select(HandoffRequest)).scalar_one()
    assert row.reason == "fallback"
    assert row.message_text == "the thing with the glue in my back hurts when it rains"


async def test_database_down_gives_the_phone_and_does_not_pause(
    monkeypatch, dispatcher, domain, make_tracker
):
    def broken(*_: object) -> None:
        raise OperationalError("INSERT", {}, Exception("unable to open database file"))

    monkeypatch.setattr(handoff, "record_handoff", broken)
    events = await ActionRequestHandoff().run(dispatcher, make_tracker(asked()), domain)
    assert events == []
    assert [m["response"] for m in dispatcher.messages] == ["utter_handoff_unavailable"]


def test_handoff_responses_exist_for_web_and_sms(domain):
    for name in ("utter_handoff_open", "utter_handoff_closed", "utter_handoff_unavailable"):
        variants = domain["responses"][name]
        assert any(not v.get("channel") for v in variants)
        sms = [v["text"] for v in variants if v.get("channel") == "twilio"]
        assert sms and all(len(t) <= 160 for t in sms), name
