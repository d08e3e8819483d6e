"""Transcript index and queries on the real database: indexer, filters, search, detail."""

from __future__ import annotations

import threading
from datetime import date, datetime
from pathlib import Path

import pytest
from rasa.shared.core.events import ActionExecuted
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from actions import db
from actions.models import AppointmentRequest, Base, HandoffRequest, StaffAlert
from console import conversation, indexer
from console.models import (
    Annotation,
    AuditEntry,
    ConversationMessage,
    ConversationSummary,
    IndexState,
)
from console.transcripts import BadFilter, ConversationFilter, list_conversations
from tests.transcript_events import (
    START,
    booking_events,
    bot,
    session_start,
    turn,
    user,
    write,
)

DAY = 86400.0


def listed(flt: ConversationFilter):
    with db.session_scope() as session:
        return [row.summary.conversation_id for row in list_conversations(session, flt).rows]


def find(**query: str):
    return listed(ConversationFilter.from_query(query, 0.6))


def summary(session: Session, cid: str) -> ConversationSummary:
    row = session.get(ConversationSummary, cid)
    assert row is not None
    return row


def alert_row(cid: str, message_id: str = "m1", **extra) -> StaffAlert:
    return StaffAlert(channel="rest", conversation_id=cid, message_id=message_id,
                      message_text="chest pain", level="emergency", **extra)


@pytest.fixture
def clinic(db_engine):
    """Five conversations covering every filter."""
    write(db_engine, "calm", session_start() + turn("Hi there", channel="web")
          + turn("How long is recovery?", intent="faq", faq="faq/recovery_time",
                 answer="Most people...", response="utter_faq/recovery_time", channel="web"))
    write(db_engine, "unsure", turn("blorp zzz 100%_sure", intent="nlu_fallback", confidence=0.45,
                                    ranking=[{"name": "nlu_fallback", "confidence": 0.45},
                                             {"name": "faq", "confidence": 0.31}]),
          at=START + DAY)
    write(db_engine, "+13125550100", turn("my number is 312 555 0100", channel="twilio",
                                          intent="inform", confidence=0.5, message_id="m1"),
          at=START + 2 * DAY)
    write(db_engine, "booking", booking_events(), at=START + 3 * DAY)
    write(db_engine, "human", turn("can I talk to a person", intent="request_human",
                                   message_id="h1"), at=START + 4 * DAY)
    with Session(db_engine) as session, session.begin():
        session.add(alert_row("+13125550100", created_at=datetime(2026, 11, 22, 9, 0, 1)))
        session.add(HandoffRequest(channel="rest", conversation_id="human", message_id="h1",
                                   message_text="person", reason="patient_request",
                                   during_office_hours=True))
    assert indexer.catch_up() > 0
    return db_engine


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
                           ActionExecuted("utter_greet"), ActionExecuted("action_default_fallback")])
    for _ in range(6):  # one event per batch
        with db.session_scope() as session:
            indexer.index_batch(session, batch_size=1)
    flags = db_session.scalars(select(ConversationMessage.fallback)
                               .order_by(ConversationMessage.event_id)).all()
    assert flags == [True, False]
    assert summary(db_session, "a").fallback_turns == 1


def test_system_intents_are_not_patient_messages(db_engine, db_session):
    from rasa.shared.core.events import UserUttered

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


def test_each_filter(clinic, db_session):
    db_session.add(AppointmentRequest(reference="R1", request_key="k", channel="rest",
                                      conversation_id="booking", patient_name="Rosa",
                                      phone="+13125550123", preferred_times="any",
                                      procedure="not_sure", adapter="queue"))
    conversation.set_reviewed(db_session, "calm", "rita", True)
    conversation.add_tag(db_session, "human", "Needs  Answer", "rita")
    db_session.commit()
    assert find() == ["human", "booking", "+13125550100", "unsure", "calm"]
    assert find(channel="web") == ["calm"]
    assert find(channel="twilio") == ["+13125550100"]
    assert find(**{"from": "2026-11-22", "to": "2026-11-23"}) == ["booking", "+13125550100"]
    assert find(topic="faq/recovery_time") == ["calm"]
    assert find(topic="request_appointment") == ["booking"]
    assert find(low="1") == ["+13125550100", "unsure"]
    assert find(low="1", threshold="0.4") == ["unsure"]
    assert find(fallback="1") == ["unsure"]
    assert find(alert="1") == ["+13125550100"]
    assert find(handoff="1") == ["human"]
    assert find(reviewed="yes") == ["calm"]
    assert "calm" not in find(reviewed="no") and len(find(reviewed="no")) == 4
    assert find(tag="needs answer") == ["human"]
    assert find(low="1", channel="twilio", alert="1") == ["+13125550100"]


def test_search_is_case_insensitive_and_escapes_wildcards(clinic):
    assert find(q="RECOVERY") == ["calm"]
    assert find(q="100%_sure") == ["unsure"]
    assert find(q="%") == ["unsure"] and find(q="_") == ["unsure"]
    assert find(q="1_0") == [] and find(q="answer") == []
    assert find(q="  how   long ") == ["calm"]


def test_pagination_counts_everything_and_pages(clinic):
    flt = ConversationFilter.from_query({"per_page": "2", "page": "2"})
    with db.session_scope() as session:
        page = list_conversations(session, flt)
    assert (page.total, page.pages) == (5, 3)
    assert [r.summary.conversation_id for r in page.rows] == ["+13125550100", "unsure"]
    assert "page=3" in flt.query_string(page=3) and "per_page=2" in flt.query_string()


@pytest.mark.parametrize("query", [
    {"page": "x"}, {"page": "0"}, {"per_page": "101"}, {"threshold": "2"},
    {"threshold": "nan"}, {"from": "yesterday"}, {"from": "2026-11-22", "to": "2026-11-01"},
    {"reviewed": "maybe"}, {"tag": "<b>"}, {"channel": "a b"}, {"q": "x" * 201},
])
def test_nonsense_filters_are_refused(query):
    with pytest.raises(BadFilter):
        ConversationFilter.from_query(query)


def test_detail_shows_every_event_with_records_inline(clinic, db_session):
    db_session.add(Annotation(event_id=1, conversation_id="x", text="t", label="greet",
                              author="rita"))
    db_session.commit()
    found = conversation.view(db_session, "calm", "rita")
    assert found is not None
    kinds = [t.kind for t in found.turns]
    assert kinds[:3] == ["session_started", "patient", "bot"]
    answer = [t for t in found.turns if t.kind == "bot"][1]
    assert (answer.name, answer.text) == ("utter_faq/recovery_time", "Most people...")
    question = found.turns[3]
    assert (question.faq_key, question.predicted, question.channel) == (
        "faq/recovery_time", "faq/recovery_time", "web")
    booking = conversation.load_conversation(db_session, "booking")
    assert booking is not None
    slot = next(t for t in booking.turns if t.kind == "slot" and t.name == "appointment_name")
    assert slot.value == "Rosa Delgado"
    assert [t.name for t in booking.turns if t.kind == "form"] == ["appointment_form", ""]
    phone = conversation.load_conversation(db_session, "+13125550100")
    assert phone is not None
    assert [r.kind for r in phone.turns[0].records] == ["alert"]
    assert conversation.load_conversation(db_session, "nobody") is None
    audit = db_session.scalars(select(AuditEntry)).all()
    assert [(a.action, a.target_id) for a in audit] == [("view_conversation", "calm")]


def test_staff_replies_and_annotations_in_detail(db_engine, db_session):
    write(db_engine, "h", turn("help", message_id="q1") + [bot("Hi, this is Ana", staff="Ana")])
    indexer.catch_up()
    message_id = db_session.scalar(select(ConversationMessage.event_id))
    db_session.add(Annotation(event_id=message_id, conversation_id="h", text="help",
                              label="request_human", author="rita"))
    db_session.commit()
    found = conversation.load_conversation(db_session, "h")
    assert found is not None
    staff = found.turns[-1]
    assert (staff.kind, staff.name, staff.text) == ("staff", "Ana", "Hi, this is Ana")
    assert found.turns[0].annotation is not None
    assert found.turns[0].annotation.label == "request_human"


def test_review_marks_and_tags_are_audited(clinic, db_session):
    assert conversation.set_reviewed(db_session, "calm", "rita", True)
    assert conversation.add_tag(db_session, "calm", " Billing ", "rita") == "billing"
    assert conversation.add_tag(db_session, "calm", "billing", "rita") == "billing"
    with pytest.raises(BadFilter):
        conversation.add_tag(db_session, "calm", "x" * 41, "rita")
    assert conversation.remove_tag(db_session, "calm", "BILLING", "rita")
    assert not conversation.remove_tag(db_session, "calm", "billing", "rita")
    assert conversation.set_reviewed(db_session, "calm", "rita", False)
    assert not conversation.set_reviewed(db_session, "nobody", "rita", True)
    db_session.commit()
    actions = db_session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)).all()
    assert actions == ["mark_reviewed", "add_tag", "remove_tag", "unmark_reviewed"]
    assert summary(db_session, "calm").reviewed_at is None
