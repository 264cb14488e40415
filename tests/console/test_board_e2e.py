"""The live board in Chromium: a coordinator watches Giulia clock in, take a helpline call and go idle without
reloading, and corrects the clock-out Paolo forgot the night before with the keyboard alone; screenshots of
/console/now at desktop and phone width, in Italian and English."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient
from playwright.sync_api import Browser, Page, expect

from services.identity.auth import SESSION_COOKIE
from services.kernel.clock import FixedClock
from services.kernel.settings import Settings
from services.main import build, create_api_for
from tests.conftest import ROME, api_key, calling_morning
from tests.console.conftest import Server, served

pytestmark = pytest.mark.slow

PASSWORD = "una-password-lunga"
PAOLO = {"full_name": "Paolo Verdi", "phone": "+39 02 5550 4321", "email": "paolo@example.org", "roles": ["helpline"]}
GIULIA = {**PAOLO, "full_name": "Giulia Rossi", "email": "giulia@example.org"}
CHIARA = {**PAOLO, "full_name": "Chiara Neri", "email": "chiara@example.org", "roles": ["coordinator"]}


def the_night_before(data: Path, evening: datetime) -> None:
    """Paolo signed up for the 21:00 to 01:00 slot, clocked in at 21:00 and never clocked out (the product run on
    the same data at that evening's instant, as it was then)."""
    product = build(Settings(mode="embedded", data_dir=data), FixedClock(evening))
    try:
        client = TestClient(create_api_for(product))
        client.headers["X-API-Key"] = api_key(product, "administrator")
        paolo = client.post("/volunteers", json=PAOLO).json()["id"]
        slot = client.post("/shifts", json={"starts_at": evening.isoformat(),
                                            "ends_at": (evening + timedelta(hours=4)).isoformat(), "capacity": 2})
        assert slot.status_code == 201, slot.text
        assert client.post(f"/shifts/{slot.json()['id']}/sign-ups", json={"volunteer_id": paolo}).status_code == 200
        assert client.post(f"/volunteers/{paolo}/clock-in").status_code == 200
    finally:
        product.stop()


def coordinator_page(browser: Browser, server: Server, locale: str, width: int) -> Page:
    token = httpx.post(f"{server.url}/auth/sign-in", json={"email": "chiara@angeli.example", "password": PASSWORD},
                       timeout=10).json()["token"]
    context = browser.new_context(base_url=server.url, viewport={"width": width, "height": 900}, locale=locale)
    context.add_cookies([{"name": SESSION_COOKIE, "value": token, "url": server.url, "httpOnly": True,
                          "sameSite": "Strict"}])
    return context.new_page()


def test_the_board_follows_a_call_live_and_a_forgotten_clock_out_is_corrected_from_it(
        browser: Browser, tmp_path: Path, artifacts: Path) -> None:
    morning = calling_morning()
    data = tmp_path / "var"
    the_night_before(data, morning - timedelta(hours=13))
    with served(data, morning) as server:
        # Given coordinator Chiara (a volunteer, who signs corrections, and a console account), helpline volunteer
        # Giulia, and a slot starting in half an hour with three empty places
        api = server.api
        chiara = api.post("/volunteers", json=CHIARA).json()["id"]
        giulia = api.post("/volunteers", json=GIULIA).json()["id"]
        assert api.post("/auth/accounts", json={"email": "chiara@angeli.example", "password": PASSWORD,
                                                "role": "coordinator"}).status_code == 201
        soon = morning + timedelta(minutes=30)
        assert api.post("/shifts", json={"starts_at": soon.isoformat(), "ends_at": (soon + timedelta(hours=4))
                                         .isoformat(), "capacity": 3}).status_code == 201

        # When Chiara opens the board, it shows Paolo's forgotten clock-out and the slot's empty places
        page = coordinator_page(browser, server, "it-IT", 1280)
        page.goto("/console/now?lang=it")
        expect(page.locator("#forgotten tbody")).to_contain_text("Paolo Verdi")
        expect(page.locator("#next-hour tbody")).to_contain_text("3 / 3")
        expect(page.locator("#now-mode")).to_have_text("Aggiornato in tempo reale")
        paolo = api.get("/console/api/board").json()["forgotten"][0]["volunteer_id"]

        # When Giulia clocks in and takes a helpline call, the board shows her idle, then on the call, unreloaded
        assert api.post(f"/volunteers/{giulia}/clock-in").status_code == 200
        expect(page.locator("#idle tbody")).to_contain_text("Giulia Rossi")
        call = api.post("/calls", json={"volunteer_id": giulia, "direction": "inbound"}).json()["id"]
        expect(page.locator("#on-call tbody")).to_contain_text("Giulia Rossi")
        expect(page.locator("#on-call tbody")).to_contain_text("Linea d'ascolto")
        expect(page.locator("#idle-empty")).to_be_visible()
        expect(page.locator("#count-in")).to_have_text("2")
        page.screenshot(path=str(artifacts / "now-it-1280.png"), full_page=True)
        page.set_viewport_size({"width": 390, "height": 844})
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        page.screenshot(path=str(artifacts / "now-it-390.png"), full_page=True)
        english = coordinator_page(browser, server, "en-GB", 1280)
        english.goto("/console/now?lang=en")
        expect(english.locator("#on-call tbody")).to_contain_text("Helpline")
        expect(english.locator("#forgotten tbody")).to_contain_text("Paolo Verdi")
        english.screenshot(path=str(artifacts / "now-en-1280.png"), full_page=True)
        english.set_viewport_size({"width": 390, "height": 844})
        assert english.evaluate("document.documentElement.scrollWidth") <= 390
        english.screenshot(path=str(artifacts / "now-en-390.png"), full_page=True)
        english.context.close()

        # When the call ends, Giulia is idle again
        assert api.post(f"/calls/{call}/end", json={"disposition": "abandoned"}).status_code == 200
        expect(page.locator("#idle tbody")).to_contain_text("Giulia Rossi")
        expect(page.locator("#on-call-empty")).to_be_visible()

        # When Chiara corrects Paolo's clock-out with the keyboard alone, at the slot's end it offers
        correct = page.get_by_role("button", name=re.compile("Correggi l'uscita: Paolo Verdi"))
        correct.focus()
        page.keyboard.press("Enter")
        expect(page.locator("#correction")).to_be_visible()
        slot_end = (morning - timedelta(hours=9)).astimezone(ROME).strftime("%Y-%m-%dT%H:%M")
        expect(page.locator("#correction-at")).to_be_focused()
        expect(page.locator("#correction-at")).to_have_value(slot_end)
        expect(page.locator("#correction-by option")).to_have_text(["Chiara Neri"])
        page.keyboard.press("Enter")  # the offered time stands: Enter in the field submits the form

        # Then the forgotten clock-out is gone from the board and Paolo is clocked out at the slot's end
        expect(page.locator("#flash")).to_contain_text("Uscita corretta")
        expect(page.locator("#forgotten-empty")).to_be_visible()
        expect(page.locator("#correction")).to_be_hidden()
        presence = api.get(f"/volunteers/{paolo}/presence").json()
        assert not presence["clocked_in"]
        assert api.get("/console/api/board").json()["coordinators"] == [chiara]
        page.context.close()
