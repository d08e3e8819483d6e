"""Plain SQL helpers of the conversation store (``addons.tracker_store``): no caching here."""

from __future__ import annotations

import json
from typing import Any, Coroutine, Dict, Iterable, List, Optional, TypeVar

from rasa.shared.core.events import Event
from sqlalchemy.engine import Engine

from clinic.db import private_sqlite_file, sqlite_pragmas

Result = TypeVar("Result")


def finish(coroutine: Coroutine[Any, Any, Result]) -> Result:
    """Run a coroutine that never suspends to its end, in the calling thread.

    (Rasa's SQL store methods are blocking code written as ``async def``.)
    """
    try:
        coroutine.send(None)
    except StopIteration as done:
        return done.value  # type: ignore[no-any-return]
    coroutine.close()
    raise RuntimeError("the coroutine suspended; it cannot run in a worker thread")


def database_url_settings(url: Optional[str] = None) -> Dict[str, Any]:
    """``SQLTrackerStore`` connection settings for ``url`` (default: ``DATABASE_URL``)."""
    from sqlalchemy.engine import make_url

    from clinic.settings import get_settings

    parsed = make_url(url or get_settings().database_url)
    return {
        "dialect": parsed.drivername,
        "host": parsed.host,
        "port": parsed.port,
        "db": parsed.database or "",
        "username": parsed.username,
        "password": parsed.password,
        "query": dict(parsed.query) or None,
        "login_db": None,
    }


def pooled_sqlite_engine(url: Any, busy_timeout_seconds: float) -> Engine:
    """A SQLite engine that keeps its connections open, each in WAL with a busy timeout.

    SQLAlchemy 1.4 reopens a file database for every session by default. The file is made
    readable by this user only (it holds every transcript).
    """
    import sqlalchemy as sa

    private_sqlite_file(url)
    engine = sa.create_engine(
        url,
        poolclass=sa.pool.QueuePool,
        pool_size=2,
        max_overflow=4,
        connect_args={"check_same_thread": False, "timeout": busy_timeout_seconds},
    )
    sa.event.listen(engine, "connect", sqlite_pragmas)
    busy_ms = int(busy_timeout_seconds * 1000)

    def busy_timeout(dbapi_connection: Any, _: Any) -> None:
        dbapi_connection.execute(f"PRAGMA busy_timeout={busy_ms}")

    sa.event.listen(engine, "connect", busy_timeout)
    return engine


def event_rows(sender_id: str, events: Iterable[Event]) -> List[Dict[str, Any]]:
    """The rows ``SQLTrackerStore.save`` writes for ``events``, same columns."""
    rows = []
    for event in events:
        data = event.as_dict()
        rows.append(
            {
                "sender_id": sender_id,
                "type_name": event.type_name,
                "timestamp": data.get("timestamp"),
                "intent_name": (data.get("parse_data") or {}).get("intent", {}).get("name"),
                "action_name": data.get("name"),
                "data": json.dumps(data),
            }
        )
    return rows
