"""Console log-in, sessions, CSRF, roles and the audit of log-ins (real database)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from actions.db import session_scope
from console import accounts
from console.models import AuditEntry, StaffSession, StaffUser
from console.passwords import hash_password, verify_password
from tests.console_client import PASSWORD, ConsoleClient


def test_passwords_are_salted_hashes() -> None:
    first, second = hash_password("correct horse battery"), hash_password("correct horse battery")
    assert first != second and "correct" not in first
    assert verify_password("correct horse battery", first)
    assert not verify_password("correct horse batterY", first)
    assert not verify_password("x", "garbage")


async def test_nothing_readable_without_login(console: ConsoleClient) -> None:
    for path in ("/", "/conversations", "/static/../models.py"):
        response = await console.get(path)
        assert response.status in (303, 404), path
        if response.status == 303:
            assert response.headers["Location"].startswith(("/login", "/conversations"))
    response = await console.post("/logout", csrf=False)
    assert response.status == 401
    assert (await console.get("/health")).status == 200


async def test_login_sets_strict_cookie_and_logout_ends_session(console: ConsoleClient) -> None:
    await console.login("rita")
    cookie = console.client.session.cookie_jar.filter_cookies(console.client.make_url("/"))
    assert "console_session" in cookie
    page = await console.get("/")
    assert page.status == 303
    assert (await console.post("/logout")).status == 303
    assert (await console.get("/conversations")).status == 303
    with session_scope() as session:
        actions = list(session.scalars(select(AuditEntry.action)))
        assert actions.count("login") == 1 and actions.count("logout") == 1
        assert session.scalar(select(StaffSession.id)) is None


async def test_wrong_password_is_refused_and_locks_after_limit(console: ConsoleClient) -> None:
    console.add_user("sam")
    for _ in range(5):
        page = await console.client.get("/login")
        token = page.cookies["console_login_csrf"].value
        response = await console.client.post("/login", data={
            "csrf_token": token, "username": "sam", "password": "wrong password!!"})
        assert response.status == 401
        assert "Wrong user name or password." in await response.text()
    page = await console.client.get("/login")
    response = await console.client.post("/login", data={
        "csrf_token": page.cookies["console_login_csrf"].value, "username": "sam",
        "password": PASSWORD})
    assert response.status == 401 and "Too many failed attempts" in await response.text()


async def test_login_form_needs_its_csrf_token(console: ConsoleClient) -> None:
    console.add_user("ann")
    response = await console.client.post("/login", data={
        "csrf_token": "forged", "username": "ann", "password": PASSWORD})
    assert response.status == 403


async def test_posts_need_the_session_csrf_token(console: ConsoleClient) -> None:
    await console.login("rita")
    assert (await console.post("/logout", {"csrf_token": "nope"})).status == 403
    assert (await console.post("/logout", headers={"Origin": "http://evil.example"})).status == 403
    assert (await console.post("/logout")).status == 303


async def test_idle_session_expires(console: ConsoleClient) -> None:
    await console.login("rita")
    with session_scope() as session:
        row = session.scalar(select(StaffSession))
        row.last_seen_at -= timedelta(minutes=31)
    assert (await console.get("/conversations")).status == 303
    with session_scope() as session:
        assert session.scalar(select(StaffSession.id)) is None


async def test_disabled_account_loses_its_session(console: ConsoleClient) -> None:
    await console.login("rita")
    with session_scope() as session:
        accounts.set_active(session, "rita", False, "admin")
    assert (await console.get("/conversations")).status == 303


def test_weak_passwords_and_duplicate_names_are_refused(db_engine: object) -> None:
    with session_scope() as session:
        accounts.create_user(session, "Kim", PASSWORD, "admin")
    for name, password in (("kim", PASSWORD), ("lee", "short"), ("lee", "lee-password-1")):
        try:
            with session_scope() as session:
                accounts.create_user(session, name, password)
        except accounts.AccountError:
            continue
        raise AssertionError(f"{name}/{password} accepted")
    with session_scope() as session:
        assert session.scalar(select(StaffUser.username)) == "kim"


async def test_pages_have_security_headers(console: ConsoleClient) -> None:
    response = await console.get("/login")
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Cache-Control"] == "no-store"


async def test_change_own_password(console: ConsoleClient) -> None:
    await console.login("rita")
    response = await console.post("/account/password", {
        "current": "wrong one", "new": "a brand new secret", "repeat": "a brand new secret"})
    assert response.status == 400 and "current password is wrong" in await response.text()
    response = await console.post("/account/password", {
        "current": PASSWORD, "new": "a brand new secret", "repeat": "a brand new secret"})
    assert response.status == 303
    assert (await console.get("/account")).status == 303  # sessions ended
    with session_scope() as session:
        user = session.scalar(select(StaffUser).where(StaffUser.username == "rita"))
        assert verify_password("a brand new secret", user.password_hash)
