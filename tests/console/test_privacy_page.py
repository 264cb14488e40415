"""The privacy desk in Chromium: administrator Anna opens a donor who gave from the link the donor search will give
(?person=), downloads the export and reads it back, records a consent (an expiry in the past is refused first, nothing
stored) and withdraws it, is refused an erasure without the typed confirmation (nothing erased), then erases the
donor: the page says "erased", the ledger still verifies against the head published before, and the trail, filtered,
shows the export. Auditor Ugo sees the trail alone. Screenshots at 1280 and 390 px, Italian and English."""

from __future__ import annotations

import json
import re
from datetime import date, timedelta
from pathlib import Path
from uuid import uuid4
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient
from playwright.sync_api import Browser, Page, expect

from services.console import i18n
from tests.console.conftest import ADMIN, LOCALES, Server, fits
from tests.console.test_accessibility import Controls

pytestmark = pytest.mark.slow
ROME = ZoneInfo("Europe/Rome")
PASSWORD = "una-password-lunga"


@pytest.mark.parametrize("lang", ["it", "en"])
def test_every_control_of_the_privacy_page_has_a_label(page_reader: TestClient, lang: str) -> None:
    page = page_reader.get("/console/privacy", headers={"Accept-Language": lang})
    assert page.status_code == 200 and page.headers["content-language"] == lang
    assert f'href="/console/privacy?lang={lang}" aria-current="page"' in page.text
    controls = Controls()
    controls.feed(page.text)
    assert controls.unlabelled() == []
    assert controls.problems == []


def sign_in(browser: Browser, server: Server, email: str, password: str, lang: str, width: int, path: str) -> Page:
    page = browser.new_page(base_url=server.url, viewport={"width": width, "height": 900}, locale=LOCALES[lang])
    page.goto(f"/console/login?lang={lang}&next={path}")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password").fill(password)
    page.locator("form button[type=submit]").click()
    page.wait_for_url(re.compile("/console/privacy"))
    return page


def donor_who_gave(server: Server, name: str) -> str:
    api = server.api
    fund = api.post("/funds", json={"name": f"Fondo {name}"}).json()["id"]
    donor: str = api.post("/donors", json={"kind": "person", "name": name, "phone": "+39 02 1234 5678",
                                           "email": "donatore@example.org"}).json()["id"]
    pledge = api.post("/pledges", json={"donor_id": donor, "fund_id": fund, "amount": "50.00"}).json()["id"]
    paid = api.post(f"/pledges/{pledge}/payments", json={"amount": "50.00", "method": "bank_transfer",
                                                         "reference": f"CRO {uuid4().hex[:8]}"})
    assert paid.status_code in (200, 201), paid.text
    return donor


def test_the_privacy_desk_exports_records_and_withdraws_a_consent_erases_with_confirmation_and_filters_the_trail(
        browser: Browser, server: Server, artifacts: Path) -> None:
    api = server.api
    today = date.today()  # the browser's dates are real; the product's clock runs from the next calling morning
    product_day = server.started_at.astimezone(ROME).date()
    runs = [("it", 1280, "Giulia Rossi"), ("en", 1280, "Marco Bianchi"), ("it", 390, "Lucia Verdi"),
            ("en", 390, "Paolo Neri")]
    for lang, width, name in runs:
        t, tag = i18n.labels(lang), f"{lang}-{width}"
        donor = donor_who_gave(server, name)
        # The link the donor search gives, followed before signing in: back to the same person after it
        page = browser.new_page(base_url=server.url, viewport={"width": width, "height": 900}, locale=LOCALES[lang])
        page.goto(f"/console/privacy?lang={lang}&person={donor}")
        page.wait_for_url(re.compile("/console/login"))
        page.get_by_label("E-mail").fill(ADMIN["email"])
        page.get_by_label("Password").fill(ADMIN["password"])
        page.locator("form button[type=submit]").click()
        expect(page.locator("#privacy[data-ready]")).to_be_attached()
        expect(page.locator("#state")).to_have_text(t["pv_held"])
        expect(page.locator("#shown-id")).to_have_text(donor)

        # The export, downloaded as a file and read back
        with page.expect_download() as downloading:
            page.get_by_role("button", name=t["pv_export"]).click()
        download = downloading.value
        assert download.suggested_filename == f"angeli-export-{donor}.json"
        exported = json.loads(Path(download.path()).read_text())
        assert exported["person_id"] == donor and exported["personal_data"]["name"] == name
        assert exported["erased"] is False and exported["consents"] == []
        expect(page.locator("#flash")).to_have_text(t["pv_exported"])

        # A consent whose expiry is past is refused, nothing stored; with a later expiry it is recorded
        page.locator("#c-purpose").fill("newsletter")
        page.locator("#c-channel").select_option("email")
        page.locator("#c-version").fill("2026-1")
        page.locator("#c-source").fill("modulo web Natale 2026")
        page.locator("#c-given").fill((today - timedelta(days=30)).isoformat())
        page.locator("#c-expires").fill((today - timedelta(days=2)).isoformat())
        page.get_by_role("button", name=t["pv_add"]).click()
        expect(page.locator("#flash.error")).to_have_text(t["pv_expiry_past"])
        expect(page.locator("#c-expires")).to_be_focused()
        assert api.get(f"/privacy/persons/{donor}/consents").json() == []
        valid_until = today + timedelta(days=365)
        page.locator("#c-expires").fill(valid_until.isoformat())
        page.locator("#c-expires").press("Enter")
        row = page.locator("#consents tbody tr")
        expect(row).to_have_count(1)
        expect(row).to_contain_text(t["pv_purpose_newsletter"])
        expect(row).to_contain_text(t["pv_channel_email"])
        expect(row).to_contain_text(t["pv_state_active"])
        expect(row).to_contain_text(valid_until.strftime("%d/%m/%Y"))  # the day chosen, included (it and en-GB)
        expect(page.locator("#consents-title")).to_be_focused()
        fits(page)
        page.screenshot(path=str(artifacts / f"privacy-consent-{tag}.png"), full_page=True)

        # withdrawn, from the keyboard
        withdraw = page.get_by_role("button", name=f"{t['pv_withdraw']}: {t['pv_purpose_newsletter']}")
        withdraw.focus()
        page.keyboard.press("Enter")
        how = page.get_by_label(t["pv_withdraw_how"])
        expect(how).to_be_focused()
        how.fill("telefonata allo sportello")
        how.press("Enter")
        expect(row).to_contain_text(t["pv_state_withdrawn"])
        expect(page.locator("#flash")).to_contain_text(t["pv_withdrawn"])
        [consent] = api.get(f"/privacy/persons/{donor}/consents").json()
        assert consent["status"] == "withdrawn" and consent["withdrawal_source"] == "telefonata allo sportello"

        # An erasure without the typed confirmation is refused by the server and erases nothing
        published = api.get("/ledger/head").json()
        page.locator("#e-reason").fill("richiesta della persona")
        page.get_by_role("button", name=t["pv_erase"]).click()
        expect(page.locator("#flash.error")).to_have_text(t["pv_confirm_mismatch"])
        expect(page.locator("#e-confirm")).to_be_focused()
        assert api.get(f"/privacy/persons/{donor}").json()["erased"] is False
        fits(page)
        page.screenshot(path=str(artifacts / f"privacy-erase-refused-{tag}.png"), full_page=True)

        # with it, the person is erased: the page says so and the ledger still verifies
        page.locator("#e-confirm").fill(donor)
        page.locator("#e-confirm").press("Enter")
        expect(page.locator("#state")).to_have_text(t["pv_erased"])
        expect(page.locator("#erasure-text")).to_contain_text("richiesta della persona")
        expect(page.locator("#erase-card")).to_be_hidden()
        expect(page.locator("#consent-form")).to_be_hidden()
        expect(page.locator("#status-title")).to_be_focused()
        assert api.get(f"/donors/{donor}").json()["erased"] is True
        assert api.get("/ledger/verify").json()["ok"] is True
        assert api.post("/ledger/verify", json=published).json()["ok"] is True
        fits(page)
        page.screenshot(path=str(artifacts / f"privacy-erased-{tag}.png"), full_page=True)

        # The trail, filtered by the person, the actor, the purpose and the product's day, shows the export
        form = page.locator("#trail-form")
        page.locator("#f-person").fill(donor)
        page.locator("#f-actor").fill("anna@")
        page.locator("#f-purpose").fill("export")
        page.locator("#f-from").fill(product_day.isoformat())
        page.locator("#f-to").fill(product_day.isoformat())
        trail = page.locator("#trail tbody tr")
        for _ in range(20):  # the trail is a read model: it catches up in a moment
            form.locator("button[type=submit]").click()
            page.wait_for_timeout(250)
            if trail.count() == 1:
                break
        expect(trail).to_have_count(1)
        expect(trail).to_contain_text("subject access export")
        expect(trail).to_contain_text(t["pv_outcome_read"])
        expect(page.locator("#trail-count")).to_have_text(t["pv_trail_one"])
        page.locator("#f-from").fill((product_day + timedelta(days=1)).isoformat())
        form.locator("button[type=submit]").click()
        expect(page.locator("#flash.error")).to_have_text(t["pv_dates_swapped"])
        expect(page.locator("#f-to")).to_be_focused()
        page.locator("#f-person").fill("giulia")
        page.locator("#f-from").fill("")
        form.locator("button[type=submit]").click()
        expect(page.locator("#flash.error")).to_contain_text("giulia")
        page.locator("#f-person").fill(donor)
        form.locator("button[type=submit]").click()
        expect(trail).to_have_count(1)
        fits(page)
        page.locator("#trail-title").scroll_into_view_if_needed()
        page.screenshot(path=str(artifacts / f"privacy-trail-{tag}.png"), full_page=True)
        page.close()

    # An unknown person is said so; the auditor sees the trail alone
    assert api.post("/auth/accounts", json={"email": "ugo@angeli.example", "password": PASSWORD,
                                            "role": "auditor"}).status_code == 201
    for lang, width in [("en", 1280), ("it", 390)]:
        t, tag = i18n.labels(lang), f"{lang}-{width}"
        page = sign_in(browser, server, ADMIN["email"], ADMIN["password"], lang, width, "/console/privacy")
        expect(page.locator("#privacy[data-ready]")).to_be_attached()
        stranger = str(uuid4())
        page.locator("#person-id").fill(stranger)
        page.locator("#person-id").press("Enter")
        expect(page.locator("#flash.error")).to_have_text(t["pv_unknown"].format(id=stranger))
        expect(page.locator("#person")).to_be_hidden()
        page.close()

        page = sign_in(browser, server, "ugo@angeli.example", PASSWORD, lang, width, "/console/privacy")
        expect(page.locator("#privacy[data-ready]")).to_be_attached()
        expect(page.locator("#person-form")).to_be_hidden()
        expect(page.locator("#trail tbody tr").first).to_be_visible()
        expect(page.get_by_role("link", name=t["nav_privacy"])).to_have_attribute("aria-current", "page")
        fits(page)
        page.screenshot(path=str(artifacts / f"privacy-auditor-{tag}.png"), full_page=True)
        # a person's id in the trail filters it by that person
        first = page.locator("#trail tbody tr").first.get_by_role("button")
        chosen = first.get_attribute("title") or ""
        expect(first).to_have_accessible_name(t["pv_only_person"].format(id=chosen))
        first.click()
        expect(page.locator("#f-person")).to_have_value(chosen)
        expect(page.locator(f'#trail tbody button:not([title="{chosen}"])')).to_have_count(0)
        expect(page.locator("#trail tbody tr")).to_have_count(3)  # created, exported, read once erased
        expect(page.locator("#trail-count")).to_be_focused()
        page.close()
