"""Donations use cases on the in-memory store: every rule, and every refusal storing nothing."""

from __future__ import annotations

import re
from datetime import date, timedelta
from decimal import Decimal
from uuid import UUID, uuid4
from zoneinfo import ZoneInfo

import pytest

from services.donations.application import DonationsApplication, DonorErased, PaymentReferenceTaken, TimeNotValid
from services.donations.domain.fund import (
    DisbursementNotValid,
    Fund,
    FundClosed,
    FundNameNotValid,
    InsufficientFunds,
)
from services.donations.domain.money import AmountNotValid, CurrencyNotAccepted
from services.donations.domain.pledge import (
    GoodsExceedPledge,
    InstalmentsNotValid,
    Overpayment,
    PaymentNotFound,
    PledgeAlreadyFulfilled,
    PledgeIsCancelled,
    PledgeNotValid,
    ReversalExceedsPayment,
    UnknownPaymentMethod,
    WrongPledgeKind,
)
from services.identity.domain import SYSTEM_ACCESS
from services.kernel.clock import FixedClock
from services.kernel.errors import NotFound
from services.kernel.feed import EventFeed
from tests.donations.conftest import money

D = Decimal


def stored_events(donations: DonationsApplication) -> int:
    return EventFeed("donations", donations).head()


def test_pledge_goes_from_pledged_to_partially_paid_to_fulfilled(
    donations: DonationsApplication, giulia: UUID, famiglie: UUID
) -> None:
    pledge = money(donations, giulia, famiglie, "50.00")
    assert donations.pledge(pledge).status == "pledged"
    donations.receive_payment(pledge, D("20.00"), "card", "ch_1")
    assert donations.pledge(pledge).status == "partially_paid"
    donations.receive_payment(pledge, D("30"), "bank_transfer", "CRO-99")
    view = donations.pledge(pledge)
    assert (view.status, view.paid, view.outstanding) == ("fulfilled", D("50.00"), D("0.00"))


def test_pledge_is_overdue_when_a_due_instalment_is_unpaid_at_the_query_date(
    donations: DonationsApplication, giulia: UUID, famiglie: UUID
) -> None:
    schedule = [(date(2026, 12, 1), D("25.00")), (date(2027, 1, 1), D("25.00"))]
    pledge = money(donations, giulia, famiglie, "50.00", schedule=schedule)
    assert donations.pledge(pledge, on=date(2026, 11, 30)).status == "pledged"
    assert donations.pledge(pledge, on=date(2026, 12, 2)).status == "overdue"
    donations.receive_payment(pledge, D("25.00"), "sepa", "SDD-1")
    assert donations.pledge(pledge, on=date(2026, 12, 2)).status == "partially_paid"
    assert donations.pledge(pledge, on=date(2027, 1, 2)).status == "overdue"


def test_instalments_must_add_up_to_the_pledge(donations: DonationsApplication, giulia: UUID, famiglie: UUID) -> None:
    with pytest.raises(InstalmentsNotValid, match=re.escape("add up to 40.00, the pledge is 50.00")):
        money(donations, giulia, famiglie, "50.00", schedule=[(date(2026, 12, 1), D("40.00"))])
    with pytest.raises(InstalmentsNotValid, match="increasing order"):
        money(donations, giulia, famiglie, "50.00",
              schedule=[(date(2027, 1, 1), D("25.00")), (date(2026, 12, 1), D("25.00"))])


def test_overpayment_is_refused_and_stores_nothing(
    donations: DonationsApplication, giulia: UUID, famiglie: UUID
) -> None:
    pledge = money(donations, giulia, famiglie, "50.00")
    before = stored_events(donations)
    with pytest.raises(Overpayment, match=re.escape("payment of 60.00 exceeds the 50.00 still due")):
        donations.receive_payment(pledge, D("60.00"), "card", "ch_big")
    assert stored_events(donations) == before
    assert donations.fund(famiglie).balance == D("0.00")


@pytest.mark.parametrize(("amount", "message"), [
    ("10.005", "at most 2 decimals"), ("-5", "must be positive, got -5.00"), ("1E+40", "at most 100000000.00"),
    ("-1E+40", "must be positive"), ("123456789012345678901234567.001", "at most"), ("0", "must be positive"),
    ("NaN", "must be a number"), ("1000000000", "at most"),
])
def test_bad_amounts_are_refused(
    donations: DonationsApplication, giulia: UUID, famiglie: UUID, amount: str, message: str
) -> None:
    with pytest.raises(AmountNotValid, match=message):
        money(donations, giulia, famiglie, amount)


def test_only_euro_is_accepted(donations: DonationsApplication, giulia: UUID, famiglie: UUID) -> None:
    with pytest.raises(CurrencyNotAccepted, match="currency must be EUR, got 'USD'"):
        donations.make_pledge(giulia, famiglie, "money", D("50.00"), currency="USD")
    pledge = money(donations, giulia, famiglie, "50.00")
    with pytest.raises(CurrencyNotAccepted):
        donations.receive_payment(pledge, D("10.00"), "card", "ch_1", currency="CHF")


def test_payment_to_a_cancelled_pledge_is_refused(
    donations: DonationsApplication, giulia: UUID, famiglie: UUID
) -> None:
    pledge = money(donations, giulia, famiglie, "50.00")
    donations.receive_payment(pledge, D("10.00"), "cash", "R-1")
    donations.cancel_pledge(pledge, "donor changed their mind")
    assert donations.pledge(pledge).status == "cancelled"
    with pytest.raises(PledgeIsCancelled):
        donations.receive_payment(pledge, D("10.00"), "cash", "R-2")
    with pytest.raises(PledgeIsCancelled):
        donations.cancel_pledge(pledge, "again")


def test_fulfilled_pledge_cannot_be_cancelled(donations: DonationsApplication, giulia: UUID, famiglie: UUID) -> None:
    pledge = money(donations, giulia, famiglie, "50.00")
    donations.receive_payment(pledge, D("50.00"), "paypal", "PP-1")
    with pytest.raises(PledgeAlreadyFulfilled, match="reverse a payment instead"):
        donations.cancel_pledge(pledge, "mistake")


def test_reversal_cannot_exceed_the_payment(donations: DonationsApplication, giulia: UUID, famiglie: UUID) -> None:
    pledge = money(donations, giulia, famiglie, "50.00")
    payment = donations.receive_payment(pledge, D("30.00"), "card", "ch_1").payment_id
    donations.reverse_payment(pledge, payment, D("20.00"), "partial refund")
    before = stored_events(donations)
    with pytest.raises(ReversalExceedsPayment, match=re.escape("exceeds the 10.00 of payment")):
        donations.reverse_payment(pledge, payment, D("10.01"), "chargeback")
    with pytest.raises(PaymentNotFound):
        donations.reverse_payment(pledge, uuid4(), D("1.00"), "chargeback")
    assert stored_events(donations) == before
    assert donations.pledge(pledge).paid == D("10.00")
    assert donations.fund(famiglie).balance == D("10.00")


def test_a_payment_imported_twice_is_recorded_once(
    donations: DonationsApplication, giulia: UUID, famiglie: UUID
) -> None:
    pledge = money(donations, giulia, famiglie, "50.00")
    first = donations.receive_payment(pledge, D("20.00"), "bank_transfer", "CRO-1234")
    again = donations.receive_payment(pledge, D("20"), "bank_transfer", " CRO-1234 ")
    assert again.duplicate and again.payment_id == first.payment_id
    assert donations.pledge(pledge).paid == D("20.00")
    other = money(donations, giulia, famiglie, "20.00")
    with pytest.raises(PaymentReferenceTaken, match=re.escape("already recorded for 20.00 on pledge")):
        donations.receive_payment(other, D("20.00"), "bank_transfer", "CRO-1234")
    # The same reference under another method is another payment.
    assert not donations.receive_payment(other, D("20.00"), "card", "CRO-1234").duplicate


def test_unknown_fund_donor_and_method_are_refused(
    donations: DonationsApplication, giulia: UUID, famiglie: UUID
) -> None:
    with pytest.raises(NotFound, match="fund"):
        money(donations, giulia, uuid4(), "10.00")
    with pytest.raises(NotFound, match="donor"):
        money(donations, uuid4(), famiglie, "10.00")
    pledge = money(donations, giulia, famiglie, "10.00")
    with pytest.raises(UnknownPaymentMethod, match="bank_transfer, card, paypal, sepa, cash"):
        donations.receive_payment(pledge, D("10.00"), "bitcoin", "x")
    with pytest.raises(NotFound):
        donations.receive_payment(uuid4(), D("10.00"), "card", "x")


def test_closed_fund_takes_no_new_pledges_but_earlier_ones_are_paid(
    donations: DonationsApplication, giulia: UUID, famiglie: UUID
) -> None:
    pledge = money(donations, giulia, famiglie, "10.00")
    donations.close_fund(famiglie)
    with pytest.raises(FundClosed, match="closed and takes no new pledges"):
        money(donations, giulia, famiglie, "10.00")
    donations.receive_payment(pledge, D("10.00"), "card", "ch_1")
    with pytest.raises(FundClosed):
        donations.rename_fund(famiglie, "Fondo chiuso")
    with pytest.raises(FundClosed, match="already closed"):
        donations.close_fund(famiglie)


def test_fund_is_renamed_and_names_are_checked(donations: DonationsApplication, famiglie: UUID) -> None:
    donations.rename_fund(famiglie, "  Emergenza   freddo ")
    assert donations.fund(famiglie).name == "Emergenza freddo"
    with pytest.raises(FundNameNotValid):
        donations.rename_fund(famiglie, "   ")


def test_disbursement_cannot_exceed_what_the_fund_holds(
    donations: DonationsApplication, giulia: UUID, famiglie: UUID, clock: FixedClock
) -> None:
    pledge = money(donations, giulia, famiglie, "100.00")
    payment = donations.receive_payment(pledge, D("100.00"), "card", "ch_1").payment_id
    donations.disburse(famiglie, D("60.00"), "Spesa per 12 famiglie", "FATT-2026-118")
    today = clock.now().astimezone(ZoneInfo("Europe/Rome")).date()
    refusal = f"disbursing 40.01 EUR on {today} would leave fund Fondo famiglie at -0.01 EUR on {today}; it held 40.00"
    with pytest.raises(InsufficientFunds, match=re.escape(refusal)):
        donations.disburse(famiglie, D("40.01"), "Bollette", "FATT-2026-119")
    with pytest.raises(DisbursementNotValid, match="document"):
        donations.disburse(famiglie, D("1.00"), "Bollette", " ")
    # A chargeback after the money was spent is an outside fact: recorded, and the balance shows it.
    donations.reverse_payment(pledge, payment, D("50.00"), "chargeback")
    assert donations.fund(famiglie).balance == D("-10.00")


def test_goods_pledge_receives_goods_valued_pro_rata(
    donations: DonationsApplication, giulia: UUID, famiglie: UUID
) -> None:
    pledge = donations.make_pledge(giulia, famiglie, "goods", D("100.00"), description="Coperte", quantity=3)
    donations.receive_goods(pledge, 1)
    assert donations.pledge(pledge).status == "partially_paid"
    with pytest.raises(GoodsExceedPledge, match="between 1 and the 2 still expected"):
        donations.receive_goods(pledge, 3)
    donations.receive_goods(pledge, 2)
    view = donations.pledge(pledge)
    assert (view.status, view.received_quantity) == ("fulfilled", 3)
    events = EventFeed("donations", donations).read(0)[0]
    assert [e.data["value"] for e in events if e.type == "Pledge.GoodsReceived"] == ["33.33", "66.67"]
    with pytest.raises(WrongPledgeKind, match="record goods received instead"):
        donations.receive_payment(pledge, D("1.00"), "cash", "x")


def test_goods_pledge_needs_description_and_quantity(
    donations: DonationsApplication, giulia: UUID, famiglie: UUID
) -> None:
    with pytest.raises(PledgeNotValid, match="description"):
        donations.make_pledge(giulia, famiglie, "goods", D("10.00"), quantity=1)
    with pytest.raises(PledgeNotValid, match="quantity"):
        donations.make_pledge(giulia, famiglie, "goods", D("10.00"), description="Pasta", quantity=0)
    with pytest.raises(PledgeNotValid, match="belong to pledges of goods"):
        donations.make_pledge(giulia, famiglie, "money", D("10.00"), quantity=2)
    pledge = money(donations, giulia, famiglie, "10.00")
    with pytest.raises(WrongPledgeKind):
        donations.receive_goods(pledge, 1)


def test_payment_time_may_be_earlier_but_not_in_the_future(
    donations: DonationsApplication, giulia: UUID, famiglie: UUID, clock: FixedClock
) -> None:
    pledge = money(donations, giulia, famiglie, "10.00")
    with pytest.raises(TimeNotValid, match="future"):
        donations.receive_payment(pledge, D("5.00"), "card", "a", received_at=clock.now() + timedelta(days=1))
    with pytest.raises(TimeNotValid, match="time zone"):
        donations.receive_payment(pledge, D("5.00"), "card", "a", received_at=clock.now().replace(tzinfo=None))
    donations.receive_payment(pledge, D("5.00"), "card", "a", received_at=clock.now() - timedelta(days=3))


def test_personal_data_stays_in_the_vault_and_erased_donors_pledge_no_more(
    donations: DonationsApplication, giulia: UUID, famiglie: UUID, clock: FixedClock
) -> None:
    money(donations, giulia, famiglie, "10.00")
    assert "Giulia" not in repr(EventFeed("donations", donations).read(0)[0])
    assert donations.donor(giulia, SYSTEM_ACCESS).details["name"] == "Giulia Rossi"
    donations.vault.erase(giulia, clock.now(), "dpo", "art. 17 request")
    assert donations.donor(giulia, SYSTEM_ACCESS).erased
    with pytest.raises(DonorErased):
        money(donations, giulia, famiglie, "10.00")


def test_a_fund_loaded_from_its_snapshot_still_knows_the_day_its_money_arrived(
    donations: DonationsApplication, giulia: UUID, famiglie: UUID, clock: FixedClock
) -> None:
    # Given 10.00 paid a month ago and 90.00 paid a week ago, then the fund snapshotted and loaded again
    month_ago, week_ago = clock.now() - timedelta(days=30), clock.now() - timedelta(days=7)
    donations.receive_payment(money(donations, giulia, famiglie, "10.00"), D("10.00"), "card", "ch_1",
                              received_at=month_ago)
    donations.receive_payment(money(donations, giulia, famiglie, "90.00"), D("90.00"), "card", "ch_2",
                              received_at=week_ago)
    donations.take_snapshot(famiglie)
    # Then a disbursement dated a month ago is still judged by what the fund held then
    with pytest.raises(InsufficientFunds, match=re.escape("it held 10.00 EUR then")):
        donations.disburse(famiglie, D("100.00"), "Bollette", "FATT-2026-119", disbursed_at=month_ago)
    donations.disburse(famiglie, D("100.00"), "Bollette", "FATT-2026-119", disbursed_at=week_ago)


def test_a_snapshot_taken_before_movements_were_dated_counts_its_balance_from_the_funds_first_day() -> None:
    # Given the state of a fund snapshotted before its movements carried their day (class version 1)
    state = {"name": "Fondo famiglie", "closed": False, "balance": D("70.00"), "disbursed": D("30.00")}
    # When it is upcast
    Fund.upcast_v1_v2(state)
    # Then its whole balance is undated money, held on every day
    assert state["undated"] == D("70.00") and state["days"] == {}
