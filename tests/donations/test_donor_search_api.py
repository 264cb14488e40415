"""The donations office over HTTP: search donors by each key, read a donor's record, pledges and consents, each
read of personal data in the access trail; bad searches and bad donors refused with a clear message."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from services.kernel.clock import FixedClock
from services.main import Product
from tests.conftest import RoleClient

GIULIA = {"kind": "person", "name": "Giulia Niccolò Rossi", "phone": "+39 333 123 4567",
          "email": "giulia.rossi@example.org", "tax_code": "RSSGLI80A41F205X"}


def found(client: TestClient, by: str, q: str) -> list[str]:
    response = client.get("/donors", params={"by": by, "q": q})
    assert response.status_code == 200, response.text
    return [d["name"] for d in response.json()["donors"]]


def register(client: TestClient, body: dict[str, Any]) -> str:
    response = client.post("/donors", json=body)
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


@pytest.mark.parametrize(("by", "q"), [
    ("name", "giulia"), ("name", "GIULIA niccolo"), ("name", "rossi niccolò"), ("phone", "333 1234567"),
    ("phone", "+393331234567"), ("email", "Giulia.Rossi@EXAMPLE.org"), ("tax_code", "rssgli80a41f205x"),
])
def test_giulia_is_found_by_each_key_whatever_the_case_and_accents(client: TestClient, by: str, q: str) -> None:
    register(client, GIULIA)
    register(client, {"kind": "company", "name": "Pasticceria Rossi S.r.l.", "tax_code": "01234567890"})
    assert found(client, by, q) == ["Giulia Niccolò Rossi"]


def test_a_name_word_shared_by_two_donors_finds_both_by_name(client: TestClient) -> None:
    register(client, GIULIA)
    register(client, {"kind": "company", "name": "Pasticceria Rossi S.r.l.", "tax_code": "01234567890"})
    assert found(client, "name", "rossi") == ["Giulia Niccolò Rossi", "Pasticceria Rossi S.r.l."]
    assert found(client, "name", "rossi pasticceria") == ["Pasticceria Rossi S.r.l."]
    assert found(client, "name", "ros") == []  # whole words only


@pytest.mark.parametrize(("params", "fragment"), [
    ({"by": "name", "q": ""}, "the search is empty"),
    ({"by": "name", "q": " x "}, "too short"),
    ({"by": "shoe_size", "q": "42"}, "by must be one of name, phone, email, tax_code"),
    ({"by": "phone", "q": "call me"}, "cannot be read"),
    ({"by": "phone", "q": "+39 12"}, "not a valid number"),
    ({"by": "email", "q": "giulia"}, "a whole address"),
    ({"by": "tax_code", "q": "RSS"}, "11 to 16 letters"),
    ({"by": "name", "q": "giulia", "limit": 0}, "limit"),
])
def test_bad_searches_are_refused_with_what_to_type(page_reader: TestClient, params: dict[str, Any],
                                                   fragment: str) -> None:
    response = page_reader.get("/donors", params=params)
    assert response.status_code == 422 and fragment in response.json()["detail"], response.text


def test_each_donor_a_search_shows_is_recorded_with_the_searcher_and_purpose(
    client: TestClient, product: Product, client_as: RoleClient, clock: FixedClock,
) -> None:
    giulia = register(client, GIULIA)
    register(client, {"kind": "person", "name": "Marco Bianchi"})
    office = client_as("campaign_manager")
    clock.advance(timedelta(minutes=1))
    assert office.get("/donors", params={"by": "phone", "q": "333 123 4567"}).json()["total"] == 1
    product.catch_up()
    log = client.get("/privacy/access-log", params={"person_id": giulia}).json()
    assert (log[0]["role"], log[0]["purpose"], log[0]["fields"]) == (
        "campaign_manager", "GET /donors (donor search by phone)", ["name"])
    assert "333" not in str(log)  # the number searched for is not in the trail
    assert office.get("/donors", params={"by": "name", "q": "nobody"}).json() == {"by": "name", "total": 0,
                                                                                  "donors": []}


def test_a_new_donor_with_consents_and_a_bad_one_that_stores_nothing(client: TestClient, product: Product) -> None:
    before = product.feeds["donations"].head()
    for body, fragment in [
        ({**GIULIA, "phone": "not a number"}, "cannot be read"),
        ({**GIULIA, "consents": [{"channel": "fax", "source": "web form"}]}, "channel"),
        ({**GIULIA, "consents": [{"channel": "phone", "source": ""}]}, "source"),
        ({**GIULIA, "name": ""}, "name"),
    ]:
        response = client.post("/donors", json=body)
        assert response.status_code == 422 and fragment in response.text, response.text
    assert product.feeds["donations"].head() == before
    assert client.get("/donors", params={"by": "tax_code", "q": GIULIA["tax_code"]}).json()["total"] == 0
    giulia = register(client, {**GIULIA, "consents": [{"channel": "phone", "source": "phone call of 2 Dec"},
                                                      {"channel": "email", "source": "phone call of 2 Dec"}]})
    consents = client.get(f"/donors/{giulia}/consents").json()
    assert sorted((c["purpose"], c["source"], c["valid_now"]) for c in consents) == [
        ("email_outreach", "phone call of 2 Dec", True), ("phone_outreach", "phone call of 2 Dec", True)]


def test_a_donors_record_and_pledges(client: TestClient, product: Product, clock: FixedClock) -> None:
    giulia = register(client, GIULIA)
    fund = client.post("/funds", json={"name": "Fondo famiglie"}).json()["id"]
    pledge = client.post("/pledges", json={"donor_id": giulia, "fund_id": fund, "amount": "50.00"}).json()["id"]
    goods = client.post("/pledges", json={"donor_id": giulia, "fund_id": fund, "kind": "goods", "amount": "30.00",
                                          "description": "coperte", "quantity": 3}).json()["id"]
    payment = client.post(f"/pledges/{pledge}/payments", json={
        "amount": "50.00", "method": "bank_transfer", "reference": "CRO 123"}).json()["payment_id"]
    client.post(f"/pledges/{pledge}/payments/{payment}/reversals", json={"amount": "10.00", "reason": "refund"})
    client.post(f"/pledges/{goods}/goods", json={"quantity": 1})
    clock.advance(timedelta(minutes=1))
    record = client.get(f"/donors/{giulia}/record").json()
    assert record == {"id": giulia, "kind": "person", "erased": False, "name": GIULIA["name"],
                      "email": GIULIA["email"], "phone": GIULIA["phone"], "tax_code": GIULIA["tax_code"]}
    listed = client.get(f"/donors/{giulia}/pledges").json()
    assert sorted((p["kind"], p["status"], p["paid"], p["received_quantity"]) for p in listed) == [
        ("goods", "partially_paid", "0.00", 1), ("money", "partially_paid", "40.00", 0)]
    money = next(p for p in listed if p["kind"] == "money")
    assert [(x["amount"], x["reversed"], x["reference"]) for x in money["payments"]] == [("50.00", "10.00", "CRO 123")]
    assert money["fund_name"] == "Fondo famiglie"
    assert client.get("/donors/5b0c1f0e-0000-4000-8000-000000000000/pledges").status_code == 404
    product.catch_up()
    log = client.get("/privacy/access-log", params={"person_id": giulia}).json()
    assert log[0]["purpose"] == f"GET /donors/{giulia}/record" and set(log[0]["fields"]) == {
        "name", "email", "phone", "tax_code"}


@pytest.mark.parametrize(("role", "status"), [("campaign_manager", 200), ("coordinator", 200), ("auditor", 403),
                                              ("volunteer", 403), ("viewer", 403)])
def test_who_may_search_donors(client: TestClient, client_as: RoleClient, role: str, status: int) -> None:
    register(client, GIULIA)
    assert client_as(role).get("/donors", params={"q": "giulia"}).status_code == status
