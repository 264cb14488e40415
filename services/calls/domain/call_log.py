"""Call log: the calls one volunteer started in one calendar month (UTC), newest last — the index the call list
and the helpline screen's resume read, saved with each call it names (so it is never behind)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event

from services.kernel.errors import InvalidInput

_CALL_LOG = uuid5(NAMESPACE_URL, "angeli:calls:call-log")
MAX_RANGE = timedelta(days=366)
MAX_PAGE = 100


class InvalidCallQuery(InvalidInput):
    pass


def month_of(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y-%m")


def call_log_id(volunteer_id: UUID | str, month: str) -> UUID:
    return uuid5(_CALL_LOG, f"{volunteer_id}:{month}")


def months_between(start: datetime, end: datetime) -> list[str]:
    """The months (UTC) from the one holding `start` to the one holding `end`, oldest first."""
    first, last = start.astimezone(UTC), end.astimezone(UTC)
    year, month, months = first.year, first.month, []
    while (year, month) <= (last.year, last.month):
        months.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return months


def check_range(start: datetime, end: datetime) -> None:
    """A call list's period: `from` before `to`, both with a zone offset, at most MAX_RANGE apart."""
    if start.tzinfo is None or end.tzinfo is None:
        raise InvalidCallQuery("from and to need a zone offset, e.g. 2026-11-23T00:00:00+01:00")
    if end <= start:
        raise InvalidCallQuery(f"from ({start.isoformat()}) must be before to ({end.isoformat()})")
    if end - start > MAX_RANGE:
        raise InvalidCallQuery(f"from and to may be at most {MAX_RANGE.days} days apart; ask for a shorter period")


def check_page(offset: int, limit: int) -> None:
    if offset < 0:
        raise InvalidCallQuery(f"offset must be 0 or more, got {offset}")
    if not 1 <= limit <= MAX_PAGE:
        raise InvalidCallQuery(f"limit must be 1 to {MAX_PAGE}, got {limit}")


@dataclass(frozen=True)
class LoggedCall:
    call_id: str
    direction: str
    started_at: datetime


class CallLog(Aggregate):
    """One volunteer's calls started in one month; entries are only added."""

    @staticmethod
    def create_id(volunteer_id: str, month: str) -> UUID:
        return call_log_id(volunteer_id, month)

    @event("Opened")
    def __init__(self, volunteer_id: str, month: str) -> None:
        self.volunteer_id = volunteer_id
        self.month = month
        self.entries: list[LoggedCall] = []

    def log(self, call_id: UUID, direction: str, started_at: datetime) -> None:
        self._log(str(call_id), direction, started_at)

    @event("Logged")
    def _log(self, call_id: str, direction: str, started_at: datetime) -> None:
        self.entries.append(LoggedCall(call_id, direction, started_at))
