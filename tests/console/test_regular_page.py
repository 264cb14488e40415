"""The regular-giving page in Chromium: campaign manager Marta sets up Giulia's €10 monthly SEPA gift (after a bad
amount is refused and nothing stored), sees this month's gift paid once the bank's payment with the mandate arrives,
raises the amount from next month, pauses and resumes it, and reads expected against received income; auditor
Paolo reads the same page without its forms. Screenshots at 1280 and 390 px, Italian and English."""

from __future__ import annotations

import re
import time
from datetime import date
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient
from playwright.sync_api import Browser, Page, expect

from tests.console.conftest import Server, fits
from tests.console.test_accessibility import Controls

pytestmark = pytest.mark.slow
PASSWORD = "una-password-lunga"
ROME = ZoneInfo("Europe/Rome")
TEXTS = {
    "it": {"set_up": "Registra la donazione regolare", "active": "attiva", "paid": "pagato", "upcoming": "a venire",
           "change": "Cambia l'importo", "pause": "Sospendi", "paused": "sospesa", "resume": "Riprendi",
           "show": "Mostra gli impegni", "read_only": "Sola lettura", "amount": "10,00\xa0€", "raised": "15,00\xa0€",
           "decimals": "Importo: al massimo due decimali (i centesimi)."},
    "en": {"set_up": "Set up the regular gift", "active": "active", "paid": "paid", "upcoming": "upcoming",
           "change": "Change the amount", "pause": "Pause", "paused": "paused", "resume": "Resume",
           "show": "Show the commitments", "read_only": "Read only", "amount": "€10.00", "raised": "€15.00",
           "decimals": "Amount: at most two decimals (cents)."},
}


@pytest.mark.parametrize("lang", ["it", "en"])
def test_every_control_of_the_regular_giving_page_has_a_label(page_reader: TestClient, lang: str) -> None:
    page = page_reader.get("/console/regular", headers={"Accept-Language": lang})
    assert page.status_code == 200 and page.headers["content-language"] == lang
    assert f'href="/console/regular?lang={lang}" aria-current="page"' in page.text
    controls = Controls()
    controls.feed(page.text)
    assert controls.unlabelled() == []
    assert controls.problems == []


def sign_in(browser: Browser, server: Server, email: str, lang: str, width: int, path: str) -> Page:
    page = browser.new_page(base_url=server.url, viewport={"width": width, "height": 900},
                            locale="it-IT" if lang == "it" else "en-GB")
    page.goto(f"/console/login?lang={lang}&next={path}")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.locator("form button[type=submit]").click()
    page.wait_for_url(re.compile("/console/regular"))
    return page


def test_a_campaign_manager_keeps_a_monthly_gift_and_an_auditor_reads_it(
        browser: Browser, server: Server, artifacts: Path) -> None:
    api = server.api
    for email, role in (("marta@angeli.example", "campaign_manager"), ("paolo@angeli.example", "auditor")):
        assert api.post("/auth/accounts", json={"email": email, "password": PASSWORD, "role": role}).status_code == 201
    fund = api.post("/funds", json={"name": "Fondo famiglie in difficoltà"}).json()["id"]
    deadline = time.monotonic() + 20
    while fund not in {f["fund_id"] for f in api.get("/transparency/funds").json()["funds"]}:
        assert time.monotonic() < deadline, "the fund never reached the read model"
        time.sleep(0.2)
    today = server.started_at.astimezone(ROME).date()
    first = today.replace(day=1)
    next_month = date(first.year + first.month // 12, first.month % 12 + 1, 1)

    for lang, width in (("it", 1280), ("en", 1280), ("it", 390), ("en", 390)):
        text, tag = TEXTS[lang], f"{lang}-{width}"
        giulia = api.post("/donors", json={"kind": "person", "name": f"Giulia {tag}"}).json()["id"]
        mandate = f"ANG-{tag}".upper()
        page = sign_in(browser, server, "marta@angeli.example", lang, width, "/console/regular")
        expect(page.locator("#regular[data-ready]")).to_be_attached()

        # A bad amount is refused with the reason, and nothing is stored
        page.locator("#new-donor").fill(giulia)
        page.locator("#new-fund").select_option(fund)
        page.locator("#new-amount").fill("10,005")
        page.locator("#new-day").fill("5")
        page.locator("#new-start").fill(first.isoformat())
        page.locator("#new-mandate").fill(mandate)
        page.locator("#new-signed").fill(first.isoformat())
        page.get_by_role("button", name=text["set_up"]).click()
        # (in the page's language: the page judges the amount before the API would, in English)
        expect(page.locator("#flash")).to_have_text(text["decimals"])
        expect(page.locator("#new-amount")).to_be_focused()
        assert api.get(f"/donors/{giulia}/commitments").json() == []

        # She sets up €10 a month from the keyboard
        page.locator("#new-amount").fill("10,00")
        page.locator("#new-signed").press("Enter")
        commitment = page.locator("#commitments > li").first
        expect(commitment).to_contain_text(text["active"])
        expect(commitment.locator("h3")).to_be_focused()
        expect(commitment.locator("tbody tr").first).to_contain_text(text["amount"])
        cid = api.get(f"/donors/{giulia}/commitments").json()[0]["id"]

        # The bank's payment carrying the mandate pays this month's gift
        pledge = api.post("/pledges", json={"donor_id": giulia, "fund_id": fund, "amount": "10.00"}).json()["id"]
        paid = api.post(f"/pledges/{pledge}/payments", json={"amount": "10.00", "method": "sepa",
                                                             "reference": f"SDD-{tag}", "mandate_reference": mandate})
        assert paid.status_code == 201, paid.text
        page.get_by_role("button", name=text["show"]).click()
        expect(page.locator(f"#c-{cid} tbody tr").first).to_contain_text(text["paid"])

        # She raises it to €15 from next month, then pauses and resumes it
        page.locator(f"#c-{cid}-amount").fill("15,00")
        page.locator(f"#c-{cid}-from").fill(next_month.isoformat())
        page.get_by_role("button", name=text["change"]).click()
        expect(page.locator(f"#c-{cid} tbody tr").nth(1)).to_contain_text(text["raised"])
        page.get_by_role("button", name=re.compile(f"^{text['pause']}")).click()
        expect(page.locator(f"#c-{cid} h3")).to_contain_text(text["paused"])
        page.get_by_role("button", name=re.compile(f"^{text['resume']}")).click()
        expect(page.locator(f"#c-{cid} h3")).to_contain_text(text["active"])
        assert api.get(f"/commitments/{cid}").json()["amounts"][-1] == {"effective_from": next_month.isoformat(),
                                                                         "amount": "15.00"}

        # and reads this month's expected against received income
        page.locator("#income-from").fill(first.isoformat()[:7])
        page.locator("#income-from").press("Enter")
        expect(page.locator("#income tbody")).to_contain_text("Fondo famiglie in difficoltà")
        fits(page)
        page.screenshot(path=str(artifacts / f"regular-manager-{tag}.png"), full_page=True)
        page.close()

    # Paolo, auditor, reads the page without its forms
    for lang, width in (("it", 390), ("en", 1280)):
        page = sign_in(browser, server, "paolo@angeli.example", lang, width, "/console/regular")
        expect(page.locator("#regular[data-ready]")).to_be_attached()
        expect(page.locator("#read-only")).to_contain_text(TEXTS[lang]["read_only"])
        expect(page.locator("#new-form")).to_be_hidden()
        page.locator("#donor").fill(giulia)
        page.locator("#donor").press("Enter")
        expect(page.locator("#commitments > li")).to_have_count(1)
        expect(page.get_by_role("button", name=re.compile(TEXTS[lang]["pause"]))).to_have_count(0)
        fits(page)
        page.screenshot(path=str(artifacts / f"regular-auditor-{lang}-{width}.png"), full_page=True)
        page.close()
