"""End to end in Chromium: a manager launches "Natale 2026", volunteer Giulia takes a pledge by phone, the
dashboard shows it, a payment arrives and the public transparency page shows it; screenshots of every page."""

from __future__ import annotations

import re
from datetime import date, timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.conftest import ROME
from tests.console.conftest import LOCALES, Server

pytestmark = pytest.mark.slow

CONTACTS = "nome;cognome;telefono\nMaria;Bianchi;02 1234 5678\nLuca;Verdi;06 9876 5432\nAnna;Neri;011 555 1234\n"
PASSWORD = "una-password-lunga"


def sign_in(browser: Browser, server: Server, email: str, width: int = 1280) -> Page:
    page = browser.new_page(base_url=server.url, viewport={"width": width, "height": 900}, locale="it-IT")
    page.goto("/console/login")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Accedi").click()
    page.wait_for_url(re.compile(r"/console/(campaigns|calling)"))
    return page


def account(server: Server, email: str, role: str, volunteer_id: str | None = None) -> None:
    created = server.api.post("/auth/accounts", json={"email": email, "password": PASSWORD, "role": role,
                                                      "volunteer_id": volunteer_id})
    assert created.status_code == 201, created.text


def test_a_pledge_taken_on_the_calling_screen_reaches_the_dashboard_and_its_payment_the_public_page(
        browser: Browser, server: Server, artifacts: Path, tmp_path: Path) -> None:
    # Given a campaign manager and volunteer Giulia with console accounts
    giulia = server.api.post("/volunteers", json={"full_name": "Giulia Rossi", "phone": "+39 02 5550 1234",
                                                  "email": "giulia@example.org", "roles": ["outreach"]}).json()["id"]
    account(server, "marco@angeli.example", "campaign_manager")
    account(server, "giulia@angeli.example", "volunteer", giulia)
    register, contacts = tmp_path / "rpo.csv", tmp_path / "donatori.csv"
    register.write_text("phone\n")
    contacts.write_text(CONTACTS)
    # And the product's today, a calling day: the campaign runs around it, the register was checked 3 days ago
    today = server.started_at.astimezone(ROME).date()
    starts_on, ends_on, checked_on = (str(today + timedelta(days=d)) for d in (-22, 38, -3))

    # When the manager creates "Natale 2026", imports the register and the contacts, and launches it
    manager = sign_in(browser, server, "marco@angeli.example")
    manager.get_by_label("Nome").fill("Natale 2026")
    manager.get_by_label("Nuovo fondo").fill("Pacchi di Natale")
    manager.get_by_role("button", name="Aggiungi fondo").click()
    expect(manager.get_by_label("Fondo", exact=True)).to_have_value(re.compile("[0-9a-f-]{36}"))  # chosen
    manager.get_by_label("Obiettivo (EUR)").fill("10000")
    manager.get_by_label("Inizio").fill(starts_on)
    manager.get_by_label("Fine").fill(ends_on)
    manager.get_by_role("button", name="Crea").click()
    expect(manager.locator("#flash")).to_contain_text("Natale 2026")
    manager.get_by_label("Registro delle opposizioni (CSV)").set_input_files(register)
    manager.get_by_label("Registro consultato il").fill(checked_on)
    manager.locator("#register").get_by_role("button", name="Importa").click()
    expect(manager.locator("#flash")).to_contain_text(  # the day as Italians write it
        date.fromisoformat(checked_on).strftime("%d/%m/%Y"))
    manager.get_by_label("Elenco contatti (CSV)").set_input_files(contacts)
    manager.locator("#contacts").get_by_role("button", name="Importa").click()
    expect(manager.locator("#flash")).to_contain_text("3 / 3")
    manager.get_by_role("button", name="Avvia").click()
    expect(manager.locator("#flash")).to_contain_text("launched")
    manager.get_by_role("link", name="Cruscotto: Natale 2026").click()
    expect(manager.locator("#callable")).to_have_text("3 / 3", timeout=10_000)
    manager.screenshot(path=str(artifacts / "dashboard-launched.png"), full_page=True)

    # And Giulia clocks in on a phone-sized screen, gets a contact and answers "no answer" with the keyboard only
    volunteer = sign_in(browser, server, "giulia@angeli.example", width=390)
    volunteer.get_by_role("button", name=re.compile("Inizia turno")).click()
    expect(volunteer.locator("#presence")).to_contain_text("In turno dalle")
    volunteer.get_by_role("button", name=re.compile("Prossimo contatto")).click()
    expect(volunteer.locator("#contact-name")).to_have_text(re.compile("Maria|Luca|Anna"))
    first = volunteer.locator("#contact-name").inner_text()
    assert first in volunteer.locator("#script").inner_text()  # merge field filled
    for _ in range(12):
        volunteer.keyboard.press("Tab")
        if volunteer.evaluate("document.activeElement.dataset.disposition") == "no_answer":
            break
    else:
        raise AssertionError("the no-answer button cannot be reached with Tab")
    volunteer.screenshot(path=str(artifacts / "calling-keyboard-focus.png"), full_page=True)
    volunteer.keyboard.press("Enter")
    expect(volunteer.locator("#flash")).to_contain_text("Nessuna risposta")

    # And on the next contact she records a 50 euro pledge
    volunteer.get_by_role("button", name=re.compile("Prossimo contatto")).click()
    expect(volunteer.locator("#contact-name")).not_to_have_text(first)
    expect(volunteer.locator("#callback-at option").first).to_be_attached()
    volunteer.screenshot(path=str(artifacts / "calling-contact.png"), full_page=True)
    volunteer.get_by_label("Importo (EUR)").fill("50")
    with volunteer.expect_response(lambda r: r.url.endswith("/pledges") and r.request.method == "POST") as made:
        volunteer.get_by_role("button", name=re.compile("Registra promessa")).click()
    pledge_id = made.value.json()["id"]
    expect(volunteer.locator("#flash")).to_contain_text("Promesso")

    # Then the dashboard shows the pledge within seconds
    expect(manager.locator("#pledges")).to_have_text("1", timeout=10_000)
    expect(manager.locator("#pledged")).to_contain_text("50,00")
    expect(manager.locator("#volunteers tbody tr")).to_contain_text("Giulia Rossi")  # her name, not her id
    manager.screenshot(path=str(artifacts / "dashboard-pledge.png"), full_page=True)

    # And once the payment is received, the public transparency page shows it, with no personal data
    paid = server.api.post(f"/pledges/{pledge_id}/payments",
                           json={"amount": "50.00", "method": "bank_transfer", "reference": "CRO 0001"})
    assert paid.status_code == 201, paid.text
    public = browser.new_page(base_url=server.url, locale="it-IT")
    for _ in range(40):
        public.goto("/")
        if "50,00\xa0€" in public.locator("section.fund").first.inner_text(timeout=2000) if public.locator(
                "section.fund").count() else False:
            break
        public.wait_for_timeout(250)
    expect(public.locator("section.fund").first).to_contain_text("Pacchi di Natale")
    expect(public.locator("section.fund").first).to_contain_text("50,00\xa0€")
    body = public.locator("body").inner_text()
    assert "Maria" not in body and "Luca" not in body and "Anna" not in body and "Giulia" not in body
    public.screenshot(path=str(artifacts / "transparency.png"), full_page=True)

    # And every other page renders: hours (as the administrator), auditor verification, English labels
    admin = sign_in_admin(browser, server)
    admin.goto("/console/hours?lang=en")
    expect(admin.locator("#hours-table tbody tr")).to_have_count(1)
    admin.screenshot(path=str(artifacts / "hours.png"), full_page=True)
    admin.goto("/console/auditor?lang=en")
    admin.get_by_role("button", name=re.compile("Run the verification")).click()
    expect(admin.locator(".verdict")).to_contain_text("Ledger intact", timeout=10_000)
    admin.screenshot(path=str(artifacts / "auditor.png"), full_page=True)
    volunteer.get_by_role("button", name=re.compile("Termina turno")).click()
    expect(volunteer.locator("#presence")).to_have_text("Fuori turno")


def sign_in_admin(browser: Browser, server: Server) -> Page:
    page = browser.new_page(base_url=server.url, viewport={"width": 1280, "height": 900}, locale=LOCALES["en"])
    page.goto("/console/login?lang=en")
    page.get_by_label("E-mail").fill("anna@angeli.example")
    page.get_by_label("Password").fill("sette-angeli-milano")
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(re.compile(r"/console/admin"))  # an administrator lands on the accounts desk
    return page
