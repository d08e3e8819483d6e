"""Console password strength: zxcvbn, the user's and the clinic's words, every way in."""

from __future__ import annotations

import io
import time

import pytest
from sqlalchemy import select

from clinic import accounts, cli
from clinic.accounts import passwords
from clinic.accounts.passwords import password_problem, verify_password
from clinic.db import session_scope
from clinic.models import StaffUser
from tests.console_client import PASSWORD, ConsoleClient

STRONG = "violet tractor ponder sixty"
WEAK = {
    "Password123": "very common password",  # zxcvbn's own warning reaches the admin
    "clinicspine2026": "words about the clinic",  # scores 3 as a whole, 1 without the words
    "R1t4Cl1n1c2026": "user's name",  # l33t of the user name "rita" and of "clinic"
}


@pytest.mark.parametrize("password,message", sorted(WEAK.items()))
def test_weak_passwords_are_refused_with_zxcvbns_advice(password, message) -> None:
    problem = password_problem(password, "rita", ["Rita"])
    assert message in problem
    assert "Add another word or two." in problem  # zxcvbn's suggestion, in plain words


def test_a_strong_passphrase_is_accepted() -> None:
    assert password_problem(STRONG, "rita", ["Rita Lee"]) == ""
    assert password_problem(PASSWORD, "rita", ["Rita"]) == ""
    # a clinic word inside an otherwise strong passphrase is fine
    assert password_problem("my spine loves violet tractors", "rita") == ""


def test_display_name_and_clinic_name_count_as_the_users_words(db_engine) -> None:
    assert password_problem("Rasmussen2026!", "nora") == ""  # strong-looking on its own ...
    for name, password, display in (("nora", "Rasmussen2026!", "Nora Rasmussen"),
                                    ("kim", "Riverside2026!", "Kim")):  # clinic.yml's name
        with pytest.raises(accounts.AccountError, match="too easy to guess"):
            with session_scope() as session:
                accounts.create_user(session, name, password, "reviewer", display)


def test_length_limits_stay_and_long_input_is_estimated_quickly() -> None:
    assert "at least 10" in password_problem("Xq7#vb2!", "kim")
    assert "at most 256" in password_problem("x" * 257, "kim")
    started = time.perf_counter()
    # zxcvbn 4.5 refuses more than 72 characters and is slow on long input: only the first
    # 100 characters are estimated
    assert password_problem(STRONG + " " + "q9!" * 75, "kim") == ""
    assert time.perf_counter() - started < 2


def test_only_the_first_100_characters_are_estimated(monkeypatch) -> None:
    seen = []
    real = passwords.zxcvbn

    def spy(password, user_inputs=None, max_length=72):
        seen.append(len(password))
        return real(password, user_inputs=user_inputs, max_length=max_length)

    monkeypatch.setattr(passwords, "zxcvbn", spy)
    assert password_problem(STRONG + "x" * 200, "kim") == ""
    assert seen and max(seen) <= passwords.ESTIMATE_CHARS


async def test_admin_pages_refuse_weak_passwords(console: ConsoleClient) -> None:
    await console.login("ada", role="admin")
    response = await console.post("/admin/users", {
        "username": "bob", "role": "reviewer", "password": "Password123",
        "repeat": "Password123"})
    text = await response.text()
    assert response.status == 400 and "very common password" in text
    console.add_user("bob")
    response = await console.post("/admin/users/bob/password", {
        "password": "clinicspine2026", "repeat": "clinicspine2026"})
    assert response.status == 400 and "words about the clinic" in await response.text()
    with session_scope() as session:
        bob = session.scalar(select(StaffUser).where(StaffUser.username == "bob"))
        assert verify_password(PASSWORD, bob.password_hash)


async def test_own_password_change_refuses_weak_passwords(console: ConsoleClient) -> None:
    await console.login("rita")
    response = await console.post("/account/password", {
        "current": PASSWORD, "new": "Password123", "repeat": "Password123"})
    assert response.status == 400 and "very common password" in await response.text()
    assert (await console.get("/account")).status == 200  # still logged in, nothing changed


def test_command_line_refuses_weak_passwords(db_engine, monkeypatch, capsys) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO("Password123\n"))
    assert cli.main(["users", "create", "--username", "kim", "--password-stdin"]) == 2
    assert "very common password" in capsys.readouterr().err
    monkeypatch.setattr("sys.stdin", io.StringIO(STRONG + "\n"))
    assert cli.main(["users", "create", "--username", "kim", "--password-stdin"]) == 0
    monkeypatch.setattr("sys.stdin", io.StringIO("clinicspine2026\n"))
    assert cli.main(["users", "password", "kim", "--password-stdin"]) == 2
    assert "words about the clinic" in capsys.readouterr().err
