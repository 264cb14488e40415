"""The live board's read model: who is on a call, idle or forgot to clock out, and the next hour's empty places,
fed from the calls aggregates on the in-memory store (the routes are tested in tests/console/test_board_api.py)."""

from __future__ import annotations

from datetime import datetime, timedelta

from services.calls.domain.call import Call, Direction, Disposition
from services.calls.domain.shift import Shift
from services.calls.domain.volunteer import Role, Volunteer
from services.projections import board
from tests.projections.conftest import Calls, ReadModel, ReadModelOf, rome

MORNING = rome("2026-11-23 10:00")


def ids(people: list[dict[str, object]]) -> list[str]:
    return [str(p["volunteer_id"]) for p in people]


def held_shift(calls: Calls, volunteer: Volunteer, starts: datetime, ends: datetime, capacity: int = 2) -> Shift:
    shift = Shift.schedule(starts, ends, Role.HELPLINE, capacity, scheduled_at=starts - timedelta(days=3))
    shift.sign_up(volunteer.id, (Role.HELPLINE,), at=starts - timedelta(days=2))
    presence = calls.presences[volunteer.id]
    presence.hold(shift)
    calls.save(shift, presence)
    return shift


def started(calls: Calls, volunteer: Volunteer, at: datetime, direction: Direction = Direction.INBOUND) -> Call:
    outbound = direction is Direction.OUTBOUND
    call = Call.start(volunteer.id, direction, volunteer.id if outbound else None, volunteer.id if outbound else None,
                      None, at)
    calls.save(call)
    return call


def followed(read_model: ReadModelOf) -> ReadModel:
    model = read_model(board.PROJECTION)
    model.catch_up()
    return model


def test_a_clocked_in_volunteer_is_idle_then_on_a_helpline_call_then_idle_again_since_the_call_ended(
    read_model: ReadModelOf, calls: Calls
) -> None:
    giulia = calls.volunteer(MORNING)
    calls.clock_in(giulia, MORNING)
    model = followed(read_model)
    now = MORNING + timedelta(minutes=5)
    assert ids(board.state(model.store, now)["idle"]) == [str(giulia.id)]
    assert board.state(model.store, now)["idle"][0]["since"] == MORNING.isoformat()

    call = started(calls, giulia, MORNING + timedelta(minutes=10))
    model.catch_up()
    on_call = board.state(model.store, now)["on_call"]
    assert [(p["volunteer_id"], p["kind"], p["since"]) for p in on_call] == [
        (str(giulia.id), "helpline", (MORNING + timedelta(minutes=10)).isoformat())]
    assert board.state(model.store, now)["idle"] == []

    call.connect(MORNING + timedelta(minutes=10, seconds=15))
    call.end(Disposition.ANSWERED, MORNING + timedelta(minutes=22), None)
    calls.save(call)
    model.catch_up()
    state = board.state(model.store, MORNING + timedelta(minutes=30))
    assert state["on_call"] == []
    assert [(p["volunteer_id"], p["since"], p["clocked_in_at"]) for p in state["idle"]] == [
        (str(giulia.id), (MORNING + timedelta(minutes=22)).isoformat(), MORNING.isoformat())]


def test_a_campaign_call_shows_as_campaign_and_a_clock_out_takes_the_volunteer_off_the_board(
    read_model: ReadModelOf, calls: Calls
) -> None:
    marco = calls.volunteer(MORNING, Role.OUTREACH)
    calls.clock_in(marco, MORNING)
    started(calls, marco, MORNING + timedelta(minutes=1), Direction.OUTBOUND)
    model = followed(read_model)
    assert [p["kind"] for p in board.state(model.store, MORNING)["on_call"]] == ["campaign"]
    calls.clock_out(marco, MORNING + timedelta(hours=2))
    model.catch_up()
    state = board.state(model.store, MORNING + timedelta(hours=2))
    assert state["on_call"] == state["idle"] == state["forgotten"] == []


def test_still_clocked_in_half_an_hour_after_the_shift_ended_is_a_forgotten_clock_out_suggesting_the_shift_end(
    read_model: ReadModelOf, calls: Calls
) -> None:
    anna = calls.volunteer(MORNING)
    shift = held_shift(calls, anna, MORNING, MORNING + timedelta(hours=4))
    calls.clock_in(anna, MORNING + timedelta(minutes=2))
    model = followed(read_model)
    end = MORNING + timedelta(hours=4)
    just_within = board.state(model.store, end + timedelta(minutes=30))
    assert ids(just_within["idle"]) == [str(anna.id)] and just_within["forgotten"] == []
    assert just_within["idle"][0]["shift_id"] == str(shift.id)
    late = board.state(model.store, end + timedelta(minutes=31))
    assert late["idle"] == []
    assert [(p["volunteer_id"], p["suggested_clock_out"]) for p in late["forgotten"]] == [
        (str(anna.id), end.isoformat())]


def test_without_a_shift_a_clock_in_is_forgotten_after_twelve_hours_and_the_correction_clears_it(
    read_model: ReadModelOf, calls: Calls
) -> None:
    luca, coordinator = calls.volunteer(MORNING), calls.volunteer(MORNING, Role.COORDINATOR)
    calls.clock_in(luca, MORNING)
    model = followed(read_model)
    assert board.state(model.store, MORNING + timedelta(hours=12))["forgotten"] == []
    forgotten = board.state(model.store, MORNING + timedelta(hours=12, minutes=1))
    assert ids(forgotten["forgotten"]) == [str(luca.id)]
    assert forgotten["forgotten"][0]["suggested_clock_out"] is None  # no shift: only the coordinator knows
    assert forgotten["coordinators"] == [str(coordinator.id)]

    calls.clock_out(luca, MORNING + timedelta(hours=4), corrected_by=coordinator)
    model.catch_up()
    assert board.state(model.store, MORNING + timedelta(hours=13))["forgotten"] == []


def test_slots_of_the_next_hour_with_empty_places_soonest_first(read_model: ReadModelOf, calls: Calls) -> None:
    sara, piero = calls.volunteer(MORNING), calls.volunteer(MORNING)
    soon = held_shift(calls, sara, MORNING + timedelta(minutes=30), MORNING + timedelta(hours=4), capacity=3)
    full = held_shift(calls, piero, MORNING + timedelta(minutes=10), MORNING + timedelta(hours=4), capacity=1)
    sooner = Shift.schedule(MORNING + timedelta(minutes=5), MORNING + timedelta(hours=1), Role.HELPLINE, 2, MORNING)
    later = Shift.schedule(MORNING + timedelta(minutes=61), MORNING + timedelta(hours=5), Role.HELPLINE, 2, MORNING)
    started_already = Shift.schedule(MORNING - timedelta(minutes=1), MORNING + timedelta(hours=2), Role.HELPLINE, 2,
                                     MORNING)
    calls.save(sooner, later, started_already)
    withdrawn = calls.volunteer(MORNING)
    sooner.sign_up(withdrawn.id, (Role.HELPLINE,), MORNING - timedelta(hours=5))
    sooner.cancel_sign_up(withdrawn.id, MORNING - timedelta(hours=4))
    calls.save(sooner)
    model = followed(read_model)
    slots = board.next_hour(model.store, MORNING)
    assert [(s["shift_id"], s["taken"], s["empty"]) for s in slots] == [
        (str(sooner.id), 0, 2), (str(soon.id), 1, 2)]
    assert str(full.id) not in [s["shift_id"] for s in slots]


def test_names_may_be_read_only_of_volunteers_the_board_shows(read_model: ReadModelOf, calls: Calls) -> None:
    on_duty, at_home, coordinator = (calls.volunteer(MORNING), calls.volunteer(MORNING),
                                     calls.volunteer(MORNING, Role.COORDINATOR))
    calls.clock_in(on_duty, MORNING)
    model = followed(read_model)
    asked = [str(at_home.id), str(on_duty.id), str(coordinator.id)]
    assert board.on_board(model.store, asked) == [str(on_duty.id), str(coordinator.id)]


def test_the_position_moves_with_every_calls_event(read_model: ReadModelOf, calls: Calls) -> None:
    model = followed(read_model)
    before = board.position(model.store)
    calls.volunteer(MORNING)
    model.catch_up()
    assert board.position(model.store) > before
