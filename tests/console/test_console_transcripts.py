"""Transcript queries on the real database: filters, search, pages, detail, staff marks."""

from __future__ import annotations

import pytest
from rasa.shared.core.events import DefinePrevUserUtteredFeaturization
from sqlalchemy import select
from sqlalchemy.orm import Session

from clinic import db
from clinic.models import (
    Annotation,
    AppointmentRequest,
    AuditEntry,
    ConversationMessage,
    ConversationSummary,
)
from clinic.review import indexer
from console.conversations import conversation
from console.conversations.transcripts import BadFilter, ConversationFilter, list_conversations
from tests.transcript_events import bot, clinic_fixture, turn, write

_ = clinic_fixture  # the five-conversation clinic, as `clinic`


def listed(flt: ConversationFilter):
    with db.session_scope() as session:
        return [row.summary.conversation_id for row in list_conversations(session, flt).rows]


def find(**query: str):
    return listed(ConversationFilter.from_query(query, 0.6))


def summary(session: Session, cid: str) -> ConversationSummary:
    row = session.get(ConversationSummary, cid)
    assert row is not None
    return row


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
    write(db_engine, "h", turn("help", message_id="q1") + [
        DefinePrevUserUtteredFeaturization(False), bot("Hi, this is Ana", staff="Ana")])
    indexer.catch_up()
    message_id = db_session.scalar(select(ConversationMessage.event_id))
    db_session.add(Annotation(event_id=message_id, conversation_id="h", text="help",
                              label="request_human", author="rita"))
    db_session.commit()
    found = conversation.load_conversation(db_session, "h")
    assert found is not None
    staff = found.turns[-1]
    assert (staff.kind, staff.name, staff.text) == ("staff", "Ana", "Hi, this is Ana")
    assert "user_featurization" not in [t.kind for t in found.turns]  # bookkeeping hidden
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


def test_the_console_benchmark_runs_and_updates_its_section(tmp_path, settings_env):
    from scripts import bench_console

    settings_env()
    results = bench_console.measure(conversations=60, runs=2)
    assert results["events"] > 400 and results["queries"][0][1] == 60
    doc = tmp_path / "benchmark.md"
    doc.write_text("# Benchmark\n\nassistant numbers\n", encoding="utf-8")
    for _ in range(2):  # replaced in place, not appended twice
        bench_console.write_section(bench_console.report(results, 2), doc)
    text = doc.read_text(encoding="utf-8")
    assert text.count("## Review console: transcripts") == 1 and "assistant numbers" in text
