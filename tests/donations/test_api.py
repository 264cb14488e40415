"""Donations over HTTP: clear 4xx for every bad input, nothing stored, idempotent retries."""

from __future__ import annotations

import pytest

from services.main import Product
from tests.donations.conftest import Api

NOWHERE = "5b0c1f0e-0000-4000-8000-000000000000"


def donation_events(product: Product) -> int:
    return product.feeds["donations"].head()


def test_giulia_pledges_pays_and_the_pledge_shows_it(api: Api) -> None:
    giulia, fund = api.donor(), api.fund()
    pledge = api.pledge(giulia, fund, "50.00", campaign_id="6f1c2a8e-1111-4000-8000-000000000001")
    api.pay(pledge, "50.00", "ch_natale_1")
    view = api.get(f"/pledges/{pledge}")
    assert (view["status"], view["paid"], view["outstanding"]) == ("fulfilled", "50.00", "0.00")
    assert api.get(f"/funds/{fund}")["balance"] == "50.00"
    assert api.get(f"/donors/{giulia}")["name"] == "Giulia Rossi"


@pytest.mark.parametrize(("body", "status", "fragment"), [
    ({"amount": "50.001"}, 422, "at most 2 decimals"),
    ({"amount": "-5"}, 422, "must be positive"),
    ({"amount": "abc"}, 422, "amount"),
    ({"currency": "USD"}, 422, "currency must be EUR"),
    ({"fund_id": NOWHERE}, 404, "fund"),
    ({"donor_id": NOWHERE}, 404, "donor"),
    ({"kind": "stocks"}, 422, "kind"),
    ({"surprise": 1}, 422, "surprise"),
    ({"instalments": [{"due_on": "2026-12-01", "amount": "10.00"}]}, 422, "add up"),
])
def test_bad_pledges_are_refused_and_store_nothing(
    api: Api, product: Product, body: dict[str, object], status: int, fragment: str
) -> None:
    giulia, fund = api.donor(), api.fund()
    before = donation_events(product)
    refused = api.post("/pledges", {"donor_id": giulia, "fund_id": fund, "amount": "50.00", **body}, status)
    assert fragment in refused["detail"]
    assert donation_events(product) == before


@pytest.mark.parametrize(("body", "status", "fragment"), [
    ({"amount": "60.00"}, 409, "exceeds the 50.00 still due"),
    ({"amount": "1.234"}, 422, "at most 2 decimals"),
    ({"currency": "GBP"}, 422, "currency must be EUR"),
    ({"method": "bitcoin"}, 422, "payment method must be one of"),
    ({"reference": ""}, 422, "reference"),
    ({"received_at": "2030-01-01T10:00:00+01:00"}, 422, "future"),
])
def test_bad_payments_are_refused_and_store_nothing(
    api: Api, product: Product, body: dict[str, object], status: int, fragment: str
) -> None:
    pledge = api.pledge(api.donor(), api.fund(), "50.00")
    before = donation_events(product)
    payment = {"amount": "10.00", "method": "card", "reference": "ch_1", **body}
    assert fragment in api.post(f"/pledges/{pledge}/payments", payment, status)["detail"]
    assert donation_events(product) == before


def test_payment_to_cancelled_pledge_and_big_reversal_are_409(api: Api, product: Product) -> None:
    fund = api.fund()
    pledge = api.pledge(api.donor(), fund, "50.00")
    payment = api.pay(pledge, "20.00", "ch_1")
    big = api.post(f"/pledges/{pledge}/payments/{payment}/reversals", {"amount": "20.01", "reason": "refund"}, 409)
    assert "exceeds the 20.00" in big["detail"]
    api.post(f"/pledges/{pledge}/payments/{NOWHERE}/reversals", {"amount": "1.00", "reason": "refund"}, 404)
    assert api.post(f"/pledges/{pledge}/cancel", {"reason": "moved abroad"}, 200)["status"] == "cancelled"
    before = donation_events(product)
    refused = api.post(f"/pledges/{pledge}/payments", {"amount": "5.00", "method": "card", "reference": "x"}, 409)
    assert "cancelled" in refused["detail"]
    assert donation_events(product) == before


def test_same_bank_line_imported_twice_is_recorded_once(api: Api) -> None:
    pledge = api.pledge(api.donor(), api.fund(), "50.00")
    body = {"amount": "20.00", "method": "bank_transfer", "reference": "CRO-2026-0042"}
    first = api.post(f"/pledges/{pledge}/payments", body)
    again = api.post(f"/pledges/{pledge}/payments", body)
    assert again == {**first, "duplicate": True}
    assert api.get(f"/pledges/{pledge}")["paid"] == "20.00"


def test_disbursement_over_the_balance_is_409_and_within_is_recorded(api: Api) -> None:
    fund = api.fund("Emergenza freddo")
    api.pay(api.pledge(api.donor(), fund, "80.00"), "80.00", "ch_1")
    over = api.post(f"/funds/{fund}/disbursements",
                    {"amount": "80.01", "purpose": "Coperte", "document": "FATT-1"}, 409)
    assert "it held 80.00 EUR then" in over["detail"]
    api.post(f"/funds/{fund}/disbursements", {"amount": "30.00", "purpose": "Coperte", "document": "FATT-1"})
    api.post(f"/funds/{fund}/disbursements", {"amount": "1", "purpose": "x", "document": "y", "currency": "USD"}, 422)
    assert api.get(f"/funds/{fund}")["balance"] == "50.00"


def test_fund_rename_close_and_unknown_fund(api: Api) -> None:
    fund = api.fund()
    assert api.post(f"/funds/{fund}/rename", {"name": "Fondo famiglie Milano"}, 200)["name"] == "Fondo famiglie Milano"
    assert api.post(f"/funds/{fund}/close", {}, 200)["closed"] is True
    api.post(f"/funds/{fund}/close", {}, 409)
    api.get(f"/funds/{NOWHERE}", 404)
    api.post(f"/funds/{NOWHERE}/rename", {"name": "x"}, 404)


def test_goods_pledge_over_http(api: Api) -> None:
    pledge = api.pledge(api.donor(), api.fund(), "120.00", kind="goods", description="Pacchi alimentari", quantity=4)
    api.post(f"/pledges/{pledge}/goods", {"quantity": 4})
    assert api.get(f"/pledges/{pledge}")["status"] == "fulfilled"
    api.post(f"/pledges/{pledge}/goods", {"quantity": 1}, 409)
    api.post(f"/pledges/{pledge}/goods", {"quantity": 0}, 422)


def test_bad_donor_registration_is_422(api: Api) -> None:
    api.post("/donors", {"kind": "robot", "name": "R2"}, 422)
    api.post("/donors", {"kind": "company", "name": "Rossi srl", "tax_code": "not a code!"}, 422)
    api.post("/donors", {"kind": "person", "name": "Giulia", "email": "nope"}, 422)
    company = api.post("/donors", {"kind": "company", "name": "Rossi srl", "tax_code": "01234567890"})
    assert company["kind"] == "company"


def test_status_as_of_a_date_shows_overdue_instalments(api: Api) -> None:
    instalments = [{"due_on": "2026-12-01", "amount": "25.00"}, {"due_on": "2027-01-01", "amount": "25.00"}]
    pledge = api.pledge(api.donor(), api.fund(), "50.00", instalments=instalments)
    assert api.get(f"/pledges/{pledge}", on="2026-11-30")["status"] == "pledged"
    assert api.get(f"/pledges/{pledge}", on="2026-12-02")["status"] == "overdue"
    api.get(f"/pledges/{pledge}", 422, on="yesterday")


def test_retried_payment_with_the_same_key_pays_once(api: Api, product: Product) -> None:
    pledge = api.pledge(api.donor(), api.fund(), "50.00")
    body = {"amount": "10.00", "method": "card", "reference": "ch_retry"}
    first = api.client.post(f"/pledges/{pledge}/payments", json=body, headers={"Idempotency-Key": "pay-1"})
    again = api.client.post(f"/pledges/{pledge}/payments", json=body, headers={"Idempotency-Key": "pay-1"})
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json() and again.headers["Idempotent-Replay"] == "true"
    other = api.client.post(f"/pledges/{pledge}/payments", json={**body, "amount": "11.00"},
                            headers={"Idempotency-Key": "pay-1"})
    assert other.status_code == 409
    assert api.get(f"/pledges/{pledge}")["paid"] == "10.00"
