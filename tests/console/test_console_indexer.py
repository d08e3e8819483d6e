"""The transcript indexer on the real database: incremental, idempotent, concurrent."""

from __future__ import annotations

import threading
from datetime import date, datetime
from pathlib import Path

from rasa.shared.core.events import ActionExecuted, UserUttered
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from clinic import cli, db
from clinic.models import Base, ConversationMessage, ConversationSummary, IndexState
from clinic.review import indexer
from console.conversations import conversation, indexing
from tests.transcript_events import DAY, START, bot, clinic_fixture, turn, user, write

_ = clinic_fixture  # the five-conversation clinic, as `clinic`


def summary(session: Session, cid: str) -> ConversationSummary:
    row = session.get(ConversationSummary, cid)
    assert row is not None
    return row


def test_indexer_builds_messages_and_summaries(clinic, db_session):
    calm = summary(db_session, "calm")
    assert (calm.channel, calm.user_messages, calm.bot_messages) == ("web", 2, 2)
    assert calm.preview == "Hi there" and calm.fallback_turns == 0
    assert calm.started_at == datetime(2026, 11, 20, 9, 0, 3)  # first message
    faq = db_session.scalars(select(ConversationMessage).where(
        ConversationMessage.faq_key.isnot(None))).one()
    assert (faq.intent, faq.faq_key, faq.faq_confidence) == ("faq", "faq/recovery_time", 0.9)
    assert faq.search_text == "how long is recovery?"
    unsure = db_session.scalars(select(ConversationMessage).where(
        ConversationMessage.conversation_id == "unsure")).one()
    assert unsure.fallback and unsure.intent == "nlu_fallback" and unsure.confidence == 0.31
    assert summary(db_session, "unsure").fallback_turns == 1
    assert summary(db_session, "+13125550100").channel == "twilio"


def test_indexing_is_incremental_and_idempotent(clinic, db_session):
    messages = db_session.scalar(select(func.count()).select_from(ConversationMessage))
    assert indexer.catch_up() == 0
    write(clinic, "calm", turn("and the pain?", channel="web", confidence=0.2),
          at=START + 10 * DAY)
    assert indexer.catch_up() == 4
    db_session.expire_all()
    calm = summary(db_session, "calm")
    assert (calm.user_messages, calm.min_confidence) == (3, 0.2)
    assert calm.last_message_at.date() == date(2026, 11, 30) and calm.preview == "Hi there"
    assert db_session.scalar(select(func.count()).select_from(ConversationMessage)) == \
        messages + 1


def test_a_fallback_action_in_a_later_batch_marks_the_message(db_engine, db_session):
    write(db_engine, "a", [user("gibberish"), ActionExecuted("action_default_fallback"),
                           bot("Sorry?", "utter_default"), user("hello"),
                           ActionExecuted("utter_greet"),
                           ActionExecuted("action_default_fallback")])
    for _ in range(6):  # one event per batch
        with db.session_scope() as session:
            indexer.index_batch(session, batch_size=1)
    flags = db_session.scalars(select(ConversationMessage.fallback)
                               .order_by(ConversationMessage.event_id)).all()
    assert flags == [True, False]
    assert summary(db_session, "a").fallback_turns == 1


def test_system_intents_are_not_patient_messages(db_engine, db_session):
    write(db_engine, "+13125550199", [UserUttered.create_external("EXTERNAL_checkin"),
                                      ActionExecuted("checkin_form"),
                                      bot("How is your pain today?", "utter_ask_pain")])
    indexer.catch_up()
    row = summary(db_session, "+13125550199")
    assert (row.user_messages, row.bot_messages, row.preview) == (0, 1, "")


def test_rebuild_starts_over_and_keeps_reviewed_marks(clinic, db_session):
    assert conversation.set_reviewed(db_session, "calm", "rita", True)
    db_session.commit()
    before = db_session.scalars(select(ConversationSummary.user_messages)
                                .order_by(ConversationSummary.conversation_id)).all()
    assert indexer.rebuild(batch_size=7) > 0
    db_session.expire_all()
    assert summary(db_session, "calm").reviewed_by == "rita"
    assert db_session.scalars(select(ConversationSummary.user_messages)
                              .order_by(ConversationSummary.conversation_id)).all() == before


def test_no_events_table_yet_means_nothing_to_index(db_engine):
    assert indexer.catch_up() == 0


def test_many_conversations_in_small_batches(db_engine, db_session):
    for n in range(1200):
        write(db_engine, f"c{n}", turn(f"question {n}"), at=START + n)
    assert indexer.catch_up(batch_size=700) == 4800
    assert db_session.scalar(select(func.count()).select_from(ConversationSummary)) == 1200
    assert db_session.get(IndexState, 1).last_event_id == 4800


def test_two_indexers_at_once_index_each_event_once(tmp_path: Path):
    url = f"sqlite:///{tmp_path / 'shared.db'}"
    engines = [db.make_engine(url), db.make_engine(url)]
    Base.metadata.create_all(engines[0])
    for n in range(300):
        write(engines[0], f"c{n % 40}", turn(f"q{n}"), at=START + n * 10)

    errors = []

    def work(engine) -> None:
        try:
            while True:
                with Session(engine, future=True) as session, session.begin():
                    if not indexer.index_batch(session, batch_size=97):
                        return
        except Exception as error:  # noqa: BLE001 - reported below
            errors.append(error)

    threads = [threading.Thread(target=work, args=(engine,)) for engine in engines]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    with Session(engines[0]) as session:
        assert session.scalar(select(func.count()).select_from(ConversationMessage)) == 300
        assert sum(session.scalars(select(ConversationSummary.user_messages))) == 300
        assert sum(session.scalars(select(ConversationSummary.bot_messages))) == 300
    for engine in engines:
        engine.dispose()


async def test_the_real_tracker_store_and_the_console_share_the_database(
    tmp_path: Path, settings_env
):
    from addons.tracker_store import CachedSQLTrackerStore
    from tests.addons.test_tracker_store import DOMAIN

    url = f"sqlite:///{tmp_path / 'clinic.db'}"
    settings_env(DATABASE_URL=url)
    store = CachedSQLTrackerStore(domain=DOMAIN, use_database_url=True)
    tracker = await store.get_or_create_tracker("+13125550100")
    for event in turn("hello from my phone", channel="twilio"):
        tracker.update(event)
    await store.save(tracker)
    engine = db.make_engine(url)
    Base.metadata.create_all(engine)
    db.set_engine(engine)
    try:
        assert cli.main(["index", "--batch", "2"]) == 0
        with Session(engine) as session:
            row = summary(session, "+13125550100")
            assert (row.channel, row.user_messages, row.preview) == (
                "twilio", 1, "hello from my phone")
        assert cli.main(["index", "--rebuild"]) == 0
    finally:
        db.set_engine(None)
        engine.dispose()


async def test_the_console_indexes_in_the_background(tmp_path: Path, settings_env,
                                                     monkeypatch):
    import asyncio

    from aiohttp.test_utils import TestClient, TestServer

    from console.app import create_app

    engine = db.make_engine(f"sqlite:///{tmp_path / 'clinic.db'}")
    Base.metadata.create_all(engine)
    db.set_engine(engine)
    monkeypatch.setattr(indexing, "INTERVAL_SECONDS", 0.05)
    client = TestClient(TestServer(create_app(settings_env())))
    await client.start_server()
    try:
        write(engine, "bg", turn("indexed without a page view"))
        for _ in range(100):
            with Session(engine) as session:
                if session.get(ConversationSummary, "bg") is not None:
                    break
            await asyncio.sleep(0.05)
        with Session(engine) as session:
            assert summary(session, "bg").preview == "indexed without a page view"
    finally:
        await client.close()
        db.set_engine(None)
        engine.dispose()


def test_the_events_declaration_matches_rasas_table():
    """The project's one declaration of Rasa's ``events`` table has Rasa's columns."""
    from rasa.core.tracker_store import SQLTrackerStore

    from clinic.models import RASA_EVENTS

    rasa = SQLTrackerStore.SQLEvent.__table__
    assert RASA_EVENTS.name == rasa.name
    assert {c.name: type(c.type) for c in RASA_EVENTS.columns} == {
        c.name: type(c.type) for c in rasa.columns}
