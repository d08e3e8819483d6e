"""Console admin: accounts (roles, enable/disable, passwords), last-admin rule, audit log."""

from __future__ import annotations

from sqlalchemy import select

from clinic import audit
from clinic.accounts import admin
from clinic.accounts.passwords import verify_password
from clinic.db import session_scope
from clinic.models import AuditEntry, StaffUser
from tests.console_client import ConsoleClient

NEW_PASSWORD = "another long secret"


def account(username: str) -> StaffUser:
    with session_scope() as session:
        user = session.scalar(select(StaffUser).where(StaffUser.username == username))
        session.expunge(user)
        return user


async def test_reviewers_get_403_everywhere_in_admin(console: ConsoleClient) -> None:
    await console.login("rita")
    assert "/admin" not in await console.page("/queues")  # not in the navigation
    for path in ("/admin", "/admin/audit"):
        assert (await console.get(path)).status == 403
    for path, data in (("/admin/users", {"username": "eve", "password": NEW_PASSWORD,
                                         "repeat": NEW_PASSWORD, "role": "admin"}),
                       ("/admin/users/rita/role", {"role": "admin"}),
                       ("/admin/users/rita/active", {"active": "1"}),
                       ("/admin/users/rita/password", {"password": NEW_PASSWORD,
                                                       "repeat": NEW_PASSWORD})):
        assert (await console.post(path, data)).status == 403, path
    assert account("rita").role == "reviewer"
    with session_scope() as session:
        assert session.scalar(select(StaffUser).where(StaffUser.username == "eve")) is None


async def test_admin_creates_and_changes_accounts(console: ConsoleClient) -> None:
    await console.login("ada", role="admin")
    page = await console.page("/admin")
    assert "<code>ada</code> <span class=\"muted\">(you)</span>" in page
    response = await console.post("/admin/users", {
        "username": "Bob", "display_name": "Bob <b>Lee</b>", "role": "reviewer",
        "password": NEW_PASSWORD, "repeat": NEW_PASSWORD})
    assert response.status == 303
    page = await console.page("/admin")
    assert "Bob &lt;b&gt;Lee&lt;/b&gt;" in page
    for data, message in (({"password": "short", "repeat": "short"}, "at least"),
                          ({"password": NEW_PASSWORD, "repeat": NEW_PASSWORD + "x"}, "differ"),
                          ({"password": NEW_PASSWORD, "repeat": NEW_PASSWORD}, "already")):
        response = await console.post("/admin/users", {"username": "bob", "role": "reviewer",
                                                       **data})
        assert response.status == 400 and message in await response.text(), message
        assert 'value="bob"' in await response.text()  # the form keeps what was typed
    bad_role = await console.post("/admin/users", {"username": "cy", "role": "owner",
                                                   "password": NEW_PASSWORD,
                                                   "repeat": NEW_PASSWORD})
    assert bad_role.status == 400
    assert (await console.post("/admin/users/bob/role", {"role": "admin"})).status == 303
    assert (await console.post("/admin/users/bob/role", {"role": "admin"})).status == 400
    assert (await console.post("/admin/users/bob/active", {"active": "0"})).status == 303
    assert (await console.post("/admin/users/bob/password", {
        "password": NEW_PASSWORD + "!", "repeat": NEW_PASSWORD + "!"})).status == 303
    assert (await console.post("/admin/users/nobody/active", {"active": "0"})).status == 404
    bob = account("bob")
    assert (bob.role, bob.active) == ("admin", False)
    assert verify_password(NEW_PASSWORD + "!", bob.password_hash)
    with session_scope() as session:
        actions = [(e.action, e.username, e.target_id) for e in session.scalars(
            select(AuditEntry).where(AuditEntry.target_id == "bob").order_by(AuditEntry.id))]
    assert actions == [("create_user", "ada", "bob"), ("set_role", "ada", "bob"),
                       ("disable_user", "ada", "bob"), ("set_password", "ada", "bob")]


async def test_the_last_active_admin_stays(console: ConsoleClient) -> None:
    await console.login("ada", role="admin")
    response = await console.post("/admin/users/ada/active", {"active": "0"})
    assert response.status == 400 and "last active admin" in await response.text()
    response = await console.post("/admin/users/ada/role", {"role": "reviewer"})
    assert response.status == 400 and "last active admin" in await response.text()
    assert (account("ada").role, account("ada").active) == ("admin", True)
    console.add_user("zoe", role="admin")
    with session_scope() as session:
        admin.change_active(session, "zoe", False, "test")  # a disabled admin doesn't count
        assert admin.active_admins(session) == 1
    response = await console.post("/admin/users/ada/role", {"role": "reviewer"})
    assert response.status == 400
    assert (await console.post("/admin/users/zoe/active", {"active": "1"})).status == 303
    response = await console.post("/admin/users/ada/role", {"role": "reviewer"})
    assert response.status == 303 and response.headers["Location"].startswith("/?msg=")
    assert account("ada").role == "reviewer"
    assert (await console.get("/admin")).status == 403  # takes effect at once


async def test_audit_log_filters_and_pages(console: ConsoleClient) -> None:
    await console.login("ada", role="admin")
    with session_scope() as session:
        for i in range(60):
            audit.record(session, "rita", "view_conversation", "conversation",
                         "+13125550199" if i == 0 else f"web-{i}", {"n": i})
        audit.record(session, "lee", "export_annotations", "annotations", None,
                     {"count": 3, "note": "<script>"})
    page = await console.page("/admin/audit")
    assert page.count("<tr>") == 51  # header + 50
    assert "export_annotations" in page and "note=&lt;script&gt;" in page
    assert 'href="/admin/audit?page=2"' in page
    second = await console.page("/admin/audit?page=2")
    assert "+•••••••••99" in second and "+13125550199" not in second  # masked target ids
    assert "Older" not in second.split('aria-label="Pages"')[1]
    only = await console.page("/admin/audit?user=rita&action=view_conversation&target=web-7")
    assert only.count("<tr>") == 2 and "n=7" in only
    filtered = await console.page("/admin/audit?action=view_conversation&page=2")
    assert 'href="/admin/audit?action=view_conversation&amp;page=1"' in filtered
    nothing = await console.page("/admin/audit?user=%3Cb%3E")
    assert "No audit entries match." in nothing and "<b>" not in nothing.split("<main")[1]
    for bad in ("abc", "0", "99999999999"):
        assert (await console.get(f"/admin/audit?page={bad}")).status == 400


def test_cli_says_whether_an_admin_exists(db_engine) -> None:
    from clinic.cli import main

    assert main(["users", "has-admin"]) == 1
    ConsoleClient.add_user("kim", role="reviewer")
    assert main(["users", "has-admin"]) == 1
    ConsoleClient.add_user("ada", role="admin")
    assert main(["users", "has-admin"]) == 0
