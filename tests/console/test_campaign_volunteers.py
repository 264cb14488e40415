"""A campaign dashboard names the volunteers in its conversion table; each name is a logged read of the vault."""

from __future__ import annotations

from uuid import UUID

from fastapi.testclient import TestClient

from services.kernel.clock import FixedClock
from services.main import Product
from tests.campaigns.conftest import call_ended, clock_in, launched
from tests.conftest import RoleClient

ROWS = "nome;telefono\nMaria;02 1234 5678\nLuca;06 9876 5432\n"


def volunteer(client: TestClient, name: str, phone: str) -> UUID:
    made = client.post("/volunteers", json={"full_name": name, "phone": phone, "email": f"{phone[-4:]}@example.org",
                                            "roles": ["outreach"]})
    assert made.status_code == 201, made.text
    return UUID(made.json()["id"])


def test_the_dashboard_names_each_volunteer_who_called_once_per_read_and_never_an_erased_one(
        client: TestClient, client_as: RoleClient, product: Product, clock: FixedClock) -> None:
    campaign_id = launched(client, rows=ROWS)
    giulia, marco = volunteer(client, "Giulia Rossi", "+39 02 5550 1234"), volunteer(client, "Marco Bianchi",
                                                                                     "+39 02 5550 9876")
    for who in (giulia, marco):
        clock_in(product, who, clock.now())
        offer = client.post(f"/campaigns/{campaign_id}/dialer/next", json={"volunteer_id": str(who)}).json()["offer"]
        call_ended(product, who, campaign_id, offer["contact_id"], "no_answer", clock.now())
    erased = client.post(f"/privacy/persons/{marco}/erase", json={"reason": "Marco left and asked",
                                                                  "confirmation": str(marco)})
    assert erased.status_code == 200
    product.catch_up()

    manager = client_as("campaign_manager")
    named = manager.get(f"/console/api/campaigns/{campaign_id}/volunteers")

    assert named.status_code == 200, named.text
    assert {UUID(v["volunteer_id"]): v["name"] for v in named.json()} == {giulia: "Giulia Rossi", marco: ""}
    product.catch_up()
    reads = client.get("/privacy/access-log", params={"person_id": str(giulia)}).json()
    assert [(r["purpose"], r["fields"]) for r in reads if "dashboard" in r["purpose"]] == [
        (f"campaign {campaign_id} dashboard", ["full_name"])]
    assert client_as("volunteer", giulia).get(f"/console/api/campaigns/{campaign_id}/volunteers").status_code == 403
    assert client_as("auditor").get(f"/console/api/campaigns/{campaign_id}/volunteers").status_code == 403
