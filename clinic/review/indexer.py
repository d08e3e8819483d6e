"""Index Rasa's ``events`` table into the console's conversation list, incrementally.

Reads events after ``review_index_state.last_event_id`` in batches (one transaction each):
every patient message becomes a ``conversation_messages`` row (unique by event id) and
each conversation's ``conversation_index`` row is updated; the state row moves on in the
same transaction, so a crash or restart repeats nothing and loses nothing. A batch starts
by writing the state row, which serialises indexers (two consoles, the CLI and the
background task) on SQLite and PostgreSQL alike. ``--rebuild`` starts from scratch and
keeps staff work (reviewed marks, tags, annotations).

``python -m clinic index [--rebuild]``; the console runs it every few seconds
(``console.conversations.indexing``).
"""

from __future__ import annotations

import threading
import time
from typing import Optional, Sequence

from sqlalchemy import delete, inspect, select, update
from sqlalchemy.engine import Row
from sqlalchemy.orm import Session

from clinic.db import session_scope
from clinic.models import ConversationMessage, ConversationSummary, IndexState, utcnow
from clinic.review.events import EVENTS, when
from clinic.review.index_batch import Batch

BATCH_SIZE = 5000  # events per transaction
COMMIT_GRACE_SECONDS = 10.0  # PostgreSQL: how long a gap in event ids may still fill
_run_lock = threading.Lock()  # one indexer at a time in this process


def has_events_table(session: Session) -> bool:
    """Whether Rasa has created its ``events`` table yet."""
    return bool(inspect(session.connection()).has_table(EVENTS.name))


def pending(session: Session) -> bool:
    """Whether events newer than the index exist (a cheap read, no lock)."""
    if not has_events_table(session):
        return False
    newest = session.scalar(select(EVENTS.c.id).order_by(EVENTS.c.id.desc()).limit(1))
    done = session.scalar(select(IndexState.last_event_id).where(IndexState.id == 1)) or 0
    return newest is not None and newest > done


def _claim(session: Session) -> int:
    """Lock the state row (created on first use) and return the last indexed event id."""
    claimed = session.execute(update(IndexState).where(IndexState.id == 1)
                              .values(updated_at=utcnow()))
    if not claimed.rowcount:
        session.add(IndexState(id=1, last_event_id=0, updated_at=utcnow()))
        session.flush()
        return 0
    return int(session.scalar(select(IndexState.last_event_id).where(IndexState.id == 1)))


def _committed_prefix(rows: Sequence[Row], last_id: int, dialect: str) -> Sequence[Row]:
    """Rows up to the first recent gap in ids (PostgreSQL may commit id 7 after id 8)."""
    if dialect == "sqlite":  # one writer at a time: ids are committed in order
        return rows
    previous, horizon = last_id, time.time() - COMMIT_GRACE_SECONDS
    for position, row in enumerate(rows):
        if row.id != previous + 1 and (row.timestamp or 0) > horizon:
            return rows[:position]
        previous = row.id
    return rows


def index_batch(session: Session, batch_size: int = BATCH_SIZE) -> int:
    """Index the next ``batch_size`` events in the caller's transaction; returns how many."""
    if not has_events_table(session):
        return 0
    last_id = _claim(session)
    rows = session.execute(
        select(EVENTS.c.id, EVENTS.c.sender_id, EVENTS.c.type_name, EVENTS.c.timestamp,
               EVENTS.c.action_name, EVENTS.c.data)
        .where(EVENTS.c.id > last_id).order_by(EVENTS.c.id).limit(batch_size)
    ).all()
    rows = _committed_prefix(rows, last_id, session.get_bind().dialect.name)
    if not rows:
        return 0
    batch = Batch()
    for row in rows:
        batch.add(row.id, row.sender_id, row.type_name, when(row.timestamp),
                  row.action_name, row.data)
    batch.write(session)
    session.execute(update(IndexState).where(IndexState.id == 1)
                    .values(last_event_id=rows[-1].id, updated_at=utcnow()))
    return len(rows)


def catch_up(max_batches: Optional[int] = None, batch_size: int = BATCH_SIZE,
             wait: float = -1) -> int:
    """Index new events, batch by batch (at most ``max_batches``); returns how many.

    ``wait``: seconds to wait for another run in this process (-1: as long as it takes);
    after that, nothing is done.
    """
    if not _run_lock.acquire(timeout=wait):
        return 0
    try:
        return _catch_up(max_batches, batch_size)
    finally:
        _run_lock.release()


def _catch_up(max_batches: Optional[int], batch_size: int) -> int:
    total = batches = 0
    while max_batches is None or batches < max_batches:
        with session_scope() as session:
            if batches == 0 and not pending(session):
                return 0
        with session_scope() as session:
            done = index_batch(session, batch_size)
        total, batches = total + done, batches + 1
        if done < batch_size:
            break
    return total


def rebuild(batch_size: int = BATCH_SIZE) -> int:
    """Drop the index and read every event again; reviewed marks survive."""
    with _run_lock:
        with session_scope() as session:
            _claim(session)
            session.execute(delete(ConversationMessage))
            session.execute(delete(ConversationSummary)
                            .where(ConversationSummary.reviewed_at.is_(None)))
            session.execute(update(ConversationSummary).values(  # 0 messages: "fresh"
                user_messages=0, bot_messages=0, min_confidence=None, fallback_turns=0,
                preview="", channel=""))
            session.execute(update(IndexState).where(IndexState.id == 1)
                            .values(last_event_id=0))
        total = _catch_up(None, batch_size)
        with session_scope() as session:  # reviewed conversations whose events are gone
            session.execute(delete(ConversationSummary).where(
                ConversationSummary.user_messages == 0, ConversationSummary.bot_messages == 0))
        return total

