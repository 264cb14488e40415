"""Bad input on every route of the donations office, in one table: an amount with three decimals, a negative
amount, a 20 MB import, a mandate reference of another donor's regular gift, an erasure without its confirmation.
Each is refused with its status and a message naming the field, and nothing is stored: no event in any feed, the
vault as it was, and the pledge, fund, commitments and donor read back unchanged."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi.testclient import TestClient

from services.main import Product
from tests.donations.conftest import Api

MANDATE = "ANG-2026-0042"
# The product's clock (tests/conftest.py `clock`): Monday 23 November 2026, 10:00 in Rome.
HEADER = "donor_id,donor_name,fund_id,amount,method,reference,received_at,mandate_reference"


@dataclass
class Office:
    giulia: str  # pays €10 a month by SEPA, mandate MANDATE
    marco: str
    fund: str
    pledge: str  # Giulia's €100, €50 of it paid by bank transfer
    payment: str
    goods: str  # Marco's 10 blankets, none arrived yet
    commitment: str
    marcos: str  # Marco's €30 pledge


@pytest.fixture
def office(api: Api) -> Office:
    giulia, marco, fund = api.donor("Giulia Rossi"), api.donor("Marco Bianchi"), api.fund("Fondo famiglie")
    pledge = api.pledge(giulia, fund, "100.00")
    payment = api.pay(pledge, "50.00", "CRO-0001", method="bank_transfer")
    goods = api.pledge(marco, fund, "80.00", kind="goods", description="coperte", quantity=10)
    commitment = api.post("/commitments", {
        "donor_id": giulia, "fund_id": fund, "amount": "10.00", "frequency": "monthly", "day": 5,
        "start": "2026-11-01", "method": "sepa", "mandate_reference": MANDATE, "mandate_signed_on": "2026-10-20"})["id"]
    return Office(giulia, marco, fund, pledge, payment, goods, commitment, api.pledge(marco, fund, "30.00"))


def heads(product: Product) -> dict[str, int]:
    """The last position of every feed: any event stored moves one (reading a donor moves privacy's: an access)."""
    return {name: feed.head() for name, feed in product.feeds.items()}


def stored(client: TestClient, product: Product, o: Office) -> dict[str, Any]:
    """Everything a refused request could have changed, read back."""
    return {
        "people": len(product.vault.store.query("SELECT person_id FROM vault_data")),
        "giulia": client.get(f"/donors/{o.giulia}").json(),
        "pledges": [client.get(f"/pledges/{p}").json() for p in (o.pledge, o.goods, o.marcos)],
        "fund": client.get(f"/funds/{o.fund}").json(),
        "commitments": [client.get(f"/donors/{d}/commitments").json() for d in (o.giulia, o.marco)],
    }


def csv(*lines: str) -> dict[str, Any]:
    return {"files": {"file": ("export.csv", "\n".join([HEADER, *lines]).encode(), "text/csv")}}


def twenty_mb(o: Office) -> dict[str, Any]:
    line = f"{o.giulia},,{o.fund},5.00,paypal,PAYID-{{n:09d}},2026-11-20,\n"
    body = "".join(line.format(n=n) for n in range(20_000_000 // len(line) + 1)).encode()
    return {"files": {"file": ("paypal.csv", (HEADER + "\n").encode() + body[:20_000_000], "text/csv")}}


Request = Callable[[Office], tuple[str, dict[str, Any]]]  # (path, keyword arguments of client.post)
# id -> (request, status, where the message is: "detail" or the first refused line's reason, what it says)
CASES: dict[str, tuple[Request, int, str, str]] = {}


def case(name: str, status: int, says: str, where: str = "detail") -> Callable[[Request], Request]:
    def register(request: Request) -> Request:
        CASES[name] = (request, status, where, says)
        return request
    return register


THREE_DECIMALS, NEGATIVE = "12.345", "-5.00"
for bad, said in ((THREE_DECIMALS, "must have at most 2 decimals (cents), got 12.345"),
                  (NEGATIVE, "must be positive, got -5.00")):
    kind = "three-decimals" if bad == THREE_DECIMALS else "negative"
    case(f"pledge-{kind}", 422, f"amount {said}")(lambda o, bad=bad: ("/pledges", {"json": {
        "donor_id": o.giulia, "fund_id": o.fund, "amount": bad}}))
    case(f"goods-pledge-{kind}", 422, f"declared value {said}")(lambda o, bad=bad: ("/pledges", {"json": {
        "donor_id": o.marco, "fund_id": o.fund, "kind": "goods", "description": "pasta", "quantity": 5,
        "amount": bad}}))
    case(f"instalment-{kind}", 422, f"instalment amount {said}")(lambda o, bad=bad: ("/pledges", {"json": {
        "donor_id": o.giulia, "fund_id": o.fund, "amount": "50.00",
        "instalments": [{"due_on": "2026-12-01", "amount": bad}]}}))
    case(f"payment-{kind}", 422, f"amount {said}")(lambda o, bad=bad: (f"/pledges/{o.pledge}/payments", {"json": {
        "amount": bad, "method": "bank_transfer", "reference": "CRO-0002"}}))
    case(f"reversal-{kind}", 422, f"amount {said}")(lambda o, bad=bad: (
        f"/pledges/{o.pledge}/payments/{o.payment}/reversals", {"json": {"amount": bad, "reason": "chargeback"}}))
    case(f"disbursement-{kind}", 422, f"amount {said}")(lambda o, bad=bad: (f"/funds/{o.fund}/disbursements", {
        "json": {"amount": bad, "purpose": "Coperte", "document": "Fattura 12"}}))
    case(f"commitment-{kind}", 422, f"amount {said}")(lambda o, bad=bad: ("/commitments", {"json": {
        "donor_id": o.marco, "fund_id": o.fund, "amount": bad, "frequency": "monthly", "day": 5,
        "start": "2026-12-01", "method": "card"}}))
    case(f"commitment-change-{kind}", 422, f"amount {said}")(lambda o, bad=bad: (
        f"/commitments/{o.commitment}/change", {"json": {"amount": bad, "from": "2027-01-01"}}))
    for route in ("/donations/import", "/donations/import/preview"):
        case(f"{route.split('/')[-1]}-line-{kind}", 201 if route.endswith("import") else 200,
             f"amount {said}", where="line")(lambda o, bad=bad, route=route: (route, csv(
                 f"{o.giulia},,{o.fund},{bad},paypal,PAYID-BAD,2026-11-20,")))


for route in ("/donations/import", "/donations/import/preview"):
    case(f"{route.split('/')[-1]}-20-mb", 413, "bytes; an import takes at most 10000000 bytes")(
        lambda o, route=route: (route, twenty_mb(o)))

case("commitment-mandate-of-another-donor", 409, f"mandate reference {MANDATE}")(lambda o: ("/commitments", {
    "json": {"donor_id": o.marco, "fund_id": o.fund, "amount": "10.00", "frequency": "monthly", "day": 5,
             "start": "2026-12-01", "method": "sepa", "mandate_reference": MANDATE,
             "mandate_signed_on": "2026-11-20"}}))
case("payment-mandate-of-another-donor", 409, f"mandate reference {MANDATE}")(lambda o: (
    f"/pledges/{o.marcos}/payments", {"json": {"amount": "10.00", "method": "sepa", "reference": "SDD-7",
                                               "mandate_reference": MANDATE}}))
case("import-line-mandate-of-another-donor", 201, f"mandate reference {MANDATE}", where="line")(lambda o: (
    "/donations/import", csv(f"{o.marco},,{o.fund},10.00,sepa,SDD-8,2026-11-06,{MANDATE}")))

case("erasure-without-confirmation", 422, "confirmation: type the person's id")(lambda o: (
    f"/privacy/persons/{o.giulia}/erase", {"json": {"reason": "richiesta del 20 novembre"}}))
case("erasure-with-a-wrong-confirmation", 422, "confirmation: type the person's id")(lambda o: (
    f"/privacy/persons/{o.giulia}/erase", {"json": {"reason": "richiesta del 20 novembre", "confirmation": "SI"}}))
case("erasure-without-a-reason", 422, "reason: ")(lambda o: (
    f"/privacy/persons/{o.giulia}/erase", {"json": {"reason": "", "confirmation": o.giulia}}))


@pytest.mark.parametrize("name", list(CASES))
def test_bad_input_is_refused_naming_the_field_and_nothing_is_stored(
        client: TestClient, product: Product, office: Office, name: str) -> None:
    request, status, where, says = CASES[name]
    path, arguments = request(office)
    product.catch_up()
    before, positions = stored(client, product, office), heads(product)
    # When the office sends the request with one bad value
    answer = client.post(path, **arguments)
    after = heads(product)
    # Then it is refused (or, for an import, its line is), the message naming the field
    assert answer.status_code == status, answer.text
    if where == "line":
        report = answer.json()
        assert (report["imported"], report["rejected"]) == (0, 1), report
        message = report["lines"][0]["reason"]
    else:
        message = answer.json()["detail"]
    assert says in message, message
    # and nothing is stored: no event in any feed, and everything reads back as it was
    assert after == positions
    product.catch_up()
    assert stored(client, product, office) == before


def test_the_table_covers_every_route_of_the_office_that_takes_an_amount_a_file_a_mandate_or_an_erasure() -> None:
    routes = {path for path, _ in (request(Office(*["6a0f5d2e-1111-4c2b-9b55-000000000001"] * 8))
                                   for request, *_ in CASES.values())}
    one = "6a0f5d2e-1111-4c2b-9b55-000000000001"
    assert routes == {"/pledges", f"/pledges/{one}/payments", f"/pledges/{one}/payments/{one}/reversals",
                      f"/funds/{one}/disbursements", "/commitments", f"/commitments/{one}/change",
                      "/donations/import", "/donations/import/preview", f"/privacy/persons/{one}/erase"}
