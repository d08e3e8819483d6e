"""Claims with a lease, and retry backoff: the outbox's and the check-in sender's.

A worker claims a due row with a compare-and-set UPDATE: it applies only if the columns it
read (the guards, ``attempts`` always among them) still hold what it read, so of two workers
that read one row, one claims it. The claim counts the attempt (``attempts + 1``) and sets
the lease (a column of the caller's: the row is due again when it ends). What the attempt
stores afterwards is guarded by that count (:func:`still_claimed`), so an attempt that
outlived its lease never overwrites a later claim's work. A failed attempt waits a doubling,
capped :func:`backoff`.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any, List, Optional, Protocol, Sequence, Tuple

from sqlalchemy import update
from sqlalchemy.orm import Session


class RetryPolicy(Protocol):
    """Settings with a doubling backoff (``NotifySettings``, ``FollowUpSettings``)."""

    @property
    def retry_base_seconds(self) -> float:
        """The first wait."""

    @property
    def retry_cap_seconds(self) -> float:
        """The longest wait."""


def update_where(session: Session, model: Any, where: Sequence[Any], **values: Any) -> bool:
    """UPDATE the ``model`` rows matching ``where`` (no ORM sync); True if exactly one."""
    result = session.execute(update(model).where(*where).values(**values)
                             .execution_options(synchronize_session=False))
    return bool(result.rowcount == 1)


def unchanged(row: Any, guards: Sequence[Any]) -> List[Any]:
    """SQL: ``row`` (by id) still has the ``attempts`` and ``guards`` values it was read with."""
    model = type(row)
    return [model.id == row.id, model.attempts == row.attempts,
            *(column == getattr(row, column.key) for column in guards)]


def claim(session: Session, row: Any, guards: Sequence[Any], *also: Any,
          **values: Any) -> Optional[int]:
    """Claim ``row`` for its next attempt, unless another worker changed it since it was read.

    ``guards``: columns besides ``attempts`` that must still hold what was read; ``also``:
    more conditions (e.g. still due); ``values``: the lease and whatever else the claim sets.
    Returns the attempt's number, or None when the row was not claimed.
    """
    attempt = int(row.attempts) + 1
    claimed = update_where(session, type(row), [*unchanged(row, guards), *also],
                           attempts=attempt, **values)
    return attempt if claimed else None


def still_claimed(model: Any, row_id: int, attempt: int, status: str) -> Tuple[Any, ...]:
    """SQL: the row is still ``status`` and nobody claimed it after attempt ``attempt``."""
    return (model.id == row_id, model.status == status, model.attempts == attempt)


def backoff(attempts: int, policy: RetryPolicy) -> timedelta:
    """Wait before attempt ``attempts + 1``: doubling from the base, capped."""
    seconds = policy.retry_base_seconds * (2 ** max(0, min(attempts - 1, 30)))
    return timedelta(seconds=min(seconds, policy.retry_cap_seconds))
