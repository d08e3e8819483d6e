"""Ending the booking form: the request is stored once, handed off by the configured
adapter, and the patient learns the reference and what happens next -- or, when the
database is down, is told plainly to call (and the log holds no patient details)."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any, Dict, List, Tuple

import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy import select
from sqlalchemy.exc import OperationalError

from actions.scheduling import ActionCancelAppointment, ActionFinishAppointment, next_steps
from clinic.booking import appointments, phone, preferred_times
from clinic.booking.slots import ANSWER_SLOTS, CONTROL_SLOTS
from clinic.models import AppointmentRequest, OutboxMessage

CONFIRMED = {
    "appointment_name": "Maria Lopez", "appointment_phone": "+13125550199",
    "appointment_phone_display": "(312) 555-0199", "appointment_times": "tuesday mornings",
    "appointment_dates": ["2026-11-24"], "appointment_reason": "kyphoplasty",
    "appointment_contact": "phone or text", "appointment_confirmed": True,
}
ALWAYS_OPEN = {"CLINIC_OPEN_DAYS": "mon-sun", "CLINIC_OPENS": "00:00", "CLINIC_CLOSES": "23:59"}


def finished_tracker(slots: Dict[str, Any], sender: str = "web-7") -> Tracker:
    events = [{"event": "user", "text": "yes", "input_channel": "rest",
               "parse_data": {"intent": {"name": "affirm"}}}]
    return Tracker(sender, slots, {"text": "yes", "intent": {"name": "affirm"}}, events,
                   False, None, {}, "appointment_form")


async def finish(domain, slots: Dict[str, Any], **kwargs: Any
                 ) -> Tuple[List[Dict[str, Any]], List[Dict[str, Any]]]:
    dispatcher = CollectingDispatcher()
    events = await ActionFinishAppointment().run(dispatcher, finished_tracker(slots, **kwargs),
                                                 domain)
    return events, dispatcher.messages


def cleared(events: List[Dict[str, Any]]) -> set:
    return {e["name"] for e in events if e["event"] == "slot" and e["value"] is None}


def stored_rows(db_session) -> List[AppointmentRequest]:
    return list(db_session.execute(select(AppointmentRequest)).scalars())


async def test_confirmed_request_is_stored_and_the_patient_gets_a_reference(
        domain, db_session, settings_env):
    settings_env(**ALWAYS_OPEN)
    events, said = await finish(domain, CONFIRMED)
    [row] = stored_rows(db_session)
    assert (row.patient_name, row.phone, row.preferred_times) == (
        "Maria Lopez", "+13125550199", "tuesday mornings")
    assert (row.procedure, row.contact_methods, row.preferred_dates) == (
        "kyphoplasty", ["phone", "sms"], ["2026-11-24"])
    assert (row.status, row.adapter, row.channel, row.conversation_id) == (
        "new", "queue", "rest", "web-7")
    assert row.reference.startswith("APT-") and len(row.reference) == 10
    [message] = said
    assert message["response"] == "utter_appointment_submitted"
    assert message["appointment_reference"] == row.reference
    assert message["reply_within"] == "one business day"
    assert message["appointment_phone_display"] == "(312) 555-0199"
    assert cleared(events) == set(ANSWER_SLOTS) | set(CONTROL_SLOTS)
    assert db_session.execute(select(OutboxMessage)).first() is None  # queue: the row is it


async def test_confirming_twice_stores_one_request(domain, db_session, settings_env):
    settings_env(**ALWAYS_OPEN)
    _, first = await finish(domain, CONFIRMED)
    _, second = await finish(domain, {**CONFIRMED, "appointment_name": "maria lopez"})
    [row] = stored_rows(db_session)
    assert second[0]["response"] == "utter_appointment_already_received"
    assert first[0]["appointment_reference"] == second[0]["appointment_reference"] == (
        row.reference)
    _, other = await finish(domain, CONFIRMED, sender="web-8")  # another conversation
    assert len(stored_rows(db_session)) == 2 and other[0]["response"].endswith("submitted")


def test_concurrent_retries_land_on_one_row(db_engine, monkeypatch):
    details = appointments.AppointmentDetails("web-9", "rest", "Ann Lee", "+13125550111",
                                              "whenever")
    first = appointments.store_request(details)
    real_existing = appointments._existing
    calls = {"n": 0}

    def racing(session, key):  # the retry's first look misses the row, as in a race
        calls["n"] += 1
        return None if calls["n"] == 1 else real_existing(session, key)

    monkeypatch.setattr(appointments, "_existing", racing)
    second = appointments.store_request(details)
    assert (second.id, second.reference, second.created) == (first.id, first.reference, False)


async def test_webhook_adapter_queues_a_delivery_in_the_same_transaction(
        domain, db_session, settings_env):
    settings_env(SCHEDULING_WEBHOOK_URL="http://127.0.0.1:9/hook", **ALWAYS_OPEN)
    await finish(domain, CONFIRMED)
    [row] = stored_rows(db_session)
    [delivery] = db_session.execute(select(OutboxMessage)).scalars().all()
    assert (row.adapter, delivery.kind, delivery.target, delivery.ref_id) == (
        "webhook", "appointment_request", "scheduling", row.id)
    assert delivery.payload["patient"] == {"name": "Maria Lopez", "phone": "+13125550199"}
    assert delivery.payload["reference"] == row.reference


def test_office_closed_says_when_the_team_will_call(domain, settings_env):
    settings_env(CLINIC_OPEN_DAYS="mon-fri", CLINIC_OPENS="08:00", CLINIC_CLOSES="17:00",
                 CLINIC_TIMEZONE="America/Chicago")
    saturday = datetime(2026, 11, 21, 18, 0)  # noon in Chicago, a Saturday
    values = next_steps(finished_tracker(CONFIRMED), "APT-TEST22", now=saturday)
    assert (values["next_open_day"], values["next_open_time"]) == ("Monday", "8:00 AM")
    tuesday = datetime(2026, 11, 24, 16, 0)  # 10 am in Chicago
    assert "next_open_day" not in next_steps(finished_tracker(CONFIRMED), "X", now=tuesday)


async def test_database_down_tells_the_patient_to_call_and_logs_no_details(
        domain, monkeypatch, caplog):
    def down(_details):
        raise OperationalError("INSERT", {}, Exception("database is locked"))

    monkeypatch.setattr("actions.scheduling.store_request", down)
    with caplog.at_level(logging.INFO):
        events, said = await finish(domain, CONFIRMED)
    assert [m["response"] for m in said] == ["utter_appointment_unavailable"]
    assert events == [{"event": "slot", "timestamp": None, "name": "appointment_confirmed",
                       "value": None}]  # the answers are kept for another try
    assert "OperationalError" in caplog.text
    for private in ("Maria", "Lopez", "5550199", "tuesday", "web-7"):
        assert private not in caplog.text


@pytest.mark.parametrize("outcome, response, keeps_answers", [
    ("gave_up", "utter_appointment_gave_up", True),
    ("declined_contact", "utter_appointment_declined_contact", False),
])
async def test_forms_ending_without_a_request(domain, db_session, outcome, response,
                                              keeps_answers):
    slots = {**CONFIRMED, "appointment_confirmed": None, "appointment_outcome": outcome}
    events, said = await finish(domain, slots)
    assert [m["response"] for m in said] == [response]
    assert stored_rows(db_session) == []
    assert ("appointment_name" in cleared(events)) is not keeps_answers
    assert "appointment_outcome" in cleared(events)


async def test_cancel_forgets_the_answers(domain, tracker):
    dispatcher = CollectingDispatcher()
    events = await ActionCancelAppointment().run(dispatcher, tracker, domain)
    assert [m["response"] for m in dispatcher.messages] == ["utter_appointment_cancelled"]
    assert cleared(events) == set(ANSWER_SLOTS) | set(CONTROL_SLOTS)


def test_every_response_the_form_can_send_exists(domain):
    names = [f"utter_invalid_name_{e}" for e in
             ("empty", "digits", "symbols", "long", "not_a_name", "one_word")]
    names += [f"utter_invalid_phone_{e}" for e in
              (phone.NO_DIGITS, phone.LETTERS, phone.TOO_SHORT, phone.TOO_LONG, phone.FOREIGN,
               phone.INVALID)]
    names += [f"utter_invalid_times_{e}" for e in (preferred_times.PAST, preferred_times.UNCLEAR)]
    names += ["utter_ask_appointment_field", "utter_appointment_submitted_closed"]
    assert not [n for n in names if n not in domain["responses"]]
