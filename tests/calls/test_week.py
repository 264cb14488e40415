"""The week on the in-memory store: patterns all or nothing, cancel and edit as events, listing and coverage."""

from __future__ import annotations

import itertools
from datetime import date, datetime, timedelta
from uuid import UUID
from zoneinfo import ZoneInfo

import pytest

from services.calls.application import CallsApplication
from services.calls.domain.rota import (
    MAX_PATTERN_SLOTS,
    DailySlot,
    OverlappingSlots,
    Pattern,
    Rota,
    every_hours,
)
from services.calls.domain.shift import (
    InvalidShift,
    OverlappingShift,
    ShiftAlreadyStarted,
    ShiftCancelled,
    ShiftFull,
)
from services.calls.domain.volunteer import Role
from services.identity.domain import Actor
from tests.calls.conftest import messages, register, rome

ROME = ZoneInfo("Europe/Rome")
CHIARA = Actor(kind="account", id="chiara", name="chiara@angeli.example", role="coordinator")
TUESDAY = date(2026, 11, 24)  # the fixed clock is Monday 23 November 2026, 10:00 in Rome


def pattern(starts_on: date = TUESDAY, weeks: int = 2, weekdays: tuple[int, ...] = (1, 2, 3, 4, 5, 6, 7),
            slots: list[DailySlot] | None = None) -> Pattern:
    return Pattern(starts_on, weeks, weekdays, tuple(slots or every_hours(4)), ROME)


def shifts_stored(calls: CallsApplication) -> int:
    return len(messages(calls, "Shift.Scheduled"))


def test_a_24_7_pattern_in_4_hour_slots_for_two_weeks_makes_84_back_to_back_slots(calls: CallsApplication) -> None:
    ids = calls.schedule_pattern(pattern(), "helpline", 2)
    assert len(ids) == 84
    listed = calls.shifts(rome("2026-11-24 00:00"), rome("2026-12-08 00:00"), "helpline")
    assert [s.id for s in listed] == ids
    assert listed[0].starts_at == rome("2026-11-24 00:00") and listed[-1].ends_at == rome("2026-12-08 00:00")
    assert all(a.ends_at == b.starts_at for a, b in itertools.pairwise(listed))


def test_mon_sat_two_daily_slots(calls: CallsApplication) -> None:
    slots = [DailySlot.parse("10:00", "14:00"), DailySlot.parse("14:00", "20:00")]
    ids = calls.schedule_pattern(pattern(date(2026, 11, 30), 1, (1, 2, 3, 4, 5, 6), slots), "helpline", 3)
    assert len(ids) == 12
    saturday = calls.shifts(rome("2026-12-05 00:00"), rome("2026-12-06 00:00"))
    hours = [(s.starts_at.astimezone(ROME).hour, s.ends_at.astimezone(ROME).hour) for s in saturday]
    assert hours == [(10, 14), (14, 20)]
    assert calls.shifts(rome("2026-12-06 00:00"), rome("2026-12-07 00:00")) == []  # no Sunday


def test_a_pattern_overlapping_a_shift_of_the_same_role_stores_nothing(calls: CallsApplication) -> None:
    calls.schedule_shift(rome("2026-11-25 13:00"), rome("2026-11-25 15:00"), "helpline", 1)
    with pytest.raises(OverlappingSlots, match="overlaps the helpline slot already scheduled"):
        calls.schedule_pattern(pattern(), "helpline", 2)
    assert shifts_stored(calls) == 1
    # Another role's line is not in the way.
    assert len(calls.schedule_pattern(pattern(), "outreach", 1)) == 84


def test_two_patterns_of_the_same_role_cannot_overlap(calls: CallsApplication) -> None:
    calls.schedule_pattern(pattern(weeks=1), "helpline", 1)
    with pytest.raises(OverlappingSlots):
        calls.schedule_pattern(pattern(TUESDAY + timedelta(days=6), 1), "helpline", 1)
    assert len(calls.schedule_pattern(pattern(TUESDAY + timedelta(days=7), 1), "helpline", 1)) == 42


def test_daily_slots_overlapping_each_other_are_refused() -> None:
    with pytest.raises(InvalidShift, match="overlap each other"):
        pattern(slots=[DailySlot.parse("10:00", "14:00"), DailySlot.parse("13:00", "16:00")])
    with pytest.raises(InvalidShift, match="overlap each other"):  # a night slot running into the morning one
        pattern(slots=[DailySlot.parse("06:00", "12:00"), DailySlot.parse("20:00", "07:00")])
    assert pattern(slots=[DailySlot.parse("20:00", "06:00")]).size == 14


def test_a_pattern_with_a_slot_in_the_past_stores_nothing(calls: CallsApplication) -> None:
    with pytest.raises(InvalidShift, match="in the past"):
        calls.schedule_pattern(pattern(date(2026, 11, 23)), "helpline", 2)  # Monday's 00:00-08:00 slots are gone
    assert shifts_stored(calls) == 0


def test_a_10000_slot_pattern_is_refused_with_the_reason_before_anything_is_made() -> None:
    with pytest.raises(InvalidShift, match=r"would make 10,080 slots .* at most 2,000"):
        Pattern(TUESDAY, 60, (1, 2, 3, 4, 5, 6, 7), tuple(every_hours(1)), ROME)
    assert pattern(weeks=47).size <= MAX_PATTERN_SLOTS


@pytest.mark.parametrize(("text", "reason"), [("25:00", "HH:MM"), ("9", "HH:MM"), ("10:60", "HH:MM")])
def test_a_slot_time_is_hh_mm(text: str, reason: str) -> None:
    with pytest.raises(InvalidShift, match=reason):
        DailySlot.parse(text, "14:00")


def test_capacity_zero_is_refused(calls: CallsApplication) -> None:
    with pytest.raises(InvalidShift, match="capacity"):
        calls.schedule_pattern(pattern(), "helpline", 0)
    assert shifts_stored(calls) == 0


def test_daylight_saving_days_keep_wall_clock_slots(calls: CallsApplication) -> None:
    slots = [DailySlot.parse("00:00", "04:00")]
    calls.schedule_pattern(Pattern(date(2027, 3, 28), 1, (7,), tuple(slots), ROME), "helpline", 1)
    (night,) = calls.shifts(rome("2027-03-28 00:00"), rome("2027-03-29 00:00"))
    assert night.ends_at - night.starts_at == timedelta(hours=3)  # the clocks go forward at 02:00


def test_cancelling_a_future_shift_frees_the_volunteers_and_keeps_them_on_record(calls: CallsApplication) -> None:
    giulia = register(calls)
    shift = calls.schedule_shift(rome("2026-11-24 14:00"), rome("2026-11-24 18:00"), "helpline", 2)
    calls.sign_up(shift, giulia)
    calls.cancel_shift(shift, "flu season: the line merges with Monza", by=CHIARA)
    assert calls.shift(shift).cancelled and calls.shift(shift).volunteers == (str(giulia),)
    assert calls.presence(giulia).shifts == ()
    (cancelled,) = messages(calls, "Shift.Cancelled")
    assert cancelled.data["volunteers"] == [str(giulia)] and cancelled.data["cancelled_by"] == CHIARA.label
    assert calls.shifts(rome("2026-11-24 00:00"), rome("2026-11-25 00:00")) == []
    other = register(calls, "Marco Bianchi")
    with pytest.raises(ShiftCancelled):
        calls.sign_up(shift, other)
    # The hours are free again: a pattern may now use them.
    assert len(calls.schedule_pattern(pattern(weeks=1), "helpline", 1)) == 42


def test_a_started_shift_can_be_neither_cancelled_nor_edited(calls: CallsApplication) -> None:
    now = calls.schedule_shift(rome("2026-11-23 08:00"), rome("2026-11-23 12:00"), "helpline", 1)
    with pytest.raises(ShiftAlreadyStarted):
        calls.cancel_shift(now, "", by=CHIARA)
    with pytest.raises(ShiftAlreadyStarted):
        calls.edit_shift(now, rome("2026-11-24 08:00"), rome("2026-11-24 12:00"), 1, by=CHIARA)


def test_editing_moves_the_shift_for_its_volunteers_unless_it_would_overlap_theirs(calls: CallsApplication) -> None:
    giulia = register(calls)
    morning = calls.schedule_shift(rome("2026-11-24 08:00"), rome("2026-11-24 12:00"), "helpline", 2)
    afternoon = calls.schedule_shift(rome("2026-11-24 14:00"), rome("2026-11-24 18:00"), "helpline", 2)
    calls.sign_up(morning, giulia)
    calls.sign_up(afternoon, giulia)
    with pytest.raises(OverlappingShift):
        calls.edit_shift(morning, rome("2026-11-24 10:00"), rome("2026-11-24 15:00"), 2, by=CHIARA)
    assert calls.shift(morning).starts_at == rome("2026-11-24 08:00")
    calls.edit_shift(morning, rome("2026-11-24 09:00"), rome("2026-11-24 13:00"), 3, by=CHIARA)
    moved = calls.shift(morning)
    assert (moved.starts_at, moved.capacity) == (rome("2026-11-24 09:00"), 3)
    listed = calls.shifts(rome("2026-11-24 12:30"), rome("2026-11-24 13:30"))
    assert [s.id for s in listed] == [morning]
    marco = register(calls, "Marco Bianchi")
    calls.sign_up(afternoon, marco)
    with pytest.raises(ShiftFull, match="cannot go below"):
        calls.edit_shift(afternoon, rome("2026-11-24 14:00"), rome("2026-11-24 18:00"), 1, by=CHIARA)
    assert calls.shift(afternoon).capacity == 2


def test_listing_by_volunteer_and_paging(calls: CallsApplication) -> None:
    giulia = register(calls)
    ids = calls.schedule_pattern(pattern(weeks=1), "helpline", 1)
    calls.sign_up(ids[3], giulia)
    calls.sign_up(ids[10], giulia)
    week = (rome("2026-11-23 00:00"), rome("2026-11-30 00:00"))
    assert [s.id for s in calls.shifts(*week, volunteer_id=giulia)] == [ids[3], ids[10]]
    assert [s.id for s in calls.shifts(*week, offset=30, limit=10)] == ids[30:36]  # Tuesday to Sunday
    with pytest.raises(InvalidShift, match="after"):
        calls.shifts(week[1], week[0])


def test_coverage_names_each_hour_below_its_headcount(calls: CallsApplication) -> None:
    giulia, marco = register(calls), register(calls, "Marco Bianchi")
    ids = calls.schedule_pattern(pattern(weeks=1), "helpline", 1)  # Tuesday 24 00:00 → Tuesday 1 December 00:00
    for shift_id in ids[:6]:  # Tuesday: Giulia and Marco take turns, every slot covered
        calls.sign_up(shift_id, giulia if ids.index(shift_id) % 2 else marco)
    gaps = calls.coverage(rome("2026-11-23 00:00"), 14)
    assert gaps[0].starts_at == rome("2026-11-25 00:00")  # Monday has no shifts, Tuesday is covered
    assert len(gaps) == 6 * 24 and {(g.needed, g.signed_up) for g in gaps} == {(1, 0)}
    assert gaps[-1].starts_at == rome("2026-11-30 23:00")


def test_coverage_starts_at_the_current_hour(calls: CallsApplication) -> None:
    calls.schedule_shift(rome("2026-11-23 08:00"), rome("2026-11-23 12:00"), "helpline", 2)
    gaps = calls.coverage(rome("2026-11-23 00:00"), 1)
    assert [g.starts_at for g in gaps] == [rome("2026-11-23 10:00"), rome("2026-11-23 11:00")]


def test_the_rota_refuses_only_what_overlaps() -> None:
    rota = Rota(Role.HELPLINE.value)
    a = (UUID(int=1), datetime(2026, 1, 1, 10, tzinfo=ROME), datetime(2026, 1, 1, 14, tzinfo=ROME))
    rota.place([a], exclusive=False)
    rota.place([(UUID(int=2), a[1], a[2])], exclusive=False)  # a single slot may double another
    with pytest.raises(OverlappingSlots):
        rota.place([(UUID(int=3), a[2] - timedelta(minutes=1), a[2] + timedelta(hours=2))], exclusive=True)
    rota.place([(UUID(int=3), a[2], a[2] + timedelta(hours=2))], exclusive=True)
    assert [i for _, _, i in rota.between(a[1], a[2] + timedelta(hours=1))] == [str(UUID(int=1)), str(UUID(int=2)),
                                                                                str(UUID(int=3))]
