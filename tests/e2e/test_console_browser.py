"""The review console in real headless Chromium against the real servers: log in, filter to
low confidence, open a conversation (a patient's ``<script>`` shows as text), annotate a
message, edit an answer and see the bot use the new text, then roll it back.

Screenshots go to results/browser/ (git-ignored).
"""

from __future__ import annotations

import re
import time
import uuid
from typing import Any, Iterator, List

import pytest
from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from addons.channels.rest import conversation_id as rest_id
from clinic.models import Annotation, AnswerRevision, AuditEntry
from scripts.servers import ConsoleServer, Servers, add_console_user, start_console
from tests.browser import SHOTS, TIMEOUT_MS, chromium
from tests.conftest import MODEL_PATH
from tests.helpers import unsure_messages

pytestmark = [
    pytest.mark.server,
    pytest.mark.skipif(not MODEL_PATH.exists(), reason="run `make train` first"),
]

ADMIN, PASSWORD = "ada", "correct horse battery"
XSS = "<script>alert(1)</script>"
QUESTION = "will I be asleep during kyphoplasty?"
ANSWER = "utter_faq/anesthesia"


@pytest.fixture(scope="module")
def console_server(servers: Servers) -> Iterator[ConsoleServer]:
    add_console_user(servers.database_url, ADMIN, PASSWORD, "admin")
    console = start_console(servers)
    yield console
    console.stop()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with chromium() as launched:
        yield launched


def wait_for_answer(servers: Servers, marker: str, present: bool) -> List[str]:
    """Ask the question until the answer does (or no longer does) contain ``marker``."""
    deadline = time.monotonic() + 60
    while True:
        texts = servers.texts(f"browser-asker-{uuid.uuid4().hex[:8]}", QUESTION)
        if any(marker in text for text in texts) == present:
            return texts
        assert time.monotonic() < deadline, f"answer still {texts!r} after 60 s"
        time.sleep(1)


def test_review_annotate_and_edit_an_answer(
    browser: Any, servers: Servers, console_server: ConsoleServer, server_db: Engine
) -> None:
    from playwright.sync_api import expect

    user = f"browser-review-{uuid.uuid4().hex[:8]}"
    patient = rest_id(user)  # the conversation staff see
    servers.texts(user, XSS)
    servers.texts(user, unsure_messages(servers)[0])  # one the model is unsure about

    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    dialogs: List[str] = []

    def on_dialog(dialog: Any) -> None:
        dialogs.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", on_dialog)

    page.goto(f"{console_server.url}/conversations")
    expect(page).to_have_url(re.compile(r"/login"))
    page.get_by_label("User name").fill(ADMIN)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Conversations")

    page.locator("#f-low").check()
    page.get_by_role("button", name="Filter").click()
    expect(page).to_have_url(re.compile(r"low=1"))
    row = page.locator("tr.conversation-row", has=page.get_by_role("link", name=patient))
    expect(row).to_contain_text("low confidence")
    page.screenshot(path=str(SHOTS / "console-low-confidence.png"), full_page=True)
    row.get_by_role("link", name=patient).click()

    message = page.locator(".patient-text", has_text=XSS)
    expect(message).to_have_text(XSS)
    assert page.locator("script", has_text="alert(1)").count() == 0
    turn = page.locator("li.turn", has=message)
    turn.locator("select[name=label]").select_option("out_of_scope")
    turn.get_by_role("button", name="Save label").click()
    expect(page.locator("li.turn", has=page.locator(".patient-text", has_text=XSS))
           .locator(".annotation")).to_contain_text("out_of_scope")
    page.screenshot(path=str(SHOTS / "console-conversation.png"), full_page=True)

    page.goto(f"{console_server.url}/answers/{ANSWER}")
    marker = f"(Checked by staff {uuid.uuid4().hex[:6]}.)"
    chat = page.get_by_label("Chat text")
    chat.fill(chat.input_value().strip() + " " + marker)
    page.get_by_label("Reason for the change").fill("browser test: wording")
    page.get_by_role("button", name="Save new revision").click()
    expect(page.locator("body")).to_contain_text(marker)
    page.screenshot(path=str(SHOTS / "console-answer.png"), full_page=True)
    texts = wait_for_answer(servers, marker, present=True)
    assert any(marker in text for text in texts)

    page.get_by_label("Reason", exact=True).fill("browser test: restore")
    page.get_by_role("button", name="Restore the original text").click()
    wait_for_answer(servers, marker, present=False)
    assert dialogs == []
    context.close()

    with Session(server_db) as session:
        annotation = session.scalar(select(Annotation).where(Annotation.conversation_id == patient))
        assert annotation is not None and annotation.label == "out_of_scope"
        assert annotation.text == XSS and annotation.author == ADMIN
        revisions = session.scalars(select(AnswerRevision).where(
            AnswerRevision.response_name == ANSWER)).all()
        assert [r.rollback_of for r in revisions][-1] == 0
        views = session.scalars(select(AuditEntry).where(
            AuditEntry.action == "view_conversation", AuditEntry.target_id == patient)).all()
        assert views and all(v.username == ADMIN for v in views)
