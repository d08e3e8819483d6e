"""Console forms as real browsers send them (Chromium: favicon requests, Origin headers)."""

from __future__ import annotations

from clinic.db import session_scope
from clinic.models import StaffAlert
from tests.console_client import CSRF, PASSWORD, ConsoleClient


async def test_a_second_login_page_keeps_the_first_forms_token(console: ConsoleClient) -> None:
    """The browser's own /favicon.ico request lands on /login too: the form must still work."""
    console.add_user("rita")
    first = await console.client.get("/login")
    token = CSRF.search(await first.text())
    assert token
    favicon = await console.client.get("/favicon.ico")  # redirected to the login page
    assert favicon.url.path == "/login"
    response = await console.client.post("/login", data={
        "csrf_token": token.group(1), "username": "rita", "password": PASSWORD},
        allow_redirects=False)
    assert response.status == 303


async def test_same_origin_posts_carry_a_real_origin(console: ConsoleClient) -> None:
    """With ``no-referrer`` Chromium sends ``Origin: null``, which the CSRF check refuses."""
    with session_scope() as session:
        session.add(StaffAlert(channel="rest", conversation_id="c", message_id="m",
                               message_text="x", level="urgent"))
    await console.login("rita")
    page = await console.get("/queues")
    assert page.headers["Referrer-Policy"] == "same-origin"
    origin = str(console.client.make_url("/")).rstrip("/")
    response = await console.post("/queues/alerts/1/status", {"status": "closed"},
                                  headers={"Origin": origin})
    assert response.status == 303
    response = await console.post("/queues/alerts/1/status", {"status": "acknowledged"},
                                  headers={"Origin": "null"})
    assert response.status == 403
