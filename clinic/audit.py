"""The audit log: every transcript view and export, every edit and status change, logins.

Entries made while a console request is handled carry its client address: the login
middleware (``console.web.require_login``) sets it with :func:`request_address` for the whole
request, and database work run through ``asyncio.to_thread`` sees it too (the context is
copied). Entries from the command line or background work have none.
"""

from __future__ import annotations

from contextlib import contextmanager
from contextvars import ContextVar
from datetime import datetime
from typing import Any, Dict, Iterator, List, Optional

from sqlalchemy import select
from sqlalchemy.orm import Session

from clinic.models import AuditEntry

MAX_ADDRESS = 64  # audit_log.client_address
_address: ContextVar[Optional[str]] = ContextVar("console_client_address", default=None)


@contextmanager
def request_address(address: Optional[str]) -> Iterator[None]:
    """Entries recorded inside the block carry ``address`` (one request's client)."""
    token = _address.set(address[:MAX_ADDRESS] if address else None)
    try:
        yield
    finally:
        _address.reset(token)


def current_address() -> Optional[str]:
    """The client address of the request being handled, or None outside a request."""
    return _address.get()


def record(
    session: Session,
    username: str,
    action: str,
    target_type: Optional[str] = None,
    target_id: Optional[str] = None,
    detail: Optional[Dict[str, Any]] = None,
    client_address: Optional[str] = None,
) -> None:
    """Add an entry in the caller's transaction (``detail`` must not hold message text).

    ``client_address`` defaults to the current request's (:func:`current_address`).
    """
    address = client_address or current_address()
    session.add(AuditEntry(username=username, action=action, target_type=target_type,
                           target_id=None if target_id is None else str(target_id),
                           detail=detail or {},
                           client_address=address[:MAX_ADDRESS] if address else None))


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
