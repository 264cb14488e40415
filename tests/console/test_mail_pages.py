"""The e-mail pages in Chromium: campaign manager Lucia creates the template "Natale 2026", writes it with a live
preview (sample data, then donor Marta's own data from the vault), sees a missing merge field and a missing
unsubscribe link named next to the field, publishes; she reads the local outbox, a message's HTML shown in a
sandboxed frame; auditor Aldo reads the templates without changing them. Screenshots at 1280 and 390 px, Italian and
English. A mailing's progress page is driven when the mailing routes are on this installation."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import parseaddr
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from playwright.sync_api import Browser, Page, expect

from services.kernel.clock import FixedClock
from services.mail.message import Attachment, Unsubscribe, build
from services.mail.transport import Outbox
from tests.campaigns.conftest import SCRIPT
from tests.conftest import calling_morning
from tests.console.conftest import Server, fits, served, signed_in_through_form, until
from tests.console.test_accessibility import Controls

pytestmark = [pytest.mark.slow]
PASSWORD = "una-password-lunga"
LUCIA, ALDO = "lucia@angeli.example", "aldo@angeli.example"
TEXTS = {
    "it": {"title": "E-mail: modelli", "outbox": "Posta in uscita", "create": "Crea il modello",
           "publish": "Pubblica la versione", "published": "Versione 1 di «Natale 2026» pubblicata.",
           "missing": "Il campo donor.nickname manca nei dati di questa persona.",
           "lacks": "Manca: {{ unsubscribe_url }}",
           "sample": "Anteprima con i dati di esempio.", "person": "Anteprima con i dati della persona indicata.",
           "read_only": "Puoi leggere i modelli"},
    "en": {"title": "E-mail: templates", "outbox": "Outbox", "create": "Create the template",
           "publish": "Publish the version", "published": "Version 1 of “Natale 2026” published.",
           "missing": "The field donor.nickname is missing from this person's data.",
           "lacks": "Lacks: {{ unsubscribe_url }}", "sample": "Preview with sample data.",
           "person": "Preview with the data of the person given.", "read_only": "You can read the templates"},
}
SUBJECT = "Natale 2026: una nuova linea d'ascolto"
BODY_HTML = "<p>Cara {{ donor.first_name }},</p>\n<p>a Natale apriamo una nuova linea d'ascolto.</p>\n"
BODY_TEXT = "a Natale apriamo una nuova linea d'ascolto."


@dataclass
class Office:
    server: Server
    data: Path
    marta: str  # a donor's id, which is her person id in the vault


@pytest.fixture(scope="module")
def office(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Office]:
    data = tmp_path_factory.mktemp("mail") / "var"
    with served(data, calling_morning()) as server:
        for email, role in ((LUCIA, "campaign_manager"), (ALDO, "auditor")):
            made = server.api.post("/auth/accounts", json={"email": email, "password": PASSWORD, "role": role})
            assert made.status_code == 201, made.text
        marta = server.api.post("/donors", json={"kind": "person", "name": "Marta Verdi",
                                                 "email": "marta.verdi@example.org"})
        assert marta.status_code == 201, marta.text
        yield Office(server, data, marta.json()["id"])


def whole_page(page: Page, path: Path) -> None:
    """A full-page screenshot with the whole page inside the viewport: Chromium draws a sandboxed frame in a process
    of its own and leaves it blank in the part of a full-page capture beyond the viewport."""
    size = page.viewport_size or {"width": 1280, "height": 900}
    page.set_viewport_size({"width": size["width"], "height": page.evaluate("document.documentElement.scrollHeight")})
    page.wait_for_timeout(150)
    page.screenshot(path=str(path), full_page=True)
    page.set_viewport_size(size)


def sign_in(browser: Browser, office: Office, email: str, lang: str, width: int, path: str) -> Page:
    return signed_in_through_form(browser, office.server, email, PASSWORD, lang, width, path)


@pytest.mark.parametrize("path", ["/console/mail", "/console/mail/outbox",
                                  "/console/mail/mailings/6a0f5d2e-1111-4c2b-9b55-000000000009"])
@pytest.mark.parametrize("lang", ["it", "en"])
def test_every_control_of_the_mail_pages_has_a_label(client: TestClient, path: str, lang: str) -> None:
    page = client.get(path, headers={"Accept-Language": lang})
    assert page.status_code == 200 and page.headers["content-language"] == lang
    assert f'href="/console/mail?lang={lang}" aria-current="page"' in page.text
    controls = Controls()
    controls.feed(page.text)
    assert controls.unlabelled() == []
    assert controls.problems == []
    assert '<iframe' not in page.text or 'sandbox=""' in page.text


def editor_ready(page: Page) -> None:
    expect(page.locator("#mail[data-ready=yes]")).to_be_attached()


def test_a_campaign_manager_writes_previews_and_publishes_a_template(browser: Browser, office: Office,
                                                                    artifacts: Path) -> None:
    words = TEXTS["it"]
    page = sign_in(browser, office, LUCIA, "it", 1280, "/console/mail")
    editor_ready(page)
    expect(page.locator("h1")).to_have_text(words["title"])
    page.get_by_role("button", name=words["create"]).click()  # no name: said next to the field, nothing created
    expect(page.locator("#new-name-error")).to_be_visible()
    expect(page.locator("#new-name")).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#templates li")).to_have_count(0)

    page.get_by_label("Nome", exact=True).first.fill("Natale 2026")
    page.locator("#new-kind").select_option("marketing")
    page.locator("#new-name").press("Enter")  # the form is sent from the keyboard
    expect(page.locator("#editor-title")).to_have_text("Natale 2026")
    expect(page.locator("#subject")).to_be_focused()
    # a starter with the footer a marketing template needs
    expect(page.locator("#html")).to_have_value(re.compile(re.escape("{{ unsubscribe_url }}")))

    page.locator("#subject").fill(SUBJECT)
    expect(page.locator("#preview-state")).to_have_text(words["sample"])
    expect(page.locator("#preview-subject")).to_have_text(SUBJECT)
    frame = page.frame_locator("#preview-html")
    expect(frame.locator("body")).to_contain_text("Cara Ada")
    expect(frame.locator("body")).to_contain_text("Via della Solidarietà 1")

    page.locator("#person").fill(office.marta)  # her own data, read from the vault (an access with purpose e-mail)
    expect(page.locator("#preview-state")).to_have_text(words["person"])
    expect(frame.locator("body")).to_contain_text("Cara Marta")

    footer = page.locator("#html").input_value().split("<p>…</p>\n", 1)[1]
    page.locator("#html").fill(BODY_HTML + "<p>{{ donor.nickname }}</p>\n" + footer)
    expect(page.locator("#html-error")).to_have_text(words["missing"])
    expect(page.locator("#html")).to_have_attribute("aria-invalid", "true")
    page.locator("#html").fill(page.locator("#html").input_value().replace("<p>{{ donor.nickname }}</p>\n", ""))
    expect(page.locator("#html-error")).to_be_hidden()

    text = page.locator("#text").input_value().replace("…", BODY_TEXT)
    page.locator("#text").fill(text.split("\n")[0] + "\n\n{{ charity.name }}, {{ charity.address }}\n")
    expect(page.locator("#text-error")).to_contain_text(words["lacks"])
    page.get_by_role("button", name=words["publish"]).click()  # refused: nothing published, the field is named
    expect(page.locator("#text")).to_be_focused()
    expect(page.locator("#flash")).to_contain_text("non è stata pubblicata")
    whole_page(page, artifacts / "mail-editor-error-it-1280.png")
    page.locator("#text").fill(text)

    page.get_by_role("button", name=words["publish"]).click()
    expect(page.locator("#flash")).to_have_text(words["published"])
    expect(page.locator("#templates")).to_contain_text("1 versione")
    versions = office.server.api.get("/mail/templates").json()
    assert [(t["name"], t["versions"]) for t in versions] == [("Natale 2026", 1)]
    template = office.server.api.get(f"/mail/templates/{versions[0]['id']}").json()
    published = template["versions"][0]
    assert published["subject"] == SUBJECT and "{{ donor.nickname }}" not in published["html"]
    page.context.close()

    for lang in ("it", "en"):
        for width in (1280, 390):
            page = sign_in(browser, office, LUCIA, lang, width, "/console/mail")
            editor_ready(page)
            expect(page.locator("#editor-title")).to_have_text("Natale 2026")
            expect(page.locator("#preview-state")).to_have_text(TEXTS[lang]["sample"])
            expect(page.frame_locator("#preview-html").locator("body")).to_contain_text("Cara Ada")
            fits(page)
            whole_page(page, artifacts / f"mail-templates-{lang}-{width}.png")
            page.context.close()


def letters(office: Office) -> None:
    """Two messages in the installation's outbox, as a send with no relay writes them."""
    at = datetime.now(UTC).replace(microsecond=0)
    clock = FixedClock(at)
    box = Outbox(office.data / "outbox", clock)
    for name, subject, attached in (("Marta", SUBJECT, False), ("Giulia", "Grazie per il tuo dono", True)):
        address = f"{name.lower()}@example.org"
        message = build(key=f"natale/{name}", sender="Associazione Angeli <info@angeli.example>",
                        to=f"{name} Verdi <{address}>", subject=subject,
                        text=f"Cara {name},\na Natale apriamo una nuova linea d'ascolto.\n",
                        html=f"<p>Cara <b>{name}</b>, a Natale apriamo una nuova linea d'ascolto.</p>"
                             "<script>parent.document.title = 'hacked'</script>",
                        date=at, attachments=[Attachment("ricevuta-2026-000017.pdf", b"%PDF-1.7\n%%EOF\n")]
                        if attached else (),
                        unsubscribe=Unsubscribe("https://angeli.example/mail/unsubscribe/abc",
                                                "unsubscribe+abc@angeli.example"))
        box.send(message, "bounce+abc@angeli.example", address)
        clock.advance(timedelta(seconds=30))


def test_the_outbox_lists_the_messages_and_shows_one_with_its_html_sandboxed(browser: Browser, office: Office,
                                                                           artifacts: Path) -> None:
    letters(office)
    for lang in ("it", "en"):
        for width in (1280, 390):
            page = sign_in(browser, office, LUCIA, lang, width, "/console/mail/outbox")
            expect(page.locator("#outbox[data-ready=yes]")).to_be_attached()
            expect(page.locator("h1")).to_have_text(TEXTS[lang]["outbox"])
            rows = page.locator("#letters tbody tr")
            expect(rows).to_have_count(2)
            expect(rows.first).to_contain_text("Grazie per il tuo dono")  # newest first
            expect(page.locator("#letter-title")).to_have_text("Grazie per il tuo dono")
            expect(page.locator("#letter-attachments")).to_contain_text("ricevuta-2026-000017.pdf")
            rows.nth(1).get_by_role("button").click()
            expect(page.locator("#letter-title")).to_have_text(SUBJECT)
            expect(page.locator("#letter-title")).to_be_focused()
            frame = page.locator("#letter-html")
            expect(frame).to_have_attribute("sandbox", "")
            expect(page.frame_locator("#letter-html").locator("b")).to_have_text("Marta")
            expect(page.locator("#letter-text")).to_contain_text("Cara Marta,")
            assert page.locator("#main").inner_html().count("<b>Marta</b>") == 0  # never injected into the page
            assert page.title() != "hacked"  # the message's script never ran
            whole_page(page, artifacts / f"mail-outbox-{lang}-{width}.png")
            fits(page)
            page.context.close()


def test_an_auditor_reads_the_templates_and_changes_nothing(browser: Browser, office: Office,
                                                          artifacts: Path) -> None:
    made = office.server.api.post("/mail/templates", json={"name": "Ricevuta annuale", "kind": "transactional"})
    assert made.status_code == 201
    page = sign_in(browser, office, ALDO, "en", 1280, "/console/mail")
    editor_ready(page)
    expect(page.locator("#read-only")).to_contain_text(TEXTS["en"]["read_only"])
    expect(page.locator("#new-form")).to_be_hidden()
    expect(page.locator("#templates li")).to_have_count(2)
    page.locator("#templates").get_by_role("button", name="Natale 2026").click()
    expect(page.locator("#subject")).to_have_value(SUBJECT)
    expect(page.locator("#subject")).not_to_be_editable()
    expect(page.get_by_role("button", name=TEXTS["en"]["publish"])).to_be_hidden()
    expect(page.locator("#preview")).to_be_hidden()
    expect(page.locator(".subnav")).not_to_contain_text("Outbox")  # the outbox holds personal data: not theirs
    whole_page(page, artifacts / "mail-templates-auditor-en-1280.png")
    page.goto("/console/mail/outbox?lang=en")
    expect(page.locator("#wrong-role-text")).to_contain_text("The outbox is for campaign managers")
    page.context.close()


MEMBER = re.compile(r"Cara (Anna|Bruno|Carla),")  # the first contact with an address, in the campaign's order
CONSENT = "Acconsento a ricevere e-mail sulle iniziative e le raccolte fondi dell'associazione."
CONTACTS = ("nome;cognome;telefono;email\nAnna;Neri;02 1234 5678;anna.neri@example.org\n"
            "Bruno;Galli;06 9876 5432;bruno.galli@example.org\nCarla;Fontana;011 555 1234;carla.fontana@example.org\n")


def natale_campaign(office: Office) -> str:
    """Campaign "Natale 2026" with three contacts with e-mail addresses, Anna and Bruno agreeing to e-mail."""
    api = office.server.api
    today = office.server.started_at.date()
    assert api.post("/suppression/register", data={"checked_on": today.isoformat()},
                    files={"file": ("rpo.csv", b"phone\n", "text/csv")}).status_code == 201
    fund = api.post("/funds", json={"name": "Fondo Natale"}).json()["id"]
    created = api.post("/campaigns", json={
        "name": "Natale 2026", "fund_id": fund, "goal": "3000", "starts_on": (today - timedelta(days=3)).isoformat(),
        "ends_on": (today + timedelta(days=60)).isoformat(),
        "script": {"text": "Buongiorno {first_name}. {privacy_notice}", "privacy_notice": SCRIPT["privacy_notice"]}})
    assert created.status_code == 201, created.text
    campaign: str = created.json()["id"]
    imported = api.post(f"/campaigns/{campaign}/contacts/import",
                        files={"file": ("donatori.csv", CONTACTS.encode(), "text/csv")})
    assert imported.status_code == 201, imported.text
    contacts = until(lambda: api.get(f"/campaigns/{campaign}/contacts").json()["contacts"], "the contacts listed")
    assert len(contacts) == 3
    for contact in contacts[:2]:
        given = api.post(f"/mail/people/{contact['person_id']}/consent", json={"source": "modulo web", "text": CONSENT})
        assert given.status_code == 201, given.text
    return campaign


def test_a_campaign_manager_prepares_a_mailing_previews_tests_and_sends_it(browser: Browser, office: Office,
                                                                         artifacts: Path) -> None:
    natale_campaign(office)
    api = office.server.api
    before = {x["name"] for x in api.get("/mail/outbox").json()}  # the outbox test's letters, when it ran first
    template = api.post("/mail/templates", json={"name": "Annuncio di Natale", "kind": "marketing"}).json()["id"]
    published = api.post(f"/mail/templates/{template}/versions", json={
        "subject": "{{ donor.first_name }}, Natale 2026 è iniziato",
        "html": BODY_HTML + "<p>{{ charity.name }}, {{ charity.address }}</p>"
                "<p><a href=\"{{ unsubscribe_url }}\">Non ricevere più queste e-mail</a></p>",
        "text": "Cara {{ donor.first_name }},\n" + BODY_TEXT + "\n\n{{ charity.name }}, {{ charity.address }}\n"
                "Per non ricevere più queste e-mail: {{ unsubscribe_url }}\n"})
    assert published.status_code == 201, published.text

    page = sign_in(browser, office, LUCIA, "it", 1280, "/console/mail")
    editor_ready(page)
    page.get_by_role("button", name="Prepara l'invio").click()  # nothing chosen: each field says what it needs
    expect(page.locator("#mailing-campaign-error")).to_have_text("Scegli la campagna.")
    expect(page.locator("#mailing-campaign")).to_be_focused()
    page.locator("#mailing-campaign").select_option(label="Natale 2026")
    page.locator("#mailing-template").select_option(label="Annuncio di Natale")
    page.locator("#mailing-name").fill("Natale 2026: l'annuncio")
    page.locator("#mailing-name").press("Enter")
    page.wait_for_url(re.compile(r"/console/mail/mailings/[0-9a-f-]{36}"))
    expect(page.locator("#mailing[data-ready=yes]")).to_be_attached()
    expect(page.locator("#head-title")).to_have_text("Natale 2026: l'annuncio")
    expect(page.locator("#h-status")).to_have_text("da inviare")
    expect(page.locator("#mpreview-subject")).to_contain_text("Natale 2026 è iniziato")
    expect(page.frame_locator("#mpreview-html").locator("body")).to_contain_text(MEMBER)

    page.get_by_role("button", name="Invio di prova (a me)").click()
    expect(page.locator("#flash")).to_have_text("E-mail di prova inviata a lucia@angeli.example.")
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Invia", exact=True).click()
    expect(page.locator("#h-status")).to_have_text("inviato", timeout=30_000)
    expect(page.locator("#ml_count_accepted")).to_have_text("2")
    expect(page.locator("#ml_excluded_no_consent")).to_have_text("1")
    mailing_path = page.url.split("?")[0].split(office.server.url, 1)[1]
    page.context.close()
    sent = api.get("/mail/outbox").json()
    # the two who agreed (whichever two of the three the consents went to), and the test to Lucia's own address
    addresses = sorted(parseaddr(x["to"])[1] for x in sent if x["name"] not in before)
    assert len(addresses) == 3 and "lucia@angeli.example" in addresses
    assert len({a for a in addresses if a in CONTACTS}) == 2

    for lang in ("it", "en"):
        for width in (1280, 390):
            page = sign_in(browser, office, LUCIA, lang, width, mailing_path)
            expect(page.locator("#mailing[data-ready=yes]")).to_be_attached()
            expect(page.locator("#h-status")).to_have_text("inviato" if lang == "it" else "sent")
            expect(page.frame_locator("#mpreview-html").locator("body")).to_contain_text(MEMBER)
            fits(page)
            whole_page(page, artifacts / f"mail-mailing-{lang}-{width}.png")
            page.context.close()

    # A coordinator follows the progress; the sending and the preview (a contact's data) are the campaign managers'
    made = api.post("/auth/accounts", json={"email": "carlo@angeli.example", "password": PASSWORD,
                                            "role": "coordinator"})
    assert made.status_code == 201, made.text
    page = sign_in(browser, office, "carlo@angeli.example", "en", 1280, mailing_path)
    expect(page.locator("#mailing[data-ready=yes]")).to_be_attached()
    expect(page.locator("#ml_count_accepted")).to_have_text("2")
    expect(page.get_by_role("link", name="Natale 2026")).to_have_attribute("href", re.compile("/console/campaigns/"))
    expect(page.get_by_role("button", name="Send", exact=True)).to_be_hidden()
    expect(page.locator("#mpreview-form")).to_be_hidden()
    page.context.close()


def test_the_campaign_dashboard_prepares_a_mailing_and_the_donor_page_records_consent_to_e_mail(
        browser: Browser, office: Office, artifacts: Path) -> None:
    campaign = natale_campaign(office)
    api = office.server.api
    template = api.post("/mail/templates", json={"name": "Annuncio dal cruscotto", "kind": "marketing"}).json()["id"]
    assert api.post(f"/mail/templates/{template}/versions", json={
        "subject": "Natale 2026", "html": "<p>{{ charity.address }} <a href=\"{{ unsubscribe_url }}\">x</a></p>",
        "text": "{{ charity.address }} {{ unsubscribe_url }}"}).status_code == 201

    # The dashboard's e-mails: none yet; a new one from a published marketing template opens its progress page
    page = sign_in(browser, office, LUCIA, "it", 1280, f"/console/campaigns/{campaign}")
    expect(page.locator("#mail-card[data-ready=yes]")).to_be_attached()
    expect(page.locator("#no-mailings")).to_be_visible()
    page.locator("#mailing-template").select_option(label="Annuncio dal cruscotto")
    page.get_by_label("Nuova e-mail").fill("Annuncio dal cruscotto")
    page.get_by_role("button", name="Prepara").click()
    page.wait_for_url(re.compile(r"/console/mail/mailings/[0-9a-f-]{36}"))
    page.context.close()
    for lang, width in (("it", 1280), ("en", 390)):
        page = sign_in(browser, office, LUCIA, lang, width, f"/console/campaigns/{campaign}")
        expect(page.locator("#mail-card[data-ready=yes]")).to_be_attached()
        row = page.locator("#mailings tbody tr")
        expect(row).to_have_count(1)
        expect(row.locator("th")).to_have_text("Annuncio dal cruscotto")
        expect(row.locator("td").first).to_have_text("bozza" if lang == "it" else "draft")
        fits(page)
        page.locator("#mail-card").screenshot(path=str(artifacts / f"mail-dashboard-{lang}-{width}.png"))
        page.context.close()

    # The donor page: no consent; recorded there with where and the words; then shown, with a way to withdraw it
    for lang, width in (("it", 1280), ("en", 390)):
        page = sign_in(browser, office, LUCIA, lang, width, f"/console/donors/{office.marta}")
        expect(page.locator("#mail-card[data-ready=yes]")).to_be_attached()
        if lang == "it":
            expect(page.locator("#mail-state")).to_contain_text("nessun consenso")
            page.get_by_label("Dove l'ha dato").fill("telefonata del mattino")
            page.get_by_role("button", name="Registra il consenso").click()
            expect(page.locator("#mail-state")).to_contain_text("consenso alle e-mail")
            expect(page.locator("#mail-state")).to_contain_text("telefonata del mattino")
        else:
            expect(page.locator("#mail-state")).to_contain_text("agreed to e-mail")
            expect(page.get_by_role("button", name="Withdraw consent")).to_be_visible()
        fits(page)
        page.locator("#mail-card").screenshot(path=str(artifacts / f"mail-donor-{lang}-{width}.png"))
        page.context.close()
    held = api.get(f"/mail/people/{office.marta}").json()
    assert held["marketing_consent_at"] is not None and held["choices"][-1]["source"] == "telefonata del mattino"
