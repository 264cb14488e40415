"""/console/shifts: a coordinator makes a 24/7 rota of 4-hour slots for two weeks from the keyboard, volunteer
Giulia signs up for one slot and is refused an overlapping one with the reason, the coverage view shows the
hours still short; screenshots of the week, the day and the coverage at desktop and phone width, it and en."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient
from playwright.sync_api import Browser, Page, expect

from services.identity.auth import SESSION_COOKIE
from tests.conftest import ROME
from tests.console.conftest import Server
from tests.console.test_accessibility import Controls
from tests.console.test_console_e2e import PASSWORD, account

PHONE = 390


def session_page(browser: Browser, server: Server, email: str, lang: str, width: int = 1280) -> Page:
    token = httpx.post(f"{server.url}/auth/sign-in", json={"email": email, "password": PASSWORD}, timeout=10)
    context = browser.new_context(base_url=server.url, viewport={"width": width, "height": 900},
                                  locale="it-IT" if lang == "it" else "en-GB")
    context.add_cookies([{"name": SESSION_COOKIE, "value": token.json()["token"], "url": server.url,
                          "httpOnly": True, "sameSite": "Strict"}])
    return context.new_page()


@pytest.mark.slow
def test_a_24_7_rota_a_sign_up_an_overlap_refused_and_the_gaps(browser: Browser, server: Server,
                                                               artifacts: Path) -> None:
    # Given coordinator Chiara and volunteer Giulia (helpline) with console accounts
    account(server, "chiara@angeli.example", "coordinator")
    giulia = server.api.post("/volunteers", json={"full_name": "Giulia Rossi", "phone": "+39 02 5550 1234",
                                                  "email": "giulia@example.org", "roles": ["helpline"]}).json()["id"]
    account(server, "giulia@angeli.example", "volunteer", giulia)
    tomorrow = (server.started_at.astimezone(ROME).date() + timedelta(days=1)).isoformat()

    # When Chiara, keyboard only, makes a 24/7 pattern of 4-hour slots for two weeks from tomorrow
    chiara = session_page(browser, server, "chiara@angeli.example", "it")
    chiara.goto("/console/shifts?lang=it")
    expect(chiara.locator("#coordinator")).to_be_visible()
    expect(chiara.get_by_label("Dal giorno")).to_have_value(tomorrow)
    chiara.locator("#p-day-7").focus()
    chiara.keyboard.press("Space")  # Sunday too
    expect(chiara.locator("#p-day-7")).to_be_checked()
    chiara.get_by_label("24 ore su 24, a fasce di").select_option("4")
    chiara.get_by_label("Posti").nth(1).fill("2")
    chiara.get_by_role("button", name="Crea i turni").focus()
    chiara.keyboard.press("Enter")
    # Then the 84 slots are made, and the week shows tomorrow's six
    expect(chiara.locator("#flash")).to_have_text("Creati 84 turni.")
    expect(chiara.locator(f"section[aria-labelledby='day-{tomorrow}'] li.sh-slot")).to_have_count(6)

    # When she makes the same pattern again, it is refused with the reason and nothing is added
    chiara.get_by_role("button", name="Crea i turni").click()
    expect(chiara.locator("#flash")).to_contain_text("si sovrappone a un turno già previsto")
    expect(chiara.locator(f"section[aria-labelledby='day-{tomorrow}'] li.sh-slot")).to_have_count(6)
    # And she adds one reinforcement slot, 10:00-14:00 tomorrow, for one volunteer
    chiara.get_by_label("Giorno", exact=True).fill(tomorrow)
    chiara.get_by_label("Inizio").fill("10:00")
    chiara.get_by_label("Fine").fill("14:00")
    chiara.get_by_label("Posti").first.fill("1")
    chiara.get_by_role("button", name="Crea turno").click()
    expect(chiara.locator("#flash")).to_have_text("Turno creato.")
    expect(chiara.locator(f"section[aria-labelledby='day-{tomorrow}'] li.sh-slot")).to_have_count(7)

    # When Giulia opens tomorrow's day and signs up, keyboard only, for 08:00-12:00
    page = session_page(browser, server, "giulia@angeli.example", "it", width=PHONE)
    page.goto(f"/console/shifts?lang=it&view=day&day={tomorrow}")
    morning = page.get_by_role("button", name="Mi iscrivo: Linea d'ascolto, 08:00-12:00")
    morning.focus()
    page.keyboard.press("Enter")
    expect(page.locator("#flash")).to_have_text("Iscrizione fatta.")
    expect(page.locator("li.sh-slot.mine")).to_have_count(1)
    expect(page.get_by_role("button", name="Mi ritiro: Linea d'ascolto, 08:00-12:00")).to_be_focused()
    # Then the reinforcement 10:00-14:00 overlaps it: refused with the reason, in Italian
    page.get_by_role("button", name="Mi iscrivo: Linea d'ascolto, 10:00-14:00").click()
    expect(page.locator("#flash")).to_have_text("Rifiutato: si sovrappone a un turno che hai già")
    expect(page.locator("li.sh-slot.mine")).to_have_count(1)
    page.screenshot(path=str(artifacts / "shifts-volunteer-day-390-it.png"), full_page=True)

    # And the coverage view shows the hours short of volunteers: every hour of the rota needs two, Giulia is one
    page.get_by_role("button", name="Copertura (14 giorni)").click()
    expect(page.locator("#coverage-grid tbody tr")).to_have_count(15)  # 14 x 24 hours from now reach a 15th day
    expect(page.locator("#gaps-count")).to_contain_text("ore scoperte")
    expect(page.locator("#coverage-grid td.gap").first).to_be_visible()
    assert page.locator("#gaps tbody tr").count() >= 13 * 24
    page.context.close()

    # When Chiara cancels the reinforcement (confirmed), it leaves the day
    chiara.once("dialog", lambda dialog: dialog.accept())
    chiara.get_by_role("button", name="Annulla turno: Linea d'ascolto, 10:00-14:00").click()
    expect(chiara.locator("#flash")).to_have_text("Turno annullato.")
    expect(chiara.locator(f"section[aria-labelledby='day-{tomorrow}'] li.sh-slot")).to_have_count(6)
    chiara.context.close()

    # Screenshots: week, day and coverage, desktop and phone, Italian and English
    for lang in ("it", "en"):
        for width in (1280, PHONE):
            shot = session_page(browser, server, "chiara@angeli.example", lang, width)
            for view in ("week", "day", "coverage"):
                shot.goto(f"/console/shifts?lang={lang}&view={view}&day={tomorrow}")
                expect(shot.locator("#range-title")).not_to_have_text(re.compile("Caricamento|Loading"))
                shot.wait_for_load_state("networkidle")
                assert shot.evaluate("document.documentElement.scrollWidth") <= width, f"{view} {lang} {width}"
                shot.screenshot(path=str(artifacts / f"shifts-{view}-{width}-{lang}.png"), full_page=True)
            shot.context.close()


@pytest.mark.parametrize("lang", ["it", "en"])
def test_the_shifts_page_has_a_label_for_every_control_and_a_name_for_every_button(client: TestClient,
                                                                                    lang: str) -> None:
    page = client.get(f"/console/shifts?lang={lang}")
    assert page.status_code == 200 and page.headers["content-language"] == lang
    assert ("Turni della settimana" if lang == "it" else "The week's shifts") in page.text
    controls = Controls()
    controls.feed(page.text)
    assert controls.unlabelled() == []
    assert controls.problems == []
