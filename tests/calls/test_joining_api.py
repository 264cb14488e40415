"""The sign-up API: a public application (with its anti-abuse limits), the coordinator's decision, and the
one-time invitation that sets the new volunteer's password."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from fastapi.testclient import TestClient

from services.calls.api.joining import APPLICATIONS_PER_ADDRESS
from services.kernel.clock import FixedClock
from services.main import Product
from tests.conftest import RoleClient

LONG_ENOUGH = "una-password-lunga-42"


def form(**changes: Any) -> dict[str, Any]:
    return {"full_name": "Giulia Rossi", "email": "giulia@example.org", "phone": "+39 02 1234 5678",
            "municipality": "Sesto San Giovanni", "roles": ["helpline"], "availability": ["sat-afternoon"],
            "consent": True, "consent_version": "2026-12-v1", **changes}


def stored(product: Product, client: TestClient) -> list[dict[str, Any]]:
    product.catch_up()
    answer = client.get("/applications")
    assert answer.status_code == 200, answer.text
    found: list[dict[str, Any]] = answer.json()
    return found


@pytest.fixture
def public(client_as: RoleClient) -> TestClient:
    return client_as("public")


@pytest.fixture
def coordinator(client_as: RoleClient) -> TestClient:
    return client_as("coordinator")


def test_anyone_applies_and_a_coordinator_sees_the_application_with_the_contacts(
    product: Product, public: TestClient, coordinator: TestClient,
) -> None:
    answer = public.post("/applications", json=form())
    assert answer.status_code == 201, answer.text
    assert answer.json() == {"id": answer.json()["id"], "status": "pending"}  # nothing of the person echoed
    [application] = stored(product, coordinator)
    assert application["full_name"] == "Giulia Rossi" and application["municipality"] == "Sesto San Giovanni"
    assert application["availability"] == ["sat-afternoon"] and application["status"] == "pending"
    assert public.get("/applications").status_code == 401


@pytest.mark.parametrize(("changes", "status", "says"), [
    ({"consent": False}, 422, "consent"),
    ({"consent_version": "2020-01"}, 422, "reload the form"),
    ({"website": "http://spam.example"}, 422, "not filled in by a person"),
    ({"full_name": "G" * 121}, 422, "full_name"),
    ({"municipality": "M" * 81}, 422, "municipality"),
    ({"phone": "call me maybe"}, 422, "phone"),
    ({"roles": ["coordinator"]}, 422, "helpline or outreach"),
    ({"availability": ["sun-midnight"]}, 422, "availability"),
    ({"email": "giulia"}, 422, "email"),
    ({"notes": "x" * 9000}, 413, "too large"),
])
def test_a_bad_application_is_refused_with_a_clear_message_and_nothing_is_stored(
    product: Product, public: TestClient, coordinator: TestClient, changes: dict[str, Any], status: int, says: str,
) -> None:
    answer = public.post("/applications", json=form(**changes))
    assert answer.status_code == status, answer.text
    assert says in answer.text
    assert stored(product, coordinator) == []
    assert product.vault.store.query("SELECT person_id FROM vault_data") == []


def test_a_flood_from_one_address_gets_429_with_retry_after_and_stores_nothing_more(
    product: Product, public: TestClient, coordinator: TestClient, clock: FixedClock,
) -> None:
    for n in range(APPLICATIONS_PER_ADDRESS):
        assert public.post("/applications", json=form(email=f"giulia{n}@example.org")).status_code == 201
    for _ in range(20):
        refused = public.post("/applications", json=form(email="flood@example.org"))
        assert refused.status_code == 429
        assert int(refused.headers["Retry-After"]) == 3600
    assert len(stored(product, coordinator)) == APPLICATIONS_PER_ADDRESS
    clock.advance(timedelta(hours=1))
    assert public.post("/applications", json=form(email="later@example.org")).status_code == 201


def approve_one(product: Product, public: TestClient, coordinator: TestClient) -> dict[str, Any]:
    application = public.post("/applications", json=form()).json()["id"]
    approved = coordinator.post(f"/applications/{application}/approve")
    assert approved.status_code == 200, approved.text
    body: dict[str, Any] = approved.json()
    return body


def test_approval_registers_the_volunteer_and_the_invitation_sets_the_password_once(
    product: Product, public: TestClient, coordinator: TestClient,
) -> None:
    approval = approve_one(product, public, coordinator)
    assert coordinator.get(f"/volunteers/{approval['volunteer_id']}").json()["roles"] == ["helpline"]
    token = approval["invitation"]["link"].removeprefix("/console/welcome?token=")
    assert public.post(f"/auth/invitations/{token}", json={"password": "short"}).status_code == 422
    accepted = public.post(f"/auth/invitations/{token}", json={"password": LONG_ENOUGH})
    assert accepted.status_code == 201, accepted.text
    assert accepted.json()["role"] == "volunteer" and accepted.json()["volunteer_id"] == approval["volunteer_id"]
    again = public.post(f"/auth/invitations/{token}", json={"password": "un-altra-password-99"})
    assert again.status_code == 409 and "already used" in again.json()["detail"]
    signed_in = public.post("/auth/sign-in", json={"email": "giulia@example.org", "password": LONG_ENOUGH})
    assert signed_in.status_code == 200
    assert public.post("/auth/sign-in", json={"email": "giulia@example.org",
                                              "password": "un-altra-password-99"}).status_code == 401
    [decided] = stored(product, coordinator)
    assert decided["status"] == "approved" and decided["volunteer_id"] == approval["volunteer_id"]


def test_an_expired_or_made_up_invitation_is_refused(
    product: Product, public: TestClient, coordinator: TestClient, clock: FixedClock,
) -> None:
    approval = approve_one(product, public, coordinator)
    token = approval["invitation"]["link"].removeprefix("/console/welcome?token=")
    clock.advance(timedelta(days=7, seconds=1))
    expired = public.post(f"/auth/invitations/{token}", json={"password": LONG_ENOUGH})
    assert expired.status_code == 410 and "expired" in expired.json()["detail"]
    made_up = public.post(f"/auth/invitations/{'x' * 43}", json={"password": LONG_ENOUGH})
    assert made_up.status_code == 404
    assert public.post("/auth/sign-in", json={"email": "giulia@example.org", "password": LONG_ENOUGH}
                       ).status_code == 401


def test_a_declined_application_cannot_be_approved_and_a_decision_needs_a_coordinator(
    product: Product, public: TestClient, coordinator: TestClient, client_as: RoleClient,
) -> None:
    application = public.post("/applications", json=form()).json()["id"]
    assert client_as("viewer").post(f"/applications/{application}/approve").status_code == 403
    assert coordinator.post(f"/applications/{application}/decline", json={"reason": ""}).status_code == 422
    declined = coordinator.post(f"/applications/{application}/decline", json={"reason": "Turni già coperti"})
    assert declined.status_code == 200
    assert coordinator.post(f"/applications/{application}/approve").status_code == 409
    assert [a["status"] for a in stored(product, coordinator)] == ["declined"]
    assert coordinator.get("/applications?status=pending").json() == []


def test_the_roster_filters_by_role_status_town_and_last_shift(
    product: Product, public: TestClient, coordinator: TestClient,
) -> None:
    approval = approve_one(product, public, coordinator)
    volunteer = approval["volunteer_id"]
    other = coordinator.post("/volunteers", json={"full_name": "Luca Bianchi", "phone": "+39 06 9876 5432",
                                                  "email": "luca@example.org", "roles": ["outreach"]}).json()["id"]
    assert coordinator.post(f"/volunteers/{other}/clock-in").status_code == 200
    assert coordinator.post(f"/volunteers/{volunteer}/status", json={"status": "paused"}).status_code == 200
    product.catch_up()

    def names(query: str) -> list[str]:
        answer = coordinator.get(f"/console/api/volunteers{query}")
        assert answer.status_code == 200, answer.text
        return sorted(v["name"] for v in answer.json())

    assert names("") == ["Giulia Rossi", "Luca Bianchi"]
    assert names("?role=helpline") == ["Giulia Rossi"]
    assert names("?status=paused") == ["Giulia Rossi"]
    assert names("?municipality=sesto%20san%20giovanni") == ["Giulia Rossi"]
    assert names("?no_shift_since=2026-11-01") == ["Giulia Rossi"]  # Luca clocked in on 23 November
    assert coordinator.get("/console/api/volunteers?status=sleeping").status_code == 422


def test_a_volunteers_page_shows_training_and_calls_without_callers(
    product: Product, public: TestClient, coordinator: TestClient,
) -> None:
    volunteer = approve_one(product, public, coordinator)["volunteer_id"]
    for topic, hours in (("Ascolto attivo, modulo 1", "4"), ("Protocollo sanitario", "3.5")):
        assert coordinator.post(f"/volunteers/{volunteer}/training",
                                json={"session": topic, "hours": hours, "trained_on": "2026-11-20"}).status_code == 200
    assert coordinator.post(f"/volunteers/{volunteer}/clock-in").status_code == 200
    call = coordinator.post("/calls", json={"volunteer_id": volunteer, "direction": "inbound"})
    assert call.status_code == 201, call.text
    product.catch_up()
    page = coordinator.get(f"/console/api/volunteers/{volunteer}").json()
    assert page["name"] == "Giulia Rossi" and page["municipality"] == "Sesto San Giovanni"
    assert Decimal(page["training_hours"]) == Decimal("7.5")
    assert [s["session"] for s in page["training"]] == ["Ascolto attivo, modulo 1", "Protocollo sanitario"]
    assert [c["direction"] for c in page["calls"]] == ["inbound"]
    assert set(page["calls"][0]) == {"call_id", "direction", "campaign_id", "started_at", "ended_at", "disposition",
                                     "talk_seconds"}
    assert page["last_shift_at"] is not None
