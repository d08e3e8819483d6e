"""Write realistic Rasa events into a test database's ``events`` table (as Rasa stores them)."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from typing import Any, Dict, Iterable, List, Optional

import pytest
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.events import (
    ActionExecuted,
    ActiveLoop,
    BotUttered,
    Event,
    SessionStarted,
    SlotSet,
    UserUttered,
)
from sqlalchemy import inspect
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from clinic.models import HandoffRequest, StaffAlert
from clinic.review import indexer

START = datetime(2026, 11, 20, 9, 0, tzinfo=timezone.utc).timestamp()
DAY = 86400.0


def create_events_table(engine: Engine) -> None:
    """Rasa's own ``events`` table on ``engine``."""
    if not inspect(engine).has_table("events"):
        SQLTrackerStore.SQLEvent.__table__.create(engine)


def user(text: str, intent: str = "greet", confidence: float = 0.95, channel: str = "rest",
         faq: Optional[str] = None, faq_confidence: float = 0.9, message_id: str = "",
         ranking: Optional[List[Dict[str, Any]]] = None) -> UserUttered:
    """A patient message with the parse data the project's pipeline produces."""
    parse: Dict[str, Any] = {
        "intent": {"name": intent, "confidence": confidence},
        "intent_ranking": ranking or [{"name": intent, "confidence": confidence}],
        "response_selector": {"faq": {"response": {
            "intent_response_key": faq or "faq/what_is_kyphoplasty",
            "confidence": faq_confidence if faq else 0.2,
            "utter_action": f"utter_{faq or 'faq/what_is_kyphoplasty'}"}}},
    }
    return UserUttered(text, parse["intent"], parse_data=parse, input_channel=channel,
                       message_id=message_id or None)


def bot(text: str, response: str = "utter_greet", staff: str = "") -> BotUttered:
    """An answer (``staff``: a staff reply as ``clinic.staff`` posts it)."""
    metadata = {"staff_reply": True, "staff": staff} if staff else {"utter_action": response}
    return BotUttered(text, metadata=metadata)


def turn(text: str, answer: str = "Hello!", response: str = "utter_greet",
         **understood: Any) -> List[Event]:
    """A patient message, the action that answers it, its answer, and listening again."""
    return [user(text, **understood), ActionExecuted(response), bot(answer, response),
            ActionExecuted("action_listen")]


def session_start() -> List[Event]:
    return [ActionExecuted("action_session_start"), SessionStarted(),
            ActionExecuted("action_listen")]


def write(engine: Engine, sender: str, events: Iterable[Event], at: float = START) -> None:
    """Store ``events`` for ``sender`` one second apart from ``at``, like the tracker store."""
    create_events_table(engine)
    rows = []
    for offset, event in enumerate(events):
        event.timestamp = at + offset
        data = event.as_dict()
        rows.append({
            "sender_id": sender, "type_name": event.type_name, "timestamp": data["timestamp"],
            "intent_name": (data.get("parse_data") or {}).get("intent", {}).get("name"),
            "action_name": data.get("name"), "data": json.dumps(data),
        })
    with engine.begin() as connection:
        connection.execute(SQLTrackerStore.SQLEvent.__table__.insert(), rows)


def booking_events() -> List[Event]:
    """A form with slots, as a booking conversation stores them."""
    return [user("I'd like to book a consultation", intent="request_appointment"),
            ActionExecuted("appointment_form"), ActiveLoop("appointment_form"),
            SlotSet("requested_slot", "appointment_name"),
            bot("What name should we use?", "utter_ask_appointment_name"),
            ActionExecuted("action_listen"),
            user("Rosa Delgado", intent="inform"), ActionExecuted("appointment_form"),
            SlotSet("appointment_name", "Rosa Delgado"), ActiveLoop(None),
            ActionExecuted("action_listen")]


def alert_row(cid: str, message_id: str = "m1", **extra: Any) -> StaffAlert:
    """A red-flag alert raised by message ``message_id``."""
    return StaffAlert(channel="rest", conversation_id=cid, message_id=message_id,
                      message_text="chest pain", level="emergency", **extra)


@pytest.fixture(name="clinic")
def clinic_fixture(db_engine: Engine) -> Engine:
    """Five conversations covering every filter."""
    write(db_engine, "calm", session_start() + turn("Hi there", channel="web")
          + turn("How long is recovery?", intent="faq", faq="faq/recovery_time",
                 answer="Most people...", response="utter_faq/recovery_time", channel="web"))
    write(db_engine, "unsure", turn("blorp zzz 100%_sure", intent="nlu_fallback", confidence=0.45,
                                    ranking=[{"name": "nlu_fallback", "confidence": 0.45},
                                             {"name": "faq", "confidence": 0.31}]),
          at=START + DAY)
    write(db_engine, "+13125550100", turn("my number is 312 555 0100", channel="twilio",
                                          intent="inform", confidence=0.5, message_id="m1"),
          at=START + 2 * DAY)
    write(db_engine, "booking", booking_events(), at=START + 3 * DAY)
    write(db_engine, "human", turn("can I talk to a person", intent="request_human",
                                   message_id="h1"), at=START + 4 * DAY)
    with Session(db_engine) as session, session.begin():
        session.add(alert_row("+13125550100", created_at=datetime(2026, 11, 22, 9, 0, 1)))
        session.add(HandoffRequest(channel="rest", conversation_id="human", message_id="h1",
                                   message_text="person", reason="patient_request",
                                   during_office_hours=True))
    assert indexer.catch_up() > 0
    return db_engine
