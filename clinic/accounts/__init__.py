"""Staff accounts of the review console and their login sessions (database work only).

Accounts are managed with ``python -m clinic users`` and the console's admin pages; the web
layer (cookies, CSRF) is the console's.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import List, Optional, Tuple

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from clinic import audit
from clinic.accounts.passwords import hash_password, password_problem, verify_password
from clinic.models import AuditEntry, StaffSession, StaffUser, utcnow
from clinic.settings import ConsoleSettings, get_settings

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


def check_password(password: str, username: str, display_name: str = "") -> None:
    """Raise :class:`AccountError` (zxcvbn's advice) unless ``password`` is strong enough.

    Every way of setting a password (command line, admin pages, one's own account page) comes
    here through :func:`create_user` or :func:`set_password`. Parts made of the user name,
    the display name or the clinic's name don't count towards its strength.
    """
    problem = password_problem(password, username, (display_name, get_settings().clinic.name))
    if problem:
        raise AccountError(problem)


def create_user(session: Session, username: str, password: str, role: str = "reviewer",
                display_name: str = "", created_by: str = "cli") -> StaffIdentity:
    """Add an account; raises :class:`AccountError` for a taken name or a weak password."""
    name = normalise_username(username)
    if not name or not name.replace(".", "").replace("-", "").replace("_", "").isalnum() \
            or len(name) > 64:
        raise AccountError("User names are letters, digits, '.', '-' or '_' (up to 64).")
    if role not in StaffUser.ROLES:
        raise AccountError(f"Role must be one of: {', '.join(StaffUser.ROLES)}.")
    check_password(password, name, display_name)
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
    check_password(password, user.username, user.display_name)
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


def login_refused(settings: ConsoleSettings) -> str:
    """The one answer to every refused log-in, whatever the reason.

    Wrong password, unknown or disabled user name, or too many failures from the client's
    address: which of these it was is never told.
    """
    return (f"Wrong user name or password. After several failed attempts, wait "
            f"{settings.lockout_minutes} minutes before trying again.")


def _throttled(session: Session, settings: ConsoleSettings, address: Optional[str],
               name: str, now: datetime) -> bool:
    """Whether ``address`` has failed too often, in all or for ``name``, in the window.

    Counted from the audit log's ``login_failed`` entries, so the limits hold across restarts
    and processes. A successful log-in as ``name`` from the address clears that name's count
    (so a user's own typos don't pile up) but not the address's (an attacker with one account
    could otherwise reset it between guesses at others).
    """
    since = now - timedelta(minutes=settings.lockout_minutes)
    failures = select(func.count()).select_from(AuditEntry).where(
        AuditEntry.client_address == address, AuditEntry.action == "login_failed",
        AuditEntry.at >= since)
    if int(session.scalar(failures) or 0) >= settings.max_failed_logins_per_address:
        return True
    succeeded = session.scalar(select(func.max(AuditEntry.at)).where(
        AuditEntry.client_address == address, AuditEntry.action == "login",
        AuditEntry.target_id == name, AuditEntry.at >= since))
    name_failures = failures.where(AuditEntry.target_id == name)
    if succeeded is not None:
        name_failures = name_failures.where(AuditEntry.at > succeeded)
    return int(session.scalar(name_failures) or 0) >= settings.max_failed_logins


def login(session: Session, settings: ConsoleSettings, username: str, password: str,
          client_address: Optional[str] = None) -> Tuple[Optional[str], str]:
    """Check a login; returns (cookie token, "") or (None, reason shown to the user).

    Every refusal gets the same answer (:func:`login_refused`) after the same work (one
    scrypt check, against a dummy hash if the name is unknown or disabled or the address is
    throttled), so it tells nothing about which names exist or which are being attacked.

    Failures are throttled per client address (``client_address``, default the current
    request's) and per (address, user name), never per account alone: a per-account lock or
    slowdown can be set off by anyone who knows the name, locking the real user out from their
    own address, and a delay doesn't slow guesses sent in parallel. So there is none; guessing
    from many addresses is bounded by the password strength rule (``accounts.passwords``) and
    visible in the audit log. Every attempt is audited with its address (never the password).
    A successful log-in also deletes every account's expired sessions.
    """
    name = normalise_username(username)[:64]
    address = (client_address or audit.current_address() or "")[:audit.MAX_ADDRESS] or None
    now = utcnow()
    user = session.scalar(select(StaffUser).where(StaffUser.username == name))
    throttled = _throttled(session, settings, address, name, now)
    usable = user is not None and bool(user.active) and not throttled
    matches = verify_password(password, user.password_hash if usable and user else _DUMMY_HASH)
    if throttled:
        audit.record(session, name or "-", "login_throttled", "staff_user", name,
                     client_address=address)
        return None, login_refused(settings)
    if not (usable and matches) or user is None:
        audit.record(session, name or "-", "login_failed", "staff_user", name,
                     client_address=address)
        return None, login_refused(settings)
    token = secrets.token_urlsafe(32)
    user.last_login_at = now
    session.add(StaffSession(token_hash=_token_hash(token), user_id=user.id,
                             csrf_token=secrets.token_urlsafe(32), created_at=now,
                             last_seen_at=now,
                             expires_at=now + timedelta(hours=settings.max_hours)))
    audit.record(session, name, "login", "staff_user", name, client_address=address)
    purge_expired_sessions(session, settings)
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
