"""Dashboard numbers (database work): conversations, topics, fallback rate and alerts per day.

Read from the console's conversation index (``conversation_index`` and
``conversation_messages``, filled from Rasa's events) and the assistant's queue tables.
Days are UTC calendar days, the newest being today.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any, Dict, List, Optional, Tuple

from sqlalchemy import and_, case, func, select
from sqlalchemy.orm import Session

from clinic.models import (
    AppointmentRequest,
    ConversationMessage,
    ConversationSummary,
    HandoffRequest,
    StaffAlert,
    utcnow,
)

RANGES = (7, 30, 90)
LEVELS = ("crisis", "emergency", "urgent", "follow_up")
TOP_TOPICS = 10


@dataclass
class Numbers:
    """Everything the dashboard shows for one date range."""

    days: List[date]
    conversations: Dict[date, int] = field(default_factory=dict)
    messages: Dict[date, Tuple[int, int]] = field(default_factory=dict)  # (fallback, all)
    topics: List[Tuple[str, int]] = field(default_factory=list)  # label, messages
    alerts: Dict[str, Dict[date, int]] = field(default_factory=dict)  # level -> day -> n
    handoffs: int = 0
    appointments: int = 0

    @property
    def empty(self) -> bool:
        """No conversation, message or alert in the range."""
        return not (self.conversations or self.messages or any(self.alerts.values()))

    def rate(self, day: date) -> Optional[float]:
        """Percentage of the day's patient messages that fell back (None: no messages)."""
        fallback, whole = self.messages.get(day, (0, 0))
        return 100.0 * fallback / whole if whole else None


def day_range(days: int, today: Optional[date] = None) -> List[date]:
    """The last ``days`` UTC days, oldest first, ending today."""
    last = today or utcnow().date()
    return [last - timedelta(days=days - 1 - i) for i in range(days)]


def _day(value: Any) -> date:
    """A ``date()`` SQL result as a date (SQLite gives text, PostgreSQL a date)."""
    return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])


Span = Tuple[datetime, datetime]  # from (inclusive), until (exclusive)


def _within(column: Any, span: Span) -> Any:
    return and_(column >= span[0], column < span[1])


def _per_day(session: Session, column: Any, span: Span, *extra: Any) -> List[Any]:
    day = func.date(column)
    return list(session.execute(select(day, *extra).where(_within(column, span))
                                .group_by(day).order_by(day)))


def topic_counts(session: Session, span: Span, limit: int = TOP_TOPICS
                 ) -> List[Tuple[str, int]]:
    """The commonest FAQ keys (or intents, for other messages) of patient messages."""
    topic = func.coalesce(ConversationMessage.faq_key, ConversationMessage.intent)
    found = session.execute(
        select(topic, func.count())
        .where(_within(ConversationMessage.at, span), topic.isnot(None))
        .group_by(topic).order_by(func.count().desc(), topic).limit(limit))
    return [(str(name), int(count)) for name, count in found]


def load(session: Session, days: int, today: Optional[date] = None) -> Numbers:
    """The dashboard's numbers for the last ``days`` days."""
    numbers = Numbers(day_range(days, today))
    span = (datetime.combine(numbers.days[0], time.min),
            datetime.combine(numbers.days[-1] + timedelta(days=1), time.min))
    for day, count in _per_day(session, ConversationSummary.started_at, span, func.count()):
        numbers.conversations[_day(day)] = int(count)
    fallback = func.sum(case((ConversationMessage.fallback.is_(True), 1), else_=0))
    for day, fell_back, count in _per_day(session, ConversationMessage.at, span, fallback,
                                          func.count()):
        numbers.messages[_day(day)] = (int(fell_back or 0), int(count))
    numbers.topics = topic_counts(session, span)
    numbers.alerts = {level: {} for level in LEVELS}
    alert_day = func.date(StaffAlert.created_at)
    for day, level, count in session.execute(
            select(alert_day, StaffAlert.level, func.count())
            .where(_within(StaffAlert.created_at, span)).group_by(alert_day, StaffAlert.level)):
        numbers.alerts.setdefault(str(level), {})[_day(day)] = int(count)
    for model, name in ((HandoffRequest, "handoffs"), (AppointmentRequest, "appointments")):
        setattr(numbers, name, int(session.scalar(
            select(func.count()).select_from(model).where(_within(model.created_at, span))) or 0))
    return numbers
