"""The Rasa launcher bounds Rasa's wait for the action server (scripts/rasa_run.py)."""

from __future__ import annotations

import rasa.core.actions.action as rasa_action

from actions.config import get_settings
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
