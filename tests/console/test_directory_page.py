"""The directory page in Chromium: coordinator Chiara checks a CSV line by line (nothing stored), imports it, checks
it again (all unchanged, nothing to import), adds a municipality, renames it, adds and removes a number, and
searches by name ignoring case and accents and by service; volunteer Giulia only reads and searches; on the
helpline screen a call from a Milan landline proposes Milano "from the number". Screenshots at 1280 and 390 px,
Italian and English."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from playwright.sync_api import Browser, Page, expect

from tests.console.conftest import Server, fits, signed_in_through_form
from tests.console.test_accessibility import Controls

pytestmark = pytest.mark.slow
PASSWORD = "una-password-lunga"
CSV = ("codice_istat;comune;categoria;numero\n"
       "015146;Milano;sanità;02 8578 1\n"
       "015146;Milano;protezione civile;02 884 1\n"
       "013041;Cantù;health;031 799 111\n"
       "13041;Cantù;health;031 799 111\n"
       "013041;Cantù;oroscopo;031 799 111\n"
       "013041;Cantù;health;chiamami\n").encode()
TEXTS = {
    "it": {"check": "Controlla il file", "import": "Importa", "rejected": "scartata",
           "unknown": "servizio sconosciuto «oroscopo»",
           "short_istat": "il codice ISTAT deve avere 6 cifre, non «13041»", "to_import": "da importare",
           "unchanged": "già presente", "done": "Importazione completata", "create": "Aggiungi il comune",
           "edit": "Modifica", "rename": "Salva il nome", "add": "Aggiungi il numero", "remove": "Rimuovi",
           "search": "Cerca", "health": "sanità", "from_number": "dal numero", "answer": "Rispondi a una chiamata",
           "clock_in": "Inizia turno", "read_only": "la modificano i coordinatori"},
    "en": {"check": "Check the file", "import": "Import", "rejected": "rejected",
           "unknown": "unknown category 'oroscopo'",
           "short_istat": "ISTAT code must be 6 digits, got '13041'", "to_import": "to import",
           "unchanged": "unchanged", "done": "Import done", "create": "Add the municipality", "edit": "Edit",
           "rename": "Save the name", "add": "Add the number", "remove": "Remove", "search": "Search",
           "health": "health", "from_number": "from the number", "answer": "Answer a call", "clock_in": "Clock in",
           "read_only": "coordinators edit it"},
}


@pytest.mark.parametrize("lang", ["it", "en"])
def test_every_control_of_the_directory_page_has_a_label(page_reader: TestClient, lang: str) -> None:
    page = page_reader.get("/console/directory", headers={"Accept-Language": lang})
    assert page.status_code == 200 and page.headers["content-language"] == lang
    assert f'href="/console/directory?lang={lang}" aria-current="page"' in page.text
    controls = Controls()
    controls.feed(page.text)
    assert controls.unlabelled() == []
    assert controls.problems == []


def sign_in(browser: Browser, server: Server, email: str, lang: str, width: int, page_path: str) -> Page:
    return signed_in_through_form(browser, server, email, PASSWORD, lang, width, page_path)


def test_a_coordinator_imports_and_edits_the_directory_a_volunteer_searches_it_and_a_landline_names_the_town(
        browser: Browser, server: Server, artifacts: Path) -> None:
    api = server.api
    assert api.post("/auth/accounts", json={"email": "chiara@angeli.example", "password": PASSWORD,
                                            "role": "coordinator"}).status_code == 201
    giulia = api.post("/volunteers", json={"full_name": "Giulia Rossi", "phone": "+39 02 5550 1234",
                                           "email": "giulia@example.org", "roles": ["helpline"]}).json()["id"]
    assert api.post("/auth/accounts", json={"email": "giulia@angeli.example", "password": PASSWORD,
                                            "role": "volunteer", "volunteer_id": giulia}).status_code == 201
    assert api.post("/protocols", json={"name": "Ascolto", "steps": [
        {"key": "motivo", "question": "Per cosa chiama?", "choices": ["compagnia", "altro"]}]}).status_code == 201

    runs = [("it", 1280, "001272", "Torino"), ("en", 1280, "048017", "Firenze"),
            ("it", 390, "063049", "Napoli"), ("en", 390, "082053", "Palermo")]
    for index, (lang, width, istat, town) in enumerate(runs):
        text, tag = TEXTS[lang], f"{lang}-{width}"
        page = sign_in(browser, server, "chiara@angeli.example", lang, width, "/console/directory")
        expect(page.locator("#directory[data-ready]")).to_be_attached()

        # She checks the file: every line reported, nothing stored yet (the first time: three to import)
        page.set_input_files("#csv", files=[{"name": "comuni.csv", "mimeType": "text/csv", "buffer": CSV}])
        page.get_by_role("button", name=text["check"]).click()
        report = page.locator("#report-lines tbody tr")
        expect(report).to_have_count(6)
        expect(page.locator("#report-title")).to_be_focused()
        expect(report.nth(4)).to_contain_text(text["unknown"])  # the reasons in the page's language
        expect(report.nth(3)).to_contain_text(text["rejected"])
        expect(report.nth(3)).to_contain_text(text["short_istat"])
        commit = page.get_by_role("button", name=text["import"], exact=True)
        if index == 0:
            expect(report.nth(0)).to_contain_text(text["to_import"])
            expect(page.locator("#results")).not_to_contain_text("Cantù")
            fits(page)
            page.screenshot(path=str(artifacts / f"directory-preview-{tag}.png"), full_page=True)
            commit.click()
            expect(page.locator("#report-title")).to_have_text(text["done"])
            expect(page.locator("#results")).to_contain_text("Cantù (013041)")
        else:  # the same file again: nothing to import
            expect(report.nth(0)).to_contain_text(text["unchanged"])
            expect(commit).to_be_disabled()
        page.screenshot(path=str(artifacts / f"directory-import-{tag}.png"), full_page=True)

        # She adds a municipality with its first number, from the keyboard
        page.locator("#new-istat").fill(istat)
        page.locator("#new-name").fill(town.upper())
        page.locator("#new-category").select_option("health")
        page.locator("#new-number").fill("011 123456")
        page.locator("#new-number").press("Enter")
        entry = page.locator(f"#m-{istat}")
        expect(entry).to_contain_text(f"{town.upper()} ({istat})")
        expect(page.locator(f"#m-{istat}-title")).to_be_focused()
        expect(page.locator("#found")).to_contain_text(str(len(page.locator("#results > li").all())))

        # renames it, adds an emergency number, removes the first one
        entry.get_by_role("button", name=f"{text['edit']}: {town.upper()}").click()
        expect(page.locator(f"#m-{istat}-name")).to_be_focused()
        page.locator(f"#m-{istat}-name").fill(town)
        entry.get_by_role("button", name=text["rename"]).click()
        expect(page.locator(f"#m-{istat}")).to_contain_text(f"{town} ({istat})")
        page.locator(f"#m-{istat}-category").select_option("emergency")
        page.locator(f"#m-{istat}-number").fill("112")
        page.locator(f"#m-{istat}-number").press("Enter")
        expect(page.locator(f'#m-{istat} a[href="tel:112"]')).to_be_visible()
        expect(page.locator(f"#m-{istat}-edit")).to_be_visible()
        page.locator(f"#m-{istat}").screenshot(path=str(artifacts / f"directory-entry-editing-{tag}.png"))
        page.once("dialog", lambda dialog: dialog.accept())
        page.locator(f"#m-{istat}").get_by_role("button", name=re.compile(rf"^{text['remove']} 011 123456")).click()
        expect(page.locator(f'#m-{istat} a[href="tel:+39011123456"]')).to_have_count(0)
        fits(page)
        page.screenshot(path=str(artifacts / f"directory-edit-{tag}.png"), full_page=True)

        # and searches, case and accents aside, by service
        page.locator("#q").fill("CANTU")
        page.locator("#service").select_option("health")
        page.locator("#q").press("Enter")
        expect(page.locator("#results > li")).to_have_count(1)
        expect(page.locator("#results")).to_contain_text(text["health"])
        expect(page.locator('#results a[href="tel:+39031799111"]')).to_be_visible()
        page.close()

    listed = api.get("/directory/municipalities", params={"q": "torino"}).json()["municipalities"]
    assert listed == [{"istat_code": "001272", "name": "Torino", "numbers": [
        {"category": "emergency", "number": "112", "display": "112"}]}]

    # Giulia reads and searches the directory but edits nothing; on the helpline a Milan landline proposes Milano
    for lang, width in [("it", 390), ("en", 1280)]:
        text, tag = TEXTS[lang], f"{lang}-{width}"
        page = sign_in(browser, server, "giulia@angeli.example", lang, width, "/console/directory")
        expect(page.locator("#directory[data-ready]")).to_be_attached()
        expect(page.locator("#read-only")).to_contain_text(text["read_only"])
        expect(page.locator("#import-form")).to_be_hidden()
        expect(page.get_by_role("button", name=re.compile(text["edit"]))).to_have_count(0)
        page.locator("#q").fill("milano")
        page.get_by_role("button", name=text["search"], exact=False).first.click()
        expect(page.locator('#results a[href="tel:+390285781"]')).to_be_visible()
        fits(page)
        page.screenshot(path=str(artifacts / f"directory-volunteer-{tag}.png"), full_page=True)

        page.goto(f"/console/helpline?lang={lang}")
        expect(page.locator("#helpline[data-ready]")).to_be_attached()
        clock_in = page.get_by_role("button", name=text["clock_in"])
        if clock_in.is_visible():
            clock_in.click()
        page.locator("#caller-number").fill("02 8578 1")
        page.get_by_role("button", name=text["answer"]).click()
        expect(page.locator("#place-chosen")).to_contain_text(f"Milano (015146) — {text['from_number']}")
        expect(page.locator("#place")).to_have_value("Milano")
        fits(page)
        page.screenshot(path=str(artifacts / f"helpline-from-number-{tag}.png"), full_page=True)
        page.locator("#end-form input[value=abandoned]").check()
        page.locator("#end-form button[type=submit]").click()
        expect(page.locator("#call")).to_be_hidden()
        expect(page.locator("#caller-number")).to_have_value("")
        page.close()
