"""The thank-yous page in Chromium: campaign manager Lucia gives a fund its thank-you (template, 2 days, on) with the
keyboard, is told plainly when the days are wrong (nothing stored), chooses year-end receipts and sends a donor's
receipt now (to the outbox: no relay here); coordinator Carla reads the plan without the forms. Screenshots at 1280
and 390 px, Italian and English."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from playwright.sync_api import Browser, Page, expect

from services.identity.domain import SYSTEM
from services.kernel.clock import FixedClock
from services.kernel.settings import Settings
from services.mail import template_library as library
from services.main import build
from tests.conftest import ROME, calling_morning
from tests.console.conftest import Server, fits, served, signed_in_through_form, until
from tests.console.test_accessibility import Controls

pytestmark = pytest.mark.slow
PASSWORD = "una-password-lunga"
TEXT = "Grazie per il tuo dono di {{ gift.amount }}.\n{{ charity.name }}, {{ charity.address }}"
HTML = "<p>Grazie per il tuo dono di {{ gift.amount }}.</p><p>{{ charity.name }}, {{ charity.address }}</p>"
TEXTS = {
    "it": {"title": "Ringraziamenti e ricevute", "days": "2 giorni", "on": "attivo", "bad": "da 0 a 30",
           "sent": "inviate", "read_only": "lo cambiano i responsabili campagne"},
    "en": {"title": "Thank-you letters and receipts", "days": "2 days", "on": "on", "bad": "from 0 to 30",
           "sent": "sent", "read_only": "campaign managers change it"},
}


@pytest.fixture(scope="module")
def letters(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """The product with one published transactional template (no route makes templates yet: made in its store)."""
    data, start = tmp_path_factory.mktemp("letters") / "var", calling_morning()
    product = build(Settings(mode="embedded", data_dir=data), FixedClock(start))
    mail = product.services["mail"].application
    template = library.create(mail, "Grazie del dono", "transactional", by=SYSTEM, once=None)
    library.publish(mail, template, "Grazie del tuo dono", HTML, TEXT, by=SYSTEM, once=None)
    product.stop()
    with served(data, start) as running:
        yield running


@pytest.mark.parametrize("lang", ["it", "en"])
def test_every_control_of_the_thanks_page_has_a_label(client: TestClient, lang: str) -> None:
    page = client.get("/console/thanks", headers={"Accept-Language": lang})
    assert page.status_code == 200 and page.headers["content-language"] == lang
    assert f'href="/console/thanks?lang={lang}" aria-current="page"' in page.text
    controls = Controls()
    controls.feed(page.text)
    assert controls.unlabelled() == []
    assert controls.problems == []


def sign_in(browser: Browser, server: Server, email: str, lang: str, width: int) -> Page:
    page = signed_in_through_form(browser, server, email, PASSWORD, lang, width, "/console/thanks")
    expect(page.locator("#thanks[data-ready=yes]")).to_be_attached()
    return page


def test_the_office_sets_a_funds_thank_you_and_sends_a_receipt_coordinators_read(
        browser: Browser, letters: Server, artifacts: Path) -> None:
    api = letters.api
    for email, role in (("lucia@angeli.example", "campaign_manager"), ("carla@angeli.example", "coordinator")):
        assert api.post("/auth/accounts", json={"email": email, "password": PASSWORD, "role": role}).status_code == 201
    fund = api.post("/funds", json={"name": "Linea d'ascolto"}).json()["id"]
    donor = api.post("/donors", json={"kind": "person", "name": "Giulia Rossi", "email": "giulia@example.org",
                                      "tax_code": "RSSGLI80A41F205X"}).json()["id"]
    pledge = api.post("/pledges", json={"donor_id": donor, "fund_id": fund, "amount": "50.00"}).json()["id"]
    assert api.post(f"/pledges/{pledge}/payments",
                    json={"amount": "50.00", "method": "card", "reference": "C-1"}).status_code == 201
    year = letters.started_at.astimezone(ROME).year
    until(lambda: api.get("/mail/thanks").json()["known_funds"], "the fund reaches the mail service")
    until(lambda: api.get(f"/donors/{donor}/receipts").json(), "the receipt is numbered")

    # Lucia, Italian, desktop: the fund's thank-you with the keyboard only
    page = sign_in(browser, letters, "lucia@angeli.example", "it", 1280)
    words = TEXTS["it"]
    expect(page.locator("h1")).to_have_text(words["title"])
    expect(page.locator("#plan-none")).to_be_visible()
    page.locator("#fund").focus()
    page.keyboard.press("Tab")  # to the template
    page.keyboard.press("Tab")  # to the days
    page.keyboard.press("Control+A")
    page.keyboard.type("31")
    page.keyboard.press("Enter")
    expect(page.locator("#fund-error")).to_contain_text(words["bad"])
    assert api.get("/mail/thanks").json()["funds"] == []  # nothing stored
    page.locator("#delay").fill("")
    page.keyboard.type("2")
    page.keyboard.press("Enter")
    expect(page.locator("#plan tbody tr")).to_have_count(1)
    row = page.locator("#plan tbody tr").first
    expect(row).to_contain_text("Linea d'ascolto")
    expect(row).to_contain_text("Grazie del dono")
    expect(row).to_contain_text(words["days"])
    expect(row).to_contain_text(words["on"])
    expect(page.locator("#plan-title")).to_be_focused()
    line = api.get("/mail/thanks").json()["funds"][0]
    assert (line["fund_id"], line["delay_days"], line["enabled"]) == (fund, 2, True)

    page.locator("#year-end").check()
    page.locator("#receipts-form button[type=submit]").click()
    expect(page.locator("#flash")).to_be_visible()
    assert until(lambda: api.get("/mail/thanks").json()["receipts"]["year_end"], "year-end receipts chosen")

    page.locator("#donor").fill("not-an-id")
    page.locator("#send-form button[type=submit]").click()
    expect(page.locator("#send-result")).to_have_class("flash error")
    page.locator("#donor").fill(donor)
    page.locator("#year").fill(str(year))
    page.locator("#send-form button[type=submit]").click()
    expect(page.locator("#send-result")).to_contain_text(f"ricevuta-{year}-000001.pdf")
    expect(page.locator("#send-result")).to_contain_text(words["sent"])
    fits(page)
    page.screenshot(path=str(artifacts / "thanks-it-1280.png"), full_page=True)
    page.context.close()

    for lang, width in (("it", 390), ("en", 1280), ("en", 390)):
        page = sign_in(browser, letters, "lucia@angeli.example", lang, width)
        expect(page.locator("h1")).to_have_text(TEXTS[lang]["title"])
        expect(page.locator("#plan tbody tr").first).to_contain_text(TEXTS[lang]["days"])
        expect(page.locator("#year-end")).to_be_checked()
        fits(page)
        page.screenshot(path=str(artifacts / f"thanks-{lang}-{width}.png"), full_page=True)
        page.context.close()

    # Carla, coordinator: the plan, no forms
    page = sign_in(browser, letters, "carla@angeli.example", "en", 390)
    expect(page.locator("#read-only")).to_contain_text(TEXTS["en"]["read_only"])
    expect(page.locator("#plan tbody tr")).to_have_count(1)
    expect(page.locator("#fund-form")).to_be_hidden()
    expect(page.locator("#send-form")).to_be_hidden()
    fits(page)
    page.screenshot(path=str(artifacts / "thanks-coordinator-en-390.png"), full_page=True)
    page.context.close()
