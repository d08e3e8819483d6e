"""Storing a check-in's answers, and the staff alert when the pain score got worse.

Which check-in a conversation answers: the id the worker passed with the trigger
(entity ``followup_checkin_id`` -> slot ``checkin_id``), accepted only if that check-in's
follow-up is for this conversation's phone number (SMS conversation ids are E.164 numbers);
without an id, the latest check-in sent to this number. The answers, the alert and its
outbox rows are written in one transaction; answering twice never raises two alerts.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Optional

from sqlalchemy import select
from sqlalchemy.orm import Session

from clinic.db import session_scope
from clinic.followups.schedule import ANSWERED, SENDING, SENT, complete_if_done
from clinic.messages import MessageContext
from clinic.models import FollowUp, FollowUpCheckin, utcnow
from clinic.safety.alerts import raise_alert

PAIN_ALERT_LEVEL = "follow_up"
PAIN_ALERT_CONCEPT = "pain_worse"


@dataclass(frozen=True)
class Recorded:
    """What was stored: the check-in, the previous pain score, and whether pain is worse."""

    checkin_id: int
    previous_pain: Optional[int]
    worse: bool


def find_checkin(session: Session, phone: str, checkin_id: Optional[str]
                 ) -> Optional[FollowUpCheckin]:
    """The check-in this conversation answers (see the module docstring), locked."""
    query = (select(FollowUpCheckin).join(FollowUp).where(FollowUp.phone == phone)
             .with_for_update())
    if checkin_id:
        try:
            query = query.where(FollowUpCheckin.id == int(checkin_id))
        except ValueError:
            return None
    else:
        query = query.where(FollowUpCheckin.status.in_((SENDING, SENT, ANSWERED))) \
            .order_by(FollowUpCheckin.sent_at.desc(), FollowUpCheckin.id.desc()).limit(1)
    return session.execute(query).scalars().first()


def previous_pain(session: Session, checkin: FollowUpCheckin) -> Optional[int]:
    """The pain score of this follow-up's latest earlier check-in that has one."""
    score = session.execute(
        select(FollowUpCheckin.pain_score)
        .where(FollowUpCheckin.follow_up_id == checkin.follow_up_id,
               FollowUpCheckin.day_offset < checkin.day_offset,
               FollowUpCheckin.pain_score.is_not(None))
        .order_by(FollowUpCheckin.day_offset.desc()).limit(1)
    ).scalar_one_or_none()
    return None if score is None else int(score)


def raise_pain_alert(session: Session, context: MessageContext, checkin: FollowUpCheckin,
                     before: int, now: int) -> None:
    """A staff alert (and its notifications) for a worse pain score, once per check-in."""
    summary = f"day {checkin.day_offset} pain {now}/10, was {before}/10"
    message = replace(context, message_id=f"checkin-{checkin.id}-pain",
                      text=f"Follow-up check-in: {summary}")
    raise_alert(session, message, PAIN_ALERT_LEVEL, [PAIN_ALERT_CONCEPT], [summary])


def record_answers(context: MessageContext, checkin_id: Optional[str], pain: Optional[int],
                   red_flag: Optional[str]) -> Optional[Recorded]:
    """Store the answers on the check-in; None if no check-in matches this conversation."""
    with session_scope() as session:
        checkin = find_checkin(session, context.conversation_id, checkin_id)
        if checkin is None:
            return None
        now = utcnow()
        before = previous_pain(session, checkin)
        if pain is not None:
            checkin.pain_score = pain
        if red_flag is not None:
            checkin.red_flag = red_flag
        if pain is not None or red_flag is not None:
            checkin.answered_at = checkin.answered_at or now
            checkin.sent_at = checkin.sent_at or now
            checkin.status, checkin.claimed_until = ANSWERED, None
        worse = pain is not None and before is not None and pain > before
        if worse:
            raise_pain_alert(session, context, checkin, int(before or 0), int(pain or 0))
        session.flush()
        complete_if_done(session, checkin.follow_up_id)
        return Recorded(int(checkin.id), before, worse)
