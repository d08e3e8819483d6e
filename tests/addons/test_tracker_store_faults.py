"""CachedSQLTrackerStore under database faults: nothing lost, nothing older, loop never frozen."""

from __future__ import annotations

import asyncio
import sqlite3
import time
from pathlib import Path
from typing import Any, List

import pytest
from sqlalchemy.exc import OperationalError

import addons.tracker_store as store_module
from tests.addons.test_tracker_store import make_store, rows, turn


def user_texts(tracker: Any) -> List[str]:
    return [e.text for e in tracker.events if e.type_name == "user"]


def failing_inserts(store: Any, failures: List[int]) -> None:
    """Make the store's writes fail while ``failures[0] > 0`` (counted down per attempt)."""
    real = store._insert

    def insert(sender_id: str, events: Any) -> None:
        if failures[0] > 0:
            failures[0] -= 1
            raise OperationalError("INSERT", {}, sqlite3.OperationalError("disk I/O error"))
        real(sender_id, events)

    store._insert = insert


@pytest.fixture(autouse=True)
def quick_retries(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(store_module, "SAVE_RETRY_SECONDS", 0.01)
    monkeypatch.setattr(store_module, "FLUSH_SECONDS", (0.05, 0.2))


async def test_a_failed_save_keeps_the_turn_and_the_next_turn_writes_the_backlog(tmp_path: Path):
    db = tmp_path / "t.db"
    store = make_store(db)
    await turn(store, "a", "first")
    stored_before = rows(db)
    failures = [store_module.SAVE_ATTEMPTS]  # every attempt of the next save fails
    failing_inserts(store, failures)
    await turn(store, "a", "second, while the disk is full")
    assert rows(db) == stored_before  # not written ...
    assert store.unsaved("a") and store.health()["status"] == "failing"  # ... but kept
    await turn(store, "a", "third")  # continues from memory, not from the older stored state
    assert not store.unsaved("a") and store.health() == {"status": "ok"}
    fresh = await make_store(db).retrieve("a")
    assert user_texts(fresh) == ["first", "second, while the disk is full", "third"]
    assert fresh is not None and rows(db) == len(fresh.events)


async def test_kept_conversations_are_written_in_the_background(tmp_path: Path):
    db = tmp_path / "t.db"
    store = make_store(db)
    failures = [store_module.SAVE_ATTEMPTS + 3]  # the save and the first background retries
    failing_inserts(store, failures)
    await turn(store, "b", "my back hurts more today")
    assert store.unsaved("b")
    for _ in range(100):
        if not store.unsaved("b"):
            break
        await asyncio.sleep(0.05)
    assert not store.unsaved("b")
    fresh = await make_store(db).retrieve("b")
    assert user_texts(fresh) == ["my back hurts more today"]
    assert fresh is not None and rows(db) == len(fresh.events)  # each event once


async def test_an_unsaved_conversation_is_never_evicted(tmp_path: Path):
    store = make_store(tmp_path / "t.db", cache_size=1)
    failing_inserts(store, [10_000])  # the database stays down
    await turn(store, "kept", "unsaved words")
    await turn(store, "other", "hello")  # would evict "kept" from a one-entry cache
    assert store.unsaved("kept") and store.unsaved("other")
    assert store.health()["unsaved_conversations"] == 2
    tracker = await store.retrieve("kept")
    assert user_texts(tracker) == ["unsaved words"]


async def test_a_locked_database_does_not_freeze_the_event_loop(tmp_path: Path):
    db = tmp_path / "t.db"
    store = make_store(db, busy_timeout_seconds=0.5)
    await turn(store, "c", "before the lock")
    locker = sqlite3.connect(db, timeout=0)
    locker.execute("BEGIN EXCLUSIVE")  # another process holds the write lock
    gaps: List[float] = []

    async def heartbeat() -> None:
        last = time.monotonic()
        while True:
            await asyncio.sleep(0.02)
            now = time.monotonic()
            gaps.append(now - last)
            last = now

    beat = asyncio.get_running_loop().create_task(heartbeat())
    try:
        await turn(store, "c", "during the lock")
    finally:
        beat.cancel()
    assert gaps and max(gaps) < 0.3, max(gaps)  # the loop kept running during busy waits
    assert store.unsaved("c")
    locker.rollback()
    locker.close()
    await turn(store, "c", "after the lock")
    fresh = await make_store(db).retrieve("c")
    assert user_texts(fresh) == ["before the lock", "during the lock", "after the lock"]


async def test_a_failed_read_carries_no_phone_number(tmp_path: Path):
    store = make_store(tmp_path / "t.db")
    with store.engine.begin() as connection:
        connection.exec_driver_sql("DROP TABLE events")
    with pytest.raises(RuntimeError) as failure:
        await store.retrieve("+13125550199")
    assert "5550199" not in str(failure.value) and "OperationalError" in str(failure.value)


async def test_a_turn_that_raised_keeps_the_patients_message(tmp_path: Path):
    """Rasa never saves a turn that raised; the store saves the message it holds."""
    from rasa.shared.core.events import UserUttered

    db = tmp_path / "t.db"
    store = make_store(db)
    await turn(store, "a", "first")
    tracker = await store.get_or_create_tracker("a")  # the turn takes it ...
    tracker.update(UserUttered("my legs went numb", {"name": "urgent_symptom"},
                               message_id="m-2"))
    # ... and raises before saving; a salvage for another message changes nothing
    assert not await store.salvage("a", "m-other")
    assert await store.salvage("a", "m-2")
    fresh = await make_store(db).retrieve("a")
    assert fresh is not None and user_texts(fresh) == ["first", "my legs went numb"]
    assert fresh.latest_action_name == "action_listen"
    await turn(store, "a", "third")  # the conversation goes on from there
    assert user_texts(await make_store(db).retrieve("a")) == [
        "first", "my legs went numb", "third"]
