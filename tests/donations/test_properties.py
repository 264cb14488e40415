"""Property: any sequence of pledges, payments, reversals, cancellations and disbursements keeps the books."""

from __future__ import annotations

import os
import tempfile
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path
from uuid import UUID
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from services.donations.application import DonationsApplication
from services.kernel.clock import FixedClock
from services.kernel.errors import DomainError
from services.kernel.feed import EventFeed
from services.kernel.follower import EmbeddedFollower, ProjectionSubscriber
from services.kernel.readmodel import SqliteStore
from services.privacy.application import PrivacyVault
from services.projections import ledger
from services.projections.ledger_audit import verify
from tests.conftest import MEMORY

ROME = ZoneInfo("Europe/Rome")
cents = st.integers(min_value=1, max_value=20_000)
operation = st.one_of(
    st.tuples(st.just("pledge"), st.integers(0, 1), cents),
    st.tuples(st.just("pay"), st.integers(0, 9), cents),
    st.tuples(st.just("reverse"), st.integers(0, 9), cents),
    st.tuples(st.just("cancel"), st.integers(0, 9), st.just(0)),
    st.tuples(st.just("disburse"), st.integers(0, 1), cents),
)


def euro(amount: int) -> Decimal:
    return Decimal(amount).scaleb(-2)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(operation, min_size=1, max_size=40))
def test_fund_balances_equal_payments_minus_reversals_minus_disbursements(
    operations: list[tuple[str, int, int]]
) -> None:
    with tempfile.TemporaryDirectory() as folder:
        vault = PrivacyVault(SqliteStore(str(Path(folder) / "vault.db")), os.urandom(32))
        app = DonationsApplication(dict(MEMORY), vault, FixedClock(datetime(2026, 11, 23, 9, tzinfo=UTC)))
        donor = app.register_donor("person", {"name": "Giulia"})
        funds = [app.create_fund("Fondo famiglie"), app.create_fund("Emergenza freddo")]
        pledges: list[UUID] = []
        payments: list[tuple[UUID, UUID]] = []
        moved = {"pay": 0, "reverse": 0, "disburse": 0}
        for number, (kind, index, amount) in enumerate(operations):
            try:
                if kind == "pledge":
                    pledges.append(app.make_pledge(donor, funds[index], "money", euro(amount)))
                elif kind == "pay" and pledges:
                    pledge = pledges[index % len(pledges)]
                    paid = app.receive_payment(pledge, euro(amount), "card", f"ch_{number}")
                    payments.append((pledge, paid.payment_id))
                elif kind == "reverse" and payments:
                    pledge, payment = payments[index % len(payments)]
                    app.reverse_payment(pledge, payment, euro(amount), "chargeback")
                elif kind == "cancel" and pledges:
                    app.cancel_pledge(pledges[index % len(pledges)], "changed mind")
                elif kind == "disburse":
                    app.disburse(funds[index], euro(amount), "Spesa", "FATT-1")
                else:
                    continue
            except DomainError:
                continue  # a refused command stores nothing; the books must still balance
            if kind in moved:
                moved[kind] += amount

        for pledge in pledges:
            view = app.pledge(pledge)
            assert Decimal(0) <= view.paid <= view.amount
        store = SqliteStore(str(Path(folder) / "ledger.db"))
        feeds = {"donations": EventFeed("donations", app)}
        EmbeddedFollower(feeds, [ProjectionSubscriber(ledger.PROJECTION, store)]).catch_up()
        balances = ledger.balances(store, ledger.sealed_position(store))
        total = sum(ledger.cents(b["balance"]) for b in balances.values())
        assert total == moved["pay"] - moved["reverse"] - moved["disburse"]
        assert euro(total) == sum((app.fund(f).balance for f in funds), Decimal(0))
        key = ledger.Ed25519PrivateKey.generate().public_key()
        assert verify(feeds["donations"], store, key).ok


DAYS = 12  # the dated histories span the twelve days before the clock's day
dated = st.one_of(
    st.tuples(st.just("pay"), st.integers(0, 3), st.integers(1, DAYS), cents),
    st.tuples(st.just("reverse"), st.integers(0, 9), st.integers(1, DAYS), cents),
    st.tuples(st.just("disburse"), st.integers(0, 1), st.integers(1, DAYS), cents),
)


def _days_of(store: SqliteStore, funds: list[UUID], days: list[date]) -> dict[tuple[UUID, date], int]:
    """Every fund's balance in cents as of the end of every day, as GET /ledger/balances?as_of= reads them."""
    sealed = ledger.sealed_position(store)
    seen = {day: ledger.balances(store, sealed, day) for day in days}
    return {(fund, day): ledger.cents(seen[day][str(fund)]["balance"]) if str(fund) in seen[day] else 0
            for fund in funds for day in days}


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(dated, min_size=1, max_size=25))
def test_back_dated_movements_in_any_order_never_leave_a_fund_negative_on_any_day_except_by_a_chargeback(
    operations: list[tuple[str, int, int, int]]
) -> None:
    """Whatever is accepted: a payment or a disbursement never creates or deepens a deficit on any day; a
    reversal is never dated before its payment; so a fund is negative on a day only when a chargeback of money
    already spent made it so (a bank's fact, recorded), and a fund no chargeback took below zero never is."""
    clock = FixedClock(datetime(2026, 11, 23, 9, tzinfo=UTC))
    today = clock.now().astimezone(ROME).date()
    days = [today - timedelta(days=n) for n in range(DAYS + 1, -1, -1)]

    def noon(days_ago: int) -> datetime:
        return datetime.combine(today - timedelta(days=days_ago), time(12), ROME)

    with tempfile.TemporaryDirectory() as folder:
        vault = PrivacyVault(SqliteStore(str(Path(folder) / "vault.db")), os.urandom(32))
        app = DonationsApplication(dict(MEMORY), vault, clock)
        donor = app.register_donor("person", {"name": "Giulia"})
        funds = [app.create_fund("Fondo famiglie"), app.create_fund("Emergenza freddo")]
        pledges = [app.make_pledge(donor, funds[n % 2], "money", Decimal("10000.00")) for n in range(4)]
        payments: list[tuple[UUID, UUID, datetime]] = []
        store = SqliteStore(str(Path(folder) / "ledger.db"))
        follower = EmbeddedFollower({"donations": EventFeed("donations", app)},
                                    [ProjectionSubscriber(ledger.PROJECTION, store)])
        follower.catch_up()
        before = _days_of(store, funds, days)
        chargeback_deficit: set[UUID] = set()
        for number, (kind, index, days_ago, amount) in enumerate(operations):
            at = noon(days_ago)
            try:
                if kind == "pay":
                    pledge = pledges[index]
                    paid = app.receive_payment(pledge, euro(amount), "card", f"ch_{number}", received_at=at)
                    payments.append((pledge, paid.payment_id, at))
                elif kind == "reverse" and payments:
                    pledge, payment, paid_at = payments[index % len(payments)]
                    app.reverse_payment(pledge, payment, euro(amount), "chargeback", reversed_at=at)
                    assert at >= paid_at, f"a reversal dated {at} was accepted before its payment of {paid_at}"
                elif kind == "disburse":
                    app.disburse(funds[index], euro(amount), "Spesa", "FATT-1", disbursed_at=at)
                else:
                    continue
            except DomainError:
                continue  # refused: stores nothing
            follower.catch_up()
            after = _days_of(store, funds, days)
            for (fund, day), cents_after in after.items():
                if kind == "reverse":
                    if cents_after < 0:
                        chargeback_deficit.add(fund)
                else:
                    assert cents_after >= min(0, before[fund, day]), (
                        f"{kind} of {euro(amount)} dated {at.date()} left fund {fund} at {euro(cents_after)} "
                        f"on {day}")
            before = after
        for (fund, day), cents_now in before.items():
            assert fund in chargeback_deficit or cents_now >= 0, f"fund {fund} at {euro(cents_now)} on {day}"
