"""Every route that reveals personal data records in the access trail exactly the fields its answer shows:
no field read but not shown (the trail would accuse a reader of seeing it), none shown but not recorded."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any
from uuid import UUID, uuid4

import httpx
from fastapi.testclient import TestClient

from services.identity.domain import SYSTEM_ACCESS
from services.kernel.clock import FixedClock
from services.kernel.feed import EventFeed
from services.main import Product
from services.privacy.trail import SOURCE
from tests.campaigns.conftest import call_ended, clock_in, launched
from tests.donations.conftest import catch_up_ledger

GIULIA = {"name": "Giulia Rossi", "email": "giulia.rossi@example.org", "phone": "+39 333 123 4567",
          "tax_code": "RSSGLI80A41F205X"}


def reads(product: Product) -> list[dict[str, Any]]:
    return [m.data for m in EventFeed(SOURCE, product.vault.trail).messages()]


def shown(held: dict[str, str], answer: httpx.Response) -> list[str]:
    """The names of the held fields whose values are in the answer."""
    return sorted(name for name, value in held.items() if value in answer.text)


def recorded_by(product: Product, request: Callable[[], httpx.Response]) -> tuple[httpx.Response, list[dict[str, Any]]]:
    """The answer to `request` and the reads it recorded."""
    before = len(reads(product))
    answer = request()
    assert answer.status_code in (200, 201), answer.text
    return answer, reads(product)[before:]


def test_a_donor_read_records_only_the_name_it_shows(client: TestClient, product: Product) -> None:
    # Given Giulia registered with her name, e-mail, phone and tax code
    answer, recorded = recorded_by(product, lambda: client.post("/donors", json={"kind": "person", **GIULIA}))
    donor = answer.json()["id"]
    assert [r["fields"] for r in recorded] == [shown(GIULIA, answer)] == [["name"]]
    # When the donor is read
    answer, recorded = recorded_by(product, lambda: client.get(f"/donors/{donor}"))
    # Then the trail names the name alone, the one field the answer shows
    assert [(r["person_id"], sorted(r["fields"])) for r in recorded] == [(donor, shown(GIULIA, answer))]
    assert shown(GIULIA, answer) == ["name"]


def test_receipts_with_the_donor_record_the_name_and_tax_code_they_show(
    client: TestClient, product: Product, clock: FixedClock,
) -> None:
    donor = client.post("/donors", json={"kind": "person", **GIULIA}).json()["id"]
    fund = client.post("/funds", json={"name": "Fondo famiglie"}).json()["id"]
    pledge = client.post("/pledges", json={"donor_id": donor, "fund_id": fund, "amount": "50.00"}).json()["id"]
    client.post(f"/pledges/{pledge}/payments", json={"amount": "50.00", "method": "card", "reference": "ch_1"})
    catch_up_ledger(product)
    answer, recorded = recorded_by(product, lambda: client.get(f"/receipts/{clock.now().year}",
                                                               params={"with_donor": "true"}))
    assert [sorted(r["fields"]) for r in recorded] == [shown(GIULIA, answer)] == [["name", "tax_code"]]


def test_the_dialer_offer_records_the_name_and_phone_it_shows_and_not_the_email(
    client: TestClient, product: Product, clock: FixedClock,
) -> None:
    giulia = uuid4()
    natale = launched(client, rows="telefono,nome,cognome,email\n02 1234 5678,Marco,Bianchi,marco@example.org\n")
    clock_in(product, giulia, clock.now())
    answer, recorded = recorded_by(product, lambda: client.post(f"/campaigns/{natale}/dialer/next",
                                                                json={"volunteer_id": str(giulia)}))
    person = answer.json()["offer"]["person_id"]
    held = product.vault.get(UUID(person), SYSTEM_ACCESS)
    assert set(held) == {"phone", "first_name", "last_name", "email"}
    assert [(r["person_id"], sorted(r["fields"])) for r in recorded] == [(person, shown(held, answer))]
    assert "email" not in shown(held, answer)


def test_volunteer_names_in_the_hours_report_and_its_csv_are_recorded_only_where_shown(
    client: TestClient, product: Product, clock: FixedClock,
) -> None:
    # Given Anna registered with her name, phone and e-mail, and no hours yet
    anna = {"full_name": "Anna Verdi", "phone": "+39 347 765 4321", "email": "anna.verdi@example.org"}
    volunteer = client.post("/volunteers", json={**anna, "roles": ["outreach"]})
    assert volunteer.status_code == 201, volunteer.text
    product.catch_up()
    # Then the report lists her by name (recorded); the CSV has no row for her, so reads nothing
    answer, recorded = recorded_by(product, lambda: client.get("/console/api/hours"))
    assert [sorted(r["fields"]) for r in recorded] == [shown(anna, answer)] == [["full_name"]]
    answer, recorded = recorded_by(product, lambda: client.get("/console/api/hours.csv"))
    assert recorded == [] and shown(anna, answer) == []
    # When she works a two-hour shift, the CSV shows her name and records exactly that
    assert client.post(f"/volunteers/{volunteer.json()['id']}/clock-in", json={}).status_code == 200
    clock.advance(timedelta(hours=2))
    assert client.post(f"/volunteers/{volunteer.json()['id']}/clock-out", json={}).status_code == 200
    product.catch_up()
    answer, recorded = recorded_by(product, lambda: client.get("/console/api/hours.csv"))
    assert [sorted(r["fields"]) for r in recorded] == [shown(anna, answer)] == [["full_name"]]


def test_a_call_read_records_its_notes_only_when_it_shows_them(
    client: TestClient, product: Product,
) -> None:
    volunteer = client.post("/volunteers", json={"full_name": "Anna Verdi", "phone": "+39 347 765 4321",
                                                 "email": "anna.verdi@example.org", "roles": ["helpline"]}).json()
    assert client.post(f"/volunteers/{volunteer['id']}/clock-in", json={}).status_code == 200
    call = client.post("/calls", json={"volunteer_id": volunteer["id"], "direction": "inbound"}).json()["id"]
    notes = {"notes": "chiede della spesa a domicilio"}
    assert client.post(f"/calls/{call}/connect").status_code == 200
    ended = client.post(f"/calls/{call}/end", json={"disposition": "answered", **notes})
    assert ended.status_code == 200, ended.text
    answer, recorded = recorded_by(product, lambda: client.get(f"/calls/{call}"))
    assert [sorted(r["fields"]) for r in recorded] == [shown(notes, answer)] == [["notes"]]


def test_the_subject_export_records_every_field_it_shows(client: TestClient, product: Product) -> None:
    donor = client.post("/donors", json={"kind": "person", **GIULIA}).json()["id"]
    answer, recorded = recorded_by(product, lambda: client.get(f"/privacy/persons/{donor}/export"))
    assert [sorted(r["fields"]) for r in recorded] == [shown(GIULIA, answer)] == [sorted(GIULIA)]


def test_the_campaign_dashboard_records_only_the_volunteer_names_it_shows(
    client: TestClient, product: Product, clock: FixedClock,
) -> None:
    # Given volunteer Anna called the one contact of "Natale 2026"
    anna = {"full_name": "Anna Verdi", "phone": "+39 347 765 4321", "email": "anna.verdi@example.org"}
    volunteer = UUID(client.post("/volunteers", json={**anna, "roles": ["outreach"]}).json()["id"])
    natale = launched(client, rows="telefono\n02 1234 5678\n")
    clock_in(product, volunteer, clock.now())
    offer = client.post(f"/campaigns/{natale}/dialer/next", json={"volunteer_id": str(volunteer)}).json()["offer"]
    call_ended(product, volunteer, natale, offer["contact_id"], "pledged", clock.now())
    product.catch_up()
    # When the dashboard asks for the campaign's volunteers, the trail names her name alone
    answer, recorded = recorded_by(product, lambda: client.get(f"/console/api/campaigns/{natale}/volunteers"))
    assert [(r["person_id"], sorted(r["fields"])) for r in recorded] == [(str(volunteer), shown(anna, answer))]
    assert shown(anna, answer) == ["full_name"]
