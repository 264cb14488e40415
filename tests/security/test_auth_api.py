"""Signing in over HTTP, roles on routes, account and API-key administration."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from services.identity.application import Identity
from services.identity.auth import SESSION_COOKIE
from services.kernel.clock import FixedClock
from tests.security.conftest import ADMIN_EMAIL, ADMIN_PASSWORD, GIULIA, client_as, signed_in


def test_a_route_without_credentials_is_401_saying_how_to_sign_in(anonymous: TestClient) -> None:
    response = anonymous.get("/sample/dashboard")
    assert response.status_code == 401
    assert "sign in first" in response.json()["detail"]
    assert response.headers["WWW-Authenticate"] == "Bearer"


def test_a_made_up_token_is_401(anonymous: TestClient) -> None:
    response = anonymous.get("/auth/me", headers={"Authorization": "Bearer not-a-real-token"})
    assert response.status_code == 401
    assert "unknown, expired or revoked" in response.json()["detail"]


def test_a_wrong_role_is_403_naming_the_roles_needed(app: FastAPI, identity: Identity) -> None:
    auditor = client_as(app, identity, "auditor", "marco@angeli.example")
    response = auditor.get("/sample/dashboard")
    assert response.status_code == 403
    assert response.json()["detail"] == (
        "this needs one of the roles: administrator, campaign_manager, viewer; you are signed in as auditor")


def test_the_public_page_needs_no_sign_in_but_refuses_bad_credentials(anonymous: TestClient) -> None:
    assert anonymous.get("/sample/public").json() == {"page": "transparency"}
    assert anonymous.get("/sample/public", headers={"X-API-Key": "angeli_00_forged"}).status_code == 401


def test_sign_in_then_me_then_sign_out_and_the_replayed_token_is_refused(anonymous: TestClient) -> None:
    signed = anonymous.post("/auth/sign-in", json={"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD})
    assert signed.status_code == 200
    anonymous.cookies.clear()
    bearer = {"Authorization": f"Bearer {signed.json()['token']}"}
    me = anonymous.get("/auth/me", headers=bearer).json()
    assert (me["name"], me["role"], me["kind"]) == (ADMIN_EMAIL, "administrator", "account")
    assert anonymous.post("/auth/sign-out", headers=bearer).status_code == 204
    replayed = anonymous.get("/auth/me", headers=bearer)
    assert replayed.status_code == 401


# The product's clock against the client's: a cookie jar judges a cookie's life by its own wall clock.
YEAR = timedelta(days=365)
SKEWS = pytest.mark.parametrize("skew", [-YEAR, timedelta(0), YEAR],
                                ids=["product a year behind", "product on the real date", "product a year ahead"])


@SKEWS
def test_the_web_console_signs_in_with_an_httponly_cookie(anonymous: TestClient, clock: FixedClock,
                                                          skew: timedelta) -> None:
    # Given a product whose clock may be a year away from the client's
    clock.set(datetime.now(UTC) + skew)
    # When the console signs in, the cookie it gets is kept: its session works until it signs out
    signed = anonymous.post("/auth/sign-in", json={"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD})
    cookie = signed.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=strict" in cookie
    assert anonymous.get("/auth/me").json()["role"] == "administrator"
    anonymous.post("/auth/sign-out")
    assert anonymous.get("/auth/me").status_code == 401
    assert SESSION_COOKIE not in anonymous.cookies


def test_the_session_cookie_says_it_lasts_twelve_hours_not_until_a_date_of_the_products_calendar(
        anonymous: TestClient, clock: FixedClock) -> None:
    # When the console signs in on a product whose calendar stands still on 23 November 2026
    signed = anonymous.post("/auth/sign-in", json={"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD})
    # Then the cookie lives twelve hours from when the client gets it (Max-Age), with no Expires date; the
    # session ends twelve hours later in the product's own time
    cookie = signed.headers["set-cookie"].lower()
    assert "max-age=43200" in cookie and "expires=" not in cookie
    assert datetime.fromisoformat(signed.json()["expires_at"]) == clock.now() + timedelta(hours=12)


def test_repeated_wrong_passwords_get_429_with_retry_after(anonymous: TestClient) -> None:
    for _ in range(5):
        wrong = anonymous.post("/auth/sign-in", json={"email": ADMIN_EMAIL, "password": "forse-era-questa"})
        assert wrong.status_code == 401
    locked = anonymous.post("/auth/sign-in", json={"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD})
    assert locked.status_code == 429
    assert locked.headers["Retry-After"] == str(15 * 60)
    assert "try again in 900 seconds" in locked.json()["detail"]


def test_an_administrator_creates_changes_and_disables_accounts(admin_client: TestClient, app: FastAPI) -> None:
    created = admin_client.post("/auth/accounts", json={
        "email": "giulia@angeli.example", "password": "una-password-lunga", "role": "volunteer",
        "volunteer_id": str(GIULIA)})
    assert created.status_code == 201, created.text
    account_id = created.json()["account_id"]
    giulia = signed_in(app, "giulia@angeli.example", "una-password-lunga")
    assert giulia.get("/auth/me").json()["volunteer_id"] == str(GIULIA)
    assert giulia.get("/auth/accounts").status_code == 403
    changed = admin_client.post(f"/auth/accounts/{account_id}/role", json={"role": "coordinator"})
    assert changed.json()["role"] == "coordinator" and changed.json()["volunteer_id"] is None
    assert giulia.get("/auth/me").json()["role"] == "coordinator"
    assert admin_client.post(f"/auth/accounts/{account_id}/disable").json()["disabled"] is True
    assert giulia.get("/auth/me").status_code == 401
    trail = admin_client.get("/auth/account-changes").json()
    assert {c["change"] for c in trail} >= {"created", "role_changed", "disabled"}


def test_account_creation_refuses_bad_input_and_stores_nothing(admin_client: TestClient, identity: Identity) -> None:
    weak = admin_client.post("/auth/accounts",
                             json={"email": "g@angeli.example", "password": "corta", "role": "viewer"})
    assert weak.status_code == 422 and "at least 12 characters" in weak.json()["detail"]
    extra = admin_client.post("/auth/accounts", json={
        "email": "g@angeli.example", "password": "una-password-lunga", "role": "viewer", "is_admin": True})
    assert extra.status_code == 422 and "is_admin" in extra.json()["detail"]
    bad_mail = admin_client.post("/auth/accounts", json={
        "email": "not-an-address", "password": "una-password-lunga", "role": "viewer"})
    assert bad_mail.status_code == 422
    assert len(identity.accounts()) == 1


def test_api_keys_are_created_listed_used_and_revoked(admin_client: TestClient, anonymous: TestClient) -> None:
    created = admin_client.post("/auth/api-keys", json={"name": "dashboard tv", "role": "viewer"})
    assert created.status_code == 201
    secret, key_id = created.json()["secret"], created.json()["key_id"]
    listed = admin_client.get("/auth/api-keys").json()
    assert [k["name"] for k in listed] == ["dashboard tv"] and "secret" not in listed[0]
    assert anonymous.get("/sample/dashboard", headers={"X-API-Key": secret}).status_code == 200
    assert anonymous.get("/auth/me", headers={"X-API-Key": secret}).json()["kind"] == "api_key"
    assert admin_client.post(f"/auth/api-keys/{key_id}/revoke").json()["revoked"] is True
    assert anonymous.get("/sample/dashboard", headers={"X-API-Key": secret}).status_code == 401


def test_only_an_administrator_manages_keys_and_accounts(app: FastAPI, identity: Identity) -> None:
    manager = client_as(app, identity, "campaign_manager", "carla@angeli.example")
    assert manager.post("/auth/api-keys", json={"name": "x", "role": "administrator"}).status_code == 403
    assert manager.get("/auth/api-keys").status_code == 403
    assert manager.post("/auth/accounts", json={
        "email": "evil@angeli.example", "password": "una-password-lunga", "role": "administrator"}).status_code == 403
