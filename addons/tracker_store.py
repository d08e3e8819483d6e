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
- Database work runs in worker threads, never on the event loop: a locked or slow database
  cannot freeze the server (health checks, other conversations, the turn time limit).
- A save that fails (database locked past the busy timeout, disk full, server gone) drops
  nothing: the tracker stays in memory with its unsaved events, the
  next turn continues from it (never from the older stored state) and writes the backlog,
  and a background task keeps retrying. :meth:`unsaved` tells the channels so they can tell
  the patient, and :meth:`health` reports the failing store.

``endpoints.yml``: ``tracker_store: {type: addons.tracker_store.CachedSQLTrackerStore, ...}``
with the usual SQL settings plus ``cache_size`` (default 2000 conversations), or with
``use_database_url: true`` to keep the conversations in the project database
(``DATABASE_URL``: SQLite file ``var/clinic.db`` by default, PostgreSQL by URL), next to
the bot's own tables and the review console.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import OrderedDict
from typing import Any, Callable, Dict, Iterable, Optional, Set, Tuple, TypeVar

from rasa.core.tracker_store import SQLTrackerStore, TrackerStore
from rasa.shared.core.constants import ACTION_LISTEN_NAME
from rasa.shared.core.events import ActionExecuted, Event
from rasa.shared.core.trackers import DialogueStateTracker
from sqlalchemy.orm import sessionmaker

from addons.tracker_sql import database_url_settings, event_rows, finish, pooled_sqlite_engine

logger = logging.getLogger(__name__)

Entry = Tuple[DialogueStateTracker, int]  # tracker object, number of its events persisted
Result = TypeVar("Result")
# Within a turn one try (with the busy timeout): the turn must end inside its time limit,
# and nothing is lost by leaving further tries to the background task.
SAVE_ATTEMPTS = 1
SAVE_RETRY_SECONDS = 0.25
FLUSH_SECONDS = (1.0, 30.0)  # background retries of unsaved conversations: first, cap


class CachedSQLTrackerStore(SQLTrackerStore):
    """``SQLTrackerStore`` plus a bounded LRU cache of trackers between turns."""

    def __init__(self, *args: Any, cache_size: int = 2000, use_database_url: bool = False,
                 busy_timeout_seconds: float = 3.0, **kwargs: Any) -> None:
        """Create the SQL store; ``cache_size`` bounds the conversations kept in memory.

        ``use_database_url``: connect to the project database (``DATABASE_URL``) instead
        of the ``dialect`` / ``host`` / ``db`` ... settings.
        """
        if use_database_url:
            kwargs.update(database_url_settings())
        super().__init__(*args, **kwargs)
        self.engine: Any
        if self.engine.dialect.name == "sqlite":  # keep connections open, WAL, busy timeout
            url = self.engine.url
            self.engine.dispose()
            self.engine = pooled_sqlite_engine(url, busy_timeout_seconds)
            self.sessionmaker = sessionmaker(bind=self.engine)
        self._cache_size = max(0, int(cache_size))
        self._idle: OrderedDict[str, Entry] = OrderedDict()  # between turns
        self._busy: OrderedDict[str, Entry] = OrderedDict()  # handed out to a turn
        self._unsaved: Set[str] = set()  # conversations with events only in memory
        self._flushing: Dict[str, asyncio.Future[None]] = {}
        self._flusher: Optional[asyncio.Task[None]] = None
        self._failing_since: Optional[float] = None

    async def retrieve(self, sender_id: str) -> Optional[DialogueStateTracker]:
        """Hand out the cached tracker (moving it out of the cache) or load it from SQL."""
        flushing = self._flushing.get(sender_id)
        if flushing is not None:  # the background retry holds it for a moment
            await asyncio.shield(flushing)
        entry = self._idle.pop(sender_id, None)
        if entry is None:
            tracker = await self._read(
                lambda: finish(SQLTrackerStore.retrieve(self, sender_id)))
            if tracker is not None:  # held by the turn (count unknown: -1), for salvage()
                self._remember(self._busy, sender_id, (tracker, -1))
            return tracker
        self._remember(self._busy, sender_id, entry)
        return entry[0]

    async def salvage(self, sender_id: str, message_id: Optional[str]) -> bool:
        """Save what a failed turn got done, so the patient's message is not lost.

        A turn that raises (an action server that hung past its timeout, a failing
        database) is never saved by Rasa. Its tracker, still held here, holds the
        patient's message; it is saved with a closing ``action_listen``, but only if its
        latest message is ``message_id`` (no newer turn took the conversation meanwhile).
        """
        entry = self._busy.get(sender_id)
        if entry is None:
            return False
        tracker = entry[0]
        latest = tracker.latest_message
        if latest is None or message_id is None or latest.message_id != message_id:
            if latest is None or message_id is None:
                self._busy.pop(sender_id, None)  # nothing to keep: release the conversation
            return False
        if tracker.latest_action_name != ACTION_LISTEN_NAME:
            tracker.update(ActionExecuted(ACTION_LISTEN_NAME))
        await self.save(tracker)
        return True

    async def retrieve_full_tracker(self, conversation_id: str) -> Optional[DialogueStateTracker]:
        """Every session of a conversation, read in a worker thread."""
        return await self._read(
            lambda: finish(SQLTrackerStore.retrieve_full_tracker(self, conversation_id)))

    async def keys(self) -> Iterable[str]:
        """Conversation ids, read in a worker thread."""
        return await self._read(lambda: finish(SQLTrackerStore.keys(self)))

    @staticmethod
    async def _read(work: Callable[[], Result]) -> Result:
        """Run a blocking read in a worker thread; re-raise a failure without its SQL.

        Rasa's fail-safe wrapper logs the error's message, and SQL parameters hold
        conversation ids, i.e. phone numbers.
        """
        try:
            return await asyncio.to_thread(work)
        except Exception as error:  # noqa: BLE001 - any database failure
            raise RuntimeError(
                f"conversation store unavailable ({type(error).__name__})") from None

    def unsaved(self, sender_id: str) -> bool:
        """Whether this conversation has events the database does not have yet."""
        return sender_id in self._unsaved

    def health(self) -> Dict[str, Any]:
        """``ok``, or ``failing`` with how many conversations wait and for how long."""
        if self._failing_since is None:
            return {"status": "ok"}
        return {"status": "failing", "unsaved_conversations": len(self._unsaved),
                "failing_seconds": round(time.monotonic() - self._failing_since, 1)}

    def peek(self, sender_id: str) -> Optional[DialogueStateTracker]:
        """The cached tracker, left in place, for read-only use (None if not cached)."""
        entry = self._idle.get(sender_id)
        return entry[0] if entry else None

    async def save(self, tracker: DialogueStateTracker) -> None:
        """Persist new events (retried), then cache the tracker for the next turn.

        When the database keeps failing the tracker is cached with its unsaved events and
        the background task retries; nothing is raised (Rasa's fail-safe wrapper would log
        the error's SQL parameters, i.e. patient text, and drop the events).
        """
        sender_id = tracker.sender_id
        entry = self._busy.pop(sender_id, None) or self._idle.pop(sender_id, None)
        persisted: Optional[int] = None  # unknown: count what the database has
        if entry is not None and entry[0] is tracker and entry[1] >= 0:
            persisted = entry[1]
        await self.stream_events(tracker)
        for attempt in range(SAVE_ATTEMPTS):
            try:
                stored = await asyncio.to_thread(self._persist, tracker, persisted)
            except Exception as error:  # noqa: BLE001 - any database failure: keep the events
                failure = error
                if attempt + 1 < SAVE_ATTEMPTS:
                    await asyncio.sleep(SAVE_RETRY_SECONDS * (attempt + 1))
                continue
            self._saved(sender_id)
            self._remember(self._idle, sender_id, (tracker, stored))
            return
        self._keep_unsaved(tracker, persisted, failure)

    def _persist(self, tracker: DialogueStateTracker, persisted: Optional[int]) -> int:
        """Write the events after ``persisted`` (None: after what the database has); blocking."""
        events = list(tracker.events)
        if persisted is None:  # as SQLTrackerStore.save: the stored events of this session
            with self.session_scope() as session:
                persisted = self._event_query(
                    session, tracker.sender_id, fetch_events_from_all_sessions=False).count()
        self._insert(tracker.sender_id, events[persisted:])
        return len(events)

    def _saved(self, sender_id: str) -> None:
        self._unsaved.discard(sender_id)
        if not self._unsaved and self._failing_since is not None:
            logger.warning("Conversation store recovered: every kept conversation is saved")
            self._failing_since = None

    def _keep_unsaved(self, tracker: DialogueStateTracker, persisted: Optional[int],
                      error: Exception) -> None:
        """Hold the tracker in memory with its unsaved events and start the retries."""
        self._unsaved.add(tracker.sender_id)
        if self._failing_since is None:
            self._failing_since = time.monotonic()
        logger.error("Conversation store failing (%s): %d conversation(s) kept in memory, "
                     "retrying", type(error).__name__, len(self._unsaved))
        # cache_size 0 or not: an unsaved tracker is never evicted
        self._idle[tracker.sender_id] = (tracker, -1 if persisted is None else persisted)
        self._idle.move_to_end(tracker.sender_id)
        if self._flusher is None or self._flusher.done():
            self._flusher = asyncio.get_running_loop().create_task(self._flush_until_saved())

    async def _flush_until_saved(self) -> None:
        """Background: write every kept conversation that no turn holds, with backoff."""
        delay = FLUSH_SECONDS[0]
        while self._unsaved:
            await asyncio.sleep(delay)
            for sender_id in list(self._unsaved):
                if not await self._flush_one(sender_id):
                    delay = min(delay * 2, FLUSH_SECONDS[1])
                    break
            else:
                delay = FLUSH_SECONDS[0]

    async def _flush_one(self, sender_id: str) -> bool:
        """Save one kept conversation unless a turn has it (its save writes the backlog)."""
        entry = self._idle.pop(sender_id, None)
        if entry is None:
            return True
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._flushing[sender_id] = done
        tracker, persisted = entry
        try:
            stored = await asyncio.to_thread(self._persist, tracker,
                                             None if persisted < 0 else persisted)
        except Exception:  # noqa: BLE001 - still failing: keep it, back off
            self._idle[sender_id] = entry
            return False
        else:
            self._idle[sender_id] = (tracker, stored)
            self._saved(sender_id)
            return True
        finally:
            del self._flushing[sender_id]
            done.set_result(None)

    def _insert(self, sender_id: str, events: Iterable[Event]) -> None:
        """Insert events with the same columns as ``SQLTrackerStore.save``, in one statement."""
        rows = event_rows(sender_id, events)
        if rows:
            with self.engine.begin() as connection:
                connection.execute(self.SQLEvent.__table__.insert(), rows)

    def _remember(self, table: OrderedDict[str, Entry], sender_id: str, entry: Entry) -> None:
        if self._cache_size == 0:
            return
        table[sender_id] = entry
        table.move_to_end(sender_id)
        while len(table) > self._cache_size:
            oldest = next(iter(table))
            if oldest in self._unsaved:  # never evict events the database does not have
                table.move_to_end(oldest)
                if all(key in self._unsaved for key in table):
                    break
                continue
            table.popitem(last=False)


def cached_store(store: Any) -> Optional[CachedSQLTrackerStore]:
    """The project's store inside Rasa's ``FailSafeTrackerStore`` wrapper, if it is in use."""
    inner = getattr(store, "_tracker_store", store)
    return inner if isinstance(inner, CachedSQLTrackerStore) else None


async def read_tracker(store: TrackerStore, sender_id: str) -> Optional[DialogueStateTracker]:
    """Read a conversation without taking it out of a ``CachedSQLTrackerStore`` cache."""
    inner = getattr(store, "_tracker_store", store)  # Rasa wraps stores in FailSafeTrackerStore
    peek = getattr(inner, "peek", None)
    cached = peek(sender_id) if callable(peek) else None
    return cached if cached is not None else await store.retrieve(sender_id)
