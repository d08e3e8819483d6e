"""An answer edited in the console reaches patients on the running bot within the refresh
interval, on the web/REST and SMS channels."""

from __future__ import annotations

import time

import pytest
from sqlalchemy import delete

from clinic.db import session_scope
from clinic.models import AnswerRevision
from clinic.settings import get_settings
from tests.console.test_console_answers import FAQ, NEW_CHAT, NEW_SMS, save


def _eventually(check, timeout: float) -> float:
    """Seconds until ``check()`` is true (fails after ``timeout``)."""
    start = time.monotonic()
    while not check():
        assert time.monotonic() - start < timeout, "the bot did not pick up the change"
        time.sleep(0.25)
    return time.monotonic() - start


@pytest.mark.server
def test_an_edit_reaches_patients_on_the_running_bot(servers, server_db, fake_twilio, domain):
    from tests.e2e.test_server_sms import Phone
    from tests.helpers import render, sender

    question = "how long is the recovery from vertebroplasty"
    clinic = get_settings().clinic
    original = render(domain, FAQ)
    assert servers.texts(sender(), question) == [original]
    try:
        with session_scope() as session:
            save(session)
        new_chat = NEW_CHAT.format(clinic_phone=clinic.phone)
        waited = _eventually(lambda: servers.texts(sender(), question) == [new_chat], 30)
        assert waited < 60
        phone = Phone(servers, fake_twilio)
        assert phone.text(question) == [NEW_SMS.format(clinic_phone=clinic.phone)]
    finally:
        with session_scope() as session:
            session.execute(delete(AnswerRevision).where(AnswerRevision.response_name == FAQ))
        _eventually(lambda: servers.texts(sender(), question) == [original], 30)
