"""The thank-you plan's and receipts' routes on the assembled product: validation with a clear error and nothing
stored on bad input, the plan as the office reads it, a payment's thank-you recorded from the donations feed, and
who may do what."""

from __future__ import annotations

from typing import Any
from uuid import UUID, uuid4

from fastapi.testclient import TestClient

from services.identity.domain import SYSTEM
from services.kernel.follower import EmbeddedFollower
from services.mail import template_library as library
from services.mail.domain.thanks import ThanksPlan
from services.mail.thanks_reactions import DONATIONS_REACTION
from services.main import Product
from tests.conftest import RoleClient

TEXT = "Grazie per il tuo dono di {{ gift.amount }}.\nAssociazione Angeli, {{ charity.address }}"
HTML = "<p>Grazie per il tuo dono di {{ gift.amount }}.</p><p>Associazione Angeli, {{ charity.address }}</p>"


def template(product: Product, kind: str = "transactional") -> UUID:
    mail = product.services["mail"].application
    made = library.create(mail, f"Grazie {uuid4().hex[:6]}", kind, by=SYSTEM, once=None)
    extra = "\n{{ unsubscribe_url }}" if kind == "marketing" else ""
    library.publish(mail, made, "Grazie", HTML + extra, TEXT + extra, by=SYSTEM, once=None)
    return made


def follow_donations(product: Product) -> int:
    """Run only the mail service's reaction to the donations feed."""
    return EmbeddedFollower(product.feeds, [s for s in product.subscribers if s.name == DONATIONS_REACTION]).catch_up()


def post(client: TestClient, path: str, body: dict[str, Any], status: int) -> Any:
    response = client.post(path, json=body)
    assert response.status_code == status, response.text
    return response.json()


def put(client: TestClient, path: str, body: dict[str, Any], status: int) -> Any:
    response = client.put(path, json=body)
    assert response.status_code == status, response.text
    return response.json()


def test_a_fund_plan_is_validated_whole_and_nothing_is_stored_on_bad_input(client: TestClient,
                                                                          product: Product) -> None:
    fund = post(client, "/funds", {"name": "Linea d'ascolto"}, 201)["id"]
    follow_donations(product)
    good = template(product)
    path = f"/mail/thanks/funds/{fund}"
    bad: list[tuple[dict[str, Any], int, str]] = [
        ({"template_id": str(good), "delay_days": 31}, 422, "less than or equal to 30"),
        ({"template_id": str(good), "delay_days": -1}, 422, "greater than or equal to 0"),
        ({"template_id": str(good), "delay_days": "tre"}, 422, "valid integer"),
        ({"template_id": "not-a-uuid", "delay_days": 3}, 422, "UUID"),
        ({"template_id": str(good), "delay_days": 3, "colour": "red"}, 422, "Extra inputs"),
        ({"template_id": str(uuid4()), "delay_days": 3}, 404, "template"),
        ({"template_id": str(template(product, "marketing")), "delay_days": 3}, 422, "transactional"),
    ]
    for body, status, fragment in bad:
        assert fragment in str(put(client, path, body, status)["detail"])
    assert "not known to the mail service" in put(client, f"/mail/thanks/funds/{uuid4()}",
                                                  {"template_id": str(good), "delay_days": 3}, 404)["detail"]
    assert not product.services["mail"].application.exists(ThanksPlan.create_id())

    line = put(client, path, {"template_id": str(good), "delay_days": 3}, 200)
    assert (line["fund_name"], line["delay_days"], line["enabled"]) == ("Linea d'ascolto", 3, True)
    plan = client.get("/mail/thanks").json()
    assert [(f["fund_id"], f["template_id"], f["delay_days"]) for f in plan["funds"]] == [(fund, str(good), 3)]
    assert plan["receipts"] == {"template_id": None, "template_name": None, "year_end": False}
    assert plan["known_funds"] == [{"id": fund, "name": "Linea d'ascolto"}]
    assert [t["id"] for t in plan["templates"]] == [str(good)]  # transactional and published only


def test_the_receipts_plan_takes_a_transactional_template_or_the_built_in_text(client: TestClient,
                                                                               product: Product) -> None:
    assert "transactional" in put(client, "/mail/thanks/receipts",
                                  {"template_id": str(template(product, "marketing")), "year_end": True}, 422)["detail"]
    put(client, "/mail/thanks/receipts", {"year_end": True}, 422)  # template_id must be said, even as null
    assert not product.services["mail"].application.exists(ThanksPlan.create_id())
    chosen = template(product)
    answer = put(client, "/mail/thanks/receipts", {"template_id": str(chosen), "year_end": True}, 200)
    assert (answer["template_id"], answer["year_end"]) == (str(chosen), True)
    assert put(client, "/mail/thanks/receipts", {"template_id": None, "year_end": False}, 200)["template_id"] is None


def test_a_payment_records_its_thank_you_from_the_donations_feed(client: TestClient, product: Product) -> None:
    fund = post(client, "/funds", {"name": "Emergenza freddo"}, 201)["id"]
    donor = post(client, "/donors", {"kind": "person", "name": "Giulia Rossi"}, 201)["id"]
    follow_donations(product)
    put(client, f"/mail/thanks/funds/{fund}", {"template_id": str(template(product)), "delay_days": 2}, 200)
    pledge = post(client, "/pledges", {"donor_id": donor, "fund_id": fund, "amount": "80.00"}, 201)["id"]
    payment = post(client, f"/pledges/{pledge}/payments",
                   {"amount": "80.00", "method": "card", "reference": "T-1"}, 201)["payment_id"]
    assert client.get(f"/mail/thanks/payments/{payment}").status_code == 404  # the feed has not brought it yet
    follow_donations(product)
    thank = client.get(f"/mail/thanks/payments/{payment}").json()
    assert (thank["donor_id"], thank["fund_id"], thank["amount"], thank["status"]) == (donor, fund, "80.00", "due")
    assert (thank["paid_on"], thank["due_on"]) == ("2026-11-23", "2026-11-25")


def test_a_receipt_request_is_validated_and_a_donor_without_receipts_gets_a_clear_404(client: TestClient,
                                                                                     product: Product) -> None:
    donor = post(client, "/donors", {"kind": "person", "name": "Marco Bianchi", "email": "marco@example.org"}, 201)
    for body, fragment in [({"donor_id": donor["id"], "year": 1999}, "greater than or equal to 2000"),
                           ({"donor_id": donor["id"], "year": 2027}, "year must be from 2000 to 2026"),
                           ({"donor_id": "nobody", "year": 2026}, "UUID"),
                           ({"donor_id": donor["id"]}, "Field required")]:
        assert fragment in str(post(client, "/mail/receipts", body, 422)["detail"])
    assert "no numbered receipt for 2026" in post(client, "/mail/receipts",
                                                  {"donor_id": donor["id"], "year": 2026}, 404)["detail"]
    assert not product.services["mail"].application.exists(ThanksPlan.create_id())  # no built-in template made


def test_campaign_managers_set_the_plan_coordinators_read_it_volunteers_neither(client_as: RoleClient) -> None:
    manager, coordinator, volunteer = client_as("campaign_manager"), client_as("coordinator"), client_as("volunteer")
    body = {"template_id": str(uuid4()), "delay_days": 1}
    assert manager.put(f"/mail/thanks/funds/{uuid4()}", json=body).status_code == 404  # allowed, fund unknown
    assert coordinator.get("/mail/thanks").status_code == 200
    assert coordinator.put(f"/mail/thanks/funds/{uuid4()}", json=body).status_code == 403
    assert coordinator.post("/mail/receipts", json={"donor_id": str(uuid4()), "year": 2026}).status_code == 403
    assert volunteer.get("/mail/thanks").status_code == 403
