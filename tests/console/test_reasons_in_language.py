"""'Why is nobody being dialled?' reads in the dashboard's language, its days in the reader's format, in Chromium."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from playwright.sync_api import Browser, expect

from tests.campaigns.conftest import SCRIPT
from tests.conftest import ROME
from tests.console.conftest import Server
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
