"""The hours page names a week by the day it starts, as its reader writes days, never by an ISO week code."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from playwright.sync_api import Browser, expect

from tests.conftest import ROME
from tests.console.conftest import Server
from tests.console.test_console_first_hour import signed_in_page

pytestmark = pytest.mark.slow


@pytest.mark.parametrize(("lang", "locale"), [("it", "it-IT"), ("en", "en-GB")])
def test_the_hours_page_names_each_week_by_its_monday(browser: Browser, server: Server, lang: str,
                                                      locale: str) -> None:
    # Given Giulia, who clocked in and out this week
    giulia = server.api.post("/volunteers", json={"full_name": "Giulia Rossi", "phone": "+39 02 1234 5678",
                                                  "email": "giulia@example.org", "roles": ["outreach"]})
    assert giulia.status_code == 201, giulia.text
    for step in ("clock-in", "clock-out"):
        assert server.api.post(f"/volunteers/{giulia.json()['id']}/{step}").status_code == 200
    # When the administrator opens the hours page
    page = signed_in_page(browser, server, locale)
    page.goto(f"/console/hours?lang={lang}")
    # Then the chart and the table name the week by its Monday, day before month, and no ISO week code shows
    today = server.started_at.astimezone(ROME).date()
    monday = today - timedelta(days=today.weekday())
    expect(page.locator("#centre-chart svg")).to_contain_text(re.compile(f"0?{monday.day}/0?{monday.month}"))
    expect(page.locator("#hours-table tbody")).to_contain_text("Giulia Rossi")
    shown = page.locator("main").inner_text()
    assert not re.search(r"\bW\d\d\b|\d{4}-W\d\d", shown), shown
