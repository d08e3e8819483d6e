"""A check-in over real HTTP with the trained model, the action server and the database:
started through Rasa's trigger_intent endpoint as the worker does (``output_channel=twilio``)
and answered by text from the patient's phone (signed webhooks, the local fake of Twilio);
answers stored on the check-in, a staff alert for worse pain, and a red flag in words
mid-check-in handled by the safety rule before the check-in goes on."""

from __future__ import annotations

from datetime import date, timedelta
from typing import List

import pytest
import requests
from sqlalchemy import select

from clinic.db import session_scope
from clinic.followups.schedule import register
from clinic.messages import conversation_path
from clinic.models import FollowUpCheckin, StaffAlert
from tests.helpers import rows_for
from tests.sms_phone import Phone, sms_of

pytestmark = [pytest.mark.server]

LATER = date.today() + timedelta(days=5)  # nothing due: the servers' worker leaves it alone


def checkin_ids(follow_up_id: int, day1_pain: int) -> List[int]:
    """The follow-up's check-in ids; day 1 already answered with ``day1_pain``."""
    with session_scope() as session:
        rows = session.execute(select(FollowUpCheckin).where(
            FollowUpCheckin.follow_up_id == follow_up_id).order_by(FollowUpCheckin.day_offset)
        ).scalars().all()
        rows[0].status, rows[0].pain_score = "answered", day1_pain
        return [r.id for r in rows]


def trigger(servers, phone: Phone, checkin_id: int, day: str, texts: int = 2) -> List[str]:
    """Start the check-in as the worker does; the texts the phone got."""
    answer = requests.post(
        f"{servers.rasa_url}/conversations/{conversation_path(phone.number)}/trigger_intent",
        params={"token": servers.token, "output_channel": "twilio"},
        json={"name": "EXTERNAL_followup_checkin", "entities": {
            "followup_checkin_id": str(checkin_id), "followup_procedure": "kyphoplasty",
            "followup_day": day}},
        timeout=60)
    assert answer.status_code == 200, answer.text
    got = phone.fake.wait_for(phone.number, phone.seen + texts)[phone.seen:]
    phone.seen += len(got)
    return got


def checkin(checkin_id: int) -> FollowUpCheckin:
    with session_scope() as session:
        row = session.get(FollowUpCheckin, checkin_id)
        session.expunge(row)
        return row


def test_checkin_answers_are_stored_and_worse_pain_alerts_staff(servers, phone, domain):
    ids = checkin_ids(register(phone.number, "kyphoplasty", LATER, "kim"), day1_pain=3)
    assert trigger(servers, phone, ids[1], "3") == [
        sms_of(domain, "utter_checkin_intro", checkin_day="3", checkin_procedure="kyphoplasty"),
        sms_of(domain, "utter_ask_checkin_pain")]
    assert phone.text("hmm") == [sms_of(domain, "utter_invalid_checkin_pain_unclear"),
                                 sms_of(domain, "utter_ask_checkin_pain")]
    assert phone.text("about a 6") == [sms_of(domain, "utter_ask_checkin_red_flag")]
    assert phone.text("2") == [  # the numbered choice "No"
        sms_of(domain, "utter_checkin_pain_worse", checkin_previous_pain="3")]
    row = checkin(ids[1])
    assert (row.status, row.pain_score, row.red_flag) == ("answered", 6, "no")
    [alert] = rows_for(StaffAlert, phone.number)
    assert (alert.level, alert.evidence) == ("follow_up", ["day 3 pain 6/10, was 3/10"])


def test_red_flag_in_words_mid_checkin_then_the_checkin_goes_on(servers, phone, domain):
    ids = checkin_ids(register(phone.number, "kyphoplasty", LATER, "kim"), day1_pain=5)
    trigger(servers, phone, ids[1], "3")
    assert phone.text("i suddenly can't move my legs") == [
        sms_of(domain, "utter_urgent_symptom", "emergency"),
        sms_of(domain, "utter_ask_checkin_pain")]
    assert phone.text("4") == [sms_of(domain, "utter_checkin_thanks_red_flag")]
    row = checkin(ids[1])
    assert (row.pain_score, row.red_flag) == (4, "reported")
    assert [a.level for a in rows_for(StaffAlert, phone.number)] == ["emergency"]  # pain better


def test_yes_to_the_red_flags_gives_the_instruction_and_alerts(servers, phone, domain):
    ids = checkin_ids(register(phone.number, "vertebroplasty", LATER, "kim"), day1_pain=2)
    trigger(servers, phone, ids[1], "3")
    assert phone.text("2") == [sms_of(domain, "utter_ask_checkin_red_flag")]
    assert phone.text("yes") == [
        sms_of(domain, "utter_urgent_symptom"),  # the instruction for every red flag
        sms_of(domain, "utter_checkin_thanks_red_flag")]
    assert checkin(ids[1]).red_flag == "yes"
    assert [a.level for a in rows_for(StaffAlert, phone.number)] == ["urgent"]


def test_a_late_answer_in_a_new_session_reopens_the_checkin(servers, phone, domain):
    ids = checkin_ids(register(phone.number, "kyphoplasty", LATER, "kim"), day1_pain=5)
    trigger(servers, phone, ids[1], "3")
    assert phone.text("5") == [sms_of(domain, "utter_ask_checkin_red_flag")]
    # An hour of silence: a new session starts with the slots carried over (as Rasa's
    # action_session_start does), and the form is no longer active.
    slots = servers.tracker(phone.number)["slots"]
    new_session = [{"event": "action", "name": "action_session_start"},
                   {"event": "session_started"},
                   *({"event": "slot", "name": k, "value": v} for k, v in slots.items()
                     if v is not None),
                   {"event": "action", "name": "action_listen"}]
    answer = requests.post(
        f"{servers.rasa_url}/conversations/{conversation_path(phone.number)}/tracker/events",
        params={"token": servers.token}, json=new_session, timeout=30)
    assert answer.status_code == 200 and not servers.tracker(phone.number)["active_loop"]
    assert phone.text("no") == [sms_of(domain, "utter_checkin_thanks")]
    row = checkin(ids[1])
    assert (row.status, row.pain_score, row.red_flag) == ("answered", 5, "no")
