"""The donors page in Chromium: Carla of the donations office finds the donor Giulia by phone, opens her page (her
details, pledges with payments, a reversal and goods, her receipt voided by the reversal with its PDF, her monthly
SEPA gift, consents per channel, the campaign that called her with the call's outcome and notes), is told what is
wrong with a bad search and a bad new donor, and registers one with consents; the administrator also sees the access
trail of Giulia's record. Screenshots at 1280 and 390 px, Italian and English."""

from __future__ import annotations

import re
import time
from datetime import timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient
from playwright.sync_api import Browser, Page, expect

from tests.campaigns.conftest import SCRIPT
from tests.conftest import RoleClient
from tests.console.conftest import ADMIN, Server, fits
from tests.console.test_accessibility import Controls

pytestmark = pytest.mark.slow
ROME = ZoneInfo("Europe/Rome")
NOTES = "Dona già a un'altra associazione; richiamare a Pasqua"
PASSWORD = "una-password-lunga"
GIULIA = {"kind": "person", "name": "Giulia Niccolò Rossi", "phone": "+39 333 123 4567",
          "email": "giulia.rossi@example.org", "tax_code": "RSSGLI80A41F205X",
          "consents": [{"channel": "phone", "source": "telefonata del 2 dicembre"}]}
TEXTS = {
    "it": {"by_phone": "Telefono", "search": "Cerca", "found": "Donatori trovati: 1", "fulfilled": "saldata",
           "partly": "pagata in parte", "reversed": "stornati", "valid": "valido", "empty": "Scrivi che cosa cercare",
           "register": "Registra il donatore", "registered": "Donatore registrato", "trail": "Registro degli accessi",
           "bank": "bonifico", "outcome": "Non interessato", "monthly": "mensile", "voided": "annullata il",
           "new_pledge": "Nuova promessa per questo donatore"},
    "en": {"by_phone": "Phone", "search": "Search", "found": "Donors found: 1", "fulfilled": "fulfilled",
           "partly": "partly paid", "reversed": "reversed", "valid": "valid", "empty": "Type what to search for",
           "register": "Register the donor", "registered": "Donor registered", "trail": "Access trail",
           "bank": "bank transfer", "outcome": "Not interested", "monthly": "monthly", "voided": "void since",
           "new_pledge": "New pledge for this donor"},
}


@pytest.mark.parametrize("lang", ["it", "en"])
@pytest.mark.parametrize("path", ["/console/donors", "/console/donors/6a0f5d2e-1111-4c2b-9b55-000000000003"])
def test_every_control_of_the_donor_pages_has_a_label(page_reader: TestClient, lang: str, path: str) -> None:
    page = page_reader.get(path, headers={"Accept-Language": lang})
    assert page.status_code == 200 and page.headers["content-language"] == lang
    assert f'href="/console/donors?lang={lang}" aria-current="page"' in page.text
    controls = Controls()
    controls.feed(page.text)
    assert controls.unlabelled() == [] and controls.problems == []


def test_a_donor_page_with_a_bad_id_is_refused(client: TestClient) -> None:
    assert client.get("/console/donors/giulia").status_code == 422


def test_a_coordinator_reads_a_donors_page_without_receipts_or_regular_gifts(client_as: RoleClient) -> None:
    donor = "6a0f5d2e-1111-4c2b-9b55-000000000003"
    coordinator = client_as("coordinator").get(f"/console/donors/{donor}?lang=en").text
    manager = client_as("campaign_manager").get(f"/console/donors/{donor}?lang=en").text
    assert 'id="receipts-not-yours"' in coordinator and 'id="receipts"' not in coordinator
    assert 'id="receipts"' in manager and 'id="regular-gifts"' in manager and "not-yours" not in manager
    assert 'id="contacts"' in coordinator and 'id="contacts"' in manager


def called_and_giving(server: Server, giulia: str, fund: str) -> str:
    """Giulia gives €10 a month by SEPA, and the campaign "Natale solidale" called her: she was not interested.
    Returns the campaign's id, once her page's data (the receipt, the call's outcome) has caught up."""
    api, day = server.api, server.started_at.astimezone(ROME).date()
    ok(api.post("/commitments", json={"donor_id": giulia, "fund_id": fund, "amount": "10.00", "frequency": "monthly",
                                      "day": 5, "start": str(day), "mandate_reference": "IT-ANG-0001",
                                      "mandate_signed_on": str(day)}))
    ok(api.post("/suppression/register", files={"file": ("rpo.csv", b"phone\n", "text/csv")},
                data={"checked_on": str(day)}))
    campaign = ok(api.post("/campaigns", json={"name": "Natale solidale", "fund_id": fund, "goal": "5000.00",
                                               "starts_on": str(day), "ends_on": str(day + timedelta(days=30)),
                                               "script": SCRIPT}))["id"]
    ok(api.post(f"/campaigns/{campaign}/contacts/import",
                files={"file": ("donatori.csv", b"nome;telefono\nGiulia;333 123 4567\n", "text/csv")}))
    ok(api.post(f"/campaigns/{campaign}/launch"))
    volunteer = ok(api.post("/volunteers", json={"full_name": "Sara Verdi", "phone": "+39 02 5550 1234",
                                                 "email": "sara@angeli.example", "roles": ["outreach"]}))["id"]
    ok(api.post(f"/volunteers/{volunteer}/clock-in"))
    offer = until(lambda: ok(api.post(f"/campaigns/{campaign}/dialer/next", json={"volunteer_id": volunteer}))["offer"])
    call = ok(api.post("/calls", json={"volunteer_id": volunteer, "direction": "outbound", "campaign_id": campaign,
                                       "contact_id": offer["contact_id"]}))["id"]
    ok(api.post(f"/calls/{call}/connect"))
    ok(api.post(f"/calls/{call}/end", json={"disposition": "not_interested", "notes": NOTES}))
    until(lambda: any(c["attempts"] for c in ok(api.get(f"/donors/{giulia}/contacts"))["contacts"]))
    until(lambda: ok(api.get(f"/donors/{giulia}/receipts")))
    return str(campaign)


def ok(response: Any) -> Any:
    assert response.status_code < 300, response.text
    return response.json()


def until(probe: Any, seconds: float = 10.0) -> Any:
    deadline = time.monotonic() + seconds
    while not (found := probe()):
        assert time.monotonic() < deadline, "the projections did not catch up"
        time.sleep(0.1)
    return found


def sign_in(browser: Browser, server: Server, email: str, password: str, lang: str, width: int, path: str) -> Page:
    page = browser.new_page(base_url=server.url, viewport={"width": width, "height": 900},
                            locale="it-IT" if lang == "it" else "en-GB")
    page.goto(f"/console/login?lang={lang}&next={path}")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password").fill(password)
    page.locator("form button[type=submit]").click()
    page.wait_for_url(re.compile(path))
    return page


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
    campaign = called_and_giving(server, giulia, fund)
    year = server.started_at.astimezone(ROME).year

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
        # her receipt, voided by the reversal, with its PDF; her monthly gift; the campaign that called her
        expect(page.locator("#receipts tbody tr")).to_have_count(1)
        expect(page.locator("#receipts tbody")).to_contain_text(f"{year}-000001")
        expect(page.locator("#receipts tbody")).to_contain_text(text["voided"])
        expect(page.locator(f'#receipts a[href="/receipts/{year}/{year}-000001.pdf?lang={lang}"]')).to_have_count(1)
        expect(page.locator("#regular-gifts > li")).to_have_count(1)
        expect(page.locator("#regular-gifts")).to_contain_text("IT-ANG-0001")
        expect(page.locator("#regular-gifts")).to_contain_text(text["monthly"])
        expect(page.locator(f'a#regular-open[href^="/console/regular?donor={giulia}"]')).to_have_count(1)
        expect(page.get_by_role("link", name=text["new_pledge"])).to_have_attribute(
            "href", f"/console/pledges/new?donor={giulia}&lang={lang}")
        expect(page.locator("#contacts > li")).to_have_count(1)
        expect(page.locator("#contacts")).to_contain_text("Natale solidale")
        expect(page.locator("#contacts .attempts li")).to_contain_text(text["outcome"])
        expect(page.locator("#contacts .attempts .notes")).to_contain_text(NOTES)
        expect(page.locator(f'#contacts a[href^="/console/campaigns/{campaign}"]')).to_have_count(1)
        fits(page)
        page.screenshot(path=str(artifacts / f"donor-page-{tag}.png"), full_page=True)

        if index == 0:  # "set up a regular gift" opens regular giving on Giulia, her id in the new gift's form
            page.locator("#regular-new").click()
            page.wait_for_url(re.compile("/console/regular"))
            expect(page.locator("#regular[data-ready]")).to_be_attached()
            expect(page.locator("#new-donor")).to_have_value(giulia)
            expect(page.locator("#commitments > li")).to_have_count(1)

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
