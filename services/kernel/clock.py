"""The clock: the only place application code learns the time, so tests and replays can fix it."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime:
        """The current instant, timezone-aware (UTC)."""
        ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class ShiftedClock:
    """Real time moved to start at a chosen instant: a training or demo installation that should behave as
    on a weekday morning whenever it is used (set by ANGELI_CLOCK_START; never in production)."""

    def __init__(self, start: datetime) -> None:
        if start.tzinfo is None:
            raise ValueError(f"ShiftedClock needs a timezone-aware datetime, got {start!r}")
        self._offset = start - datetime.now(UTC)

    def now(self) -> datetime:
        return datetime.now(UTC) + self._offset


class FixedClock:
    """A clock that stands still until told to move; for tests and demo data."""

    def __init__(self, at: datetime) -> None:
        if at.tzinfo is None:
            raise ValueError(f"FixedClock needs a timezone-aware datetime, got {at!r}")
        self._at = at
        self._lock = threading.Lock()

    def now(self) -> datetime:
        with self._lock:
            return self._at

    def set(self, at: datetime) -> None:
        with self._lock:
            self._at = at

    def advance(self, by: timedelta) -> None:
        with self._lock:
            self._at += by
