"""The donors page in Chromium: Carla of the donations office finds the donor Giulia by phone, opens her page (her
details, pledges with payments, a reversal and goods, consents per channel), is told what is wrong with a bad
search and a bad new donor, and registers one with consents; the administrator also sees the access trail of
Giulia's record. Screenshots at 1280 and 390 px, Italian and English."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from playwright.sync_api import Browser, Page, expect

from tests.console.conftest import ADMIN, Server
from tests.console.test_accessibility import Controls

pytestmark = pytest.mark.slow
PASSWORD = "una-password-lunga"
GIULIA = {"kind": "person", "name": "Giulia Niccolò Rossi", "phone": "+39 333 123 4567",
          "email": "giulia.rossi@example.org", "tax_code": "RSSGLI80A41F205X",
          "consents": [{"channel": "phone", "source": "telefonata del 2 dicembre"}]}
TEXTS = {
    "it": {"by_phone": "Telefono", "search": "Cerca", "found": "Donatori trovati: 1", "fulfilled": "onorata",
           "partly": "pagata in parte", "reversed": "stornati", "valid": "valido", "empty": "Scrivi che cosa cercare",
           "register": "Registra il donatore", "registered": "Donatore registrato", "trail": "Registro degli accessi",
           "bank": "bonifico"},
    "en": {"by_phone": "Phone", "search": "Search", "found": "Donors found: 1", "fulfilled": "fulfilled",
           "partly": "partly paid", "reversed": "reversed", "valid": "valid", "empty": "Type what to search for",
           "register": "Register the donor", "registered": "Donor registered", "trail": "Access trail",
           "bank": "bank transfer"},
}


@pytest.mark.parametrize("lang", ["it", "en"])
@pytest.mark.parametrize("path", ["/console/donors", "/console/donors/6a0f5d2e-1111-4c2b-9b55-000000000003"])
def test_every_control_of_the_donor_pages_has_a_label(client: TestClient, lang: str, path: str) -> None:
    page = client.get(path, headers={"Accept-Language": lang})
    assert page.status_code == 200 and page.headers["content-language"] == lang
    assert f'href="/console/donors?lang={lang}" aria-current="page"' in page.text
    controls = Controls()
    controls.feed(page.text)
    assert controls.unlabelled() == [] and controls.problems == []


def test_a_donor_page_with_a_bad_id_is_refused(client: TestClient) -> None:
    assert client.get("/console/donors/giulia").status_code == 422


def sign_in(browser: Browser, server: Server, email: str, password: str, lang: str, width: int, path: str) -> Page:
    page = browser.new_page(base_url=server.url, viewport={"width": width, "height": 900},
                            locale="it-IT" if lang == "it" else "en-GB")
    page.goto(f"/console/login?lang={lang}&next={path}")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password").fill(password)
    page.locator("form button[type=submit]").click()
    page.wait_for_url(re.compile(path))
    return page


def fits(page: Page) -> None:
    width = page.viewport_size["width"] if page.viewport_size else 0
    assert page.evaluate("document.documentElement.scrollWidth") <= width, "wider than the screen"


def test_the_office_finds_giulia_by_phone_and_opens_her_page(browser: Browser, server: Server, artifacts: Path) -> None:
    api = server.api
    assert api.post("/auth/accounts", json={"email": "carla@angeli.example", "password": PASSWORD,
                                            "role": "campaign_manager"}).status_code == 201
    giulia = api.post("/donors", json=GIULIA).json()["id"]
    api.post("/donors", json={"kind": "person", "name": "Giulia Bianchi", "phone": "+39 02 1234 5678"})
    fund = api.post("/funds", json={"name": "Fondo famiglie"}).json()["id"]
    pledge = api.post("/pledges", json={"donor_id": giulia, "fund_id": fund, "amount": "50.00"}).json()["id"]
    paid = api.post(f"/pledges/{pledge}/payments", json={"amount": "50.00", "method": "bank_transfer",
                                                         "reference": "CRO 0001"}).json()["payment_id"]
    api.post(f"/pledges/{pledge}/payments/{paid}/reversals", json={"amount": "10.00", "reason": "rimborso"})
    monthly = api.post("/pledges", json={"donor_id": giulia, "fund_id": fund, "amount": "120.00"}).json()["id"]
    api.post(f"/pledges/{monthly}/payments", json={"amount": "20.00", "method": "card", "reference": "ch_1"})
    goods = api.post("/pledges", json={"donor_id": giulia, "fund_id": fund, "kind": "goods", "amount": "90.00",
                                       "description": "coperte di lana", "quantity": 3}).json()["id"]
    api.post(f"/pledges/{goods}/goods", json={"quantity": 1})

    runs = [("it", 1280), ("en", 1280), ("it", 390), ("en", 390)]
    for index, (lang, width) in enumerate(runs):
        text, tag = TEXTS[lang], f"{lang}-{width}"
        page = sign_in(browser, server, "carla@angeli.example", PASSWORD, lang, width, "/console/donors")
        expect(page.locator("#donors[data-ready]")).to_be_attached()

        # An empty search, then a number that is no number: she is told what to type, nothing is searched
        page.get_by_role("button", name=re.compile(text["search"])).click()
        expect(page.locator("#flash")).to_contain_text(text["empty"])
        page.locator("#by").select_option("phone")
        page.locator("#q").fill("chiamami")
        page.locator("#q").press("Enter")
        expect(page.locator("#flash")).to_contain_text("cannot be read")

        # She finds Giulia by phone, written the way Giulia said it
        page.locator("#q").fill("333 123 4567")
        page.locator("#q").press("Enter")
        expect(page.locator("#found")).to_have_text(text["found"])
        result = page.locator("#results a")
        expect(result).to_have_text("Giulia Niccolò Rossi")
        expect(result).to_be_focused()
        fits(page)
        page.screenshot(path=str(artifacts / f"donors-search-{tag}.png"), full_page=True)

        # and opens her page
        page.keyboard.press("Enter")
        page.wait_for_url(re.compile(f"/console/donors/{giulia}"))
        expect(page.locator("#donor[data-ready]")).to_be_attached()
        expect(page.locator("#r-name")).to_have_text("Giulia Niccolò Rossi")
        expect(page.locator("#r-phone")).to_have_text("+39 333 123 4567")
        expect(page.locator("#r-tax_code")).to_have_text("RSSGLI80A41F205X")
        expect(page.locator("#pledges > li")).to_have_count(3)
        expect(page.locator("#pledges")).to_contain_text("coperte di lana")
        expect(page.locator("#pledges")).to_contain_text(text["reversed"])
        expect(page.locator("#pledges")).to_contain_text(text["bank"])
        expect(page.locator("#pledges .badge.status-partially_paid")).to_have_count(3)
        expect(page.locator(f'#pledges a[href^="/console/pledges/{pledge}"]')).to_have_count(1)
        expect(page.locator(f'a[href^="/console/privacy?person={giulia}"]')).to_have_count(1)
        expect(page.locator("#consents tbody tr")).to_have_count(1)
        expect(page.locator("#consents tbody")).to_contain_text(text["valid"])
        expect(page.locator("#trail")).to_have_count(0)  # the trail is the administrator's
        assert page.locator("#t-paid").inner_text().replace("\u00a0", " ") in ("60,00 €", "€60.00")
        fits(page)
        page.screenshot(path=str(artifacts / f"donor-page-{tag}.png"), full_page=True)

        if index == 0:  # a new donor: a bad phone is refused and nothing stored, then registered with consents
            page.goto(f"/console/donors?lang={lang}")
            expect(page.locator("#donors[data-ready]")).to_be_attached()
            page.locator("#new-name").fill("Luca Verdi")
            page.locator("#new-phone").fill("chiamami")
            page.get_by_role("button", name=text["register"]).click()
            expect(page.locator("#flash")).to_contain_text("cannot be read")
            page.locator("#new-phone").fill("02 9876 5432")
            page.get_by_label("E-mail").nth(1).check()  # the e-mail consent box (the first is the e-mail field)
            page.get_by_role("button", name=text["register"]).click()
            expect(page.locator("#flash")).to_contain_text("3 ")
            page.locator("#new-source").fill("modulo cartaceo")
            page.get_by_role("button", name=text["register"]).click()
            expect(page.locator("#flash")).to_contain_text(text["registered"])
            assert api.get("/donors", params={"by": "phone", "q": "+39 02 9876 5432"}).json()["total"] == 1
        page.context.close()

    # The administrator sees who read Giulia's record, and why
    page = sign_in(browser, server, ADMIN["email"], ADMIN["password"], "it", 1280, f"/console/donors/{giulia}")
    expect(page.locator("#donor[data-ready]")).to_be_attached()
    expect(page.get_by_role("heading", name=TEXTS["it"]["trail"])).to_be_visible()
    expect(page.locator("#trail tbody")).to_contain_text("carla@angeli.example")
    expect(page.locator("#trail tbody")).to_contain_text("donor search by phone")
    page.screenshot(path=str(artifacts / "donor-page-trail-it-1280.png"), full_page=True)
    page.context.close()
