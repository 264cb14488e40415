"""The gift pages in Chromium: Paola of the donations office makes a €100 pledge for Giulia, records a €50 bank
transfer (after a typing mistake the form refuses, storing nothing), sees the same reference refused as a duplicate,
reverses the transfer; checks a PayPal export with one duplicate and one bad line (nothing stored), imports it, and
checks it again (nothing left to import); reads the overdue instalments by age and opens a pledge from them.
Screenshots at 1280 and 390 px, Italian and English."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from playwright.sync_api import Browser, Page, expect

from tests.conftest import ROME
from tests.console.conftest import Server, fits, until
from tests.console.test_accessibility import Controls

PASSWORD = "una-password-lunga"
PAGES = ["/console/pledges/new", "/console/pledges/6a0f5d2e-1111-4c2b-9b55-000000000001", "/console/gifts/import",
         "/console/gifts/overdue"]
TEXTS = {
    "it": {"nav": "Doni", "make": "Registra la promessa", "record": "Registra un pagamento", "reverse": "Storna",
           "reverse_form": "Storna un pagamento", "decimals": "al massimo due decimali", "recorded": "registrato",
           "duplicate": "non è stato registrato nulla", "too_big": "supera quanto resta", "check": "Controlla",
           "import": "Importa", "preview": "nulla è stato ancora registrato", "done": "Importazione eseguita",
           "same_file": "è già alla riga 2", "bad_amount": "più di due decimali", "nothing_new": "nulla di nuovo",
           "overdue": "in ritardo", "fulfilled": "saldata", "partly": "pagata in parte", "instalment": "rata 1"},
    "en": {"nav": "Gifts", "make": "Record the pledge", "record": "Record a payment", "reverse": "Reverse",
           "reverse_form": "Reverse a payment", "decimals": "at most two decimals", "recorded": "recorded",
           "duplicate": "nothing new was recorded", "too_big": "more than what is left", "check": "Check",
           "import": "Import", "preview": "nothing recorded yet", "done": "Import done",
           "same_file": "is on line 2 too",
           "bad_amount": "more than two decimals", "nothing_new": "nothing new", "overdue": "overdue",
           "fulfilled": "fulfilled", "partly": "partly paid", "instalment": "instalment 1"},
}


@pytest.mark.parametrize("lang", ["it", "en"])
@pytest.mark.parametrize("path", PAGES)
def test_every_control_of_the_gift_pages_has_a_label(page_reader: TestClient, path: str, lang: str) -> None:
    page = page_reader.get(path, headers={"Accept-Language": lang})
    assert page.status_code == 200 and page.headers["content-language"] == lang
    controls = Controls()
    controls.feed(page.text)
    assert controls.unlabelled() == []
    assert controls.problems == []


def test_the_gifts_link_is_current_on_every_gift_page(client: TestClient) -> None:
    for path in PAGES:
        html = client.get(f"{path}?lang=en").text
        assert 'href="/console/gifts/overdue?lang=en" aria-current="page">Gifts</a>' in html


def sign_in(browser: Browser, server: Server, lang: str, width: int, path: str) -> Page:
    page = browser.new_page(base_url=server.url, viewport={"width": width, "height": 900},
                            locale="it-IT" if lang == "it" else "en-GB")
    page.goto(f"/console/login?lang={lang}&next=/console/gifts/overdue")
    page.get_by_label("E-mail").fill("paola@angeli.example")
    page.get_by_label("Password").fill(PASSWORD)
    page.locator("form button[type=submit]").click()
    page.wait_for_url(re.compile(r"/console/gifts/overdue\?lang="))
    page.goto(path)
    return page


def paypal(fund: str) -> bytes:
    return ("donor_name,donor_email,fund_id,amount,currency,method,reference,received_at\n"
            f"Luca Bianchi,luca@example.org,{fund},25.00,EUR,paypal,PAYID-7Q1,2026-11-20T09:30:00+01:00\n"
            f"Luca Bianchi,luca@example.org,{fund},25.00,EUR,paypal,PAYID-7Q1,2026-11-20T09:30:00+01:00\n"
            f"Sara Verdi,sara@example.org,{fund},12.345,EUR,paypal,PAYID-7Q2,2026-11-20T10:30:00+01:00\n").encode()


@pytest.mark.slow
def test_the_donations_office_records_reverses_imports_and_chases_gifts(
        browser: Browser, server: Server, artifacts: Path) -> None:
    api = server.api
    assert api.post("/auth/accounts", json={"email": "paola@angeli.example", "password": PASSWORD,
                                            "role": "campaign_manager"}).status_code == 201
    fund = api.post("/funds", json={"name": "Fondo famiglie"}).json()["id"]
    giulia = api.post("/donors", json={"kind": "person", "name": "Giulia Rossi"}).json()["id"]
    today = server.started_at.astimezone(ROME).date()
    late = api.post("/pledges", json={"donor_id": giulia, "fund_id": fund, "amount": "150.00", "instalments": [
        {"due_on": (today - timedelta(days=100)).isoformat(), "amount": "50.00"},
        {"due_on": (today - timedelta(days=40)).isoformat(), "amount": "50.00"},
        {"due_on": (today + timedelta(days=30)).isoformat(), "amount": "50.00"}]}).json()["id"]
    until(lambda: any(f["fund_id"] == fund for f in api.get("/transparency/funds").json()["funds"]), "the fund listed")
    until(lambda: api.get("/instalments/overdue").json()["instalments"], "the overdue instalments")

    # Paola makes a €100 pledge for Giulia, from the link on Giulia's page
    text = TEXTS["it"]
    page = sign_in(browser, server, "it", 1280, f"/console/pledges/new?donor={giulia}&lang=it")
    expect(page.locator("#new-pledge[data-ready]")).to_be_attached()
    expect(page.locator("#donor-name")).to_contain_text("Giulia Rossi")
    expect(page.get_by_role("link", name=text["nav"], exact=True)).to_have_attribute("aria-current", "page")
    page.locator("#fund").select_option(fund)
    page.locator("#amount").fill("100,00")
    fits(page)
    page.screenshot(path=str(artifacts / "gifts-new-pledge-it-1280.png"), full_page=True)
    page.get_by_role("button", name=text["make"]).click()
    page.wait_for_url(re.compile(r"/console/pledges/[0-9a-f-]{36}"))
    pledge = page.url.split("/console/pledges/")[1].split("?")[0]
    expect(page.locator("#pledge[data-ready]")).to_be_attached()

    # A typing mistake: the form says what is wrong, in Italian, and stores nothing
    page.locator("#pay-amount").fill("50,005")
    page.locator("#pay-reference").fill("CRO-0001")
    page.get_by_role("button", name=text["record"]).click()
    expect(page.locator("#flash")).to_contain_text(text["decimals"])
    expect(page.locator("#pay-amount")).to_be_focused()
    assert api.get(f"/pledges/{pledge}").json()["payments"] == []

    # The €50 bank transfer
    page.locator("#pay-amount").fill("50")
    page.locator("#pay-method").select_option("bank_transfer")
    page.locator("#pay-reference").fill("CRO-0001")
    page.get_by_role("button", name=text["record"]).click()
    expect(page.locator("#flash")).to_contain_text(text["recorded"])
    expect(page.locator("#payments tbody tr")).to_have_count(1)
    expect(page.locator("#status")).to_have_text(text["partly"])

    # The same statement line again: refused as a duplicate, nothing recorded
    page.locator("#pay-amount").fill("50")
    page.locator("#pay-method").select_option("bank_transfer")
    page.locator("#pay-reference").fill("CRO-0001")
    page.get_by_role("button", name=text["record"]).click()
    expect(page.locator("#flash")).to_contain_text(text["duplicate"])
    assert len(api.get(f"/pledges/{pledge}").json()["payments"]) == 1
    expect(page.locator("#payments tbody tr")).to_have_count(1)

    # The bank charges it back: more than the payment is refused, then the whole of it is reversed
    page.locator("#payments tbody tr").first.get_by_role("button", name=re.compile(text["reverse"])).click()
    expect(page.locator("#reverse-title")).to_be_focused()
    page.locator("#rev-amount").fill("60")
    page.locator("#rev-reason").fill("contestazione della banca")
    page.get_by_role("button", name=text["reverse_form"]).click()
    expect(page.locator("#flash")).to_contain_text(text["too_big"])
    page.locator("#rev-amount").fill("50,00")
    page.get_by_role("button", name=text["reverse_form"]).click()
    expect(page.locator("#reversals tbody tr")).to_have_count(1)
    expect(page.locator("#reversals tbody")).to_contain_text("chargeback: contestazione della banca")
    assert api.get(f"/pledges/{pledge}").json()["paid"] == "0.00"
    assert api.get(f"/funds/{fund}").json()["balance"] == "0.00"
    fits(page)
    page.screenshot(path=str(artifacts / "gifts-pledge-it-1280.png"), full_page=True)

    # A PayPal export with a duplicate and a bad line: checked (nothing stored), imported, checked again
    page.goto("/console/gifts/import?lang=it")
    expect(page.locator("#gift-import[data-ready]")).to_be_attached()
    page.set_input_files("#csv", files=[{"name": "paypal.csv", "mimeType": "text/csv", "buffer": paypal(fund)}])
    page.get_by_role("button", name=text["check"], exact=True).click()
    expect(page.locator("#report-title")).to_contain_text(text["preview"])
    expect(page.locator("#report-title")).to_be_focused()
    lines = page.locator("#report-lines tbody tr")
    expect(lines).to_have_count(2)
    expect(lines.nth(0)).to_contain_text(text["same_file"])
    expect(lines.nth(1)).to_contain_text(text["bad_amount"])
    assert api.get(f"/funds/{fund}").json()["balance"] == "0.00"
    fits(page)
    page.screenshot(path=str(artifacts / "gifts-import-preview-it-1280.png"), full_page=True)
    page.get_by_role("button", name=text["import"], exact=True).click()
    expect(page.locator("#report-title")).to_have_text(text["done"])
    expect(page.locator("#report-counts")).to_contain_text("1")
    assert api.get(f"/funds/{fund}").json()["balance"] == "25.00"
    page.get_by_role("button", name=text["check"], exact=True).click()
    expect(page.locator("#flash")).to_contain_text(text["nothing_new"])
    expect(page.get_by_role("button", name=text["import"], exact=True)).to_be_disabled()
    again = api.post("/donations/import", files={"file": ("paypal.csv", paypal(fund), "text/csv")}).json()
    assert (again["imported"], again["duplicates"], again["rejected"]) == (0, 2, 1)
    assert api.get(f"/funds/{fund}").json()["balance"] == "25.00"
    page.screenshot(path=str(artifacts / "gifts-import-again-it-1280.png"), full_page=True)

    # The overdue instalments by age; one opens its pledge
    page.goto("/console/gifts/overdue?lang=it")
    expect(page.locator("#overdue[data-ready]")).to_be_attached()
    expect(page.locator("#list tbody tr")).to_have_count(2)
    expect(page.locator("#ages tbody tr").nth(1)).to_contain_text("1")
    expect(page.locator("#ages tbody tr").nth(3)).to_contain_text("1")
    fits(page)
    page.screenshot(path=str(artifacts / "gifts-overdue-it-1280.png"), full_page=True)
    page.locator("#list tbody tr").first.get_by_role("link", name=re.compile(text["instalment"])).click()
    page.wait_for_url(re.compile(f"/console/pledges/{late}"))
    expect(page.locator("#status")).to_have_text(text["overdue"])
    expect(page.locator("#instalments tbody tr")).to_have_count(3)
    page.close()

    # Every gift page in the other language and on a phone
    for lang, width in (("en", 1280), ("it", 390), ("en", 390)):
        text, tag = TEXTS[lang], f"{lang}-{width}"
        page = sign_in(browser, server, lang, width, f"/console/pledges/{pledge}?lang={lang}")
        expect(page.locator("#pledge[data-ready]")).to_be_attached()
        expect(page.locator("#reversals tbody tr")).to_have_count(1)
        fits(page)
        page.screenshot(path=str(artifacts / f"gifts-pledge-{tag}.png"), full_page=True)
        page.goto(f"/console/pledges/new?donor={giulia}&lang={lang}")
        expect(page.locator("#new-pledge[data-ready]")).to_be_attached()
        page.get_by_label({"it": "Denaro, a rate", "en": "Money, in instalments"}[lang]).check()
        page.locator("#amount").fill("120")
        expect(page.locator("#schedule tbody tr")).to_have_count(3)
        fits(page)
        page.screenshot(path=str(artifacts / f"gifts-new-pledge-{tag}.png"), full_page=True)
        page.goto(f"/console/gifts/import?lang={lang}")
        expect(page.locator("#gift-import[data-ready]")).to_be_attached()
        page.set_input_files("#csv", files=[{"name": "paypal.csv", "mimeType": "text/csv", "buffer": paypal(fund)}])
        page.get_by_role("button", name=text["check"], exact=True).click()
        expect(page.locator("#report-lines tbody tr")).to_have_count(3)
        fits(page)
        page.screenshot(path=str(artifacts / f"gifts-import-{tag}.png"), full_page=True)
        page.goto(f"/console/gifts/overdue?lang={lang}")
        expect(page.locator("#list tbody tr")).to_have_count(2)
        fits(page)
        page.screenshot(path=str(artifacts / f"gifts-overdue-{tag}.png"), full_page=True)
        page.close()
