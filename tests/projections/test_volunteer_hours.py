"""Volunteer hours fed from the calls and donations aggregates: weeks and months as Rome counts them.

tests/calls/test_hours.py drives the same read model through the product and its HTTP routes (night shifts,
clock changes, the 1,120-hour reference case, PostgreSQL); here: the year's edge, a call after midnight, a
correction followed by another shift, and euros per hour from the donations feed.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

from services.calls.domain.volunteer import Role, Status
from services.projections import volunteer_hours
from tests.projections.conftest import Calls, Donations, ReadModelOf, rome

WEEK, MONTH = volunteer_hours.WEEK, volunteer_hours.MONTH


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def shifts(rows: list[dict[str, object]]) -> dict[str, object]:
    return {str(r["period"]): r["shift_seconds"] for r in rows}


def test_a_shift_is_booked_to_the_week_and_month_of_its_clock_in_in_rome(
    read_model: ReadModelOf, calls: Calls
) -> None:
    # Given Giulia clocking in at 23:30 UTC on New Year's Eve (00:30 on 1 January 2027 in Rome) for four hours,
    # and Marco working 22:00-24:00 in Rome on New Year's Eve
    giulia, marco = calls.volunteer(utc("2026-12-01 09:00")), calls.volunteer(utc("2026-12-01 09:00"))
    calls.shift(giulia, utc("2026-12-31 23:30"), utc("2027-01-01 03:30"))
    calls.shift(marco, utc("2026-12-31 21:00"), utc("2026-12-31 23:00"))
    # When the read model follows the calls feed
    hours = read_model(volunteer_hours.PROJECTION)
    hours.catch_up()
    # Then Giulia's hours are January's in Rome (December's in UTC), and both are in ISO week 2026-W53
    assert shifts(volunteer_hours.by_volunteer(hours.store, str(giulia.id), MONTH)) == {"2027-01": 4 * 3600}
    assert shifts(volunteer_hours.by_volunteer(hours.store, str(marco.id), MONTH)) == {"2026-12": 2 * 3600}
    assert shifts(volunteer_hours.centre(hours.store, WEEK)) == {"2026-W53": 6 * 3600}
    assert shifts(volunteer_hours.centre(hours.store, MONTH)) == {"2026-12": 2 * 3600, "2027-01": 4 * 3600}


def test_talk_time_goes_to_the_rome_day_the_call_ended_and_training_to_its_own_day(
    read_model: ReadModelOf, calls: Calls
) -> None:
    # Given Giulia on Sunday 29 November: two hours from 22:30 in Rome, an unanswered call at 23:00 and
    # a call ending at 00:10 on Monday in Rome after 580 seconds of talk; and 2.5 hours of training that Sunday
    giulia = calls.volunteer(utc("2026-11-01 09:00"))
    calls.train(giulia, "2.5", date(2026, 11, 29))
    calls.clock_in(giulia, utc("2026-11-29 21:30"))
    calls.call(giulia, utc("2026-11-29 22:00"), "no_answer")
    calls.call(giulia, utc("2026-11-29 23:00"), "answered", talk_seconds=580)  # ends 23:10 UTC, Monday in Rome
    calls.clock_out(giulia, utc("2026-11-29 23:30"))
    hours = read_model(volunteer_hours.PROJECTION)
    hours.catch_up()
    # Then the shift and the first call are Sunday's week, the talked call Monday's
    assert volunteer_hours.by_volunteer(hours.store, str(giulia.id), WEEK) == [
        {"period": "2026-W48", "shift_seconds": 7200, "talk_seconds": 0, "calls": 1, "training_seconds": 9000},
        {"period": "2026-W49", "shift_seconds": 0, "talk_seconds": 580, "calls": 1, "training_seconds": 0},
    ]
    assert volunteer_hours.by_volunteer(hours.store, str(giulia.id), MONTH) == [
        {"period": "2026-11", "shift_seconds": 7200, "talk_seconds": 580, "calls": 2, "training_seconds": 9000},
    ]


def test_a_corrected_forgotten_clock_out_counts_to_the_corrected_time_and_the_next_shift_adds_to_it(
    read_model: ReadModelOf, calls: Calls
) -> None:
    # Given Giulia who clocked in on Monday at 09:00 and forgot to clock out; coordinator Chiara closes it at 12:30
    giulia = calls.volunteer(rome("2026-11-01 09:00"))
    chiara = calls.volunteer(rome("2026-11-01 09:00"), Role.COORDINATOR)
    calls.clock_in(giulia, rome("2026-11-23 09:00"))
    calls.clock_out(giulia, rome("2026-11-23 12:30"), corrected_by=chiara)
    # And on Wednesday she works 14:00-17:15
    calls.shift(giulia, rome("2026-11-25 14:00"), rome("2026-11-25 17:15"))
    hours = read_model(volunteer_hours.PROJECTION)
    hours.catch_up()
    # Then the week holds 3.5 + 3.25 hours and nothing is left open
    assert shifts(volunteer_hours.by_volunteer(hours.store, str(giulia.id), WEEK)) == {"2026-W48": 6.75 * 3600}
    assert hours.store.query("SELECT * FROM vh_open") == []
    assert volunteer_hours.by_volunteer(hours.store, str(chiara.id), WEEK) == []


def test_a_clock_in_not_yet_clocked_out_counts_no_hours(read_model: ReadModelOf, calls: Calls) -> None:
    giulia = calls.volunteer(rome("2026-11-01 09:00"))
    calls.clock_in(giulia, rome("2026-11-23 09:00"))
    hours = read_model(volunteer_hours.PROJECTION)
    hours.catch_up()
    assert volunteer_hours.by_volunteer(hours.store, str(giulia.id), WEEK) == []
    calls.clock_out(giulia, rome("2026-11-23 11:00"))
    hours.catch_up()
    assert shifts(volunteer_hours.by_volunteer(hours.store, str(giulia.id), WEEK)) == {"2026-W48": 7200}


def test_outcomes_count_active_volunteers_and_euros_per_hour_from_the_donations_feed(
    read_model: ReadModelOf, calls: Calls, donations: Donations
) -> None:
    # Given Giulia's four-hour shift, Marco paused and Luca gone
    giulia, marco, luca = (calls.volunteer(rome("2026-11-01 09:00")) for _ in range(3))
    calls.shift(giulia, rome("2026-11-23 10:00"), rome("2026-11-23 14:00"))
    calls.change_status(marco, Status.PAUSED, rome("2026-11-20 09:00"))
    calls.change_status(luca, Status.LEFT, rome("2026-11-20 09:00"))
    hours = read_model(volunteer_hours.PROJECTION)
    hours.catch_up()
    # Before donations report a payment there is no figure per hour
    assert volunteer_hours.outcomes(hours.store)["euros_per_volunteer_hour"] is None
    # When 100.00 and 50.00 are paid and 20.00 of the second is charged back
    famiglie = donations.fund("Fondo famiglie", rome("2026-11-01 09:00"))
    first, second = (donations.pledge(famiglie, amount, rome("2026-11-23 11:00")) for amount in ("100.00", "50.00"))
    donations.pay(first, famiglie, "100.00", rome("2026-11-23 11:30"))
    paid = donations.pay(second, famiglie, "50.00", rome("2026-11-23 11:40"))
    donations.reverse(second, famiglie, paid, "20.00", rome("2026-11-24 09:00"))
    hours.catch_up()
    # Then 130.00 were raised over 4 volunteer hours: 32.50 an hour, and one volunteer is active
    outcomes = volunteer_hours.outcomes(hours.store)
    assert (outcomes["volunteers_active"], outcomes["hours_given"]) == (1, 4.0)
    assert (outcomes["euros_raised"], outcomes["euros_per_volunteer_hour"]) == (Decimal("130.00"), Decimal("32.50"))
