"""When the clinic's staff answer: office hours in the clinic's time zone.

Configured in ``clinic.yml`` (``office_hours``) or the environment; used to tell a patient
who asks for a person when a member of staff will reply.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta, timezone
from typing import Any, FrozenSet, Mapping, Optional
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

DAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
DEFAULT_TIMEZONE = "America/Chicago"


@dataclass(frozen=True)
class OfficeHours:
    """Opening days (0 = Monday) and times, in one IANA time zone."""

    timezone: str = DEFAULT_TIMEZONE
    days: FrozenSet[int] = frozenset(range(5))
    opens: time = time(8, 0)
    closes: time = time(17, 0)

    @property
    def zone(self) -> ZoneInfo:
        """The clinic's time zone."""
        return ZoneInfo(self.timezone)

    def local(self, now: datetime) -> datetime:
        """``now`` (naive means UTC) in the clinic's time zone."""
        if now.tzinfo is None:
            now = now.replace(tzinfo=timezone.utc)
        return now.astimezone(self.zone)

    def is_open(self, now: datetime) -> bool:
        """True if staff are at work at ``now``."""
        local = self.local(now)
        return local.weekday() in self.days and self.opens <= local.time() < self.closes

    def next_opening(self, now: datetime) -> Optional[datetime]:
        """The next time the office opens after ``now`` (local time); None if never."""
        local = self.local(now)
        for offset in range(0, 8):
            day = (local + timedelta(days=offset)).date()
            if day.weekday() not in self.days:
                continue
            opening = datetime.combine(day, self.opens, tzinfo=self.zone)
            if opening > local:
                return opening
        return None


def parse_days(raw: Any) -> FrozenSet[int]:
    """``"mon-fri"``, ``"mon,wed,fri"`` or a list of day names -> weekday numbers."""
    items = raw if isinstance(raw, (list, tuple)) else str(raw).split(",")
    days: set[int] = set()
    for item in items:
        item = str(item).strip().lower()[:7]
        if "-" in item:
            first, last = (part.strip()[:3] for part in item.split("-", 1))
            if first in DAY_NAMES and last in DAY_NAMES:
                start, end = DAY_NAMES.index(first), DAY_NAMES.index(last)
                days.update(range(start, end + 1) if start <= end else [])
        elif item[:3] in DAY_NAMES:
            days.add(DAY_NAMES.index(item[:3]))
    return frozenset(days)


def parse_time(raw: Any, default: time) -> time:
    """``"08:00"`` / ``"8:30"`` -> time; the default if unreadable."""
    try:
        hours, minutes = str(raw).strip().split(":", 1)
        return time(int(hours), int(minutes))
    except (ValueError, TypeError):
        return default


def load_office_hours(values: Mapping[str, Any], env: Mapping[str, str]) -> OfficeHours:
    """Office hours from a ``clinic.yml`` mapping, each field overridable by the environment."""
    default = OfficeHours()
    zone = str(env.get("CLINIC_TIMEZONE") or values.get("timezone") or default.timezone)
    try:
        ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError):
        zone = default.timezone
    days = parse_days(env.get("CLINIC_OPEN_DAYS") or values.get("days") or "mon-fri")
    opens = parse_time(env.get("CLINIC_OPENS") or values.get("opens"), default.opens)
    closes = parse_time(env.get("CLINIC_CLOSES") or values.get("closes"), default.closes)
    if closes <= opens:
        opens, closes = default.opens, default.closes
    return OfficeHours(zone, days or default.days, opens, closes)
