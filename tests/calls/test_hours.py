"""Volunteer hours and call statistics read models, on SQLite and on the real PostgreSQL."""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from uuid import UUID

import pytest
from fastapi.testclient import TestClient

from services.calls.application import CallsApplication
from services.identity.domain import SYSTEM
from services.kernel.clock import FixedClock
from services.kernel.messages import Message
from services.kernel.readmodel import apply_batch
from services.kernel.settings import Settings
from services.main import Product, build
from services.projections import call_stats, directory, volunteer_hours
from tests.calls.conftest import at, later, register, rome


def application(product: Product) -> CallsApplication:
    calls = product.services["calls"].application
    assert isinstance(calls, CallsApplication)
    return calls


def worked(calls: CallsApplication, clock: FixedClock, volunteer: UUID, start: datetime, end: datetime) -> None:
    at(clock, start)
    calls.clock_in(volunteer)
    at(clock, end)
    calls.clock_out(volunteer)


def hours(client: TestClient, volunteer: UUID, period: str) -> dict[str, float]:
    report = client.get(f"/stats/volunteers/{volunteer}/hours", params={"period": period}).json()
    return {p["period"]: p["shift_hours"] for p in report["periods"]}


def test_a_night_shift_across_midnight_counts_its_real_hours_in_the_week_it_began(
        product: Product, client: TestClient, clock: FixedClock) -> None:
    calls = application(product)
    giulia = register(calls)
    worked(calls, clock, giulia, rome("2026-11-29 22:00"), rome("2026-11-30 02:30"))  # Sunday night into Monday
    product.catch_up()
    assert hours(client, giulia, "week") == {"2026-W48": 4.5}
    assert hours(client, giulia, "month") == {"2026-11": 4.5}


@pytest.mark.parametrize(("start", "end", "real_hours"), [
    ("2026-10-24 22:00", "2026-10-25 08:00", 11.0),  # clocks go back at 03:00: the night has an extra hour
    ("2026-03-28 22:00", "2026-03-29 08:00", 9.0),   # clocks go forward at 02:00: the night loses one
])
def test_a_night_shift_across_a_daylight_saving_change_counts_real_elapsed_hours(
        product: Product, client: TestClient, clock: FixedClock, start: str, end: str, real_hours: float) -> None:
    calls = application(product)
    giulia = register(calls)
    worked(calls, clock, giulia, rome(start), rome(end))
    product.catch_up()
    assert list(hours(client, giulia, "month").values()) == [real_hours]
    assert client.get("/stats/outcomes").json()["hours_given"] == real_hours


def test_a_corrected_clock_out_counts_until_the_corrected_time(product: Product, client: TestClient,
                                                               clock: FixedClock) -> None:
    calls = application(product)
    giulia, chiara = register(calls), register(calls, "Chiara Neri", ("coordinator",))
    at(clock, rome("2026-11-23 10:00"))
    calls.clock_in(giulia)
    at(clock, rome("2026-11-24 09:00"))
    calls.correct_clock_out(giulia, rome("2026-11-23 13:15"), coordinator_id=chiara)
    product.catch_up()
    assert hours(client, giulia, "month") == {"2026-11": 3.25}


def test_talk_time_calls_and_training_per_week_and_centre_outcomes(product: Product, client: TestClient,
                                                                   clock: FixedClock) -> None:
    calls = application(product)
    giulia, marco = register(calls), register(calls, "Marco Bianchi")
    calls.record_training(giulia, "Ascolto attivo", Decimal("3.5"), date(2026, 11, 20))
    at(clock, rome("2026-11-23 10:00"))
    calls.clock_in(giulia)
    call = calls.start_call(giulia, "inbound", None, None)
    calls.connect_call(call, by=SYSTEM)
    later(clock, minutes=12)
    calls.end_call(call, "answered", None, None, by=SYSTEM)
    calls.end_call(calls.start_call(giulia, "inbound", None, None), "abandoned", None, None, by=SYSTEM)
    at(clock, rome("2026-11-23 14:00"))
    calls.clock_out(giulia)
    calls.change_status(marco, "paused")
    product.catch_up()
    weeks = client.get(f"/stats/volunteers/{giulia}/hours", params={"period": "week"}).json()["periods"]
    assert weeks == [
        {"period": "2026-W47", "shift_hours": 0.0, "talk_hours": 0.0, "calls": 0, "training_hours": 3.5},
        {"period": "2026-W48", "shift_hours": 4.0, "talk_hours": 0.2, "calls": 2, "training_hours": 0.0},
    ]
    centre = client.get("/stats/hours", params={"period": "month"}).json()["periods"]
    assert centre == [{"period": "2026-11", "shift_hours": 4.0, "talk_hours": 0.2, "calls": 2, "training_hours": 3.5}]
    outcomes = client.get("/stats/outcomes").json()
    assert outcomes["volunteers_active"] == 1
    assert (outcomes["hours_given"], outcomes["calls_handled"]) == (4.0, 2)
    assert outcomes["euros_per_volunteer_hour"] is None


def test_euros_per_volunteer_hour_follow_donations_payments_and_reversals(product: Product, client: TestClient,
                                                                         clock: FixedClock) -> None:
    calls = application(product)
    giulia = register(calls)
    worked(calls, clock, giulia, rome("2026-11-23 10:00"), rome("2026-11-23 14:00"))
    product.catch_up()
    pledge = "5e1f0000-0000-4000-8000-000000000001"
    payments = [
        Message("donations", 1, "Pledge.PaymentReceived", 1, pledge, "2026-11-23T12:00:00+00:00",
                {"payment_id": "p1", "amount": "150.00", "method": "card", "reference": "r1",
                 "received_at": "2026-11-23T12:00:00+00:00"}),
        Message("donations", 2, "Pledge.PaymentReceived", 1, pledge, "2026-11-23T12:05:00+00:00",
                {"payment_id": "p2", "amount": "30.50", "method": "sepa", "reference": "r2",
                 "received_at": "2026-11-23T12:05:00+00:00"}),
        Message("donations", 3, "Pledge.PaymentReversed", 1, pledge, "2026-11-24T12:00:00+00:00",
                {"payment_id": "p2", "amount": "30.50", "reversed_at": "2026-11-24T12:00:00+00:00",
                 "reason": "chargeback"}),
    ]
    store = product.read_stores["volunteer_hours"]
    apply_batch(store, volunteer_hours.PROJECTION, payments)
    apply_batch(store, volunteer_hours.PROJECTION, payments)  # a redelivered batch changes nothing
    outcomes = client.get("/stats/outcomes").json()
    assert (outcomes["euros_raised"], outcomes["euros_per_volunteer_hour"]) == ("150.00", "37.50")


def test_call_statistics_by_rome_hour_and_weekday_with_answer_rate_and_handle_time(
        product: Product, client: TestClient, clock: FixedClock) -> None:
    calls = application(product)
    giulia = register(calls, roles=("helpline", "outreach"))
    at(clock, rome("2026-11-23 09:30"))  # Monday
    calls.clock_in(giulia)
    plan = [("2026-11-23 09:45", "answered", 300), ("2026-11-23 10:10", "answered", 100),
            ("2026-11-23 10:40", "abandoned", None), ("2026-11-28 19:55", "answered", 200)]  # last one Saturday
    for started, disposition, talk in plan:
        at(clock, rome(started))
        call = calls.start_call(giulia, "inbound", None, None)
        later(clock, seconds=20)
        if talk is not None:
            calls.connect_call(call, by=SYSTEM)
            later(clock, seconds=talk)
        calls.end_call(call, disposition, None, None, by=SYSTEM)
    at(clock, rome("2026-11-23 10:50"))
    calls.start_call(giulia, "outbound", UUID(int=1), UUID(int=2))  # still ringing
    product.catch_up()
    stats = client.get("/stats/calls", params={"direction": "inbound"}).json()
    assert stats["calls_by_hour"][9] == 1 and stats["calls_by_hour"][10] == 2 and stats["calls_by_hour"][19] == 1
    assert stats["calls_by_weekday"] == [3, 0, 0, 0, 0, 1, 0]
    assert stats["calls_ended"] == 4 and stats["answer_rate"] == 0.75
    assert stats["average_handle_seconds"] == (320 + 120 + 220) / 3
    assert stats["dispositions"] == {"abandoned": 1, "answered": 3}
    assert client.get("/stats/calls").json()["calls_by_hour"][10] == 3


# The reference case: 50 volunteers, exactly 1,120 hours over five months (July to November 2026).
VOLUNTEERS, TOTAL_MINUTES = 50, 1120 * 60


def generated_shifts(seed: int = 2026) -> Iterator[tuple[int, datetime, int]]:
    """(volunteer index, start, minutes) in start order; lengths in quarter hours summing to 1,120 hours.

    Each volunteer works on different days, some shifts start late and cross midnight, and one crosses
    the night the clocks go back.
    """
    rng = random.Random(seed)
    remaining, lengths = TOTAL_MINUTES, []
    while remaining > 240:
        lengths.append(rng.randrange(60, 241, 15))
        remaining -= lengths[-1]
    lengths.append(remaining)
    shifts = []
    for n, minutes in enumerate(lengths):
        volunteer, round_ = n % VOLUNTEERS, n // VOLUNTEERS
        day = date(2026, 7, 1) + timedelta(days=round_ * 15 + volunteer % 15)
        start = rome(f"{day} {'22:30' if n % 7 == 0 else '10:00'}")
        shifts.append((volunteer, start, minutes))
    # The last volunteer's longest shift moves to the night the clocks go back: 01:30 summer time,
    # so it runs through the hour that happens twice.
    longest = max((i for i, s in enumerate(shifts) if s[0] == VOLUNTEERS - 1), key=lambda i: shifts[i][2])
    shifts[longest] = (VOLUNTEERS - 1, rome("2026-10-25 01:30"), shifts[longest][2])
    assert shifts[longest][2] > 90
    assert sum(m for _, _, m in shifts) == TOTAL_MINUTES
    return iter(sorted(shifts, key=lambda s: s[1]))


def run_scenario(product: Product, clock: FixedClock) -> None:
    calls = application(product)
    at(clock, rome("2026-06-15 09:00"))
    volunteers = [register(calls, f"Volontario {n:02d}") for n in range(VOLUNTEERS)]
    for index, start, minutes in generated_shifts():
        # Real elapsed minutes: add them in UTC (Python adds wall-clock time to zoned datetimes).
        end = start.astimezone(UTC) + timedelta(minutes=minutes)
        at(clock, start - timedelta(days=1))
        shift = calls.schedule_shift(start, end, "helpline", 1)
        calls.sign_up(shift, volunteers[index])
        worked(calls, clock, volunteers[index], start, end)
    product.catch_up()


def reported_hours(product: Product) -> tuple[float, float, float]:
    store = product.read_stores["volunteer_hours"]
    months = sum(int(r["shift_seconds"]) for r in volunteer_hours.centre(store, "month")) / 3600
    weeks = sum(int(r["shift_seconds"]) for r in volunteer_hours.centre(store, "week")) / 3600
    return volunteer_hours.outcomes(store)["hours_given"], months, weeks


def rebuild_from_zero(product: Product) -> None:
    """Empty the read model and its tracking, then replay every event into it."""
    store = product.read_stores["volunteer_hours"]
    with store.transaction() as tx:
        for table in ("vh_period", "vh_volunteer", "vh_open", "vh_money", "tracking"):
            tx.execute(f"DELETE FROM {table}")
    assert volunteer_hours.outcomes(store)["hours_given"] == 0
    product.catch_up()


def assert_scenario(product: Product, clock: FixedClock) -> None:
    run_scenario(product, clock)
    assert reported_hours(product) == (1120.0, 1120.0, 1120.0)
    assert volunteer_hours.outcomes(product.read_stores["volunteer_hours"])["volunteers_active"] == 50
    rebuild_from_zero(product)
    assert reported_hours(product) == (1120.0, 1120.0, 1120.0)


@pytest.mark.slow
def test_fifty_volunteers_give_exactly_1120_hours_in_five_months_on_sqlite(product: Product,
                                                                          clock: FixedClock) -> None:
    assert_scenario(product, clock)


@pytest.mark.slow
@pytest.mark.postgres
def test_fifty_volunteers_give_exactly_1120_hours_in_five_months_on_postgres(pg_settings: Settings,
                                                                            clock: FixedClock) -> None:
    product = build(pg_settings, clock)
    try:
        assert_scenario(product, clock)
    finally:
        product.stop()


@pytest.mark.postgres
def test_statistics_and_directory_search_read_the_same_on_postgres(pg_settings: Settings, clock: FixedClock) -> None:
    product = build(pg_settings, clock)
    try:
        calls = application(product)
        calls.import_directory("istat_code;municipality;category;number\n013041;Cantù;health;118\n"
                               "013041;Cantù;social;031 799 111\n015146;Milano;health;02 8578 1\n".encode())
        giulia = register(calls)
        calls.clock_in(giulia)
        answered = calls.start_call(giulia, "inbound", None, None)
        calls.connect_call(answered, by=SYSTEM)
        later(clock, seconds=90)
        calls.end_call(answered, "answered", None, None, by=SYSTEM)
        calls.end_call(calls.start_call(giulia, "inbound", None, None), "abandoned", None, None, by=SYSTEM)
        later(clock, hours=2)
        calls.clock_out(giulia)
        product.catch_up()
        found = directory.search(product.read_stores["directory"], "CANTU", "health")
        assert found == [{"istat_code": "013041", "name": "Cantù",
                          "numbers": [{"category": "health", "number": "118"}]}]
        assert directory.search(product.read_stores["directory"], "100%_") == []
        stats = call_stats.statistics(product.read_stores["call_stats"])
        assert (stats["calls_ended"], stats["answer_rate"], stats["average_handle_seconds"]) == (2, 0.5, 90.0)
        assert stats["calls_by_hour"][10] == 2 and stats["calls_by_weekday"][0] == 2
        outcomes = volunteer_hours.outcomes(product.read_stores["volunteer_hours"])
        assert (outcomes["hours_given"], outcomes["calls_handled"], outcomes["talk_hours"]) == (2.025, 2, 0.025)
    finally:
        product.stop()
