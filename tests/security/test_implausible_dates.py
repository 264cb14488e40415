"""A date or an instant outside 1900-2199 is refused where it enters, naming the field, and nothing is stored.

Such a value used to be accepted (a payment "received" in year 1 is in the past) and then stopped every read
model that turns an instant into a Rome date: one mistyped year stopped the ledger for everyone."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from typing import Any
from uuid import uuid4

import pytest
from fastapi.testclient import TestClient

from services.main import Product
from tests.campaigns.conftest import SCRIPT, launched

YEAR_ONE, YEAR_9999 = "0001-01-01T00:00:00+05:00", "9999-12-31T23:00:00-05:00"  # out of range even in UTC


def head(product: Product) -> dict[str, int]:
    return {name: feed.head() for name, feed in product.feeds.items()}


def test_every_route_taking_a_time_refuses_a_year_out_of_range_and_stores_nothing(
        client: TestClient, product: Product) -> None:
    fund = client.post("/funds", json={"name": "Fondo famiglie"}).json()["id"]
    donor = client.post("/donors", json={"kind": "person", "name": "Giulia Rossi"}).json()["id"]
    pledge = client.post("/pledges", json={"donor_id": donor, "fund_id": fund, "kind": "money",
                                           "amount": "50.00"}).json()["id"]
    paid = client.post(f"/pledges/{pledge}/payments", json={"amount": "20.00", "method": "cash",
                                                            "reference": "R-1"}).json()["payment_id"]
    volunteer = client.post("/volunteers", json={"full_name": "Marco Bianchi", "phone": "+39 02 5550 1234",
                                                 "email": "marco@example.org", "roles": ["outreach", "helpline"]}
                            ).json()["id"]
    assert client.post(f"/volunteers/{volunteer}/clock-in", json={}).status_code == 200
    call = client.post("/calls", json={"volunteer_id": volunteer, "direction": "inbound"}).json()["id"]
    launched(client)
    product.catch_up()
    cases: list[tuple[str, Callable[[str], Any], str]] = [
        ("received_at", lambda at: client.post(f"/pledges/{pledge}/payments", json={
            "amount": "10.00", "method": "cash", "reference": f"R-{uuid4()}", "received_at": at}), YEAR_ONE),
        ("reversed_at", lambda at: client.post(f"/pledges/{pledge}/payments/{paid}/reversals", json={
            "amount": "1.00", "reason": "storno", "reversed_at": at}), YEAR_ONE),
        ("disbursed_at", lambda at: client.post(f"/funds/{fund}/disbursements", json={
            "amount": "1.00", "purpose": "pacchi", "document": "F-1", "disbursed_at": at}), YEAR_ONE),
        ("due_on", lambda day: client.post("/pledges", json={
            "donor_id": donor, "fund_id": fund, "kind": "money", "amount": "10.00",
            "instalments": [{"due_on": day, "amount": "10.00"}]}), "9999-12-31"),
        ("starts_on", lambda day: client.post("/campaigns", json={
            "name": "Pasqua", "fund_id": fund, "goal": "100.00", "starts_on": day, "ends_on": "2027-04-30",
            "script": SCRIPT}), "0001-01-01"),
        ("trained_on", lambda day: client.post(f"/volunteers/{volunteer}/training", json={
            "session": "ascolto", "hours": "2", "trained_on": day}), "1899-12-31"),
        ("starts_at", lambda at: client.post("/shifts", json={"starts_at": at, "ends_at": "2026-12-01T12:00:00Z"}),
         YEAR_ONE),
        ("at", lambda at: client.post(f"/volunteers/{volunteer}/clock-out-corrections", json={
            "at": at, "coordinator_id": str(uuid4())}), YEAR_ONE),
        ("callback_at", lambda at: client.post(f"/calls/{call}/end", json={
            "disposition": "callback_requested", "callback_at": at}), YEAR_9999),
        ("given_at", lambda at: client.post(f"/privacy/persons/{donor}/consents", json={
            "purpose": "newsletter", "source": "modulo web", "given_at": at}), YEAR_ONE),
        ("expires_at", lambda at: client.post(f"/privacy/persons/{donor}/consents", json={
            "purpose": "newsletter", "source": "modulo web", "given_at": "2026-11-20T10:00:00Z", "expires_at": at}),
         YEAR_9999),
        ("given_at", lambda at: client.post("/suppression/consents", json={
            "phone": "+39 02 1234 5678", "given_by": "Giulia", "source": "telefonata", "given_at": at}), YEAR_ONE),
        ("checked_on", lambda day: client.post("/suppression/register", data={"checked_on": day},
                                               files={"file": ("rpo.csv", b"phone\n", "text/csv")}), "0001-01-01"),
        ("on", lambda day: client.get(f"/pledges/{pledge}", params={"on": day}), "9999-12-31"),
        ("as_of", lambda day: client.get("/ledger/balances", params={"as_of": day}), "0001-01-01"),
    ]
    before = head(product)
    for field, send, value in cases:
        answer = send(value)
        assert answer.status_code == 422, (field, answer.text)
        assert f"{field}: Value error, must fall between 1900-01-01 and 2199-12-31" in answer.json()["detail"], field
    assert head(product) == before
    product.catch_up()
    assert client.get("/ledger/verify").json()["ok"] is True


def test_the_register_check_date_on_the_command_line_is_refused_out_of_range(tmp_path: Any) -> None:
    register = tmp_path / "rpo.csv"
    register.write_text("phone\n")
    ran = subprocess.run([sys.executable, "-m", "services.cli", "register", "import", str(register),
                          "--checked-on", "0001-01-01"], capture_output=True, text=True, timeout=60,
                         env={"ANGELI_DATA_DIR": str(tmp_path / "var"), "PATH": "/usr/bin:/bin"})
    assert ran.returncode == 2 and "--checked-on: invalid _day value: '0001-01-01'" in ran.stderr


@pytest.mark.parametrize("edge", ["1900-01-01T00:00:00Z", "2199-12-31T23:59:59+00:00", "1899-12-31T23:30:00-01:00"])
def test_the_years_at_the_edges_are_taken(client: TestClient, product: Product, edge: str) -> None:
    person = uuid4()
    product.vault.put(person, {"name": "Giulia Rossi"})  # a consent is recorded for someone the vault holds
    answer = client.post(f"/privacy/persons/{person}/consents", json={
        "purpose": "newsletter", "source": "archivio", "given_at": edge})
    assert answer.status_code == 201, answer.text
