"""Annotations: staff say what a patient message meant (the right intent or FAQ key).

The message is read from Rasa's ``events`` table (a ``user`` event of the conversation);
the label is stored in ``annotations`` (one row per message: annotating again updates it).
``clinic.review.training_export`` turns the rows into NLU training data.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Dict, Iterable, List, Mapping, Optional, Sequence, Tuple

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from clinic import audit
from clinic.content.catalog import NOT_TYPED, catalog
from clinic.models import Annotation, utcnow
from clinic.review.rasa_events import EVENTS, event_data
from console.paging import Page, counted

AS_IS = "__as_is__"  # the form's "correct as is": the label is what the assistant understood
PER_PAGE = 50


class AnnotationError(ValueError):
    """The message can't be annotated (``status``: 404 unknown message, 400 otherwise)."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class PatientMessage:
    """A ``user`` event as the console annotates it."""

    event_id: int
    conversation_id: str
    text: str
    predicted: Optional[str]  # intent, or faq/<key>


@dataclass(frozen=True)
class Annotated:
    """An annotation as pages show it (a plain copy, usable after the transaction)."""

    id: int
    event_id: int
    conversation_id: str
    text: str
    predicted: Optional[str]
    label: str
    correct_as_is: bool
    author: str
    created_at: datetime
    updated_at: datetime
    exported_at: Optional[datetime]

    @classmethod
    def of(cls, row: Annotation) -> Annotated:
        """Copy a row."""
        return cls(int(row.id), int(row.event_id), str(row.conversation_id), str(row.text),
                   row.predicted, str(row.label), bool(row.correct_as_is), str(row.author),
                   row.created_at, row.updated_at, row.exported_at)


def predicted_label(parse_data: Mapping[str, Any]) -> Optional[str]:
    """What the assistant understood: the intent, or ``faq/<key>`` for FAQ questions."""
    intent = (parse_data.get("intent") or {}).get("name")
    if intent != "faq":
        return str(intent) if intent else None
    selector = ((parse_data.get("response_selector") or {}).get("faq") or {})
    key = (selector.get("response") or {}).get("intent_response_key")
    return str(key) if key else "faq"


def read_message(session: Session, event_id: int, conversation_id: str) -> PatientMessage:
    """The patient message ``event_id`` of ``conversation_id``, if it can be annotated."""
    row = session.execute(
        select(EVENTS.c.sender_id, EVENTS.c.type_name, EVENTS.c.data)
        .where(EVENTS.c.id == event_id)
    ).first()
    if row is None or row.sender_id != conversation_id:
        raise AnnotationError("No such message in this conversation.", 404)
    if row.type_name != "user":
        raise AnnotationError("Only patient messages can be annotated.")
    data = event_data(row.data)
    text = str(data.get("text") or "").strip()
    if not text:
        raise AnnotationError("This message is empty.")
    if text.startswith("/"):
        raise AnnotationError("Button presses can't be annotated.")
    predicted = (predicted_label(data.get("parse_data") or {}) or "")[:96] or None
    if predicted and predicted.startswith(NOT_TYPED):
        raise AnnotationError("Messages sent by the system can't be annotated.")
    return PatientMessage(event_id, conversation_id, text, predicted)


def label_groups() -> List[Tuple[str, List[Tuple[str, str]]]]:
    """The labels to choose from, as (group, [(label, text shown)]) for a ``<select>``."""
    found = catalog()
    intents = [(label, label) for label in found.labels if not label.startswith("faq/")]
    answers = []
    for label in found.faq_labels:
        answer = found.answer_for_label(label)
        answers.append((label, f"{label} ({answer.title})" if answer else label))
    return [("Intents", intents), ("FAQ answers", answers)]


def annotate(session: Session, event_id: int, conversation_id: str, label: str,
             author: str, labels: Optional[Sequence[str]] = None) -> Annotated:
    """Label a patient message (``AS_IS``: what the assistant understood was right).

    Annotating a message again replaces its label. ``labels`` defaults to the catalog's.
    """
    known = catalog().labels if labels is None else labels
    message = read_message(session, event_id, conversation_id)
    as_is = label == AS_IS
    if as_is:
        if message.predicted not in known:
            raise AnnotationError("The assistant did not understand this message as any "
                                  "intent or answer: choose the right one.")
        label = str(message.predicted)
    elif label not in known:
        raise AnnotationError("Unknown intent or answer.")
    row = _upsert(session, message, label, as_is, author)
    audit.record(session, author, "annotate", "event", str(event_id),
                 {"label": label, "as_is": as_is, "predicted": message.predicted})
    return row


def _upsert(session: Session, message: PatientMessage, label: str, as_is: bool,
            author: str) -> Annotated:
    """Insert or update the row of ``message.event_id`` in one statement (race-safe).

    A changed label is no longer what the last export wrote, so ``exported_at`` is cleared.
    """
    now = utcnow()
    values: Dict[str, Any] = dict(
        event_id=message.event_id, conversation_id=message.conversation_id,
        text=message.text, predicted=message.predicted, label=label, correct_as_is=as_is,
        author=author, created_at=now, updated_at=now, exported_at=None)
    changes: Dict[str, Any] = {key: values[key] for key in (
        "label", "correct_as_is", "author", "predicted", "updated_at")}
    changes["exported_at"] = case((Annotation.label == label, Annotation.exported_at),
                                  else_=None)
    dialect = session.get_bind().dialect.name
    if dialect in ("sqlite", "postgresql"):
        if dialect == "sqlite":
            from sqlalchemy.dialects.sqlite import insert
        else:
            from sqlalchemy.dialects.postgresql import insert  # type: ignore[assignment]
        statement = insert(Annotation).values(**values)
        session.execute(statement.on_conflict_do_update(index_elements=["event_id"],
                                                        set_=changes))
    else:  # other databases: read, then write (the unique key refuses a racing 2nd row)
        existing = session.scalar(select(Annotation)
                                  .where(Annotation.event_id == message.event_id))
        if existing is None:
            session.add(Annotation(**values))
        else:
            if existing.label != label:
                existing.exported_at = None
            for key in ("label", "correct_as_is", "author", "predicted", "updated_at"):
                setattr(existing, key, values[key])
        session.flush()
    session.expire_all()
    row = session.scalar(select(Annotation).where(Annotation.event_id == message.event_id))
    assert row is not None
    return Annotated.of(row)


def remove(session: Session, annotation_id: int, author: str) -> Optional[Annotated]:
    """Delete an annotation (undo); returns what was removed, or None if there was none.

    An exported example leaves the reviewed-data file at the next export.
    """
    row = session.get(Annotation, annotation_id)
    if row is None:
        return None
    removed = Annotated.of(row)
    session.delete(row)
    session.flush()
    audit.record(session, author, "delete_annotation", "event", str(removed.event_id),
                 {"label": removed.label, "was_exported": removed.exported_at is not None})
    return removed


def for_events(session: Session, event_ids: Iterable[int]) -> Dict[int, Annotated]:
    """The annotations of these messages, by event id (for the conversation view)."""
    ids = sorted(set(event_ids))
    if not ids:
        return {}
    rows = session.scalars(select(Annotation).where(Annotation.event_id.in_(ids)))
    return {int(row.event_id): Annotated.of(row) for row in rows}


def list_annotations(session: Session, label: str = "", exported: Optional[bool] = None,
                     author: str = "", page: int = 1, per_page: int = PER_PAGE
                     ) -> Page[Annotated]:
    """Newest first, filtered by label, exported or not, and author."""
    query = select(Annotation)
    if label:
        query = query.where(Annotation.label == label)
    if exported is not None:
        query = query.where(Annotation.exported_at.isnot(None) if exported
                            else Annotation.exported_at.is_(None))
    if author:
        query = query.where(Annotation.author == author)
    total = int(session.scalar(select(func.count()).select_from(query.subquery())) or 0)

    def fetch(offset: int, limit: int) -> List[Annotated]:
        rows = session.scalars(query.order_by(Annotation.updated_at.desc(),
                                              Annotation.id.desc()).limit(limit).offset(offset))
        return [Annotated.of(row) for row in rows]

    return counted(total, page, per_page, fetch)


def authors(session: Session) -> List[str]:
    """Everyone who has annotated (for the list's filter)."""
    return list(session.scalars(select(Annotation.author).distinct().order_by(
        Annotation.author)))
