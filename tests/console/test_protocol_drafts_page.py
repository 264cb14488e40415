"""The protocol editor's drafts in Chromium: coordinator Chiara starts the next version's draft and saves it
unfinished; Anna saves over it meanwhile, so Chiara's next save is refused with the reason and she loads Anna's;
publishing an unfinished draft is refused, finishing and publishing makes the next read-only version; a draft is
discarded. A volunteer without the helpline role is told why on the helpline screen, and sees no drafts; one
without the outreach role is told why on the calling screen.
Screenshots at 1280 and 390 px, Italian and English."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from playwright.sync_api import Browser, Page, expect

from tests.console.conftest import Server
from tests.console.test_accessibility import Controls

PASSWORD = "una-password-lunga"
PROTOCOL = {"name": "Accoglienza", "steps": [
    {"key": "motivo", "question": "Per cosa chiama?", "choices": ["richiesta medica", "compagnia", "altro"],
     "redirect_when": "richiesta medica", "redirect_to": "health"}]}
TEXTS = {
    "it": {"none": "Nessuna bozza in corso", "new": "Bozza nuova", "saved": "Bozza salvata il", "open": "Apri la bozza",
           "conflict": "Qualcuno ha salvato la bozza", "unsaved": "Modifiche non ancora salvate",
           "published": "Pubblicato", "discarded": "Bozza scartata", "in_progress": "Bozza della versione",
           "no_role": "serve il ruolo «linea d'ascolto»", "editors": "le bozze sono degli esperti"},
    "en": {"none": "No draft in progress", "new": "New draft", "saved": "Draft saved on", "open": "Open the draft",
           "conflict": "Someone saved the draft", "unsaved": "Changes not saved yet",
           "published": "Published", "discarded": "Draft discarded", "in_progress": "Draft of version",
           "no_role": "needs the helpline role", "editors": "drafts are for experts"},
}
SIZES = [("it", 1280), ("en", 390), ("en", 1280), ("it", 390)]


def sign_in(browser: Browser, server: Server, email: str, lang: str, width: int, path: str) -> Page:
    page = browser.new_page(base_url=server.url, viewport={"width": width, "height": 900})
    page.goto(f"/console/login?lang={lang}&next={path}")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.locator("form button[type=submit]").click()
    page.wait_for_url(re.compile(path))
    return page


@pytest.mark.parametrize("lang", ["it", "en"])
def test_the_draft_controls_have_labels_and_names(client: TestClient, lang: str) -> None:
    page = client.get("/console/protocols", headers={"Accept-Language": lang})
    controls = Controls()
    controls.feed(page.text)
    assert controls.unlabelled() == [] and controls.problems == []
    assert 'id="save-draft"' in page.text and 'id="discard-draft"' in page.text


@pytest.mark.slow
def test_coordinators_share_a_draft_a_stale_save_is_refused_and_the_finished_draft_is_published(
        browser: Browser, server: Server, artifacts: Path) -> None:
    api = server.api
    assert api.post("/auth/accounts", json={"email": "chiara@angeli.example", "password": PASSWORD,
                                            "role": "coordinator"}).status_code == 201
    protocol = api.post("/protocols", json=PROTOCOL).json()["id"]
    for lang, width in SIZES:
        words, tag = TEXTS[lang], f"{lang}-{width}"
        page = sign_in(browser, server, "chiara@angeli.example", lang, width, "/console/protocols")
        expect(page.locator("body[data-ready]")).to_be_attached()
        page.locator("#pick").select_option(label="Accoglienza")
        expect(page.locator("#draft-status")).to_contain_text(words["none"])
        page.locator("#draft-next").click()
        expect(page.locator("#draft-title")).to_be_focused()
        expect(page.locator("#draft-state")).to_contain_text(words["new"])
        # Chiara saves an unfinished draft: a new step whose question is not written yet
        page.locator("#add-step").click()
        added = page.locator("#steps > li").last
        added.locator("[name=key]").fill(f"solo_{lang}_{width}")
        expect(page.locator("#draft-state")).to_contain_text(words["unsaved"])
        page.locator("#save-draft").click()
        expect(page.locator("#draft-state")).to_contain_text(words["saved"])
        expect(page.locator("#draft-state")).to_contain_text("chiara@angeli.example")
        expect(page.locator("#draft-status")).to_contain_text(words["in_progress"])
        page.screenshot(path=str(artifacts / f"protocols-draft-saved-{tag}.png"), full_page=True)
        # Anna, another editor, sees the same draft and saves over it
        draft = api.get(f"/protocols/{protocol}/draft").json()
        assert draft["steps"][-1] == {"key": f"solo_{lang}_{width}", "question": "", "choices": [],
                                      "redirect_when": None, "redirect_to": None}
        anna = api.put(f"/protocols/{protocol}/draft", json={"revision": draft["revision"], "steps": [
            *draft["steps"][:-1], {**draft["steps"][-1], "choices": ["si", "no"], "redirect_when": "si"}]})
        assert anna.status_code == 200, anna.text
        # Chiara's next save is refused with the reason; her text stays on the page, nothing of it is stored
        added.locator("[name=question]").fill("Vive da solo?")
        page.locator("#save-draft").click()
        expect(page.locator("#conflict")).to_contain_text(words["conflict"])
        expect(page.locator("#conflict")).to_contain_text("anna@angeli.example")
        expect(page.locator("#load-saved")).to_be_focused()
        expect(added.locator("[name=question]")).to_have_value("Vive da solo?")
        assert api.get(f"/protocols/{protocol}/draft").json()["revision"] == anna.json()["revision"]
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        page.screenshot(path=str(artifacts / f"protocols-draft-conflict-{tag}.png"), full_page=True)
        # She loads Anna's draft: publishing it unfinished is refused with the reason, publishing nothing
        page.keyboard.press("Enter")
        expect(page.locator("#draft-state")).to_contain_text("anna@angeli.example")
        added = page.locator("#steps > li").last
        expect(added.locator("[name=choices]")).to_have_value("si\nno")
        page.locator("#draft button[type=submit]").click()
        expect(page.locator("#flash")).to_contain_text("question must not be empty")
        # She finishes it, previews it as the volunteer will see it, and publishes it
        added.locator("[name=question]").fill("Vive da solo?")
        added.locator("[name=redirect_to]").fill("social services")
        page.locator("#preview-button").click()
        expect(page.locator("#preview")).to_contain_text("Vive da solo?")
        expect(page.locator("#preview").get_by_role("button", name="si", exact=True).last).to_be_disabled()
        page.screenshot(path=str(artifacts / f"protocols-draft-preview-{tag}.png"), full_page=True)
        page.locator("#draft button[type=submit]").click()
        expect(page.locator("#flash")).to_contain_text(words["published"])
        expect(page.locator("#published")).to_contain_text("Vive da solo?")
        expect(page.locator("#draft-status")).to_contain_text(words["none"])
        page.screenshot(path=str(artifacts / f"protocols-draft-published-{tag}.png"), full_page=True)
        # A draft saved and then discarded leaves the published versions as they were
        page.locator("#draft-next").click()
        page.locator("#steps > li").first.locator("[name=question]").fill("Per che cosa chiama?")
        page.locator("#save-draft").click()
        expect(page.locator("#draft-state")).to_contain_text(words["saved"])
        page.once("dialog", lambda dialog: dialog.accept())
        page.locator("#discard-draft").click()
        expect(page.locator("#flash")).to_contain_text(words["discarded"])
        expect(page.locator("#draft-status")).to_contain_text(words["none"])
        expect(page.locator("#draft")).to_be_hidden()
        page.close()
    published = api.get(f"/protocols/{protocol}").json()
    assert published["version"] == 1 + len(SIZES)
    assert published["steps"][0]["question"] == "Per cosa chiama?"  # the discarded drafts changed nothing
    assert published["steps"][-1] == {"key": "solo_it_390", "question": "Vive da solo?", "choices": ["si", "no"],
                                      "redirect_when": "si", "redirect_to": "social services"}
    assert api.get(f"/protocols/{protocol}/draft").json() is None


@pytest.mark.slow
def test_a_draft_discarded_by_another_editor_is_said_and_the_editor_starts_again(
        browser: Browser, server: Server, artifacts: Path) -> None:
    api = server.api
    api.post("/auth/accounts", json={"email": "chiara@angeli.example", "password": PASSWORD, "role": "coordinator"})
    protocol = api.post("/protocols", json={**PROTOCOL, "name": "Ascolto notturno"}).json()["id"]
    saved = api.put(f"/protocols/{protocol}/draft", json={"revision": None, "steps": PROTOCOL["steps"]}).json()
    for lang, width in [("en", 1280), ("it", 390)]:
        page = sign_in(browser, server, "chiara@angeli.example", lang, width, "/console/protocols")
        expect(page.locator("body[data-ready]")).to_be_attached()
        page.locator("#pick").select_option(label="Ascolto notturno")
        expect(page.locator("#draft-next")).to_have_text(TEXTS[lang]["open"])
        page.locator("#draft-next").click()
        expect(page.locator("#draft-state")).to_contain_text(saved["saved_by"].split(":", 1)[1])
        assert api.delete(f"/protocols/{protocol}/draft", params={"revision": saved["revision"]}).status_code == 204
        page.locator("#steps > li").first.locator("[name=question]").fill("Per che cosa chiama?")
        page.locator("#draft button[type=submit]").click()  # publishing saves first: refused, nothing published
        expect(page.locator("#conflict")).to_contain_text("Your changes are not saved" if lang == "en"
                                                          else "Le tue modifiche non sono salvate")
        expect(page.locator("#start-over")).to_be_focused()
        expect(page.locator("#load-saved")).to_be_hidden()
        page.screenshot(path=str(artifacts / f"protocols-draft-gone-{lang}-{width}.png"), full_page=True)
        page.keyboard.press("Enter")
        expect(page.locator("#draft-state")).to_contain_text(TEXTS[lang]["new"])
        expect(page.locator("#conflict")).to_be_hidden()
        page.locator("#save-draft").click()
        expect(page.locator("#draft-state")).to_contain_text("chiara@angeli.example")
        saved = api.get(f"/protocols/{protocol}/draft").json()
        page.close()
    assert api.get(f"/protocols/{protocol}").json()["version"] == 1

@pytest.mark.slow
def test_a_volunteer_without_a_calls_role_is_told_why_and_sees_no_drafts(
        browser: Browser, server: Server, artifacts: Path) -> None:
    api = server.api
    marco = api.post("/volunteers", json={"full_name": "Marco Bianchi", "phone": "+39 02 5550 9876",
                                          "email": "marco@example.org", "roles": ["outreach"]}).json()["id"]
    assert api.post("/auth/accounts", json={"email": "marco@angeli.example", "password": PASSWORD,
                                            "role": "volunteer", "volunteer_id": marco}).status_code == 201
    api.post("/protocols", json={**PROTOCOL, "name": "Ascolto"})
    for lang, width in SIZES:
        words, tag = TEXTS[lang], f"{lang}-{width}"
        page = sign_in(browser, server, "marco@angeli.example", lang, width, "/console/helpline")
        expect(page.locator("#wrong-role")).to_be_visible()
        expect(page.locator("#wrong-role-text")).to_contain_text(words["no_role"])
        expect(page.locator("#wrong-role a")).to_be_hidden()
        expect(page.locator("#helpline")).to_be_hidden()
        page.screenshot(path=str(artifacts / f"helpline-no-role-{tag}.png"), full_page=True)
        page.goto(f"/console/protocols?lang={lang}")
        expect(page.locator("body[data-ready]")).to_be_attached()
        expect(page.locator("#editor-only")).to_contain_text(words["editors"])
        expect(page.locator("#draft-buttons")).to_be_hidden()
        expect(page.locator("#draft-status")).to_be_hidden()
        expect(page.locator("#flash")).to_be_hidden()
        page.close()
    # And a helpline volunteer without the outreach role is told why the calling screen is not theirs
    paolo = api.post("/volunteers", json={"full_name": "Paolo Verdi", "phone": "+39 02 5550 4321",
                                          "email": "paolo@example.org", "roles": ["helpline"]}).json()["id"]
    assert api.post("/auth/accounts", json={"email": "paolo@angeli.example", "password": PASSWORD,
                                            "role": "volunteer", "volunteer_id": paolo}).status_code == 201
    for lang, width in [("it", 1280), ("en", 390)]:
        page = sign_in(browser, server, "paolo@angeli.example", lang, width, "/console/calling")
        expect(page.locator("#wrong-role-text")).to_contain_text(
            "serve il ruolo «chiamate in uscita»" if lang == "it" else "needs the outreach role")
        expect(page.locator("#calling")).to_be_hidden()
        page.screenshot(path=str(artifacts / f"calling-no-role-{lang}-{width}.png"), full_page=True)
        page.close()

