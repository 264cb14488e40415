"""A person's say about being called is kept for good: a later consent ends an opt-out's effect, not its record."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from uuid import UUID

from fastapi.testclient import TestClient

from services.kernel.clock import FixedClock
from services.main import Product
from tests.campaigns.conftest import call_ended, clock_in, launched

PHONE = "02 1234 5678"


def choices(answer: dict[str, Any]) -> list[tuple[str, str, str, str]]:
    return [(c["kind"], c["at"], c["source"], c["given_by"]) for c in answer["choices"]]


def test_a_re_consent_keeps_the_earlier_opt_out_in_the_record_and_the_export_with_when_who_and_how(
    client: TestClient, clock: FixedClock,
) -> None:
    # Given Giulia opted out by phone to the switchboard
    opted_at = clock.now()
    opted = client.post("/suppression/opt-outs", json={"phone": PHONE, "source": "telefonata al centralino"})
    assert opted.status_code == 201, opted.text
    person_id = opted.json()["person_id"]
    # When, a week later, she signs the web form to be called again
    clock.advance(timedelta(days=7))
    consent = {"phone": PHONE, "source": "modulo web Natale 2026", "given_by": "Giulia Rossi, modulo firmato"}
    consented = client.post("/suppression/consents", json=consent)
    assert consented.status_code == 201, consented.text
    # Then she is callable again, and her record still shows both facts: when, who and how
    record = client.get(f"/suppression/persons/{person_id}").json()
    assert record["suppressed"] == "" and record["opted_out_at"] is None
    expected = [("opted_out", opted_at.isoformat().replace("+00:00", "Z"), "telefonata al centralino", ""),
                ("consented", clock.now().isoformat().replace("+00:00", "Z"), "modulo web Natale 2026",
                 "Giulia Rossi, modulo firmato")]
    assert choices(record) == expected
    assert all(c["recorded_by"].startswith("api_key:tests as administrator") for c in record["choices"])
    # And the subject-access export holds the same two facts
    export = client.get(f"/privacy/persons/{person_id}/export")
    assert export.status_code == 200, export.text
    held = export.json()["services"]["campaigns"]["suppression"]
    assert [(c["kind"], c["source"], c["given_by"]) for c in held["choices"]] == [
        (kind, source, given_by) for kind, _, source, given_by in expected]
    assert [c["at"] for c in held["choices"]] == [opted_at.isoformat(), clock.now().isoformat()]
    assert [c["recorded_by"] for c in held["choices"]] == [c["recorded_by"] for c in record["choices"]]


def test_an_opt_out_said_on_a_call_is_recorded_with_the_volunteer_and_the_contact(
    client: TestClient, product: Product, clock: FixedClock, giulia: UUID,
) -> None:
    # Given volunteer Giulia calls the one contact of "Natale 2026"
    natale = launched(client, rows=f"telefono\n{PHONE}\n")
    clock_in(product, giulia, clock.now())
    offer = client.post(f"/campaigns/{natale}/dialer/next", json={"volunteer_id": str(giulia)}).json()["offer"]
    # When the person asks never to be called again
    call_ended(product, giulia, natale, offer["contact_id"], "do_not_call", clock.now())
    # Then the record says when, through which call and who recorded it
    record = client.get(f"/suppression/persons/{offer['person_id']}").json()
    assert [(c["kind"], c["source"], c["recorded_by"], c["contact_id"]) for c in record["choices"]] == [
        ("opted_out", "call", f"volunteer:{giulia}", offer["contact_id"])]
