"""Regular giving's expected vs received and the overdue instalments follow their read models' server-sent events in
Chromium: with each page open, a payment recorded through the API changes its figures within a couple of seconds
(real clock) without reloading; where EventSource is missing, the page polls instead. Screenshots at 1280 and 390,
Italian and English."""

from __future__ import annotations

import io
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect

from services.identity.auth import SESSION_COOKIE
from tests.conftest import ROME, calling_morning
from tests.console.conftest import LOCALES, Server, served

pytestmark = pytest.mark.slow

PASSWORD = "una-password-lunga"
PHONE = 390
MANDATE = "ANGELI-RSS-0001"


def page_as(browser: Browser, server: Server, lang: str, width: int, sse: bool = True) -> Page:
    token = httpx.post(f"{server.url}/auth/sign-in", json={"email": "marta@angeli.example", "password": PASSWORD},
                       timeout=10).json()["token"]
    context = browser.new_context(base_url=server.url, viewport={"width": width, "height": 900}, locale=LOCALES[lang])
    context.add_cookies([{"name": SESSION_COOKIE, "value": token, "url": server.url, "httpOnly": True,
                          "sameSite": "Strict"}])
    if not sse:
        context.add_init_script("delete window.EventSource")
    return context.new_page()


def regular_gift(server: Server, donor: str, fund: str, reference: str, day: str) -> None:
    line = f"donor_id,fund_id,amount,method,reference,received_at,mandate_reference\n" \
           f"{donor},{fund},10.00,sepa,{reference},{day},{MANDATE}\n"
    done = server.api.post("/donations/import", files={"file": ("sepa.csv", io.BytesIO(line.encode()), "text/csv")})
    assert done.status_code == 201 and done.json()["imported"] == 1, done.text


def test_expected_income_and_overdue_instalments_follow_payments_live(
        browser: Browser, tmp_path: Path, artifacts: Path) -> None:
    with served(tmp_path / "var", calling_morning()) as server:
        # Given Marta, campaign manager; Giulia gives 10 € a month by SEPA from this month, and owes 50 € of a pledge
        # since 40 days
        api = server.api
        assert api.post("/auth/accounts", json={"email": "marta@angeli.example", "password": PASSWORD,
                                                "role": "campaign_manager"}).status_code == 201
        today = server.started_at.astimezone(ROME).date()
        fund = api.post("/funds", json={"name": "Fondo famiglie"}).json()["id"]
        giulia = api.post("/donors", json={"kind": "person", "name": "Giulia Rossi"}).json()["id"]
        made = api.post("/commitments", json={
            "donor_id": giulia, "fund_id": fund, "amount": "10.00", "frequency": "monthly", "day": 1,
            "start": today.replace(day=1).isoformat(), "method": "sepa", "mandate_reference": MANDATE,
            "mandate_signed_on": (today - timedelta(days=40)).isoformat()})
        assert made.status_code == 201, made.text
        late = api.post("/pledges", json={"donor_id": giulia, "fund_id": fund, "amount": "100.00", "instalments": [
            {"due_on": (today - timedelta(days=40)).isoformat(), "amount": "50.00"},
            {"due_on": (today + timedelta(days=20)).isoformat(), "amount": "50.00"}]})
        assert late.status_code == 201, late.text

        # When Marta opens regular giving, expected vs received follows the stream
        page = page_as(browser, server, "it", 1280)
        page.goto("/console/regular?lang=it")
        expect(page.locator("#income-mode")).to_have_text("Aggiornato in tempo reale")
        expect(page.locator("#income-expected")).not_to_have_text("0,00 €")
        received = page.locator("#income-received")
        expect(received).to_have_text("0,00 €")
        page.evaluate("window.notReloaded = true")
        # And this month's gift arrives (a SEPA line imported): received changes within a couple of seconds
        regular_gift(server, giulia, fund, "SDD-0001", today.isoformat())
        expect(received).to_have_text("10,00 €", timeout=2500)
        assert page.evaluate("window.notReloaded") is True
        page.screenshot(path=str(artifacts / "regular-live-it-1280.png"), full_page=True)

        # And on the overdue instalments, paying the late one clears it within a couple of seconds
        page.goto("/console/gifts/overdue?lang=it")
        expect(page.locator("#overdue-mode")).to_have_text("Aggiornato in tempo reale")
        expect(page.locator("#list tbody tr")).to_have_count(1)
        page.evaluate("window.notReloaded = true")
        paid = api.post(f"/pledges/{late.json()['id']}/payments", json={
            "amount": "50.00", "method": "bank_transfer", "reference": "CRO-0001"})
        assert paid.status_code == 201, paid.text
        expect(page.locator("#none")).to_be_visible(timeout=2500)
        expect(page.locator("#list tbody tr")).to_have_count(0)
        assert page.evaluate("window.notReloaded") is True
        page.screenshot(path=str(artifacts / "overdue-live-it-1280.png"), full_page=True)
        page.context.close()

        for lang, width in [("en", 1280), ("it", PHONE), ("en", PHONE)]:
            page = page_as(browser, server, lang, width)
            page.goto(f"/console/regular?lang={lang}")
            expect(page.locator("#income-received")).to_have_text("€10.00" if lang == "en" else "10,00 €")
            expect(page.locator("#income-mode")).to_have_text("Updating live" if lang == "en"
                                                              else "Aggiornato in tempo reale")
            if width == PHONE:
                assert page.evaluate("document.documentElement.scrollWidth") <= PHONE
            page.screenshot(path=str(artifacts / f"regular-live-{lang}-{width}.png"), full_page=True)
            page.goto(f"/console/gifts/overdue?lang={lang}")
            expect(page.locator("#overdue-mode")).to_have_text("Updating live" if lang == "en"
                                                               else "Aggiornato in tempo reale")
            if width == PHONE:
                assert page.evaluate("document.documentElement.scrollWidth") <= PHONE
            page.screenshot(path=str(artifacts / f"overdue-live-{lang}-{width}.png"), full_page=True)
            page.context.close()

        # A browser without server-sent events polls instead, and still sees this month's second gift
        page = page_as(browser, server, "it", 1280, sse=False)
        page.goto("/console/regular?lang=it")
        expect(page.locator("#income-mode")).to_have_text("Aggiornato ogni 5 secondi")
        expect(page.locator("#income-received")).to_have_text("10,00 €")
        regular_gift(server, giulia, fund, "SDD-0002", today.isoformat())
        expect(page.locator("#income-received")).to_have_text("20,00 €", timeout=7000)
        page.context.close()


def test_the_streams_refuse_bad_input_before_they_start_and_answer_a_plain_client_once(tmp_path: Path) -> None:
    with served(tmp_path / "var", calling_morning()) as server:
        bad_month = server.api.get("/commitments/expected-income/events", params={"from": "2026-13"})
        assert bad_month.status_code == 422 and "YYYY-MM" in bad_month.text
        assert server.api.get("/commitments/expected-income/events", params={"from": "2026-01",
                                                                               "months": 61}).status_code == 422
        assert server.api.get("/instalments/overdue/events", params={"as_of": "ieri"}).status_code == 422
        for path, event in [("/commitments/expected-income/events?from=2026-01", "income"),
                            ("/instalments/overdue/events", "overdue")]:
            one = server.api.get(path)
            assert one.status_code == 200, one.text
            assert [b.split("\n")[0] for b in one.text.split("\n\n") if b.startswith("event:")] == [f"event: {event}"]
            assert httpx.get(f"{server.url}{path}").status_code == 401
