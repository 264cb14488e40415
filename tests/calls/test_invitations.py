"""Approval and invitation live in two stores: when the invitation is lost, approving again or the re-invite route
issues a new one-time link (the previous one stops working); once the password is set, neither does anything."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from services.calls.application import CallsApplication
from services.calls.joining import NoAddress, invitation_address
from services.identity.application import Identity
from services.main import Product
from tests.calls.test_joining import MARTA
from tests.calls.test_joining_api import LONG_ENOUGH, form
from tests.conftest import RoleClient


@pytest.fixture
def public(client_as: RoleClient) -> TestClient:
    return client_as("public")


@pytest.fixture
def coordinator(client_as: RoleClient) -> TestClient:
    return client_as("coordinator")


def token_of(answer: dict[str, Any]) -> str:
    link: str = answer["link"]
    return link.removeprefix("/console/welcome?token=")


def approved_without_invitation(product: Product, public: TestClient, coordinator: TestClient,
                                monkeypatch: pytest.MonkeyPatch) -> tuple[str, str]:
    """An application approved (the volunteer registered) whose invitation failed to save: (application, volunteer)."""
    application = public.post("/applications", json=form()).json()["id"]

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("the identity store is away")

    with monkeypatch.context() as patched:
        patched.setattr(Identity, "invite", broken)
        failed = coordinator.post(f"/applications/{application}/approve")
    assert failed.status_code == 500
    product.catch_up()
    [decided] = coordinator.get("/applications?status=approved").json() or [None]
    assert decided is not None
    return application, decided["volunteer_id"]


def test_approving_again_after_a_lost_invitation_issues_it_instead_of_failing(
    product: Product, public: TestClient, coordinator: TestClient, monkeypatch: pytest.MonkeyPatch,
) -> None:
    application, volunteer = approved_without_invitation(product, public, coordinator, monkeypatch)
    assert coordinator.get(f"/volunteers/{volunteer}/invitation").json() == {"account": False, "expires_at": None}
    again = coordinator.post(f"/applications/{application}/approve")
    assert again.status_code == 200, again.text
    assert again.json()["volunteer_id"] == volunteer  # the same volunteer, not a second one
    assert public.post(f"/auth/invitations/{token_of(again.json()['invitation'])}",
                       json={"password": LONG_ENOUGH}).status_code == 201
    refused = coordinator.post(f"/applications/{application}/approve")
    assert refused.status_code == 409 and "set their password" in refused.json()["detail"]


def test_a_coordinator_sends_a_new_link_and_the_previous_one_stops_working(
    product: Product, public: TestClient, coordinator: TestClient,
) -> None:
    application = public.post("/applications", json=form()).json()["id"]
    first = coordinator.post(f"/applications/{application}/approve").json()
    volunteer = first["volunteer_id"]
    state = coordinator.get(f"/volunteers/{volunteer}/invitation").json()
    assert state["account"] is False and state["expires_at"] == first["invitation"]["expires_at"]
    second = coordinator.post(f"/volunteers/{volunteer}/invitation")
    assert second.status_code == 201, second.text
    assert token_of(second.json()) != token_of(first["invitation"])
    old = public.post(f"/auth/invitations/{token_of(first['invitation'])}", json={"password": LONG_ENOUGH})
    assert old.status_code == 410 and "newer one replaced it" in old.json()["detail"]
    new = public.post(f"/auth/invitations/{token_of(second.json())}", json={"password": LONG_ENOUGH})
    assert new.status_code == 201 and new.json()["volunteer_id"] == volunteer
    assert coordinator.get(f"/volunteers/{volunteer}/invitation").json()["account"] is True
    done = coordinator.post(f"/volunteers/{volunteer}/invitation")
    assert done.status_code == 409 and "already set their password" in done.json()["detail"]


def test_a_volunteer_without_an_e_mail_or_unknown_gets_a_clear_answer(
    calls: CallsApplication, coordinator: TestClient,
) -> None:
    volunteer = calls.register_volunteer("Luca Bianchi", "+39 06 9876 5432", "", ["helpline"])
    with pytest.raises(NoAddress, match="no e-mail on file"):
        invitation_address(calls, volunteer, by=MARTA)
    unknown = coordinator.post("/volunteers/6a0f5d2e-1111-4c2b-9b55-00000000ffff/invitation")
    assert unknown.status_code == 404


@pytest.mark.parametrize("role", ["volunteer", "viewer", "auditor", "campaign_manager", "public"])
def test_only_coordinators_and_administrators_invite(
    product: Product, public: TestClient, coordinator: TestClient, client_as: RoleClient, role: str,
) -> None:
    application = public.post("/applications", json=form()).json()["id"]
    volunteer = coordinator.post(f"/applications/{application}/approve").json()["volunteer_id"]
    other = client_as(role)
    assert other.post(f"/volunteers/{volunteer}/invitation").status_code in (401, 403)
    assert other.get(f"/volunteers/{volunteer}/invitation").status_code in (401, 403)
    assert client_as("administrator").post(f"/volunteers/{volunteer}/invitation").status_code == 201
