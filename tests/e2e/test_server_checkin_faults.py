"""A "yes" to a check-in's red-flag question while the action server is down.

The form reads its answers on the action server, so with it down the "yes" used to go
unread: no instruction, no staff alert. The Rasa server now recognises it itself
(``addons.channels.checkin_guard``): the patient gets the instruction and the alert is
recorded (database, else spool) with the check-in's evidence.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Iterator

import pytest
import sqlalchemy as sa

from clinic import db
from clinic.followups.checkin_answers import CHECKIN_EVIDENCE
from clinic.followups.schedule import register
from scripts.fake_twilio import twilio_env
from scripts.servers import Servers, start
from tests.conftest import MODEL_PATH
from tests.e2e.test_server_checkin import LATER, checkin_ids, trigger
from tests.sms_phone import Phone, sms_of

pytestmark = [pytest.mark.server]


@pytest.fixture
def private_servers(tmp_path: Path, fake_twilio) -> Iterator[Servers]:
    """Rasa and an action server of their own (this test stops the action server)."""
    if not MODEL_PATH.exists():
        pytest.skip("run `make train` first")
    running = start(tmp_path / "servers", True, "test-token", False, **twilio_env(fake_twilio))
    engine = db.make_engine(running.database_url)
    db.set_engine(engine)
    yield running
    db.set_engine(None)
    engine.dispose()
    running.stop()


def alerts(database_url: str, tries: int = 40) -> list:
    """Staff alerts as (conversation, level, evidence), waiting a little for the backup."""
    engine = sa.create_engine(database_url)
    try:
        for _ in range(tries):  # recorded in the background, right after the answer
            with engine.connect() as connection:
                found = connection.execute(sa.text(
                    "SELECT conversation_id, level, evidence FROM staff_alerts")).all()
            if found:
                return [tuple(row) for row in found]
            time.sleep(0.25)
        return []
    finally:
        engine.dispose()


def asked_then_actions_down(servers: Servers, fake_twilio, domain) -> Phone:
    """A phone whose check-in has just asked the red-flag question; then actions stop."""
    phone = Phone(servers, fake_twilio)
    ids = checkin_ids(register(phone.number, "kyphoplasty", LATER, "kim"), day1_pain=2)
    trigger(servers, phone, ids[1], "3")
    assert phone.text("2") == [sms_of(domain, "utter_ask_checkin_red_flag")]
    assert servers.actions is not None
    servers.actions.terminate()
    servers.actions.wait(timeout=20)
    return phone


def test_a_yes_with_the_action_server_down_gets_the_instruction_and_an_alert(
        private_servers: Servers, fake_twilio, domain):
    phone = asked_then_actions_down(private_servers, fake_twilio, domain)

    got = phone.text("yes i have")
    assert got[0] == sms_of(domain, "utter_urgent_symptom")  # the instruction, first
    [(conversation, level, evidence)] = alerts(private_servers.database_url)
    assert (conversation, level) == (phone.number, "urgent")
    assert CHECKIN_EVIDENCE["evidence"][0] in str(evidence)


def test_a_no_with_the_action_server_down_alerts_nobody(private_servers: Servers,
                                                        fake_twilio, domain):
    phone = asked_then_actions_down(private_servers, fake_twilio, domain)

    got = phone.text("no none of those")
    assert sms_of(domain, "utter_urgent_symptom") not in got
    assert got  # the patient is told something (the clinic's phone)
    # Whether a turn gets an alert is settled before its answer goes out; the next red flag's
    # alert, recorded after it, is then the only one: none came of the "no".
    assert phone.text("i had kyphoplasty tuesday and now i cant feel my legs")
    [(conversation, level, evidence)] = alerts(private_servers.database_url)
    assert (conversation, level) == (phone.number, "emergency")
    assert CHECKIN_EVIDENCE["evidence"][0] not in str(evidence)  # the words' own evidence
