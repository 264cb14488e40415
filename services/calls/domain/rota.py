"""The rota: every scheduled slot of one role, and repeating patterns of slots.

One Rota per role holds each live (not cancelled) slot's start and end. It is where a pattern is refused when
its slots overlap each other or a slot already scheduled for that role, and it is the calls service's own
index for listing a week or computing coverage: the slots of a role in a range without reading every Shift.
A pattern's shifts and the rota are saved together, so a pattern is stored whole or not at all, and optimistic
concurrency on the rota makes two racing patterns end in one 409.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from uuid import NAMESPACE_URL, UUID, uuid5
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from eventsourcing.domain import Aggregate, event

from services.calls.domain.shift import InvalidShift, require_aware
from services.calls.domain.volunteer import Role
from services.kernel.errors import DomainError

# A pattern makes at most this many slots: a year of a 24/7 line in 4-hour slots is 2,190.
MAX_PATTERN_SLOTS = 2_000
MAX_PATTERN_WEEKS = 104
DEFAULT_ZONE = "Europe/Rome"
_ROTA = uuid5(NAMESPACE_URL, "angeli:calls:rota")
_HHMM = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")


class OverlappingSlots(DomainError):
    """A pattern's slot overlaps a slot already scheduled for the same role (409)."""


@dataclass(frozen=True)
class DailySlot:
    """A slot of each chosen day in wall-clock time; an end at or before the start is on the next day."""

    start: time
    end: time

    @classmethod
    def parse(cls, start: str, end: str) -> DailySlot:
        return cls(_hhmm(start), _hhmm(end))

    def span(self, day: date, zone: ZoneInfo) -> tuple[datetime, datetime]:
        starts_at = datetime.combine(day, self.start, zone)
        end_day = day + timedelta(days=1) if self.end <= self.start else day
        return starts_at, datetime.combine(end_day, self.end, zone)

    def label(self) -> str:
        return f"{self.start:%H:%M}-{self.end:%H:%M}"


def _hhmm(text: str) -> time:
    match = _HHMM.match(text.strip())
    if match is None:
        raise InvalidShift(f"a slot's time is written HH:MM (00:00 to 23:59), got {text!r}")
    return time(int(match[1]), int(match[2]))


def every_hours(hours: int) -> list[DailySlot]:
    """A whole day cut in slots of `hours` hours from midnight (24/7 in 4-hour slots: every_hours(4))."""
    if hours < 1 or 24 % hours:
        raise InvalidShift(f"a day is cut in slots of 1, 2, 3, 4, 6, 8, 12 or 24 hours, got {hours}")
    return [DailySlot(time(h), time((h + hours) % 24)) for h in range(0, 24, hours)]


def zone_of(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise InvalidShift(f"unknown time zone {name!r}; use an IANA name such as Europe/Rome") from None


@dataclass(frozen=True)
class Pattern:
    """Weekdays (ISO: 1 = Monday … 7 = Sunday) x daily slots, for `weeks` weeks from `starts_on`."""

    starts_on: date
    weeks: int
    weekdays: tuple[int, ...]
    slots: tuple[DailySlot, ...]
    zone: ZoneInfo

    def __post_init__(self) -> None:
        if not 1 <= self.weeks <= MAX_PATTERN_WEEKS:
            raise InvalidShift(f"a pattern lasts 1 to {MAX_PATTERN_WEEKS} weeks, got {self.weeks}")
        if not self.weekdays or any(not 1 <= d <= 7 for d in self.weekdays):
            raise InvalidShift(f"weekdays are 1 (Monday) to 7 (Sunday), at least one; got {list(self.weekdays)}")
        if len(set(self.weekdays)) != len(self.weekdays):
            raise InvalidShift(f"a weekday is named twice: {list(self.weekdays)}")
        if not self.slots:
            raise InvalidShift("a pattern needs at least one daily slot, e.g. 10:00-14:00")
        if self.size > MAX_PATTERN_SLOTS:
            raise InvalidShift(
                f"this pattern would make {self.size:,} slots ({self.weeks} weeks x {len(self.weekdays)} days x "
                f"{len(self.slots)} slots a day); a pattern makes at most {MAX_PATTERN_SLOTS:,}: split it in "
                "shorter patterns")
        ordered = sorted(self.slots, key=lambda s: s.start)
        # Daily slots must not overlap each other: within a day, nor the last one running into the next day's first.
        utc, day = ZoneInfo("UTC"), date(2001, 1, 1)
        spans = [s.span(day, utc) for s in ordered] + [ordered[0].span(day + timedelta(days=1), utc)]
        labels = [s.label() for s in ordered] + [ordered[0].label()]
        for i in range(len(spans) - 1):
            if spans[i][1] > spans[i + 1][0]:
                raise InvalidShift(f"the daily slots {labels[i]} and {labels[i + 1]} overlap each other")

    @property
    def size(self) -> int:
        return self.weeks * len(self.weekdays) * len(self.slots)

    def spans(self) -> list[tuple[datetime, datetime]]:
        """Every slot's start and end, in order."""
        found = []
        for offset in range(self.weeks * 7):
            day = self.starts_on + timedelta(days=offset)
            if day.isoweekday() in self.weekdays:
                found += [slot.span(day, self.zone) for slot in sorted(self.slots, key=lambda s: s.start)]
        return found


class Rota(Aggregate):
    """The live slots of one role: shift id → (start, end)."""

    @staticmethod
    def create_id(role: str) -> UUID:
        return uuid5(_ROTA, Role(role).value)

    @event("Opened")
    def __init__(self, role: str) -> None:
        self.role = Role(role)
        self.slots: dict[str, tuple[datetime, datetime]] = {}
        self._sorted: list[tuple[datetime, str]] | None = None

    def place(self, spans: list[tuple[UUID, datetime, datetime]], *, exclusive: bool) -> None:
        """Add slots; with `exclusive` (a pattern), refuse any that overlaps a slot of this role already placed."""
        for _, starts_at, ends_at in spans:
            require_aware("starts_at", starts_at)
            require_aware("ends_at", ends_at)
        if exclusive:
            self._refuse_overlaps([(s, e) for _, s, e in spans])
        self._place([{"shift_id": str(i), "starts_at": s.isoformat(), "ends_at": e.isoformat()} for i, s, e in spans])

    def _refuse_overlaps(self, spans: list[tuple[datetime, datetime]]) -> None:
        if not self.slots:
            return
        ordered = sorted(self.slots.values())
        starts = [s for s, _ in ordered]
        longest = max(e - s for s, e in ordered)
        for starts_at, ends_at in spans:
            # Only placed slots starting before this one ends, and not so early they must end before it starts.
            low, high = bisect_left(starts, starts_at - longest), bisect_left(starts, ends_at)
            for other_start, other_end in ordered[low:high]:
                if other_start < ends_at and starts_at < other_end:
                    raise OverlappingSlots(
                        f"the slot {starts_at.isoformat()} → {ends_at.isoformat()} overlaps the {self.role.value} "
                        f"slot already scheduled {other_start.isoformat()} → {other_end.isoformat()}; nothing was "
                        "scheduled")

    @event("SlotsPlaced")
    def _place(self, slots: list[dict[str, str]]) -> None:
        for slot in slots:
            self.slots[slot["shift_id"]] = (datetime.fromisoformat(slot["starts_at"]),
                                            datetime.fromisoformat(slot["ends_at"]))
        self._sorted = None

    def move(self, shift_id: UUID, starts_at: datetime, ends_at: datetime) -> None:
        self._move(str(shift_id), starts_at.isoformat(), ends_at.isoformat())

    @event("SlotMoved")
    def _move(self, shift_id: str, starts_at: str, ends_at: str) -> None:
        self.slots[shift_id] = (datetime.fromisoformat(starts_at), datetime.fromisoformat(ends_at))
        self._sorted = None

    def remove(self, shift_id: UUID) -> None:
        self._remove(str(shift_id))

    @event("SlotRemoved")
    def _remove(self, shift_id: str) -> None:
        self.slots.pop(shift_id, None)
        self._sorted = None

    def between(self, start: datetime, end: datetime) -> list[tuple[datetime, datetime, str]]:
        """Live slots overlapping [start, end), by start."""
        if getattr(self, "_sorted", None) is None:
            self._sorted = sorted((s, i) for i, (s, _) in self.slots.items())
        assert self._sorted is not None
        found = []
        for starts_at, shift_id in self._sorted[:bisect_left(self._sorted, (end, ""))]:
            ends_at = self.slots[shift_id][1]
            if ends_at > start:
                found.append((starts_at, ends_at, shift_id))
        return found
