"""Raising a staff alert: the alert row and its outbox rows, in one transaction, once a message.

Every staff alert is raised by :func:`raise_alert`: red flags (the alert action in
``actions.safety`` and the channel's backup in ``addons.channels.alert_backup``, both through
``clinic.safety.alert_spool``) and a worse pain score in a check-in
(``clinic.followups.checkin_store``). One alert per conversation and message id: raising it
again finds the first one.
"""

from __future__ import annotations

from typing import Any, Dict, Iterable, Optional, Tuple

from sqlalchemy.orm import Session

from clinic.delivery.notifier import alert_payload
from clinic.delivery.outbox import STAFF_ALERT_KIND, add_once
from clinic.messages import MessageContext
from clinic.models import StaffAlert

LEVELS = ("emergency", "crisis", "urgent")  # red-flag levels (check-in pain: ``follow_up``)
LEVEL_ENTITY = "red_flag_level"  # the red-flag guard's entity on the message


def guard_level(entities: Iterable[Dict[str, Any]]) -> Optional[str]:
    """The red-flag level the guard put on a message (its ``red_flag_level`` entity)."""
    for entity in entities:
        if entity.get("entity") == LEVEL_ENTITY and entity.get("value") in LEVELS:
            return str(entity["value"])
    return None


def raise_alert(session: Session, context: MessageContext, level: str,
                concepts: Iterable[Any], evidence: Iterable[Any]) -> Tuple[int, bool]:
    """Add the alert for ``context``'s message and its notifications to ``session``, once.

    The alert's text is the message's. Returns (alert id, created); the caller commits.
    """
    fields = {"level": level, "message_text": context.text, "status": "new",
              "concepts": [str(c) for c in concepts], "evidence": [str(e) for e in evidence]}
    return add_once(session, StaffAlert, context, STAFF_ALERT_KIND, fields, alert_payload)
