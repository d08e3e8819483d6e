"""Storing appointment requests, once each, and handing them to the scheduling system.

Adapters (``SCHEDULING_ADAPTER``): ``queue`` -- the stored row is the hand-off; staff
work through new requests (``python -m clinic staff booking``, or the review console).
``webhook`` -- the row and an outbox row are written in one transaction; the worker POSTs
it to ``SCHEDULING_WEBHOOK_URL`` with retries, and the row becomes ``sent`` on delivery.
The patient is never kept waiting on the scheduling system.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from dataclasses import asdict, dataclass, field
from typing import List, Optional, Tuple

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from clinic.booking.form_answers import (
    BY_PHONE,
    BY_PHONE_OR_TEXT,
    BY_TEXT,
    KYPHOPLASTY,
    VERTEBROPLASTY,
)
from clinic.db import session_scope
from clinic.delivery.notifier import appointment_payload
from clinic.delivery.outbox import APPOINTMENT_KIND, SCHEDULING_TARGET, enqueue
from clinic.models import AppointmentRequest
from clinic.settings import get_settings

# Reference numbers: no 0/O or 1/I/L, so they are easy to read out on the phone.
REFERENCE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
REFERENCE_PREFIX = "APT-"
CONTACT_METHODS = {BY_PHONE: ["phone"], BY_TEXT: ["sms"], BY_PHONE_OR_TEXT: ["phone", "sms"]}


@dataclass(frozen=True)
class AppointmentDetails:
    """A confirmed request, as the form collected it."""

    conversation_id: str
    channel: str
    patient_name: str
    phone: str
    preferred_times: str
    preferred_dates: List[str] = field(default_factory=list)
    reason: str = "not sure"
    contact: str = BY_PHONE_OR_TEXT

    @property
    def procedure(self) -> str:
        """Kyphoplasty | vertebroplasty | not_sure."""
        return self.reason if self.reason in (KYPHOPLASTY, VERTEBROPLASTY) else "not_sure"

    def key(self) -> str:
        """Same conversation and same answers -> same key: confirming twice stores one row."""
        data = asdict(self)
        data.pop("channel")
        data["patient_name"] = data["patient_name"].casefold()
        blob = json.dumps(data, sort_keys=True, ensure_ascii=True)
        return hashlib.sha256(blob.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Stored:
    """The outcome of storing a request."""

    id: int
    reference: str
    created: bool  # False: this request had already been stored


def new_reference() -> str:
    """A short random reference such as ``APT-7KQ2MX``."""
    return REFERENCE_PREFIX + "".join(secrets.choice(REFERENCE_ALPHABET) for _ in range(6))


def _existing(session: Session, key: str) -> Optional[Tuple[int, str]]:
    row = session.execute(
        select(AppointmentRequest.id, AppointmentRequest.reference)
        .where(AppointmentRequest.request_key == key)
    ).first()
    return (int(row[0]), str(row[1])) if row else None


def _insert(details: AppointmentDetails, key: str, adapter: str) -> Stored:
    with session_scope() as session:
        found = _existing(session, key)
        if found:
            return Stored(found[0], found[1], created=False)
        row = AppointmentRequest(
            reference=new_reference(), request_key=key, channel=details.channel,
            conversation_id=details.conversation_id, patient_name=details.patient_name,
            phone=details.phone, preferred_times=details.preferred_times,
            preferred_dates=list(details.preferred_dates), procedure=details.procedure,
            contact_methods=CONTACT_METHODS.get(details.contact, ["phone", "sms"]),
            adapter=adapter, status="new",
        )
        session.add(row)
        session.flush()
        if adapter == "webhook":
            enqueue(session, APPOINTMENT_KIND, row.id, appointment_payload(row),
                    [SCHEDULING_TARGET])
        return Stored(int(row.id), str(row.reference), created=True)


def store_request(details: AppointmentDetails) -> Stored:
    """Store the request (and its delivery, for the webhook adapter) exactly once."""
    adapter = get_settings().scheduling.adapter
    key = details.key()
    for _ in range(3):
        try:
            return _insert(details, key, adapter)
        except IntegrityError:
            # A concurrent retry stored it first (same key), or the reference collided.
            with session_scope() as session:
                found = _existing(session, key)
            if found:
                return Stored(found[0], found[1], created=False)
    raise RuntimeError("could not allocate a unique appointment reference")
