"""Conversations over real HTTP: alarms in the middle of other flows, hand-offs (the bot
answers meanwhile) with staff replies and hand-back, red flags while waiting, alert rows
and staff notifications."""

from __future__ import annotations

import asyncio
import dataclasses
import time
from typing import List

import pytest

from addons.channels.rest import conversation_id as rest_id
from clinic import staff
from clinic.models import HandoffRequest, StaffAlert
from clinic.settings import get_settings
from tests.helpers import (
    frame_text,
    instruction_texts,
    is_handoff,
    is_handoff_offer,
    level_text,
    render,
    rows_for,
    sender,
)

pytestmark = [pytest.mark.server]

LEGS = "i had kyphoplasty tuesday and now i cant feel my legs"


def alerts_for(user: str) -> List[StaffAlert]:
    return rows_for(StaffAlert, rest_id(user))


def handoff_for(user: str) -> HandoffRequest:
    [row] = rows_for(HandoffRequest, rest_id(user))
    return row


def staff_settings(servers):
    return dataclasses.replace(get_settings(), rasa_url=servers.rasa_url,
                               rasa_api_token=servers.token)


def test_alarm_in_the_middle_of_the_fallback_flow(servers, server_db, domain, vague):
    user = sender()
    [suggestion] = servers.send(user, vague[0]).json()
    assert suggestion["buttons"]  # "Did you mean...?" is waiting for a choice
    assert servers.texts(user, LEGS) == instruction_texts(domain, "emergency")
    [alert] = alerts_for(user)
    assert (alert.level, alert.channel, alert.status) == ("emergency", "rest", "new")
    assert alert.message_text == LEGS and alert.evidence
    # the earlier choice is gone: a topic button is not an answer now
    assert servers.texts(user, "how long is the recovery from vertebroplasty") == [
        frame_text(domain, "emergency")]
    assert servers.texts(user, "/safe_now") == [render(domain, "utter_safe_now")]
    assert servers.texts(user, "how long is the recovery from vertebroplasty") == [
        render(domain, "utter_faq/recovery_time")]


def test_alarm_then_continue_and_each_alarm_is_recorded(servers, server_db, domain):
    user = sender()
    assert servers.texts(user, "what is kyphoplasty?") == [
        render(domain, "utter_faq/what_is_kyphoplasty")]
    assert servers.texts(user, "his temp is 102.4 tonight")[0] == level_text(domain, "urgent")
    assert servers.texts(user, "is fever a risk after the procedure?") == [
        frame_text(domain, "urgent")]
    # a worse red flag inside the frame gets its own instruction and alert, and its frame
    assert servers.texts(user, "now he has chest pain") == instruction_texts(domain, "emergency")
    assert servers.texts(user, "ok") == [frame_text(domain, "emergency")]
    assert [a.level for a in alerts_for(user)] == ["urgent", "emergency"]
    assert servers.texts(user, "/safe_now") == [render(domain, "utter_safe_now")]
    assert servers.texts(user, "is fever a risk after the procedure?") == [
        render(domain, "utter_faq/risks")]


def test_a_worry_about_a_risk_gets_its_answer_and_the_safety_check_no_alert(
    servers, server_db, domain
):
    user = sender()
    text = "My aunt says her legs could go numb from the cement. Is that a real risk?"
    # the channel sends the check as a message of its own, right after the answer
    assert servers.texts(user, text) == [
        render(domain, "utter_faq/risks"), render(domain, "utter_safety_check_urgent")]
    assert alerts_for(user) == []
    # the next answer is plain again
    assert servers.texts(user, "how long is the recovery from vertebroplasty") == [
        render(domain, "utter_faq/recovery_time")]


def test_staff_are_notified_by_the_worker(servers, server_db):
    user = sender()
    servers.texts(user, "my husband fainted after his vertebroplasty")
    [alert] = alerts_for(user)
    deadline = time.monotonic() + 15
    while f"staff_alert #{alert.id} level=emergency" not in servers.logs():
        assert time.monotonic() < deadline, "worker did not notify"
        time.sleep(0.2)
    assert "fainted" not in servers.logs()


def test_waiting_for_staff_the_bot_answers_then_staff_reply_and_hand_back(
        servers, server_db, domain):
    user = sender()
    [message] = servers.send(user, "can I talk to a real person please").json()
    assert is_handoff(domain, message["text"])
    assert [b["payload"] for b in message["buttons"]] == ["/back_to_assistant"]
    request = handoff_for(user)
    assert (request.status, request.reason, request.channel) == ("open", "patient_request", "rest")
    tracker = servers.tracker(rest_id(user))
    assert tracker["paused"] is False and tracker["slots"]["handoff_waiting"] is True
    # questions are still answered; every third message says staff have it
    assert servers.texts(user, "will I be asleep during kyphoplasty?") == [
        render(domain, "utter_faq/anesthesia")]
    assert servers.texts(user, "how long is the recovery from vertebroplasty") == [
        render(domain, "utter_faq/recovery_time")]
    assert servers.texts(user, "is fever a risk after the procedure?") == [
        render(domain, "utter_faq/risks"), render(domain, "utter_handoff_waiting")]
    # a red flag gets its instruction and alert, and no reminder
    assert servers.texts(user, "now I have chest pain") == instruction_texts(domain, "emergency")
    assert [a.level for a in alerts_for(user)] == ["emergency"]
    # staff reply: REST can't push, so the patient gets it with the next answer
    asyncio.run(staff.reply(request.id, "Hi, this is Nurse Kim. Did you call 911?", "kim",
                            settings=staff_settings(servers)))
    assert handoff_for(user).status == "answered"
    assert servers.texts(user, "ok thank you") == [
        "Hi, this is Nurse Kim. Did you call 911?", frame_text(domain, "emergency")]
    asyncio.run(staff.resume(request.id, "kim", settings=staff_settings(servers)))
    assert handoff_for(user).status == "closed"
    slots = servers.tracker(rest_id(user))["slots"]
    # staff handing the chat back also ends the red flag's frame
    assert (slots["handoff_waiting"], slots["safety_frame"]) == (False, False)
    assert servers.texts(user, "will I be asleep during kyphoplasty?") == [
        render(domain, "utter_faq/anesthesia")]


def test_back_to_the_assistant_withdraws_the_request(servers, server_db, domain):
    user = sender()
    servers.texts(user, "i want to talk to a nurse")
    assert handoff_for(user).status == "open"
    assert servers.texts(user, "/back_to_assistant") == [
        render(domain, "utter_handoff_withdrawn")]
    request = handoff_for(user)
    assert (request.status, request.staff_name) == ("closed", "(patient)")
    assert servers.tracker(rest_id(user))["slots"]["handoff_waiting"] is False


def test_second_fallback_offers_a_person_never_forces_one(servers, server_db, domain, vague):
    user = sender()
    [message] = servers.send(user, vague[0]).json()
    assert message["text"] == render(domain, "utter_did_you_mean")
    payloads = [b["payload"] for b in message["buttons"]]
    assert 3 <= len(payloads) <= 6 and payloads[-1] == "/deny"
    assert all(p.startswith("/faq/") for p in payloads[:-1])
    [offer] = servers.send(user, vague[1]).json()
    assert is_handoff_offer(domain, offer["text"])
    assert [b["payload"] for b in offer["buttons"]] == ["/request_human", "/deny"]
    assert rows_for(HandoffRequest, rest_id(user)) == []  # nothing is queued by itself
    [text] = servers.texts(user, "/request_human")
    assert is_handoff(domain, text)
    request = handoff_for(user)
    assert request.reason == "fallback" and request.message_text == vague[1]
    assert servers.send(user, "hmm").json() != []  # never silent


def test_something_else_offers_a_person_and_no_thanks_goes_on(
        servers, server_db, domain, vague):
    user = sender()
    servers.send(user, vague[0])
    [offer] = servers.texts(user, "/deny")
    assert is_handoff_offer(domain, offer)
    assert servers.texts(user, "/deny") == [render(domain, "utter_deny")]
    assert rows_for(HandoffRequest, rest_id(user)) == []
    assert servers.texts(user, "will I be asleep during kyphoplasty?") == [
        render(domain, "utter_faq/anesthesia")]


def test_offered_button_payload_answers_that_topic(servers, domain, vague):
    user = sender()
    [message] = servers.send(user, vague[0]).json()
    payload = message["buttons"][0]["payload"]
    key = payload.split("/")[-1]
    assert servers.texts(user, payload) == [render(domain, f"utter_faq/{key}")]
    # the same payload typed again, no longer offered, is read as words
    servers.texts(user, payload)
    last_user = [e for e in servers.tracker(rest_id(user))["events"] if e["event"] == "user"][-1]
    assert last_user["text"] == f"faq {key}"
