"""The hand-off actions: offer, request (a row, office-hours wording, no pause), withdraw."""

from __future__ import annotations

from datetime import datetime

import pytest
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy import select
from sqlalchemy.exc import OperationalError

from actions import handoff
from actions.handoff import ActionOfferHandoff, ActionRequestHandoff, ActionWithdrawHandoff
from clinic.models import HandoffRequest, OutboxMessage
from clinic.settings import get_settings
from tests.sms_phone import sms_of

MONDAY_2PM_CHICAGO = datetime(2026, 11, 23, 20, 0)
SATURDAY_NOON_CHICAGO = datetime(2026, 11, 28, 18, 0)


def asked(text: str = "can I talk to a real person please", message_id: str = "m-1") -> dict:
    return {"text": text, "message_id": message_id,
            "intent": {"name": "request_human", "confidence": 0.98}, "entities": []}


async def test_open_office_queues_says_when_staff_reply_and_keeps_answering(
    monkeypatch, db_session, dispatcher, domain, make_tracker
):
    monkeypatch.setattr(handoff, "utcnow", lambda: MONDAY_2PM_CHICAGO)
    tracker = make_tracker(asked(), sender_id="conv-1", channel="rest")
    events = await ActionRequestHandoff().run(dispatcher, tracker, domain)
    assert events == [SlotSet("handoff_waiting", True)]  # no ConversationPaused
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
    assert events == [SlotSet("handoff_waiting", True)]  # no ConversationPaused
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


async def test_database_down_gives_the_phone_and_does_not_wait(
    monkeypatch, dispatcher, domain, make_tracker
):
    def broken(*_: object) -> None:
        raise OperationalError("INSERT", {}, Exception("unable to open database file"))

    monkeypatch.setattr(handoff.handoff, "record_handoff", broken)
    events = await ActionRequestHandoff().run(dispatcher, make_tracker(asked()), domain)
    assert events == []
    assert [m["response"] for m in dispatcher.messages] == ["utter_handoff_unavailable"]


def test_handoff_responses_exist_for_web_and_sms(domain):
    for name in ("utter_handoff_open", "utter_handoff_closed", "utter_handoff_unavailable",
                 "utter_handoff_waiting", "utter_handoff_withdrawn", "utter_offer_handoff_open",
                 "utter_offer_handoff_closed"):
        variants = domain["responses"][name]
        assert any(not v.get("channel") for v in variants)
        assert any(v.get("channel") == "twilio" for v in variants), name
        # one SMS segment as sent: filled in with the longest values, choices numbered
        sent = sms_of(domain, name, handoff_reply_minutes=get_settings().handoff_reply_minutes,
                      next_open_day="Wednesday", next_open_time="10:30 AM")
        assert len(sent) <= 160, (name, len(sent))


async def test_a_person_taken_from_the_offer_counts_as_a_fallback_hand_off(
    db_session, dispatcher, domain, make_tracker
):
    events = [
        {"event": "user", "text": "the glue thing in my back, is that what they do"},
        {"event": "action", "name": "action_suggest_topics"},
        {"event": "user", "text": "hmm not really"},
        {"event": "action", "name": "action_offer_handoff"},
        {"event": "action", "name": "action_listen"},
        {"event": "user", "text": "/request_human"},
    ]
    latest = {"text": "/request_human", "message_id": "m-7", "intent": {"name": "request_human"}}
    await ActionRequestHandoff().run(dispatcher, make_tracker(latest, events=events), domain)
    row = db_session.execute(select(HandoffRequest)).scalar_one()
    assert (row.reason, row.message_text) == ("fallback", "hmm not really")


@pytest.mark.parametrize("now,response,values", [
    (MONDAY_2PM_CHICAGO, "utter_offer_handoff_open", {"handoff_reply_minutes": 30}),
    (SATURDAY_NOON_CHICAGO, "utter_offer_handoff_closed",
     {"handoff_reply_minutes": 30, "next_open_day": "Monday", "next_open_time": "8:00 AM"}),
])
async def test_the_offer_gives_the_office_hours_wording_and_records_nothing(
    monkeypatch, db_session, dispatcher, domain, make_tracker, now, response, values
):
    monkeypatch.setattr(handoff, "utcnow", lambda: now)
    assert await ActionOfferHandoff().run(dispatcher, make_tracker(asked()), domain) == []
    [message] = dispatcher.messages
    assert message["response"] == response
    assert {k: message[k] for k in values} == values
    assert db_session.execute(select(HandoffRequest)).first() is None
    payloads = [b["payload"] for b in domain["responses"][response][0]["buttons"]]
    assert payloads == ["/request_human", "/deny"]


async def test_back_to_the_assistant_closes_only_this_chats_waiting_requests(
    db_session, dispatcher, domain, make_tracker
):
    for conversation, message_id in (("conv-1", "m-1"), ("conv-1", "m-2"), ("conv-2", "m-3")):
        tracker = make_tracker(asked(message_id=message_id), sender_id=conversation)
        await ActionRequestHandoff().run(CollectingDispatcher(), tracker, domain)
    tracker = make_tracker({"text": "/back_to_assistant", "intent": {"name": "back_to_assistant"}},
                           sender_id="conv-1")
    events = await ActionWithdrawHandoff().run(dispatcher, tracker, domain)
    assert events == [SlotSet("handoff_waiting", False)]
    assert [m["response"] for m in dispatcher.messages] == ["utter_handoff_withdrawn"]
    db_session.expire_all()
    rows = db_session.execute(select(HandoffRequest).order_by(HandoffRequest.id)).scalars()
    assert [(r.conversation_id, r.status, r.staff_name) for r in rows] == [
        ("conv-1", "closed", "(patient)"), ("conv-1", "closed", "(patient)"),
        ("conv-2", "open", None)]


async def test_back_to_the_assistant_with_the_database_down_still_answers(
    monkeypatch, dispatcher, domain, make_tracker
):
    def broken(*_: object) -> None:
        raise OperationalError("UPDATE", {}, Exception("database is locked"))

    monkeypatch.setattr(handoff.handoff, "withdraw", broken)
    events = await ActionWithdrawHandoff().run(dispatcher, make_tracker(asked()), domain)
    assert events == [SlotSet("handoff_waiting", False)]
    assert [m["response"] for m in dispatcher.messages] == ["utter_handoff_withdrawn"]
