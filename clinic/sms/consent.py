"""Who may receive text messages: the STOP / START state of each phone number.

The SMS channel records keywords here before confirming them; everything that sends a
text (answers, staff replies, follow-up check-ins) asks :func:`may_text` first. A number
without a row has not opted out (patients who text us first have asked to hear back).
"""

from __future__ import annotations

from typing import Optional

from sqlalchemy import select
from sqlalchemy.orm import Session

from clinic.models import SmsConsent

OPTED_IN, OPTED_OUT = SmsConsent.STATUSES


def consent_of(session: Session, phone: str) -> Optional[str]:
    """``opted_in``, ``opted_out``, or None if the number never sent a keyword."""
    return session.execute(
        select(SmsConsent.status).where(SmsConsent.phone == phone)
    ).scalar_one_or_none()


def may_text(session: Session, phone: str) -> bool:
    """False once the number has opted out (until it opts back in)."""
    return consent_of(session, phone) != OPTED_OUT


def record_consent(session: Session, phone: str, status: str, keyword: str) -> bool:
    """Store the number's new state; True if it changed (so confirm it once only)."""
    if status not in SmsConsent.STATUSES:
        raise ValueError(f"unknown consent status {status!r}")
    row = session.execute(
        select(SmsConsent).where(SmsConsent.phone == phone).with_for_update()
    ).scalar_one_or_none()
    if row is None:
        session.add(SmsConsent(phone=phone, status=status, keyword=keyword[:16]))
        return True
    changed = row.status != status
    row.status, row.keyword = status, keyword[:16]
    return bool(changed)
