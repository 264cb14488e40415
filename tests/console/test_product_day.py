"""Every form that defaults a date defaults to the product's day — the server's clock read in Rome — whatever the
browser's clock and time zone say: a reader in Kiritimati (UTC+14) or Pago Pago (UTC-11), on a product whose clock
runs weeks away from the wall's (a training installation), sees the product's day in the pledge's payment and
reversal dates, the new pledge's first instalment, the consent's date, a fund's disbursement, a new campaign's start
and register check, and the receipts' year."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from services.identity.auth import SESSION_COOKIE
from tests.conftest import ROME, calling_morning
from tests.console.conftest import ADMIN, Server, served

pytestmark = pytest.mark.slow
FAR_ZONES = ["Pacific/Kiritimati", "Pacific/Pago_Pago"]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """The product's clock starts 10:00 in Rome on a calling morning seven weeks after the real today: no zone on
    Earth has the wall's day there."""
    start = calling_morning(datetime.now(ROME).date() + timedelta(days=50))
    with served(tmp_path_factory.mktemp("product-day") / "var", start) as running:
        yield running


@pytest.fixture(scope="module")
def office(server: Server) -> dict[str, str]:
    api = server.api
    fund = api.post("/funds", json={"name": "Fondo famiglie"}).json()["id"]
    donor = api.post("/donors", json={"kind": "person", "name": "Giulia Rossi"}).json()["id"]
    pledge = api.post("/pledges", json={"donor_id": donor, "fund_id": fund, "amount": "100.00"})
    assert pledge.status_code == 201, pledge.text
    return {"fund": fund, "donor": donor, "pledge": pledge.json()["id"]}


def product_day(server: Server) -> date:
    return server.started_at.astimezone(ROME).date()  # 10:00 in Rome: the test ends long before midnight


def far_page(browser: Browser, server: Server, zone: str) -> Page:
    """The administrator's page in a browser whose clock reads the wall's time in `zone`."""
    import httpx

    token = httpx.post(f"{server.url}/auth/sign-in", json=ADMIN, timeout=10).json()["token"]
    context = browser.new_context(base_url=server.url, viewport={"width": 1280, "height": 900}, locale="it-IT",
                                  timezone_id=zone)
    context.add_cookies([{"name": SESSION_COOKIE, "value": token, "url": server.url, "httpOnly": True,
                          "sameSite": "Strict"}])
    return context.new_page()


@pytest.mark.parametrize("zone", FAR_ZONES)
def test_every_form_defaults_its_date_to_the_products_day_not_the_browsers(
        browser: Browser, server: Server, office: dict[str, str], zone: str, artifacts: Path) -> None:
    day = product_day(server).isoformat()
    page = far_page(browser, server, zone)
    # Given a browser whose own day is far from the product's
    browsers_day = page.evaluate("new Intl.DateTimeFormat('en-CA').format(new Date())")
    assert browsers_day != day
    # When the office opens a pledge, then payment and reversal dates default to the product's day, the latest allowed
    page.goto(f"/console/pledges/{office['pledge']}?lang=it")
    expect(page.locator("#pledge[data-ready]")).to_be_attached()
    for field in ("#pay-date", "#rev-date"):
        expect(page.locator(field)).to_have_value(day)
        expect(page.locator(field)).to_have_attribute("max", day)
    if zone == FAR_ZONES[0]:
        page.screenshot(path=str(artifacts / "product-day-pledge-kiritimati-it-1280.png"), full_page=True)
    # and a new pledge's first instalment is due on the product's day
    page.goto(f"/console/pledges/new?donor={office['donor']}&lang=it")
    expect(page.locator("#new-pledge[data-ready]")).to_be_attached()
    expect(page.locator("#first-due")).to_have_value(day)
    # and a consent is given on the product's day
    page.goto("/console/privacy?lang=it")
    expect(page.locator("#privacy[data-ready]")).to_be_attached()
    expect(page.locator("#c-given")).to_have_value(day)
    # and a fund's disbursement is dated the product's day, and no later
    page.goto(f"/console/funds/{office['fund']}?lang=it")
    expect(page.locator("#day")).to_have_value(day)
    expect(page.locator("#day")).to_have_attribute("max", day)
    # and a new campaign starts, and the register is checked, on the product's day
    page.goto("/console/campaigns?lang=it")
    expect(page.locator("#c-start")).to_have_value(day)
    expect(page.locator("#r-date")).to_have_value(day)
    # and the receipts open on the product's year
    page.goto("/console/receipts?lang=it")
    expect(page.locator("#receipts[data-ready]")).to_be_attached()
    expect(page.locator("#year")).to_have_value(day[:4])
    page.context.close()


def test_a_payment_of_the_products_day_is_recorded_as_today_from_a_far_zone(
        browser: Browser, server: Server, office: dict[str, str], artifacts: Path) -> None:
    # Given the pledge page in Kiritimati, its payment date left at the product's day
    page = far_page(browser, server, FAR_ZONES[0])
    page.goto(f"/console/pledges/{office['pledge']}?lang=en")
    expect(page.locator("#pledge[data-ready]")).to_be_attached()
    # When the office records a payment without touching the date
    page.locator("#pay-amount").fill("10.00")
    page.locator("#pay-reference").fill("BONIFICO-KIR-1")
    page.locator("#pay-form button[type=submit]").click()
    # Then the payment is recorded on the product's day (not refused as "in the future", nor dated the day before)
    expect(page.locator("#payments")).to_contain_text("BONIFICO-KIR-1")
    page.set_viewport_size({"width": 390, "height": 900})
    page.screenshot(path=str(artifacts / "product-day-pledge-kiritimati-en-390.png"), full_page=True)
    [paid] = server.api.get(f"/pledges/{office['pledge']}").json()["payments"]
    for _ in range(100):  # the ledger catches up in a moment
        entries = [e for e in server.api.get("/ledger").json()["entries"] if e["movement_id"] == paid["payment_id"]]
        if entries:
            break
        time.sleep(0.1)
    assert [e["date"][:10] for e in entries] == [product_day(server).isoformat()]
    page.context.close()
