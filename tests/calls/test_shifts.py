"""Shifts and presence: sign-ups without overlaps, clock-in and clock-out rules, corrections."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

import pytest

from services.calls.application import CallsApplication
from services.calls.domain.shift import (
    AlreadySignedUp,
    ClockOutBeforeClockIn,
    CorrectionInTheFuture,
    DoubleClockIn,
    InvalidShift,
    NotClockedIn,
    OverlappingShift,
    RoleNotHeld,
    ShiftAlreadyOver,
    ShiftAlreadyStarted,
    ShiftFull,
)
from services.calls.domain.volunteer import NotACoordinator
from services.kernel.clock import FixedClock
from services.kernel.errors import ConcurrencyConflict
from tests.calls.conftest import at, later, messages, register, rome


def evening(calls: CallsApplication, day: str = "2026-11-24", start: str = "14:00", end: str = "18:00",
            capacity: int = 2) -> UUID:
    return calls.schedule_shift(rome(f"{day} {start}"), rome(f"{day} {end}"), "helpline", capacity)


def test_a_volunteer_cannot_hold_two_overlapping_shifts(calls: CallsApplication) -> None:
    giulia = register(calls)
    afternoon = evening(calls, start="14:00", end="18:00")
    late = evening(calls, start="17:00", end="20:00")
    calls.sign_up(afternoon, giulia)
    with pytest.raises(OverlappingShift, match="overlaps"):
        calls.sign_up(late, giulia)
    assert calls.shift(late).volunteers == ()
    assert calls.presence(giulia).shifts == (str(afternoon),)


def test_back_to_back_shifts_do_not_overlap(calls: CallsApplication) -> None:
    giulia = register(calls)
    calls.sign_up(evening(calls, start="14:00", end="18:00"), giulia)
    calls.sign_up(evening(calls, start="18:00", end="20:00"), giulia)
    assert len(calls.presence(giulia).shifts) == 2


def test_a_cancelled_sign_up_frees_the_slot(calls: CallsApplication) -> None:
    giulia = register(calls)
    afternoon, late = evening(calls, start="14:00", end="18:00"), evening(calls, start="17:00", end="20:00")
    calls.sign_up(afternoon, giulia)
    calls.cancel_sign_up(afternoon, giulia)
    calls.sign_up(late, giulia)
    assert calls.shift(afternoon).volunteers == ()
    assert calls.presence(giulia).shifts == (str(late),)


def test_racing_sign_ups_for_overlapping_shifts_end_in_one_conflict(calls: CallsApplication) -> None:
    # Two requests read Giulia's presence at the same version; only the first save may win.
    giulia = register(calls)
    afternoon, late = evening(calls, start="14:00", end="18:00"), evening(calls, start="17:00", end="20:00")
    from services.calls.domain.shift import Presence, Shift

    first, second = calls.get(Presence.create_id(giulia), Presence), calls.get(Presence.create_id(giulia), Presence)
    shift_a, shift_b = calls.get(afternoon, Shift), calls.get(late, Shift)
    now = calls.clock.now()
    shift_a.sign_up(giulia, calls.volunteer(giulia).roles, now)
    first.hold(shift_a)
    shift_b.sign_up(giulia, calls.volunteer(giulia).roles, now)
    second.hold(shift_b)
    calls.save(shift_a, first)
    with pytest.raises(ConcurrencyConflict):
        calls.save(shift_b, second)
    assert calls.shift(late).volunteers == ()


def test_full_shift_wrong_role_and_double_sign_up_are_refused(calls: CallsApplication) -> None:
    giulia, marco, anna = register(calls), register(calls, "Marco Bianchi"), register(calls, "Anna Verdi")
    shift = evening(calls, capacity=2)
    calls.sign_up(shift, giulia)
    with pytest.raises(AlreadySignedUp):
        calls.sign_up(shift, giulia)
    calls.sign_up(shift, marco)
    with pytest.raises(ShiftFull, match="full"):
        calls.sign_up(shift, anna)
    outreach = calls.schedule_shift(rome("2026-11-25 10:00"), rome("2026-11-25 13:00"), "outreach", 3)
    with pytest.raises(RoleNotHeld, match="outreach"):
        calls.sign_up(outreach, anna)


def test_past_shifts_and_started_shifts_cannot_be_joined_or_left(calls: CallsApplication, clock: FixedClock) -> None:
    giulia = register(calls)
    now = clock.now()
    at(clock, rome("2026-11-22 09:00"))  # scheduled the morning before, while it was still to come
    yesterday = evening(calls, day="2026-11-22")
    at(clock, now)
    with pytest.raises(ShiftAlreadyOver):
        calls.sign_up(yesterday, giulia)
    today = evening(calls, day="2026-11-23", start="09:00", end="13:00")
    calls.sign_up(today, giulia)
    with pytest.raises(ShiftAlreadyStarted):
        calls.cancel_sign_up(today, giulia)


@pytest.mark.parametrize(("start", "end", "reason"), [
    ("2026-11-24 18:00", "2026-11-24 14:00", "after starts_at"),
    ("2026-11-24 18:00", "2026-11-26 14:00", "at most 24 hours"),
    ("2026-11-22 14:00", "2026-11-22 18:00", "already past"),  # the clock stands at 2026-11-23 10:00 in Rome
])
def test_shift_times_are_checked(calls: CallsApplication, start: str, end: str, reason: str) -> None:
    with pytest.raises(InvalidShift, match=reason):
        calls.schedule_shift(rome(start), rome(end), "helpline", 1)


def test_naive_times_are_refused(calls: CallsApplication) -> None:
    with pytest.raises(InvalidShift, match="time zone"):
        calls.schedule_shift(datetime(2026, 11, 24, 14), datetime(2026, 11, 24, 18), "helpline", 1)


def test_clock_in_during_a_signed_up_shift_names_the_shift(calls: CallsApplication, clock: FixedClock) -> None:
    giulia = register(calls)
    shift = evening(calls)
    calls.sign_up(shift, giulia)
    at(clock, rome("2026-11-24 13:50"))  # ten minutes early is still the shift
    presence = calls.clock_in(giulia)
    assert presence.shift_id == str(shift)
    clocked_in = messages(calls, "Presence.ClockedIn")[-1]
    assert clocked_in.data == {"volunteer_id": str(giulia), "shift_id": str(shift),
                               "at": "2026-11-24T12:50:00+00:00", "outside_shift": False}


def test_clock_in_outside_any_shift_is_allowed_but_flagged(calls: CallsApplication) -> None:
    giulia = register(calls)
    calls.clock_in(giulia)
    clocked_in = messages(calls, "Presence.ClockedIn")[-1].data
    assert clocked_in["outside_shift"] is True
    assert clocked_in["shift_id"] is None


def test_double_clock_in_is_refused(calls: CallsApplication) -> None:
    giulia = register(calls)
    calls.clock_in(giulia)
    with pytest.raises(DoubleClockIn, match="already clocked in"):
        calls.clock_in(giulia)


def test_clock_out_without_clock_in_is_refused(calls: CallsApplication) -> None:
    giulia = register(calls)
    with pytest.raises(NotClockedIn):
        calls.clock_out(giulia)


def test_clock_out_before_clock_in_is_refused(calls: CallsApplication, clock: FixedClock) -> None:
    giulia = register(calls)
    calls.clock_in(giulia)
    later(clock, minutes=-5)
    with pytest.raises(ClockOutBeforeClockIn, match="must be after the clock-in"):
        calls.clock_out(giulia)
    assert calls.presence(giulia).clocked_in_at is not None


def test_coordinator_closes_a_forgotten_clock_out_with_a_correction(calls: CallsApplication,
                                                                    clock: FixedClock) -> None:
    giulia, chiara = register(calls), register(calls, "Chiara Neri", ("helpline", "coordinator"))
    calls.clock_in(giulia)
    later(clock, hours=20)  # Giulia went home at 14:00 and forgot
    presence = calls.correct_clock_out(giulia, rome("2026-11-23 14:00"), coordinator_id=chiara)
    assert presence.clocked_in_at is None
    out = messages(calls, "Presence.ClockedOut")[-1].data
    assert out == {"volunteer_id": str(giulia), "at": "2026-11-23T14:00:00+01:00", "corrected": True,
                   "corrected_by": str(chiara)}


def test_only_a_coordinator_may_correct_and_never_into_the_future_or_before_clock_in(
        calls: CallsApplication, clock: FixedClock) -> None:
    giulia, marco = register(calls), register(calls, "Marco Bianchi")
    chiara = register(calls, "Chiara Neri", ("coordinator",))
    calls.clock_in(giulia)
    with pytest.raises(NotACoordinator):
        calls.correct_clock_out(giulia, rome("2026-11-23 10:30"), coordinator_id=marco)
    with pytest.raises(CorrectionInTheFuture):
        calls.correct_clock_out(giulia, rome("2026-11-23 12:00"), coordinator_id=chiara)
    with pytest.raises(ClockOutBeforeClockIn):
        calls.correct_clock_out(giulia, rome("2026-11-23 09:00"), coordinator_id=chiara)
