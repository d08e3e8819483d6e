"""The conversation list: filters, full-text search and pages over the transcript index.

Every filter is a condition on ``conversation_index`` (sub-selects on the indexed
``conversation_messages``, ``conversation_tags``, ``staff_alerts`` and
``handoff_requests``), so a page is one counted, ordered, limited query whatever is
combined. Search is a portable, case-insensitive substring match on patient messages.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field, fields, replace
from datetime import date, datetime, time, timedelta
from typing import Any, Dict, List, Mapping, Optional
from urllib.parse import urlencode

from sqlalchemy import exists, func, or_, select
from sqlalchemy.orm import Session

from clinic.models import (
    ConversationMessage,
    ConversationSummary,
    ConversationTag,
    HandoffRequest,
    StaffAlert,
)
from console.paging import Page, counted

PER_PAGE = 25
MAX_PER_PAGE = 100
MAX_PAGE = 100_000
MAX_SEARCH = 200
NAME = re.compile(r"[\w./:-]{1,96}")  # channel names, intents, faq/<key>
TAG = re.compile(r"[\w\- ]{1,40}")
FLAGS = ("low", "fallback", "alert", "handoff")
REVIEWED = {"": None, "yes": True, "no": False}


class BadFilter(ValueError):
    """A filter value that makes no sense; the message says which and why."""


@dataclass(frozen=True)
class ConversationFilter:
    """What the list shows: every field optional; ``page`` counts from 1."""

    channel: str = ""
    date_from: Optional[date] = None
    date_to: Optional[date] = None  # inclusive
    topic: str = ""  # an intent or an FAQ key (faq/<key>)
    low: bool = False  # a patient message below ``threshold``
    threshold: float = 0.6
    fallback: bool = False
    alert: bool = False  # a red-flag staff alert
    handoff: bool = False
    reviewed: Optional[bool] = None
    tag: str = ""
    q: str = ""  # words in a patient message
    page: int = 1
    per_page: int = PER_PAGE

    @classmethod
    def from_query(cls, query: Mapping[str, str], threshold: float = 0.6) -> ConversationFilter:
        """Read the list's GET parameters; raises :class:`BadFilter` for nonsense."""
        value = {key: str(query.get(key, "")).strip() for key in (
            "channel", "from", "to", "topic", "threshold", "reviewed", "tag", "q", "page",
            "per_page")}
        for key in ("channel", "topic"):
            if value[key] and not NAME.fullmatch(value[key]):
                raise BadFilter(f"Unknown {key}: use letters, digits and / . _ - only.")
        if value["tag"]:
            value["tag"] = normalise_tag(value["tag"])
        if value["reviewed"] not in REVIEWED:
            raise BadFilter("Reviewed must be yes, no or empty.")
        if len(value["q"]) > MAX_SEARCH:
            raise BadFilter(f"Search for at most {MAX_SEARCH} characters.")
        made = cls(
            channel=value["channel"], topic=value["topic"], tag=value["tag"],
            date_from=_date(value["from"], "From"), date_to=_date(value["to"], "To"),
            threshold=_number(value["threshold"], threshold, 0.0, 1.0, "Threshold", float),
            reviewed=REVIEWED[value["reviewed"]], q=" ".join(value["q"].split()),
            page=int(_number(value["page"], 1, 1, MAX_PAGE, "Page", int)),
            per_page=int(_number(value["per_page"], PER_PAGE, 1, MAX_PER_PAGE, "Per page", int)),
            **{flag: str(query.get(flag, "")) in ("1", "on", "yes", "true") for flag in FLAGS},
        )
        if made.date_from and made.date_to and made.date_from > made.date_to:
            raise BadFilter("The From date is after the To date.")
        return made

    def params(self) -> Dict[str, str]:
        """The GET parameters of this filter (empty values left out)."""
        params = {
            "channel": self.channel, "topic": self.topic, "tag": self.tag, "q": self.q,
            "from": self.date_from.isoformat() if self.date_from else "",
            "to": self.date_to.isoformat() if self.date_to else "",
            "reviewed": {None: "", True: "yes", False: "no"}[self.reviewed],
            "threshold": f"{self.threshold:g}" if self.low else "",
            "page": str(self.page) if self.page != 1 else "",
            "per_page": str(self.per_page) if self.per_page != PER_PAGE else "",
        }
        params.update({flag: "1" if getattr(self, flag) else "" for flag in FLAGS})
        return {key: value for key, value in params.items() if value}

    def query_string(self, **changes: Any) -> str:
        """``params`` with ``changes`` applied, URL-encoded (for links that keep filters)."""
        return urlencode(replace(self, **changes).params())

    @property
    def active(self) -> bool:
        """Whether anything narrows the list."""
        return bool(replace(self, page=1, per_page=PER_PAGE).params())


def normalise_tag(tag: str) -> str:
    """A tag as stored (lower case, single spaces); raises :class:`BadFilter` if invalid."""
    tag = " ".join((tag or "").split()).lower()
    if not TAG.fullmatch(tag):
        raise BadFilter("A tag is 1-40 letters, digits, spaces, - or _.")
    return tag


def _date(text: str, label: str) -> Optional[date]:
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise BadFilter(f"{label} must be a date like 2026-11-21.") from None


def _number(text: str, default: float, low: float, high: float, label: str,
            kind: type) -> float:
    if not text:
        return default
    try:
        number = kind(text)
    except ValueError:
        raise BadFilter(f"{label} must be a number.") from None
    if not low <= number <= high or math.isnan(number):
        raise BadFilter(f"{label} must be between {low:g} and {high:g}.")
    return float(number)


def like_pattern(text: str) -> str:
    """``%text%`` for ``LIKE ... ESCAPE`` backslash, with ``%``, ``_``, backslash literal."""
    escaped = text.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def conditions(flt: ConversationFilter) -> List[Any]:
    """SQL conditions on ``conversation_index`` for ``flt``."""
    s, m = ConversationSummary, ConversationMessage
    where: List[Any] = []
    if flt.channel:
        where.append(s.channel == flt.channel)
    if flt.date_from:
        where.append(s.last_message_at >= datetime.combine(flt.date_from, time()))
    if flt.date_to:
        where.append(s.started_at < datetime.combine(flt.date_to + timedelta(days=1), time()))
    if flt.topic:
        where.append(s.conversation_id.in_(select(m.conversation_id).where(
            or_(m.intent == flt.topic, m.faq_key == flt.topic))))
    if flt.low:
        where.append(s.min_confidence < flt.threshold)
    if flt.fallback:
        where.append(s.fallback_turns > 0)
    if flt.alert:
        where.append(exists().where(StaffAlert.conversation_id == s.conversation_id))
    if flt.handoff:
        where.append(exists().where(HandoffRequest.conversation_id == s.conversation_id))
    if flt.reviewed is not None:
        where.append(s.reviewed_at.isnot(None) if flt.reviewed else s.reviewed_at.is_(None))
    if flt.tag:
        where.append(s.conversation_id.in_(select(ConversationTag.conversation_id).where(
            ConversationTag.tag == flt.tag)))
    if flt.q:
        where.append(s.conversation_id.in_(select(m.conversation_id).where(
            m.search_text.like(like_pattern(flt.q), escape="\\"))))
    return where


@dataclass(frozen=True)
class Summary:
    """A ``conversation_index`` row, detached from the session."""

    conversation_id: str
    channel: str
    started_at: datetime
    last_message_at: datetime
    user_messages: int
    bot_messages: int
    min_confidence: Optional[float]
    fallback_turns: int
    preview: str
    reviewed_at: Optional[datetime]
    reviewed_by: Optional[str]

    @classmethod
    def columns(cls) -> List[Any]:
        """The columns to select for it."""
        return [getattr(ConversationSummary, f.name) for f in fields(cls)]


def summary(session: Session, conversation_id: str) -> Optional[Summary]:
    """The indexed summary of one conversation."""
    row = session.execute(select(*Summary.columns()).where(
        ConversationSummary.conversation_id == conversation_id)).first()
    return Summary(**row._mapping) if row else None


@dataclass
class Listed:
    """One row of the list (the template masks preview and id)."""

    summary: Summary
    alert: bool = False
    handoff: bool = False
    tags: List[str] = field(default_factory=list)
    low: bool = False


def list_conversations(session: Session, flt: ConversationFilter) -> Page[Listed]:
    """The page ``flt.page`` of conversations matching ``flt``, newest activity first.

    A page past the end is empty (its pager links back to the last one).
    """
    s = ConversationSummary
    where = conditions(flt)
    total = int(session.scalar(select(func.count()).select_from(s).where(*where)) or 0)

    def fetch(offset: int, limit: int) -> List[Listed]:
        query = (select(*Summary.columns()).where(*where)
                 .order_by(s.last_message_at.desc(), s.conversation_id.desc())
                 .limit(limit).offset(offset))
        return _listed(session, [Summary(**row._mapping) for row in session.execute(query)],
                       flt.threshold)

    return counted(total, flt.page, flt.per_page, fetch, clamp=False)


def _listed(session: Session, summaries: List[Summary], threshold: float) -> List[Listed]:
    """The rows of a page: each summary with its alert, hand-off and tags."""
    ids = [row.conversation_id for row in summaries]
    alerts = _ids_in(session, StaffAlert.conversation_id, ids)
    handoffs = _ids_in(session, HandoffRequest.conversation_id, ids)
    tags: Dict[str, List[str]] = {}
    if ids:
        for cid, tag in session.execute(
                select(ConversationTag.conversation_id, ConversationTag.tag)
                .where(ConversationTag.conversation_id.in_(ids)).order_by(ConversationTag.tag)):
            tags.setdefault(cid, []).append(tag)
    return [Listed(row, row.conversation_id in alerts, row.conversation_id in handoffs,
                   tags.get(row.conversation_id, []),
                   row.min_confidence is not None and row.min_confidence < threshold)
            for row in summaries]


def _ids_in(session: Session, column: Any, ids: List[str]) -> set:
    if not ids:
        return set()
    return set(session.scalars(select(column).where(column.in_(ids)).distinct()))


def channels(session: Session) -> List[str]:
    """The channels conversations came in on (for the filter form)."""
    return [c for c in session.scalars(select(ConversationSummary.channel).distinct()
                                       .order_by(ConversationSummary.channel)) if c]
