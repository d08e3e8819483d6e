"""A new model is loaded into the running server; a bad one leaves the old one serving.

(``make reload`` = train aside + this; the training step is plain ``rasa train --out``.)
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from scripts import train_aside
from scripts.servers import start
from tests.conftest import MODEL_PATH
from tests.helpers import sender

pytestmark = [
    pytest.mark.server,
    pytest.mark.skipif(not MODEL_PATH.exists(), reason="run `make train` first"),
]


def test_reload_swaps_the_model_and_refuses_a_broken_one(tmp_path: Path) -> None:
    running = start(tmp_path / "servers", with_actions=False, token="reload-token")
    try:
        user = sender()
        assert running.send(user, "what is kyphoplasty?").json()
        broken = tmp_path / "broken.tar.gz"
        broken.write_bytes(b"not a model")
        with pytest.raises(train_aside.ReloadError):
            train_aside.load_into_server(running.rasa_url, "reload-token", broken)
        with pytest.raises(train_aside.ReloadError):
            train_aside.load_into_server(running.rasa_url, "wrong-token", MODEL_PATH)
        assert running.send(user, "will i be asleep?").json()  # the old model still serves
        fresh = tmp_path / "clinic-next.tar.gz"
        shutil.copyfile(MODEL_PATH, fresh)
        train_aside.load_into_server(running.rasa_url, "reload-token", fresh)
        replies = running.send(user, "what is vertebroplasty?").json()
        assert replies and replies[0]["text"]
        # the conversation went on across the swap (same store, nothing forgotten)
        users = [e for e in running.tracker("rest-" + user)["events"] if e["event"] == "user"]
        assert [e["text"] for e in users][-3:] == [
            "what is kyphoplasty?", "will i be asleep?", "what is vertebroplasty?"]
    finally:
        running.stop()


def test_promote_keeps_the_previous_model(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    model, previous = tmp_path / "clinic.tar.gz", tmp_path / "clinic.previous.tar.gz"
    monkeypatch.setattr(train_aside, "MODEL", model)
    monkeypatch.setattr(train_aside, "PREVIOUS", previous)
    model.write_text("old")
    new = tmp_path / "next.tar.gz"
    new.write_text("new")
    train_aside.promote(new)
    assert model.read_text() == "new" and previous.read_text() == "old" and not new.exists()
