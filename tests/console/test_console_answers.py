"""Answer revisions: validation, history, roll-back (to the original too), race-safe
revision numbers and the audit (real database: in-memory, or a temp SQLite file)."""

from __future__ import annotations

import threading
from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from clinic.content import answers
from clinic.content.answer_rules import AnswerError
from clinic.content.catalog import catalog, load_catalog
from clinic.db import session_scope
from clinic.models import AnswerRevision, AuditEntry
from clinic.settings import get_settings
from clinic.sms import text as sms_text

FAQ = "utter_faq/recovery_time"
NEW_CHAT = "Most people feel better within days. Call {clinic_phone} with questions."
NEW_SMS = "Most feel better in days. Questions? Call {clinic_phone}."


def save(session: Session, chat: str = NEW_CHAT, sms: str | None = NEW_SMS,
         name: str = FAQ, author: str = "ana", reason: str = "clearer") -> AnswerRevision:
    return answers.save_revision(session, name, chat, sms, author, reason)


def errors_of(session: Session, **kwargs) -> list[str]:
    with pytest.raises(AnswerError) as caught:
        save(session, **kwargs)
    return caught.value.errors


# --- catalog: what can be edited ---------------------------------------------------------

def test_catalog_tells_editable_from_read_only_answers(tmp_path: Path) -> None:
    answers_now = catalog().answers
    assert answers_now[FAQ].editable and answers_now["utter_greet"].editable
    assert not answers_now["utter_urgent_symptom"].editable
    assert "conditional" in answers_now["utter_urgent_symptom"].read_only_reason
    assert "button title" in answers_now["utter_button_none_of_these"].read_only_reason
    (tmp_path / "data" / "responses").mkdir(parents=True)
    (tmp_path / "domain.yml").write_text("intents: [greet]\n")
    (tmp_path / "data" / "responses" / "x.yml").write_text("""
responses:
  utter_two: [{text: one}, {text: two}]
  utter_two_sms: [{text: one}, {channel: twilio, text: a}, {channel: twilio, text: b}]
  utter_other_channel: [{text: one}, {channel: socketio, text: web}]
  utter_plain: [{text: one}, {channel: twilio, text: sms, buttons: [{title: "Yes", payload: /y}]}]
""")
    read = load_catalog(tmp_path).answers
    assert [n for n, a in read.items() if a.editable] == ["utter_plain"]
    assert "several variants" in read["utter_two"].read_only_reason
    assert read["utter_plain"].sms_buttons == ("Yes",)


# --- current text, revisions, history ----------------------------------------------------

def test_current_text_is_the_domain_text_until_edited(db_session: Session) -> None:
    original = catalog().answers[FAQ]
    now = answers.current(db_session, FAQ)
    assert (now.chat_text, now.sms_text, now.revision) == (original.chat_text,
                                                           original.sms_text, 0)
    first = save(db_session)
    second = save(db_session, chat=NEW_CHAT + " More.", sms=None, author="bo", reason="r2")
    assert (first.revision, second.revision) == (1, 2)
    now = answers.current(db_session, FAQ)
    assert (now.chat_text, now.sms_text, now.revision, now.edited_by) == (
        NEW_CHAT + " More.", None, 2, "bo")
    assert [r.revision for r in answers.history(db_session, FAQ)] == [2, 1]
    # numbers count per response
    assert save(db_session, name="utter_goodbye", chat="Bye! Call {clinic_phone}.",
                sms="Bye!").revision == 1
    assert answers.latest_texts(db_session) == {
        FAQ: (NEW_CHAT + " More.", None), "utter_goodbye": ("Bye! Call {clinic_phone}.", "Bye!")}


def test_texts_are_trimmed_and_an_empty_sms_text_means_the_chat_text(db_session) -> None:
    row = save(db_session, chat="  Rest for a day.\r\nThen walk.  ", sms="   ")
    assert (row.chat_text, row.sms_text) == ("Rest for a day.\nThen walk.", None)


def test_every_edit_is_audited_without_text(db_session: Session) -> None:
    save(db_session)
    answers.rollback(db_session, FAQ, 0, "bo", "back to the reviewed text")
    entries = list(db_session.scalars(select(AuditEntry).order_by(AuditEntry.id)))
    assert [(e.username, e.action, e.target_type, e.target_id) for e in entries] == [
        ("ana", "edit_answer", "answer", FAQ), ("bo", "rollback_answer", "answer", FAQ)]
    assert entries[0].detail == {"revision": 1}
    assert entries[1].detail == {"revision": 2, "rollback_of": 0}
    assert "feel better" not in str([e.detail for e in entries])


def test_last_review_is_the_newer_of_metadata_and_last_edit(db_session: Session) -> None:
    answer = catalog().answers[FAQ]
    assert answer.reviewed == "2026-11-21"
    assert answers.last_review(answer, None) == "2026-11-21"
    assert answers.last_review(answer, datetime(2026, 1, 2)) == "2026-11-21"
    assert answers.last_review(answer, datetime(2027, 3, 4, 5, 6)) == "2027-03-04"
    assert answers.last_review(catalog().answers["utter_greet"], None) == ""
    save(db_session)
    [row] = [r for r in answers.overview(db_session, "recovery") if r.answer.name == FAQ]
    assert row.revisions == 1 and row.last_review == max(
        "2026-11-21", datetime.utcnow().date().isoformat())


# --- validation -------------------------------------------------------------------------

@pytest.mark.parametrize("kwargs, message", [
    ({"chat": ""}, "Chat text: required"),
    ({"chat": "   \n "}, "Chat text: required"),
    ({"chat": "a" * 2001}, "at most 2000"),
    ({"reason": ""}, "Reason: required"),
    ({"reason": "x" * 301}, "at most 300"),
    ({"chat": "Call {clinic_phon}."}, "unknown placeholder {clinic_phon}"),
    ({"chat": "Hi {appointment_name}."}, "unknown placeholder {appointment_name}"),
    ({"sms": "Hi {first name}"}, "unknown placeholder {first name}"),
    ({"chat": "Use {{clinic_phone}}."}, "curly braces"),
    ({"chat": "Oops }"}, "curly braces"),
    ({"sms": "It\u2019s fine \U0001f600"}, "cannot be sent as a plain text message"),
    ({"sms": "a" * 307}, "3 SMS segments"),
    ({"sms": None, "chat": "word " * 80}, "Without an SMS text"),
    ({"name": "utter_nope"}, "no answer of that name"),
    ({"name": "utter_urgent_symptom"}, "cannot be edited here"),
])
def test_bad_edits_are_refused_with_a_clear_reason(db_session, kwargs, message) -> None:
    errors = errors_of(db_session, **kwargs)
    assert any(message in e for e in errors), errors
    assert db_session.scalar(select(AnswerRevision.id)) is None
    assert db_session.scalar(select(AuditEntry.id)) is None


def test_every_problem_is_reported_at_once(db_session: Session) -> None:
    errors = errors_of(db_session, chat="Call {nope}", sms="x" * 1001, reason="")
    assert len(errors) == 2  # reason and the SMS size (placeholders checked once sizes fit)
    errors = errors_of(db_session, chat="Call {nope}", sms="{bad}", reason="")
    assert len(errors) == 3


def test_sms_fits_two_segments_with_long_sample_values(db_session: Session) -> None:
    name_value = get_settings().clinic.name
    assert len(name_value) > len("{clinic_name}")
    text = "a" * (2 * sms_text.PART_GSM7 - sms_text.septets("{clinic_name}")) + "{clinic_name}"
    assert sms_text.segments(text) == 2  # as typed it would fit ...
    assert any("segments" in e for e in errors_of(db_session, sms=text))  # ... not as sent
    save(db_session, sms=text.replace("{clinic_name}", "b" * len("{clinic_name}")))


def test_placeholders_of_the_original_text_and_clinic_details_are_allowed(db_session) -> None:
    # utter_message_truncated's domain text uses {max_chars} (filled in by the channel)
    row = save(db_session, name="utter_message_truncated", sms=None,
               chat="I read only the first {max_chars} characters. Call {billing_phone}.")
    assert row.revision == 1
    assert errors_of(db_session, name="utter_greet", chat="Max {max_chars}", sms=None)


def test_an_edit_that_changes_nothing_is_refused(db_session: Session) -> None:
    original = catalog().answers[FAQ]
    errors = errors_of(db_session, chat=original.chat_text + "\n", sms=original.sms_text)
    assert "Nothing changed" in errors[0]
    save(db_session)
    assert "Nothing changed" in errors_of(db_session, reason="again")[0]


# --- roll-back --------------------------------------------------------------------------

def test_rollback_copies_an_old_revision_or_the_original(db_session: Session) -> None:
    original = catalog().answers[FAQ]
    save(db_session)
    save(db_session, chat="Second version.", sms=None, reason="shorter")
    back = answers.rollback(db_session, FAQ, 1, "bo", "second was wrong")
    assert (back.revision, back.rollback_of, back.chat_text, back.sms_text, back.author) == (
        3, 1, NEW_CHAT, NEW_SMS, "bo")
    assert answers.current(db_session, FAQ).chat_text == NEW_CHAT
    home = answers.rollback(db_session, FAQ, 0, "bo", "reviewed text")
    assert (home.revision, home.rollback_of) == (4, 0)
    now = answers.current(db_session, FAQ)
    assert (now.chat_text, now.sms_text) == (original.chat_text, original.sms_text)
    assert [r.revision for r in answers.history(db_session, FAQ)] == [4, 3, 2, 1]


@pytest.mark.parametrize("to, reason, message", [
    (9, "why", "no revision 9"),
    (1, "", "Reason: required"),
    (2, "why", "already the current one"),
])
def test_bad_rollbacks_are_refused(db_session, to, reason, message) -> None:
    save(db_session)
    save(db_session, chat="Second version.", sms=None)
    with pytest.raises(AnswerError) as caught:
        answers.rollback(db_session, FAQ, to, "bo", reason)
    assert any(message in e for e in caught.value.errors), caught.value.errors
    assert len(answers.history(db_session, FAQ)) == 2


def test_rollback_to_the_original_when_never_edited_is_a_no_op(db_session) -> None:
    with pytest.raises(AnswerError):
        answers.rollback(db_session, FAQ, 0, "bo", "why")
    with pytest.raises(AnswerError):
        answers.rollback(db_session, "utter_urgent_symptom", 0, "bo", "why")


# --- revision numbers under concurrent saves --------------------------------------------

def test_a_revision_number_taken_meanwhile_is_retried(file_db, monkeypatch) -> None:
    real_next = answers._next_number
    calls: list[int] = []

    def stale_number(session: Session, name: str) -> int:
        number = real_next(session, name)
        calls.append(number)
        if len(calls) == 1:  # another admin saves this very number before we insert ours
            with session_scope() as other:
                save(other, chat="Someone else's edit.", sms=None, author="bo")
        return number

    monkeypatch.setattr(answers, "_next_number", stale_number)
    with session_scope() as session:
        mine = save(session)
        assert mine.revision == 2
    assert calls == [1, 1, 2]  # ours (stale), the other admin's, ours again
    with session_scope() as session:
        assert [(r.revision, r.author) for r in answers.history(session, FAQ)] == [
            (2, "ana"), (1, "bo")]


def test_concurrent_saves_get_distinct_numbers(file_db) -> None:
    failures: list[BaseException] = []

    def edit(i: int) -> None:
        try:
            with session_scope() as session:
                save(session, chat=f"Edit number {i}.", sms=None, author=f"admin{i}")
        except BaseException as error:  # noqa: BLE001
            failures.append(error)

    threads = [threading.Thread(target=edit, args=(i,)) for i in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not failures
    with session_scope() as session:
        assert sorted(r.revision for r in answers.history(session, FAQ)) == [1, 2, 3, 4, 5, 6]
