"""SMS pieces in-process: keywords, the async sender against the fake Twilio API, the
output channel, and how bot messages become texts."""

from __future__ import annotations

import asyncio
import time
from typing import Iterator, List

import pytest
from sqlalchemy import select

from addons.channels.sms import TwilioSmsOutput, sms_bodies
from clinic.models import SmsConsent
from clinic.settings import Settings
from clinic.sms.consent import OPTED_IN, OPTED_OUT, may_text, record_consent
from clinic.sms.keywords import Keyword, keyword_of
from clinic.sms.text import segments
from clinic.sms.twilio import TwilioSender
from scripts.fake_twilio import FROM_NUMBER, FakeTwilio, twilio_env

PATIENT = "+13125550142"


@pytest.fixture
def fake(fake_twilio: FakeTwilio) -> Iterator[FakeTwilio]:
    fake_twilio.reset()
    yield fake_twilio
    fake_twilio.reset()


@pytest.fixture
def sms_settings(settings_env, fake: FakeTwilio) -> Settings:
    return settings_env(**twilio_env(fake))


@pytest.mark.parametrize("text", ["STOP", "stop", " Stop. ", "STOPALL", "unsubscribe",
                                  "Cancel", "END", "quit!"])
def test_opt_out_keywords(text):
    assert keyword_of(text, opted_out=False) is Keyword.OPT_OUT
    assert keyword_of(text, opted_out=True) is Keyword.OPT_OUT


@pytest.mark.parametrize("text", ["START", "unstop", "Start!"])
def test_opt_in_keywords(text):
    assert keyword_of(text, opted_out=True) is Keyword.OPT_IN


def test_yes_opts_in_only_while_opted_out():
    assert keyword_of("YES", opted_out=True) is Keyword.OPT_IN
    assert keyword_of("yes", opted_out=False) is None  # an answer to the bot's question


@pytest.mark.parametrize("text", ["HELP", "info", "Help?"])
def test_help_keywords(text):
    assert keyword_of(text, opted_out=False) is Keyword.HELP


@pytest.mark.parametrize("text", ["stop the pain", "please help", "I want to cancel",
                                  "", "   ", "STOP 2", "end of the week", "🛑", "st0p"])
def test_ordinary_messages_are_not_keywords(text):
    assert keyword_of(text, opted_out=False) is None


def test_consent_is_recorded_once_and_latest_wins(db_session):
    assert may_text(db_session, PATIENT)  # never asked: may text back
    assert record_consent(db_session, PATIENT, OPTED_OUT, "STOP")
    assert not may_text(db_session, PATIENT)
    assert not record_consent(db_session, PATIENT, OPTED_OUT, "QUIT")  # no 2nd confirmation
    assert record_consent(db_session, PATIENT, OPTED_IN, "START")
    assert may_text(db_session, PATIENT)
    db_session.commit()
    [row] = db_session.execute(select(SmsConsent)).scalars()
    assert (row.status, row.keyword) == (OPTED_IN, "START")
    with pytest.raises(ValueError):
        record_consent(db_session, PATIENT, "maybe", "X")


def test_bot_messages_become_plain_texts_with_numbered_choices():
    bodies = sms_bodies([
        {"text": "**Which** procedure?", "buttons": [
            {"title": "Kyphoplasty", "payload": "Kyphoplasty"},
            {"title": "Not sure", "payload": "Not sure"}]},
        {"text": "", "image": "https://example.org/map.png"},
        {"text": ""},
    ])
    assert bodies == ["Which procedure?\n1) Kyphoplasty\n2) Not sure",
                      "https://example.org/map.png"]
    assert all(segments(b) == 1 for b in bodies)


async def test_sender_uses_the_twilio_sdk_against_the_fake(sms_settings, fake, db_engine):
    results = await TwilioSender(sms_settings.sms).send(PATIENT, ["Hello", "  ", "Bye"])
    assert [r.sent for r in results] == [True, False, True]
    assert results[1].skipped == "empty"
    assert fake.to(PATIENT) == ["Hello", "Bye"]
    assert all(m["From"] == FROM_NUMBER for m in fake.messages)


async def test_messaging_service_replaces_the_from_number(settings_env, fake, db_engine):
    env = {**twilio_env(fake), "TWILIO_FROM_NUMBER": "",
           "TWILIO_MESSAGING_SERVICE_SID": "MG" + "1" * 32}
    settings = settings_env(**env)
    [result] = await TwilioSender(settings.sms).send(PATIENT, ["Hi"])
    assert result.sent
    assert fake.messages[0]["MessagingServiceSid"] == "MG" + "1" * 32
    assert "From" not in fake.messages[0]


async def test_outages_are_retried_and_refusals_are_not(sms_settings, fake, db_engine):
    waits: List[float] = []

    async def wait(seconds: float) -> None:  # the retry clock: recorded, not slept
        waits.append(seconds)

    fake.fail_next(500, 20500)
    fake.fail_next(429, 20429)
    [result] = await TwilioSender(sms_settings.sms, wait).send(PATIENT, ["after two retries"])
    assert result.sent and fake.requests == 3
    assert fake.to(PATIENT) == ["after two retries"]
    assert waits == [0.5, 1.0]  # backs off longer each time

    fake.reset()
    waits.clear()
    fake.fail_next(400, 21610)  # the carrier says the number opted out
    [result] = await TwilioSender(sms_settings.sms, wait).send(PATIENT, ["refused"])
    assert result.error == "21610" and fake.requests == 1 and not fake.messages
    assert waits == []

    fake.reset()
    fake.fail_next(503, 20503, times=3)
    [result] = await TwilioSender(sms_settings.sms, wait).send(PATIENT, ["down"])
    assert result.error == "20503" and fake.requests == 3 and waits == [0.5, 1.0]


async def test_nothing_reaches_an_opted_out_number(sms_settings, fake, db_engine, db_session):
    record_consent(db_session, PATIENT, OPTED_OUT, "STOP")
    db_session.commit()
    [result] = await TwilioSender(sms_settings.sms).send(PATIENT, ["anything"])
    assert result.skipped == "opted_out"
    await TwilioSmsOutput(sms_settings.sms).send_text_message(PATIENT, "a check-in")
    assert fake.requests == 0
    # the opt-out confirmation itself is the one exception
    [result] = await TwilioSender(sms_settings.sms).send(PATIENT, ["confirmed"],
                                                          check_consent=False)
    assert result.sent


async def test_not_configured_sends_nothing_and_says_so(settings_env, fake, caplog, db_engine):
    settings = settings_env(TWILIO_ACCOUNT_SID="", TWILIO_AUTH_TOKEN="")
    [result] = await TwilioSender(settings.sms).send(PATIENT, ["Hi"])
    assert result.skipped == "not_configured" and fake.requests == 0
    assert "not configured" in caplog.text


async def test_sending_does_not_block_the_event_loop(sms_settings, fake, db_engine):
    """While Twilio takes 0.6 s to answer, other coroutines keep running."""
    fake.delay_seconds = 0.6
    ticks = []

    async def ticker() -> None:
        for _ in range(10):
            ticks.append(time.monotonic())
            await asyncio.sleep(0.05)

    started = time.monotonic()
    results, _ = await asyncio.gather(
        TwilioSender(sms_settings.sms).send(PATIENT, ["slow"]), ticker())
    assert results[0].sent
    assert time.monotonic() - started >= 0.6
    assert len(ticks) == 10 and ticks[-1] - started < 0.6  # ticked while waiting


async def test_logs_never_carry_the_number_or_the_text(sms_settings, fake, caplog, db_engine):
    caplog.set_level("DEBUG")
    fake.fail_next(400, 21211)
    await TwilioSender(sms_settings.sms).send(PATIENT, ["my back hurts at L2"])
    assert "21211" in caplog.text
    assert PATIENT not in caplog.text and "5550142" not in caplog.text
    assert "my back hurts" not in caplog.text


def test_two_keywords_racing_to_create_the_row_update_it(db_engine, db_session, monkeypatch):
    """The loser of the insert race (unique phone) retries as an update."""
    from sqlalchemy.exc import IntegrityError

    from addons.channels import sms

    calls = []
    real = sms.record_consent

    def racing(session, phone, status, keyword):
        calls.append(keyword)
        if len(calls) == 1:
            raise IntegrityError("INSERT", {}, Exception("UNIQUE constraint failed"))
        return real(session, phone, status, keyword)

    monkeypatch.setattr(sms, "record_consent", racing)
    assert sms._record(PATIENT, OPTED_OUT, "STOP")
    assert calls == ["STOP", "STOP"]
    assert not may_text(db_session, PATIENT)
