"""The Rasa launcher bounds Rasa's wait for the action server (scripts/rasa_run.py)."""

from __future__ import annotations

import rasa.core.actions.action as rasa_action

from clinic.settings import get_settings
from scripts.rasa_run import bound_action_calls


def test_action_calls_are_bounded_below_rasas_conversation_lock(monkeypatch) -> None:
    monkeypatch.setattr(rasa_action, "DEFAULT_REQUEST_TIMEOUT", rasa_action.DEFAULT_REQUEST_TIMEOUT)
    monkeypatch.setenv("ACTION_CALL_TIMEOUT_SECONDS", "7")
    get_settings.cache_clear()
    try:
        bound_action_calls()
        assert rasa_action.DEFAULT_REQUEST_TIMEOUT == 7
    finally:
        get_settings.cache_clear()
    monkeypatch.setenv("ACTION_CALL_TIMEOUT_SECONDS", "300")  # out of bounds: capped
    get_settings.cache_clear()
    try:
        assert get_settings().action_call_seconds <= 55  # under the 60 s lock lifetime
    finally:
        get_settings.cache_clear()


def test_a_token_starting_with_a_dash_reaches_rasa(monkeypatch) -> None:
    """token_urlsafe can start with "-"; as a separate argument Rasa read it as an option."""
    import sys

    import rasa.__main__ as rasa_cli

    from scripts import rasa_run

    seen = {}

    def parse_like_rasa() -> None:
        args = rasa_cli.create_argument_parser().parse_args(sys.argv[1:])
        seen["token"] = args.auth_token

    monkeypatch.setattr(rasa_cli, "main", parse_like_rasa)
    monkeypatch.setattr(rasa_run, "bound_action_calls", lambda: None)
    monkeypatch.setenv("RASA_API_TOKEN", "-starts-with-a-dash")
    monkeypatch.setattr(sys, "argv", ["rasa_run", "run", "--enable-api"])
    rasa_run.main()
    assert seen["token"] == "-starts-with-a-dash"


def test_the_shipped_endpoints_send_the_action_servers_token(monkeypatch) -> None:
    """endpoints.yml as `make run` uses it (tests rewrite it, which hid a quoted ${...})."""
    from rasa.core.utils import read_endpoints_from_path

    from scripts.servers import ROOT

    monkeypatch.setenv("ACTION_SERVER_TOKEN", "shared-secret")
    monkeypatch.setenv("ACTIONS_PORT", "5077")
    endpoints = read_endpoints_from_path(ROOT / "endpoints.yml")
    assert endpoints.action is not None
    assert endpoints.action.headers == {"Authorization": "Bearer shared-secret"}
    assert endpoints.action.url == "http://localhost:5077/webhook"


def test_run_sh_exports_every_variable_the_shipped_endpoints_read() -> None:
    """Rasa refuses to start on an unset ${VAR}: scripts/run.sh must export each one."""
    import re

    from scripts.servers import ROOT

    names = set(re.findall(r"\$\{(\w+)\}", (ROOT / "endpoints.yml").read_text()))
    run_sh = (ROOT / "scripts" / "run.sh").read_text()
    assert names == {"ACTION_SERVER_TOKEN", "ACTIONS_PORT"}
    for name in names:
        assert re.search(rf"export[^\n]*\b{name}\b|secret {name}\b", run_sh), name
