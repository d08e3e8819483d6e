"""SQL tracker store with an in-process cache of live conversations.

Rasa's ``SQLTrackerStore`` rebuilds a conversation from every stored event on each turn
and counts the stored events again before each save, so a turn gets slower the longer the
conversation (35 ms of loading at 100 turns on SQLite). This store keeps the tracker of
each recent conversation in memory between turns:

- ``retrieve`` *takes* a cached tracker out of the cache; ``save`` writes the events that
  are new since this store last persisted that tracker object, and only then puts the
  tracker back. A turn that fails before saving leaves nothing half-updated behind: the
  next turn reloads from SQL (and is saved the stock way).
- Rasa's lock store serialises turns per conversation, so one turn owns the tracker.
- The database stays the source of truth (transcripts, staff review); the cache assumes
  this Rasa process is the only one writing conversations, which is how ``make run``
  deploys it. Run several Rasa processes? Use ``type: SQL`` instead.
- On SQLite the database runs in WAL mode (readers such as a review console don't block
  the bot) with ``synchronous=NORMAL`` and a busy timeout.

``endpoints.yml``: ``tracker_store: {type: addons.tracker_store.CachedSQLTrackerStore, ...}``
with the usual SQL settings plus ``cache_size`` (default 2000 conversations), or with
``use_database_url: true`` to keep the conversations in the project database
(``DATABASE_URL``: SQLite file ``var/clinic.db`` by default, PostgreSQL by URL), next to
the bot's own tables and the review console.
"""

from __future__ import annotations

import json
from collections import OrderedDict
from typing import Any, Dict, Iterable, Optional, Tuple

from rasa.core.tracker_store import SQLTrackerStore, TrackerStore
from rasa.shared.core.events import Event
from rasa.shared.core.trackers import DialogueStateTracker

from actions.db import sqlite_pragmas

Entry = Tuple[DialogueStateTracker, int]  # tracker object, number of its events persisted


def database_url_settings(url: Optional[str] = None) -> Dict[str, Any]:
    """``SQLTrackerStore`` connection settings for ``url`` (default: ``DATABASE_URL``)."""
    from sqlalchemy.engine import make_url

    from actions.config import get_settings

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


class CachedSQLTrackerStore(SQLTrackerStore):
    """``SQLTrackerStore`` plus a bounded LRU cache of trackers between turns."""

    def __init__(self, *args: Any, cache_size: int = 2000, use_database_url: bool = False,
                 **kwargs: Any) -> None:
        """Create the SQL store; ``cache_size`` bounds the conversations kept in memory.

        ``use_database_url``: connect to the project database (``DATABASE_URL``) instead
        of the ``dialect`` / ``host`` / ``db`` ... settings.
        """
        if use_database_url:
            kwargs.update(database_url_settings())
        super().__init__(*args, **kwargs)
        self.engine: Any
        if self.engine.dialect.name == "sqlite":
            self._use_pooled_sqlite_engine()
        self._cache_size = max(0, int(cache_size))
        self._idle: OrderedDict[str, Entry] = OrderedDict()  # between turns
        self._busy: OrderedDict[str, Entry] = OrderedDict()  # handed out to a turn

    def _use_pooled_sqlite_engine(self) -> None:
        """Keep SQLite connections open and configure each one for WAL.

        SQLAlchemy 1.4 reopens a file database for every session by default.
        """
        import sqlalchemy as sa

        url = self.engine.url
        self.engine.dispose()
        self.engine = sa.create_engine(
            url,
            poolclass=sa.pool.QueuePool,
            pool_size=2,
            max_overflow=4,
            connect_args={"check_same_thread": False, "timeout": 5},
        )
        sa.event.listen(self.engine, "connect", sqlite_pragmas)
        self.sessionmaker = sa.orm.session.sessionmaker(bind=self.engine)

    async def retrieve(self, sender_id: str) -> Optional[DialogueStateTracker]:
        """Hand out the cached tracker (moving it out of the cache) or load it from SQL."""
        entry = self._idle.pop(sender_id, None)
        if entry is None:
            return await super().retrieve(sender_id)
        self._remember(self._busy, sender_id, entry)
        return entry[0]

    def peek(self, sender_id: str) -> Optional[DialogueStateTracker]:
        """The cached tracker, left in place, for read-only use (None if not cached)."""
        entry = self._idle.get(sender_id)
        return entry[0] if entry else None

    async def save(self, tracker: DialogueStateTracker) -> None:
        """Persist new events, then cache the tracker for the conversation's next turn."""
        entry = self._busy.pop(tracker.sender_id, None) or self._idle.pop(
            tracker.sender_id, None
        )
        if entry is not None and entry[0] is tracker:
            await self.stream_events(tracker)
            events = list(tracker.events)
            self._insert(tracker.sender_id, events[entry[1] :])
        else:
            await super().save(tracker)
        self._remember(self._idle, tracker.sender_id, (tracker, len(tracker.events)))

    def _insert(self, sender_id: str, events: Iterable[Event]) -> None:
        """Insert events with the same columns as ``SQLTrackerStore.save``, in one statement."""
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
        if rows:
            with self.engine.begin() as connection:
                connection.execute(self.SQLEvent.__table__.insert(), rows)

    def _remember(self, table: OrderedDict[str, Entry], sender_id: str, entry: Entry) -> None:
        if self._cache_size == 0:
            return
        table[sender_id] = entry
        table.move_to_end(sender_id)
        while len(table) > self._cache_size:
            table.popitem(last=False)


async def read_tracker(store: TrackerStore, sender_id: str) -> Optional[DialogueStateTracker]:
    """Read a conversation without taking it out of a ``CachedSQLTrackerStore`` cache."""
    inner = getattr(store, "_tracker_store", store)  # Rasa wraps stores in FailSafeTrackerStore
    peek = getattr(inner, "peek", None)
    cached = peek(sender_id) if callable(peek) else None
    return cached if cached is not None else await store.retrieve(sender_id)
