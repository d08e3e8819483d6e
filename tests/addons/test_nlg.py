"""The NLG fills clinic details from configuration, picks channel variants and uses the
answer texts edited in the review console (refreshed from the database, never failing)."""

import asyncio
import logging
from typing import Dict, List

import pytest
from rasa.shared.core.domain import Domain
from rasa.shared.core.trackers import DialogueStateTracker
from sqlalchemy.orm import Session

from addons.answer_cache import AnswerCache, RevisedText
from addons.nlg import ClinicNaturalLanguageGenerator
from clinic import db
from clinic.models import AnswerRevision
from clinic.settings import get_settings
from tests.helpers import eventually

pytestmark = pytest.mark.usefixtures("db_engine")  # no test touches the project's database

BUTTONS = [{"title": "Yes", "payload": "/affirm"}, {"title": "No", "payload": "/deny"}]
DOMAIN = Domain.from_dict(
    {
        "responses": {
            "utter_call": [
                {"text": "Call {clinic_name} at {clinic_phone} ({clinic_hours})."},
                {"channel": "twilio", "text": "Call {clinic_phone}"},
            ],
            "utter_faq/recovery_time": [
                {"text": "Recovery takes weeks.", "metadata": {"title": "Recovery time"}},
                {"channel": "twilio", "text": "Weeks."},
            ],
            "utter_safety_check_urgent": [
                {"text": "If this is happening now, call {clinic_urgent_phone}."},
                {"channel": "twilio", "text": "Now? Call {clinic_urgent_phone}."},
            ],
            "utter_ask": [
                {"text": "Shall we book?", "buttons": BUTTONS, "image": "https://x.org/a.png",
                 "custom": {"kind": "card"}, "metadata": {"title": "Ask"}},
            ],
        }
    }
)


def tracker() -> DialogueStateTracker:
    return DialogueStateTracker("u", [])


def add_revision(session: Session, name: str, chat: str, sms=None, number: int = 1) -> None:
    session.add(AnswerRevision(response_name=name, revision=number, chat_text=chat,
                               sms_text=sms, author="ana", reason="test"))
    session.commit()


async def test_placeholders_are_filled_from_configuration():
    nlg = ClinicNaturalLanguageGenerator(domain=DOMAIN)
    out = await nlg.generate("utter_call", tracker(), "rest")
    clinic = get_settings().clinic
    assert out is not None
    assert out["text"] == f"Call {clinic.name} at {clinic.phone} ({clinic.hours})."


async def test_channel_variant_is_used_for_sms():
    nlg = ClinicNaturalLanguageGenerator(domain=DOMAIN)
    out = await nlg.generate("utter_call", tracker(), "twilio")
    assert out is not None
    assert out["text"] == f"Call {get_settings().clinic.phone}"


async def test_unknown_response_gives_none():
    nlg = ClinicNaturalLanguageGenerator(domain=DOMAIN)
    assert await nlg.generate("utter_nope", tracker(), "rest") is None


# --- edited answers ---------------------------------------------------------------------

async def test_the_newest_revision_is_used_per_channel(db_session: Session):
    name = "utter_faq/recovery_time"  # as ActionRetrieveResponse names FAQ answers
    add_revision(db_session, name, "Edited: call {clinic_phone}.", "SMS: {clinic_name}.")
    add_revision(db_session, name, "Newest: call {clinic_phone}.", "SMS now: {clinic_name}.", 2)
    nlg = ClinicNaturalLanguageGenerator(domain=DOMAIN)
    clinic = get_settings().clinic
    for channel in ("rest", "socketio"):
        out = await nlg.generate(name, tracker(), channel)
        assert out is not None and out["text"] == f"Newest: call {clinic.phone}."
        assert out["metadata"] == {"title": "Recovery time"}
    out = await nlg.generate(name, tracker(), "twilio")
    assert out is not None and out["text"] == f"SMS now: {clinic.name}."
    # other responses keep the domain text
    out = await nlg.generate("utter_call", tracker(), "twilio")
    assert out is not None and out["text"] == f"Call {clinic.phone}"


async def test_without_sms_text_the_edited_chat_text_goes_by_sms(db_session: Session):
    add_revision(db_session, "utter_call", "Phone us on {clinic_phone}.", None)
    nlg = ClinicNaturalLanguageGenerator(domain=DOMAIN)
    out = await nlg.generate("utter_call", tracker(), "twilio")
    assert out is not None and out["text"] == f"Phone us on {get_settings().clinic.phone}."


async def test_buttons_images_custom_payloads_and_metadata_stay(db_session: Session):
    add_revision(db_session, "utter_ask", "Book a visit at {clinic_name}?", "Book?")
    nlg = ClinicNaturalLanguageGenerator(domain=DOMAIN)
    for channel, text in (("rest", f"Book a visit at {get_settings().clinic.name}?"),
                          ("twilio", "Book?")):
        out = await nlg.generate("utter_ask", tracker(), channel)
        assert out is not None and out["text"] == text
        assert out["buttons"] == BUTTONS and out["image"] == "https://x.org/a.png"
        assert out["custom"] == {"kind": "card"} and out["metadata"] == {"title": "Ask"}


async def test_slots_and_arguments_fill_edited_text_as_before(db_session: Session):
    add_revision(db_session, "utter_call", "Read {max_chars} characters, {clinic_name}.")
    nlg = ClinicNaturalLanguageGenerator(domain=DOMAIN)
    out = await nlg.generate("utter_call", tracker(), "rest", max_chars=1000)
    assert out is not None
    assert out["text"] == f"Read 1000 characters, {get_settings().clinic.name}."


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class Loader:
    """Stands in for the database: counts reads, can fail or be slow."""

    def __init__(self) -> None:
        self.texts: Dict[str, RevisedText] = {}
        self.calls = 0
        self.fail = False
        self.delay = 0.0

    def __call__(self) -> Dict[str, RevisedText]:
        import time

        self.calls += 1
        time.sleep(self.delay)
        if self.fail:
            raise RuntimeError("database is locked: SELECT ... 'secret patient text'")
        return dict(self.texts)


async def test_edits_are_read_once_per_refresh_interval():
    clock, loader = Clock(), Loader()
    nlg = ClinicNaturalLanguageGenerator(domain=DOMAIN,
                                         answers=AnswerCache(15.0, loader, clock))
    out = await nlg.generate("utter_call", tracker(), "rest")
    assert loader.calls == 1 and out is not None and out["text"].startswith("Call ")
    loader.texts = {"utter_call": RevisedText("Edited.")}
    clock.now += 14.9
    out = await nlg.generate("utter_call", tracker(), "rest")
    assert loader.calls == 1 and out is not None and out["text"].startswith("Call ")
    clock.now += 0.2
    out = await nlg.generate("utter_call", tracker(), "rest")
    assert loader.calls == 2 and out is not None and out["text"] == "Edited."
    for _ in range(5):
        await nlg.generate("utter_call", tracker(), "rest")
    assert loader.calls == 2
    # a deleted revision (e.g. a test's clean-up) goes back to the domain text
    loader.texts = {}
    clock.now += 15.0
    out = await nlg.generate("utter_call", tracker(), "rest")
    assert out is not None and out["text"].startswith("Call ")


async def test_only_one_refresh_runs_at_a_time():
    loader = Loader()
    loader.delay = 0.2
    cache = AnswerCache(0.0, loader, wait_seconds=5.0)
    await asyncio.gather(*(cache.text_for("utter_call") for _ in range(10)))
    assert loader.calls == 1


async def test_a_slow_database_does_not_hold_up_the_answer():
    loader = Loader()
    loader.delay = 0.5
    loader.texts = {"utter_call": RevisedText("Edited.")}
    cache = AnswerCache(15.0, loader, wait_seconds=0.05)
    nlg = ClinicNaturalLanguageGenerator(domain=DOMAIN, answers=cache)
    out = await nlg.generate("utter_call", tracker(), "rest")
    assert out is not None and out["text"].startswith("Call ")  # domain text meanwhile

    async def edited() -> bool:
        out = await nlg.generate("utter_call", tracker(), "rest")
        return out is not None and out["text"] == "Edited."

    assert await eventually(edited) >= 0.3  # the slow read finished in the background
    assert loader.calls == 1


async def test_database_down_keeps_serving_the_last_known_texts(caplog):
    clock, loader = Clock(), Loader()
    loader.fail = True
    nlg = ClinicNaturalLanguageGenerator(domain=DOMAIN,
                                         answers=AnswerCache(15.0, loader, clock))
    with caplog.at_level(logging.INFO, logger="addons.answer_cache"):
        out = await nlg.generate("utter_call", tracker(), "rest")
        assert out is not None and out["text"].startswith("Call ")  # the domain's text
        loader.fail, loader.texts = False, {"utter_call": RevisedText("Revised text.")}
        clock.now += 16
        out = await nlg.generate("utter_call", tracker(), "rest")
        assert out is not None and out["text"] == "Revised text."
        loader.fail = True
        clock.now += 16
        out = await nlg.generate("utter_call", tracker(), "rest")
        assert out is not None and out["text"] == "Revised text."  # last known
    assert loader.calls == 3
    warnings: List[str] = [r.getMessage() for r in caplog.records if r.levelname == "WARNING"]
    assert len(warnings) == 2 and "RuntimeError" in warnings[0]
    assert not any("patient" in m or "SELECT" in m or "Revised" in m for m in warnings)


async def test_a_database_without_the_table_gives_the_domain_text(caplog):
    engine = db.make_engine("sqlite://")  # no tables at all
    db.set_engine(engine)
    nlg = ClinicNaturalLanguageGenerator(domain=DOMAIN)
    with caplog.at_level(logging.WARNING, logger="addons.answer_cache"):
        out = await nlg.generate("utter_call", tracker(), "twilio")
    assert out is not None and out["text"] == f"Call {get_settings().clinic.phone}"
    assert "OperationalError" in caplog.text
    engine.dispose()


def test_the_refresh_interval_comes_from_the_settings(settings_env):
    settings_env(ANSWERS_REFRESH_SECONDS="3")
    assert ClinicNaturalLanguageGenerator(domain=DOMAIN).answers.refresh_seconds == 3.0
    settings_env(ANSWERS_REFRESH_SECONDS="600")  # never more than a minute
    assert ClinicNaturalLanguageGenerator(domain=DOMAIN).answers.refresh_seconds == 60.0


def checked_tracker(check: str = "urgent") -> DialogueStateTracker:
    """A conversation whose latest message had a finding the router ruled out."""
    from rasa.shared.core.events import UserUttered

    parse = {"intent": {"name": "faq", "confidence": 0.99}, "entities": [],
             "red_flag": {"level": check, "evidence": ["legs could go numb"], "check": check}}
    message = UserUttered("could my legs go numb", parse_data=parse)  # type: ignore[arg-type]
    return DialogueStateTracker.from_events("u", [message])


@pytest.mark.parametrize("channel, check", [("rest", "If this is happening now, call "),
                                            ("twilio", "Now? Call ")])
async def test_the_first_answer_to_a_checked_message_ends_with_the_safety_check(channel, check):
    nlg = ClinicNaturalLanguageGenerator(domain=DOMAIN)
    out = await nlg.generate("utter_faq/recovery_time", checked_tracker(), channel)
    assert out is not None
    answer, added = out["text"].split("\n\n")
    assert answer in ("Recovery takes weeks.", "Weeks.")
    assert added == check + get_settings().clinic.urgent_phone + "."
    assert out.get("metadata") == ({"title": "Recovery time"} if channel == "rest" else None)


async def test_only_the_first_answer_after_the_message_gets_the_safety_check():
    from rasa.shared.core.events import BotUttered

    conversation = checked_tracker()
    conversation.update(BotUttered("Recovery takes weeks."))
    nlg = ClinicNaturalLanguageGenerator(domain=DOMAIN)
    out = await nlg.generate("utter_call", conversation, "rest")
    assert out is not None and "\n\n" not in out["text"]


@pytest.mark.parametrize("check", ["", "unknown", None])
async def test_no_safety_check_without_a_known_level(check):
    nlg = ClinicNaturalLanguageGenerator(domain=DOMAIN)
    out = await nlg.generate("utter_call", checked_tracker(check), "rest")  # type: ignore[arg-type]
    assert out is not None and "\n\n" not in out["text"]
