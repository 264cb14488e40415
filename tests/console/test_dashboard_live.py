"""The campaign dashboard in Chromium follows the progress read model's server-sent events: with the dashboard
open, a pledge and then a payment recorded through the API appear within a couple of seconds (real clock), without
reloading and without polling; where EventSource is missing or the stream is refused, the page polls instead and
still shows a payment. Screenshots at 1280 and 390, Italian and English."""

from __future__ import annotations

import time
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect

from tests.conftest import ROME, calling_morning
from tests.console.conftest import Server, launched_campaign, served
from tests.console.conftest import page_as as signed_in

pytestmark = pytest.mark.slow

PASSWORD = "una-password-lunga"
PHONE = 390


def page_as(browser: Browser, server: Server, email: str, lang: str, width: int) -> Page:
    return signed_in(browser, server, email, PASSWORD, lang, width)


def pledged(server: Server, donor: str, fund: str, campaign: str, amount: str) -> str:
    made = server.api.post("/pledges", json={"donor_id": donor, "fund_id": fund, "campaign_id": campaign,
                                             "amount": amount})
    assert made.status_code == 201, made.text
    pledge: str = made.json()["id"]
    return pledge


def paid(server: Server, pledge: str, amount: str, reference: str) -> None:
    payment = server.api.post(f"/pledges/{pledge}/payments", json={"amount": amount, "method": "bank_transfer",
                                                                   "reference": reference})
    assert payment.status_code == 201, payment.text


def test_the_dashboard_shows_a_pledge_and_a_payment_within_seconds_without_polling(
        browser: Browser, tmp_path: Path, artifacts: Path) -> None:
    with served(tmp_path / "var", calling_morning()) as server:
        # Given Marta, campaign manager, and "Natale 2026" launched with a goal of 3.000 €, nothing pledged yet
        api = server.api
        made = api.post("/auth/accounts", json={"email": "marta@angeli.example", "password": PASSWORD,
                                                "role": "campaign_manager"})
        assert made.status_code == 201, made.text
        today = server.started_at.astimezone(ROME).date()
        campaign = launched_campaign(server, "Natale 2026", "Pacchi di Natale", today)
        fund = api.get(f"/campaigns/{campaign}").json()["fund_id"]
        giulia = api.post("/donors", json={"kind": "person", "name": "Giulia Rossi"}).json()["id"]

        # When Marta opens the dashboard, it follows the stream
        page = page_as(browser, server, "marta@angeli.example", "it", 1280)
        polled: list[str] = []
        page.on("request", lambda r: polled.append(r.url) if r.url.endswith("/progress") else None)
        page.goto(f"/console/campaigns/{campaign}?lang=it")
        expect(page.locator("#campaign-name")).to_have_text("Natale 2026")
        expect(page.locator("#pledges")).to_have_text("0")
        expect(page.locator("#live-mode")).to_have_text("Aggiornato in tempo reale")
        page.evaluate("window.notReloaded = true")

        # And a pledge of 50 € is recorded through the API: it appears within a couple of seconds
        pledge = pledged(server, giulia, fund, campaign, "50.00")
        expect(page.locator("#pledges")).to_have_text("1", timeout=2500)
        expect(page.locator("#pledged")).to_contain_text("50,00 €")
        expect(page.locator("#paid")).to_contain_text("0,00 €")

        # And so does its payment
        paid(server, pledge, "50.00", "CRO-0001")
        expect(page.locator("#paid")).to_contain_text("50,00 €", timeout=2500)
        # Then the page was neither reloaded nor polled: the figures came as events
        assert page.evaluate("window.notReloaded") is True
        assert polled == []
        page.screenshot(path=str(artifacts / "dashboard-live-it-1280.png"), full_page=True)
        page.context.close()

        for lang, width in [("en", 1280), ("it", PHONE), ("en", PHONE)]:
            page = page_as(browser, server, "marta@angeli.example", lang, width)
            page.goto(f"/console/campaigns/{campaign}?lang={lang}")
            expect(page.locator("#paid")).to_contain_text("€50.00" if lang == "en" else "50,00 €")
            expect(page.locator("#live-mode")).to_have_text("Updating live" if lang == "en"
                                                            else "Aggiornato in tempo reale")
            if width == PHONE:
                assert page.evaluate("document.documentElement.scrollWidth") <= PHONE
            page.screenshot(path=str(artifacts / f"dashboard-live-{lang}-{width}.png"), full_page=True)
            page.context.close()

        # A browser without server-sent events polls instead, and still sees a payment without reloading
        page = page_as(browser, server, "marta@angeli.example", "it", 1280)
        page.add_init_script("delete window.EventSource")
        page.goto(f"/console/campaigns/{campaign}?lang=it")
        expect(page.locator("#live-mode")).to_have_text("Aggiornato ogni 5 secondi")
        expect(page.locator("#paid")).to_contain_text("50,00 €")
        paid(server, pledged(server, giulia, fund, campaign, "20.00"), "20.00", "CRO-0002")
        expect(page.locator("#paid")).to_contain_text("70,00 €", timeout=7000)
        expect(page.locator("#pledges")).to_have_text("2")
        page.context.close()

        # And so does one whose stream is refused (the browser closes it rather than retrying)
        page = page_as(browser, server, "marta@angeli.example", "en", 1280)
        page.route("**/progress/events", lambda route: route.fulfill(status=503, body="busy"))
        page.goto(f"/console/campaigns/{campaign}?lang=en")
        expect(page.locator("#live-mode")).to_have_text("Updating every 5 seconds")
        expect(page.locator("#paid")).to_contain_text("€70.00")
        page.context.close()


def test_the_progress_stream_is_a_404_for_an_unknown_campaign_and_one_event_for_a_plain_client(
        tmp_path: Path) -> None:
    with served(tmp_path / "var", calling_morning()) as server:
        missing = server.api.get("/stats/campaigns/00000000-0000-4000-8000-000000000000/progress/events")
        assert missing.status_code == 404
        today = server.started_at.astimezone(ROME).date()
        campaign = launched_campaign(server, "Pasqua 2027", "Uova", today)
        # (the read model follows the events within a second or so)
        for _ in range(50):
            one = server.api.get(f"/stats/campaigns/{campaign}/progress/events")
            if one.status_code == 200:
                break
            time.sleep(0.1)
        assert one.status_code == 200, one.text
        assert one.headers["content-type"].startswith("text/event-stream")
        events = [block for block in one.text.split("\n\n") if block.startswith("event:")]
        assert len(events) == 1 and events[0].startswith("event: progress\n")
        assert '"name":"Pasqua 2027"' in events[0]
        assert httpx.get(f"{server.url}/stats/campaigns/{campaign}/progress/events").status_code == 401
