"""Sending due check-ins: claim with a lease, start the conversation through Rasa, record.

``clinic.worker`` calls :func:`send_due` on every poll. Each due check-in is decided
(``clinic.followups.schedule.decide``: opt-out, quiet hours, caps) and claimed in one transaction:
a claimed row is ``sending`` until ``claimed_until``; if the worker dies, it is due again
after the lease, so two workers never send the same check-in and a crash loses nothing
(claims and backoff: ``clinic.delivery.lease``).

Sending asks Rasa (``clinic.rasa_api``, with the API token) for the conversation first,
``GET /conversations/<E.164 phone>/tracker``: a check-in already in it (an earlier
attempt whose result was lost) is marked sent without a second text, and a conversation
waiting for staff or in the middle of a form is left alone for now. Then
``POST /conversations/<E.164 phone>/trigger_intent?output_channel=twilio`` with
``{"name": "EXTERNAL_followup_checkin", "entities": {"followup_checkin_id": ...,
"followup_procedure": ..., "followup_day": ...}}``: the patient's reply continues the
same SMS conversation, and the dialogue records the answers on that check-in row.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Dict, List, Optional

import aiohttp
from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from clinic.db import run_in_thread, session_scope
from clinic.delivery.lease import backoff, claim, still_claimed, unchanged, update_where
from clinic.followups.schedule import (
    DEFER,
    FAILED,
    SCHEDULED,
    SENDING,
    SENT,
    SKIP,
    SKIPPED,
    complete_if_done,
    decide,
)
from clinic.models import FollowUp, FollowUpCheckin, utcnow
from clinic.rasa_api import RasaApi, RasaUnavailable
from clinic.settings import FollowUpSettings, Settings
from clinic.sms.consent import may_text
from clinic.vocabulary import HANDOFF_WAITING_SLOT

logger = logging.getLogger(__name__)

INTENT = "EXTERNAL_followup_checkin"
OUTPUT_CHANNEL = "twilio"
CHECKIN_ENTITY = "followup_checkin_id"
PAUSED_RETRY = timedelta(hours=1)  # the patient is waiting for staff (hand-off)
BUSY_WINDOW = timedelta(minutes=30)  # a form answered this recently is still in use
# A check-in read as due is decided only if nobody changed these (and its attempts) since.
READ_AS = (FollowUpCheckin.status, FollowUpCheckin.due_at)


@dataclass(frozen=True)
class Claimed:
    """A snapshot of one claimed check-in (safe to use outside the session)."""

    id: int
    follow_up_id: int
    day_offset: int
    phone: str
    procedure: str
    attempts: int
    scheduled_at: datetime


@dataclass(frozen=True)
class Outcome:
    """The result of one attempt: sent, scheduled again (``until``), skipped or failed."""

    status: str
    reason: str = ""
    until: Optional[datetime] = None


def sent_times(session: Session, phone: str, now: datetime) -> List[datetime]:
    """When this phone's check-ins went out (in-flight ones count as now): for the caps."""
    rows = session.execute(
        select(FollowUpCheckin.sent_at).join(FollowUp)
        .where(FollowUp.phone == phone,
               or_(FollowUpCheckin.sent_at.is_not(None),
                   and_(FollowUpCheckin.status == SENDING,
                        FollowUpCheckin.claimed_until > now)))
    ).scalars().all()
    return [sent_at or now for sent_at in rows]


def claim_due(settings: FollowUpSettings, now: Optional[datetime] = None,
              limit: int = 20) -> List[Claimed]:
    """Decide every due check-in; claim the ones to send now (deferred/skipped are stored)."""
    now = now or utcnow()
    claimed: List[Claimed] = []
    with session_scope() as session:
        due = session.execute(
            select(FollowUpCheckin, FollowUp).join(FollowUp)
            .where(or_(and_(FollowUpCheckin.status == SCHEDULED, FollowUpCheckin.due_at <= now),
                       and_(FollowUpCheckin.status == SENDING,
                            FollowUpCheckin.claimed_until < now)))
            .order_by(FollowUpCheckin.due_at, FollowUpCheckin.id).limit(limit)
        ).all()
        for checkin, follow_up in due:
            decision = decide(now, checkin, follow_up, may_text(session, follow_up.phone),
                              sent_times(session, follow_up.phone, now), settings)
            if decision.action == SKIP:
                update_where(session, FollowUpCheckin, unchanged(checkin, READ_AS),
                             status=SKIPPED, claimed_until=None, last_error=decision.reason)
                complete_if_done(session, follow_up.id)
            elif decision.action == DEFER:
                update_where(session, FollowUpCheckin, unchanged(checkin, READ_AS),
                             status=SCHEDULED, due_at=decision.until, claimed_until=None)
            else:
                lease = now + timedelta(seconds=settings.lease_seconds)
                attempt = claim(session, checkin, READ_AS, status=SENDING, claimed_until=lease)
                if attempt is not None:
                    claimed.append(Claimed(checkin.id, follow_up.id, checkin.day_offset,
                                           follow_up.phone, follow_up.procedure, attempt,
                                           checkin.scheduled_at))
                continue
            logger.info("Check-in #%d (day %d) %s: %s%s", checkin.id, checkin.day_offset,
                        "skipped" if decision.action == SKIP else "deferred", decision.reason,
                        f" until {decision.until:%Y-%m-%d %H:%M}Z" if decision.until else "")
    return claimed


def conversation_state(tracker: Dict[str, Any], checkin_id: int, now: datetime) -> str:
    """``triggered`` (already sent), ``paused`` (hand-off), ``busy`` (mid-form) or ``free``."""
    for event in tracker.get("events") or []:
        if event.get("event") == "user" and (event.get("parse_data") or {}).get(
                "intent", {}).get("name") == INTENT:
            entities = event["parse_data"].get("entities") or []
            if any(e.get("entity") == CHECKIN_ENTITY and str(e.get("value")) == str(checkin_id)
                   for e in entities):
                return "triggered"
    if tracker.get("paused") or (tracker.get("slots") or {}).get(HANDOFF_WAITING_SLOT):
        return "paused"  # waiting for staff: a check-in would cut across them
    latest = tracker.get("latest_event_time")
    if (tracker.get("active_loop") or {}).get("name") and latest is not None and (
            datetime.utcfromtimestamp(float(latest)) > now - BUSY_WINDOW):
        return "busy"
    return "free"


def retry(claimed: Claimed, error: str, settings: FollowUpSettings, now: datetime) -> Outcome:
    """Try again after a doubling backoff; give up once the check-in is stale."""
    if now - claimed.scheduled_at > timedelta(hours=settings.stale_hours):
        return Outcome(FAILED, error)
    return Outcome(SCHEDULED, error, now + backoff(claimed.attempts, settings))


def failure(error: RasaUnavailable) -> str:
    """The check-in's ``last_error`` for a failed Rasa call (no patient data in it)."""
    if error.status is not None:
        return f"{error.endpoint}: HTTP {error.status}"
    if error.cause:
        return f"{error.cause}: Rasa not reachable"
    return "no Rasa API token configured"


async def attempt(claimed: Claimed, settings: Settings, http: aiohttp.ClientSession,
                  now: Optional[datetime] = None) -> Outcome:
    """Start one check-in conversation through Rasa's HTTP API."""
    now = now or utcnow()
    rasa = RasaApi(settings, http, settings.followups.trigger_timeout_seconds)
    entities = {CHECKIN_ENTITY: str(claimed.id), "followup_procedure": claimed.procedure,
                "followup_day": str(claimed.day_offset)}
    try:
        state = conversation_state(await rasa.tracker(claimed.phone), claimed.id, now)
        if state == "triggered":
            return Outcome(SENT, "already in the conversation")
        if state in ("paused", "busy"):
            wait = PAUSED_RETRY if state == "paused" else BUSY_WINDOW
            return Outcome(SCHEDULED, f"conversation {state}", now + wait)
        answer = await rasa.trigger_intent(claimed.phone, INTENT, entities, OUTPUT_CHANNEL)
    except RasaUnavailable as error:
        return retry(claimed, failure(error), settings.followups, now)
    if "messages" in answer:  # Rasa collected the texts instead of sending them
        return Outcome(FAILED, "Rasa has no twilio output channel")
    return Outcome(SENT)


def record(claimed: Claimed, outcome: Outcome, now: Optional[datetime] = None) -> bool:
    """Store an attempt's outcome (only while our claim holds); True if stored."""
    now = now or utcnow()
    values: Dict[str, Any] = {"status": outcome.status, "claimed_until": None}
    if outcome.status == SENT:
        values.update(sent_at=now, last_error=None)
    else:
        values["last_error"] = outcome.reason[:300]
    if outcome.until is not None:
        values["due_at"] = outcome.until
    with session_scope() as session:
        stored = update_where(session, FollowUpCheckin,
                              still_claimed(FollowUpCheckin, claimed.id, claimed.attempts,
                                            SENDING), **values)
        if outcome.status != SCHEDULED:
            complete_if_done(session, claimed.follow_up_id)
        return stored


async def send_due(settings: Settings, http: aiohttp.ClientSession,
                   now: Optional[datetime] = None) -> int:
    """Send every due check-in once; returns how many went out (``now``: for tests)."""
    sent = 0
    while True:
        batch = await run_in_thread(claim_due, settings.followups, now or utcnow())
        if not batch:
            return sent
        for claimed in batch:
            outcome = await attempt(claimed, settings, http, now)
            stored = await run_in_thread(record, claimed, outcome, now)
            sent += outcome.status == SENT
            log = logger.info if outcome.status in (SENT, SCHEDULED) else logger.error
            log("Check-in #%d (day %d) attempt %d: %s%s%s", claimed.id, claimed.day_offset,
                claimed.attempts, outcome.status, f" ({outcome.reason})" if outcome.reason else "",
                "" if stored else " [claim lost: not stored]")
