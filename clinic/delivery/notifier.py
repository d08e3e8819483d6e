"""Deliver outbox rows: staff notifications and appointment requests.

Staff notifications go to a log line and/or a webhook; appointment requests go to the
scheduling system's webhook (``SCHEDULING_ADAPTER=webhook``).

Webhook schema (JSON body, UTF-8), see ``docs/notifications.md``::

    {"type": "staff_alert" | "handoff_request" | "appointment_request",
     "delivery_id": "<uuid>", "record": {...}}

Headers: ``X-Clinic-Event`` (the type), ``X-Clinic-Delivery`` (the outbox row's
``delivery_id``, also in the body: the same on every retry and on a re-delivery after a worker
died mid-attempt, so receivers must drop repeats by it), ``X-Clinic-Timestamp`` (Unix seconds)
and ``X-Clinic-Signature``:
``sha256=`` + hex HMAC-SHA256 of ``"<timestamp>." + body`` with the target's secret
(``STAFF_WEBHOOK_SECRET`` or ``SCHEDULING_WEBHOOK_SECRET``).
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
import time
from dataclasses import dataclass
from typing import Any, Dict, Optional

import aiohttp

from clinic.delivery.outbox import SCHEDULING_TARGET, Claimed
from clinic.models import AppointmentRequest, HandoffRequest, StaffAlert
from clinic.privacy import sender_tag
from clinic.settings import Settings

logger = logging.getLogger(__name__)

SIGNATURE_HEADER = "X-Clinic-Signature"
TIMESTAMP_HEADER = "X-Clinic-Timestamp"


@dataclass(frozen=True)
class Webhook:
    """Where and how to POST one target's deliveries."""

    url: str
    secret: str
    timeout_seconds: float


def webhook_for(target: str, settings: Settings) -> Optional[Webhook]:
    """The configured webhook of a target (``webhook``: staff, ``scheduling``); None if unset."""
    if target == "webhook" and settings.notify.webhook_url:
        notify = settings.notify
        return Webhook(notify.webhook_url, notify.webhook_secret, notify.timeout_seconds)
    if target == SCHEDULING_TARGET and settings.scheduling.webhook_url:
        scheduling = settings.scheduling
        return Webhook(scheduling.webhook_url, scheduling.webhook_secret,
                       scheduling.timeout_seconds)
    return None


def _iso(value: Any) -> Optional[str]:
    return value.isoformat() + "Z" if value is not None else None


def alert_payload(alert: StaffAlert, include_text: bool) -> Dict[str, Any]:
    """What staff systems receive about a red-flag alert (message text only if enabled)."""
    record = {
        "id": alert.id, "created_at": _iso(alert.created_at), "level": alert.level,
        "channel": alert.channel, "conversation_id": alert.conversation_id,
        "concepts": list(alert.concepts or []), "evidence": list(alert.evidence or []),
    }
    if include_text:
        record["message_text"] = alert.message_text
    return record


def handoff_payload(request: HandoffRequest, include_text: bool) -> Dict[str, Any]:
    """What staff systems receive about a patient waiting for a person."""
    record = {
        "id": request.id, "created_at": _iso(request.created_at), "reason": request.reason,
        "channel": request.channel, "conversation_id": request.conversation_id,
        "during_office_hours": request.during_office_hours,
    }
    if include_text:
        record["message_text"] = request.message_text
    return record


def appointment_payload(request: AppointmentRequest) -> Dict[str, Any]:
    """What the scheduling system receives: everything it needs to call the patient back."""
    return {
        "id": request.id, "reference": request.reference, "created_at": _iso(request.created_at),
        "channel": request.channel, "conversation_id": request.conversation_id,
        "patient": {"name": request.patient_name, "phone": request.phone},
        "preferred_times": {"text": request.preferred_times,
                            "dates": list(request.preferred_dates or [])},
        "procedure": request.procedure, "contact_methods": list(request.contact_methods or []),
    }


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """The signature header value for ``body`` sent at ``timestamp``."""
    digest = hmac.new(secret.encode("utf-8"), timestamp.encode("ascii") + b"." + body,
                      hashlib.sha256).hexdigest()
    return f"sha256={digest}"


def verify(secret: str, timestamp: str, body: bytes, signature: str) -> bool:
    """Check a signature (for receivers; constant-time)."""
    return hmac.compare_digest(sign(secret, timestamp, body), signature)


def log_summary(message: Claimed) -> str:
    """A one-line description without patient text or raw ids."""
    record = message.payload
    parts = [f"{message.kind} #{record.get('id')}"]
    for key in ("level", "reason", "reference", "channel"):
        if record.get(key):
            parts.append(f"{key}={record[key]}")
    parts.append(f"conversation={sender_tag(str(record.get('conversation_id', '')))}")
    return " ".join(parts)


async def post_webhook(
    message: Claimed, hook: Webhook, http: aiohttp.ClientSession
) -> Optional[str]:
    """POST one notification; None on a 2xx answer, else a short error (no patient data)."""
    body = json.dumps(
        {"type": message.kind, "delivery_id": message.delivery_id, "record": message.payload},
        sort_keys=True, separators=(",", ":"),
    ).encode("utf-8")
    timestamp = str(int(time.time()))
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "clinic-assistant-notifier/1",
        "X-Clinic-Event": message.kind,
        "X-Clinic-Delivery": message.delivery_id,
        TIMESTAMP_HEADER: timestamp,
    }
    if hook.secret:
        headers[SIGNATURE_HEADER] = sign(hook.secret, timestamp, body)
    timeout = aiohttp.ClientTimeout(total=hook.timeout_seconds)
    try:
        async with http.post(hook.url, data=body, headers=headers,
                             timeout=timeout) as answer:
            if 200 <= answer.status < 300:
                return None
            return f"HTTP {answer.status}"
    except (aiohttp.ClientError, asyncio.TimeoutError) as exc:
        return f"{type(exc).__name__}: could not reach the webhook"


async def deliver(
    message: Claimed, settings: Settings, http: aiohttp.ClientSession
) -> Optional[str]:
    """Deliver to the message's target; None on success, else why it failed."""
    if message.target == "log":
        logger.warning("Staff notification: %s", log_summary(message))
        return None
    if message.target not in ("webhook", SCHEDULING_TARGET):
        return f"unknown target {message.target!r}"
    hook = webhook_for(message.target, settings)
    if hook is None:
        return f"no webhook URL configured for {message.target!r}"
    return await post_webhook(message, hook, http)
