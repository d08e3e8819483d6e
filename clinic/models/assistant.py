"""Tables the assistant owns in the project database (Rasa's ``events`` table is Rasa's).

Times are naive UTC. Every table has a status so staff (the review console) can work
through it; the Alembic migrations in ``migrations/versions`` create and change them.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import declarative_base

Base: Any = declarative_base()


def utcnow() -> datetime:
    """Now, as naive UTC (what every timestamp column stores)."""
    return datetime.now(timezone.utc).replace(tzinfo=None)


class FromPatientMessage:
    """Columns of a record raised by one patient message (at most one record per message)."""

    id = Column(Integer, primary_key=True)
    created_at = Column(DateTime, nullable=False, default=utcnow)
    channel = Column(String(32), nullable=False)
    conversation_id = Column(String(255), nullable=False)
    message_id = Column(String(64), nullable=False)
    message_text = Column(Text, nullable=False)


class StaffAlert(FromPatientMessage, Base):
    """A red-flag message: staff must follow it up (status new -> acknowledged -> closed)."""

    __tablename__ = "staff_alerts"
    STATUSES = ("new", "acknowledged", "closed")

    # crisis | emergency | urgent (red flags) | follow_up (pain worse)
    level = Column(String(16), nullable=False)
    concepts = Column(JSON, nullable=False, default=list)
    evidence = Column(JSON, nullable=False, default=list)  # the matched words
    status = Column(String(16), nullable=False, default="new")
    handled_by = Column(String(120))
    handled_at = Column(DateTime)

    __table_args__ = (
        UniqueConstraint("conversation_id", "message_id", name="uq_staff_alert_message"),
        Index("ix_staff_alerts_status_created", "status", "created_at"),
    )


class HandoffRequest(FromPatientMessage, Base):
    """A patient waiting for a person (the bot goes on answering meanwhile)."""

    __tablename__ = "handoff_requests"
    STATUSES = ("open", "answered", "closed")

    reason = Column(String(32), nullable=False)  # patient_request | fallback
    during_office_hours = Column(Boolean, nullable=False)
    status = Column(String(16), nullable=False, default="open")
    staff_name = Column(String(120))
    answered_at = Column(DateTime)
    closed_at = Column(DateTime)

    __table_args__ = (
        UniqueConstraint("conversation_id", "message_id", name="uq_handoff_message"),
        Index("ix_handoff_requests_status_created", "status", "created_at"),
    )


class AppointmentRequest(Base):
    """A consultation request from the booking form, for the scheduling team.

    Status: new (stored) -> sent (delivered to the scheduling system by the webhook adapter)
    -> contacted (staff reached the patient) -> closed. ``request_key`` makes a double
    confirmation or a retried action land on the same row.
    """

    __tablename__ = "appointment_requests"
    STATUSES = ("new", "sent", "contacted", "closed")

    id = Column(Integer, primary_key=True)
    reference = Column(String(16), nullable=False, unique=True)  # told to the patient
    request_key = Column(String(64), nullable=False, unique=True)  # idempotency key
    created_at = Column(DateTime, nullable=False, default=utcnow)
    updated_at = Column(DateTime, nullable=False, default=utcnow, onupdate=utcnow)
    channel = Column(String(32), nullable=False)
    conversation_id = Column(String(255), nullable=False)
    patient_name = Column(String(120), nullable=False)
    phone = Column(String(20), nullable=False)  # E.164
    preferred_times = Column(Text, nullable=False)  # as the patient typed it
    preferred_dates = Column(JSON, nullable=False, default=list)  # ISO dates read from it
    procedure = Column(String(32), nullable=False)  # kyphoplasty | vertebroplasty | not_sure
    contact_methods = Column(JSON, nullable=False, default=list)  # ["phone"], ["sms"] or both
    adapter = Column(String(16), nullable=False)  # queue | webhook
    status = Column(String(16), nullable=False, default="new")
    handled_by = Column(String(120))
    handled_at = Column(DateTime)

    __table_args__ = (
        Index("ix_appointment_requests_status_created", "status", "created_at"),
        Index("ix_appointment_requests_conversation", "conversation_id"),
    )


class OutboxMessage(Base):
    """A notification to deliver (transactional outbox): written with the row it reports.

    ``clinic.worker`` delivers pending rows with retries and backoff; a delivery claims a
    row first, so two workers never send the same row at once. A claim records the claiming
    worker (``claimed_by``, a ``workers`` id): once that worker's heartbeat is stale, the row
    is due again before its lease (``next_attempt_at``) ends.
    """

    __tablename__ = "outbox"
    STATUSES = ("pending", "sent", "failed")

    id = Column(Integer, primary_key=True)
    created_at = Column(DateTime, nullable=False, default=utcnow)
    delivery_id = Column(String(36), nullable=False, unique=True)  # idempotency key
    kind = Column(String(32), nullable=False)  # staff_alert | handoff_request | appointment_request
    target = Column(String(16), nullable=False)  # log | webhook | scheduling
    ref_id = Column(Integer, nullable=False)
    payload = Column(JSON, nullable=False)
    status = Column(String(16), nullable=False, default="pending")
    attempts = Column(Integer, nullable=False, default=0)
    next_attempt_at = Column(DateTime, nullable=False, default=utcnow)
    last_error = Column(String(300))
    sent_at = Column(DateTime)
    claimed_by = Column(String(36))  # the worker holding the claim (None: no claim, or a tool's)

    __table_args__ = (Index("ix_outbox_status_due", "status", "next_attempt_at"),)


class WorkerHeartbeat(Base):
    """A running outbox worker process, alive while ``heartbeat_at`` is recent.

    Each worker process writes its row at start (id: a new uuid4), refreshes it every
    ``WORKER_HEARTBEAT_SECONDS`` and deletes it when it stops cleanly. A worker killed
    (SIGKILL, power loss) leaves its row behind: after ``WORKER_STALE_SECONDS`` without a
    heartbeat the rows it claimed in the outbox are due again; rows stale for an hour are
    deleted by the live workers.
    """

    __tablename__ = "workers"

    id = Column(String(36), primary_key=True)
    host = Column(String(255), nullable=False)
    pid = Column(Integer, nullable=False)
    started_at = Column(DateTime, nullable=False, default=utcnow)
    heartbeat_at = Column(DateTime, nullable=False, default=utcnow)


class SmsConsent(Base):
    """Whether a phone number may receive texts (STOP / START keywords; latest wins).

    A number with no row has not opted out. Opting out is stored before it is confirmed,
    and every outgoing text checks this table first.
    """

    __tablename__ = "sms_consent"
    STATUSES = ("opted_in", "opted_out")

    id = Column(Integer, primary_key=True)
    phone = Column(String(20), nullable=False, unique=True)  # E.164
    status = Column(String(16), nullable=False)
    keyword = Column(String(16), nullable=False)  # what the patient sent (STOP, START, ...)
    created_at = Column(DateTime, nullable=False, default=utcnow)
    updated_at = Column(DateTime, nullable=False, default=utcnow, onupdate=utcnow)


class FollowUp(Base):
    """A patient registered by staff for post-procedure check-ins by text message.

    Status: active -> completed (every check-in answered, skipped or failed) or cancelled
    (by staff). ``timezone`` is the patient's, for quiet hours.
    """

    __tablename__ = "follow_ups"
    STATUSES = ("active", "cancelled", "completed")

    id = Column(Integer, primary_key=True)
    phone = Column(String(20), nullable=False)  # E.164: also the SMS conversation id
    procedure = Column(String(32), nullable=False)  # kyphoplasty | vertebroplasty
    procedure_date = Column(Date, nullable=False)
    timezone = Column(String(64), nullable=False)  # IANA name
    status = Column(String(16), nullable=False, default="active")
    created_by = Column(String(120), nullable=False)
    created_at = Column(DateTime, nullable=False, default=utcnow)
    updated_at = Column(DateTime, nullable=False, default=utcnow, onupdate=utcnow)

    __table_args__ = (Index("ix_follow_ups_phone", "phone"),)


class FollowUpCheckin(Base):
    """One check-in of a follow-up (day 1, 3, 7 ... after the procedure).

    Status: scheduled -> sending (claimed by a worker until ``claimed_until``) -> sent ->
    answered; or skipped (opted out, cancelled, stale) / failed (Rasa unreachable until
    stale). ``due_at`` moves forward for quiet hours, caps and retries; ``scheduled_at``
    keeps the first plan.
    """

    __tablename__ = "follow_up_checkins"
    STATUSES = ("scheduled", "sending", "sent", "answered", "skipped", "failed")

    id = Column(Integer, primary_key=True)
    follow_up_id = Column(Integer, ForeignKey("follow_ups.id", ondelete="CASCADE"),
                          nullable=False)
    day_offset = Column(Integer, nullable=False)
    scheduled_at = Column(DateTime, nullable=False)
    due_at = Column(DateTime, nullable=False)
    status = Column(String(16), nullable=False, default="scheduled")
    claimed_until = Column(DateTime)
    attempts = Column(Integer, nullable=False, default=0)
    sent_at = Column(DateTime)
    pain_score = Column(Integer)  # 0-10
    red_flag = Column(String(16))  # yes | no | reported (in the patient's own words)
    answered_at = Column(DateTime)
    last_error = Column(String(300))  # never patient data

    __table_args__ = (
        UniqueConstraint("follow_up_id", "day_offset", name="uq_follow_up_checkin_day"),
        Index("ix_follow_up_checkins_status_due", "status", "due_at"),
    )
