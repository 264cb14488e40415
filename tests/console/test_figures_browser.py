"""Figures written by the pages' scripts read like the server's: the browser's Intl in the page's locale, the
same as Babel's on the server. Driven in Chromium against a product whose clock starts on the next calling
morning after the real date."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import Browser, Page, expect

from services.console.figures import for_language
from tests.conftest import calling_morning
from tests.console.conftest import ADMIN, LOCALES, Server, served

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def today_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    with served(tmp_path_factory.mktemp("figures") / "var", calling_morning()) as running:
        yield running


@pytest.fixture(scope="module")
def natale(today_server: Server) -> dict[str, str]:
    """Campaign "Natale" for fund "Fondo Natale", a goal of 150,000.00 EUR, 1,420.00 EUR pledged to it, and
    142,000.00 EUR already given to the fund."""
    def post(path: str, body: dict[str, object]) -> dict[str, str]:
        response = today_server.api.post(path, json=body)
        assert response.status_code == 201, response.text
        return dict(response.json())

    fund = post("/funds", {"name": "Fondo Natale"})["id"]
    donor = post("/donors", {"kind": "company", "name": "Fondazione Cariplo"})["id"]
    pledge = post("/pledges", {"donor_id": donor, "fund_id": fund, "amount": "142000.00"})["id"]
    post(f"/pledges/{pledge}/payments", {"amount": "142000.00", "method": "bank_transfer", "reference": "CRO 142"})
    today = today_server.started_at.astimezone(ZoneInfo("Europe/Rome")).date()
    campaign = post("/campaigns", {
        "name": "Natale", "fund_id": fund, "goal": "150000.00", "starts_on": today.isoformat(),
        "ends_on": (today + timedelta(days=30)).isoformat(),
        "script": {"text": "Buongiorno {first_name}. {privacy_notice}",
                   "privacy_notice": "Informativa: angeli.example/privacy"}})
    post("/pledges", {"donor_id": donor, "fund_id": fund, "amount": "1420.00", "campaign_id": campaign["id"]})
    return {"campaign_id": campaign["id"], "starts_on": today.isoformat()}


def signed_in(browser: Browser, server: Server, lang: str) -> Page:
    page = browser.new_page(base_url=server.url, viewport={"width": 1280, "height": 900}, locale=LOCALES[lang])
    page.goto(f"/console/login?lang={lang}")
    page.get_by_label("E-mail").fill(ADMIN["email"])
    page.get_by_label("Password").fill(ADMIN["password"])
    page.get_by_role("button", name=re.compile("Accedi|Sign in")).click()
    page.wait_for_url(re.compile(r"/console/admin"))  # an administrator lands on the accounts desk
    return page


@pytest.mark.parametrize(("lang", "raised", "goal", "pledged"), [
    ("it", "142.000,00 €", "150.000,00 €", "1.420,00 €"), ("en", "€142,000.00", "€150,000.00", "€1,420.00")])
def test_scripted_pages_write_money_and_days_in_the_readers_language(
    browser: Browser, today_server: Server, natale: dict[str, str], lang: str, raised: str, goal: str, pledged: str,
) -> None:
    page = signed_in(browser, today_server, lang)
    starts = for_language(lang).day(natale["starts_on"])  # what Babel writes on the server

    page.goto(f"/console/campaigns?lang={lang}")
    expect(page.locator("#campaigns tbody")).to_contain_text(starts)
    page.goto(f"/console/campaigns/{natale['campaign_id']}?lang={lang}")
    expect(page.locator("#goal")).to_have_text(goal, timeout=10_000)
    expect(page.locator("#pledged")).to_contain_text(pledged, timeout=10_000)  # grouped as Babel groups it
    page.goto(f"/console/auditor?lang={lang}")
    page.locator("#verify").click()
    expect(page.locator("#result")).to_contain_text(raised, timeout=10_000)
    assert "142000.00" not in page.locator("main").inner_text()
