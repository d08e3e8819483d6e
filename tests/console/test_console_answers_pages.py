"""The answers pages: reviewers read, admins edit and roll back (the edit reaching the running
bot is tests/e2e/test_console_answers_live.py)."""

from __future__ import annotations

from sqlalchemy import select

from clinic.content import answers
from clinic.db import session_scope
from clinic.models import AnswerRevision, AuditEntry
from tests.console.test_console_answers import FAQ, NEW_CHAT, NEW_SMS
from tests.console_client import ConsoleClient

# --- pages ------------------------------------------------------------------------------

FAQ_URL = "/answers/" + FAQ


async def test_reviewers_read_answers_but_cannot_edit(console: ConsoleClient) -> None:
    await console.login("rita", role="reviewer")
    listing = await console.page("/answers")
    assert ">Recovery time</a>" in listing and "utter_urgent_symptom" in listing
    assert f'href="{FAQ_URL}"' in listing and "000_d3758fc3bfc522e9.txt" in listing
    page = await console.page(FAQ_URL)
    assert "2026-11-21" in page and "<textarea" not in page and "rollback" not in page
    response = await console.post(FAQ_URL, {"chat_text": NEW_CHAT, "sms_text": NEW_SMS,
                                            "reason": "x"})
    assert response.status == 403
    response = await console.post(FAQ_URL + "/rollback", {"to_revision": "0", "reason": "x"})
    assert response.status == 403
    with session_scope() as session:
        assert session.scalar(select(AnswerRevision.id)) is None


async def test_admin_edits_sees_history_and_rolls_back(console: ConsoleClient) -> None:
    await console.login("ada", role="admin")
    page = await console.page(FAQ_URL)
    assert 'name="chat_text"' in page and 'name="sms_text"' in page
    response = await console.post(FAQ_URL, {"chat_text": NEW_CHAT, "sms_text": NEW_SMS,
                                            "reason": "plainer words"})
    assert response.status == 303
    assert response.headers["Location"].startswith(FAQ_URL + "?msg=Saved%20as%20revision%201")
    page = await console.page(FAQ_URL)
    assert "revision 1" in page and "plainer words" in page and "ada" in page
    assert NEW_SMS in page
    listing = await console.page("/answers?q=recovery")
    assert "edited" in listing and "utter_goodbye" not in listing
    response = await console.post(FAQ_URL + "/rollback", {"to_revision": "0",
                                                          "reason": "back to reviewed"})
    assert response.status == 303
    page = await console.page(FAQ_URL)
    assert "original text" in page and "back to reviewed" in page
    with session_scope() as session:
        assert [(r.revision, r.rollback_of) for r in answers.history(session, FAQ)] == [
            (2, 0), (1, None)]
        assert [e.action for e in session.scalars(select(AuditEntry).where(
            AuditEntry.target_type == "answer"))] == ["edit_answer", "rollback_answer"]


async def test_a_refused_edit_shows_the_errors_and_keeps_the_text(console) -> None:
    await console.login("ada", role="admin")
    typed = "<script>alert(1)</script> Call {clinic_phon}."
    response = await console.post(FAQ_URL, {"chat_text": typed, "sms_text": "",
                                            "reason": "try"})
    body = await response.text()
    assert response.status == 400
    assert "unknown placeholder {clinic_phon}" in body
    assert "&lt;script&gt;alert(1)&lt;/script&gt; Call {clinic_phon}." in body
    assert "<script>alert(1)" not in body and 'value="try"' in body


async def test_bad_urls_and_fields_get_clear_answers(console: ConsoleClient) -> None:
    await console.login("ada", role="admin")
    assert (await console.get("/answers/utter_nope")).status == 404
    assert (await console.get("/answers/" + "x" * 500)).status == 404
    assert (await console.post("/answers/utter_nope", {"chat_text": "x"})).status == 404
    for value in ("", "abc", "-1", "9" * 20):
        response = await console.post(FAQ_URL + "/rollback", {"to_revision": value,
                                                              "reason": "x"})
        assert response.status == 400, value
    response = await console.post(FAQ_URL + "/rollback", {"to_revision": "7", "reason": "x"})
    assert response.status == 400 and "no revision 7" in await response.text()
    page = await console.page("/answers/utter_urgent_symptom")
    assert "conditional" in page and "<textarea" not in page
    listing = await console.page("/answers?q=" + "<b>" * 50)
    assert "No answer matches" in listing and "<b><b>" not in listing


# --- the running bot --------------------------------------------------------------------
