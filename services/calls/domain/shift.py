"""Shifts and presence: scheduled slots, sign-ups, and each volunteer's clock-ins and clock-outs.

The no-overlap rule spans shifts, so it lives in one aggregate per volunteer (Presence) that holds every
slot the volunteer signed up for: a sign-up saves the Shift and the Presence together, and optimistic
concurrency on the Presence makes two racing sign-ups for overlapping slots end in one 409.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event

from services.calls.domain.volunteer import Role
from services.kernel.errors import DomainError, InvalidInput

MAX_SHIFT = timedelta(hours=24)
# A volunteer who clocks in a little early is still on the shift, not flagged.
EARLY_CLOCK_IN = timedelta(minutes=30)
_PRESENCE = uuid5(NAMESPACE_URL, "angeli:calls:presence")


class InvalidShift(InvalidInput):
    pass


class ShiftFull(DomainError):
    pass


class ShiftAlreadyOver(DomainError):
    pass


class ShiftAlreadyStarted(DomainError):
    pass


class ShiftCancelled(DomainError):
    pass


class NotSignedUp(DomainError):
    pass


class AlreadySignedUp(DomainError):
    pass


class RoleNotHeld(DomainError):
    pass


class OverlappingShift(DomainError):
    pass


class DoubleClockIn(DomainError):
    pass


class NotClockedIn(DomainError):
    pass


class ClockOutBeforeClockIn(DomainError):
    pass


class CorrectionInTheFuture(InvalidInput):
    pass


def require_aware(name: str, value: datetime) -> None:
    if value.tzinfo is None or value.utcoffset() is None:
        raise InvalidShift(f"{name} must carry a time zone offset, e.g. 2026-11-23T10:00:00+01:00; got {value}")


class Shift(Aggregate):
    """A scheduled slot for one role, with room for `capacity` volunteers."""

    @classmethod
    def schedule(
        cls, starts_at: datetime, ends_at: datetime, role: Role, capacity: int, scheduled_at: datetime
    ) -> Shift:
        require_aware("starts_at", starts_at)
        require_aware("ends_at", ends_at)
        if ends_at <= starts_at:
            raise InvalidShift(f"ends_at must be after starts_at, got {starts_at} → {ends_at}")
        if ends_at - starts_at > MAX_SHIFT:
            raise InvalidShift(f"a shift lasts at most 24 hours, got {ends_at - starts_at}")
        if not 1 <= capacity <= 500:
            raise InvalidShift(f"capacity must be between 1 and 500, got {capacity}")
        if ends_at <= scheduled_at:  # one under way may still be staffed (a reinforcement for now)
            raise InvalidShift(f"the shift would end at {ends_at.isoformat()}, already past (it is now "
                               f"{scheduled_at.isoformat(timespec='minutes')}); pick a later time")
        return cls(starts_at, ends_at, role.value, capacity, scheduled_at)

    @event("Scheduled")
    def __init__(self, starts_at: datetime, ends_at: datetime, role: str, capacity: int,
                 scheduled_at: datetime) -> None:
        self.starts_at = starts_at
        self.ends_at = ends_at
        self.role = Role(role)
        self.capacity = capacity
        self.volunteers: list[str] = []
        self.cancelled = False

    def sign_up(self, volunteer_id: UUID, roles: tuple[Role, ...], at: datetime) -> None:
        self._require_live()
        if at >= self.ends_at:
            raise ShiftAlreadyOver(f"shift {self.id} ended at {self.ends_at.isoformat()}; pick a later one")
        if self.role not in roles:
            raise RoleNotHeld(f"shift {self.id} needs the {self.role.value} role, which volunteer {volunteer_id} lacks")
        if str(volunteer_id) in self.volunteers:
            raise AlreadySignedUp(f"volunteer {volunteer_id} is already signed up for shift {self.id}")
        if len(self.volunteers) >= self.capacity:
            raise ShiftFull(f"shift {self.id} is full ({self.capacity} volunteers); pick another slot")
        self._sign_up(str(volunteer_id), at)

    @event("SignedUp")
    def _sign_up(self, volunteer_id: str, signed_up_at: datetime) -> None:
        self.volunteers.append(volunteer_id)

    def cancel_sign_up(self, volunteer_id: UUID, at: datetime) -> None:
        if str(volunteer_id) not in self.volunteers:
            raise NotSignedUp(f"volunteer {volunteer_id} is not signed up for shift {self.id}")
        if at >= self.starts_at:
            raise ShiftAlreadyStarted(f"shift {self.id} has started; a sign-up can be cancelled only before")
        self._cancel_sign_up(str(volunteer_id), at)

    @event("SignUpCancelled")
    def _cancel_sign_up(self, volunteer_id: str, cancelled_at: datetime) -> None:
        self.volunteers.remove(volunteer_id)

    def _require_live(self) -> None:
        if getattr(self, "cancelled", False):
            raise ShiftCancelled(f"shift {self.id} was cancelled; pick another slot")

    def _require_future(self, at: datetime, what: str) -> None:
        self._require_live()
        if at >= self.starts_at:
            raise ShiftAlreadyStarted(f"shift {self.id} started at {self.starts_at.isoformat()}; only a future "
                                      f"shift can be {what}")

    def cancel(self, reason: str, by: str, at: datetime) -> None:
        """Cancel a future shift: the volunteers signed up stay on record in the event."""
        self._require_future(at, "cancelled")
        self._cancel(reason, by, list(self.volunteers), at)

    @event("Cancelled")
    def _cancel(self, reason: str, cancelled_by: str, volunteers: list[str], cancelled_at: datetime) -> None:
        self.cancelled = True

    def edit(self, starts_at: datetime, ends_at: datetime, capacity: int, by: str, at: datetime) -> None:
        """Move a future shift or change its capacity; never below the volunteers already signed up."""
        self._require_future(at, "edited")
        require_aware("starts_at", starts_at)
        require_aware("ends_at", ends_at)
        if ends_at <= starts_at:
            raise InvalidShift(f"ends_at must be after starts_at, got {starts_at} → {ends_at}")
        if ends_at - starts_at > MAX_SHIFT:
            raise InvalidShift(f"a shift lasts at most 24 hours, got {ends_at - starts_at}")
        if starts_at <= at:
            raise InvalidShift(f"a shift can be moved only to the future, got {starts_at.isoformat()}")
        if not 1 <= capacity <= 500:
            raise InvalidShift(f"capacity must be between 1 and 500, got {capacity}")
        if capacity < len(self.volunteers):
            raise ShiftFull(f"{len(self.volunteers)} volunteers are signed up for shift {self.id}; the capacity "
                            f"cannot go below that (asked {capacity})")
        self._edit(starts_at, ends_at, capacity, by, at)

    @event("Edited")
    def _edit(self, starts_at: datetime, ends_at: datetime, capacity: int, edited_by: str,
              edited_at: datetime) -> None:
        self.starts_at = starts_at
        self.ends_at = ends_at
        self.capacity = capacity


class Presence(Aggregate):
    """One volunteer's signed-up slots and clock state: where no-overlap and clock rules are enforced."""

    @staticmethod
    def create_id(volunteer_id: UUID) -> UUID:
        return uuid5(_PRESENCE, str(volunteer_id))

    @event("Opened")
    def __init__(self, volunteer_id: UUID) -> None:
        self.volunteer_id = volunteer_id
        self.slots: dict[str, tuple[datetime, datetime]] = {}
        self.clocked_in_at: datetime | None = None
        self.shift_id: str | None = None

    def hold(self, shift: Shift) -> None:
        self._refuse_overlap(shift)
        self._hold(str(shift.id), shift.starts_at, shift.ends_at)

    def _refuse_overlap(self, shift: Shift) -> None:
        for other_id, (starts_at, ends_at) in self.slots.items():
            if other_id != str(shift.id) and shift.starts_at < ends_at and starts_at < shift.ends_at:
                raise OverlappingShift(
                    f"volunteer {self.volunteer_id} already holds shift {other_id} "
                    f"({starts_at.isoformat()} → {ends_at.isoformat()}), which overlaps this one"
                )

    @event("SlotHeld")
    def _hold(self, shift_id: str, starts_at: datetime, ends_at: datetime) -> None:
        self.slots[shift_id] = (starts_at, ends_at)

    def release(self, shift_id: UUID) -> None:
        self._release(str(shift_id))

    @event("SlotReleased")
    def _release(self, shift_id: str) -> None:
        self.slots.pop(shift_id, None)

    def move(self, shift: Shift) -> None:
        """The shift this volunteer holds was moved: hold it at its new times, if no other slot overlaps them."""
        self._refuse_overlap(shift)
        self._hold(str(shift.id), shift.starts_at, shift.ends_at)

    @property
    def clocked_in(self) -> bool:
        return self.clocked_in_at is not None

    def clock_in(self, at: datetime) -> None:
        if self.clocked_in_at is not None:
            raise DoubleClockIn(
                f"volunteer {self.volunteer_id} is already clocked in since {self.clocked_in_at.isoformat()}; "
                "clock out first (or ask a coordinator to close a forgotten clock-out)"
            )
        shift_id = self._slot_at(at)
        self._clock_in(str(self.volunteer_id), shift_id, at, shift_id is None)

    def _slot_at(self, at: datetime) -> str | None:
        for shift_id, (starts_at, ends_at) in sorted(self.slots.items(), key=lambda s: s[1]):
            if starts_at - EARLY_CLOCK_IN <= at < ends_at:
                return shift_id
        return None

    @event("ClockedIn")
    def _clock_in(self, volunteer_id: str, shift_id: str | None, at: datetime, outside_shift: bool) -> None:
        self.clocked_in_at = at
        self.shift_id = shift_id

    def clock_out(self, at: datetime) -> None:
        self._require_clock_out_after_clock_in(at)
        self._clock_out(str(self.volunteer_id), at, False, None)

    def correct_forgotten_clock_out(self, at: datetime, corrected_by: UUID, now: datetime) -> None:
        """A coordinator closes a clock-out the volunteer forgot: a new event, never an edit."""
        self._require_clock_out_after_clock_in(at)
        if at > now:
            raise CorrectionInTheFuture(f"the corrected clock-out must not be in the future, got {at.isoformat()}")
        self._clock_out(str(self.volunteer_id), at, True, str(corrected_by))

    def _require_clock_out_after_clock_in(self, at: datetime) -> None:
        require_aware("at", at)
        if self.clocked_in_at is None:
            raise NotClockedIn(f"volunteer {self.volunteer_id} is not clocked in")
        if at <= self.clocked_in_at:
            raise ClockOutBeforeClockIn(
                f"clock-out {at.isoformat()} must be after the clock-in {self.clocked_in_at.isoformat()}"
            )

    @event("ClockedOut")
    def _clock_out(self, volunteer_id: str, at: datetime, corrected: bool, corrected_by: str | None) -> None:
        self.clocked_in_at = None
        self.shift_id = None
