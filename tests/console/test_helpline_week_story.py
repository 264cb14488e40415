"""Issue 17's story, end to end in Chromium, through the pages alone: coordinator Marta makes a 24/7 rota of 4-hour
slots for two weeks, three people apply on /join, she approves them, they set their passwords from the welcome link
and sign up for slots (one overlap refused), the coverage shows the hours still short, Giulia clocks in and handles
a helpline call whose protocol redirects a medical request to Milan's health number while Marta's live board shows
her on the call and then idle, and the hours page counts her shift. Then the shifts form and /join refuse bad input
with a clear message and store nothing. Screenshots of the key steps at 1280 and 390 px, Italian and English."""

from __future__ import annotations

import re
import time as time_module
from datetime import datetime, time, timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.conftest import ROME, calling_morning
from tests.console.conftest import Server, page_for, served

pytestmark = pytest.mark.slow

MARTA = {"email": "marta@angeli.example", "password": "coordina-la-settimana"}
PEOPLE = {  # who applies, and the password each chooses from the welcome link
    "Giulia Rossi": ("giulia@example.org", "+39 02 1234 5678", "Milano", "la-linea-di-giulia"),
    "Luca Bianchi": ("luca@example.org", "+39 06 9876 5432", "Sesto San Giovanni", "la-linea-di-luca"),
    "Chiara Esposito": ("chiara@example.org", "+39 081 555 0101", "Monza", "la-linea-di-chiara"),
}
DIRECTORY = "istat_code;municipality;category;number\n015146;Milano;health;02 8578 1\n"
HEALTH = "+390285781"
PHONE = 390


def shoot(page: Page, artifacts: Path, name: str) -> None:
    """The page as it stands at desktop and phone width, full length, nothing wider than the screen."""
    for width in (1280, PHONE):
        page.set_viewport_size({"width": width, "height": 900})
        page.wait_for_timeout(150)
        assert page.evaluate("document.documentElement.scrollWidth") <= width, f"{name} scrolls sideways at {width}"
        page.screenshot(path=str(artifacts / f"story-{name}-{width}.png"), full_page=True)
    page.set_viewport_size({"width": 1280, "height": 900})


def signed_in(browser: Browser, server: Server, email: str, password: str, lang: str, lands: str) -> Page:
    """A person signs in on the login page and lands where their work is."""
    page = page_for(browser, server.url, lang)
    page.goto(f"/console/login?lang={lang}")
    page.locator("#email").fill(email)
    page.locator("#password").fill(password)
    page.locator("#password").press("Enter")
    page.wait_for_url(f"**{lands}**")
    return page


def test_a_coordinator_and_three_volunteers_run_the_helpline_from_the_console(
        browser: Browser, tmp_path: Path, artifacts: Path) -> None:
    # The product's clock starts at 23:35 in Rome the evening before the first day of the rota (a weekday after
    # the real today, so the browser's cookies and the slots "to come" hold on any date)
    first = calling_morning().astimezone(ROME).date()
    day1 = first.isoformat()
    evening = datetime.combine(first - timedelta(days=1), time(23, 35), ROME)
    data = tmp_path / "var"
    with served(data, evening) as server:
        # Set-up outside the story, by the API: coordinator Marta's account, and Milan's health number in the
        # directory (the directory's import page is another helper's work)
        assert server.api.post("/auth/accounts", json={**MARTA, "role": "coordinator"}).status_code == 201
        imported = server.api.post("/directory/imports", files={"file": ("comuni.csv", DIRECTORY.encode(), "text/csv")})
        assert imported.json()["numbers_added"] == 1, imported.text

        # 1. Marta signs in (she lands on the live board) and makes a 24/7 pattern of 4-hour slots for two weeks
        marta = signed_in(browser, server, MARTA["email"], MARTA["password"], "it", "/console/now")
        marta.goto("/console/shifts?lang=it")
        expect(marta.locator("#coordinator")).to_be_visible()
        marta.get_by_label("Dal giorno").fill(day1)
        marta.locator("#p-day-7").check()  # Sunday too
        marta.get_by_label("24 ore su 24, a fasce di").select_option("4")
        marta.locator("#p-capacity").fill("1")
        marta.get_by_role("button", name="Crea i turni").click()
        expect(marta.locator("#flash")).to_have_text("Creati 84 turni.")
        expect(marta.locator(f"section[aria-labelledby='day-{day1}'] li.sh-slot")).to_have_count(6)
        # And a reinforcement for the small hours of the first night, 02:00-06:00, one place
        marta.get_by_label("Giorno", exact=True).fill(day1)
        marta.get_by_label("Inizio").fill("02:00")
        marta.get_by_label("Fine").fill("06:00")
        marta.locator("#s-capacity").fill("1")
        marta.get_by_role("button", name="Crea turno").click()
        expect(marta.locator("#flash")).to_have_text("Turno creato.")
        expect(marta.locator(f"section[aria-labelledby='day-{day1}'] li.sh-slot")).to_have_count(7)
        shoot(marta, artifacts, "rota-it")

        # And she publishes the protocol the helpline follows: a medical request goes to the health number
        marta.goto("/console/protocols?lang=it")
        expect(marta.locator("body[data-ready]")).to_be_attached()
        marta.get_by_role("button", name="Nuovo protocollo").click()
        marta.get_by_label("Nome del protocollo").fill("Ascolto notturno")
        step = marta.locator("#steps > li").first
        step.locator("[name=key]").fill("motivo")
        step.locator("[name=question]").fill("Per cosa chiama?")
        step.locator("[name=choices]").fill("richiesta medica\ncompagnia\naltro")
        step.locator("[name=redirect_when]").fill("richiesta medica")
        step.locator("[name=redirect_to]").fill("health")
        marta.get_by_role("button", name="Pubblica").click()
        expect(marta.locator("#flash")).to_contain_text("Pubblicato: Ascolto notturno")

        # 2. Three people apply on /join (two in Italian, one in English)
        for n, (name, (email, phone, town, _)) in enumerate(PEOPLE.items()):
            lang = "en" if n == 1 else "it"
            page = page_for(browser, server.url, lang)
            page.goto(f"/join?lang={lang}")
            page.get_by_label("Nome e cognome" if lang == "it" else "Full name").fill(name)
            page.locator("#j-email").fill(email)
            page.locator("#j-phone").fill(phone)
            page.locator("#j-town").fill(town)
            page.locator("input[name=roles][value=helpline]").check()
            page.locator("input[name=availability][value=sat-evening]").check()
            page.locator("#j-consent").check()
            if n == 0:
                shoot(page, artifacts, "join-it")
            page.locator("button[type=submit]").click()
            expect(page.locator("#flash")).to_contain_text("Grazie" if lang == "it" else "Thank you")
            page.context.close()

        # And Marta approves them on her desk, each with a one-time link to hand over
        marta.goto("/console/volunteers?lang=it")
        for _ in range(40):  # the desk is a read model: it may need a moment to see the third application
            if marta.locator("#apps li").count() == 3:
                break
            marta.wait_for_timeout(250)
            marta.reload()
        expect(marta.locator("#apps li")).to_have_count(3)
        links = {}
        for name in PEOPLE:
            marta.get_by_role("button", name=f"Accetta: {name}").click()
            expect(marta.locator("#approved-text")).to_contain_text(name)
            links[name] = marta.locator("#invite-link").input_value()
        expect(marta.locator("#roster tbody tr")).to_have_count(3)
        shoot(marta, artifacts, "approved-it")

        # And each sets a password through the welcome link
        for name, (_, _, _, password) in PEOPLE.items():
            page = page_for(browser, server.url, "it")
            page.goto(links[name])
            page.locator("#w-password").fill(password)
            page.locator("#w-repeat").fill(password)
            page.locator("button[type=submit]").click()
            expect(page.locator("#flash")).to_contain_text("Password impostata")
            page.context.close()

        # 3. Each signs in (a helpline volunteer lands on the helpline screen) and signs up for slots of the first
        # night on /console/shifts: Giulia 00-04, Luca 04-08, Chiara the reinforcement 02-06 and 08-12
        wanted = {"Giulia Rossi": ["00:00-04:00"], "Luca Bianchi": ["04:00-08:00"],
                  "Chiara Esposito": ["02:00-06:00", "08:00-12:00"]}
        for name, (email, _, _, password) in PEOPLE.items():
            page = signed_in(browser, server, email, password, "it", "/console/helpline")
            page.goto(f"/console/shifts?lang=it&view=day&day={day1}")
            for hours in wanted[name]:
                page.get_by_role("button", name=f"Mi iscrivo: Linea d'ascolto, {hours}").click()
                expect(page.locator("#flash")).to_have_text("Iscrizione fatta.")
            if name == "Giulia Rossi":  # who holds 00-04 is refused the reinforcement 02-06, with the reason
                page.get_by_role("button", name="Mi iscrivo: Linea d'ascolto, 02:00-06:00").click()
                expect(page.locator("#flash")).to_have_text("Rifiutato: si sovrappone a un turno che hai già")
                shoot(page, artifacts, "overlap-refused-it")
                giulia = page
            expect(page.locator("li.sh-slot.mine")).to_have_count(len(wanted[name]))
            if page is not giulia:
                page.context.close()

        # 4. The coverage: 14 days x 24 hours need one volunteer each (two where the reinforcement runs); the first
        # night's 00-12 is covered (12 hours), so 324 hours are short, the first at 12:00 on the first day. The
        # 14 days from 23:35 reach into a 15th calendar day: the grid has its row, and shows every hour counted
        marta.goto(f"/console/shifts?lang=it&view=coverage&day={day1}")
        expect(marta.locator("#gaps-count")).to_have_text("324 ore scoperte")
        expect(marta.locator("#coverage-grid tbody tr")).to_have_count(15)
        expect(marta.locator("#coverage-grid td.gap")).to_have_count(324)
        expect(marta.locator("#coverage-grid tbody tr").nth(1).locator("td.gap")).to_have_count(12)
        expect(marta.locator("#gaps tbody tr")).to_have_count(324)
        expect(marta.locator("#gaps tbody tr").first).to_contain_text("12:00\N{EN DASH}13:00")
        shoot(marta, artifacts, "coverage-it")
        marta.goto(f"/console/shifts?lang=en&view=coverage&day={day1}")
        expect(marta.locator("#gaps-count")).to_have_text("324 hours short")
        shoot(marta, artifacts, "coverage-en")

        # 5. Giulia clocks in on the helpline screen, with Marta's live board open beside
        marta.goto("/console/now?lang=it")
        expect(marta.locator("#now-mode")).to_have_text("Aggiornato in tempo reale")
        giulia.goto("/console/helpline?lang=it")
        expect(giulia.locator("#helpline[data-ready]")).to_be_attached()
        giulia.get_by_role("button", name="Inizia turno").click()
        expect(giulia.locator("#presence")).to_contain_text("In turno dalle 23:")
        expect(marta.locator("#idle tbody")).to_contain_text("Giulia Rossi")
        # And answers a call: the caller is in Milan and asks for a doctor
        giulia.locator("#protocol").select_option(label="Ascolto notturno (v1)")
        giulia.get_by_role("button", name="Rispondi a una chiamata").click()
        expect(giulia.locator("#place")).to_be_focused()
        giulia.keyboard.type("milano")
        giulia.keyboard.press("Enter")
        giulia.get_by_role("button", name="Milano (015146)").click()
        expect(giulia.locator("#place-chosen")).to_contain_text("Milano (015146)")
        # 6. The board shows her on the call, without reloading
        expect(marta.locator("#on-call tbody")).to_contain_text("Giulia Rossi")
        shoot(marta, artifacts, "board-on-call-it")
        giulia.get_by_role("button", name="richiesta medica").click()
        redirect = giulia.locator("#redirects .redirect")
        expect(redirect).to_contain_text("Indirizza a: sanità")
        expect(redirect.locator(f'a[href="tel:{HEALTH}"]')).to_be_visible()
        shoot(giulia, artifacts, "redirect-it")
        # And she ends the call with its outcome and a note
        expect(giulia.locator("#protocol-done")).to_be_visible()
        giulia.locator("#notes").fill("Passata al numero della sanità di Milano")
        giulia.get_by_label("Risposto", exact=True).check()
        giulia.get_by_role("button", name="Chiudi la chiamata").click()
        expect(giulia.locator("#flash")).to_contain_text("chiamata chiusa")
        # Then the board shows her idle again
        expect(marta.locator("#idle tbody")).to_contain_text("Giulia Rossi")
        expect(marta.locator("#on-call-empty")).to_be_visible()
        shoot(marta, artifacts, "board-idle-it")
        marta.goto("/console/now?lang=en")
        expect(marta.locator("#idle tbody")).to_contain_text("Giulia Rossi")
        shoot(marta, artifacts, "board-idle-en")

        # (checks by the API, not steps of the story: the call as recorded, and when Giulia clocked in)
        giulia_id = server.api.get("/console/api/board").json()["idle"][0]["volunteer_id"]
        call = server.api.get(f"/calls?volunteer_id={giulia_id}&kind=inbound").json()["calls"][0]
        assert (call["disposition"], call["redirects"]) == ("answered", 1)
        clocked_in_at = datetime.fromisoformat(server.api.get(f"/volunteers/{giulia_id}/presence").json()
                                               ["clocked_in_at"])
        giulia.context.close()
        marta.context.close()

    # 7. Three and a half hours later (the product restarted on the same data, its clock moved on), Giulia clocks
    # out on the helpline screen and her hours page counts the shift, in the reader's number format
    with served(data, clocked_in_at + timedelta(hours=3, minutes=30), admin=False) as server:
        giulia = signed_in(browser, server, "giulia@example.org", PEOPLE["Giulia Rossi"][3], "it", "/console/helpline")
        expect(giulia.locator("#presence")).to_contain_text("In turno dalle")
        giulia.get_by_role("button", name="Termina turno").click()
        expect(giulia.locator("#presence")).to_have_text("Fuori turno")
        total = giulia.locator("#hours-table tbody tr td.num").first
        for lang, hours in (("it", "3,5"), ("en", "3.5")):
            giulia.goto(f"/console/hours?lang={lang}")
            for _ in range(40):  # the hours are a read model: it may need a moment to see the clock-out
                if total.count() and total.inner_text() == hours:
                    break
                giulia.wait_for_timeout(250)
                giulia.reload()
            expect(total).to_have_text(hours)
            expect(giulia.locator("#centre-title")).to_have_text("Le mie ore" if lang == "it" else "My hours")
            shoot(giulia, artifacts, f"hours-{lang}")
        giulia.context.close()


def test_bad_input_through_the_shifts_forms_shows_the_reason_on_the_page_and_stores_nothing(
        browser: Browser, server: Server, artifacts: Path) -> None:
    # Given coordinator Paola (her account made by the API: set-up, not the story) on the shifts page
    assert server.api.post("/auth/accounts", json={"email": "paola@angeli.example", "password": "coordina-paola-1",
                                                   "role": "coordinator"}).status_code == 201
    today = server.started_at.astimezone(ROME).date()
    window = {"from": f"{today - timedelta(days=2)}T00:00:00+01:00",
              "to": f"{today + timedelta(days=60)}T00:00:00+01:00"}

    def stored() -> int:
        return len(server.api.get("/shifts", params={**window, "limit": 1000}).json()["shifts"])

    page = signed_in(browser, server, "paola@angeli.example", "coordina-paola-1", "it", "/console/now")
    sent: list[str] = []
    page.on("request", lambda request: sent.append(request.url) if request.method == "POST" else None)
    page.goto("/console/shifts?lang=it")
    expect(page.locator("#coordinator")).to_be_visible()

    # When she adds a slot yesterday, it is refused with the reason, in Italian
    page.get_by_label("Giorno", exact=True).fill((today - timedelta(days=1)).isoformat())
    page.get_by_role("button", name="Crea turno").click()
    expect(page.locator("#flash")).to_have_text("Rifiutato: il turno sarebbe già finito; scegli un orario a venire")
    shoot(page, artifacts, "refused-past-it")

    # When she asks for 0 places, in a slot or a pattern, the browser holds the form back with its message
    for capacity, submit in (("#s-capacity", "Crea turno"), ("#p-capacity", "Crea i turni")):
        page.locator(capacity).fill("0")
        before = len(sent)
        page.get_by_role("button", name=submit).click()
        expect(page.locator(f"{capacity}:invalid")).to_be_attached()
        assert page.locator(capacity).evaluate("input => input.validationMessage") != ""
        assert len(sent) == before  # nothing sent
        page.locator(capacity).fill("1")

    # When she writes a pattern of 10,080 slots (48 half hours a day, every day, 30 weeks), it is refused
    page.get_by_label("Dal giorno").fill((today + timedelta(days=1)).isoformat())
    page.get_by_label("Per quante settimane").fill("30")
    page.locator("#p-day-7").check()
    page.get_by_label("Fasce di ogni giorno").fill(", ".join(
        f"{m // 60:02d}:{m % 60:02d}-{(m + 30) // 60 % 24:02d}:{(m + 30) % 60:02d}" for m in range(0, 24 * 60, 30)))
    page.get_by_role("button", name="Crea i turni").click()
    expect(page.locator("#flash")).to_have_text(
        "Rifiutato: troppi turni in una volta (al massimo 2.000); dividi il periodo")

    # When she makes a pattern (the form's own: Monday to Saturday 10-14 and 14-20, two weeks), then the same again
    page.get_by_label("Per quante settimane").fill("2")
    page.locator("#p-day-7").uncheck()
    page.get_by_label("Fasce di ogni giorno").fill("10:00-14:00, 14:00-20:00")
    page.get_by_role("button", name="Crea i turni").click()
    expect(page.locator("#flash")).to_have_text("Creati 24 turni.")
    page.get_by_role("button", name="Crea i turni").click()
    expect(page.locator("#flash")).to_contain_text("si sovrappone a un turno già previsto")
    page.goto("/console/shifts?lang=en")
    page.get_by_label("Day", exact=True).fill((today - timedelta(days=1)).isoformat())
    page.get_by_role("button", name="Create shift").click()
    # (the English page shows the server's own words)
    expect(page.locator("#flash")).to_contain_text(re.compile(r"Refused: the shift would end at .*, already past"))
    shoot(page, artifacts, "refused-past-en")
    page.context.close()

    # Then only the one good pattern's 24 slots were stored
    assert stored() == 24


def test_a_join_flood_from_one_address_is_refused_on_the_page_with_the_wait_and_stores_nothing_more(
        browser: Browser, server: Server, artifacts: Path) -> None:
    def apply(n: int, lang: str) -> Page:
        page = page_for(browser, server.url, lang)
        page.goto(f"/join?lang={lang}")
        page.locator("#j-name").fill(f"Persona {n}")
        page.locator("#j-email").fill(f"persona{n}@example.org")
        page.locator("#j-phone").fill("+39 02 1234 5678")
        page.locator("#j-town").fill("Milano")
        page.locator("input[name=roles][value=helpline]").check()
        page.locator("input[name=availability][value=sat-evening]").check()
        page.locator("#j-consent").check()
        page.locator("button[type=submit]").click()
        return page

    # Given five applications from one address (the limit an hour: a family on one connection)
    for n in range(5):
        page = apply(n, "it")
        expect(page.locator("#flash")).to_contain_text("Grazie")
        page.context.close()
    # When a sixth comes from the same address, the page says why and when to try again, in its language
    page = apply(5, "it")
    expect(page.locator("#flash")).to_have_text("Troppe domande da questa connessione: riprova fra 60 minuti.")
    expect(page.locator("#join")).to_be_visible()  # the form stays, filled in, for later
    shoot(page, artifacts, "join-flood-it")
    page.context.close()
    page = apply(6, "en")
    expect(page.locator("#flash")).to_have_text("Too many applications from this connection: try again in 60 minutes.")
    page.context.close()
    # Then five applications are stored, no more
    for _ in range(40):
        if len(server.api.get("/applications").json()) >= 5:
            break
        time_module.sleep(0.25)
    time_module.sleep(1)
    assert len(server.api.get("/applications").json()) == 5
