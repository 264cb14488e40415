"""The thin slice on the embedded default: command → event → feed → projection row → query."""

from __future__ import annotations

from fastapi.testclient import TestClient

from services.identity.domain import SYSTEM_ACCESS
from services.main import Product

GIULIA = {"full_name": "Giulia Rossi", "phone": "+39 02 1234 5678", "email": "giulia@example.org",
          "roles": ["helpline", "outreach"]}


def test_registered_volunteer_appears_in_the_roster(client: TestClient, product: Product) -> None:
    created = client.post("/volunteers", json=GIULIA)
    assert created.status_code == 201
    product.catch_up()
    roster = client.get("/stats/roster").json()
    assert roster["total"] == 1
    assert roster["volunteers"][0]["volunteer_id"] == created.json()["id"]
    assert roster["volunteers"][0]["roles"] == ["helpline", "outreach"]


def test_personal_data_stays_out_of_events_and_in_the_vault(client: TestClient, product: Product) -> None:
    volunteer_id = client.post("/volunteers", json=GIULIA).json()["id"]
    events = product.feeds["calls"].read(0)[0]
    assert "Giulia" not in repr(events)
    from uuid import UUID
    assert product.vault.get(UUID(volunteer_id), SYSTEM_ACCESS)["full_name"] == "Giulia Rossi"


def test_bad_registration_is_refused_with_reasons_and_stores_nothing(client: TestClient, product: Product) -> None:
    response = client.post("/volunteers", json={**GIULIA, "email": "not-an-address", "roles": ["boss"]})
    assert response.status_code == 422
    assert "email" in response.json()["detail"]
    response = client.post("/volunteers", json={**GIULIA, "roles": ["boss"]})
    assert response.status_code == 422
    assert "role must be one of" in response.json()["detail"]
    assert product.feeds["calls"].head() == 0


def test_unknown_volunteer_is_404(client: TestClient) -> None:
    response = client.get("/volunteers/5b0c1f0e-0000-4000-8000-000000000000")
    assert response.status_code == 404
    assert "not found" in response.json()["detail"]


def test_retried_registration_with_the_same_key_registers_once(client: TestClient, product: Product) -> None:
    first = client.post("/volunteers", json=GIULIA, headers={"Idempotency-Key": "signup-giulia-1"})
    again = client.post("/volunteers", json=GIULIA, headers={"Idempotency-Key": "signup-giulia-1"})
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert again.headers["Idempotent-Replay"] == "true"
    product.catch_up()
    assert client.get("/stats/roster").json()["total"] == 1


def test_same_key_with_a_different_body_is_409(client: TestClient) -> None:
    client.post("/volunteers", json=GIULIA, headers={"Idempotency-Key": "k-1"})
    other = client.post("/volunteers", json={**GIULIA, "full_name": "Marco"}, headers={"Idempotency-Key": "k-1"})
    assert other.status_code == 409
    assert "different request" in other.json()["detail"]


def test_refused_command_does_not_burn_its_key(client: TestClient) -> None:
    bad = client.post("/volunteers", json={**GIULIA, "roles": ["boss"]}, headers={"Idempotency-Key": "k-2"})
    assert bad.status_code == 422
    good = client.post("/volunteers", json={**GIULIA, "roles": ["boss"]}, headers={"Idempotency-Key": "k-2"})
    assert good.status_code == 422  # same body, still refused, nothing remembered


def test_health_reports_each_component(client: TestClient) -> None:
    health = client.get("/health").json()
    assert "event_store.calls" in health["components"]
    assert "feed.roster" in health["components"]



def test_a_request_whose_answer_was_lost_says_what_took_effect(client: TestClient, product: Product) -> None:
    import json

    from services.kernel.idempotency import RequestRecord, _replay, record_id

    first = client.post("/volunteers", json=GIULIA, headers={"Idempotency-Key": "lost-answer-1"})
    record = product.services["calls"].application.get(record_id("lost-answer-1"), RequestRecord)
    assert first.json()["id"] in record.changed, "the record names what the request changed, atomically"
    # As if the process had died between the command's transaction and recording its answer:
    unanswered = RequestRecord("lost-answer-2", "fingerprint", record.changed)
    again = _replay(unanswered, "fingerprint")
    body = json.loads(bytes(again.body))
    assert again.status_code == 409
    assert body["took_effect"] is True and body["changed"] == record.changed
