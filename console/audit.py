"""The audit log: every transcript view and export, every edit and status change, logins."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Dict, List, Optional

from sqlalchemy import select
from sqlalchemy.orm import Session

from console.models import AuditEntry


def record(
    session: Session,
    username: str,
    action: str,
    target_type: Optional[str] = None,
    target_id: Optional[str] = None,
    detail: Optional[Dict[str, Any]] = None,
) -> None:
    """Add an entry in the caller's transaction (``detail`` must not hold message text)."""
    session.add(AuditEntry(username=username, action=action, target_type=target_type,
                           target_id=None if target_id is None else str(target_id),
                           detail=detail or {}))


def entries(
    session: Session,
    limit: int = 100,
    offset: int = 0,
    username: Optional[str] = None,
    action: Optional[str] = None,
    target_id: Optional[str] = None,
    since: Optional[datetime] = None,
) -> List[AuditEntry]:
    """Newest entries first, optionally filtered."""
    query = select(AuditEntry).order_by(AuditEntry.id.desc())
    if username:
        query = query.where(AuditEntry.username == username)
    if action:
        query = query.where(AuditEntry.action == action)
    if target_id:
        query = query.where(AuditEntry.target_id == target_id)
    if since is not None:
        query = query.where(AuditEntry.at >= since)
    return list(session.scalars(query.limit(limit).offset(offset)))
