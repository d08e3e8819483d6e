"""A check-in over real HTTP with the trained model, the action server and the database:
started through Rasa's trigger_intent endpoint (as the worker does, but with Rasa's
collecting output channel instead of SMS), answered as the patient's number on the REST
channel; answers stored on the check-in, a staff alert for worse pain, and a red flag in
words mid-check-in handled by the safety rule before the check-in goes on."""

from __future__ import annotations

from datetime import date, timedelta
from typing import List

import pytest
import requests
from sqlalchemy import select

from actions.config import get_settings
from actions.conversation import conversation_path
from actions.db import session_scope
from actions.followups import register
from actions.models import FollowUpCheckin, StaffAlert
from tests.helpers import level_text, render, rows_for

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


def trigger(servers, phone: str, checkin_id: int, day: str) -> List[str]:
    answer = requests.post(
        f"{servers.rasa_url}/conversations/{conversation_path(phone)}/trigger_intent",
        params={"token": servers.token, "output_channel": "collector"},
        json={"name": "EXTERNAL_followup_checkin", "entities": {
            "followup_checkin_id": str(checkin_id), "followup_procedure": "kyphoplasty",
            "followup_day": day}},
        timeout=60)
    assert answer.status_code == 200, answer.text
    return [m.get("text", "") for m in answer.json()["messages"]]


def checkin(checkin_id: int) -> FollowUpCheckin:
    with session_scope() as session:
        row = session.get(FollowUpCheckin, checkin_id)
        session.expunge(row)
        return row


def test_checkin_answers_are_stored_and_worse_pain_alerts_staff(servers, server_db, domain):
    phone = "+13125550171"
    ids = checkin_ids(register(phone, "kyphoplasty", LATER, "kim"), day1_pain=3)
    assert trigger(servers, phone, ids[1], "3") == [
        render(domain, "utter_checkin_intro", checkin_day="3", checkin_procedure="kyphoplasty"),
        render(domain, "utter_ask_checkin_pain")]
    assert servers.texts(phone, "hmm") == [render(domain, "utter_invalid_checkin_pain_unclear"),
                                           render(domain, "utter_ask_checkin_pain")]
    assert servers.texts(phone, "about a 6") == [render(domain, "utter_ask_checkin_red_flag")]
    assert servers.texts(phone, "/deny") == [
        render(domain, "utter_checkin_pain_worse", checkin_previous_pain="3")]
    row = checkin(ids[1])
    assert (row.status, row.pain_score, row.red_flag) == ("answered", 6, "no")
    [alert] = rows_for(StaffAlert, phone)
    assert (alert.level, alert.evidence) == ("follow_up", ["day 3 pain 6/10, was 3/10"])


def test_red_flag_in_words_mid_checkin_then_the_checkin_goes_on(servers, server_db, domain):
    phone = "+13125550172"
    ids = checkin_ids(register(phone, "kyphoplasty", LATER, "kim"), day1_pain=5)
    trigger(servers, phone, ids[1], "3")
    said = servers.texts(phone, "i suddenly can't move my legs")
    assert said == [level_text(domain, "emergency"), render(domain, "utter_ask_checkin_pain")]
    assert servers.texts(phone, "4") == [render(domain, "utter_checkin_thanks_red_flag")]
    row = checkin(ids[1])
    assert (row.pain_score, row.red_flag) == (4, "reported")
    assert [a.level for a in rows_for(StaffAlert, phone)] == ["emergency"]  # pain is better


def test_yes_to_the_red_flags_gives_the_instruction_and_alerts(servers, server_db, domain):
    phone = "+13125550173"
    ids = checkin_ids(register(phone, "vertebroplasty", LATER, "kim"), day1_pain=2)
    trigger(servers, phone, ids[1], "3")
    assert servers.texts(phone, "2") == [render(domain, "utter_ask_checkin_red_flag")]
    general = next(v["text"] for v in domain["responses"]["utter_urgent_symptom"]
                   if not v.get("channel") and not v.get("condition"))  # every red flag
    assert servers.texts(phone, "/affirm") == [
        general.format(**get_settings().clinic.as_template_vars()),
        render(domain, "utter_checkin_thanks_red_flag")]
    assert checkin(ids[1]).red_flag == "yes"
    assert [a.level for a in rows_for(StaffAlert, phone)] == ["urgent"]


def test_a_late_answer_in_a_new_session_reopens_the_checkin(servers, server_db, domain):
    phone = "+13125550174"
    ids = checkin_ids(register(phone, "kyphoplasty", LATER, "kim"), day1_pain=5)
    trigger(servers, phone, ids[1], "3")
    assert servers.texts(phone, "5") == [render(domain, "utter_ask_checkin_red_flag")]
    # An hour of silence: a new session starts with the slots carried over (as Rasa's
    # action_session_start does), and the form is no longer active.
    slots = servers.tracker(phone)["slots"]
    new_session = [{"event": "action", "name": "action_session_start"},
                   {"event": "session_started"},
                   *({"event": "slot", "name": k, "value": v} for k, v in slots.items()
                     if v is not None),
                   {"event": "action", "name": "action_listen"}]
    answer = requests.post(
        f"{servers.rasa_url}/conversations/{conversation_path(phone)}/tracker/events",
        params={"token": servers.token}, json=new_session, timeout=30)
    assert answer.status_code == 200 and not servers.tracker(phone)["active_loop"]
    assert servers.texts(phone, "no") == [render(domain, "utter_checkin_thanks")]
    row = checkin(ids[1])
    assert (row.status, row.pain_score, row.red_flag) == ("answered", 5, "no")
