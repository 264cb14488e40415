"""The administrator's desk in Chromium: Anna signs in and lands on it, creates Bea's account by invitation, Bea opens
the link in her own browser, chooses her password and signs in; Anna changes Bea's role, disables her (Bea's session
is refused at once), creates an API key (its secret shown once) and revokes it; the trail shows each change; bad
input is answered in the page and nothing is stored. Screenshots at 1280 and 390 px, Italian and English."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient
from playwright.sync_api import Browser, Page, expect

from tests.console.conftest import ADMIN, LOCALES, Server, fits
from tests.console.test_accessibility import Controls

pytestmark = pytest.mark.slow
BEA_PASSWORD = "la-password-di-bea"
TEXTS = {
    "it": {"create": "Crea l'account", "change": "Cambia ruolo", "disable": "Disattiva", "key": "Crea la chiave",
           "revoke": "Revoca", "save": "Salva", "viewer": "sola lettura", "disabled": "disattivato",
           "active": "attivo", "password_set": "password scelta con il link", "key_revoked": "chiave revocata",
           "account_disabled": "account disattivato", "exists": "already exists", "needs_id": "codice del volontario",
           "sign_in": "Accedi"},
    "en": {"create": "Create the account", "change": "Change role", "disable": "Disable", "key": "Create the key",
           "revoke": "Revoke", "save": "Save", "viewer": "viewer", "disabled": "disabled", "active": "active",
           "password_set": "password set through the link", "key_revoked": "key revoked",
           "account_disabled": "account disabled", "exists": "already exists", "needs_id": "volunteer's id",
           "sign_in": "Sign in"},
}


@pytest.mark.parametrize("lang", ["it", "en"])
def test_every_control_of_the_admin_page_has_a_label(page_reader: TestClient, lang: str) -> None:
    page = page_reader.get("/console/admin", headers={"Accept-Language": lang})
    assert page.status_code == 200 and page.headers["content-language"] == lang
    assert f'href="/console/admin?lang={lang}" aria-current="page"' in page.text
    controls = Controls()
    controls.feed(page.text)
    assert controls.unlabelled() == []
    assert controls.problems == []


def new_page(browser: Browser, server: Server, lang: str, width: int) -> Page:
    context = browser.new_context(base_url=server.url, viewport={"width": width, "height": 900},
                                  locale=LOCALES[lang])
    return context.new_page()


def sign_in(page: Page, lang: str, email: str, password: str) -> None:
    page.goto(f"/console/login?lang={lang}")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password").fill(password)
    page.locator("form button[type=submit]").click()


def me_status(page: Page) -> int:
    status: int = page.evaluate("fetch('/auth/me', {credentials: 'same-origin'}).then((r) => r.status)")
    return status


def test_an_administrator_invites_changes_disables_and_keys_from_the_desk(
        browser: Browser, server: Server, artifacts: Path) -> None:
    for lang, width in (("it", 1280), ("en", 1280), ("it", 390), ("en", 390)):
        text, tag = TEXTS[lang], f"{lang}-{width}"
        bea = f"bea-{tag}@angeli.example"
        anna = new_page(browser, server, lang, width)
        anna.on("dialog", lambda dialog: dialog.accept())

        # Anna signs in and lands on the desk
        sign_in(anna, lang, ADMIN["email"], ADMIN["password"])
        anna.wait_for_url(re.compile(r"/console/admin\?lang="))
        expect(anna.locator("#admin[data-ready]")).to_be_attached()
        expect(anna.locator("nav a[aria-current=page]")).to_have_attribute("href", f"/console/admin?lang={lang}")

        # bad input first: a volunteer without a volunteer id, then an e-mail that has an account already
        anna.locator("#n-email").fill(bea)
        anna.locator("#n-role").select_option("volunteer")
        anna.get_by_role("button", name=text["create"]).click()
        expect(anna.locator("#flash.error")).to_contain_text(text["needs_id"])
        expect(anna.locator("#n-volunteer")).to_be_focused()
        anna.locator("#n-role").select_option("coordinator")
        expect(anna.locator("#n-volunteer")).to_be_hidden()
        anna.locator("#n-email").fill(ADMIN["email"])
        anna.get_by_role("button", name=text["create"]).click()
        expect(anna.locator("#flash.error")).to_contain_text(text["exists"])
        assert server.api.get("/auth/accounts", params={"status": "invited"}).json() == []

        # Bea's account, by invitation: the link is shown once
        anna.locator("#n-email").fill(bea)
        anna.locator("#n-email").press("Enter")
        expect(anna.locator("#link-title")).to_be_focused()
        link = anna.locator("#link").input_value()
        assert "/console/welcome?token=" in link
        row = anna.locator("#accounts tbody tr", has_text=bea)
        expect(row).to_be_visible()
        if width == 390:
            fits(anna)
        anna.screenshot(path=str(artifacts / f"admin-invitation-{tag}.png"), full_page=True)

        # Bea opens it in her own browser, chooses her password and signs in as a coordinator
        bea_page = new_page(browser, server, lang, width)
        bea_page.goto(link)
        bea_page.locator("#w-password").fill(BEA_PASSWORD)
        bea_page.locator("#w-repeat").fill(BEA_PASSWORD)
        bea_page.locator("#w-repeat").press("Enter")
        expect(bea_page.locator("#w-next a")).to_be_focused()
        bea_page.locator("#w-next a").click()
        bea_page.get_by_label("E-mail").fill(bea)
        bea_page.get_by_label("Password").fill(BEA_PASSWORD)
        bea_page.locator("form button[type=submit]").click()
        bea_page.wait_for_url(re.compile(r"/console/now\?lang="))  # a coordinator lands on the live board
        assert me_status(bea_page) == 200

        # Anna sees her active, makes her a viewer (Bea's open session has the new role at once)
        anna.get_by_role("button", name=re.compile(r"^(Mostra|Show)$")).click()
        expect(row.locator(".badge")).to_have_text(text["active"])
        row.locator("select").select_option("viewer")
        row.get_by_role("button", name=f"{text['change']}: {bea}").click()
        expect(row.locator("td").first).to_have_text(text["viewer"])
        assert bea_page.evaluate("fetch('/auth/me').then((r) => r.json())")["role"] == "viewer"

        # and disables her: Bea's session is refused at once
        row.get_by_role("button", name=f"{text['disable']}: {bea}").click()
        expect(row.locator(".badge")).to_have_text(text["disabled"])
        assert me_status(bea_page) == 401
        bea_page.reload()
        expect(bea_page.locator("#login-link")).to_be_visible()
        bea_page.context.close()

        # An API key: the secret shown once works, and stops working once revoked
        anna.locator("#k-name").fill(f"schermo {tag}")
        anna.locator("#k-role").select_option("viewer")
        anna.get_by_role("button", name=text["key"]).click()
        expect(anna.locator("#secret-title")).to_be_focused()
        secret = anna.locator("#secret").input_value()
        assert httpx.get(f"{server.url}/auth/me", headers={"X-API-Key": secret}).status_code == 200
        if width == 390:
            fits(anna)
        anna.screenshot(path=str(artifacts / f"admin-key-{tag}.png"), full_page=True)
        anna.locator("#keys tbody tr", has_text=f"schermo {tag}").get_by_role(
            "button", name=f"{text['revoke']}: schermo {tag}").click()
        expect(anna.locator("#keys tbody tr", has_text=f"schermo {tag}").locator(".badge")).to_have_text(
            re.compile("revocata|revoked"))
        assert httpx.get(f"{server.url}/auth/me", headers={"X-API-Key": secret}).status_code == 401

        # The trail says who changed what
        trail = anna.locator("#trail tbody")
        for change in (text["password_set"], text["account_disabled"], text["key_revoked"]):
            expect(trail).to_contain_text(change)
        expect(trail.locator("tr", has_text=text["password_set"]).first).to_contain_text(bea)
        if width == 390:
            fits(anna)
        anna.screenshot(path=str(artifacts / f"admin-desk-{tag}.png"), full_page=True)
        anna.context.close()
