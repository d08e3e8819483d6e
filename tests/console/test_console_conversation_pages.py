"""Conversation pages of the review console, in-process on the in-memory database."""

from __future__ import annotations

import html
import re
from urllib.parse import quote

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from clinic.content.catalog import catalog
from clinic.models import Annotation, AuditEntry, ConversationSummary, ConversationTag, StaffAlert
from tests.transcript_events import START, turn, write

PHONE_ID = "+13125550100"
XSS = "<script>alert(1)</script>"


@pytest.fixture
def chats(db_engine):
    write(db_engine, PHONE_ID, turn("hi, call me at 312-555-0199", channel="twilio",
                                    confidence=0.4, message_id="m1"))
    write(db_engine, "web-1", turn(XSS, channel="web", intent="faq", faq="faq/recovery_time",
                                   response="utter_faq/recovery_time", answer="About 2 weeks."),
          at=START + 60)
    with Session(db_engine) as session, session.begin():
        session.add(StaffAlert(channel="twilio", conversation_id=PHONE_ID, message_id="m1",
                               message_text="x", level="urgent"))
    return db_engine


def view_url(cid: str) -> str:
    return "/conversations/" + quote(cid, safe="")


async def test_list_needs_a_login(console):
    response = await console.get("/conversations")
    assert response.status == 303 and response.headers["Location"].startswith("/login")


async def test_list_masks_previews_and_ids_and_shows_badges(console, chats):
    await console.login("rita", role="reviewer")
    page = await console.page("/conversations")
    assert "312-555-0199" not in page and "[phone]" in page
    assert PHONE_ID not in page and "•0" in page
    assert view_url(PHONE_ID) in page
    assert "low confidence" in page and "red flag" in page
    assert XSS not in page and html.escape(XSS) in page
    assert "2 conversations" in page


async def test_list_filters_from_the_query_and_keeps_them_in_page_links(console, chats):
    for n in range(30):
        write(chats, f"extra-{n}", turn(f"question {n}", channel="web"), at=START + 100 + n)
    await console.login()
    page = await console.page("/conversations?channel=web&per_page=10&q=question")
    assert "30 conversations match" in page and "web-1" not in page
    assert 'href="/conversations?channel=web&amp;q=question&amp;page=2&amp;per_page=10"' in page
    assert "Page 1 of 3" in page
    low = await console.page("/conversations?low=1")
    assert "1 conversation match" in low and view_url(PHONE_ID) in low
    assert "1 conversation match" in await console.page("/conversations?alert=1")
    assert "No conversations match" in await console.page("/conversations?handoff=1")


@pytest.mark.parametrize("query", ["page=abc", "from=someday", "threshold=5", "tag=%3Cb%3E"])
async def test_bad_filters_get_a_400_with_a_message(console, chats, query):
    await console.login()
    response = await console.get("/conversations?" + query)
    body = await response.text()
    assert response.status == 400 and 'role="alert"' in body and "<b>" not in body


async def test_view_shows_full_text_escaped_and_is_audited(console, chats, db_session):
    await console.login("rita", role="reviewer")
    page = await console.page(view_url("web-1"))
    assert html.escape(XSS) in page and XSS not in page
    assert "faq/recovery_time" in page and "utter_faq/recovery_time" in page
    assert "About 2 weeks." in page
    phone = await console.page(view_url(PHONE_ID))
    assert "312-555-0199" in phone and PHONE_ID in phone
    assert "urgent red flag" in phone
    entries = db_session.scalars(select(AuditEntry).where(
        AuditEntry.action == "view_conversation")).all()
    assert [(e.username, e.target_id) for e in entries] == [("rita", "web-1"), ("rita", PHONE_ID)]
    assert all("312" not in str(e.detail) for e in entries)


async def test_view_has_an_annotation_form_per_patient_message(console, chats, db_session):
    await console.login()
    event_id = 1  # the first stored event is the phone conversation's message
    db_session.add(Annotation(event_id=event_id, conversation_id=PHONE_ID, text="hi",
                              label="faq/recovery_time", author="ana"))
    db_session.commit()
    page = await console.page(view_url(PHONE_ID) + "?back=channel%3Dweb")
    forms = re.findall(r'<form method="post" action="/annotations" class="annotate".*?</form>',
                       page, re.S)
    assert len(forms) == 1
    assert f'name="event_id" value="{event_id}"' in forms[0]
    back = f"{view_url(PHONE_ID)}?back=channel%3Dweb#event-{event_id}"
    assert f'name="next" value="{back}"' in forms[0]
    assert f'name="conversation_id" value="{PHONE_ID}"' in forms[0]
    assert 'name="csrf_token" value="' + console.csrf in forms[0]
    assert '<option value="__as_is__">Correct as is</option>' in forms[0]
    assert all(f'value="{label}"' in forms[0] for label in catalog().labels[:20])
    assert '<option value="faq/recovery_time" selected>' in forms[0]
    assert "annotated: faq/recovery_time (ana)" in page


async def test_unknown_or_oversized_ids_are_404(console, chats):
    await console.login()
    for path in ("/conversations/nobody", "/conversations/" + "x" * 300,
                 "/conversations/%20"):
        response = await console.get(path)
        assert response.status == 404, path
        assert "No such conversation" in await response.text()


async def test_mark_reviewed_and_tags(console, chats, db_session):
    await console.login("rita")
    url = view_url(PHONE_ID)
    response = await console.post(url + "/review", {"reviewed": "1", "back": "alert=1"})
    assert response.status == 303
    assert response.headers["Location"].startswith(url + "?back=alert%3D1")
    page = await console.page(response.headers["Location"])
    assert "reviewed by rita" in page and 'href="/conversations?alert=1"' in page
    assert (await console.post(url + "/tags", {"action": "add", "tag": "Call Back"})).status == 303
    assert (await console.post(url + "/tags", {"action": "add", "tag": "<x>"})).status == 400
    tags = db_session.scalars(select(ConversationTag.tag)).all()
    assert tags == ["call back"]
    listed = await console.page("/conversations?tag=call+back&reviewed=yes")
    assert "1 conversation match" in listed
    assert (await console.post(url + "/tags", {"action": "remove", "tag": "call back"})
            ).status == 303
    assert (await console.post(url + "/review", {"reviewed": "0"})).status == 303
    db_session.expire_all()
    assert db_session.get(ConversationSummary, PHONE_ID).reviewed_at is None
    assert (await console.post("/conversations/nobody/review", {"reviewed": "1"})).status == 404
    assert (await console.post(url + "/review", {"reviewed": "1"}, csrf=False)).status == 403


async def test_list_catches_up_with_new_events(console, chats):
    await console.login()
    assert "2 conversations" in await console.page("/conversations")
    write(chats, "late", turn("a new question"), at=START + 999)
    assert "3 conversations" in await console.page("/conversations")


async def test_browsers_can_post_forms(console, chats):
    """Real browsers: Origin is only sent (not "null") when the referrer policy allows it,
    and a favicon request redirected to /login must not change the login form's token."""
    from tests.console_client import CSRF, PASSWORD

    console.add_user("ana")
    first = CSRF.search(await (await console.client.get("/login")).text())
    await console.client.get("/login?next=%2Ffavicon.ico")
    assert first is not None
    response = await console.client.post("/login", allow_redirects=False, data={
        "csrf_token": first.group(1), "username": "ana", "password": PASSWORD})
    assert response.status == 303
    assert response.headers["Referrer-Policy"] == "same-origin"
