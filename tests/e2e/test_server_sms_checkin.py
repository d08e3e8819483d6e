"""A post-procedure check-in end to end by text: staff register the patient, the servers'
own worker finds the check-in due and starts it through Rasa's trigger_intent with the SMS
output channel, the question reaches the fake Twilio API, the patient answers by signed
webhooks (a digit picks "No"), and the answers land on the check-in row. An opted-out
number gets no check-in at all."""

from __future__ import annotations

import time
from datetime import datetime, timedelta, timezone
from typing import List, Tuple

import pytest

from clinic.followups.schedule import register
from clinic.models import FollowUpCheckin
from tests.e2e.test_server_sms import Phone, sms_of
from tests.helpers import rows_where

pytestmark = [pytest.mark.server]


def afternoon_somewhere() -> Tuple[str, datetime]:
    """A time zone where it is 2 pm now (inside any quiet-hours window), and local now."""
    now = datetime.now(timezone.utc)
    offset = (14 - now.hour) % 24
    offset = offset - 24 if offset > 14 else offset
    name = f"Etc/GMT{-offset:+d}" if offset else "Etc/GMT"  # Etc/GMT-3 is UTC+3
    return name, now + timedelta(hours=offset)


def checkins(follow_up_id: int) -> List[FollowUpCheckin]:
    """The follow-up's check-ins, day 1 first (they are created in day order)."""
    return rows_where(FollowUpCheckin, follow_up_id=follow_up_id)


def checkins_once_sent(follow_up_id: int, timeout: float = 15.0) -> List[FollowUpCheckin]:
    """The check-ins, after the worker has recorded the day-1 one as sent.

    The texts reach the fake Twilio a moment before the worker commits the status.
    """
    deadline = time.monotonic() + timeout
    while True:
        rows = checkins(follow_up_id)
        if rows[0].status != "sending" or time.monotonic() > deadline:
            return rows
        time.sleep(0.05)


def register_due_today(phone: Phone) -> int:
    """A kyphoplasty yesterday (patient-local): the day-1 check-in is due now."""
    zone, local_now = afternoon_somewhere()
    return register(phone.number, "kyphoplasty", local_now.date() - timedelta(days=1), "kim",
                    timezone_name=zone)


def test_the_worker_texts_a_due_check_in_and_the_answers_are_stored(servers, fake_twilio,
                                                                      server_db, domain):
    phone = Phone(servers, fake_twilio)
    follow_up = register_due_today(phone)
    intro, question = fake_twilio.wait_for(phone.number, 2, timeout=30)
    phone.seen = 2
    assert intro == sms_of(domain, "utter_checkin_intro", checkin_day=1,
                           checkin_procedure="kyphoplasty")
    assert question == sms_of(domain, "utter_ask_checkin_pain")
    day1, day3, day7 = checkins_once_sent(follow_up)
    assert (day1.status, day3.status, day7.status) == ("sent", "scheduled", "scheduled")
    [red_flags] = phone.text("about a 4 today")
    assert red_flags == sms_of(domain, "utter_ask_checkin_red_flag")
    assert red_flags.endswith("\n1) Yes\n2) No")
    assert phone.text("2") == [sms_of(domain, "utter_checkin_thanks")]
    day1 = checkins(follow_up)[0]
    assert (day1.status, day1.pain_score, day1.red_flag) == ("answered", 4, "no")


def test_an_opted_out_patient_gets_no_check_in(servers, fake_twilio, server_db):
    phone = Phone(servers, fake_twilio)
    phone.text("STOP")
    follow_up = register_due_today(phone)
    deadline = datetime.now() + timedelta(seconds=20)
    while checkins(follow_up)[0].status == "scheduled" and datetime.now() < deadline:
        time.sleep(0.2)
    assert checkins(follow_up)[0].status == "skipped"
    assert len(fake_twilio.to(phone.number)) == 1  # the opt-out confirmation only
