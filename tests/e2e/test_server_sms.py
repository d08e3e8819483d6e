"""Text messages end to end: signed Twilio webhooks into the real Rasa server, answers out
through the real twilio SDK to the local fake of Twilio's API (``scripts/fake_twilio.py``)."""

from __future__ import annotations

import re
from typing import Any, Dict, List

import pytest
import requests
from twilio.request_validator import RequestValidator

from clinic.models import AppointmentRequest, HandoffRequest, SmsConsent, StaffAlert
from clinic.settings import get_settings
from scripts.fake_twilio import AUTH_TOKEN, inbound, post_signed
from tests.helpers import rows_for, rows_where
from tests.sms_phone import Phone, sms_of

pytestmark = [pytest.mark.server]

def user_events(servers, conversation: str) -> List[Dict[str, Any]]:
    return [e for e in servers.tracker(conversation)["events"] if e["event"] == "user"]


def test_unsigned_forged_or_tampered_webhooks_are_refused(phone, servers, fake_twilio):
    assert phone.post("hello", signature="").status_code == 403
    assert phone.post("hello", token="not-the-auth-token").status_code == 403
    # a signature for one body does not cover another
    form = inbound(phone.number, "hello")
    good = RequestValidator(AUTH_TOKEN).compute_signature(phone.url, form)
    assert post_signed(phone.url, {**form, "Body": "/restart"}, signature=good).status_code == 403
    assert requests.post(phone.url, data=form, timeout=10).status_code == 403
    assert fake_twilio.to(phone.number) == []
    assert user_events(servers, phone.number) == []


def test_a_question_gets_the_sms_answer(phone, domain):
    assert phone.text("will I be asleep?") == [sms_of(domain, "utter_faq/anesthesia")]


def test_missing_or_empty_body_and_pictures_get_a_clear_answer(phone, domain):
    assert phone.text(None) == [sms_of(domain, "utter_empty_message")]
    assert phone.text("   ") == [sms_of(domain, "utter_empty_message")]
    response = post_signed(phone.url, inbound(phone.number, "", NumMedia="1",
                                              MediaUrl0="https://api.twilio.com/m.jpg"))
    assert response.status_code == 200
    assert phone.fake.to(phone.number)[-1] == sms_of(domain, "utter_no_words")


def test_stop_help_start(phone, servers, domain):
    assert phone.text("Stop") == [sms_of(domain, "utter_sms_opted_out")]
    [consent] = rows_where(SmsConsent, phone=phone.number)
    assert (consent.status, consent.keyword) == ("opted_out", "STOP")
    assert phone.text("STOP") == []  # confirmed once
    assert phone.text("will I be asleep?") == []  # nothing else is sent
    # ... but a red flag from an opted-out number still reaches staff
    assert phone.text("I suddenly can't feel my legs") == []
    assert [a.level for a in rows_for(StaffAlert, phone.number)] == ["emergency"]
    [help_text] = phone.text("help")
    assert help_text == sms_of(domain, "utter_sms_help")
    for part in (get_settings().sms.program_name, get_settings().clinic.phone,
                 "Msg & data rates may apply", "STOP"):
        assert part in help_text
    assert phone.text("yes") == [sms_of(domain, "utter_sms_opted_in")]
    assert rows_where(SmsConsent, phone=phone.number)[0].status == "opted_in"
    # the red flag sent while opted out put the chat in its frame: where help is, first
    assert phone.text("will I be asleep?") == [
        sms_of(domain, "utter_safety_frame", "emergency")]
    assert phone.text("1") == [sms_of(domain, "utter_safe_now")]  # 1) I'm safe now
    assert phone.text("will I be asleep?") == [sms_of(domain, "utter_faq/anesthesia")]


def test_after_a_red_flag_by_text_the_next_question_gets_where_help_is(phone, domain):
    texts = phone.text("my mom had kyphoplasty and now she cant breathe")
    assert texts[0] == sms_of(domain, "utter_urgent_symptom", "emergency")
    [frame] = phone.text("what shud i do while we wait")
    assert frame == sms_of(domain, "utter_safety_frame", "emergency")
    assert len(frame) <= 160 and "\n1) I'm safe now" in frame
    assert phone.text("ok") == [frame]
    assert phone.text("1") == [sms_of(domain, "utter_safe_now")]


def test_a_booking_by_text_with_numbered_choices(phone, domain):
    assert phone.text("I'd like to book a consultation")[-1] == sms_of(
        domain, "utter_ask_appointment_name")
    assert phone.text("Rosa Delgado") == [sms_of(domain, "utter_ask_appointment_phone")]
    assert phone.text("this number") == [sms_of(domain, "utter_ask_appointment_times")]
    [procedure] = phone.text("thursday afternoons")
    assert procedure == sms_of(domain, "utter_ask_appointment_reason")
    assert "\n2) Vertebroplasty" in procedure
    [contact] = phone.text("2")
    assert contact == sms_of(domain, "utter_ask_appointment_contact")
    [read_back] = phone.text(" 2. ")
    assert "Rosa Delgado" in read_back and "\n1) Yes, send it" in read_back
    [done] = phone.text("1")
    [row] = rows_for(AppointmentRequest, phone.number)
    assert row.reference in done
    assert (row.channel, row.phone, row.procedure, row.contact_methods) == (
        "twilio", phone.number, "vertebroplasty", ["sms"])


def test_a_digit_without_choices_and_a_typed_command_are_plain_words(phone, servers):
    phone.text("7")
    phone.text("/restart")
    texts = [e["text"] for e in user_events(servers, phone.number)]
    assert texts == ["7", "restart"]


def test_staff_reply_and_check_in_reach_the_phone(phone, servers, domain):
    phone.text("can I talk to a real person please")
    [handoff] = rows_for(HandoffRequest, phone.number)
    assert handoff.channel == "twilio"
    response = requests.post(
        f"{servers.rasa_url}/conversations/{phone.number}/tracker/events",
        params={"token": servers.token, "output_channel": "latest",
                "execute_side_effects": "true"},
        json=[{"event": "bot", "text": "Hi, this is Lee from the clinic."}], timeout=30)
    assert response.status_code == 200
    assert phone.fake.wait_for(phone.number, phone.seen + 1)[-1] == (
        "Hi, this is Lee from the clinic.")
    phone.seen += 1
    # a conversation the clinic starts (as the follow-up worker does) goes out by text
    other = Phone(servers, phone.fake)
    response = requests.post(
        f"{servers.rasa_url}/conversations/{other.number}/trigger_intent",
        params={"token": servers.token, "output_channel": "twilio"},
        json={"name": "greet"}, timeout=30)
    assert response.status_code == 200
    assert other.fake.wait_for(other.number, 1) == [sms_of(domain, "utter_greet")]


def test_keywords_twilio_already_answered_are_recorded_silently(phone):
    response = post_signed(phone.url, inbound(phone.number, "STOP", OptOutType="STOP"))
    assert response.status_code == 200
    assert phone.fake.to(phone.number) == []
    assert rows_where(SmsConsent, phone=phone.number)[0].status == "opted_out"


def test_trigger_to_an_opted_out_number_sends_nothing(phone, servers):
    phone.text("quit")
    response = requests.post(
        f"{servers.rasa_url}/conversations/{phone.number}/trigger_intent",
        params={"token": servers.token, "output_channel": "twilio"},
        json={"name": "greet"}, timeout=30)
    assert response.status_code == 200
    assert len(phone.fake.to(phone.number)) == 1  # only the opt-out confirmation
    assert re.search(r"START", phone.fake.to(phone.number)[0])


def test_unknown_senders_huge_and_binary_bodies(phone, servers, fake_twilio):
    # a sender we cannot text back (WhatsApp, short code): accepted, nothing runs
    form = {**inbound(phone.number, "hello"), "From": "whatsapp:+13125550100"}
    response = post_signed(phone.url, form)
    assert response.status_code == 200 and "<Response>" in response.text
    assert post_signed(phone.url, {**form, "From": "72345"}).status_code == 200
    assert user_events(servers, "whatsapp:+13125550100") == []
    assert post_signed(phone.url, inbound(phone.number, "x" * 70_000)).status_code == 413
    binary = requests.post(phone.url, data=b"\xff\xfe\x00Body=\x81", timeout=10,
                           headers={"X-Twilio-Signature": "abc",
                                    "Content-Type": "application/x-www-form-urlencoded"})
    assert binary.status_code == 403
    assert fake_twilio.to(phone.number) == []


def test_a_long_message_and_emoji_are_answered(phone, domain):
    [note, *answers] = phone.text("will I be asleep? " + "please " * 400)
    assert note == sms_of(domain, "utter_message_truncated",
                          max_chars=get_settings().max_message_chars)
    assert answers
    assert phone.text("🙂🙂") == [sms_of(domain, "utter_no_words")]


def test_rest_cannot_take_over_a_text_conversation(phone, servers):
    """The attack: REST as the patient's number read the nurse's reply and diverted the next."""
    phone.text("can I talk to a real person please")

    def staff_says(text: str) -> None:
        response = requests.post(
            f"{servers.rasa_url}/conversations/{phone.number}/tracker/events",
            params={"token": servers.token, "output_channel": "latest",
                    "execute_side_effects": "true"},
            json=[{"event": "bot", "text": text}], timeout=30)
        assert response.status_code == 200
        assert phone.fake.wait_for(phone.number, phone.seen + 1)[-1] == text
        phone.seen += 1

    staff_says("Hi, this is Lee from the clinic.")
    stolen = servers.send(phone.number, "hi it's me, what did the nurse say?")
    assert stolen.status_code == 200
    assert "Lee" not in stolen.text
    assert [e["text"] for e in user_events(servers, phone.number)] == [
        "can I talk to a real person please"]
    staff_says("Lee again: please call us back.")  # still texted, not handed to the caller
    assert "Lee again" not in servers.send(phone.number, "anything new?").text
