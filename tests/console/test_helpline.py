"""The helpline screen: every control labelled in both languages, and end to end in Chromium — volunteer Giulia
clocks in, answers a call, finds the caller's municipality, follows a protocol whose step redirects a medical
request to the municipality's health number, reloads and finds the call where she left it, ends it with notes
and an outcome, and searches the directory; screenshots at 1280 and 390 px, Italian and English."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from playwright.sync_api import Browser, Page, expect

from tests.console.conftest import LOCALES, Server
from tests.console.test_accessibility import Controls

PASSWORD = "una-password-lunga"
DIRECTORY = "istat_code;municipality;category;number\n015146;Milano;health;02 8578 1\n013041;Cantù;health;118\n"
PROTOCOL = {"name": "Ascolto anziani", "steps": [
    {"key": "motivo", "question": "Per cosa chiama?", "choices": ["richiesta medica", "compagnia", "altro"],
     "redirect_when": "richiesta medica", "redirect_to": "health"},
    {"key": "racconto", "question": "Che cosa racconta?"},
]}
TEXTS = {
    "it": {"clock_in": "Inizia turno", "answer": "Rispondi a una chiamata", "end": "Chiudi la chiamata",
           "search": "Cerca", "resumed": "Chiamata ripresa", "ended": "chiamata chiusa", "redirect": "Indirizza a",
           "health": "sanità"},
    "en": {"clock_in": "Clock in", "answer": "Answer a call", "end": "End the call",
           "search": "Search", "resumed": "Call resumed", "ended": "call ended", "redirect": "Redirect to",
           "health": "health"},
}


@pytest.mark.parametrize("lang", ["it", "en"])
@pytest.mark.parametrize("path", ["/console/helpline", "/console/protocols"])
def test_every_control_of_the_helpline_pages_has_a_label_and_every_button_a_name(
        page_reader: TestClient, path: str, lang: str) -> None:
    page = page_reader.get(path, headers={"Accept-Language": lang})
    assert page.status_code == 200 and page.headers["content-language"] == lang
    assert f'href="{path}?lang={lang}" aria-current="page"' in page.text
    controls = Controls()
    controls.feed(page.text)
    assert controls.unlabelled() == []
    assert controls.problems == []


@pytest.mark.slow
def test_a_volunteer_handles_a_helpline_call_with_a_redirect_resumes_it_after_a_reload_and_ends_it(
        browser: Browser, server: Server, artifacts: Path) -> None:
    # Given volunteer Giulia with a console account, the directory, and a protocol redirecting medical requests
    api = server.api
    giulia = api.post("/volunteers", json={"full_name": "Giulia Rossi", "phone": "+39 02 5550 1234",
                                           "email": "giulia@example.org", "roles": ["helpline"]}).json()["id"]
    assert api.post("/auth/accounts", json={"email": "giulia@angeli.example", "password": PASSWORD,
                                            "role": "volunteer", "volunteer_id": giulia}).status_code == 201
    imported = api.post("/directory/imports", files={"file": ("comuni.csv", DIRECTORY.encode(), "text/csv")})
    assert imported.json()["numbers_added"] == 2, imported.text
    protocol = api.post("/protocols", json=PROTOCOL).json()["id"]

    runs = [("it", 1280), ("en", 1280), ("it", 390), ("en", 390)]
    for lang, width in runs:
        page = sign_in(browser, server, lang, width)
        handle_a_call(page, lang, f"{lang}-{width}", artifacts, protocol)
        page.close()

    # Then four helpline calls, each redirected to Milan's health number, ended as answered with notes in the vault
    listed = api.get(f"/calls?volunteer_id={giulia}&kind=inbound").json()
    assert listed["total"] == len(runs)
    assert {(c["disposition"], c["redirects"], c["protocol_version"]) for c in listed["calls"]} == {("answered", 1, 1)}
    last = api.get(f"/calls/{listed['calls'][0]['id']}").json()
    assert last["redirects"] == [{"step": "motivo", "category": "health", "istat_code": "015146",
                                  "target": "+390285781"}]
    assert last["answers"]["racconto"] == "Ha la pressione alta da ieri"
    assert last["notes"] == "Richiamare la figlia in serata"
    assert api.get(f"/volunteers/{giulia}/open-call").json() is None


def sign_in(browser: Browser, server: Server, lang: str, width: int) -> Page:
    page = browser.new_page(base_url=server.url, viewport={"width": width, "height": 900},
                            locale="it-IT" if lang == "it" else "en-GB")
    page.goto(f"/console/login?lang={lang}&next=/console/helpline")
    page.get_by_label("E-mail").fill("giulia@angeli.example")
    page.get_by_label("Password").fill(PASSWORD)
    page.locator("form button[type=submit]").click()
    page.wait_for_url(re.compile(r"/console/helpline"))
    return page


def handle_a_call(page: Page, lang: str, tag: str, artifacts: Path, protocol: str) -> None:
    text = TEXTS[lang]
    clock_in = page.get_by_role("button", name=text["clock_in"])
    expect(page.locator("#helpline[data-ready]")).to_be_attached()  # presence, protocols and open call read
    expect(page.locator("#protocol")).to_contain_text("Ascolto anziani")
    page.locator("#protocol").select_option(value=protocol)
    if clock_in.is_visible():
        clock_in.click()
    answer = page.get_by_role("button", name=text["answer"])
    expect(answer).to_be_enabled()
    page.screenshot(path=str(artifacts / f"helpline-start-{tag}.png"), full_page=True)

    # She answers; the municipality field has the focus: typed and chosen from the keyboard alone
    answer.click()
    expect(page.locator("#call")).to_be_visible()
    expect(page.locator("#place")).to_be_focused()
    page.keyboard.type("MILANO")
    page.keyboard.press("Enter")
    found = page.get_by_role("button", name="Milano (015146)")
    expect(found).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator("#place-chosen")).to_contain_text("Milano (015146)")

    # The first step's answer "richiesta medica" redirects to Milan's health number: a tel: link and a copy button
    page.get_by_role("button", name="richiesta medica").click()
    redirect = page.locator("#redirects .redirect")
    expect(redirect).to_contain_text(f"{text['redirect']}: {text['health']}")
    expect(redirect.locator('a[href="tel:+390285781"]')).to_be_visible()
    expect(redirect.get_by_role("button", name=re.compile(r"\+390285781"))).to_be_visible()
    expect(page.locator("#step-answer")).to_be_focused()
    width = page.viewport_size["width"] if page.viewport_size else 0
    assert page.evaluate("document.documentElement.scrollWidth") <= width  # nothing wider than the screen
    page.screenshot(path=str(artifacts / f"helpline-redirect-{tag}.png"), full_page=True)

    # A reload resumes the call where it was: the answer, the redirect, the next step
    page.reload()
    expect(page.locator("#helpline[data-ready]")).to_be_attached()
    expect(page.locator("#flash")).to_contain_text(text["resumed"])
    expect(page.locator("#answered")).to_contain_text("richiesta medica")
    expect(page.locator('#redirects a[href="tel:+390285781"]')).to_be_visible()
    expect(page.locator("#step-question")).to_contain_text("Che cosa racconta?")
    expect(page.locator("#place-chosen")).to_contain_text("Milano")

    page.locator("#step-answer").fill("Ha la pressione alta da ieri")
    page.locator("#step-text button[type=submit]").click()
    expect(page.locator("#protocol-done")).to_be_visible()
    expect(page.locator("#notes")).to_be_focused()
    page.keyboard.type("Richiamare la figlia in serata")
    page.get_by_role("button", name=text["end"]).click()
    expect(page.locator("#flash")).to_contain_text(text["ended"])
    expect(page.locator("#call")).to_be_hidden()

    # The directory, searched ignoring case and accents
    page.locator("#dir-municipality").fill("cantu")
    page.locator("#dir-category").fill(text["health"])
    page.get_by_role("button", name=text["search"]).click()
    results = page.locator("#directory-results")
    expect(results).to_contain_text("Cantù (013041)")
    expect(results.locator('a[href="tel:118"]')).to_be_visible()
    results.scroll_into_view_if_needed()
    page.screenshot(path=str(artifacts / f"helpline-directory-{tag}.png"), full_page=True)


@pytest.mark.slow
def test_a_coordinator_reads_a_published_version_drafts_the_next_previews_and_publishes_it(
        browser: Browser, server: Server, artifacts: Path) -> None:
    api = server.api
    assert api.post("/auth/accounts", json={"email": "chiara@angeli.example", "password": PASSWORD,
                                            "role": "coordinator"}).status_code == 201
    protocol = api.post("/protocols", json={**PROTOCOL, "name": "Accoglienza"}).json()["id"]
    for lang, width in [("it", 1280), ("en", 390)]:
        page = browser.new_page(base_url=server.url, viewport={"width": width, "height": 900},
                                locale=LOCALES[lang])
        page.goto(f"/console/login?lang={lang}&next=/console/protocols")
        page.get_by_label("E-mail").fill("chiara@angeli.example")
        page.get_by_label("Password").fill(PASSWORD)
        page.locator("form button[type=submit]").click()
        page.wait_for_url(re.compile(r"/console/protocols"))
        expect(page.locator("body[data-ready]")).to_be_attached()
        page.locator("#pick").select_option(label="Accoglienza")
        expect(page.locator("#published")).to_contain_text("Per cosa chiama?")
        page.locator("#draft-next").click()
        expect(page.locator("#draft-title")).to_be_focused()
        step = page.locator("#steps > li").nth(1)
        # A bad draft is refused with the reason and publishes nothing
        step.locator("[name=key]").fill("Racconto!")
        page.locator("#draft button[type=submit]").click()
        expect(page.locator("#flash")).to_contain_text("key must be lower-case")
        step.locator("[name=key]").fill("racconto")
        step.locator("[name=question]").fill(f"Che cosa racconta? ({lang})")
        page.locator("#add-step").click()
        added = page.locator("#steps > li").last
        expect(added.locator("[name=key]")).to_be_focused()
        added.locator("[name=key]").fill(f"solo_{lang}")
        added.locator("[name=question]").fill("Vive da solo?")
        added.locator("[name=choices]").fill("si\nno")
        added.locator("[name=redirect_when]").fill("si")
        added.locator("[name=redirect_to]").fill("social services")
        page.locator("#preview-button").click()
        expect(page.locator("#preview")).to_contain_text("Vive da solo?")
        expect(page.locator("#preview").get_by_role("button", name="si", exact=True).last).to_be_disabled()
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        page.screenshot(path=str(artifacts / f"protocols-draft-{lang}-{width}.png"), full_page=True)
        page.locator("#draft button[type=submit]").click()
        expect(page.locator("#flash")).to_contain_text("Accoglienza")
        expect(page.locator("#published")).to_contain_text("Vive da solo?")
        page.screenshot(path=str(artifacts / f"protocols-published-{lang}-{width}.png"), full_page=True)
        page.close()
    versions = api.get(f"/protocols/{protocol}").json()
    assert versions["version"] == 3  # one per language run; the refused draft published nothing
    assert [s["key"] for s in versions["steps"]] == ["motivo", "racconto", "solo_it", "solo_en"]
    assert versions["steps"][3] == {"key": "solo_en", "question": "Vive da solo?", "choices": ["si", "no"],
                                    "redirect_when": "si", "redirect_to": "social services"}
    assert api.get(f"/protocols/{protocol}?version=1").json()["steps"][1]["question"] == "Che cosa racconta?"
