"""The gift pages' API: a pledge's whole history, duplicate references, bad input refused with nothing stored, the
import's preview (stores nothing) and size limit, and overdue instalments by age from their read model."""

from __future__ import annotations

import io
from datetime import date
from typing import Any

import pytest
from fastapi.testclient import TestClient

from services.kernel.clock import FixedClock
from services.kernel.follower import EmbeddedFollower
from services.main import Product
from tests.conftest import RoleClient
from tests.donations.conftest import Api
from tests.donations.test_import import export, gift
from tests.donations.test_regular import MANDATE, commitment_body, on

# The product's clock (tests/conftest.py `clock`): Monday 23 November 2026, 10:00 in Rome.
SCHEDULE = [{"due_on": "2026-08-01", "amount": "30.00"}, {"due_on": "2026-09-30", "amount": "30.00"},
            {"due_on": "2026-11-01", "amount": "30.00"}, {"due_on": "2026-12-01", "amount": "30.00"}]


def events(product: Product) -> int:
    return product.feeds["donations"].head()


def people(product: Product) -> int:
    return len(product.vault.store.query("SELECT person_id FROM vault_data"))


def catch_up_overdue(product: Product) -> int:
    mine = [s for s in product.subscribers if s.name == "overdue"]
    return EmbeddedFollower(product.feeds, mine).catch_up()


def upload(client: TestClient, path: str, content: bytes) -> Any:
    return client.post(path, files={"file": ("paypal.csv", content, "text/csv")})


# --- a pledge's history ---

def test_a_pledge_shows_its_instalments_payments_reversals_and_cancellation(api: Api) -> None:
    pledge = api.pledge(api.donor(), api.fund(), "120.00", instalments=SCHEDULE)
    first = api.pay(pledge, "50.00", "CRO-0001", method="bank_transfer", received_at="2026-08-03T12:00:00+02:00")
    api.post(f"/pledges/{pledge}/payments/{first}/reversals",
             {"amount": "5.00", "reason": "chargeback: disputed by the bank",
              "reversed_at": "2026-08-10T12:00:00+02:00"})
    view = api.get(f"/pledges/{pledge}", on="2026-11-23")
    assert view["made_at"] == "2026-11-23T09:00:00Z"
    assert [p["received_at"] for p in view["payments"]] == ["2026-08-03T12:00:00+02:00"]
    assert [(r["amount"], r["reason"], r["reversed_at"]) for r in view["reversals"]] == [
        ("5.00", "chargeback: disputed by the bank", "2026-08-10T12:00:00+02:00")]
    # 45.00 net: the first instalment paid, 15.00 of the second; the second and third overdue, the fourth not due
    assert [(i["due_on"], i["paid"], i["overdue"], i["days_late"]) for i in view["instalments"]] == [
        ("2026-08-01", "30.00", False, 0), ("2026-09-30", "15.00", True, 54), ("2026-11-01", "0.00", True, 22),
        ("2026-12-01", "0.00", False, 0)]
    assert view["status"] == "overdue" and view["cancelled_at"] is None
    cancelled = api.post(f"/pledges/{pledge}/cancel", {"reason": "moved abroad"}, 200)
    assert (cancelled["status"], cancelled["cancel_reason"]) == ("cancelled", "moved abroad")
    assert not any(i["overdue"] for i in cancelled["instalments"])


def test_a_pledge_of_goods_shows_each_delivery_and_its_value(api: Api) -> None:
    pledge = api.pledge(api.donor(), api.fund(), "90.00", kind="goods", description="Cappotti", quantity=3)
    api.post(f"/pledges/{pledge}/goods", {"quantity": 2})
    view = api.get(f"/pledges/{pledge}")
    assert (view["description"], view["received_value"], view["received_quantity"]) == ("Cappotti", "60.00", 2)
    assert [(g["quantity"], g["value"]) for g in view["goods"]] == [(2, "60.00")]
    api.post(f"/pledges/{pledge}/goods", {"quantity": 2}, 409)  # only one is still expected


# --- duplicate references and bad input: a clear message, nothing stored ---

def test_a_duplicate_reference_says_so_and_records_nothing(api: Api, product: Product) -> None:
    fund = api.fund()
    pledge = api.pledge(api.donor(), fund, "100.00")
    body = {"amount": "50.00", "method": "bank_transfer", "reference": "CRO-1234"}
    first = api.post(f"/pledges/{pledge}/payments", body)
    before = events(product)
    again = api.post(f"/pledges/{pledge}/payments", body)
    assert again == {**first, "duplicate": True}
    other = api.post(f"/pledges/{pledge}/payments", {**body, "amount": "40.00"}, 409)
    assert "reference 'CRO-1234' was already recorded for 50.00" in other["detail"]
    assert events(product) == before
    assert api.get(f"/funds/{fund}")["balance"] == "50.00"


@pytest.mark.parametrize(("body", "fragment"), [
    ({"amount": "50.005"}, "at most 2 decimals"),
    ({"amount": "-50.00"}, "must be positive"),
    ({"received_at": "2026-11-24T10:00:00+01:00"}, "must not be in the future"),
    ({"reference": "   "}, "reference must be 1 to 140 characters"),
    ({"reference": ""}, "reference"),
])
def test_a_bad_payment_is_refused_with_a_clear_message_and_nothing_stored(
    api: Api, product: Product, body: dict[str, str], fragment: str
) -> None:
    pledge = api.pledge(api.donor(), api.fund(), "100.00")
    before = events(product)
    payment = {"amount": "50.00", "method": "bank_transfer", "reference": "CRO-1", **body}
    assert fragment in api.post(f"/pledges/{pledge}/payments", payment, 422)["detail"]
    assert events(product) == before


@pytest.mark.parametrize(("body", "status", "fragment"), [
    ({"amount": "50.01"}, 409, "exceeds the 50.00 of payment"),
    ({"amount": "1.001"}, 422, "at most 2 decimals"),
    ({"amount": "-1"}, 422, "must be positive"),
    ({"reason": ""}, 422, "reason"),
    ({"reversed_at": "2026-11-30T10:00:00+01:00"}, 422, "must not be in the future"),
])
def test_a_bad_reversal_is_refused_and_nothing_stored(
    api: Api, product: Product, body: dict[str, str], status: int, fragment: str
) -> None:
    pledge = api.pledge(api.donor(), api.fund(), "50.00")
    payment = api.pay(pledge, "50.00", "CRO-9", method="bank_transfer")
    before = events(product)
    reversal = {"amount": "10.00", "reason": "refund: asked by the donor", **body}
    assert fragment in api.post(f"/pledges/{pledge}/payments/{payment}/reversals", reversal, status)["detail"]
    assert events(product) == before


# --- the import's preview and its limit ---

def test_the_preview_reports_what_the_import_then_does_and_stores_nothing(client: TestClient, product: Product) -> None:
    fund = client.post("/funds", json={"name": "Emergenza freddo"}).json()["id"]
    client.post("/donations/import", files={"file": ("old.csv", export(gift(fund, "10.00", "PAYID-OLD")).getvalue())})
    content = export(gift(fund, "25.00", "PAYID-1", name="Luca Bianchi"), gift(fund, "10.00", "PAYID-OLD"),
                     gift(fund, "12.345", "PAYID-2"), gift(fund, "8.00", "PAYID-3", name="Sara Verdi")).getvalue()
    before, persons = events(product), people(product)
    preview = upload(client, "/donations/import/preview", content)
    assert preview.status_code == 200, preview.text
    assert (events(product), people(product)) == (before, persons)
    assert product.vault.store.query("SELECT person_id FROM vault_unsaved") == []
    imported = upload(client, "/donations/import", content)
    assert imported.status_code == 201
    assert preview.json() == imported.json()
    assert (imported.json()["imported"], imported.json()["duplicates"], imported.json()["rejected"]) == (2, 1, 1)
    assert [(x["line"], x["outcome"]) for x in imported.json()["lines"]] == [(3, "duplicate"), (4, "rejected")]
    balance = client.get(f"/funds/{fund}").json()["balance"]
    after = events(product)
    again = upload(client, "/donations/import/preview", content).json()
    assert (again["imported"], again["duplicates"], again["rejected"]) == (0, 3, 1)
    assert upload(client, "/donations/import", content).json() == again  # imported again: nothing changes
    assert (events(product), client.get(f"/funds/{fund}").json()["balance"]) == (after, balance)


@pytest.mark.parametrize("path", ["/donations/import", "/donations/import/preview"])
@pytest.mark.parametrize("size", [20_000_000, 20 * 1024 * 1024])
def test_a_20_mb_export_is_refused_with_413_and_nothing_stored(
    client: TestClient, product: Product, path: str, size: int
) -> None:
    fund = client.post("/funds", json={"name": "Emergenza freddo"}).json()["id"]
    line = gift(fund, "5.00", "PAYID-{n:09d}") + "\n"
    content = export().getvalue() + b"\n"
    filler = "".join(line.format(n=n) for n in range(size // len(line) + 1)).encode()
    content = (content + filler)[:size]
    before = events(product)
    refused = upload(client, path, content)
    assert refused.status_code == 413
    assert "at most" in refused.json()["detail"]
    if size < 20 * 1024 * 1024:  # under the kernel's limit for every upload: the import's own, with its advice
        assert "split the export by month" in refused.json()["detail"]
    assert events(product) == before


def test_only_the_donations_office_previews_an_import(client: TestClient, client_as: RoleClient) -> None:
    fund = client.post("/funds", json={"name": "Emergenza freddo"}).json()["id"]
    content = export(gift(fund)).getvalue()
    assert upload(client_as("campaign_manager"), "/donations/import/preview", content).status_code == 200
    for role, status in (("auditor", 403), ("coordinator", 403), ("public", 401)):
        assert upload(client_as(role), "/donations/import/preview", content).status_code == status


def test_an_unreadable_file_is_refused_by_the_preview_too(client: TestClient) -> None:
    refused = upload(client, "/donations/import/preview", io.BytesIO(b"nome,telefono\nGiulia,333").getvalue())
    assert refused.status_code == 422 and "the header lacks" in refused.json()["detail"]


# --- overdue instalments ---

def test_overdue_instalments_by_age_follow_payments_reversals_and_cancellations(
    api: Api, product: Product, client_as: RoleClient
) -> None:
    fund, giulia = api.fund(), api.donor()
    old = api.pledge(giulia, fund, "120.00", instalments=SCHEDULE)
    late = api.pledge(giulia, fund, "200.00", instalments=[{"due_on": "2026-05-01", "amount": "100.00"},
                                                            {"due_on": "2026-06-01", "amount": "100.00"}])
    gone = api.pledge(giulia, fund, "40.00", instalments=[{"due_on": "2026-10-01", "amount": "40.00"}])
    api.pledge(giulia, fund, "70.00")  # no schedule: never overdue
    payment = api.pay(old, "45.00", "CRO-1", method="bank_transfer")
    catch_up_overdue(product)
    found = api.get("/instalments/overdue", as_of="2026-11-23")
    assert [(a["age"], a["instalments"], a["unpaid"]) for a in found["ages"]] == [
        ("0-30", 1, "30.00"), ("31-60", 2, "55.00"), ("61-90", 0, "0.00"), ("90+", 2, "200.00")]
    assert [(i["pledge_id"], i["n"], i["unpaid"], i["days_late"]) for i in found["instalments"]] == [
        (late, 1, "100.00", 206), (late, 2, "100.00", 175), (old, 2, "15.00", 54), (gone, 1, "40.00", 53),
        (old, 3, "30.00", 22)]
    api.post(f"/pledges/{gone}/cancel", {"reason": "moved abroad"}, 200)
    api.post(f"/pledges/{old}/payments/{payment}/reversals", {"amount": "20.00", "reason": "chargeback: disputed"})
    api.pay(late, "200.00", "CRO-2", method="bank_transfer")
    catch_up_overdue(product)
    found = api.get("/instalments/overdue", as_of="2026-11-23")
    # 25.00 net on the old pledge: 5.00 of the first instalment is open again
    assert [(i["pledge_id"], i["n"], i["unpaid"], i["age"]) for i in found["instalments"]] == [
        (old, 1, "5.00", "90+"), (old, 2, "30.00", "31-60"), (old, 3, "30.00", "0-30")]
    assert api.get("/instalments/overdue", as_of="2026-07-31")["instalments"] == []
    assert len(api.get("/instalments/overdue", as_of="2027-01-01")["instalments"]) == 4
    assert api.get("/instalments/overdue")["as_of"] == "2026-11-23"  # the product's today in Rome
    api.get("/instalments/overdue", 422, as_of="yesterday")
    assert client_as("auditor").get("/instalments/overdue").status_code == 200
    assert client_as("volunteer").get("/instalments/overdue").status_code == 403


def test_the_preview_judges_regular_gifts_as_the_import_does_and_stores_nothing(
    api: Api, client: TestClient, product: Product, clock: FixedClock,
) -> None:
    on(clock, date(2026, 1, 2))
    giulia, marco, famiglie = api.donor(), api.donor("Marco Bianchi"), api.fund()
    api.post("/commitments", commitment_body(giulia, famiglie))
    on(clock, date(2026, 3, 1))
    content = "\n".join([
        "donor_id,donor_name,fund_id,amount,method,reference,received_at,mandate_reference",
        f"{giulia},,{famiglie},10.00,sepa,SDD-01,2026-01-06,{MANDATE}",
        f"{marco},,{famiglie},10.00,sepa,SDD-02,2026-01-06,{MANDATE}",
        f"{giulia},,{famiglie},10.00,sepa,SDD-03,2026-02-06,NOPE-1",
        f"{giulia},,{famiglie},10.00,sepa,SDD-01,2026-01-06,{MANDATE}",
    ]).encode()
    before = events(product)
    preview = upload(client, "/donations/import/preview", content)
    assert preview.status_code == 200, preview.text
    assert events(product) == before
    imported = upload(client, "/donations/import", content).json()
    assert preview.json() == imported
    assert (imported["imported"], imported["duplicates"], imported["rejected"]) == (1, 1, 2)
