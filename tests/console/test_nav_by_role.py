"""The navigation is drawn on the server for the person asking: each role sees the pages whose data it may read
(derived from the route x role table), an anonymous visitor only the public pages. The pages stay shells: the API
enforces access; the links are a convenience."""

from __future__ import annotations

import re
import uuid
from html.parser import HTMLParser
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from services.identity.auth import SESSION_COOKIE
from services.identity.domain import SYSTEM
from services.identity.policy import PAGE_DATA, POLICY, reachable_pages
from services.main import Product, create_api_for

BASE = Path(__file__).resolve().parents[2] / "services" / "console" / "templates" / "base.html"
PUBLIC = {"/", "/join"}
EXPECTED = {
    None: PUBLIC,
    "volunteer": {"/", "/console/calling", "/console/helpline", "/console/directory", "/console/hours",
                  "/console/shifts"},
    "coordinator": {"/", "/console/campaigns", "/console/calling", "/console/hours", "/console/helpline",
                    "/console/protocols", "/console/directory", "/console/shifts", "/console/volunteers",
                    "/console/now", "/console/funds", "/console/donors"},
    "auditor": {"/", "/console/auditor", "/console/hours", "/console/funds", "/console/regular"},
    "viewer": {"/", "/console/campaigns", "/console/hours", "/console/now", "/console/funds"},
    "campaign_manager": {"/", "/console/campaigns", "/console/calling", "/console/funds", "/console/regular",
                         "/console/donors"},
    "administrator": {"/", "/console/campaigns", "/console/calling", "/console/hours", "/console/auditor",
                      "/console/helpline", "/console/protocols", "/console/directory", "/console/shifts",
                      "/console/volunteers", "/console/now", "/console/funds", "/console/regular",
                      "/console/donors", "/console/admin"},
}


class Nav(HTMLParser):
    """The paths the page's navigation links to, and whether the sign-in link and sign-out button are shown."""

    def __init__(self) -> None:
        super().__init__()
        self.links: list[str] = []
        self.shown: dict[str, bool] = {}
        self._in_nav = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "nav":
            self._in_nav = True
        elif tag == "a" and self._in_nav:
            self.links.append((found.get("href") or "").split("?")[0])
        if found.get("id") in ("login-link", "logout"):
            self.shown[str(found["id"])] = "hidden" not in found


    def handle_endtag(self, tag: str) -> None:
        if tag == "nav":
            self._in_nav = False


def nav_of(html: str) -> Nav:
    nav = Nav()
    nav.feed(html)
    return nav


def signed_in(product: Product, role: str) -> TestClient:
    """A browser-like client: the console's session cookie of a new account with `role`."""
    client = TestClient(create_api_for(product), raise_server_exceptions=False)
    email = f"{role}-{uuid.uuid4().hex[:6]}@angeli.example"
    volunteer = uuid.uuid4() if role == "volunteer" else None
    product.identity.create_account(email, "una-password-lunga", role, SYSTEM, volunteer)  # type: ignore[union-attr]
    session = client.post("/auth/sign-in", json={"email": email, "password": "una-password-lunga"})
    assert session.status_code == 200, session.text
    client.cookies.clear()
    client.cookies.set(SESSION_COOKIE, session.json()["token"])
    return client


@pytest.mark.parametrize("role", [r for r in EXPECTED if r is not None])
@pytest.mark.parametrize("page", ["/console/hours", "/console/login"])
def test_a_signed_in_person_sees_the_pages_of_their_role(product: Product, role: str, page: str) -> None:
    html = signed_in(product, role).get(f"{page}?lang=it")
    assert html.status_code == 200
    nav = nav_of(html.text)
    assert set(nav.links) == EXPECTED[role]
    assert nav.shown == {"login-link": False, "logout": True}
    assert "Accesso come" in html.text


@pytest.mark.parametrize("page", ["/", "/join", "/console/login", "/console/now"])
def test_an_anonymous_visitor_sees_only_the_public_pages_and_the_sign_in(client: TestClient, page: str) -> None:
    del client.headers["X-API-Key"]
    nav = nav_of(client.get(f"{page}?lang=en").text)
    assert set(nav.links) == PUBLIC
    assert nav.shown == {"login-link": True, "logout": False}


def test_an_expired_or_unknown_session_cookie_is_nobody_on_a_page(client: TestClient) -> None:
    del client.headers["X-API-Key"]
    client.cookies.set(SESSION_COOKIE, "not-a-session-token-at-all")
    page = client.get("/join?lang=en")
    assert page.status_code == 200
    assert set(nav_of(page.text).links) == PUBLIC
    assert client.get("/console/api/volunteers").status_code == 401  # a route needing someone still refuses


def test_the_volunteer_sees_their_name_and_role_written_by_the_server(product: Product) -> None:
    page = signed_in(product, "volunteer").get("/console/shifts?lang=en").text
    assert re.search(r'<span id="who"[^>]*>Signed in as volunteer-\w+@angeli.example \(volunteer\)</span>', page)


def test_what_a_role_may_open_follows_the_route_table() -> None:
    assert {r: set(reachable_pages(r)) - {"/console/login", "/join"}
            for r in EXPECTED} == {r: pages - {"/join"} for r, pages in EXPECTED.items()}
    assert "/console/directory" in reachable_pages("volunteer")  # its link arrives with the directory page


def test_every_page_names_data_routes_of_the_table() -> None:
    unknown = [(page, route) for page, routes in PAGE_DATA.items() for route in routes if route not in POLICY]
    assert unknown == []


def test_every_link_of_the_navigation_is_shown_only_where_its_data_may_be_read() -> None:
    """A new section's link is wrapped as the others: {% if "/console/x" in reachable %}<li>…</li>{% endif %}."""
    nav = BASE.read_text().split("<nav", 1)[1].split("</nav>", 1)[0]
    links = re.findall(r'<li><a href="(/[^"?]*)\?', nav)
    wrapped = re.findall(r'\{% if "(/[^"]*)" in reachable %\}<li><a href="(/[^"?]*)\?', nav)
    assert links and len(wrapped) == len(links) and all(a == b for a, b in wrapped)
    assert [page for page in links if page not in PAGE_DATA] == []


# privacy: the desk for administrators; auditors reach it for the access trail
EXPECTED["administrator"].add("/console/privacy")
EXPECTED["auditor"].add("/console/privacy")
# (end of privacy)
# gifts: the "Gifts" link (the overdue view) for the donations office, auditors and administrators
for _role in ("campaign_manager", "auditor", "administrator"):
    EXPECTED[_role] = EXPECTED[_role] | {"/console/gifts/overdue"}
# (end of gifts)
# receipts: auditors and campaign managers (and administrators) read the year's receipts
for _role in ("auditor", "campaign_manager", "administrator"):
    EXPECTED[_role] = EXPECTED[_role] | {"/console/receipts"}
# (end of receipts)
# thank-you letters: the plan for campaign managers (who set it), coordinators (who read it) and administrators
for _role in ("campaign_manager", "coordinator", "administrator"):
    EXPECTED[_role] = EXPECTED[_role] | {"/console/thanks"}
# (end of thank-you letters)
# e-mail pages: the "E-mail" link for whoever reads the templates (campaign managers, coordinators, auditors)
for _role in ("campaign_manager", "coordinator", "auditor", "administrator"):
    EXPECTED[_role] = EXPECTED[_role] | {"/console/mail"}
# (end of e-mail pages)
