"""A donor's page over HTTP: their numbered receipts with the path of each PDF, every campaign contact with each
call's outcome, and what donations hold about them in the privacy desk's export; each route for its roles only,
an unknown donor not found, a bad id refused."""

from __future__ import annotations

from datetime import timedelta
from uuid import UUID, uuid4

import pytest
from fastapi.testclient import TestClient

from services.kernel.clock import FixedClock
from services.main import Product
from tests.campaigns.conftest import call_ended, launched, send
from tests.conftest import RoleClient
from tests.donations.conftest import Api, catch_up_ledger

GIULIA = {"kind": "person", "name": "Giulia Rossi", "phone": "02 1234 5678", "tax_code": "RSSGLI80A41F205X"}
ROWS = "nome;telefono;comune\nGiulia;+39 02 1234 5678;Milano\nMarco;06 9876 5432;Roma\n"
NOBODY = "00000000-0000-4000-8000-000000000000"


def donor(api: Api, body: dict[str, str]) -> str:
    return str(api.post("/donors", body)["id"])


def test_a_donors_receipts_carry_the_numbers_of_the_year_and_their_pdfs(
    api: Api, client: TestClient, product: Product,
) -> None:
    # Given Marco's pledge paid in full first, then two of Giulia's: one paid in full, one in part
    giulia, marco, fund = donor(api, GIULIA), api.donor("Marco Bianchi"), api.fund()
    api.pay(api.pledge(marco, fund, "20.00"), "20.00", "ch_marco")
    paid = api.pledge(giulia, fund, "50.00")
    api.pay(paid, "50.00", "CRO 0001", method="bank_transfer")
    api.pay(api.pledge(giulia, fund, "120.00"), "20.00", "ch_giulia")
    catch_up_ledger(product)
    # When her receipts are read
    receipts = api.get(f"/donors/{giulia}/receipts")
    # Then she has one, the year's second, for the pledge paid in full, with its document's path
    assert [(r["number"], r["amount"], r["pledge_id"], r["voided_on"]) for r in receipts] == [
        ("2026-000002", "50.00", paid, None)]
    assert receipts[0]["pdf"] == "/receipts/2026/2026-000002.pdf" and receipts[0]["fulfilled_on"] == "2026-11-23"
    # and the path opens that receipt
    document = client.get(receipts[0]["pdf"])
    assert document.status_code == 200 and document.headers["content-type"] == "application/pdf"


def test_a_reversal_below_the_amount_voids_the_receipt_which_keeps_its_number(api: Api, product: Product) -> None:
    giulia, fund = donor(api, GIULIA), api.fund()
    pledge = api.pledge(giulia, fund, "50.00")
    payment = api.pay(pledge, "50.00", "CRO 0002", method="bank_transfer")
    api.post(f"/pledges/{pledge}/payments/{payment}/reversals", {"amount": "10.00", "reason": "rimborso"})
    catch_up_ledger(product)
    [receipt] = api.get(f"/donors/{giulia}/receipts")
    assert (receipt["number"], receipt["voided_on"]) == ("2026-000001", "2026-11-23")


def test_a_donor_without_receipts_has_an_empty_list_and_an_unknown_one_is_not_found(api: Api,
                                                                                     client: TestClient) -> None:
    giulia = donor(api, GIULIA)
    assert api.get(f"/donors/{giulia}/receipts") == []
    unknown = client.get(f"/donors/{NOBODY}/receipts")
    assert unknown.status_code == 404 and "no donor is held under the id" in unknown.json()["detail"]
    assert client.get("/donors/giulia/receipts").status_code == 422
    assert client.get("/donors/giulia/contacts").status_code == 422
    assert client.get(f"/donors/{NOBODY}/contacts").status_code == 404


def test_every_campaign_contact_of_the_donors_number_is_listed_with_each_calls_outcome(
    api: Api, client: TestClient, product: Product, clock: FixedClock,
) -> None:
    # Given Giulia, a donor, whose number is a contact of the campaign "Natale 2026"
    giulia = donor(api, GIULIA)
    campaign = launched(client, "Natale 2026", ROWS)
    contacts = client.get(f"/campaigns/{campaign}/contacts").json()["contacts"]
    volunteer = uuid4()
    # When a volunteer calls her twice: nobody answers, then she is not interested
    first = clock.now()
    ended = [c["contact_id"] for c in contacts]
    mine = next(c for c in ended if UUID(c) == _contact_of(product, campaign, "+390212345678"))
    call_ended(product, volunteer, campaign, mine, "no_answer", first)
    call = uuid4()  # the second call's notes, in the vault under its id as the calls service writes them
    product.vault.put_many({call: {"notes": "Dona già a un'altra associazione"}}, merge=True)
    send(product, "Call.Ended", str(call), {
        "volunteer_id": str(volunteer), "campaign_id": campaign, "contact_id": mine, "disposition": "not_interested",
        "talk_seconds": 95, "ended_at": (first + timedelta(days=1)).isoformat(), "callback_at": None})
    # Then her page's contacts show that campaign, both outcomes in order, and the contact closed
    found = api.get(f"/donors/{giulia}/contacts")
    assert found["erased"] is False
    [contact] = found["contacts"]
    assert (contact["campaign_id"], contact["campaign_name"], contact["state"]) == (campaign, "Natale 2026",
                                                                                    "not_interested")
    assert [(a["disposition"], a["volunteer_id"], a["talk_seconds"], a["notes"]) for a in contact["attempts"]] == [
        ("no_answer", str(volunteer), 120, None),
        ("not_interested", str(volunteer), 95, "Dona già a un'altra associazione")]
    # and reading her number to find them, and the call's notes, are in the trail with their purpose
    product.catch_up()
    log = client.get("/privacy/access-log", params={"person_id": giulia}).json()
    assert [r["fields"] for r in log if "donor's campaign contacts" in r["purpose"]] == [["phone"]]
    [notes_read] = client.get("/privacy/access-log", params={"person_id": str(call)}).json()
    assert notes_read["fields"] == ["notes"] and "call notes" in notes_read["purpose"]
    # A donor whose number no campaign holds, and one without a number, have none
    assert api.get(f"/donors/{donor(api, {'kind': 'person', 'name': 'Anna', 'phone': '011 555 1234'})}/contacts") == {
        "erased": False, "contacts": [], "person_id": None}
    assert api.get(f"/donors/{api.donor('Luca Verdi')}/contacts")["contacts"] == []


def test_an_erased_donors_contacts_can_no_longer_be_found(api: Api, client: TestClient) -> None:
    giulia = donor(api, GIULIA)
    launched(client, "Natale 2026", ROWS)
    assert len(api.get(f"/donors/{giulia}/contacts")["contacts"]) == 1
    api.post(f"/privacy/persons/{giulia}/erase", {"reason": "richiesta di cancellazione", "confirmation": giulia},
             status=200)
    assert api.get(f"/donors/{giulia}/contacts") == {"erased": True, "contacts": [], "person_id": None}


@pytest.mark.parametrize(("path", "allowed", "refused"), [
    ("receipts", ("campaign_manager", "auditor"), ("coordinator", "volunteer", "viewer")),
    ("contacts", ("campaign_manager", "coordinator"), ("auditor", "volunteer", "viewer")),
])
def test_each_route_of_the_donor_page_answers_its_roles_only(
    api: Api, client_as: RoleClient, path: str, allowed: tuple[str, ...], refused: tuple[str, ...],
) -> None:
    giulia = donor(api, GIULIA)
    for role in allowed:
        assert client_as(role).get(f"/donors/{giulia}/{path}").status_code == 200, role
    for role in refused:
        assert client_as(role).get(f"/donors/{giulia}/{path}").status_code == 403, role
    assert client_as("public").get(f"/donors/{giulia}/{path}").status_code == 401


def test_the_privacy_export_holds_the_donors_gifts_and_regular_gifts(api: Api, client: TestClient) -> None:
    # Given Giulia's pledge with a payment, and a monthly gift by SEPA mandate
    giulia, fund = donor(api, GIULIA), api.fund()
    pledge = api.pledge(giulia, fund, "50.00")
    api.pay(pledge, "30.00", "CRO 0003", method="bank_transfer")
    api.post("/commitments", {"donor_id": giulia, "fund_id": fund, "amount": "10.00", "frequency": "monthly",
                              "day": 5, "start": "2026-12-01", "mandate_reference": "IT-ANG-1",
                              "mandate_signed_on": "2026-11-20"})
    # When the privacy desk exports what is held about her
    export = api.get(f"/privacy/persons/{giulia}/export")
    # Then donations' part names her pledge, its payment and her regular gift
    held = export["services"]["donations"]
    assert held["donor"] == {"id": giulia, "kind": "person"}
    [listed] = held["pledges"]
    assert (listed["id"], listed["amount"], listed["paid"], listed["status"]) == (pledge, "50.00", "30.00",
                                                                                  "partially_paid")
    assert [(p["amount"], p["method"], p["reference"]) for p in listed["payments"]] == [
        ("30.00", "bank_transfer", "CRO 0003")]
    [regular] = held["commitments"]
    assert (regular["amount"], regular["frequency"], regular["mandate_reference"], regular["status"]) == (
        "10.00", "monthly", "IT-ANG-1", "active")
    # and someone who is no donor has no donations part
    volunteer = client.post("/volunteers", json={"full_name": "Sara Verdi", "phone": "+39 02 555 0001",
                                                 "email": "sara@angeli.example", "roles": ["helpline"]})
    assert volunteer.status_code == 201, volunteer.text
    assert "donations" not in api.get(f"/privacy/persons/{volunteer.json()['id']}/export")["services"]


def _contact_of(product: Product, campaign: str, e164: str) -> UUID:
    from services.campaigns.domain.contact import Contact
    from tests.campaigns.conftest import app_of

    return Contact.create_id(UUID(campaign), app_of(product).person_ids.of(e164))
