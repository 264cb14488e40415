"""'Why is nobody being dialled?' reads in the dashboard's language, its days in the reader's format, in Chromium."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from playwright.sync_api import Browser, expect

from tests.campaigns.conftest import SCRIPT
from tests.conftest import ROME
from tests.console.conftest import Server, launched_campaign
from tests.console.test_console_e2e import PASSWORD, account
from tests.console.test_console_first_hour import signed_in_page

pytestmark = pytest.mark.slow


def draft_starting_in_ten_days(server: Server) -> dict[str, Any]:
    """'Befana', a draft campaign opening ten days after the product's day, with two donors and no register
    checked yet: nobody is callable, for three reasons at once."""
    fund = server.api.post("/funds", json={"name": "Calze della Befana"}).json()["id"]
    starts = server.started_at.astimezone(ROME).date() + timedelta(days=10)
    created = server.api.post("/campaigns", json={
        "name": "Befana", "fund_id": fund, "goal": "3000", "starts_on": starts.isoformat(),
        "ends_on": (starts + timedelta(days=30)).isoformat(),
        "script": {"text": "Buongiorno {first_name}. {privacy_notice}", "privacy_notice": SCRIPT["privacy_notice"]}})
    assert created.status_code == 201, created.text
    donors = b"nome;telefono\nMaria;02 1234 5678\nLuca;06 9876 5432\n"
    imported = server.api.post(f"/campaigns/{created.json()['id']}/contacts/import",
                               files={"file": ("donatori.csv", donors, "text/csv")})
    assert imported.status_code == 201, imported.text
    return {"id": created.json()["id"], "starts": starts}


@pytest.mark.parametrize(("lang", "locale", "status", "register", "starts", "state"), [
    ("it", "it-IT", "campagna bozza", "il registro delle opposizioni non è mai stato consultato",
     "la campagna inizia il {d}/{m}/{y}", "in coda"),
    ("en", "en-GB", "campaign is draft", "the national opposition register was never checked",
     "the campaign starts on {d}/{m}/{y}", "queued"),
])
def test_the_dashboard_says_why_nobody_is_dialled_in_its_own_language_with_days_as_its_readers_write_them(
        browser: Browser, server: Server, lang: str, locale: str, status: str, register: str, starts: str,
        state: str) -> None:
    # Given "Befana", a draft opening in ten days, and no register checked yet
    campaign = draft_starting_in_ten_days(server)
    # When the manager opens its dashboard
    page = signed_in_page(browser, server, locale)
    page.goto(f"/console/campaigns/{campaign['id']}?lang={lang}")
    # Then the blocks, the reasons and the states are written in the page's language
    expect(page.locator("#callable")).to_have_text("0 / 2")
    expect(page.locator("#blocked")).to_contain_text(status)
    expect(page.locator("#blocked")).to_contain_text(register)
    day = campaign["starts"]
    written = starts.format(d=f"0?{day.day}", m=f"0?{day.month}", y=day.year)
    expect(page.locator("#reasons tbody")).to_contain_text(re.compile(written))
    expect(page.locator("#states tbody")).to_contain_text(state)
    # And no English reason nor ISO day is left on the Italian page
    why = page.locator("#why-title").locator("..").inner_text()
    assert not re.search(r"\d{4}-\d{2}-\d{2}", why)
    if lang == "it":
        assert not re.search(r"campaign|register|callable|queued", why)


@pytest.fixture(scope="module")
def closed_today(server: Server) -> str:
    """'Epifania', launched with two donors, whose window leaves out the product's weekday; and Giulia's account."""
    today = server.started_at.astimezone(ROME).date()
    campaign = launched_campaign(server, "Epifania", "Calze dell'Epifania", today,
                                 window={"weekdays": [d for d in range(6) if d != today.weekday()]})
    giulia = server.api.post("/volunteers", json={"full_name": "Giulia Rossi", "phone": "+39 02 5550 1234",
                                                  "email": "giulia@example.org", "roles": ["outreach"]}).json()["id"]
    account(server, "giulia@angeli.example", "volunteer", giulia)
    return campaign


@pytest.mark.parametrize(("lang", "locale", "button", "says", "opens"), [
    ("it", "it-IT", "Prossimo contatto", "2 {weekday}: la campagna non chiama", "La finestra di chiamata si riapre"),
    ("en", "en-GB", "Next contact", "2 the campaign does not call on {weekday}", "The calling window next opens"),
])
def test_the_calling_screen_says_in_its_language_why_no_contact_is_offered(
        browser: Browser, server: Server, closed_today: str, lang: str, locale: str, button: str, says: str,
        opens: str) -> None:
    # Given Giulia on the calling screen, on a day "Epifania" does not call
    page = browser.new_page(base_url=server.url, locale=locale)
    page.goto(f"/console/login?lang={lang}")
    page.get_by_label("E-mail").fill("giulia@angeli.example")
    page.get_by_label("Password").fill(PASSWORD)
    page.locator("form button[type=submit]").click()
    page.wait_for_url(re.compile(r"/console/calling"))
    page.goto(f"/console/calling?lang={lang}")
    page.wait_for_load_state("networkidle")  # her presence is known: clocked in by an earlier case, or not
    if page.locator("#clock-in").is_visible():
        page.locator("#clock-in").click()
    # When she asks for the next contact
    page.get_by_role("button", name=re.compile(button)).click()
    # Then the screen says, in the page's language, that the campaign does not call today and when it opens again
    weekday = page.evaluate(f"new Intl.DateTimeFormat('{locale}', {{ weekday: 'long', timeZone: 'Europe/Rome' }})"
                            f".format(new Date('{server.started_at.isoformat()}'))")
    expect(page.locator("#none")).to_contain_text(says.format(weekday=weekday))
    expect(page.locator("#none")).to_contain_text(opens)
    page.close()
