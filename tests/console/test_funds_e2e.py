"""The funds desk in Chromium: campaign manager Marta watches a payment recorded through the API appear on the
open list and on the fund's page without reloading, creates, renames and closes a fund, records a disbursement with
its document, and is refused one beyond the balance (and others with a bad amount or no purpose) with the reason in
her language; a viewer reads the same page without the form. Screenshots at 1280 and 390, Italian and English."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.conftest import calling_morning
from tests.console.conftest import Server, served
from tests.console.conftest import page_as as signed_in

pytestmark = pytest.mark.slow

PASSWORD = "una-password-lunga"
PHONE = 390


def page_as(browser: Browser, server: Server, email: str, lang: str, width: int) -> Page:
    return signed_in(browser, server, email, PASSWORD, lang, width)


def account(server: Server, email: str, role: str) -> None:
    made = server.api.post("/auth/accounts", json={"email": email, "password": PASSWORD, "role": role})
    assert made.status_code == 201, made.text


def paid(server: Server, pledge: str, amount: str, reference: str) -> None:
    payment = server.api.post(f"/pledges/{pledge}/payments", json={"amount": amount, "method": "bank_transfer",
                                                                   "reference": reference})
    assert payment.status_code == 201, payment.text


def fits_the_phone(page: Page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE


def test_the_funds_desk_follows_payments_live_and_refuses_a_disbursement_beyond_the_balance(
        browser: Browser, tmp_path: Path, artifacts: Path) -> None:
    with served(tmp_path / "var", calling_morning()) as server:
        # Given Marta, campaign manager, and Vera, viewer; Fondo Natale where Giulia pledged 200 € and paid 120 €
        api = server.api
        account(server, "marta@angeli.example", "campaign_manager")
        account(server, "vera@angeli.example", "viewer")
        natale = api.post("/funds", json={"name": "Fondo Natale"}).json()["id"]
        api.post("/funds", json={"name": "Fondo emergenze alluvione Emilia-Romagna"})
        giulia = api.post("/donors", json={"kind": "person", "name": "Giulia Rossi"}).json()["id"]
        pledge = api.post("/pledges", json={"donor_id": giulia, "fund_id": natale, "amount": "200.00"}).json()["id"]
        paid(server, pledge, "120.00", "CRO-0001")

        # When Marta opens the funds desk, it shows each fund's figures in her format, live
        page = page_as(browser, server, "marta@angeli.example", "it", 1280)
        page.goto("/console/funds?lang=it")
        row = page.locator("#funds tbody tr", has_text="Fondo Natale")
        expect(row.locator("td.raised")).to_have_text("120,00 €")
        expect(page.locator("#fu-mode")).to_have_text("Aggiornato in tempo reale")
        page.evaluate("window.notReloaded = true")

        # And a payment is recorded through the API while the page is open: it appears without reloading
        paid(server, pledge, "50.00", "CRO-0002")
        expect(row.locator("td.raised")).to_have_text("170,00 €", timeout=2000)
        expect(row.locator("td.balance")).to_have_text("170,00 €")
        assert page.evaluate("window.notReloaded") is True

        # And she creates a fund with the keyboard, renames it and closes it
        page.locator("#new-name").fill("")
        page.locator("#new-name").press("Enter")
        expect(page.locator("#new-error")).to_have_text("Rifiutato: il nome deve avere da 1 a 120 caratteri")
        page.locator("#new-name").fill("Fondo scuola")
        page.locator("#new-name").press("Enter")
        expect(page.locator("#funds tbody")).to_contain_text("Fondo scuola")
        page.get_by_role("button", name="Rinomina: Fondo scuola").click()
        page.locator("#rename-name").fill("Fondo scuola 2027")
        page.locator("#rename-name").press("Enter")
        scuola = page.locator("#funds tbody tr", has_text="Fondo scuola 2027")
        expect(scuola).to_be_visible()
        page.once("dialog", lambda dialog: dialog.accept())
        scuola.get_by_role("button", name="Chiudi: Fondo scuola 2027").click()
        expect(scuola.locator(".badge")).to_have_text("chiuso")
        expect(scuola.get_by_role("button")).to_have_count(0)
        page.screenshot(path=str(artifacts / "funds-list-it-1280.png"), full_page=True)

        # When she opens Fondo Natale and records a disbursement with its document
        row.get_by_role("link", name="Fondo Natale").click()
        expect(page.locator("h1")).to_have_text("Fondo: Fondo Natale")
        expect(page.locator("#balance")).to_have_text("170,00 €")
        page.locator("#amount").fill("30,00")
        page.locator("#purpose").fill("Pacchi alimentari per 12 famiglie")
        page.locator("#document").fill("Fattura 2026/117")
        page.locator("#document").press("Enter")
        expect(page.locator("#flash")).to_contain_text("Spesa registrata: 30,00 €")
        spent = page.locator("#spent tbody tr", has_text="Pacchi alimentari per 12 famiglie")
        expect(spent).to_contain_text("Fattura 2026/117")
        expect(page.locator("#balance")).to_have_text("140,00 €")
        expect(page.locator("#months tbody tr")).to_have_count(1)

        # Then amounts with three decimals, below zero or beyond the balance, and an empty purpose are refused in
        # Italian, and nothing is stored
        for amount, purpose, says in [
                ("12,345", "Coperte", "l'importo può avere al massimo due decimali"),
                ("-5", "Coperte", "l'importo deve essere maggiore di zero"),
                ("30,00", "", "scrivi lo scopo della spesa"),
                ("1.000,00", "Coperte", "il fondo aveva 140,00 €: spendere 1.000,00 € lo lascerebbe a -860,00 €")]:
            page.locator("#amount").fill(amount)
            page.locator("#purpose").fill(purpose)
            page.locator("#document").fill("Ricevuta 12")
            page.get_by_role("button", name="Registra la spesa").click()
            expect(page.locator("#disburse-error")).to_contain_text(says)
        expect(page.locator("#amount")).to_have_attribute("aria-invalid", "true")
        expect(page.locator("#amount")).to_be_focused()
        # (dated the day before the first payment, when the fund held nothing)
        today = page.locator("#day").input_value()
        yesterday = (date.fromisoformat(today) - timedelta(days=1))
        page.locator("#amount").fill("5,00")
        page.locator("#day").fill(yesterday.isoformat())
        page.get_by_role("button", name="Registra la spesa").click()
        expect(page.locator("#disburse-error")).to_contain_text(
            f"il {yesterday.day:02d}/{yesterday.month:02d}/{yesterday.year} il fondo aveva 0,00 €")
        page.locator("#day").fill(today)
        page.locator("#amount").fill("1.000,00")
        page.get_by_role("button", name="Registra la spesa").click()
        expect(page.locator("#disburse-error")).to_contain_text("lo lascerebbe a -860,00 €")
        page.screenshot(path=str(artifacts / "fund-refused-it-1280.png"), full_page=True)
        assert api.get(f"/console/api/funds/{natale}").json()["disbursed"] == "30.00"
        assert len(api.get(f"/console/api/funds/{natale}").json()["disbursements"]) == 1

        # And a payment recorded elsewhere reaches the open fund page too
        paid(server, pledge, "30.00", "CRO-0003")
        expect(page.locator("#balance")).to_have_text("170,00 €", timeout=2000)
        expect(page.locator("#raised")).to_have_text("200,00 €")
        page.screenshot(path=str(artifacts / "fund-page-it-1280.png"), full_page=True)
        page.context.close()

        # The same pages in English and at phone width, the refusal in English
        for lang, width in [("en", 1280), ("it", PHONE), ("en", PHONE)]:
            page = page_as(browser, server, "marta@angeli.example", lang, width)
            page.goto(f"/console/funds?lang={lang}")
            expect(page.locator("#funds tbody tr", has_text="Fondo Natale").locator("td.raised")).to_have_text(
                "€200.00" if lang == "en" else "200,00 €")
            if width == PHONE:
                fits_the_phone(page)
            page.screenshot(path=str(artifacts / f"funds-list-{lang}-{width}.png"), full_page=True)
            page.goto(f"/console/funds/{natale}?lang={lang}")
            expect(page.locator("#balance")).to_have_text("€170.00" if lang == "en" else "170,00 €")
            page.locator("#amount").fill("1,000.00" if lang == "en" else "1.000,00")
            page.locator("#purpose").fill("Coperte")
            page.locator("#document").fill("Ricevuta 12")
            page.locator("#document").press("Enter")
            expect(page.locator("#disburse-error")).to_contain_text(
                "the fund held €170.00: spending €1,000.00 would leave it at -€830.00" if lang == "en"
                else "il fondo aveva 170,00 €")
            if width == PHONE:
                fits_the_phone(page)
            page.screenshot(path=str(artifacts / f"fund-refused-{lang}-{width}.png"), full_page=True)
            page.locator("#amount").fill("")
            page.locator("#disburse-error").evaluate("(e) => { e.hidden = true; }")
            page.screenshot(path=str(artifacts / f"fund-page-{lang}-{width}.png"), full_page=True)
            page.context.close()

        # A viewer reads the fund without the form and without the buttons
        page = page_as(browser, server, "vera@angeli.example", "it", 1280)
        page.goto(f"/console/funds/{natale}?lang=it")
        expect(page.locator("#spent tbody")).to_contain_text("Fattura 2026/117")
        expect(page.locator("#disburse-form")).to_be_hidden()
        page.goto("/console/funds?lang=it")
        expect(page.locator("#read-only")).to_be_visible()
        expect(page.locator("#funds tbody button")).to_have_count(0)
        page.context.close()

        # A browser without server-sent events polls instead, and still sees a payment without reloading
        page = page_as(browser, server, "vera@angeli.example", "it", 1280)
        page.add_init_script("delete window.EventSource")
        page.goto("/console/funds?lang=it")
        expect(page.locator("#fu-mode")).to_have_text("Aggiornato ogni 5 secondi")
        raised = page.locator("#funds tbody tr", has_text="Fondo Natale").locator("td.raised")
        expect(raised).to_have_text("200,00 €")
        paid(server, api.post("/pledges", json={"donor_id": giulia, "fund_id": natale, "amount": "10.00"})
             .json()["id"], "10.00", "CRO-0004")
        expect(raised).to_have_text("210,00 €", timeout=7000)
        page.context.close()
