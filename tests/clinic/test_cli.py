"""The one command line, ``python -m clinic``: its commands, and ``python -m clinic.staff``."""

from __future__ import annotations

import io
import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path

import pytest

from clinic import cli, staff
from clinic.db import session_scope
from clinic.models import StaffAlert

ROOT = Path(__file__).resolve().parents[2]
COMMANDS = ("staff", "followup", "users", "index", "export")
SOON = date.today() + timedelta(days=3)


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", *args], cwd=ROOT, capture_output=True,
                          text=True, timeout=120, check=False)


def test_help_lists_every_command_and_each_has_its_own(capsys: pytest.CaptureFixture) -> None:
    top = run("clinic", "--help")  # the entry point itself, in a process of its own
    assert top.returncode == 0 and top.stdout.startswith("usage: python -m clinic ")
    assert all(f"    {name} " in top.stdout for name in COMMANDS)
    for name in COMMANDS:  # each command's own help, in this process
        with pytest.raises(SystemExit) as stopped:
            cli.main([name, "--help"])
        assert stopped.value.code == 0
        assert capsys.readouterr().out.startswith(f"usage: python -m clinic {name} ")


def test_the_old_staff_command_still_works_with_followup() -> None:
    helped = run("clinic.staff", "--help")
    assert helped.returncode == 0, helped.stderr
    assert helped.stdout.startswith("usage: python -m clinic.staff ")
    assert "followup" in helped.stdout


def test_no_or_an_unknown_command_is_a_usage_error(capsys: pytest.CaptureFixture) -> None:
    for argv in ([], ["nonsense"], ["staff"], ["users"]):
        with pytest.raises(SystemExit) as stopped:
            cli.main(argv)
        assert stopped.value.code == 2
    assert "usage: python -m clinic" in capsys.readouterr().err


def test_staff_commands(db_engine: object, capsys: pytest.CaptureFixture) -> None:
    assert cli.main(["staff", "list"]) == 0
    assert capsys.readouterr().out.strip() == "Nothing open."
    with session_scope() as session:
        session.add(StaffAlert(channel="rest", conversation_id="web-1", message_id="m1",
                               message_text="chest pain", level="urgent", evidence=["pain"]))
    assert cli.main(["staff", "--staff", "kim", "ack", "1"]) == 0
    assert cli.main(["staff", "list"]) == 0
    assert "acknowledged" in capsys.readouterr().out
    assert cli.main(["staff", "close", "42"]) == 1
    assert "error: No staff alert #42." in capsys.readouterr().err


def test_followup_is_a_command_of_its_own_and_of_the_old_staff_tool(
        db_engine: object, settings_env, capsys: pytest.CaptureFixture) -> None:
    settings_env()
    assert cli.main(["followup", "--staff", "kim", "add", "--phone", "312 555 0199",
                     "--procedure", "kyphoplasty", "--date", SOON.isoformat()]) == 0
    assert "active (by kim)" in capsys.readouterr().out
    assert cli.main(["followup", "list"]) == 0
    new = capsys.readouterr().out
    assert staff.main(["followup", "list"]) == 0
    assert capsys.readouterr().out == new and "followup #1 " in new
    assert cli.main(["followup", "cancel", "9"]) == 1
    assert "error:" in capsys.readouterr().err


def test_users_index_and_export(db_engine: object, tmp_path: Path, monkeypatch,
                                capsys: pytest.CaptureFixture) -> None:
    assert cli.main(["users", "has-admin"]) == 1
    monkeypatch.setattr("sys.stdin", io.StringIO("correct horse battery\n"))
    assert cli.main(["users", "create", "--username", "Kim", "--role", "admin",
                     "--password-stdin"]) == 0
    assert cli.main(["users", "has-admin"]) == 0
    assert cli.main(["users", "list"]) == 0
    assert "kim" in capsys.readouterr().out
    assert cli.main(["users", "role", "nobody", "admin"]) == 2
    assert cli.main(["index"]) == 0 and cli.main(["index", "--rebuild"]) == 0
    assert capsys.readouterr().out.count("Indexed 0 events") == 2
    assert cli.main(["export", "--out", str(tmp_path / "reviewed.yml")]) == 0
    assert "Wrote 0 examples" in capsys.readouterr().out
    assert (tmp_path / "reviewed.yml").read_text(encoding="utf-8").startswith("# Generated")
