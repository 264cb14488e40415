"""Regular giving in the domain: a commitment's periods, matching, lapse, pause, resume, amount change, end."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from uuid import UUID, uuid4

import pytest

from services.donations.contract import Plan
from services.donations.domain.commitment import (
    Commitment,
    CommitmentNotActive,
    CommitmentNotValid,
    CommitmentStatus,
    mandate_id,
    set_up,
)
from services.donations.domain.money import AmountNotValid

D = Decimal
GIULIA, FAMIGLIE = UUID("6a0f5d2e-1111-4c2b-9b55-000000000001"), UUID("6a0f5d2e-2222-4c2b-9b55-000000000002")
AT = datetime(2026, 1, 2, 9, tzinfo=UTC)


def monthly(amount: str = "10.00", day: int = 5, start: date = date(2026, 1, 1), end: date | None = None,
            method: str = "sepa", mandate: str | None = "ANG-2026-0001") -> Commitment:
    return set_up(GIULIA, FAMIGLIE, D(amount), "monthly", day, start, end, method, mandate,
                  date(2025, 12, 20) if mandate else None, AT, date(2026, 1, 2))


def gift(commitment: Commitment, on: date, amount: str = "10.00") -> int | None:
    return commitment.match(uuid4(), uuid4(), D(amount), on)


def test_a_monthly_commitment_expects_one_gift_on_its_day_of_each_month() -> None:
    dues = [p.due_on for p in monthly().plan.periods(date(2026, 4, 30))]
    assert dues == [date(2026, 1, 5), date(2026, 2, 5), date(2026, 3, 5), date(2026, 4, 5)]


def test_the_first_period_is_the_next_month_when_the_day_falls_before_the_start() -> None:
    plan = Plan("quarterly", 3, date(2026, 1, 10), None, ((date(2026, 1, 10), D("30.00")),))
    assert [p.due_on for p in plan.periods(date(2026, 12, 31))] == [
        date(2026, 2, 3), date(2026, 5, 3), date(2026, 8, 3), date(2026, 11, 3)]
    assert [p.due_on for p in Plan("yearly", 28, date(2026, 3, 1), date(2028, 3, 27),
                                   ((date(2026, 3, 1), D("100.00")),)).periods(date(2030, 1, 1))] == [
        date(2026, 3, 28), date(2027, 3, 28)]


def test_a_payment_pays_the_period_of_its_month_and_a_second_one_the_earliest_unpaid() -> None:
    c = monthly()
    assert gift(c, date(2026, 1, 7)) == 0
    assert gift(c, date(2026, 3, 6)) == 2  # February missed: March's gift pays March
    assert gift(c, date(2026, 3, 20)) == 1  # a second gift in March pays February's arrears
    assert gift(c, date(2026, 3, 25)) is None  # nothing left to pay: an extra gift
    assert [row.state for row in c.schedule(date(2026, 3, 31), date(2026, 4, 30))] == ["paid", "paid", "paid",
                                                                                      "upcoming"]
    assert len(c.extras) == 1


def test_two_missed_periods_in_a_row_lapse_it_from_the_end_of_the_second_window() -> None:
    c = monthly()
    gift(c, date(2026, 1, 5))
    assert not c.lapse_if_missed(2, date(2026, 3, 1), AT)  # February alone is missing
    assert c.lapse_if_missed(2, date(2026, 4, 15), AT)
    assert c.status is CommitmentStatus.LAPSED
    assert c.stops == [(date(2026, 4, 1), None)]  # April is not expected any more
    assert not c.lapse_if_missed(2, date(2026, 6, 1), AT)  # already lapsed: recorded once


def test_a_resumed_commitment_counts_missed_gifts_again_only_after_the_resume() -> None:
    c = monthly()
    c.lapse_if_missed(2, date(2026, 3, 1), AT)
    c.resume(date(2026, 4, 10), AT)
    assert c.status is CommitmentStatus.ACTIVE
    assert not c.lapse_if_missed(2, date(2026, 5, 1), AT)  # January and February do not count again
    assert [p.due_on.month for p in c.plan.periods(date(2026, 5, 31))] == [1, 2, 5]  # March, April lapsed


def test_a_pause_expects_nothing_until_resumed_and_only_an_active_one_pauses() -> None:
    c = monthly()
    c.pause(date(2026, 2, 1), AT)
    with pytest.raises(CommitmentNotActive, match="only an active one can be paused"):
        c.pause(date(2026, 2, 2), AT)
    c.resume(date(2026, 4, 1), AT)
    assert [p.due_on.month for p in c.plan.periods(date(2026, 5, 31))] == [1, 4, 5]
    with pytest.raises(CommitmentNotActive, match="only a paused or lapsed one"):
        c.resume(date(2026, 4, 2), AT)


def test_an_amount_change_applies_from_its_date_up_or_down() -> None:
    c = monthly()
    c.change_amount(D("15.00"), date(2026, 3, 1), AT)
    c.change_amount(D("12.50"), date(2026, 5, 6), AT)
    assert [str(p.amount) for p in c.plan.periods(date(2026, 6, 30))] == ["10.00", "10.00", "15.00", "15.00",
                                                                         "15.00", "12.50"]
    with pytest.raises(AmountNotValid, match="at most 2 decimals"):
        c.change_amount(D("9.999"), date(2026, 7, 1), AT)
    with pytest.raises(CommitmentNotValid, match="on or after the start"):
        c.change_amount(D("9.00"), date(2025, 7, 1), AT)


def test_an_ended_commitment_expects_nothing_from_its_end_day_and_keeps_its_reason() -> None:
    c = monthly()
    c.end_commitment(date(2026, 3, 5), "the donor moved abroad", AT)
    assert c.status is CommitmentStatus.ENDED and c.end_reason == "the donor moved abroad"
    assert [p.due_on.month for p in c.plan.periods(date(2026, 12, 31))] == [1, 2]
    with pytest.raises(CommitmentNotActive, match="already ended"):
        c.end_commitment(date(2026, 3, 6), "again", AT)
    with pytest.raises(CommitmentNotActive):
        c.pause(date(2026, 3, 6), AT)


@pytest.mark.parametrize(("change", "message"), [
    ({"amount": "10.005"}, "at most 2 decimals"),
    ({"amount": "-5"}, "must be positive"),
    ({"day": 31}, "day must be between 1 and 28"),
    ({"day": 0}, "day must be between 1 and 28"),
    ({"end": date(2025, 12, 1)}, "is before start"),
    ({"mandate": None}, "SEPA commitment needs its mandate reference"),
    ({"mandate": "bad*ref"}, "mandate reference must be 1 to 35"),
    ({"method": "cash"}, "method must be one of sepa, card, bank_transfer, paypal"),
])
def test_bad_values_are_refused_with_a_message_saying_why(change: dict[str, object], message: str) -> None:
    values: dict[str, object] = {"amount": "10.00", "day": 5, "end": None, "method": "sepa",
                                 "mandate": "ANG-2026-0001", **change}
    with pytest.raises((CommitmentNotValid, AmountNotValid), match=message):
        monthly(str(values["amount"]), day=values["day"], end=values["end"],  # type: ignore[arg-type]
                method=str(values["method"]), mandate=values["mandate"])  # type: ignore[arg-type]


def test_a_card_commitment_needs_no_mandate_and_mandate_ids_ignore_case_and_spaces() -> None:
    assert monthly(method="card", mandate=None).mandate is None
    assert mandate_id(" ang-2026-0001 ") == mandate_id("ANG-2026-0001")
    with pytest.raises(CommitmentNotValid, match="frequency must be one of monthly, quarterly, yearly"):
        set_up(GIULIA, FAMIGLIE, D("5"), "weekly", 1, date(2026, 1, 1), None, "card", None, None, AT, AT.date())
