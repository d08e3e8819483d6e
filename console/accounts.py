"""Console accounts and login sessions (database work only; the web layer is ``console.web``)."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import List, Optional, Tuple

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from actions.config import ConsoleSettings
from actions.models import utcnow
from console import audit
from console.models import StaffSession, StaffUser
from console.passwords import hash_password, password_problem, verify_password

TOUCH_EVERY = timedelta(seconds=60)  # last_seen_at is written at most this often
# Compared against when the user name is unknown, so a login takes as long either way.
_DUMMY_HASH = hash_password(secrets.token_urlsafe(16))


class AccountError(ValueError):
    """A request about an account that can't be done (message is safe to show)."""


@dataclass(frozen=True)
class StaffIdentity:
    """The logged-in staff member, as request handlers see them."""

    id: int
    username: str
    display_name: str
    role: str

    @property
    def is_admin(self) -> bool:
        """Admins edit answers, export training data and manage accounts."""
        return self.role == "admin"


@dataclass(frozen=True)
class LoginSession:
    """A valid session: who, and the CSRF token its forms must carry."""

    user: StaffIdentity
    csrf_token: str
    token_hash: str


def _identity(user: StaffUser) -> StaffIdentity:
    return StaffIdentity(user.id, user.username, user.display_name, user.role)


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def normalise_username(username: str) -> str:
    """User names are case-insensitive and stored in lower case."""
    return (username or "").strip().lower()


def create_user(session: Session, username: str, password: str, role: str = "reviewer",
                display_name: str = "", created_by: str = "cli") -> StaffIdentity:
    """Add an account; raises :class:`AccountError` for a taken name or a weak password."""
    name = normalise_username(username)
    if not name or not name.replace(".", "").replace("-", "").replace("_", "").isalnum() \
            or len(name) > 64:
        raise AccountError("User names are letters, digits, '.', '-' or '_' (up to 64).")
    if role not in StaffUser.ROLES:
        raise AccountError(f"Role must be one of: {', '.join(StaffUser.ROLES)}.")
    problem = password_problem(password, name)
    if problem:
        raise AccountError(problem)
    if session.scalar(select(StaffUser.id).where(StaffUser.username == name)) is not None:
        raise AccountError(f"There is already an account called {name!r}.")
    user = StaffUser(username=name, display_name=(display_name or name).strip()[:120],
                     password_hash=hash_password(password), role=role)
    session.add(user)
    session.flush()
    audit.record(session, created_by, "create_user", "staff_user", name, {"role": role})
    return _identity(user)


def set_password(session: Session, username: str, password: str, by: str) -> None:
    """Replace an account's password and end its sessions."""
    user = _user(session, username)
    problem = password_problem(password, user.username)
    if problem:
        raise AccountError(problem)
    user.password_hash = hash_password(password)
    user.failed_logins, user.locked_until = 0, None
    session.execute(delete(StaffSession).where(StaffSession.user_id == user.id))
    audit.record(session, by, "set_password", "staff_user", user.username)


def set_active(session: Session, username: str, active: bool, by: str) -> None:
    """Enable or disable an account (disabling ends its sessions)."""
    user = _user(session, username)
    user.active = active
    if not active:
        session.execute(delete(StaffSession).where(StaffSession.user_id == user.id))
    audit.record(session, by, "enable_user" if active else "disable_user", "staff_user",
                 user.username)


def set_role(session: Session, username: str, role: str, by: str) -> None:
    """Change an account's role."""
    if role not in StaffUser.ROLES:
        raise AccountError(f"Role must be one of: {', '.join(StaffUser.ROLES)}.")
    user = _user(session, username)
    user.role = role
    audit.record(session, by, "set_role", "staff_user", user.username, {"role": role})


def list_users(session: Session) -> List[StaffUser]:
    """Every account, by user name."""
    return list(session.scalars(select(StaffUser).order_by(StaffUser.username)))


def _user(session: Session, username: str) -> StaffUser:
    user = session.scalar(select(StaffUser).where(
        StaffUser.username == normalise_username(username)))
    if user is None:
        raise AccountError(f"No account called {normalise_username(username)!r}.")
    return user


def login(session: Session, settings: ConsoleSettings, username: str, password: str
          ) -> Tuple[Optional[str], str]:
    """Check a login; returns (cookie token, "") or (None, reason shown to the user).

    Unknown names and wrong passwords get the same message; too many failures lock the
    account for ``lockout_minutes``. Every attempt is audited (never the password).
    """
    name = normalise_username(username)[:64]
    user = session.scalar(select(StaffUser).where(StaffUser.username == name))
    now = utcnow()
    if user is None or not user.active:
        verify_password(password, _DUMMY_HASH)
        audit.record(session, name or "-", "login_failed", "staff_user", name)
        return None, "Wrong user name or password."
    if user.locked_until is not None and user.locked_until > now:
        audit.record(session, name, "login_locked", "staff_user", name)
        return None, "Too many failed attempts. Try again later or ask an admin."
    if not verify_password(password, user.password_hash):
        user.failed_logins = (user.failed_logins or 0) + 1
        if user.failed_logins >= settings.max_failed_logins:
            user.locked_until = now + timedelta(minutes=settings.lockout_minutes)
            user.failed_logins = 0
        audit.record(session, name, "login_failed", "staff_user", name)
        return None, "Wrong user name or password."
    token = secrets.token_urlsafe(32)
    user.failed_logins, user.locked_until, user.last_login_at = 0, None, now
    session.add(StaffSession(token_hash=_token_hash(token), user_id=user.id,
                             csrf_token=secrets.token_urlsafe(32), created_at=now,
                             last_seen_at=now,
                             expires_at=now + timedelta(hours=settings.max_hours)))
    audit.record(session, name, "login", "staff_user", name)
    return token, ""


def resume_session(session: Session, settings: ConsoleSettings, token: str
                   ) -> Optional[LoginSession]:
    """The session for a cookie token, or None if unknown, idle too long or expired."""
    if not token or len(token) > 200:
        return None
    row = session.scalar(select(StaffSession).where(StaffSession.token_hash == _token_hash(token)))
    if row is None:
        return None
    now = utcnow()
    user = session.get(StaffUser, row.user_id)
    idle = now - row.last_seen_at > timedelta(minutes=settings.idle_minutes)
    if user is None or not user.active or idle or row.expires_at <= now:
        session.delete(row)
        return None
    if now - row.last_seen_at >= TOUCH_EVERY:
        row.last_seen_at = now
    return LoginSession(_identity(user), row.csrf_token, row.token_hash)


def logout(session: Session, token: str) -> Optional[str]:
    """End the session of a cookie token; returns the user name it belonged to."""
    row = session.scalar(select(StaffSession).where(StaffSession.token_hash == _token_hash(token)))
    if row is None:
        return None
    user = session.get(StaffUser, row.user_id)
    session.delete(row)
    name = user.username if user else "-"
    audit.record(session, name, "logout", "staff_user", name)
    return name


def purge_expired_sessions(session: Session, settings: ConsoleSettings) -> int:
    """Delete sessions past either limit; returns how many."""
    now = utcnow()
    result = session.execute(delete(StaffSession).where(
        (StaffSession.expires_at <= now)
        | (StaffSession.last_seen_at < now - timedelta(minutes=settings.idle_minutes))))
    return int(result.rowcount or 0)
