"""Post-procedure follow-ups: register, cancel and list them; when a check-in may go out.

Staff register a patient's phone, procedure and date (``python -m clinic followup``).
One check-in row per configured day (``FOLLOWUP_DAYS``, default 1, 3, 7) is stored at
once, planned for ``FOLLOWUP_SEND_AT`` patient-local time, so the plan lives in the
database and survives restarts. ``clinic.followups.checkin_sender`` sends due check-ins; here,
:func:`decide` says whether one goes now, waits (quiet hours, caps) or is dropped (opted
out, follow-up cancelled, too late to be useful). Times in the database are naive UTC.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from typing import List, Optional, Sequence
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from clinic.booking.phone import parse_phone
from clinic.db import session_scope
from clinic.models import FollowUp, FollowUpCheckin, utcnow
from clinic.settings import FollowUpSettings, Settings, get_settings

PROCEDURES = ("kyphoplasty", "vertebroplasty")
ACTIVE, CANCELLED, COMPLETED = FollowUp.STATUSES
SCHEDULED, SENDING, SENT, ANSWERED, SKIPPED, FAILED = FollowUpCheckin.STATUSES
OPEN_STATUSES = (SCHEDULED, SENDING)
SEND, DEFER, SKIP = "send", "defer", "skip"


class FollowUpError(ValueError):
    """A follow-up cannot be registered or changed (the message is for staff)."""


class UnknownFollowUp(FollowUpError):
    """No follow-up with that id."""


@dataclass(frozen=True)
class Decision:
    """What to do with a due check-in now: send, defer until ``until``, or skip."""

    action: str
    reason: str = ""
    until: Optional[datetime] = None


def zone_of(name: str) -> ZoneInfo:
    """The IANA time zone ``name``; FollowUpError if unknown."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise FollowUpError(f"Unknown time zone {name!r} (use e.g. America/Chicago).") from exc


def to_utc(local: datetime) -> datetime:
    """An aware local time as naive UTC (what the database stores)."""
    return local.astimezone(timezone.utc).replace(tzinfo=None)


def to_local(naive_utc: datetime, zone: ZoneInfo) -> datetime:
    """A stored naive-UTC time in the patient's zone."""
    return naive_utc.replace(tzinfo=timezone.utc).astimezone(zone)


def next_allowed(now: datetime, zone: ZoneInfo, settings: FollowUpSettings) -> datetime:
    """The earliest time at or after ``now`` outside quiet hours (naive UTC)."""
    local = to_local(now, zone)
    if settings.send_from <= local.time() < settings.send_until:
        return now
    day = local.date() if local.time() < settings.send_from else local.date() + timedelta(1)
    return to_utc(datetime.combine(day, settings.send_from, tzinfo=zone))


def plan(procedure_date: date, zone: ZoneInfo, settings: FollowUpSettings) -> List[datetime]:
    """When each check-in is planned (naive UTC), in ``settings.day_offsets`` order."""
    send_at = min(max(settings.send_at, settings.send_from),
                  (datetime.combine(date.min, settings.send_until) - timedelta(minutes=1)).time())
    return [to_utc(datetime.combine(procedure_date + timedelta(days=day), send_at, tzinfo=zone))
            for day in settings.day_offsets]


def cap_deferral(now: datetime, zone: ZoneInfo, sent: Sequence[datetime],
                 settings: FollowUpSettings) -> Optional[Decision]:
    """A deferral if the patient already had their daily or weekly check-ins, else None."""
    today = to_local(now, zone).date()
    if sum(to_local(t, zone).date() == today for t in sent) >= settings.max_per_day:
        tomorrow = datetime.combine(today + timedelta(days=1), time(0, 0), tzinfo=zone)
        return Decision(DEFER, "daily_cap", next_allowed(to_utc(tomorrow), zone, settings))
    week = sorted(t for t in sent if t > now - timedelta(days=7))
    if len(week) >= settings.max_per_week:
        frees_up = week[len(week) - settings.max_per_week] + timedelta(days=7, seconds=1)
        return Decision(DEFER, "weekly_cap", next_allowed(frees_up, zone, settings))
    return None


def decide(now: datetime, checkin: FollowUpCheckin, follow_up: FollowUp, may_text: bool,
           sent: Sequence[datetime], settings: FollowUpSettings) -> Decision:
    """Send, defer or skip a due check-in. ``sent``: this phone's check-ins already out."""
    if follow_up.status != ACTIVE:
        return Decision(SKIP, "follow_up_" + str(follow_up.status))
    if not may_text:
        return Decision(SKIP, "opted_out")
    if now - checkin.scheduled_at > timedelta(hours=settings.stale_hours):
        return Decision(SKIP, "stale")
    zone = zone_of(follow_up.timezone)
    allowed = next_allowed(now, zone, settings)
    if allowed > now:
        return Decision(DEFER, "quiet_hours", allowed)
    return cap_deferral(now, zone, sent, settings) or Decision(SEND)


def register(phone: str, procedure: str, procedure_date: date, created_by: str,
             timezone_name: Optional[str] = None, settings: Optional[Settings] = None) -> int:
    """Store a follow-up and its planned check-ins; returns the follow-up id."""
    settings = settings or get_settings()
    number = parse_phone(phone, settings.scheduling.phone_region,
                         settings.scheduling.phone_regions)
    if number.e164 is None:
        raise FollowUpError(f"Not a phone number we can text ({number.error}).")
    procedure = procedure.strip().lower()
    if procedure not in PROCEDURES:
        raise FollowUpError(f"Procedure must be one of {', '.join(PROCEDURES)}.")
    zone_name = timezone_name or settings.followups.default_timezone
    zone = zone_of(zone_name)
    if procedure_date < date.today() - timedelta(days=max(settings.followups.day_offsets)):
        raise FollowUpError("Every check-in for that date is already in the past.")
    with session_scope() as session:
        duplicate = session.execute(select(FollowUp.id).where(
            FollowUp.phone == number.e164, FollowUp.procedure == procedure,
            FollowUp.procedure_date == procedure_date, FollowUp.status == ACTIVE,
        )).scalar_one_or_none()
        if duplicate is not None:
            raise FollowUpError(f"Already registered as follow-up #{duplicate}.")
        follow_up = FollowUp(phone=number.e164, procedure=procedure,
                             procedure_date=procedure_date, timezone=zone_name,
                             status=ACTIVE, created_by=created_by)
        session.add(follow_up)
        session.flush()
        for day, planned in zip(settings.followups.day_offsets,
                                plan(procedure_date, zone, settings.followups), strict=True):
            session.add(FollowUpCheckin(follow_up_id=follow_up.id, day_offset=day,
                                        scheduled_at=planned, due_at=planned,
                                        status=SCHEDULED, attempts=0))
        return int(follow_up.id)


def cancel_follow_up(session: Session, follow_up_id: int) -> int:
    """Cancel an active follow-up in ``session``; its check-ins not yet sent are skipped.

    Returns how many were skipped; FollowUpError if unknown or no longer active.
    """
    follow_up = session.get(FollowUp, follow_up_id)
    if follow_up is None:
        raise UnknownFollowUp(f"No follow-up #{follow_up_id}.")
    if follow_up.status != ACTIVE:
        raise FollowUpError(f"Follow-up #{follow_up_id} is already {follow_up.status}.")
    follow_up.status = CANCELLED
    result = session.execute(
        update(FollowUpCheckin)
        .where(FollowUpCheckin.follow_up_id == follow_up_id,
               FollowUpCheckin.status == SCHEDULED)
        .values(status=SKIPPED, last_error="follow_up_cancelled", claimed_until=None)
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount or 0)


def cancel(follow_up_id: int) -> int:
    """Cancel a follow-up; its check-ins not yet sent are skipped. Returns how many."""
    with session_scope() as session:
        return cancel_follow_up(session, follow_up_id)


def complete_if_done(session: Session, follow_up_id: int) -> None:
    """Mark an active follow-up completed once none of its check-ins is still to send."""
    open_left = session.execute(
        select(FollowUpCheckin.id).where(FollowUpCheckin.follow_up_id == follow_up_id,
                                         FollowUpCheckin.status.in_(OPEN_STATUSES)).limit(1)
    ).first()
    if open_left is None:
        session.execute(
            update(FollowUp).where(FollowUp.id == follow_up_id, FollowUp.status == ACTIVE)
            .values(status=COMPLETED, updated_at=utcnow())
            .execution_options(synchronize_session=False)
        )


def describe(checkin: FollowUpCheckin) -> str:
    """One check-in in a listing: day, status, when, answers."""
    text = f"day {checkin.day_offset} {checkin.status}"
    if checkin.status in OPEN_STATUSES:
        text += f" {checkin.due_at:%Y-%m-%d %H:%M}Z"
    if checkin.pain_score is not None:
        text += f" pain {checkin.pain_score}/10"
    if checkin.red_flag:
        text += f" red flag {checkin.red_flag}"
    if checkin.status in (SKIPPED, FAILED) and checkin.last_error:
        text += f" ({checkin.last_error})"
    return text


def listing(show_all: bool = False) -> List[str]:
    """Follow-ups (active ones, or all), newest first, with their check-ins."""
    query = select(FollowUp).order_by(FollowUp.created_at.desc(), FollowUp.id.desc())
    if not show_all:
        query = query.where(FollowUp.status == ACTIVE)
    lines: List[str] = []
    with session_scope() as session:
        for f in session.execute(query.limit(200)).scalars():
            checkins = session.execute(
                select(FollowUpCheckin).where(FollowUpCheckin.follow_up_id == f.id)
                .order_by(FollowUpCheckin.day_offset)).scalars()
            lines.append(f"followup #{f.id:<5} {f.phone} {f.procedure} {f.procedure_date} "
                         f"{f.timezone} {f.status} (by {f.created_by}): "
                         + "; ".join(describe(c) for c in checkins))
    return lines
