"""Transparency fed from the donation aggregates: what tests/donations/test_ledger.py does not cover.

There (through HTTP): months of one fund, one campaign's conversion, receipts voided by a chargeback. Here:
a voided receipt followed by a new one, the receipt year in Rome, receipts past the sealed position, goods,
donors counted once a month, cancelled pledges and the funds list.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any
from uuid import uuid4

import pytest

from services.projections import ledger, transparency
from tests.projections.conftest import Donations, ReadModel, ReadModelOf, Sources, rome

NATALE = str(uuid4())


@pytest.fixture
def year(donations: Donations) -> dict[str, Any]:
    """Fondo famiglie: Giulia pledges 100.00 to Natale and pays 60.00 then 40.00 in November; 10.00 is charged
    back on 5 December and paid again on the 6th. Anna gives three coats worth 90.00. Luca pledges 30.00 to
    Natale and cancels. Marco pays 50.00 at 23:30 UTC on New Year's Eve, already 2027 in Rome. Emergenza freddo
    is closed; Fondo famiglie is renamed."""
    giulia, marco, anna, luca = uuid4(), uuid4(), uuid4(), uuid4()
    famiglie = donations.fund("Fondo famiglie", rome("2026-11-01 09:00"))
    freddo = donations.fund("Emergenza freddo", rome("2026-11-01 09:00"))
    freddo.close(rome("2026-11-02 09:00"))
    famiglie.rename("Fondo famiglie in difficoltà", rome("2026-11-02 09:00"))
    donations.save(freddo, famiglie)
    pledge = donations.pledge(famiglie, "100.00", rome("2026-11-09 10:00"), giulia, campaign_id=NATALE)
    donations.pay(pledge, famiglie, "60.00", rome("2026-11-10 10:00"))
    coats = donations.pledge(famiglie, "90.00", rome("2026-11-14 10:00"), anna, kind="goods", description="Cappotti",
                             quantity=3)
    coats.receive_goods(uuid4(), 3, rome("2026-11-15 10:00"))
    donations.save(coats)
    second = donations.pay(pledge, famiglie, "40.00", rome("2026-11-20 10:00"))
    cancelled = donations.pledge(famiglie, "30.00", rome("2026-11-21 10:00"), luca, campaign_id=NATALE)
    cancelled.cancel(rome("2026-11-22 10:00"), "changed their mind")
    donations.save(cancelled)
    donations.reverse(pledge, famiglie, second, "10.00", rome("2026-12-05 10:00"))
    donations.pay(pledge, famiglie, "10.00", rome("2026-12-06 10:00"))
    new_year = donations.pledge(famiglie, "50.00", rome("2026-12-31 20:00"), marco)
    donations.pay(new_year, famiglie, "50.00", datetime(2026, 12, 31, 23, 30, tzinfo=UTC))
    return {"famiglie": str(famiglie.id), "giulia": str(giulia), "marco": str(marco), "pledge": str(pledge.id),
            "new_year": str(new_year.id)}


@pytest.fixture
def figures(read_model: ReadModelOf, year: dict[str, Any]) -> ReadModel:
    model = read_model(transparency.PROJECTION)
    model.catch_up()
    return model


def test_months_of_a_fund_with_goods_valued_apart_and_each_donor_counted_once_a_month(
    figures: ReadModel, year: dict[str, Any]
) -> None:
    assert transparency.fund_months(figures.store, year["famiglie"]) == [
        {"month": "2026-11", "raised": "100.00", "reversed": "0.00", "disbursed": "0.00", "in_kind": "90.00",
         "balance": "100.00", "donors": 1},
        {"month": "2026-12", "raised": "10.00", "reversed": "10.00", "disbursed": "0.00", "in_kind": "0.00",
         "balance": "100.00", "donors": 1},
        {"month": "2027-01", "raised": "50.00", "reversed": "0.00", "disbursed": "0.00", "in_kind": "0.00",
         "balance": "150.00", "donors": 1},
    ]
    assert [m["month"] for m in transparency.fund_months(figures.store, year["famiglie"], date(2026, 12, 31))] == [
        "2026-11", "2026-12"]


def test_a_campaign_counts_pledges_fulfilled_once_and_cancelled(figures: ReadModel) -> None:
    assert transparency.campaign(figures.store, NATALE) == {
        "campaign_id": NATALE, "pledges": 2, "fulfilled": 1, "cancelled": 1, "pledged": "130.00", "paid": "100.00",
        "conversion": 0.7692}
    assert transparency.campaign(figures.store, str(uuid4())) is None


def test_a_voided_receipt_keeps_its_number_and_paying_again_issues_the_next(
    figures: ReadModel, year: dict[str, Any]
) -> None:
    receipts = transparency.receipts(figures.store, 2026, ledger.sealed_position(figures.store))
    assert [(r["number"], r["pledge_id"], r["amount"], r["fulfilled_on"], r["voided_on"]) for r in receipts] == [
        ("2026-000001", year["pledge"], "100.00", "2026-11-20", "2026-12-05"),
        ("2026-000002", year["pledge"], "100.00", "2026-12-06", None),
    ]
    assert {r["donor_id"] for r in receipts} == {year["giulia"]}


def test_a_receipt_belongs_to_the_year_of_its_day_in_rome(figures: ReadModel, year: dict[str, Any]) -> None:
    [receipt] = transparency.receipts(figures.store, 2027, ledger.sealed_position(figures.store))
    assert (receipt["number"], receipt["pledge_id"], receipt["fulfilled_on"]) == (
        "2027-000001", year["new_year"], "2027-01-01")


def test_receipts_past_the_sealed_position_are_not_numbered_yet(
    figures: ReadModel, sources: Sources
) -> None:
    reversal = next(m for m in sources.messages("donations") if m.type == "Pledge.PaymentReversed")
    assert [r["number"] for r in transparency.receipts(figures.store, 2026, reversal.position)] == ["2026-000001"]


def test_funds_are_listed_by_name_with_their_last_name_and_whether_closed(figures: ReadModel) -> None:
    assert [(f["name"], f["closed"]) for f in transparency.funds(figures.store)] == [
        ("Emergenza freddo", 1), ("Fondo famiglie in difficoltà", 0)]
