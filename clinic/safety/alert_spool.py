"""Staff alerts that survive a failing database: retried, else spooled to disk and replayed.

A patient who was told to call 911 or the urgent line must also reach the staff queue. When
the database cannot take the alert (locked past its busy timeout, full, unreachable),
:func:`save_alert` writes the alert as one JSON file (mode 600, written atomically) under the
spool directory; the worker replays the spool on every poll (:func:`replay_spool`), and the
alert lands with the same message id, so a replay never makes a duplicate.

A full disk would stop the spool too, so the spool keeps a reserve: a file of
:data:`RESERVE_BYTES` made when the spool is first used (and again after the worker
empties it). When writing an alert finds the disk full, the reserve is given up and the
alert written in its place. Only if the spool cannot be written even then is the alert
lost, and that is logged as an error (without patient text) for the operator.
"""

from __future__ import annotations

import errno
import json
import logging
import os
import time
import uuid
from dataclasses import asdict
from pathlib import Path
from typing import Any, Callable, Dict, Optional, Tuple

from sqlalchemy.exc import SQLAlchemyError

from clinic.db import session_scope
from clinic.messages import MessageContext
from clinic.privacy import sender_tag
from clinic.safety.alerts import raise_alert

logger = logging.getLogger(__name__)

# One try: the database's busy timeout is already a wait, the spool is durable, and the
# turn (the patient's answer) must not wait on retries.
ATTEMPTS = 1
RETRY_SECONDS = 0.2
Recorder = Callable[[MessageContext, str, Dict[str, Any]], Tuple[int, bool]]
RESERVE = ".reserve"  # disk space kept for alerts when the disk fills up
RESERVE_BYTES = 1 << 20  # about 500 alerts


def ensure_reserve(directory: Path) -> None:
    """Make the reserve file if it is missing (best effort: a full disk may refuse)."""
    reserve = directory / RESERVE
    if reserve.exists() and reserve.stat().st_size >= RESERVE_BYTES:
        return
    try:
        directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        with open(reserve, "wb") as handle:
            os.chmod(reserve, 0o600)
            handle.write(b"\0" * RESERVE_BYTES)
            handle.flush()
            os.fsync(handle.fileno())
    except OSError:
        reserve.unlink(missing_ok=True)  # a partial reserve only wastes space


def record_alert(context: MessageContext, level: str, red_flag: Dict[str, Any]) -> Tuple[int, bool]:
    """Store the alert and its notifications once per message; returns (id, created)."""
    with session_scope() as session:
        return raise_alert(session, context, level, red_flag.get("concepts") or [],
                           red_flag.get("evidence") or [])


def spool_alert(directory: Path, context: MessageContext, level: str,
                red_flag: Dict[str, Any]) -> Path:
    """Write one alert to the spool (atomic: a reader never sees half a file)."""
    directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    record = {"context": asdict(context), "level": level, "red_flag": red_flag,
              "spooled_at": time.time()}
    final = directory / f"{time.time_ns():020d}-{uuid.uuid4().hex[:8]}.json"
    partial = final.with_suffix(".part")
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(record, handle)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(partial, final)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    return final


def save_alert(directory: Path, context: MessageContext, level: str, red_flag: Dict[str, Any],
               record: Optional[Recorder] = None) -> Tuple[Optional[int], str]:
    """Store the alert (retried); else spool it. Returns (alert id or None, outcome).

    Outcomes: ``created``, ``existing`` (already stored for this message), ``spooled``,
    ``lost``. Blocking: call it in a worker thread.
    """
    record = record or record_alert
    failure = "unknown"
    for attempt in range(ATTEMPTS):
        try:
            alert_id, created = record(context, level, red_flag)
            return alert_id, "created" if created else "existing"
        except SQLAlchemyError as exc:
            failure = type(exc).__name__
            if attempt + 1 < ATTEMPTS:
                time.sleep(RETRY_SECONDS * (attempt + 1))
    try:
        try:
            spool_alert(directory, context, level, red_flag)
        except OSError as exc:
            if exc.errno not in (errno.ENOSPC, errno.EDQUOT):
                raise
            (directory / RESERVE).unlink(missing_ok=True)  # the disk is full: use the reserve
            spool_alert(directory, context, level, red_flag)
    except OSError as exc:
        logger.error("STAFF ALERT LOST: level=%s conversation=%s: database (%s) and spool (%s) "
                     "both failed", level, sender_tag(context.conversation_id), failure,
                     type(exc).__name__)
        return None, "lost"
    logger.error("Staff alert spooled (database %s): level=%s conversation=%s; the worker "
                 "stores it when the database is back", failure, level,
                 sender_tag(context.conversation_id))
    return None, "spooled"


def replay_spool(directory: Path, record: Optional[Recorder] = None) -> int:
    """Store every spooled alert, oldest first; stop at the first database failure."""
    record = record or record_alert
    ensure_reserve(directory)
    stored = 0
    for path in sorted(directory.glob("*.json")):
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            context = MessageContext(**data["context"])
        except (OSError, ValueError, TypeError, KeyError):
            logger.error("Unreadable spooled alert %s kept aside", path.name)
            path.rename(path.with_suffix(".bad"))
            continue
        try:
            record(context, str(data["level"]), dict(data.get("red_flag") or {}))
        except SQLAlchemyError as exc:
            logger.warning("Spooled alerts wait: database still failing (%s)",
                           type(exc).__name__)
            return stored
        path.unlink()
        stored += 1
    if stored:
        logger.warning("Stored %d spooled staff alert(s)", stored)
    return stored


def spooled_count(directory: Path) -> int:
    """How many alerts wait in the spool."""
    return len(list(directory.glob("*.json"))) if directory.is_dir() else 0
