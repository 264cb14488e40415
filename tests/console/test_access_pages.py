"""In Chromium: the navigation a volunteer and a coordinator see (drawn on the server from their role), the /join
week that fits a phone and is used with the keyboard, and the volunteer's page sending a new invitation link.
Screenshots into the artifacts: the nav at 390 px per role, /join at 390 and 1280 in Italian and English, and the
volunteer's account card."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect

from services.identity.auth import SESSION_COOKIE
from tests.console.conftest import Server

pytestmark = pytest.mark.slow
MARTA = {"email": "marta@angeli.example", "password": "coordina-la-settimana"}
GIULIA_PASSWORD = "una-password-lunga-42"


def form(**changes: Any) -> dict[str, Any]:
    return {"full_name": "Giulia Rossi", "email": "giulia@example.org", "phone": "+39 02 1234 5678",
            "municipality": "Milano", "roles": ["helpline"], "availability": ["sat-afternoon"],
            "consent": True, "consent_version": "2026-12-v1", **changes}


def approved(server: Server, **changes: Any) -> dict[str, Any]:
    application = httpx.post(f"{server.url}/applications", json=form(**changes), timeout=10)
    assert application.status_code == 201, application.text
    answer = server.api.post(f"/applications/{application.json()['id']}/approve")
    assert answer.status_code == 200, answer.text
    body: dict[str, Any] = answer.json()
    return body


def page_of(browser: Browser, server: Server, who: dict[str, str] | None, width: int, lang: str) -> Page:
    context = browser.new_context(base_url=server.url, viewport={"width": width, "height": 900},
                                  locale="it-IT" if lang == "it" else "en-GB")
    if who is not None:
        token = httpx.post(f"{server.url}/auth/sign-in", json=who, timeout=10).json()["token"]
        context.add_cookies([{"name": SESSION_COOKIE, "value": token, "url": server.url, "httpOnly": True,
                              "sameSite": "Strict"}])
    return context.new_page()


def nav_links(page: Page) -> list[str]:
    hrefs = page.locator("header nav a").evaluate_all("(links) => links.map((a) => a.getAttribute('href'))")
    return [str(h).split("?")[0] for h in hrefs]


@pytest.fixture(scope="module")
def people(server: Server) -> dict[str, dict[str, str]]:
    """Giulia, a volunteer who set her password through her link; Marta, a coordinator."""
    giulia = approved(server)
    token = giulia["invitation"]["link"].removeprefix("/console/welcome?token=")
    accepted = httpx.post(f"{server.url}/auth/invitations/{token}", json={"password": GIULIA_PASSWORD}, timeout=10)
    assert accepted.status_code == 201, accepted.text
    created = server.api.post("/auth/accounts", json={**MARTA, "role": "coordinator"})
    assert created.status_code in (200, 201), created.text
    return {"volunteer": {"email": "giulia@example.org", "password": GIULIA_PASSWORD}, "coordinator": MARTA}


@pytest.mark.parametrize(("role", "expected"), [
    ("volunteer", ["/", "/console/calling", "/console/hours", "/console/helpline", "/console/directory",
                   "/console/shifts"]),
    ("coordinator", ["/", "/console/campaigns", "/console/calling", "/console/hours", "/console/helpline",
                     "/console/protocols", "/console/directory", "/console/shifts", "/console/volunteers",
                     "/console/now", "/console/donors", "/console/funds", "/console/thanks", "/console/mail"]),
])
def test_each_role_sees_its_own_pages_in_the_navigation_on_a_phone(
        browser: Browser, server: Server, people: dict[str, dict[str, str]], artifacts: Path,
        role: str, expected: list[str]) -> None:
    # Given Giulia (volunteer) or Marta (coordinator) signed in, on a phone
    page = page_of(browser, server, people[role], 390, "it")
    # When she opens the shifts page
    page.goto("/console/shifts?lang=it")
    # Then the navigation names her pages only, her name is shown, and there is a way out, not a way in
    assert nav_links(page) == expected
    expect(page.locator("#who")).to_contain_text(people[role]["email"])
    expect(page.locator("#logout")).to_be_visible()
    expect(page.locator("#login-link")).to_be_hidden()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.locator("header").screenshot(path=str(artifacts / f"access-nav-{role}-390.png"))
    page.screenshot(path=str(artifacts / f"access-nav-{role}-page-390.png"))
    page.context.close()


def test_a_visitor_sees_the_public_pages_and_signs_up_from_the_navigation(browser: Browser, server: Server) -> None:
    page = page_of(browser, server, None, 390, "en")
    page.goto("/?lang=en")
    assert nav_links(page) == ["/", "/join"]
    page.get_by_role("link", name="Become a volunteer").click()
    expect(page.locator("h1")).to_have_text("Become a volunteer")
    expect(page.get_by_role("link", name="Sign in")).to_be_visible()
    page.context.close()


@pytest.mark.parametrize("lang", ["it", "en"])
@pytest.mark.parametrize("width", [390, 1280])
def test_the_join_week_fits_the_screen_and_is_chosen_with_the_keyboard(
        browser: Browser, server: Server, artifacts: Path, lang: str, width: int) -> None:
    # Given a visitor on /join at this width
    page = page_of(browser, server, None, width, lang)
    page.goto(f"/join?lang={lang}")
    # Then the week is a group per day, every box inside the screen, nothing scrolling sideways
    expect(page.get_by_role("group", name="Sabato" if lang == "it" else "Saturday")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    right = page.evaluate("""() => Math.max(...[...document.querySelectorAll('input[name=availability]')]
        .map((i) => i.closest('label').getBoundingClientRect().right))""")
    assert right <= width
    # When she tabs to Saturday afternoon and presses Space
    box = page.get_by_role("checkbox", name="Sabato, Pomeriggio" if lang == "it" else "Saturday, Afternoon")
    box.focus()
    page.keyboard.press("Space")
    # Then it is chosen, and the next Tab goes to Saturday evening
    expect(box).to_be_checked()
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.value") == "sat-evening"
    page.screenshot(path=str(artifacts / f"access-join-{lang}-{width}.png"), full_page=True)
    page.context.close()


def test_a_coordinator_sends_a_new_link_from_the_volunteers_page(
        browser: Browser, server: Server, people: dict[str, dict[str, str]], artifacts: Path) -> None:
    # Given Luca approved, whose link was lost before he used it
    luca = approved(server, full_name="Luca Bianchi", email="luca@example.org")
    first = luca["invitation"]["link"].removeprefix("/console/welcome?token=")
    # When Marta opens his page and sends a new link
    page = page_of(browser, server, people["coordinator"], 1280, "en")
    page.goto(f"/console/volunteers/{luca['volunteer_id']}?lang=en")
    expect(page.locator("#account-state")).to_contain_text("Has not chosen a password yet")
    page.get_by_role("button", name="Send a new link").click()
    # Then the new link is shown, ready to copy; the lost one no longer works, the new one does
    link = page.get_by_label("Link to choose a password")
    expect(link).to_have_value(re.compile(r"/console/welcome\?token="))
    expect(link).to_be_focused()
    new = link.input_value().split("token=")[1]
    assert new != first
    for width in (1280, 390):
        page.set_viewport_size({"width": width, "height": 900})
        page.locator("#account").screenshot(path=str(artifacts / f"access-reinvite-en-{width}.png"))
    assert httpx.post(f"{server.url}/auth/invitations/{first}", json={"password": GIULIA_PASSWORD},
                      timeout=10).status_code == 410
    assert httpx.post(f"{server.url}/auth/invitations/{new}", json={"password": GIULIA_PASSWORD},
                      timeout=10).status_code == 201
    # And once he has chosen his password, the page says so and offers no button
    page.reload()
    expect(page.locator("#account-state")).to_contain_text("Has chosen a password")
    expect(page.get_by_role("button", name="Send a new link")).to_be_hidden()
    page.context.close()
