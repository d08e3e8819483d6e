"""action_raise_staff_alert: one StaffAlert row per red-flag message, with its notifications."""

from __future__ import annotations

import logging
from typing import Tuple

from rasa_sdk.events import SlotSet
from sqlalchemy import select
from sqlalchemy.exc import OperationalError

from actions.safety import ActionEndSafetyFrame, ActionRaiseStaffAlert
from clinic.messages import MessageContext
from clinic.models import OutboxMessage, StaffAlert
from clinic.safety import alert_spool

TEXT = "I had kyphoplasty Tuesday and now I can't feel my legs"


def red_flag_message(level: str = "emergency", message_id: str = "m-1") -> dict:
    return {
        "text": TEXT,
        "message_id": message_id,
        "intent": {"name": "urgent_symptom", "confidence": 1.0},
        "entities": [{"entity": "red_flag_level", "value": level, "start": 37, "end": 54}],
        "red_flag": {"level": level, "concepts": ["leg_paralysis"],
                     "evidence": ["can't feel my legs"], "suppressed": []},
    }


async def test_alert_row_holds_what_staff_need(db_session, dispatcher, domain, make_tracker):
    tracker = make_tracker(red_flag_message(), sender_id="conv-7", channel="twilio")
    events = await ActionRaiseStaffAlert().run(dispatcher, tracker, domain)
    assert events == [SlotSet("safety_frame", True)] and dispatcher.messages == []
    alert = db_session.execute(select(StaffAlert)).scalar_one()
    assert (alert.level, alert.channel, alert.conversation_id) == ("emergency", "twilio", "conv-7")
    assert alert.evidence == ["can't feel my legs"] and alert.concepts == ["leg_paralysis"]
    assert alert.message_text == TEXT and alert.status == "new" and alert.created_at
    outbox = db_session.execute(select(OutboxMessage)).scalars().all()
    assert [(o.kind, o.target, o.ref_id, o.status) for o in outbox] == [
        ("staff_alert", "log", alert.id, "pending")
    ]
    assert "message_text" not in outbox[0].payload  # text only if configured


async def test_one_alert_per_message_even_if_the_action_is_retried(
    db_session, dispatcher, domain, make_tracker
):
    tracker = make_tracker(red_flag_message(), channel="rest")
    for _ in range(3):
        await ActionRaiseStaffAlert().run(dispatcher, tracker, domain)
    assert len(db_session.execute(select(StaffAlert)).scalars().all()) == 1
    assert len(db_session.execute(select(OutboxMessage)).scalars().all()) == 1
    other = make_tracker(red_flag_message(message_id="m-2"), channel="rest")
    await ActionRaiseStaffAlert().run(dispatcher, other, domain)
    assert len(db_session.execute(select(StaffAlert)).scalars().all()) == 2


async def test_webhook_target_and_text_when_configured(
    db_session, dispatcher, domain, make_tracker, settings_env
):
    settings_env(STAFF_WEBHOOK_URL="http://127.0.0.1:9/hook", STAFF_WEBHOOK_INCLUDE_TEXT="true")
    await ActionRaiseStaffAlert().run(dispatcher, make_tracker(red_flag_message()), domain)
    outbox = db_session.execute(select(OutboxMessage)).scalars().all()
    assert sorted(o.target for o in outbox) == ["log", "webhook"]
    assert all(o.payload["message_text"] == TEXT for o in outbox)
    assert len({o.delivery_id for o in outbox}) == 2


async def test_level_comes_from_the_guard_then_the_slot(db_session, dispatcher, domain,
                                                        make_tracker):
    message = red_flag_message("urgent")
    await ActionRaiseStaffAlert().run(dispatcher, make_tracker(message), domain)
    no_entity = {**red_flag_message(message_id="m-9"), "entities": []}
    await ActionRaiseStaffAlert().run(
        dispatcher, make_tracker(no_entity, slots={"red_flag_level": "emergency"}), domain
    )
    unknown = {**red_flag_message(message_id="m-10"), "entities": []}
    await ActionRaiseStaffAlert().run(dispatcher, make_tracker(unknown), domain)
    levels = db_session.execute(select(StaffAlert.level).order_by(StaffAlert.id)).scalars().all()
    assert levels == ["urgent", "emergency", "urgent"]


async def test_database_down_spools_the_alert_and_the_worker_stores_it(
    monkeypatch, dispatcher, domain, make_tracker, caplog, settings_env, tmp_path, db_session
):
    spool = tmp_path / "spool"
    settings_env(ALERT_SPOOL_DIR=str(spool))
    monkeypatch.setattr(alert_spool, "RETRY_SECONDS", 0.0)
    real = alert_spool.record_alert

    def broken(*_: object) -> None:
        raise OperationalError("INSERT", {}, Exception("database is locked"))

    monkeypatch.setattr(alert_spool, "record_alert", broken)
    tracker = make_tracker(red_flag_message(), sender_id="+15550001111")
    with caplog.at_level(logging.INFO):
        events = await ActionRaiseStaffAlert().run(dispatcher, tracker, domain)
    assert events == [SlotSet("safety_frame", True)] and dispatcher.messages == []
    assert "spooled" in caplog.text
    assert "legs" not in caplog.text and "5550001111" not in caplog.text
    assert alert_spool.spooled_count(spool) == 1
    assert [p.stat().st_mode & 0o777 for p in spool.glob("*.json")] == [0o600]
    assert alert_spool.replay_spool(spool) == 0  # the database is still down: kept
    monkeypatch.setattr(alert_spool, "record_alert", real)
    assert alert_spool.replay_spool(spool) == 1  # what the worker does on every poll
    assert alert_spool.spooled_count(spool) == 0
    alert = db_session.execute(select(StaffAlert)).scalar_one()
    assert (alert.conversation_id, alert.level) == ("+15550001111", "emergency")
    # the same message again (e.g. the action ran once more): still one alert
    await ActionRaiseStaffAlert().run(dispatcher, tracker, domain)
    assert len(db_session.execute(select(StaffAlert)).scalars().all()) == 1


async def test_spool_unwritable_too_is_logged_as_lost(monkeypatch, caplog, tmp_path):
    monkeypatch.setattr(alert_spool, "RETRY_SECONDS", 0.0)

    def broken(*_: object) -> Tuple[int, bool]:
        raise OperationalError("INSERT", {}, Exception("disk full"))

    blocked = tmp_path / "file"
    blocked.write_text("not a directory")
    context = MessageContext("+15550002222", "twilio", "m-1", "my legs went numb", "urgent")
    with caplog.at_level(logging.INFO):
        outcome = alert_spool.save_alert(blocked / "spool", context, "emergency",
                                         {"evidence": ["legs numb"]}, record=broken)
    assert outcome == (None, "lost")
    assert "STAFF ALERT LOST" in caplog.text and "numb" not in caplog.text


async def test_a_full_disk_gives_up_the_reserve_for_the_alert(monkeypatch, tmp_path):
    """The disk that stops the database stops the spool too: the reserve makes room."""
    import errno

    def broken(*_: object) -> Tuple[int, bool]:
        raise OperationalError("INSERT", {}, Exception("database or disk is full"))

    spool = tmp_path / "spool"
    assert alert_spool.replay_spool(spool, record=broken) == 0  # the worker's poll ...
    reserve = spool / alert_spool.RESERVE
    assert reserve.stat().st_size == alert_spool.RESERVE_BYTES  # ... keeps a reserve
    real, calls = alert_spool.spool_alert, []

    def full_unless_reserve_freed(*args: object) -> object:
        calls.append(1)
        if reserve.exists():
            raise OSError(errno.ENOSPC, "No space left on device")
        return real(*args)  # type: ignore[arg-type]

    monkeypatch.setattr(alert_spool, "spool_alert", full_unless_reserve_freed)
    context = MessageContext("+15550002222", "twilio", "m-1", "my legs went numb", "urgent")
    outcome = alert_spool.save_alert(spool, context, "emergency", {}, record=broken)
    assert outcome == (None, "spooled") and len(calls) == 2
    assert alert_spool.spooled_count(spool) == 1 and not reserve.exists()
    stored: list = []

    def record(*args: object) -> Tuple[int, bool]:
        stored.append(args)
        return 1, True

    alert_spool.replay_spool(spool, record=record)
    assert len(stored) == 1 and reserve.exists()  # replayed; the reserve is back


async def test_a_crisis_gets_an_alert_of_its_own_level(db_session, dispatcher, domain,
                                                       make_tracker):
    message = {**red_flag_message("crisis"),
               "red_flag": {"level": "crisis", "concepts": ["crisis"],
                            "evidence": ["want to die"], "suppressed": []}}
    await ActionRaiseStaffAlert().run(dispatcher, make_tracker(message), domain)
    alert = db_session.execute(select(StaffAlert)).scalar_one()
    assert (alert.level, alert.concepts, alert.evidence) == ("crisis", ["crisis"], ["want to die"])


async def test_no_alert_without_evidence(db_session, dispatcher, domain, make_tracker, caplog):
    """The classifier alone judged it urgent: the patient was told, staff are not alerted."""
    message = {**red_flag_message("urgent"),
               "red_flag": {"level": None, "concepts": [], "evidence": [], "suppressed": []}}
    with caplog.at_level(logging.INFO):
        events = await ActionRaiseStaffAlert().run(dispatcher, make_tracker(message), domain)
    # the patient was told; without evidence no frame either: questions are answered again
    assert events == []
    assert db_session.execute(select(StaffAlert)).scalars().all() == []
    assert TEXT not in caplog.text and "no staff alert" in caplog.text


async def test_a_yes_to_the_checkin_question_is_the_evidence(db_session, dispatcher, domain,
                                                              make_tracker):
    message = {"text": "/affirm", "message_id": "m-3",
               "intent": {"name": "affirm", "confidence": 1.0}, "entities": []}
    tracker = make_tracker(message, slots={"checkin_red_flag": "flagged"})
    await ActionRaiseStaffAlert().run(dispatcher, tracker, domain)
    alert = db_session.execute(select(StaffAlert)).scalar_one()
    assert alert.concepts == ["checkin_red_flag"]
    assert alert.evidence == ["answered yes to the check-in's red-flag question"]


async def test_the_safe_now_button_ends_the_frame_and_says_so(dispatcher, domain, make_tracker):
    tracker = make_tracker({"text": "/safe_now", "intent": {"name": "safe_now"}},
                           slots={"safety_frame": True})
    events = await ActionEndSafetyFrame().run(dispatcher, tracker, domain)
    assert events == [SlotSet("safety_frame", False)]
    assert [m["response"] for m in dispatcher.messages] == ["utter_safe_now"]
