"""The booking form over real HTTP with the trained model, the action server and the
database: happy path, correction, question detour, cancel, three failures, a red flag
mid-form (also with the action server gone), and a double confirmation."""

from __future__ import annotations

import re
from pathlib import Path
from typing import List

import pytest

from addons.channels.rest import conversation_id as rest_id
from clinic.models import AppointmentRequest, StaffAlert
from scripts.servers import start
from tests.conftest import MODEL_PATH
from tests.helpers import level_text, render, rows_for, sender

pytestmark = [pytest.mark.server]

ASK = {
    "name": "utter_ask_appointment_name", "phone": "utter_ask_appointment_phone",
    "times": "utter_ask_appointment_times", "reason": "utter_ask_appointment_reason",
    "contact": "utter_ask_appointment_contact",
}


def ask(domain, question: str) -> str:
    return render(domain, ASK[question])


def requests_for(user: str) -> List[AppointmentRequest]:
    return rows_for(AppointmentRequest, rest_id(user))


def fill_until_read_back(servers, domain, who: str) -> List[str]:
    """Answer every question; returns the read-back."""
    assert servers.texts(who, "hi, i'd like to book a consultation for my mother")[-1] == (
        ask(domain, "name"))
    assert servers.texts(who, "rosa delgado") == [ask(domain, "phone")]
    assert servers.texts(who, "her cell is 708-555-0134") == [ask(domain, "times")]
    assert servers.texts(who, "thursday afternoons work best") == [ask(domain, "reason")]
    assert servers.texts(who, "Vertebroplasty") == [ask(domain, "contact")]
    return servers.texts(who, "texting is easiest")


def test_happy_path_stores_the_request_and_gives_its_reference(servers, server_db, domain):
    who = sender()
    [read_back] = fill_until_read_back(servers, domain, who)
    for shown in ("Rosa Delgado", "(708) 555-0134", "thursday afternoons work best",
                  "vertebroplasty", "Contact by: text"):
        assert shown in read_back
    assert requests_for(who) == []  # nothing is sent before the patient confirms
    [done] = servers.texts(who, "/affirm")
    [row] = requests_for(who)
    assert row.reference in done and "by text" in done
    assert (row.patient_name, row.phone, row.procedure, row.contact_methods, row.status) == (
        "Rosa Delgado", "+17085550134", "vertebroplasty", ["sms"], "new")
    assert row.preferred_times == "thursday afternoons work best" and row.preferred_dates
    # a double click on "Yes, send it": the button is gone, nothing is stored twice
    servers.texts(who, "/affirm")
    assert len(requests_for(who)) == 1


def test_correction_at_the_read_back(servers, server_db, domain):
    who = sender()
    fill_until_read_back(servers, domain, who)
    [again] = servers.texts(who, "oops, her number is actually 708 555 0199")
    assert "(708) 555-0199" in again and "0134" not in again
    [change] = servers.texts(who, "/deny")
    assert change == render(domain, "utter_ask_appointment_field")
    assert servers.texts(who, "Days and times") == [ask(domain, "times")]
    [again] = servers.texts(who, "monday mornings")
    assert "Preferred times: monday mornings" in again
    servers.texts(who, "yes")
    [row] = requests_for(who)
    assert (row.phone, row.preferred_times) == ("+17085550199", "monday mornings")


def test_question_mid_form_is_answered_then_the_form_asks_again(servers, domain):
    who = sender()
    servers.texts(who, "can i get an appointment")
    servers.texts(who, "Rosa Delgado")
    answer = servers.texts(who, "wait, will she be awake during the kyphoplasty?")
    assert len(answer) == 2 and answer[1] == ask(domain, "phone")
    assert "sedation" in answer[0] or "anesthesia" in answer[0].lower()
    assert servers.texts(who, "708 555 0134") == [ask(domain, "times")]


def test_cancel_half_way_sends_nothing(servers, server_db, domain):
    who = sender()
    servers.texts(who, "book an appointment please")
    servers.texts(who, "Rosa Delgado")
    assert servers.texts(who, "never mind, i'll call the office myself") == [
        render(domain, "utter_appointment_cancelled")]
    assert requests_for(who) == []
    # after cancelling, the bot answers questions normally again
    assert servers.texts(who, "what is vertebroplasty")[0] != ask(domain, "phone")


def test_three_failures_offer_the_clinic_phone(servers, domain):
    who = sender()
    servers.texts(who, "i want to book a consult")
    servers.texts(who, "Rosa Delgado")
    assert servers.texts(who, "12") == [
        render(domain, "utter_invalid_phone_too_short"), ask(domain, "phone")]
    assert servers.texts(who, "+44 20 7946 0958") == [
        render(domain, "utter_invalid_phone_foreign"), ask(domain, "phone")]
    [gave_up] = servers.texts(who, "five five five")
    assert gave_up == render(domain, "utter_appointment_gave_up")
    # the name was kept: trying again goes straight to the phone question
    assert servers.texts(who, "can i book an appointment then")[-1] == ask(domain, "phone")


def test_red_flag_mid_form_then_the_form_goes_on(servers, server_db, domain):
    who = sender()
    servers.texts(who, "could you book my dad in")
    servers.texts(who, "Walter Green")
    said = servers.texts(who, "hang on, he just passed out and isn't answering me")
    assert said == [level_text(domain, "emergency"), ask(domain, "phone")]
    [alert] = rows_for(StaffAlert, rest_id(who))
    assert alert.level == "emergency"
    assert servers.texts(who, "708 555 0134") == [ask(domain, "times")]


@pytest.mark.skipif(not MODEL_PATH.exists(), reason="run `make train` first")
def test_red_flag_mid_form_with_the_action_server_gone(tmp_path: Path, domain):
    own = start(tmp_path / "down")
    try:
        who = sender()
        own.texts(who, "book me a consultation")
        assert own.texts(who, "Walter Green") == [ask(domain, "phone")]
        assert own.actions is not None
        own.actions.terminate()
        own.actions.wait(timeout=20)
        said = own.texts(who, "he suddenly cant move his legs at all")
        assert said[0] == level_text(domain, "emergency")  # the instruction never depends on it
        [reply] = own.texts(who, "708 555 0134")
        assert reply == render(domain, "utter_technical_difficulty")
        assert not re.search(r"Walter|0134", own.logs().split("Traceback")[0])
    finally:
        own.stop()


def test_details_given_with_the_request_are_kept(servers, domain):
    who = sender()
    said = servers.texts(
        who, "please book my brother in, his name is Ken Ito and his number is 224 555 0133")
    assert said[0] == render(domain, "utter_appointment_start")
    assert said[-1] == ask(domain, "times")  # name and phone already answered
