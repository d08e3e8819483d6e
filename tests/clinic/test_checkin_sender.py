"""The worker sends due check-ins through a fake Rasa server: the right path, token, output
channel and body; never twice; retried while Rasa is down; a crash leaves the check-in due
again; and a restart between scheduling and sending loses nothing."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any, AsyncIterator, Dict, List, Set, Tuple

import aiohttp
import pytest
from aiohttp import web
from sqlalchemy import select
from sqlalchemy.orm import Session

from clinic import db
from clinic.followups.checkin_sender import attempt, claim_due, record, send_due
from clinic.followups.schedule import register, to_utc
from clinic.models import Base, FollowUp, FollowUpCheckin, SmsConsent
from clinic.settings import Settings, load_settings
from tests.clinic.test_followups import CHICAGO
from tests.helpers import serve

TOKEN = "test-token"
PHONE = "+13125550199"
PROCEDURE_DAY = date.today() + timedelta(days=2)
# Day 1 at noon, patient-local: inside the send window.
DAY_ONE_NOON = to_utc(datetime.combine(PROCEDURE_DAY + timedelta(days=1), datetime.min.time(),
                                       tzinfo=CHICAGO) + timedelta(hours=12))


class FakeRasa:
    """Rasa's conversation API as the worker uses it; remembers triggered intents."""

    def __init__(self) -> None:
        self.requests: List[Dict[str, Any]] = []
        self.statuses: List[int] = []  # answers to the next requests (then 200)
        self.events: Dict[str, List[Dict[str, Any]]] = {}
        self.paused: Set[str] = set()  # paused by an earlier release
        self.waiting: Set[str] = set()  # waiting for staff (slot handoff_waiting)
        self.collecting = False  # answer like Rasa without the twilio channel

    def _log(self, request: web.Request, body: Any = None) -> int:
        self.requests.append({"method": request.method, "path": request.path,
                              "raw_path": request.raw_path.split("?")[0],
                              "query": dict(request.query), "body": body})
        if request.query.get("token") != TOKEN:
            return 401
        return self.statuses.pop(0) if self.statuses else 200

    async def tracker(self, request: web.Request) -> web.Response:
        status = self._log(request)
        conversation = request.match_info["conversation_id"]
        return web.json_response({"sender_id": conversation, "paused": conversation in
                                  self.paused, "events": self.events.get(conversation, []),
                                  "active_loop": {}, "latest_event_time": None,
                                  "slots": {"handoff_waiting": conversation in self.waiting}},
                                 status=status)

    async def trigger(self, request: web.Request) -> web.Response:
        body = await request.json()
        status = self._log(request, body)
        if status != 200:
            return web.json_response({"error": "down"}, status=status)
        conversation = request.match_info["conversation_id"]
        entities = [{"entity": k, "value": v} for k, v in body["entities"].items()]
        self.events.setdefault(conversation, []).append(
            {"event": "user", "parse_data": {"intent": {"name": body["name"]},
                                             "entities": entities}})
        answer: Dict[str, Any] = {"tracker": {"sender_id": conversation}}
        if self.collecting:
            answer["messages"] = [{"text": "Hello"}]
        return web.json_response(answer)

    def triggers(self) -> List[Dict[str, Any]]:
        return [r for r in self.requests if r["path"].endswith("/trigger_intent")]


@pytest.fixture
async def rasa() -> AsyncIterator[Tuple[FakeRasa, str]]:
    fake = FakeRasa()
    app = web.Application()
    app.router.add_get("/conversations/{conversation_id}/tracker", fake.tracker)
    app.router.add_post("/conversations/{conversation_id}/trigger_intent", fake.trigger)
    async with serve(app) as url:
        yield fake, url


def settings_for(url: str, **env: str) -> Settings:
    return load_settings({"RASA_URL": url, "RASA_API_TOKEN": TOKEN,
                          "FOLLOWUP_RETRY_BASE_SECONDS": "60", **env})


async def send(settings: Settings, now: datetime) -> int:
    async with aiohttp.ClientSession() as http:
        return await send_due(settings, http, now)


def rows(session: Session) -> List[FollowUpCheckin]:
    session.expire_all()
    return list(session.execute(select(FollowUpCheckin).order_by(FollowUpCheckin.id)).scalars())


async def test_a_due_checkin_triggers_the_intent_once(db_engine, db_session, rasa):
    fake, url = rasa
    settings = settings_for(url)
    register(PHONE, "kyphoplasty", PROCEDURE_DAY, "kim", None, settings)
    assert await send(settings, DAY_ONE_NOON - timedelta(days=1)) == 0  # not due yet
    assert fake.requests == []
    assert await send(settings, DAY_ONE_NOON) == 1
    [trigger] = fake.triggers()
    # the "+" as is: Rasa does not decode "%2B" (another conversation than the patient's)
    assert trigger["raw_path"] == f"/conversations/{PHONE}/trigger_intent"
    assert trigger["query"] == {"token": TOKEN, "output_channel": "twilio"}
    first = rows(db_session)[0]
    assert trigger["body"] == {"name": "EXTERNAL_followup_checkin", "entities": {
        "followup_checkin_id": str(first.id), "followup_procedure": "kyphoplasty",
        "followup_day": "1"}}
    assert (first.status, first.sent_at, first.attempts) == ("sent", DAY_ONE_NOON, 1)
    assert [r.status for r in rows(db_session)[1:]] == ["scheduled", "scheduled"]
    # the next poll, and the next hour: nothing is sent twice
    assert await send(settings, DAY_ONE_NOON + timedelta(hours=1)) == 0
    assert len(fake.triggers()) == 1


async def test_quiet_hours_opt_out_and_caps_send_nothing(db_engine, db_session, rasa):
    fake, url = rasa
    settings = settings_for(url)
    register(PHONE, "kyphoplasty", PROCEDURE_DAY, "kim", None, settings)
    register("+17735550142", "vertebroplasty", PROCEDURE_DAY, "kim", None, settings)
    register("+17735550142", "kyphoplasty", PROCEDURE_DAY, "kim", None, settings)
    db_session.add(SmsConsent(phone=PHONE, status="opted_out", keyword="STOP"))
    db_session.commit()
    night = DAY_ONE_NOON + timedelta(hours=10)  # 22:00 local
    assert await send(settings, night) == 0
    assert fake.requests == []
    statuses = {(r.follow_up_id, r.day_offset): r for r in rows(db_session)}
    assert statuses[(1, 1)].status == "skipped" and statuses[(1, 1)].last_error == "opted_out"
    assert statuses[(2, 1)].due_at == DAY_ONE_NOON + timedelta(hours=21)  # 09:00 next day
    # next morning: one of the two follow-ups of +17735550142 goes, the other waits a day
    assert await send(settings, DAY_ONE_NOON + timedelta(hours=21)) == 1
    day_one = {r.follow_up_id: r for r in rows(db_session) if r.day_offset == 1}
    assert sorted(r.status for r in (day_one[2], day_one[3])) == ["scheduled", "sent"]
    waiting = day_one[2] if day_one[2].status == "scheduled" else day_one[3]
    assert waiting.due_at == DAY_ONE_NOON + timedelta(hours=45)  # 09:00 the day after
    assert [t["path"] for t in fake.triggers()] == ["/conversations/+17735550142/trigger_intent"]


async def test_rasa_down_is_retried_with_backoff_and_sent_once(db_engine, db_session, rasa):
    fake, url = rasa
    settings = settings_for(url)
    register(PHONE, "kyphoplasty", PROCEDURE_DAY, "kim", None, settings)
    fake.statuses = [200, 503]  # tracker fine, trigger fails
    assert await send(settings, DAY_ONE_NOON) == 0
    first = rows(db_session)[0]
    assert (first.status, first.last_error) == ("scheduled", "trigger_intent: HTTP 503")
    assert first.due_at == DAY_ONE_NOON + timedelta(seconds=60)
    assert await send(settings, DAY_ONE_NOON + timedelta(seconds=30)) == 0  # backing off
    fake.statuses = [500]
    assert await send(settings, DAY_ONE_NOON + timedelta(seconds=61)) == 0
    assert rows(db_session)[0].due_at == DAY_ONE_NOON + timedelta(seconds=61 + 120)  # doubled
    assert await send(settings, DAY_ONE_NOON + timedelta(minutes=5)) == 1
    assert len(fake.triggers()) == 2  # the failed one and the one that went through
    assert rows(db_session)[0].status == "sent"


async def test_rasa_unreachable_then_stale_fails(db_engine, db_session):
    settings = settings_for("http://127.0.0.1:9", FOLLOWUP_TRIGGER_TIMEOUT_SECONDS="1")
    register(PHONE, "kyphoplasty", PROCEDURE_DAY, "kim", None, settings)
    assert await send(settings, DAY_ONE_NOON) == 0
    first = rows(db_session)[0]
    assert first.status == "scheduled" and "Rasa not reachable" in first.last_error
    [claimed] = claim_due(settings.followups, DAY_ONE_NOON + timedelta(hours=30))
    async with aiohttp.ClientSession() as http:
        outcome = await attempt(claimed, settings, http, DAY_ONE_NOON + timedelta(hours=37))
    assert outcome.status == "failed"


async def test_a_crash_after_claiming_leaves_it_due_and_never_sends_twice(
        db_engine, db_session, rasa):
    fake, url = rasa
    settings = settings_for(url)
    register(PHONE, "kyphoplasty", PROCEDURE_DAY, "kim", None, settings)
    [claimed] = claim_due(settings.followups, DAY_ONE_NOON)
    assert claim_due(settings.followups, DAY_ONE_NOON) == []  # a second worker: nothing
    async with aiohttp.ClientSession() as http:
        outcome = await attempt(claimed, settings, http, DAY_ONE_NOON)
    assert outcome.status == "sent" and len(fake.triggers()) == 1
    # ... the worker dies before recording it. Within the lease nobody touches it:
    assert claim_due(settings.followups, DAY_ONE_NOON + timedelta(seconds=60)) == []
    # after the lease it is due again, but Rasa already has it: marked sent, not re-sent
    assert await send(settings, DAY_ONE_NOON + timedelta(minutes=3)) == 1
    assert len(fake.triggers()) == 1
    first = rows(db_session)[0]
    assert (first.status, first.attempts) == ("sent", 2)
    assert record(claimed, outcome, DAY_ONE_NOON) is False  # the old claim can't overwrite


async def test_paused_conversation_waits_and_missing_sms_channel_fails(
        db_engine, db_session, rasa):
    fake, url = rasa
    settings = settings_for(url)
    register(PHONE, "kyphoplasty", PROCEDURE_DAY, "kim", None, settings)
    fake.paused.add(PHONE)
    assert await send(settings, DAY_ONE_NOON) == 0
    first = rows(db_session)[0]
    assert (first.status, first.due_at) == ("scheduled", DAY_ONE_NOON + timedelta(hours=1))
    fake.paused.clear()
    fake.collecting = True
    assert await send(settings, DAY_ONE_NOON + timedelta(hours=1)) == 0
    first = rows(db_session)[0]
    assert (first.status, first.last_error) == ("failed", "Rasa has no twilio output channel")


async def test_a_patient_waiting_for_staff_gets_the_check_in_an_hour_later(
        db_engine, db_session, rasa):
    fake, url = rasa
    settings = settings_for(url)
    register(PHONE, "kyphoplasty", PROCEDURE_DAY, "kim", None, settings)
    fake.waiting.add(PHONE)
    assert await send(settings, DAY_ONE_NOON) == 0
    first = rows(db_session)[0]
    assert (first.status, first.due_at) == ("scheduled", DAY_ONE_NOON + timedelta(hours=1))
    assert first.last_error == "conversation paused"
    fake.waiting.clear()
    assert await send(settings, DAY_ONE_NOON + timedelta(hours=1)) == 1


async def test_wrong_token_is_retried_not_sent(db_engine, db_session, rasa):
    _, url = rasa
    settings = load_settings({"RASA_URL": url, "RASA_API_TOKEN": "wrong"})
    register(PHONE, "kyphoplasty", PROCEDURE_DAY, "kim", None, settings)
    assert await send(settings, DAY_ONE_NOON) == 0
    assert rows(db_session)[0].last_error == "tracker: HTTP 401"


async def test_restart_between_scheduling_and_sending(tmp_path: Path, rasa):
    """Schedule with one engine (staff CLI process), dispose it; a fresh engine (a new
    worker process) finds the plan in the file and sends it."""
    fake, url = rasa
    settings = settings_for(url)
    database = f"sqlite:///{tmp_path / 'clinic.db'}"
    first = db.make_engine(database)
    Base.metadata.create_all(first)
    db.set_engine(first)
    try:
        follow_up_id = register(PHONE, "vertebroplasty", PROCEDURE_DAY, "kim", None, settings)
    finally:
        db.set_engine(None)
        first.dispose()
    fresh = db.make_engine(database)
    db.set_engine(fresh)
    try:
        assert await send(settings, DAY_ONE_NOON) == 1
        with Session(fresh) as session:
            statuses = session.execute(
                select(FollowUpCheckin.day_offset, FollowUpCheckin.status)
                .where(FollowUpCheckin.follow_up_id == follow_up_id)
                .order_by(FollowUpCheckin.day_offset)).all()
            assert [tuple(s) for s in statuses] == [(1, "sent"), (3, "scheduled"),
                                                    (7, "scheduled")]
            assert session.get(FollowUp, follow_up_id).status == "active"
    finally:
        db.set_engine(None)
        fresh.dispose()
    assert fake.triggers()[0]["body"]["entities"]["followup_procedure"] == "vertebroplasty"


async def test_follow_up_completes_when_nothing_is_left_to_send(db_engine, db_session, rasa):
    _, url = rasa
    settings = settings_for(url, FOLLOWUP_DAYS="1")
    follow_up_id = register(PHONE, "kyphoplasty", PROCEDURE_DAY, "kim", None, settings)
    assert await send(settings, DAY_ONE_NOON) == 1
    db_session.expire_all()
    assert db_session.get(FollowUp, follow_up_id).status == "completed"
