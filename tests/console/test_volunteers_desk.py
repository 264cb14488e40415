"""Sign-up and the volunteers' desk in Chromium: three people apply from /join, a coordinator approves them on
/console/volunteers, one sets a password through the welcome link and signs in; screenshots of the four pages at
desktop and phone width, in Italian and English."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.console.conftest import Server, page_for

pytestmark = pytest.mark.slow

PEOPLE = [("Giulia Rossi", "giulia@example.org", "+39 02 1234 5678", "Milano"),
          ("Luca Bianchi", "luca@example.org", "+39 06 9876 5432", "Sesto San Giovanni"),
          ("Chiara Esposito", "chiara@example.org", "+39 081 555 0101", "Monza")]
MARTA = {"email": "marta@angeli.example", "password": "coordina-la-settimana"}
WIDTHS = (1280, 390)


def shoot(page: Page, artifacts: Path, name: str) -> None:
    """The page as it stands, at each width, full length."""
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        page.wait_for_timeout(100)
        page.screenshot(path=str(artifacts / f"{name}-{width}.png"), full_page=True)
        overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
        assert overflow <= 0, f"{name} at {width}px scrolls sideways by {overflow}px"
    page.set_viewport_size({"width": 1280, "height": 900})


def apply_from_join(browser: Browser, server: Server, person: tuple[str, str, str, str], lang: str) -> Page:
    name, email, phone, town = person
    page = page_for(browser, server.url, lang)
    page.goto(f"/join?lang={lang}")
    page.get_by_label("Nome e cognome" if lang == "it" else "Full name").fill(name)
    page.locator("#j-email").fill(email)
    page.locator("#j-phone").fill(phone)
    page.locator("#j-town").fill(town)
    page.locator("input[name=roles][value=helpline]").check()
    for slot in ("sat-morning", "sat-afternoon", "wed-evening"):
        page.locator(f"input[name=availability][value={slot}]").check()
    return page


def signed_in(browser: Browser, server: Server, who: dict[str, str], lang: str) -> Page:
    page = page_for(browser, server.url, lang)
    page.goto(f"/console/login?lang={lang}")
    page.locator("#email").fill(who["email"])
    page.locator("#password").fill(who["password"])
    page.locator("#password").press("Enter")
    page.wait_for_url("**/console/now**")  # a coordinator lands on the live board
    return page


def test_three_people_apply_a_coordinator_approves_them_and_one_signs_in(
    browser: Browser, server: Server, artifacts: Path,
) -> None:
    # Given a coordinator, Marta
    made = server.api.post("/auth/accounts", json={**MARTA, "role": "coordinator"})
    assert made.status_code == 201, made.text

    # When three people apply from /join (the first is refused until they consent)
    for n, person in enumerate(PEOPLE):
        lang = "it" if n % 2 == 0 else "en"
        page = apply_from_join(browser, server, person, lang)
        if n == 0:
            page.get_by_role("button", name="Invia la domanda").click()
            expect(page.locator("#flash")).to_contain_text("consenso")
            shoot(page, artifacts, "join-it")
        if n == 1:
            shoot(page, artifacts, "join-en")
        page.locator("#j-consent").check()
        page.locator("button[type=submit]").click()
        expect(page.locator("#flash")).to_contain_text("Grazie" if lang == "it" else "Thank you")
        page.context.close()

    # Then Marta sees the three on her desk and approves them, each with a one-time link
    desk = signed_in(browser, server, MARTA, "it")
    desk.goto("/console/volunteers?lang=it")
    for _ in range(40):  # the desk is a read model: it may need a moment to see the third application
        if desk.locator("#apps li").count() == 3:
            break
        desk.wait_for_timeout(250)
        desk.reload()
    expect(desk.locator("#apps li")).to_have_count(3)
    expect(desk.locator("#apps")).to_contain_text("luca@example.org")
    shoot(desk, artifacts, "volunteers-applications-it")
    desk.goto("/console/volunteers?lang=en")
    expect(desk.locator("#apps li")).to_have_count(3)
    shoot(desk, artifacts, "volunteers-applications-en")
    links = []
    for name, *_ in PEOPLE:
        desk.get_by_role("button", name=f"Approve: {name}").click()
        expect(desk.locator("#approved-text")).to_contain_text(name)
        links.append(desk.locator("#invite-link").input_value())
    expect(desk.locator("#apps li")).to_have_count(0)
    expect(desk.locator("#roster tbody tr")).to_have_count(3)
    expect(desk.locator("#roster")).to_contain_text("Chiara Esposito")
    shoot(desk, artifacts, "volunteers-roster-en")
    desk.goto("/console/volunteers?lang=it")
    expect(desk.locator("#roster tbody tr")).to_have_count(3)
    shoot(desk, artifacts, "volunteers-roster-it")
    desk.goto("/console/volunteers?lang=en")
    expect(desk.locator("#roster tbody tr")).to_have_count(3)

    # And a volunteer's page shows their roles, town and training after one is recorded
    desk.get_by_role("link", name="Giulia Rossi").click()
    expect(desk.locator("h1")).to_have_text("Giulia Rossi")
    expect(desk.locator("#profile")).to_contain_text("Milano")
    desk.locator("#t-session").fill("Ascolto attivo, modulo 1")
    desk.locator("#t-hours").fill("4")
    desk.locator("#t-day").fill(server.started_at.date().isoformat())
    desk.get_by_role("button", name="Record the session").click()
    expect(desk.locator("#training tbody")).to_contain_text("Ascolto attivo, modulo 1")
    expect(desk.locator("#training-total")).to_contain_text("4")
    shoot(desk, artifacts, "volunteer-en")
    desk.goto(desk.url.replace("lang=en", "lang=it"))
    expect(desk.locator("#training tbody")).to_contain_text("Ascolto attivo, modulo 1")
    shoot(desk, artifacts, "volunteer-it")

    # When Luca opens his welcome link and chooses a password
    luca = page_for(browser, server.url, "it")  # he starts in Italian, then switches to English
    luca.goto(f"{links[1]}&lang=it")
    expect(luca.locator("#w-password")).to_be_visible()
    assert "token=" not in luca.url  # the token leaves the address bar
    shoot(luca, artifacts, "welcome-it")
    luca.get_by_role("link", name="EN", exact=True).click()  # and switching the language keeps it
    expect(luca.locator("#w-password")).to_be_visible()
    shoot(luca, artifacts, "welcome-en")
    luca.locator("#w-password").fill("una-password-per-luca")
    luca.locator("#w-repeat").fill("una-password-per-luca")
    luca.get_by_role("button", name="Set the password").click()
    expect(luca.locator("#flash")).to_contain_text("Password set")
    # Then he signs in with it and lands on his calling screen
    luca.get_by_role("link", name="Sign in").last.click()
    luca.locator("#email").fill("luca@example.org")
    luca.locator("#password").fill("una-password-per-luca")
    luca.locator("#password").press("Enter")
    luca.wait_for_url("**/console/helpline**")  # he applied for the helpline only
    expect(luca.locator("#who")).to_contain_text("luca@example.org")
    # And the same link does not work twice
    luca.goto(links[1])
    luca.locator("#w-password").fill("un-altra-password-99")
    luca.locator("#w-repeat").fill("un-altra-password-99")
    luca.locator("button[type=submit]").click()
    expect(luca.locator("#flash")).to_contain_text("already used")
