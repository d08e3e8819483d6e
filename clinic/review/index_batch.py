"""One indexer batch: events in id order -> message rows and conversation summary changes.

A patient message is a fallback turn if it was classified ``nlu_fallback`` or if the
first action after it is a fallback action (``FALLBACK_ACTIONS``); that action may come
in a later batch, so such an action also looks back at the stored messages.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Dict, Iterator, List, Optional, Sequence, Set, Tuple

from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.orm import Session

from clinic.models import ConversationMessage, ConversationSummary
from clinic.review.events import EVENTS, FALLBACK_ACTIONS, load, patient_message

PREVIEW_CHARS = 300
CHUNK = 500  # ids per IN (...) query

MESSAGES = ConversationMessage.__table__
SUMMARIES = ConversationSummary.__table__


@dataclass
class Change:
    """What one batch adds to a conversation's summary."""

    first_at: Optional[datetime] = None
    last_at: Optional[datetime] = None
    user_messages: int = 0
    bot_messages: int = 0
    min_confidence: Optional[float] = None
    fallback_turns: int = 0
    preview: str = ""
    channel: str = ""

    def seen(self, at: datetime) -> None:
        """A message at ``at``."""
        self.first_at = min(self.first_at or at, at)
        self.last_at = max(self.last_at or at, at)


def _lowest(a: Optional[float], b: Optional[float]) -> Optional[float]:
    return b if a is None else a if b is None else min(a, b)


def _chunks(values: Sequence[str]) -> Iterator[Sequence[str]]:
    for start in range(0, len(values), CHUNK):
        yield values[start:start + CHUNK]


class Batch:
    """Collects rows and changes from events; ``write`` stores them in one go."""

    def __init__(self) -> None:
        self.changes: Dict[str, Change] = {}
        self.messages: List[Dict[str, Any]] = []
        self.awaiting: Dict[str, Dict[str, Any]] = {}  # message waiting for its first action
        self.answered: Set[str] = set()  # conversations whose last message got its action
        self.late: List[Tuple[str, int]] = []  # fallback actions of earlier batches' messages

    def change(self, conversation_id: str) -> Change:
        """The summary change of a conversation (created on first use)."""
        return self.changes.setdefault(conversation_id, Change())

    def add(self, event_id: int, conversation_id: str, kind: str, at: datetime,
            action: Optional[str], data: Optional[str]) -> None:
        """Take one event into account (events must come in id order)."""
        if kind == "user":
            self._user(event_id, conversation_id, at, data)
        elif kind == "bot":
            change = self.change(conversation_id)
            change.seen(at)
            change.bot_messages += 1
        elif kind == "action":
            self._action(event_id, conversation_id, action or "")

    def _user(self, event_id: int, conversation_id: str, at: datetime,
              data: Optional[str]) -> None:
        message = patient_message(load(data))
        if message is None:  # a system-triggered intent: what follows is not a reply to it
            self.awaiting.pop(conversation_id, None)
            self.answered.add(conversation_id)
            return
        change = self.change(conversation_id)
        change.seen(at)
        change.user_messages += 1
        change.channel = message.channel or change.channel
        change.min_confidence = _lowest(change.min_confidence, message.lowest_confidence)
        change.fallback_turns += int(message.fallback)
        if not change.preview and message.text.strip() and not message.text.startswith("/"):
            change.preview = message.text.strip()[:PREVIEW_CHARS]
        row = {
            "event_id": event_id, "conversation_id": conversation_id, "at": at,
            "text": message.text, "search_text": message.text.lower(),
            "intent": message.intent, "confidence": message.confidence,
            "faq_key": message.faq_key, "faq_confidence": message.faq_confidence,
            "fallback": message.fallback,
        }
        self.messages.append(row)
        self.awaiting[conversation_id] = row

    def _action(self, event_id: int, conversation_id: str, action: str) -> None:
        row = self.awaiting.pop(conversation_id, None)
        if row is not None:
            if action in FALLBACK_ACTIONS and not row["fallback"]:
                row["fallback"] = True
                self.change(conversation_id).fallback_turns += 1
        elif conversation_id not in self.answered and action in FALLBACK_ACTIONS:
            self.late.append((conversation_id, event_id))
        self.answered.add(conversation_id)

    def write(self, session: Session) -> None:
        """Insert the message rows and apply the summary changes."""
        if self.messages:
            session.execute(insert(MESSAGES), self.messages)
        for conversation_id, action_id in self.late:
            self._late_fallback(session, conversation_id, action_id)
        self._write_summaries(session)

    def _late_fallback(self, session: Session, conversation_id: str, action_id: int) -> None:
        """Mark a stored message whose first action (in this batch) is a fallback."""
        message = session.execute(
            select(MESSAGES.c.event_id, MESSAGES.c.fallback)
            .where(MESSAGES.c.conversation_id == conversation_id,
                   MESSAGES.c.event_id < action_id)
            .order_by(MESSAGES.c.event_id.desc()).limit(1)).first()
        if message is None or message.fallback:
            return
        between = session.scalar(
            select(EVENTS.c.id).where(EVENTS.c.sender_id == conversation_id,
                                      EVENTS.c.id > message.event_id, EVENTS.c.id < action_id,
                                      EVENTS.c.type_name.in_(("action", "user"))).limit(1))
        if between is None:
            session.execute(update(MESSAGES).where(MESSAGES.c.event_id == message.event_id)
                            .values(fallback=True))
            self.change(conversation_id).fallback_turns += 1

    def _write_summaries(self, session: Session) -> None:
        ids = list(self.changes)
        existing: Dict[str, Any] = {}
        for chunk in _chunks(ids):
            for row in session.execute(select(SUMMARIES).where(
                    SUMMARIES.c.conversation_id.in_(chunk))):
                existing[row.conversation_id] = row
        inserts, updates = [], []
        for conversation_id, change in self.changes.items():
            old = existing.get(conversation_id)
            if old is None:
                if change.first_at is not None:
                    inserts.append(_new_row(conversation_id, change))
            else:
                updates.append(_merged_row(old, change))
        if inserts:
            session.execute(insert(SUMMARIES), inserts)
        if updates:
            session.execute(update(SUMMARIES).where(
                SUMMARIES.c.conversation_id == bindparam("b_id")), updates)


def _new_row(conversation_id: str, change: Change) -> Dict[str, Any]:
    return {
        "conversation_id": conversation_id, "channel": change.channel,
        "started_at": change.first_at, "last_message_at": change.last_at,
        "user_messages": change.user_messages, "bot_messages": change.bot_messages,
        "min_confidence": change.min_confidence, "fallback_turns": change.fallback_turns,
        "preview": change.preview,
    }


def _merged_row(old: Any, change: Change) -> Dict[str, Any]:
    fresh = old.user_messages == 0 and old.bot_messages == 0  # reset by a rebuild
    started, last = old.started_at, old.last_message_at
    if change.first_at is not None and change.last_at is not None:
        started = change.first_at if fresh else min(started, change.first_at)
        last = change.last_at if fresh else max(last, change.last_at)
    return {
        "b_id": old.conversation_id, "channel": change.channel or old.channel,
        "started_at": started, "last_message_at": last,
        "user_messages": old.user_messages + change.user_messages,
        "bot_messages": old.bot_messages + change.bot_messages,
        "min_confidence": _lowest(old.min_confidence, change.min_confidence),
        "fallback_turns": old.fallback_turns + change.fallback_turns,
        "preview": old.preview or change.preview,
    }
