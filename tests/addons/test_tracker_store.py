"""CachedSQLTrackerStore: same stored rows as Rasa's SQL store, fewer reloads."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import (
    ActionExecuted,
    BotUttered,
    SessionStarted,
    UserUttered,
)

from addons.tracker_sql import database_url_settings
from addons.tracker_store import CachedSQLTrackerStore, read_tracker

DOMAIN = Domain.from_dict({"intents": ["greet"], "responses": {"utter_hi": [{"text": "hi"}]}})


def make_store(path: Path, **kwargs) -> CachedSQLTrackerStore:
    return CachedSQLTrackerStore(domain=DOMAIN, dialect="sqlite", db=str(path), **kwargs)


def rows(path: Path) -> int:
    engine = sa.create_engine(f"sqlite:///{path}")
    with engine.connect() as conn:
        return int(conn.execute(sa.text("SELECT COUNT(*) FROM events")).scalar_one())


async def turn(store: CachedSQLTrackerStore, sender: str, text: str) -> None:
    tracker = await store.get_or_create_tracker(sender)
    tracker.update(UserUttered(text, {"name": "greet", "confidence": 1.0}))
    tracker.update(ActionExecuted("utter_hi"))
    tracker.update(BotUttered("hi"))
    tracker.update(ActionExecuted("action_listen"))
    await store.save(tracker)


async def test_turns_reuse_the_cached_tracker_and_store_each_event_once(tmp_path: Path):
    db = tmp_path / "t.db"
    store = make_store(db)
    for i in range(5):
        await turn(store, "a", f"hello {i}")
    tracker = await store.retrieve("a")
    assert tracker is not None
    assert rows(db) == len(tracker.events)
    again = await make_store(db).retrieve("a")  # a fresh process reads the same history
    assert again is not None
    assert [e.as_dict()["event"] for e in again.events] == [
        e.as_dict()["event"] for e in tracker.events
    ]


async def test_a_new_session_in_a_cached_tracker_does_not_duplicate_rows(tmp_path: Path):
    db = tmp_path / "t.db"
    store = make_store(db)
    await turn(store, "a", "first session")
    tracker = await store.retrieve("a")
    assert tracker is not None
    tracker.update(ActionExecuted("action_session_start"))
    tracker.update(SessionStarted())
    tracker.update(ActionExecuted("action_listen"))
    await store.save(tracker)
    for i in range(3):
        await turn(store, "a", f"second session {i}")
    cached = store.peek("a")
    assert cached is not None
    assert rows(db) == len(cached.events)


async def test_a_failed_turn_leaves_no_unsaved_events_behind(tmp_path: Path):
    db = tmp_path / "t.db"
    store = make_store(db)
    await turn(store, "a", "saved")
    tracker = await store.retrieve("a")
    assert tracker is not None
    tracker.update(UserUttered("never saved", {"name": "greet", "confidence": 1.0}))
    # the turn crashes here: no save
    reloaded = await store.retrieve("a")
    assert reloaded is not None and reloaded is not tracker
    assert "never saved" not in [getattr(e, "text", None) for e in reloaded.events]
    await turn(store, "a", "next")
    fresh = await make_store(db).retrieve("a")
    assert fresh is not None
    assert rows(db) == len(fresh.events)


async def test_peek_reads_without_taking_the_tracker(tmp_path: Path):
    store = make_store(tmp_path / "t.db")
    await turn(store, "a", "hi")
    first = await read_tracker(store, "a")
    assert first is not None and store.peek("a") is first


async def test_cache_is_bounded(tmp_path: Path):
    store = make_store(tmp_path / "t.db", cache_size=2)
    for sender in ("a", "b", "c"):
        await turn(store, sender, "hi")
    assert store.peek("a") is None
    assert store.peek("c") is not None
    assert await store.retrieve("a") is not None  # still in the database


@pytest.mark.parametrize("pragma,expected", [("journal_mode", "wal"), ("synchronous", 1)])
def test_sqlite_runs_in_wal_mode(tmp_path: Path, pragma: str, expected):
    store = make_store(tmp_path / "t.db")
    with store.engine.connect() as conn:
        assert conn.execute(sa.text(f"PRAGMA {pragma}")).scalar() == expected


async def test_use_database_url_keeps_conversations_in_the_project_database(
    tmp_path: Path, settings_env
):
    db = tmp_path / "project.db"
    settings_env(DATABASE_URL=f"sqlite:///{db}")
    store = CachedSQLTrackerStore(domain=DOMAIN, use_database_url=True, dialect="postgresql",
                                  db="ignored.db")
    await turn(store, "+13125550100", "hi")
    assert rows(db) > 0 and not (tmp_path / "ignored.db").exists()
    with store.engine.connect() as conn:  # WAL + busy timeout on the shared file too
        assert conn.execute(sa.text("PRAGMA journal_mode")).scalar() == "wal"
        assert conn.execute(sa.text("PRAGMA busy_timeout")).scalar() == 3000  # < turn limit


def test_database_url_settings_read_a_postgresql_url():
    settings = database_url_settings(
        "postgresql+psycopg2://bot:s%40cret@db.internal:6543/clinic?sslmode=require")
    assert settings["dialect"] == "postgresql+psycopg2"
    assert (settings["host"], settings["port"], settings["db"]) == ("db.internal", 6543, "clinic")
    assert (settings["username"], settings["password"]) == ("bot", "s@cret")
    assert settings["query"] == {"sslmode": "require"}
    url = CachedSQLTrackerStore.get_db_url(**{k: v for k, v in settings.items()})
    assert str(url.render_as_string(hide_password=False)) == (
        "postgresql+psycopg2://bot:s%40cret@db.internal:6543/clinic?sslmode=require")


def test_endpoints_follow_the_database_url(tmp_path: Path):
    from scripts.servers import test_endpoints

    config = test_endpoints(5055, tmp_path)
    assert config["tracker_store"]["use_database_url"] is True
    assert "db" not in config["tracker_store"]
