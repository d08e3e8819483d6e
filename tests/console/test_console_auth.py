"""Console log-in, sessions, CSRF, roles and the audit of log-ins (real database)."""

from __future__ import annotations

from datetime import timedelta
from typing import AsyncIterator, Optional, Tuple

import pytest
from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy import select, update

from clinic import accounts, cli
from clinic.accounts.passwords import hash_password, verify_password
from clinic.db import session_scope
from clinic.models import AuditEntry, StaffSession, StaffUser
from clinic.settings import get_settings
from tests.console_client import PASSWORD, ConsoleClient
from tests.transcript_events import turn, write


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


async def test_wrong_password_is_refused_and_throttled_after_limit(console: ConsoleClient
                                                                  ) -> None:
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
    assert response.status == 401 and "Wrong user name or password." in await response.text()
    with session_scope() as session:
        assert session.scalar(select(AuditEntry.action).order_by(AuditEntry.id.desc())
                              ) == "login_throttled"


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


def test_a_login_purges_every_accounts_dead_sessions(db_engine: object) -> None:
    """Sessions nobody comes back to (expired, idle) don't pile up: each log-in deletes them."""
    settings = get_settings().console
    for name in ("rita", "sam", "lee"):
        ConsoleClient.add_user(name)
    with session_scope() as session:
        tokens = [accounts.login(session, settings, name, PASSWORD)[0]
                  for name in ("rita", "sam", "lee")]
    with session_scope() as session:
        rita, sam, lee = session.scalars(select(StaffSession).order_by(StaffSession.id))
        rita.expires_at -= timedelta(hours=settings.max_hours + 1)
        sam.last_seen_at -= timedelta(minutes=settings.idle_minutes + 1)
        lee.last_seen_at -= timedelta(minutes=settings.idle_minutes - 1)  # still usable
    with session_scope() as session:
        assert accounts.login(session, settings, "sam", "wrong")[0] is None  # a refusal: kept
        assert len(session.scalars(select(StaffSession)).all()) == 3
    with session_scope() as session:
        token, _ = accounts.login(session, settings, "rita", PASSWORD)
    with session_scope() as session:
        assert len(session.scalars(select(StaffSession)).all()) == 2  # lee's and rita's new one
        assert accounts.resume_session(session, settings, str(tokens[2])) is not None
        assert accounts.resume_session(session, settings, str(token)) is not None


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


# --- log-in throttling by client address, and the address in the audit log ---------------

PROXY = "127.0.0.1"  # the test server's peer: plays the clinic's reverse proxy
HOME, OFFICE, ATTACKER = "198.51.100.7", "203.0.113.20", "192.0.2.66"


@pytest.fixture
async def proxied(db_engine, settings_env) -> AsyncIterator[ConsoleClient]:
    """The console behind a trusted reverse proxy (X-Forwarded-For names the client)."""
    from console.app import create_app

    client = TestClient(TestServer(create_app(settings_env(
        CONSOLE_TRUSTED_PROXIES=f"{PROXY}, ::1", CONSOLE_MAX_FAILED_LOGINS="5",
        CONSOLE_MAX_FAILED_LOGINS_PER_ADDRESS="8"))))
    await client.start_server()
    yield ConsoleClient(client)
    await client.close()


async def attempt(console: ConsoleClient, username: str, password: str,
                  address: Optional[str]) -> Tuple[int, bytes]:
    """One log-in from ``address`` (via the proxy); (status, body of the answer)."""
    headers = {"X-Forwarded-For": address} if address else {}
    page = await console.client.get("/login", headers=headers)
    response = await console.client.post("/login", headers=headers, allow_redirects=False, data={
        "csrf_token": page.cookies["console_login_csrf"].value, "username": username,
        "password": password})
    return response.status, await response.read()


def audit_rows(action: Optional[str] = None) -> list:
    with session_scope() as session:
        query = select(AuditEntry.action, AuditEntry.username, AuditEntry.target_id,
                       AuditEntry.client_address).order_by(AuditEntry.id)
        if action:
            query = query.where(AuditEntry.action == action)
        return [tuple(row) for row in session.execute(query)]


async def test_throttled_unknown_and_wrong_answers_are_byte_identical(proxied) -> None:
    proxied.add_user("sam")
    proxied.add_user("kim")
    for _ in range(5):
        assert (await attempt(proxied, "sam", "wrong password!!", ATTACKER))[0] == 401
    throttled = await attempt(proxied, "sam", PASSWORD, ATTACKER)  # right password, refused
    unknown = await attempt(proxied, "nobody", "wrong password!!", ATTACKER)
    wrong = await attempt(proxied, "kim", "wrong password!!", ATTACKER)
    assert throttled[0] == unknown[0] == wrong[0] == 401
    assert throttled[1] == unknown[1] == wrong[1]
    assert b"Wrong user name or password." in throttled[1]
    assert b"Too many" not in throttled[1] and b"locked" not in throttled[1].lower()


async def test_every_refusal_does_the_same_scrypt_work(proxied, monkeypatch) -> None:
    calls = []
    real = accounts.verify_password

    def counted(password: str, stored: str) -> bool:
        calls.append(stored)
        return real(password, stored)

    monkeypatch.setattr(accounts, "verify_password", counted)
    proxied.add_user("sam")
    with session_scope() as session:
        accounts.set_active(session, "sam", False, "cli")
    proxied.add_user("kim")
    for name in ("nobody", "sam", "kim"):  # unknown, disabled, wrong password
        await attempt(proxied, name, "wrong password!!", ATTACKER)
    for _ in range(5):
        await attempt(proxied, "kim", "wrong password!!", ATTACKER)
    await attempt(proxied, "kim", PASSWORD, ATTACKER)  # throttled
    assert len(calls) == 9  # one scrypt check per attempt, whatever the outcome


async def test_another_address_still_logs_in_after_the_first_is_throttled(proxied) -> None:
    proxied.add_user("sam")
    for _ in range(6):
        assert (await attempt(proxied, "sam", "wrong password!!", ATTACKER))[0] == 401
    assert (await attempt(proxied, "sam", PASSWORD, ATTACKER))[0] == 401
    assert (await attempt(proxied, "sam", PASSWORD, OFFICE))[0] == 303  # the real user
    with session_scope() as session:
        user = session.scalar(select(StaffUser).where(StaffUser.username == "sam"))
        assert user.locked_until is None and not user.failed_logins  # the account isn't locked
    assert ("login", "sam", "sam", OFFICE) in audit_rows("login")


async def test_an_address_spraying_many_names_is_throttled(proxied) -> None:
    proxied.add_user("sam")
    for n in range(8):  # CONSOLE_MAX_FAILED_LOGINS_PER_ADDRESS, one try per name
        assert (await attempt(proxied, f"user{n}", "wrong password!!", ATTACKER))[0] == 401
    assert (await attempt(proxied, "sam", PASSWORD, ATTACKER))[0] == 401
    assert (await attempt(proxied, "sam", PASSWORD, HOME))[0] == 303


async def test_the_throttle_ends_when_failures_leave_the_window(proxied) -> None:
    proxied.add_user("sam")
    for _ in range(5):
        await attempt(proxied, "sam", "wrong password!!", ATTACKER)
    assert (await attempt(proxied, "sam", PASSWORD, ATTACKER))[0] == 401
    with session_scope() as session:
        session.execute(update(AuditEntry).values(at=AuditEntry.at - timedelta(minutes=16)))
    assert (await attempt(proxied, "sam", PASSWORD, ATTACKER))[0] == 303


async def test_own_typos_are_forgiven_by_a_successful_login(proxied) -> None:
    proxied.add_user("sam")
    for typos in (4, 3):  # 7 failures for sam in the window, but never 5 since a log-in
        for _ in range(typos):
            assert (await attempt(proxied, "sam", "wrong password!!", HOME))[0] == 401
        assert (await attempt(proxied, "sam", PASSWORD, HOME))[0] == 303


async def test_forwarded_for_is_ignored_unless_the_peer_is_a_trusted_proxy(console) -> None:
    console.add_user("sam")
    for n in range(5):  # a new made-up address each time doesn't escape the throttle
        assert (await attempt(console, "sam", "wrong password!!", f"192.0.2.{n}"))[0] == 401
    assert (await attempt(console, "sam", PASSWORD, "192.0.2.99"))[0] == 401
    assert {row[3] for row in audit_rows() if row[0] != "create_user"} == {PROXY}


async def test_only_the_hop_our_proxy_added_is_believed(proxied) -> None:
    proxied.add_user("sam")
    # the client sent "X-Forwarded-For: 10.9.9.9"; the proxy appended the real peer
    status, _ = await attempt(proxied, "sam", PASSWORD, f"10.9.9.9, {HOME}")
    assert status == 303
    assert audit_rows("login") == [("login", "sam", "sam", HOME)]


async def test_audit_entries_carry_the_client_address(proxied, db_engine) -> None:
    write(db_engine, "web-1", turn("how long is recovery", channel="web"))
    proxied.add_user("ada", "admin")
    assert (await attempt(proxied, "ada", "wrong password!!", OFFICE))[0] == 401
    assert (await attempt(proxied, "ada", PASSWORD, OFFICE))[0] == 303
    await proxied.refresh_csrf()
    at_office = {"X-Forwarded-For": OFFICE}
    response = await proxied.post("/admin/users", {
        "username": "bob", "role": "reviewer", "password": PASSWORD, "repeat": PASSWORD},
        headers=at_office)
    assert response.status == 303
    assert (await proxied.get("/conversations/web-1", headers=at_office)).status == 200
    assert (await proxied.post("/logout", headers={"X-Forwarded-For": HOME})).status == 303
    rows = audit_rows()
    assert ("login_failed", "ada", "ada", OFFICE) in rows
    assert ("login", "ada", "ada", OFFICE) in rows
    assert ("create_user", "ada", "bob", OFFICE) in rows
    assert ("view_conversation", "ada", "web-1", OFFICE) in rows
    assert ("logout", "ada", "ada", HOME) in rows
    assert all(row[3] for row in rows[1:])  # rows[0]: ada created from the test, no request


async def test_audit_page_shows_the_client_address(proxied) -> None:
    proxied.add_user("ada", "admin")
    assert (await attempt(proxied, "ada", PASSWORD, OFFICE))[0] == 303
    await proxied.refresh_csrf()
    page = await proxied.page("/admin/audit?action=login")
    assert "Client address" in page and f"<code>{OFFICE}</code>" in page


def test_command_line_changes_have_no_client_address(db_engine, monkeypatch) -> None:
    import io

    monkeypatch.setattr("sys.stdin", io.StringIO(PASSWORD + "\n"))
    assert cli.main(["users", "create", "--username", "kim", "--password-stdin"]) == 0
    assert audit_rows() == [("create_user", "cli", "kim", None)]
