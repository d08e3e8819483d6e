"""One conversation in full: every stored event in order, with staff records inline.

The events come straight from Rasa's ``events`` table (the index only serves the list);
alerts, hand-offs and appointment requests are shown at the patient message that raised
them (same message id), or else where their time falls. Review marks and tags are staff
work on the conversation; each change is audited.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Dict, List, Optional, Tuple

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from clinic import audit
from clinic.models import (
    Annotation,
    AppointmentRequest,
    ConversationSummary,
    ConversationTag,
    HandoffRequest,
    StaffAlert,
    utcnow,
)
from clinic.review.events import EVENTS, FALLBACK_ACTIONS, load, patient_message, when
from clinic.vocabulary import STAFF_REPLY_KEY
from console.conversations.transcripts import Summary, normalise_tag, summary

MAX_EVENTS = 20_000  # a runaway conversation still opens

# Bookkeeping events that say nothing to a reviewer.
QUIET_EVENTS = ("user_featurization",)
QUIET_ACTIONS = {"action_listen", "action_session_start"}


@dataclass
class Record:
    """An alert, hand-off or appointment request raised in the conversation."""

    kind: str  # alert | handoff | appointment
    id: int
    at: datetime
    status: str
    summary: str  # level / reason / reference, never the message text
    message_id: str = ""  # the patient message that raised it, if known


@dataclass(frozen=True)
class Label:
    """A reviewer's annotation of a patient message (written by the annotation pages)."""

    label: str
    correct_as_is: bool
    author: str


@dataclass
class Turn:
    """One event as the view shows it."""

    event_id: int
    kind: str  # patient | bot | staff | slot | session | form | action | pause | resume | ...
    at: datetime
    text: str = ""
    name: str = ""  # response, action, slot or form name
    value: str = ""  # slot value
    intent: Optional[str] = None
    confidence: Optional[float] = None
    faq_key: Optional[str] = None
    faq_confidence: Optional[float] = None
    guess: Optional[str] = None
    fallback: bool = False
    channel: str = ""
    message_id: str = ""
    buttons: List[str] = field(default_factory=list)
    records: List[Record] = field(default_factory=list)
    annotation: Optional[Label] = None

    @property
    def predicted(self) -> Optional[str]:
        """What was understood: the FAQ key for FAQ questions, else the intent."""
        return self.faq_key or self.intent


@dataclass
class Conversation:
    """Everything the conversation view shows."""

    conversation_id: str
    summary: Optional[Summary]
    turns: List[Turn]
    tags: List[str]
    truncated: bool = False


def _turn(event_id: int, kind: str, at: datetime, data: Dict[str, Any],
          last_action: str) -> Optional[Turn]:
    if kind == "user":
        message = patient_message(data)
        if message is None:
            return Turn(event_id, "system", at, name=str(data.get("text") or ""))
        return Turn(event_id, "patient", at, text=message.text, intent=message.intent,
                    confidence=message.confidence, faq_key=message.faq_key,
                    faq_confidence=message.faq_confidence, guess=message.guess,
                    fallback=message.fallback, channel=message.channel,
                    message_id=message.message_id)
    if kind == "bot":
        metadata = data.get("metadata") or {}
        buttons = [str(b.get("title") or "") for b in (data.get("data") or {}).get("buttons")
                   or () if isinstance(b, dict)]
        if metadata.get(STAFF_REPLY_KEY):
            return Turn(event_id, "staff", at, text=str(data.get("text") or ""),
                        name=str(metadata.get("staff") or ""))
        return Turn(event_id, "bot", at, text=str(data.get("text") or ""), buttons=buttons,
                    name=str(metadata.get("utter_action") or last_action))
    if kind == "slot":
        return Turn(event_id, "slot", at, name=str(data.get("name") or ""),
                    value="" if data.get("value") is None else str(data.get("value")))
    if kind in ("active_loop", "loop"):
        return Turn(event_id, "form", at, name=str(data.get("name") or ""))
    if kind == "action":
        name = str(data.get("name") or "")
        return None if name in QUIET_ACTIONS or name.startswith("utter_") else Turn(
            event_id, "action", at, name=name)
    return None if kind in QUIET_EVENTS else Turn(event_id, kind, at)


def _turns(session: Session, conversation_id: str) -> Tuple[List[Turn], bool]:
    """The conversation's turns, and whether ``MAX_EVENTS`` cut them short."""
    turns: List[Turn] = []
    last_action, awaiting, count = "", None, 0
    rows = session.execute(
        select(EVENTS.c.id, EVENTS.c.type_name, EVENTS.c.timestamp, EVENTS.c.data)
        .where(EVENTS.c.sender_id == conversation_id).order_by(EVENTS.c.id).limit(MAX_EVENTS))
    for row in rows:
        count += 1
        data = load(row.data)
        turn = _turn(row.id, row.type_name, when(row.timestamp), data, last_action)
        if row.type_name == "action":
            last_action = str(data.get("name") or "")
            if awaiting is not None and last_action in FALLBACK_ACTIONS:
                awaiting.fallback = True
            awaiting = None
        elif row.type_name == "user":
            awaiting = turn if turn is not None and turn.kind == "patient" else None
        if turn is not None:
            turns.append(turn)
    return turns, count >= MAX_EVENTS


def _records(session: Session, conversation_id: str) -> List[Record]:
    records: List[Record] = []
    for alert in session.scalars(select(StaffAlert).where(
            StaffAlert.conversation_id == conversation_id)):
        records.append(Record("alert", alert.id, alert.created_at, alert.status,
                              f"{alert.level} red flag", alert.message_id))
    for handoff in session.scalars(select(HandoffRequest).where(
            HandoffRequest.conversation_id == conversation_id)):
        records.append(Record("handoff", handoff.id, handoff.created_at, handoff.status,
                              f"hand-off ({handoff.reason.replace('_', ' ')})",
                              handoff.message_id))
    for request in session.scalars(select(AppointmentRequest).where(
            AppointmentRequest.conversation_id == conversation_id)):
        records.append(Record("appointment", request.id, request.created_at, request.status,
                              f"appointment request {request.reference}"))
    return sorted(records, key=lambda r: r.at)


def _place(turns: List[Turn], records: List[Record]) -> List[Record]:
    """Attach records to their turns; returns those raised before any turn."""
    by_message = {t.message_id: t for t in turns if t.kind == "patient" and t.message_id}
    times = [t.at for t in turns]
    unplaced = []
    for record in records:
        turn = by_message.get(record.message_id) if record.message_id else None
        if turn is None:
            position = bisect.bisect_right(times, record.at) - 1
            turn = turns[position] if position >= 0 else None
        if turn is None:
            unplaced.append(record)
        else:
            turn.records.append(record)
    return unplaced


def load_conversation(session: Session, conversation_id: str) -> Optional[Conversation]:
    """The conversation, or None if no event of it is stored."""
    indexed = summary(session, conversation_id)
    turns, truncated = _turns(session, conversation_id)
    if not turns and indexed is None:
        return None
    unplaced = _records(session, conversation_id)
    unplaced = _place(turns, unplaced)
    if unplaced and turns:
        turns[0].records.extend(unplaced)
    annotations = {a.event_id: Label(a.label, a.correct_as_is, a.author) for a in
                   session.scalars(select(Annotation).where(
                       Annotation.conversation_id == conversation_id))}
    for turn in turns:
        turn.annotation = annotations.get(turn.event_id)
    return Conversation(conversation_id, indexed, turns, tags(session, conversation_id),
                        truncated=truncated)


def tags(session: Session, conversation_id: str) -> List[str]:
    """The conversation's tags, sorted."""
    return list(session.scalars(select(ConversationTag.tag).where(
        ConversationTag.conversation_id == conversation_id).order_by(ConversationTag.tag)))


def view(session: Session, conversation_id: str, username: str) -> Optional[Conversation]:
    """Load the conversation for ``username`` and audit the view."""
    conversation = load_conversation(session, conversation_id)
    if conversation is not None:
        audit.record(session, username, "view_conversation", "conversation", conversation_id,
                     {"events": len(conversation.turns)})
    return conversation


def set_reviewed(session: Session, conversation_id: str, username: str,
                 reviewed: bool) -> bool:
    """Mark (or unmark) the conversation reviewed; False if it is not in the index."""
    summary = session.get(ConversationSummary, conversation_id)
    if summary is None:
        return False
    summary.reviewed_at, summary.reviewed_by = (utcnow(), username) if reviewed else (None, None)
    audit.record(session, username, "mark_reviewed" if reviewed else "unmark_reviewed",
                 "conversation", conversation_id)
    return True


def add_tag(session: Session, conversation_id: str, tag: str, username: str) -> str:
    """Tag the conversation (raises ``BadFilter`` for an invalid tag); returns the tag."""
    tag = normalise_tag(tag)
    if tag not in tags(session, conversation_id):
        session.add(ConversationTag(conversation_id=conversation_id, tag=tag,
                                    created_by=username))
        audit.record(session, username, "add_tag", "conversation", conversation_id,
                     {"tag": tag})
    return tag


def remove_tag(session: Session, conversation_id: str, tag: str, username: str) -> bool:
    """Remove a tag; False if the conversation did not have it."""
    tag = " ".join((tag or "").split()).lower()
    removed = session.execute(delete(ConversationTag).where(
        ConversationTag.conversation_id == conversation_id, ConversationTag.tag == tag))
    if removed.rowcount:
        audit.record(session, username, "remove_tag", "conversation", conversation_id,
                     {"tag": tag})
    return bool(removed.rowcount)
