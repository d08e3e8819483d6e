"""Answer texts staff can edit: revisions, roll-back, history, and what patients get now.

The newest :class:`AnswerRevision` of a response is its current text (else the domain's text
from ``clinic.content.catalog``); the bot reads them through ``addons.answer_cache``. History is
never rewritten: a roll-back is a new revision copying an older one (0 = the domain's text).
Every edit and roll-back is audited (without any text).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Dict, List, Optional, Tuple

from sqlalchemy import and_, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from clinic import audit
from clinic.content.answer_rules import AnswerError, check_edit, clean, reason_errors
from clinic.content.catalog import Answer, catalog
from clinic.models import AnswerRevision
from clinic.settings import Settings, get_settings

ATTEMPTS = 5  # tries for a free revision number when admins save at the same moment


@dataclass(frozen=True)
class CurrentText:
    """What patients get now: chat and SMS text (None: the chat text, made plain)."""

    chat_text: str
    sms_text: Optional[str]
    revision: int = 0  # 0 = the domain's text
    edited_at: Optional[datetime] = None
    edited_by: str = ""


@dataclass(frozen=True)
class Revision:
    """One revision as shown in the history (detached from the database session)."""

    revision: int
    chat_text: str
    sms_text: Optional[str]
    author: str
    reason: str
    created_at: datetime
    rollback_of: Optional[int]


@dataclass(frozen=True)
class AnswerRow:
    """One line of the answers list."""

    answer: Answer
    revisions: int
    last_edit: Optional[datetime]

    @property
    def last_review(self) -> str:
        """Newest of the metadata's review date and the last edit (ISO date)."""
        return last_review(self.answer, self.last_edit)


def find(name: str) -> Answer:
    """The catalog's answer called ``name``; :class:`AnswerError` if there is none."""
    answer = catalog().answers.get(name)
    if answer is None:
        raise AnswerError(["There is no answer of that name."])
    return answer


def last_review(answer: Answer, last_edit: Optional[datetime]) -> str:
    """The newer of ``metadata.reviewed`` and the date of the newest revision."""
    dates = [d for d in (answer.reviewed, last_edit.date().isoformat() if last_edit else "")
             if d]
    return max(dates) if dates else ""


def latest(session: Session, name: str) -> Optional[AnswerRevision]:
    """The newest revision of a response (None: never edited)."""
    return session.scalars(
        select(AnswerRevision).where(AnswerRevision.response_name == name)
        .order_by(AnswerRevision.revision.desc()).limit(1)
    ).first()


def current(session: Session, name: str) -> CurrentText:
    """The text patients get now for response ``name``."""
    answer = find(name)
    row = latest(session, name)
    if row is None:
        return CurrentText(answer.chat_text, answer.sms_text)
    return CurrentText(row.chat_text, row.sms_text, row.revision, row.created_at, row.author)


def history(session: Session, name: str) -> List[Revision]:
    """Every revision of a response, newest first."""
    return [Revision(r.revision, r.chat_text, r.sms_text, r.author, r.reason, r.created_at,
                     r.rollback_of) for r in session.scalars(
        select(AnswerRevision).where(AnswerRevision.response_name == name)
        .order_by(AnswerRevision.revision.desc()))]


def overview(session: Session, search: str = "") -> List[AnswerRow]:
    """Every answer (FAQ answers first, by title), optionally only those matching ``search``."""
    stats: Dict[str, Tuple[int, datetime]] = {
        name: (count, at) for name, count, at in session.execute(
            select(AnswerRevision.response_name, func.count(AnswerRevision.id),
                   func.max(AnswerRevision.created_at)).group_by(AnswerRevision.response_name))
    }
    needle = search.strip().lower()
    rows = []
    for answer in catalog().answers.values():
        if needle and needle not in answer.title.lower() and needle not in answer.name.lower():
            continue
        count, at = stats.get(answer.name, (0, None))
        rows.append(AnswerRow(answer, count, at))
    rows.sort(key=lambda r: (not r.answer.is_faq, r.answer.title.lower(), r.answer.name))
    return rows


def latest_texts(session: Session) -> Dict[str, Tuple[str, Optional[str]]]:
    """``{response name: (chat text, SMS text)}`` of every edited response (for the bot)."""
    newest = (select(AnswerRevision.response_name, func.max(AnswerRevision.revision).label("top"))
              .group_by(AnswerRevision.response_name).subquery())
    query = select(AnswerRevision.response_name, AnswerRevision.chat_text,
                   AnswerRevision.sms_text).join(newest, and_(
                       AnswerRevision.response_name == newest.c.response_name,
                       AnswerRevision.revision == newest.c.top))
    return {name: (chat, sms) for name, chat, sms in session.execute(query)}


def _next_number(session: Session, name: str) -> int:
    top = session.scalar(select(func.max(AnswerRevision.revision))
                         .where(AnswerRevision.response_name == name))
    return int(top or 0) + 1


def _add(session: Session, name: str, chat_text: str, sms_text: Optional[str], author: str,
         reason: str, rollback_of: Optional[int] = None) -> AnswerRevision:
    """Insert the next revision; a number taken meanwhile by another admin means try again."""
    for attempt in range(1, ATTEMPTS + 1):
        row = AnswerRevision(response_name=name, revision=_next_number(session, name),
                             chat_text=chat_text, sms_text=sms_text, author=author,
                             reason=reason, rollback_of=rollback_of)
        try:
            with session.begin_nested():
                session.add(row)
        except IntegrityError:
            if attempt == ATTEMPTS:
                raise
            continue
        return row
    raise AssertionError("unreachable")


def save_revision(session: Session, name: str, chat_text: str, sms_text: Optional[str],
                  author: str, reason: str, settings: Optional[Settings] = None
                  ) -> AnswerRevision:
    """Save new chat and SMS text for response ``name`` (empty SMS text: use the chat text).

    Raises :class:`AnswerError` (with every problem) if the text cannot be saved.
    """
    answer = find(name)
    chat, sms, why = clean(chat_text), clean(sms_text) or None, clean(reason)
    check_edit(answer, chat, sms, why, settings or get_settings())
    now = current(session, name)
    if (chat, sms) == (now.chat_text, now.sms_text):
        raise AnswerError(["Nothing changed: the chat and SMS text are the current ones."])
    row = _add(session, name, chat, sms, author, why)
    audit.record(session, author, "edit_answer", "answer", name, {"revision": row.revision})
    return row


def rollback(session: Session, name: str, to_revision: int, author: str,
             reason: str) -> AnswerRevision:
    """Make revision ``to_revision`` (0 = the domain's text) current again, as a new revision."""
    answer = find(name)
    if not answer.editable:
        raise AnswerError([f"This answer cannot be edited here: {answer.read_only_reason}"])
    why = clean(reason)
    errors = reason_errors(why)
    if errors:
        raise AnswerError(errors)
    if to_revision == 0:
        chat, sms = answer.chat_text, answer.sms_text
    else:
        old = session.scalars(select(AnswerRevision).where(
            AnswerRevision.response_name == name, AnswerRevision.revision == to_revision)).first()
        if old is None:
            raise AnswerError([f"There is no revision {to_revision} of this answer."])
        chat, sms = old.chat_text, old.sms_text
    now = current(session, name)
    if (chat, sms) == (now.chat_text, now.sms_text):
        raise AnswerError(["That text is already the current one."])
    row = _add(session, name, chat, sms, author, why, rollback_of=to_revision)
    audit.record(session, author, "rollback_answer", "answer", name,
                 {"revision": row.revision, "rollback_of": to_revision})
    return row
