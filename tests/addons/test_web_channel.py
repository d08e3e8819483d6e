"""Website chat, without servers: signed chat ids, the signing key, history replay, the
widget bundle, settings and the staff-push output channel."""

from __future__ import annotations

import stat
import time
from pathlib import Path
from typing import Any, Dict, List

import pytest
from rasa.shared.core.events import ActionExecuted, BotUttered, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from addons.channels import web_assets
from addons.channels.web import WebChatOutput
from addons.channels.web_history import MAX_REPLAYED, replay
from addons.channels.web_session import load_secret, new_chat_id, sign, verify
from clinic import settings as config

KEY = b"k" * 32


def web_settings(tmp_path: Path, **env: str) -> config.WebChatSettings:
    return config.load_web_chat({"WEB_CHAT_SECRET_FILE": str(tmp_path / "secret"), **env})


def test_issued_ids_verify_and_are_unique():
    ids = {new_chat_id() for _ in range(100)}
    assert len(ids) == 100
    chat_id = ids.pop()
    assert verify(KEY, sign(KEY, chat_id), 30) == chat_id


def test_tampered_foreign_and_expired_tokens_are_refused():
    chat_id = new_chat_id()
    token = sign(KEY, chat_id)
    body, issued, signature = token.split(".")
    now = time.time()
    bad: List[Any] = [
        f"{new_chat_id()}.{issued}.{signature}",
        f"{body}.{int(issued) - 1}.{signature}",
        f"{body}.{issued}.{signature[:-1]}A" if signature[-1] != "A" else f"{body}.{issued}.x",
        f"{body}.{issued}",
        token + ".x",
        sign(b"another key", chat_id),
        sign(KEY, chat_id, issued_at=int(now) - 31 * 86400),  # older than 30 days
        sign(KEY, chat_id, issued_at=int(now) + 3600),  # from the future
        sign(KEY, "+15551234567"),  # a phone number is never a web chat id
        sign(KEY, "test-user"),
        f"{body}.{issued}.{signature}é",
        "", None, 42, {"token": token}, token * 3,
    ]
    for candidate in bad:
        assert verify(KEY, candidate, 30, now=now) is None, candidate
    assert verify(KEY, sign(KEY, chat_id, issued_at=int(now) - 29 * 86400), 30) == chat_id


def test_secret_file_is_created_once_readable_by_owner_only(tmp_path: Path):
    settings = web_settings(tmp_path)
    key = load_secret(settings)
    path = tmp_path / "secret"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert len(key) >= 32
    assert load_secret(settings) == key


def test_configured_secret_wins_and_a_broken_file_is_reported(tmp_path: Path):
    assert load_secret(web_settings(tmp_path, WEB_CHAT_SECRET="from-env")) == b"from-env"
    assert not (tmp_path / "secret").exists()
    (tmp_path / "secret").write_text("\n")
    with pytest.raises(RuntimeError, match="delete it"):
        load_secret(web_settings(tmp_path))


def test_web_chat_settings_defaults_and_overrides(tmp_path: Path):
    default = config.load_settings({}).web
    assert default.secret == ""
    assert default.secret_file == config.DEFAULT_WEB_SECRET_FILE
    assert (default.session_days, default.origins, default.demo_page) == (30, ("*",), True)
    custom = web_settings(tmp_path, WEB_CHAT_SESSION_DAYS="999", WEB_CHAT_DEMO="off",
                          WEB_CHAT_ORIGINS="https://clinic.example/, https://www.clinic.example")
    assert custom.session_days == 365
    assert custom.origins == ("https://clinic.example", "https://www.clinic.example")
    assert custom.demo_page is False


def tracker_with(events: List[Any]) -> DialogueStateTracker:
    return DialogueStateTracker.from_events("web-x", events)


BUTTONS = [{"title": "Recovery time", "payload": "/faq/recovery_time"},
           {"title": "Something else", "payload": "/deny"}]


def test_replay_shows_titles_of_clicked_buttons_and_only_the_last_buttons():
    events = [
        ActionExecuted("action_listen"),
        UserUttered("hmm"),
        BotUttered("Did you mean one of these?", {"buttons": BUTTONS}),
        UserUttered("/faq/recovery_time"),
        BotUttered("Most people walk the same day."),
        BotUttered("Staff here.", metadata={"staff_reply": True}),
        UserUttered("/faq/recovery_time"),  # typed, no buttons offered: shown as typed
        BotUttered("Did you mean one of these?", {"buttons": BUTTONS}),
    ]
    assert replay(tracker_with(events)) == [
        {"sender": "user", "text": "hmm"},
        {"sender": "bot", "text": "Did you mean one of these?"},
        {"sender": "user", "text": "Recovery time"},
        {"sender": "bot", "text": "Most people walk the same day."},
        {"sender": "bot", "text": "Staff here.", "custom": {"from_staff": True}},
        {"sender": "user", "text": "/faq/recovery_time"},
        {"sender": "bot", "text": "Did you mean one of these?", "buttons": BUTTONS},
    ]


def test_replay_of_nothing_and_of_long_conversations():
    assert replay(None) == []
    events = [UserUttered(f"question {i}") for i in range(MAX_REPLAYED + 50)]
    replayed = replay(tracker_with(events))
    assert len(replayed) == MAX_REPLAYED
    assert replayed[-1]["text"] == f"question {MAX_REPLAYED + 49}"


def test_widget_bundle_scopes_the_client_and_escapes_settings(tmp_path, monkeypatch):
    vendor = tmp_path / "socket.io.min.js"
    vendor.write_text("/* client */ var x = 1;\n//# sourceMappingURL=socket.io.min.js.map\n")
    monkeypatch.setattr(web_assets, "VENDOR_FILE", vendor)
    script = web_assets.widget_script({"title": "</script><b>Clinic & co</b>"})
    assert script is not None
    assert "/* client */ var x = 1;" in script and "sourceMappingURL" not in script
    assert "</script>" not in script.split("var CONFIG = ")[1].split(";\n")[0]
    assert "document.currentScript" in script  # the widget source follows
    assert script.rstrip().endswith("})();")
    monkeypatch.setattr(web_assets, "VENDOR_FILE", tmp_path / "missing.js")
    assert web_assets.widget_script({}) is None
    assert web_assets.script_response({}).status == 503


def test_widget_source_never_puts_text_into_html():
    source = (web_assets.SOURCE_DIR / "widget.js").read_text(encoding="utf-8")
    for risky in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval("):
        assert risky not in source


class FakeSio:
    def __init__(self) -> None:
        self.emitted: List[Dict[str, Any]] = []

    async def emit(self, event: str, data: Any = None, room: Any = None) -> None:
        self.emitted.append({"event": event, "data": data, "room": room})


async def test_staff_pushes_keep_buttons_and_the_staff_mark():
    sio = FakeSio()
    output = WebChatOutput(sio, "bot_uttered")  # type: ignore[arg-type]
    await output.send_response("web-a", {"text": "From Dana", "staff_reply": True,
                                         "timestamp": 1.0})
    await output.send_response("web-a", {"text": "Pick one", "buttons": BUTTONS})
    await output.send_response("web-a", {"image": "x.png"})
    assert sio.emitted == [
        {"event": "bot_uttered", "room": "web-a",
         "data": {"sender": "bot", "text": "From Dana", "custom": {"from_staff": True}}},
        {"event": "bot_uttered", "room": "web-a",
         "data": {"sender": "bot", "text": "Pick one", "buttons": BUTTONS}},
    ]


def test_allowed_origins_reach_the_socket_server(settings_env):
    from addons.channels.web import WebChatInput

    async def handler(_: Any) -> None:
        return None

    settings_env(WEB_CHAT_SECRET="s" * 20, WEB_CHAT_ORIGINS="https://clinic.example")
    channel = WebChatInput.from_credentials({})
    channel.blueprint(handler)
    assert channel.sio.eio.cors_allowed_origins == ["https://clinic.example"]  # type: ignore
    settings_env(WEB_CHAT_ORIGINS="*")
    channel.blueprint(handler)
    assert channel.sio.eio.cors_allowed_origins == "*"  # type: ignore  # any site ([] = CORS off)
