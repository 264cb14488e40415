"""The overdue instalments read model: the same rows one message at a time or in batches, a redelivered batch
skipped, and the overdue answer equal to what each pledge itself says of its instalments."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from services.donations.domain.pledge import Pledge, instalment_states
from services.kernel.readmodel import apply_batch
from services.projections import overdue
from tests.projections.conftest import Donations, ReadModelOf, Sources, rome

AS_OF = date(2026, 11, 23)


@pytest.fixture
def pledges(donations: Donations) -> list[Pledge]:
    fund = donations.fund("Fondo famiglie", rome("2026-01-01 09:00"))
    schedule = [(date(2026, 7, 1), Decimal("40.00")), (date(2026, 9, 1), Decimal("40.00")),
                (date(2026, 11, 1), Decimal("40.00")), (date(2027, 1, 1), Decimal("40.00"))]
    first = donations.pledge(fund, "160.00", rome("2026-06-01 09:00"), schedule=schedule)
    paid = donations.pay(first, fund, "70.00", rome("2026-07-02 09:00"))
    donations.reverse(first, fund, paid, "10.00", rome("2026-07-20 09:00"))
    second = donations.pledge(fund, "80.00", rome("2026-06-01 09:00"), schedule=schedule[:2])
    third = donations.pledge(fund, "80.00", rome("2026-06-01 09:00"), schedule=schedule[1:3])
    third.cancel(rome("2026-10-01 09:00"), "moved abroad")
    donations.save(third)
    donations.pledge(fund, "25.00", rome("2026-06-01 09:00"))  # no schedule
    coats = donations.pledge(fund, "90.00", rome("2026-06-01 09:00"), kind="goods", description="Cappotti",
                             quantity=3)
    return [first, second, third, coats]


def test_the_overdue_list_is_what_each_pledge_says_of_its_instalments(
    pledges: list[Pledge], read_model: ReadModelOf
) -> None:
    model = read_model(overdue.PROJECTION)
    model.catch_up()
    found = overdue.overdue(model.store, AS_OF)
    expected = sorted((s.due_on.isoformat(), str(p.id), n + 1, str(s.amount - s.paid)) for p in pledges
                      if p.kind.value == "money" for n, s in enumerate(instalment_states(p, AS_OF)) if s.overdue)
    assert [(i["due_on"], i["pledge_id"], i["n"], i["unpaid"]) for i in found["instalments"]] == expected
    assert len(expected) == 4  # 60.00 net on the first: 20.00 of its 2nd, its 3rd; the second's two
    assert [(a["age"], a["instalments"], a["unpaid"]) for a in found["ages"]] == [
        ("0-30", 1, "40.00"), ("31-60", 0, "0.00"), ("61-90", 2, "60.00"), ("90+", 1, "40.00")]
    assert overdue.overdue(model.store, AS_OF, limit=2)["truncated"] is True


def test_one_message_at_a_time_and_a_redelivered_batch_give_the_same_rows(
    pledges: list[Pledge], read_model: ReadModelOf, sources: Sources
) -> None:
    followed = read_model(overdue.PROJECTION)
    followed.catch_up()
    one_by_one = read_model(overdue.PROJECTION, "one-by-one")
    one_by_one.store.create(overdue.PROJECTION.schema)
    messages = sources.messages("donations")
    for message in messages:
        apply_batch(one_by_one.store, overdue.PROJECTION, [message])
    assert apply_batch(one_by_one.store, overdue.PROJECTION, messages) == 0
    for table in ("ov_pledges", "ov_instalments"):
        rows = [sorted(map(str, r.values())) for r in followed.store.query(f"SELECT * FROM {table}")]
        again = [sorted(map(str, r.values())) for r in one_by_one.store.query(f"SELECT * FROM {table}")]
        assert sorted(rows) == sorted(again) and rows
