"""Back-dated money movements over HTTP: no movement may leave a fund below zero on its own day or any later day,
and a reversal cannot precede its payment; a chargeback of money already spent is recorded and shown as a deficit."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from services.kernel.clock import FixedClock
from services.main import Product
from tests.donations.conftest import Api, catch_up_ledger

ROME = ZoneInfo("Europe/Rome")


class Days:
    """Past days counted back from the product's clock: noon in Rome, so each instant has one ledger day."""

    def __init__(self, clock: FixedClock) -> None:
        self.today = clock.now().astimezone(ROME).date()

    def ago(self, days: int) -> date:
        return self.today - timedelta(days=days)

    def noon(self, days: int) -> str:
        return datetime.combine(self.ago(days), time(12), ROME).isoformat()


def balances(api: Api, product: Product, as_of: date) -> dict[str, Any]:
    catch_up_ledger(product)
    return dict(api.get("/ledger/balances", as_of=as_of.isoformat())["funds"])


def balance(api: Api, product: Product, fund: str, as_of: date) -> str:
    return str(balances(api, product, as_of)[fund]["balance"])


def disburse(api: Api, fund: str, amount: str, at: str, status: int = 201) -> Any:
    body = {"amount": amount, "purpose": "Pacchi alimentari", "document": "FATT-2026-118", "disbursed_at": at}
    return api.post(f"/funds/{fund}/disbursements", body, status)


def test_a_reversal_dated_before_its_payment_is_refused_and_stores_nothing(
    api: Api, product: Product, clock: FixedClock
) -> None:
    # Given Giulia's 100.00 EUR card payment received ten days ago
    days = Days(clock)
    fund = api.fund("Fondo famiglie")
    pledge = api.pledge(api.donor("Giulia Rossi"), fund, "100.00")
    payment = api.pay(pledge, "100.00", "ch_giulia", received_at=days.noon(10))
    before = {day: balances(api, product, days.ago(day)) for day in (20, 10, 0)}
    # When a chargeback is recorded as dated twenty days ago, before the payment existed
    refused = api.post(f"/pledges/{pledge}/payments/{payment}/reversals",
                       {"amount": "100.00", "reason": "chargeback", "reversed_at": days.noon(20)}, 409)
    # Then it is refused, naming both dates, and neither the pledge nor any past balance moved
    assert refused["detail"] == (
        f"a reversal dated {days.noon(20)} cannot precede payment {payment}, received {days.noon(10)}; "
        "date the reversal on or after the payment")
    assert api.get(f"/pledges/{pledge}")["paid"] == "100.00"
    assert {day: balances(api, product, days.ago(day)) for day in (20, 10, 0)} == before


def test_a_disbursement_dated_before_the_fund_held_enough_is_refused_with_the_day_and_balance(
    api: Api, product: Product, clock: FixedClock
) -> None:
    # Given 10.00 EUR paid sixty days ago and 90.00 EUR paid thirty days ago (100.00 held today)
    days = Days(clock)
    fund = api.fund("Fondo famiglie")
    donor = api.donor("Giulia Rossi")
    api.pay(api.pledge(donor, fund, "10.00"), "10.00", "ch_early", received_at=days.noon(60))
    api.pay(api.pledge(donor, fund, "90.00"), "90.00", "ch_late", received_at=days.noon(30))
    # When 100.00 EUR is disbursed as of forty-five days ago, when the fund held only 10.00
    refused = disburse(api, fund, "100.00", days.noon(45), 409)
    # Then it is refused, saying which day and balance broke the rule, and no balance moved
    assert refused["detail"].startswith(
        f"disbursing 100.00 EUR on {days.ago(45)} would leave fund Fondo famiglie at -90.00 EUR on {days.ago(45)}; "
        "it held 10.00 EUR then.")
    assert [balance(api, product, fund, days.ago(d)) for d in (45, 30, 0)] == ["10.00", "100.00", "100.00"]
    assert api.get(f"/funds/{fund}")["balance"] == "100.00"
    # And dated on the day the fund held 100.00, the same disbursement is recorded
    disburse(api, fund, "100.00", days.noon(30))
    assert [balance(api, product, fund, days.ago(d)) for d in (45, 30, 0)] == ["10.00", "0.00", "0.00"]


def test_a_disbursement_that_fits_its_day_but_not_a_later_chargeback_day_is_refused(
    api: Api, product: Product, clock: FixedClock
) -> None:
    # Given 100.00 EUR paid thirty days ago and 80.00 EUR of it charged back ten days ago
    days = Days(clock)
    fund = api.fund("Emergenza freddo")
    pledge = api.pledge(api.donor("Marco Bianchi"), fund, "100.00")
    payment = api.pay(pledge, "100.00", "CRO-7", method="bank_transfer", received_at=days.noon(30))
    api.post(f"/pledges/{pledge}/payments/{payment}/reversals",
             {"amount": "80.00", "reason": "chargeback", "reversed_at": days.noon(10)})
    # When 50.00 EUR is disbursed as of twenty days ago (the fund then held 100.00)
    refused = disburse(api, fund, "50.00", days.noon(20), 409)
    # Then it is refused: from the chargeback's day the fund would be 30.00 short
    assert refused["detail"].startswith(
        f"disbursing 50.00 EUR on {days.ago(20)} would leave fund Emergenza freddo at -30.00 EUR on {days.ago(10)}; "
        "it held 20.00 EUR then.")
    assert [balance(api, product, fund, days.ago(d)) for d in (20, 10, 0)] == ["100.00", "20.00", "20.00"]


def test_a_chargeback_of_money_already_spent_is_recorded_and_the_ledger_shows_the_deficit_from_its_day(
    api: Api, product: Product, clock: FixedClock
) -> None:
    # Given 100.00 EUR paid thirty days ago and all of it disbursed twenty days ago
    days = Days(clock)
    fund = api.fund("Fondo famiglie")
    pledge = api.pledge(api.donor("Giulia Rossi"), fund, "100.00")
    payment = api.pay(pledge, "100.00", "ch_giulia", received_at=days.noon(30))
    disburse(api, fund, "100.00", days.noon(20))
    # When the bank reports a 40.00 EUR chargeback dated ten days ago: a fact, not a request
    api.post(f"/pledges/{pledge}/payments/{payment}/reversals",
             {"amount": "40.00", "reason": "chargeback", "reversed_at": days.noon(10)})
    # Then the ledger shows the fund 40.00 short from that day on, and nothing earlier changes
    assert [balance(api, product, fund, days.ago(d)) for d in (20, 11, 10, 0)] == ["0.00", "0.00", "-40.00", "-40.00"]
    # And no further disbursement is accepted until payments cover the deficit
    refused = disburse(api, fund, "0.01", days.noon(1), 409)
    assert f"at -40.01 EUR on {days.ago(1)}; it held -40.00 EUR then" in refused["detail"]
