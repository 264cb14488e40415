"""The accounts desk over HTTP: an account by invitation, the list with filters, role, disable, enable, a new link,
the trail; bad input answered clearly with nothing stored; administrators only."""

from __future__ import annotations

from uuid import uuid4

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from services.identity.application import Identity
from tests.security.conftest import ADMIN_EMAIL, GIULIA, client_as, signed_in

PASSWORD = "la-password-di-giulia"


def test_an_account_by_invitation_sets_its_own_password_and_signs_in(admin_client: TestClient,
                                                                     anonymous: TestClient, app: FastAPI) -> None:
    created = admin_client.post("/auth/accounts", json={
        "email": "giulia@angeli.example", "role": "volunteer", "volunteer_id": str(GIULIA), "invite": True})
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["status"] == "invited" and body["volunteer_id"] == str(GIULIA)
    link = body["invitation"]["link"]
    assert link.startswith("/console/welcome?token=")
    assert anonymous.post("/auth/sign-in", json={"email": "giulia@angeli.example",
                                                 "password": "indovina-indovina"}).status_code == 401

    token = link.split("token=")[1]
    assert anonymous.post(f"/auth/invitations/{token}", json={"password": PASSWORD}).status_code == 201
    assert anonymous.post(f"/auth/invitations/{token}", json={"password": PASSWORD}).status_code == 409

    giulia = signed_in(app, "giulia@angeli.example", PASSWORD)
    assert giulia.get("/auth/me").json()["volunteer_id"] == str(GIULIA)
    listed = admin_client.get("/auth/accounts", params={"role": "volunteer"}).json()
    assert [(a["email"], a["status"]) for a in listed] == [("giulia@angeli.example", "active")]


@pytest.mark.parametrize(("body", "status", "message"), [
    ({"email": "giulia@angeli.example", "role": "viewer"}, 422, "either a password or invite=true"),
    ({"email": "giulia@angeli.example", "role": "viewer", "invite": True, "password": PASSWORD}, 422,
     "either a password or invite=true"),
    ({"email": "giulia@", "role": "viewer", "invite": True}, 422, "email"),
    ({"email": "giulia@angeli.example", "role": "boss", "invite": True}, 422,
     "role must be one of administrator, campaign_manager, coordinator, volunteer, auditor, viewer, got 'boss'"),
    ({"email": "giulia@angeli.example", "role": "volunteer", "invite": True}, 422,
     "a volunteer account needs the volunteer_id it signs in as"),
    ({"email": "giulia@angeli.example", "role": "volunteer", "volunteer_id": "sette", "invite": True}, 422,
     "volunteer_id"),
    ({"email": ADMIN_EMAIL, "role": "viewer", "invite": True}, 409, f"an account for {ADMIN_EMAIL} already exists"),
])
def test_bad_input_is_answered_clearly_and_nothing_is_stored(
        admin_client: TestClient, identity: Identity, body: dict[str, object], status: int, message: str) -> None:
    before = len(identity.trail())
    answer = admin_client.post("/auth/accounts", json=body)
    assert answer.status_code == status, answer.text
    assert message in str(answer.json()["detail"])
    assert admin_client.get("/auth/accounts").headers["X-Total-Count"] == "1"
    assert len(identity.trail()) == before


def test_the_list_filters_by_role_and_status_a_page_at_a_time(admin_client: TestClient, identity: Identity) -> None:
    for name, role in (("bea", "viewer"), ("carla", "auditor"), ("dario", "viewer")):
        assert admin_client.post("/auth/accounts", json={"email": f"{name}@angeli.example", "role": role,
                                                         "invite": True}).status_code == 201
    page = admin_client.get("/auth/accounts", params={"role": "viewer", "status": "invited", "limit": 1})
    assert page.headers["X-Total-Count"] == "2" and [a["email"] for a in page.json()] == ["bea@angeli.example"]
    second = admin_client.get("/auth/accounts", params={"role": "viewer", "limit": 1, "offset": 1}).json()
    assert [a["email"] for a in second] == ["dario@angeli.example"]
    wrong = admin_client.get("/auth/accounts", params={"status": "asleep"})
    assert wrong.status_code == 422 and "status must be one of active, invited, disabled" in wrong.json()["detail"]


def test_a_disabled_account_is_refused_at_once_then_enabled_again(admin_client: TestClient, app: FastAPI,
                                                                  identity: Identity) -> None:
    marco = client_as(app, identity, "coordinator", "marco@angeli.example")
    marco_id = marco.get("/auth/me").json()["id"]
    assert admin_client.post(f"/auth/accounts/{marco_id}/disable").json()["status"] == "disabled"
    assert marco.get("/auth/me").status_code == 401
    assert admin_client.post(f"/auth/accounts/{marco_id}/invitation").status_code == 409
    assert admin_client.post(f"/auth/accounts/{marco_id}/enable").json()["status"] == "active"
    assert marco.get("/auth/me").status_code == 401  # the ended session stays ended: sign in again
    assert signed_in(app, "marco@angeli.example", "una-password-lunga").get("/auth/me").status_code == 200


def test_a_new_link_lets_the_person_choose_a_new_password(admin_client: TestClient, anonymous: TestClient,
                                                          app: FastAPI, identity: Identity) -> None:
    marco = client_as(app, identity, "auditor", "marco@angeli.example")
    marco_id = marco.get("/auth/me").json()["id"]
    link = admin_client.post(f"/auth/accounts/{marco_id}/invitation")
    assert link.status_code == 201 and "expires_at" in link.json()
    token = link.json()["link"].split("token=")[1]
    assert anonymous.post(f"/auth/invitations/{token}", json={"password": PASSWORD}).status_code == 201
    assert marco.get("/auth/me").status_code == 401
    assert signed_in(app, "marco@angeli.example", PASSWORD).get("/auth/me").json()["role"] == "auditor"
    assert admin_client.post(f"/auth/accounts/{uuid4()}/invitation").status_code == 404


def test_the_last_administrator_cannot_disable_or_demote_themselves(admin_client: TestClient) -> None:
    me = admin_client.get("/auth/me").json()["id"]
    disabled = admin_client.post(f"/auth/accounts/{me}/disable")
    demoted = admin_client.post(f"/auth/accounts/{me}/role", json={"role": "viewer"})
    for answer in (disabled, demoted):
        assert answer.status_code == 409
        assert answer.json()["detail"] == "this is the last active administrator; make another administrator first"
    assert admin_client.get("/auth/me").json()["role"] == "administrator"


def test_the_trail_names_who_changed_which_account(admin_client: TestClient) -> None:
    created = admin_client.post("/auth/accounts", json={"email": "bea@angeli.example", "role": "viewer",
                                                        "invite": True}).json()
    admin_client.post(f"/auth/accounts/{created['account_id']}/role", json={"role": "auditor"})
    admin_client.post("/auth/api-keys", json={"name": "schermo in sala", "role": "viewer"})
    mine = admin_client.get("/auth/account-changes", params={"subject": f"account:{created['account_id']}"}).json()
    assert sorted(c["change"] for c in mine) == ["created", "invitation_issued", "role_changed"]
    assert {c["subject_name"] for c in mine} == {"bea@angeli.example"}
    assert {c["actor"] for c in mine} == {f"account:{ADMIN_EMAIL}"}
    everything = admin_client.get("/auth/account-changes", params={"limit": 50}).json()
    assert "schermo in sala" in {c["subject_name"] for c in everything}
    assert admin_client.get("/auth/account-changes", params={"subject": "bea"}).status_code == 422


@pytest.mark.parametrize("role", ["coordinator", "campaign_manager", "auditor", "viewer"])
def test_only_administrators_use_the_desk(app: FastAPI, identity: Identity, admin_client: TestClient,
                                          role: str) -> None:
    someone = client_as(app, identity, role, f"{role}@angeli.example")
    anna = admin_client.get("/auth/me").json()["id"]
    refused = [someone.get("/auth/accounts"), someone.post(f"/auth/accounts/{anna}/enable"),
               someone.post(f"/auth/accounts/{anna}/invitation"), someone.get("/auth/account-changes"),
               someone.post("/auth/accounts", json={"email": "x@angeli.example", "role": "administrator",
                                                    "invite": True})]
    assert [r.status_code for r in refused] == [403] * len(refused)
