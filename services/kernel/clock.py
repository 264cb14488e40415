"""The clock: the only place application code learns the time, so tests and replays can fix it."""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime, timedelta
from typing import Annotated, Protocol

from pydantic import AfterValidator, AwareDatetime


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


# Dates and instants from outside (HTTP, CSV, CLI) must fall in these years. Outside them every read model
# that turns an instant into a Rome date, or adds days to a date, would fail on the event: one mistyped year
# would stop the ledger for everyone. A charity's records, past and planned, fit well inside.
EARLIEST, LATEST = date(1900, 1, 1), date(2199, 12, 31)


def plausible_date(day: date) -> date:
    """`day`, if it falls between 1900 and 2199; otherwise ValueError saying so (the caller names the value)."""
    if not EARLIEST <= day <= LATEST:
        raise ValueError(f"must fall between {EARLIEST.isoformat()} and {LATEST.isoformat()}")
    return day


def plausible_instant(at: datetime) -> datetime:
    """`at` unchanged, if it falls between 1900 and 2199 (in UTC when it carries a zone: a naive one is left to
    the rule that asks for a zone); otherwise ValueError saying so."""
    try:
        plausible_date(at.astimezone(UTC).date() if at.utcoffset() is not None else at.date())
    except (OverflowError, ValueError):  # OverflowError: year 1 or 9999 has no UTC date on the far side
        raise ValueError(f"must fall between {EARLIEST.isoformat()} and {LATEST.isoformat()} (UTC)") from None
    return at


# Request fields: validated like any other, so a wrong year is a 422 naming the field.
Day = Annotated[date, AfterValidator(plausible_date)]
Instant = Annotated[datetime, AfterValidator(plausible_instant)]
AwareInstant = Annotated[AwareDatetime, AfterValidator(plausible_instant)]
