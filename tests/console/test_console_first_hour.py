"""What a newcomer meets in the first hour, in Chromium: "New campaign" offers the open funds (and says how to
create one when none is open), and the calling screen tells an account that cannot call what to do instead."""

from __future__ import annotations

import re
from datetime import date, timedelta

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect

from services.identity.auth import SESSION_COOKIE
from tests.campaigns.conftest import SCRIPT
from tests.console.conftest import ADMIN, Server

pytestmark = pytest.mark.slow


def signed_in_page(browser: Browser, server: Server, locale: str, width: int = 1280) -> Page:
    """A page of the administrator's session. The session cookie is handed to the browser without an expiry of
    the product's calendar: the server alone judges whether the session still holds."""
    token = httpx.post(f"{server.url}/auth/sign-in", json=ADMIN, timeout=10).json()["token"]
    context = browser.new_context(base_url=server.url, viewport={"width": width, "height": 900}, locale=locale)
    context.add_cookies([{"name": SESSION_COOKIE, "value": token, "url": server.url, "httpOnly": True,
                          "sameSite": "Strict"}])
    return context.new_page()


def test_new_campaign_offers_the_open_funds_and_says_how_to_create_one_when_none_is_open(
        browser: Browser, server: Server) -> None:
    # Given a centre with no fund yet
    page = signed_in_page(browser, server, "en-GB")
    page.goto("/console/campaigns?lang=en")
    # Then "New campaign" says a campaign needs an open fund and where to create one
    expect(page.locator("#no-open-funds")).to_be_visible()
    expect(page.locator("#no-open-funds")).to_contain_text("No open fund")
    expect(page.locator("#no-open-funds")).to_contain_text("New fund")
    expect(page.locator("#c-fund option")).to_have_count(0)

    # When the manager creates "Pacchi di Natale" there, and "Emergenza freddo" exists but is closed
    cold = server.api.post("/funds", json={"name": "Emergenza freddo"}).json()["id"]
    assert server.api.post(f"/funds/{cold}/close").status_code == 200
    page.get_by_label("New fund").fill("Pacchi di Natale")
    page.get_by_role("button", name="Add fund").click()

    # Then the fund list offers only the open fund, already chosen, and the advice is gone
    expect(page.locator("#c-fund option")).to_have_text(["Pacchi di Natale"])
    expect(page.locator("#no-open-funds")).to_be_hidden()
    page.reload()
    expect(page.locator("#c-fund option")).to_have_text(["Pacchi di Natale"])  # from the API's funds list

    # And a campaign created with it raises money for that fund
    page.get_by_label("Name").first.fill("Natale")
    page.get_by_label("Goal").fill("10000")
    page.get_by_label("Ends on").fill((date.today() + timedelta(days=60)).isoformat())  # starts today
    with page.expect_response(lambda r: r.url.endswith("/campaigns") and r.request.method == "POST") as made:
        page.get_by_role("button", name="Create", exact=True).click()
    assert made.value.status == 201, made.value.text()
    funds = {f["name"]: f["fund_id"] for f in server.api.get("/transparency/funds").json()["funds"]}
    assert made.value.json()["fund_id"] == funds["Pacchi di Natale"]


@pytest.mark.parametrize(("lang", "locale", "says", "link"), [
    ("it", "it-IT", "La schermata di chiamata è per gli account dei volontari", "Accedi come volontario"),
    ("en", "en-GB", "The calling screen is for volunteers' accounts", "Sign in as a volunteer"),
])
def test_the_calling_screen_tells_an_account_that_cannot_call_what_is_wrong_and_what_to_do(
        browser: Browser, server: Server, lang: str, locale: str, says: str, link: str) -> None:
    # Given the administrator, whose account is not a volunteer's
    page = signed_in_page(browser, server, locale, width=390)
    # When she opens the calling screen
    page.goto(f"/console/calling?lang={lang}")
    # Then it says the screen is for volunteers, names her role, and links to signing in as a volunteer
    message = page.locator("#wrong-role-text")
    expect(message).to_contain_text(says)
    expect(message).to_contain_text("administrator")
    login = re.compile(r"/console/login\?.*next=/console/calling")
    expect(page.get_by_role("link", name=link)).to_have_attribute("href", login)
    expect(page.locator("#calling")).to_be_hidden()  # no clock-in button that could only fail
    expect(page.locator("#flash")).to_be_hidden()


def test_the_dashboard_of_a_campaign_not_yet_launched_shows_nobody_callable_in_the_headline_and_the_table(
        browser: Browser, server: Server) -> None:
    # Given "Pasqua", with three donors imported but not launched
    fund = server.api.post("/funds", json={"name": "Uova di Pasqua"}).json()["id"]
    today = date.today()
    created = server.api.post("/campaigns", json={
        "name": "Pasqua", "fund_id": fund, "goal": "5000", "starts_on": (today - timedelta(days=400)).isoformat(),
        "ends_on": (today + timedelta(days=400)).isoformat(),
        "script": {"text": "Buongiorno {first_name}. {privacy_notice}", "privacy_notice": SCRIPT["privacy_notice"]}})
    assert created.status_code == 201, created.text
    campaign = created.json()
    donors = b"nome;telefono\nMaria;02 1234 5678\nLuca;06 9876 5432\nAnna;011 555 1234\n"
    imported = server.api.post(f"/campaigns/{campaign['id']}/contacts/import",
                               files={"file": ("donatori.csv", donors, "text/csv")})
    assert imported.status_code == 201, imported.text
    # When the manager opens its dashboard
    page = signed_in_page(browser, server, "en-GB")
    page.goto(f"/console/campaigns/{campaign['id']}?lang=en")
    # Then the headline and the reasons table agree that nobody is callable, and say why
    expect(page.locator("#callable")).to_have_text("0 / 3")
    expect(page.locator("#blocked")).to_contain_text("campaign is draft")
    expect(page.locator("#reasons tbody tr").first).to_contain_text("3")
    assert "callable now" not in page.locator("#reasons").inner_text()
