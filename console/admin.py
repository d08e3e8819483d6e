"""Account administration and the audit log as admins see them (database work only).

Role and enable/disable changes go through ``console.accounts`` after one extra rule:
the last active admin can't be disabled or demoted (nobody could manage accounts then).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Dict, List, Optional

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from console import accounts, audit
from console.models import AuditEntry, StaffUser

AUDIT_PAGE = 50


@dataclass
class AuditPage:
    """One page of the audit log, newest first."""

    entries: List[Dict[str, Any]]
    page: int
    has_next: bool
    actions: List[str]  # every action in the log, for the filter


def active_admins(session: Session) -> int:
    """How many enabled admin accounts there are."""
    return int(session.scalar(select(func.count()).select_from(StaffUser).where(
        StaffUser.role == "admin", StaffUser.active.is_(True))) or 0)


def has_admin(session: Session) -> bool:
    """Whether someone can log in as admin (``make run`` hints at the CLI otherwise)."""
    return active_admins(session) > 0


def _existing(session: Session, username: str) -> StaffUser:
    user = session.scalar(select(StaffUser).where(
        StaffUser.username == accounts.normalise_username(username)))
    if user is None:
        raise LookupError(f"No account called {accounts.normalise_username(username)!r}.")
    return user


def _keep_an_admin(session: Session, user: StaffUser) -> None:
    if user.role == "admin" and user.active and active_admins(session) <= 1:
        raise accounts.AccountError(
            f"{user.username} is the last active admin: make someone else admin first.")


def change_role(session: Session, username: str, role: str, by: str) -> None:
    """Set an account's role (never leaving no active admin); LookupError if unknown."""
    user = _existing(session, username)
    if role == user.role:
        raise accounts.AccountError(f"{user.username} is already {role}.")
    if role != "admin":
        _keep_an_admin(session, user)
    accounts.set_role(session, user.username, role, by)


def change_active(session: Session, username: str, active: bool, by: str) -> None:
    """Enable or disable an account (never the last active admin); LookupError if unknown."""
    user = _existing(session, username)
    if bool(user.active) == active:
        raise accounts.AccountError(
            f"{user.username} is already {'enabled' if active else 'disabled'}.")
    if not active:
        _keep_an_admin(session, user)
    accounts.set_active(session, user.username, active, by)


def reset_password(session: Session, username: str, password: str, by: str) -> None:
    """Give an account a new password (its sessions end); LookupError if unknown."""
    user = _existing(session, username)
    accounts.set_password(session, user.username, password, by)


def users(session: Session) -> List[Dict[str, Any]]:
    """Every account as plain values (never the password hash)."""
    fields = ("username", "display_name", "role", "active", "created_at", "last_login_at")
    return [{name: getattr(user, name) for name in fields}
            for user in accounts.list_users(session)]


def audit_log(session: Session, page: int, username: Optional[str] = None,
              action: Optional[str] = None, target: Optional[str] = None) -> AuditPage:
    """Page ``page`` (from 1) of the audit log, filtered by user, action and target id."""
    found = audit.entries(session, limit=AUDIT_PAGE + 1, offset=(page - 1) * AUDIT_PAGE,
                          username=accounts.normalise_username(username or "") or None,
                          action=action or None, target_id=target or None)
    entries = [{"at": e.at, "username": e.username, "action": e.action,
                "target_type": e.target_type, "target_id": e.target_id,
                "detail": dict(e.detail or {}), "client_address": e.client_address}
               for e in found[:AUDIT_PAGE]]
    actions = [str(a) for a in session.scalars(
        select(AuditEntry.action).distinct().order_by(AuditEntry.action))]
    return AuditPage(entries, page, len(found) > AUDIT_PAGE, actions)
