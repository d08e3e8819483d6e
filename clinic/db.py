"""The project database: one lazily created engine and transactional sessions.

SQLite (``var/clinic.db``, shared with Rasa's tracker store) by default; PostgreSQL or any
SQLAlchemy URL through ``DATABASE_URL``. Nothing connects at import time. The schema is
managed by Alembic (``migrations/``; ``make run`` upgrades it before starting services).
Code is written in SQLAlchemy 2.0 style (``future=True``, ``select()``, ``Session.begin()``).
"""

from __future__ import annotations

import asyncio
import logging
import os
import stat
import threading
from contextlib import contextmanager
from typing import Any, Callable, Iterator, Optional, TypeVar

from sqlalchemy import event
from sqlalchemy.engine import Engine, create_engine, make_url
from sqlalchemy.orm import Session, sessionmaker

from clinic.settings import get_settings

T = TypeVar("T")

logger = logging.getLogger(__name__)

_lock = threading.Lock()
_engine: Optional[Engine] = None
_sessions: Optional[sessionmaker] = None


def sqlite_pragmas(dbapi_connection: Any, _: Any) -> None:
    """Per-connection SQLite settings: WAL, a busy timeout, foreign keys."""
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def private_sqlite_file(url: Any) -> None:
    """Make a SQLite file database readable by this user only (it holds every transcript).

    A missing folder is made 0700 and a missing file 0600 (SQLite gives its -wal and -shm
    files the database's mode); an existing file open to others is narrowed to 0600, whatever
    umask the process was started with. Memory databases and other dialects are left alone.
    """
    parsed = make_url(str(url)) if not hasattr(url, "drivername") else url
    name = parsed.database or ""
    if not parsed.drivername.startswith("sqlite") or name in ("", ":memory:") \
            or name.startswith("file:"):
        return
    path = os.path.abspath(name)
    os.makedirs(os.path.dirname(path), mode=0o700, exist_ok=True)
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    except FileExistsError:
        mode = stat.S_IMODE(os.stat(path).st_mode)
        if mode & 0o077:
            logger.warning("The database file was readable by other users (mode %o); "
                           "narrowed to 600", mode)
            os.chmod(path, 0o600)


def make_engine(url: str, **kwargs: Any) -> Engine:
    """An engine for ``url``; SQLite connections get WAL, a busy timeout and foreign keys."""
    private_sqlite_file(url)
    if url.startswith("sqlite"):
        kwargs.setdefault("connect_args", {"check_same_thread": False, "timeout": 5})
    else:
        kwargs.setdefault("pool_pre_ping", True)
        kwargs.setdefault("connect_args", {"connect_timeout": 5})
    engine = create_engine(url, future=True, **kwargs)
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", sqlite_pragmas)
    return engine


def set_engine(engine: Optional[Engine]) -> None:
    """Use ``engine`` from now on (tests, tools); None goes back to ``DATABASE_URL``."""
    global _engine, _sessions
    with _lock:
        _engine = engine
        _sessions = sessionmaker(bind=engine, future=True) if engine is not None else None


def get_engine() -> Engine:
    """The process-wide engine, created on first use from the settings."""
    global _engine, _sessions
    with _lock:
        if _engine is None:
            _engine = make_engine(get_settings().database_url)
            _sessions = sessionmaker(bind=_engine, future=True)
        return _engine


@contextmanager
def session_scope() -> Iterator[Session]:
    """A session inside one transaction: committed on success, rolled back on error."""
    get_engine()
    assert _sessions is not None
    with _sessions() as session, session.begin():
        yield session


async def run_in_thread(function: Callable[..., T], *args: Any) -> T:
    """Run blocking database work off the event loop (a slow database never stalls chats)."""
    return await asyncio.to_thread(function, *args)
