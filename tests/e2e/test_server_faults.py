"""Faults with the real servers: a database locked by another process loses nothing.

While the lock holds, the patient still gets answers plus a plain note that the message
could not be saved yet (with the phone), health reports the failing store, and a red flag
gets its instruction; once the lock is gone every message is stored, in order, once, and
the red flag's staff alert is in the queue.
"""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path
from typing import Any, List

import pytest
import requests
import sqlalchemy as sa

from addons.channels.rest import conversation_id as rest_id
from scripts.servers import start
from tests.conftest import MODEL_PATH
from tests.helpers import frame_text, level_text, render

pytestmark = [pytest.mark.server,
              pytest.mark.skipif(not MODEL_PATH.exists(), reason="run `make train` first")]


def stored_user_texts(database_url: str, conversation: str) -> List[str]:
    engine = sa.create_engine(database_url)
    with engine.connect() as connection:
        rows = connection.execute(sa.text(
            "SELECT data FROM events WHERE sender_id = :s AND type_name = 'user' ORDER BY id"),
            {"s": conversation}).all()
        alerts = connection.execute(sa.text(
            "SELECT level FROM staff_alerts WHERE conversation_id = :s"), {"s": conversation})
        levels = [a[0] for a in alerts]
    engine.dispose()
    import json

    return [json.loads(r[0])["text"] for r in rows] + [f"alert:{lv}" for lv in levels]


def health(url: str) -> Any:
    return requests.get(f"{url}/webhooks/rest/", timeout=10)


def test_a_locked_database_loses_no_message_and_no_alert(tmp_path: Path, domain):
    running = start(tmp_path / "faults", with_worker=True, WORKER_POLL_SECONDS="0.5")
    db = Path(running.database_url.removeprefix("sqlite:///"))
    user, conversation = "fault-patient", rest_id("fault-patient")
    not_saved = render(domain, "utter_message_not_saved")
    try:
        assert running.texts(user, "what is kyphoplasty?") == [
            render(domain, "utter_faq/what_is_kyphoplasty")]
        locker = sqlite3.connect(db, timeout=0, isolation_level=None)
        locker.execute("BEGIN EXCLUSIVE")  # another process holds the write lock
        try:
            said = running.texts(user, "will I be asleep during kyphoplasty?")
            assert said == [render(domain, "utter_faq/anesthesia"), not_saved]
            assert health(running.rasa_url).status_code == 503
            urgent = running.texts(user, "i suddenly can't move my legs")
            assert urgent[0] == level_text(domain, "emergency")
            # the next question is in the red flag's frame, and is stored as well
            assert running.texts(user, "how long is the recovery after vertebroplasty?")[0] == (
                frame_text(domain, "emergency"))
        finally:
            locker.execute("ROLLBACK")
            locker.close()
        deadline = time.monotonic() + 90
        expected = ["what is kyphoplasty?", "will I be asleep during kyphoplasty?",
                    "i suddenly can't move my legs",
                    "how long is the recovery after vertebroplasty?", "alert:emergency"]
        while time.monotonic() < deadline:
            if (stored_user_texts(running.database_url, conversation) == expected
                    and health(running.rasa_url).status_code == 200):
                break
            time.sleep(1)
        assert stored_user_texts(running.database_url, conversation) == expected
        assert health(running.rasa_url).json()["status"] == "ok"
        assert "can't move my legs" not in running.logs()
    finally:
        running.stop()
