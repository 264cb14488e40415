"""Property: the expected-income projection equals the sum, month by month, of the active commitments' periods,
each period walked out by hand from its first due day (not by the contract's arithmetic)."""

from __future__ import annotations

import os
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from services.donations.application import DonationsApplication
from services.kernel.clock import FixedClock
from services.kernel.feed import EventFeed
from services.kernel.follower import EmbeddedFollower, ProjectionSubscriber
from services.kernel.readmodel import SqliteStore
from services.privacy.application import PrivacyVault
from services.projections import regular
from tests.conftest import MEMORY

TODAY = date(2026, 11, 23)
STEP = {"monthly": 1, "quarterly": 3, "yearly": 12}

commitments = st.lists(st.fixed_dictionaries({
    "amount": st.decimals(min_value=Decimal("1.00"), max_value=Decimal("500.00"), places=2),
    "frequency": st.sampled_from(sorted(STEP)),
    "day": st.integers(1, 28),
    "start": st.dates(date(2025, 6, 1), date(2027, 6, 30)),
    "months": st.none() | st.integers(0, 30),  # end = start + months (about), or open-ended
    "then": st.sampled_from(["nothing", "pause", "end", "change"]),
    "new_amount": st.decimals(min_value=Decimal("1.00"), max_value=Decimal("500.00"), places=2),
    "change_from": st.dates(date(2026, 12, 1), date(2027, 11, 30)),
}), min_size=1, max_size=6)


def add_months(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, day.day)


def by_hand(c: dict[str, Any], first: date, last: date) -> dict[str, Decimal]:
    """The periods of one active commitment due in [first, last], per month: its first due day is the first day
    on or after the start that is its day of the month; then every STEP months, up to its end."""
    due = c["start"]
    while due.day != c["day"]:
        due += timedelta(days=1)
    sums: dict[str, Decimal] = {}
    while due <= last and (c["end"] is None or due <= c["end"]):
        if due >= first:
            amount = c["new_amount"] if c["then"] == "change" and due >= c["change_from"] else c["amount"]
            sums[due.isoformat()[:7]] = sums.get(due.isoformat()[:7], Decimal(0)) + amount
        due = add_months(due, STEP[c["frequency"]])
    return sums


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                   HealthCheck.function_scoped_fixture])
@given(commitments)
def test_expected_income_is_the_sum_of_the_active_commitments_periods(tmp_path: Path,
                                                                      drawn: list[dict[str, Any]]) -> None:
    name = os.urandom(6).hex()
    vault = PrivacyVault(SqliteStore(str(tmp_path / f"vault-{name}.db")), os.urandom(32))
    donations = DonationsApplication(dict(MEMORY), vault, FixedClock(datetime(2026, 11, 23, 9, tzinfo=UTC)))
    donor, fund = donations.register_donor("person", {"name": "Giulia Rossi"}), donations.create_fund("Famiglie")
    for c in drawn:
        c["end"] = None if c["months"] is None else c["start"] + timedelta(days=31 * c["months"])
        cid = donations.set_up_commitment(donor, fund, c["amount"], c["frequency"], c["day"], c["start"], c["end"],
                                          "card")
        if c["then"] == "pause":
            donations.pause_commitment(cid)
        elif c["then"] == "end":
            donations.end_commitment(cid, "the donor asked to stop")
        elif c["then"] == "change" and c["change_from"] >= c["start"]:
            donations.change_commitment(cid, c["new_amount"], c["change_from"])
        else:
            c["then"] = "nothing" if c["then"] == "change" else c["then"]
    store = SqliteStore(str(tmp_path / f"regular-{name}.db"))
    EmbeddedFollower({"donations": EventFeed("donations", donations)},
                     [ProjectionSubscriber(regular.PROJECTION, store)]).catch_up()

    first, last = date(2026, 12, 1), date(2027, 11, 30)  # the next twelve months: stops and ends are behind
    projected = {row["month"]: Decimal(str(row["expected"])) for row in regular.expected_income(store, first, 12)
                 if Decimal(str(row["expected"]))}
    expected: dict[str, Decimal] = {}
    for c in drawn:
        if c["then"] in ("pause", "end"):
            continue  # paused or ended today: nothing is expected of them ahead
        for month, amount in by_hand(c, first, last).items():
            expected[month] = expected.get(month, Decimal(0)) + amount
    assert projected == expected
    store.close()
