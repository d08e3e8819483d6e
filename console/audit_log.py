"""The audit log as admins page through it: newest first, filtered (database work only)."""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from clinic import accounts, audit
from clinic.models import AuditEntry
from console.paging import Page, uncounted

PAGE_SIZE = 50


def _plain(entry: AuditEntry) -> Dict[str, Any]:
    return {"at": entry.at, "username": entry.username, "action": entry.action,
            "target_type": entry.target_type, "target_id": entry.target_id,
            "detail": dict(entry.detail or {}), "client_address": entry.client_address}


def entries(session: Session, page: int, username: Optional[str] = None,
            action: Optional[str] = None, target: Optional[str] = None
            ) -> Page[Dict[str, Any]]:
    """Page ``page`` (from 1) of the log, filtered by user, action and target id (not counted)."""
    def fetch(offset: int, limit: int) -> Sequence[Dict[str, Any]]:
        return [_plain(entry) for entry in audit.entries(
            session, limit=limit, offset=offset,
            username=accounts.normalise_username(username or "") or None,
            action=action or None, target_id=target or None)]

    return uncounted(page, PAGE_SIZE, fetch)


def actions(session: Session) -> List[str]:
    """Every action in the log, for the filter."""
    return [str(a) for a in session.scalars(
        select(AuditEntry.action).distinct().order_by(AuditEntry.action))]
