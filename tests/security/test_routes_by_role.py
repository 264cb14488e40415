"""Every route by every role on the whole product: the access policy is enforced, and nothing is unclassified."""

from __future__ import annotations

import re
import uuid
from typing import Any

import pytest
from fastapi.testclient import TestClient

from services.identity.domain import Role
from services.identity.policy import POLICY
from services.main import Product, create_api_for
from tests.conftest import RoleClient

ROLES = [r.value for r in Role]
GIULIA = uuid.UUID("6a0f5d2e-1111-4c2b-9b55-000000000001")
# What anyone may see without signing in: the transparency page, the ledger's signed head and key, health.
EXPECTED_PUBLIC = {
    ("GET", "/health"), ("GET", "/metrics"), ("POST", "/auth/sign-in"),
    ("GET", "/ledger/head"), ("GET", "/ledger/public-key"),
    ("GET", "/transparency/funds"), ("GET", "/transparency/funds/{fund_id}"),
    ("GET", "/transparency/campaigns/{campaign_id}"),
    # the web console's pages: the public transparency page and HTML shells whose data needs a role
    ("GET", "/"), ("GET", "/console"), ("GET", "/console/login"), ("GET", "/console/campaigns"),
    ("GET", "/console/campaigns/{campaign_id}"), ("GET", "/console/calling"), ("GET", "/console/hours"),
    ("GET", "/console/auditor"),
    # sign-up and the volunteers' desk: the public form and its application, the welcome page and its password
    ("GET", "/join"), ("POST", "/applications"), ("GET", "/console/welcome"), ("POST", "/auth/invitations/{token}"),
    ("GET", "/console/volunteers"), ("GET", "/console/volunteers/{volunteer_id}"),
}
# shifts and coverage: the week's page is an HTML shell too (its data needs coordinator or volunteer)
EXPECTED_PUBLIC |= {("GET", "/console/shifts")}
HIDDEN = {("GET", "/metrics")}  # served, but not in the OpenAPI document


def product_routes(product: Product) -> list[tuple[str, str]]:
    paths = create_api_for(product).openapi()["paths"]
    routes = {(method.upper(), path) for path, operations in paths.items() for method in operations}
    return sorted(routes | HIDDEN)


def test_every_route_is_classified_in_the_access_policy(product: Product) -> None:
    unclassified = [r for r in product_routes(product) if r not in POLICY and not _administrative(r)]
    assert unclassified == [], "add these routes to services/identity/policy.py"


def test_only_the_transparency_page_ledger_head_and_health_are_public(product: Product) -> None:
    public = {route for route, rule in POLICY.items() if Role.PUBLIC in rule.roles}
    assert public == EXPECTED_PUBLIC


def test_every_route_refuses_every_role_it_does_not_name(product: Product, client_as: RoleClient) -> None:
    clients = {role: client_as(role, GIULIA) for role in ROLES}
    wrong: list[str] = []
    for method, path in product_routes(product):
        if (method, path) == ("POST", "/auth/sign-out"):
            continue  # it would end the volunteer's session; tests/security/test_auth_api.py covers it
        rule = POLICY.get((method, path))
        allowed = {Role.ADMINISTRATOR.value} if rule is None else set(rule.roles)
        for role in ROLES:
            status = _call(clients[role], method, path).status_code
            permitted = Role.PUBLIC in allowed or role in allowed or role == Role.ADMINISTRATOR
            expected_refusal = 401 if role == Role.PUBLIC else 403
            if permitted and status in (401, 403):
                wrong.append(f"{role} {method} {path}: {status}, should be let through")
            if not permitted and status != expected_refusal:
                wrong.append(f"{role} {method} {path}: {status}, should be {expected_refusal}")
    assert wrong == [], "\n".join(wrong)


def test_a_volunteer_cannot_act_or_read_as_another_volunteer(client_as: RoleClient) -> None:
    giulia = client_as("volunteer", GIULIA)
    marco = uuid.uuid4()
    campaign = uuid.uuid4()
    refused = [
        giulia.post(f"/campaigns/{campaign}/dialer/next", json={"volunteer_id": str(marco)}),
        giulia.post(f"/campaigns/{campaign}/contacts/{uuid.uuid4()}/lease/renew", json={"volunteer_id": str(marco)}),
        giulia.get(f"/volunteers/{marco}"),
        giulia.post(f"/volunteers/{marco}/clock-in"),
        giulia.get(f"/stats/volunteers/{marco}/hours"),
    ]
    assert [r.status_code for r in refused] == [403] * len(refused)
    assert "a volunteer acts only as themselves" in refused[0].json()["detail"]
    own = giulia.post(f"/campaigns/{campaign}/dialer/next", json={"volunteer_id": str(GIULIA)})
    assert own.status_code not in (401, 403)


def test_the_default_client_is_an_administrator(client: TestClient) -> None:
    assert client.get("/auth/me").json()["role"] == "administrator"


def test_without_credentials_a_protected_route_is_401(client_as: RoleClient) -> None:
    response = client_as("public").get("/stats/roster")
    assert response.status_code == 401 and "sign in first" in response.json()["detail"]


def test_a_forbidden_role_learns_which_roles_are_needed(client_as: RoleClient) -> None:
    response = client_as("viewer").post("/funds", json={})
    assert response.status_code == 403
    assert "administrator, campaign_manager" in response.json()["detail"]


@pytest.mark.parametrize("role", ["auditor", "viewer", "coordinator", "campaign_manager"])
def test_account_and_privacy_administration_is_for_administrators_only(client_as: RoleClient, role: str) -> None:
    client = client_as(role)
    assert client.get("/auth/accounts").status_code == 403
    assert client.get("/privacy/access-log").status_code == 403


def _administrative(route: tuple[str, str]) -> bool:
    """Account and privacy administration: administrators only, by their own dependency and by default."""
    return route[1].startswith(("/auth/accounts", "/auth/api-keys", "/auth/account-changes", "/privacy/"))


def _call(client: TestClient, method: str, path: str) -> Any:
    url = re.sub(r"\{(\w+)\}", lambda m: _value(m.group(1)), path)
    body = {"volunteer_id": str(GIULIA)} if method == "POST" else None
    return client.request(method, url, json=body)


def _value(name: str) -> str:
    return {"year": "2026", "istat_code": "015146"}.get(name, str(GIULIA) if name == "volunteer_id" else
                                                          str(uuid.uuid4()))


def test_an_idempotency_key_never_replays_one_callers_answer_to_another(
    client: TestClient, client_as: RoleClient,
) -> None:
    giulia = {"full_name": "Giulia Rossi", "phone": "+39 02 1234 5678", "email": "giulia@example.org",
              "roles": ["helpline"]}
    first = client.post("/volunteers", json=giulia, headers={"Idempotency-Key": "signup-giulia"})
    assert first.status_code == 201
    stranger = client_as("public").post("/volunteers", json=giulia, headers={"Idempotency-Key": "signup-giulia"})
    assert stranger.status_code == 409 and first.json()["id"] not in stranger.text


# live board: its page is an HTML shell like the others (its data needs coordinator or viewer)
EXPECTED_PUBLIC.add(("GET", "/console/now"))
# (end of live board)
# helpline and protocols: the helpline screen and the protocol editor are HTML shells whose data needs a role
EXPECTED_PUBLIC |= {("GET", "/console/helpline"), ("GET", "/console/protocols")}
# directory: its page is an HTML shell (its data needs coordinator or volunteer)
EXPECTED_PUBLIC.add(("GET", "/console/directory"))
# (end of directory)
# funds: the funds desk and a fund's page are HTML shells (their data needs a role that may read a fund)
EXPECTED_PUBLIC |= {("GET", "/console/funds"), ("GET", "/console/funds/{fund_id}")}
# (end of funds)
# regular
EXPECTED_PUBLIC.add(("GET", "/console/regular"))

# privacy: the privacy desk's page is an HTML shell (its data needs administrator, the trail auditor too)
EXPECTED_PUBLIC.add(("GET", "/console/privacy"))
# (end of privacy)
# gifts: the pledge, new pledge, import and overdue pages are HTML shells (their data needs campaign manager or
# auditor)
EXPECTED_PUBLIC |= {("GET", "/console/pledges/new"), ("GET", "/console/pledges/{pledge_id}"),
                    ("GET", "/console/gifts/import"), ("GET", "/console/gifts/overdue")}
# (end of gifts)
# donors: the donors page and a donor's page are HTML shells (their data needs campaign manager or coordinator)
EXPECTED_PUBLIC |= {("GET", "/console/donors"), ("GET", "/console/donors/{donor_id}")}
# (end of donors)
# admin: the accounts desk is an HTML shell (its data is the administrators')
EXPECTED_PUBLIC.add(("GET", "/console/admin"))
# (end of admin)
# receipts: its page is an HTML shell (its data needs auditor or campaign manager)
EXPECTED_PUBLIC.add(("GET", "/console/receipts"))
# (end of receipts)
# telephony: the SIP proxy is no account; it proves itself with the shared secret (tests/telephony)
EXPECTED_PUBLIC |= {("POST", "/telephony/sip/inbound"), ("POST", "/telephony/sip/legs"),
                    ("POST", "/telephony/sip/outbound")}
# twiml: the TwiML provider's webhooks; no account signs them, the provider's signature is their authentication
EXPECTED_PUBLIC |= {("POST", f"/telephony/twiml/{path}")
                    for path in ("voice", "confirm", "dial-action", "status", "recorded", "bridge")}
# (end of twiml)

# mail: the one-click unsubscribe page and its POST (the signed token is the proof; RFC 8058)
EXPECTED_PUBLIC |= {("GET", "/mail/unsubscribe/{token}"), ("POST", "/mail/unsubscribe/{token}")}
# thank-you letters: the thank-yous page is an HTML shell (its data needs campaign manager or coordinator)
EXPECTED_PUBLIC |= {("GET", "/console/thanks")}
# (end of thank-you letters)
# e-mail pages: HTML shells (templates need campaign manager, coordinator or auditor; the outbox and a
# mailing's sending need campaign manager)
EXPECTED_PUBLIC |= {("GET", "/console/mail"), ("GET", "/console/mail/outbox"),
                    ("GET", "/console/mail/mailings/{mailing_id}")}
# (end of e-mail pages)
