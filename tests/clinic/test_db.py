"""The database layer: Alembic migrations match the models; SQLite settings; sessions."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from sqlalchemy import inspect, select, text

from clinic import db
from clinic.models import Base, StaffAlert
from tests.conftest import ROOT


def alembic_config(url: str) -> Config:
    config = Config(str(ROOT / "alembic.ini"))
    config.set_main_option("script_location", str(ROOT / "migrations"))
    config.cmd_opts = type("Opts", (), {"x": [f"url={url}"]})()
    config.attributes["configure_logging"] = False
    return config


def test_migrations_create_exactly_the_models_and_revert(tmp_path: Path):
    url = f"sqlite:///{tmp_path / 'm.db'}"
    command.upgrade(alembic_config(url), "head")
    engine = db.make_engine(url)
    with engine.connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection), Base.metadata)
        assert diff == []
        assert set(Base.metadata.tables) <= set(inspect(connection).get_table_names())
    command.downgrade(alembic_config(url), "base")
    with engine.connect() as connection:
        assert not set(Base.metadata.tables) & set(inspect(connection).get_table_names())
    engine.dispose()


def test_migrations_leave_rasa_tables_alone(tmp_path: Path):
    url = f"sqlite:///{tmp_path / 'shared.db'}"
    engine = db.make_engine(url)
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE events (id INTEGER PRIMARY KEY, data TEXT)"))
        connection.execute(text("INSERT INTO events (data) VALUES ('kept')"))
    command.upgrade(alembic_config(url), "head")
    command.downgrade(alembic_config(url), "base")
    with engine.connect() as connection:
        assert connection.execute(text("SELECT data FROM events")).scalar_one() == "kept"
    engine.dispose()


def test_file_database_uses_wal_and_a_busy_timeout(tmp_path: Path):
    engine = db.make_engine(f"sqlite:///{tmp_path / 'w.db'}")
    with engine.connect() as connection:
        assert connection.execute(text("PRAGMA journal_mode")).scalar_one() == "wal"
        assert connection.execute(text("PRAGMA busy_timeout")).scalar_one() == 5000
        assert connection.execute(text("PRAGMA foreign_keys")).scalar_one() == 1
    engine.dispose()


def test_session_scope_commits_or_rolls_back(db_engine, db_session):
    with db.session_scope() as session:
        session.add(StaffAlert(channel="rest", conversation_id="c", message_id="m1",
                               level="urgent", message_text="x"))
    with pytest.raises(RuntimeError):
        with db.session_scope() as session:
            session.add(StaffAlert(channel="rest", conversation_id="c", message_id="m2",
                                   level="urgent", message_text="y"))
            raise RuntimeError("boom")
    ids = db_session.execute(select(StaffAlert.message_id)).scalars().all()
    assert ids == ["m1"]


def test_engine_is_created_lazily_from_the_settings(settings_env, tmp_path: Path):
    db.set_engine(None)
    settings_env(DATABASE_URL=f"sqlite:///{tmp_path / 'lazy.db'}")
    try:
        assert not (tmp_path / "lazy.db").exists()
        assert str(db.get_engine().url).endswith("lazy.db")
    finally:
        db.get_engine().dispose()
        db.set_engine(None)


@pytest.fixture
def open_umask():
    """Run as if started with a permissive umask (022), whatever the test runner had."""
    old = os.umask(0o022)
    yield
    os.umask(old)


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_a_new_database_and_its_folder_are_readable_by_this_user_only(tmp_path: Path,
                                                                       open_umask):
    path = tmp_path / "var" / "clinic.db"
    engine = db.make_engine(f"sqlite:///{path}")
    with engine.begin() as connection:  # WAL: writes create -wal and -shm beside the file
        connection.execute(text("CREATE TABLE t (x TEXT)"))
        connection.execute(text("INSERT INTO t VALUES ('a transcript')"))
        wal = [p for p in path.parent.iterdir() if p.name != "clinic.db"]
        assert wal and all(_mode(p) == 0o600 for p in wal)
    assert _mode(path.parent) == 0o700
    assert _mode(path) == 0o600
    engine.dispose()


def test_an_existing_database_open_to_others_is_narrowed(tmp_path: Path, open_umask, caplog):
    path = tmp_path / "clinic.db"
    path.touch()
    path.chmod(0o644)
    db.make_engine(f"sqlite:///{path}").dispose()
    assert _mode(path) == 0o600
    assert "narrowed to 600" in caplog.text


def test_the_conversation_store_narrows_its_sqlite_file_too(tmp_path: Path, open_umask):
    from addons.tracker_store import CachedSQLTrackerStore

    path = tmp_path / "rasa.db"
    CachedSQLTrackerStore(dialect="sqlite", db=str(path)).engine.dispose()
    assert _mode(path) == 0o600


def test_memory_databases_touch_no_file(tmp_path: Path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    db.make_engine("sqlite://").dispose()
    db.make_engine("sqlite:///:memory:").dispose()
    assert list(tmp_path.iterdir()) == []
