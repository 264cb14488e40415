"""Property: any sequence of pledges, payments, reversals, cancellations and disbursements keeps the books."""

from __future__ import annotations

import os
import tempfile
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from uuid import UUID

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from services.donations.application import DonationsApplication
from services.kernel.clock import FixedClock
from services.kernel.errors import DomainError
from services.kernel.feed import EventFeed
from services.kernel.follower import EmbeddedFollower, ProjectionSubscriber
from services.kernel.readmodel import SqliteStore
from services.kernel.vault import PrivacyVault
from services.projections import ledger
from services.projections.ledger_audit import verify
from tests.conftest import MEMORY

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
