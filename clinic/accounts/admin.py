"""Account administration: roles, enabling and passwords, never leaving no active admin.

Role and enable/disable changes go through ``clinic.accounts`` after one extra rule:
the last active admin can't be disabled or demoted (nobody could manage accounts then).
"""

from __future__ import annotations

from typing import Any, Dict, List

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from clinic import accounts
from clinic.models import StaffUser


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

