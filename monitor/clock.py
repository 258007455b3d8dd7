"""The clock every "now" and "today" comes from; pass one in, never call datetime.now() elsewhere."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Protocol
from zoneinfo import ZoneInfo


class Clock(Protocol):
    def now(self) -> datetime:
        """The current time, timezone-aware UTC."""
        ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


@dataclass(frozen=True)
class FixedClock:
    at: datetime

    def now(self) -> datetime:
        return self.at.astimezone(UTC)


def local_date(when: datetime, timezone: str) -> date:
    """The calendar date of an instant in the configured timezone."""
    return when.astimezone(ZoneInfo(timezone)).date()


def today(clock: Clock, timezone: str) -> date:
    """Today's date in the configured timezone."""
    return local_date(clock.now(), timezone)


def iso(value: date | datetime | None) -> str | None:
    """ISO 8601 for --json documents; None stays None."""
    return value.isoformat() if value is not None else None


def clock_from_env() -> Clock:
    """The system clock, unless MONITOR_NOW (ISO 8601) pins it: for demos, tests and reproducible reports."""
    import os

    pinned = os.environ.get("MONITOR_NOW")
    if not pinned:
        return SystemClock()
    try:
        at = datetime.fromisoformat(pinned)
    except ValueError as e:
        from .errors import InputError

        raise InputError(f"MONITOR_NOW: not an ISO 8601 date or time: {pinned!r}") from e
    if at.tzinfo is None:
        at = at.replace(tzinfo=UTC)
    try:
        at = at.astimezone(UTC)
    except OverflowError as e:  # 0001-01-01T00:00+01:00 is before the first representable UTC instant
        from .errors import InputError

        raise InputError(f"MONITOR_NOW: out of range: {pinned!r}") from e
    return FixedClock(at)
