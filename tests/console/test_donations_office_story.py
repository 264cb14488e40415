"""Issue 18's story, end to end in Chromium, through the pages: Carla of the donations office finds the donor Giulia
by phone, opens her page and her pledge, records a €50 bank transfer (a three-decimal amount, a negative one and the
same reference again are refused with the reason and store nothing), imports a PayPal export with one duplicate and
one bad line (the per-line report before and after committing; the same file again changes nothing), sets up Giulia's
€10 monthly SEPA gift, opens her receipt PDF and reads it back, spends part of the fund (not more than it holds); the
public page and the ledger show the movements without names; administrator Anna's privacy desk exports another donor
and erases them (not without the typed confirmation), after which auditor Aldo's ledger still verifies and that
donor's page says "erased" while the figures stay. Screenshots of the key steps at 1280 and 390 px, Italian and
English, as donations-story-*.png."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from playwright.sync_api import Browser, Page, expect

from services.console import i18n
from tests.conftest import ROME
from tests.console.conftest import ADMIN, LOCALES, Server, until

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(shutil.which("pdftotext") is None, reason="bash deploy/pdftools.sh installs it")]

PASSWORD = "una-password-lunga"
CARLA = "carla@angeli.example"  # the donations office (campaign_manager)
ALDO = "aldo@angeli.example"  # the auditor
GIULIA = {"kind": "person", "name": "Giulia Niccolò Rossi", "phone": "+39 333 123 4567",
          "email": "giulia.rossi@example.org", "tax_code": "RSSGLI80A41F205X",
          "consents": [{"channel": "phone", "source": "telefonata del 2 dicembre"}]}
MARCO = {"kind": "person", "name": "Marco Bianchi", "phone": "+39 02 8765 4321", "email": "marco.b@example.org"}
# What must never reach the public page or the ledger: who gave
PERSONAL = [GIULIA["name"], "Giulia", "333 123 4567", "3331234567", GIULIA["email"], GIULIA["tax_code"],
            MARCO["name"], MARCO["email"], "Luca Bianchi", "luca@example.org"]
PHONE = 390


def sign_in(browser: Browser, server: Server, email: str, password: str, lang: str, path: str) -> Page:
    """A person signs in on the login page, sent on to `path`."""
    page = browser.new_context(base_url=server.url, viewport={"width": 1280, "height": 900},
                               locale=LOCALES[lang]).new_page()
    page.goto(f"/console/login?lang={lang}&next={quote(path, safe='/')}")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password").fill(password)
    page.locator("form button[type=submit]").click()
    page.wait_for_url(re.compile(re.escape(path.split("?")[0])))
    return page


def shoot(page: Page, artifacts: Path, name: str) -> None:
    """The page as it stands at desktop and phone width, full length, nothing wider than the screen."""
    for width in (1280, PHONE):
        page.set_viewport_size({"width": width, "height": 900})
        page.wait_for_timeout(150)
        wide = page.evaluate("document.documentElement.scrollWidth")
        assert wide <= width, f"{name} is {wide} px wide at {width}"
        page.screenshot(path=str(artifacts / f"donations-story-{name}-{width}.png"), full_page=True)
    page.set_viewport_size({"width": 1280, "height": 900})


def in_english(page: Page, artifacts: Path, name: str, ready: str) -> None:
    """The same page in English (the step's state, read again), shot at both widths, then back to Italian."""
    url = page.url
    page.goto(re.sub(r"lang=it", "lang=en", url) if "lang=it" in url else f"{url}{'&' if '?' in url else '?'}lang=en")
    expect(page.locator(ready)).to_be_attached()
    shoot(page, artifacts, f"{name}-en")


def paypal(fund: str, received_at: str) -> bytes:
    """A PayPal export: Luca's €25 (twice: the same line again) and Sara's 12.345, which is no amount."""
    return ("donor_name,donor_email,fund_id,amount,currency,method,reference,received_at\n"
            f"Luca Bianchi,luca@example.org,{fund},25.00,EUR,paypal,PAYID-STORY-1,{received_at}\n"
            f"Luca Bianchi,luca@example.org,{fund},25.00,EUR,paypal,PAYID-STORY-1,{received_at}\n"
            f"Sara Verdi,sara@example.org,{fund},12.345,EUR,paypal,PAYID-STORY-2,{received_at}\n").encode()


def pdf_text(pdf: Path) -> str:
    out = subprocess.run(["pdftotext", "-enc", "UTF-8", str(pdf), "-"], capture_output=True, check=True).stdout
    return " ".join(out.decode().split())


def test_the_donations_office_does_a_months_work_from_the_console(
        browser: Browser, server: Server, artifacts: Path, tmp_path: Path) -> None:
    api, it = server.api, i18n.labels("it")
    today = server.started_at.astimezone(ROME).date()
    first_of_month = today.replace(day=1)

    # Set-up that is not the office's work, by the API: the accounts, the fund, Giulia (with her €50 pledge) and
    # Marco, who gave €30 and will ask to be forgotten
    for email, role in ((CARLA, "campaign_manager"), (ALDO, "auditor")):
        made = api.post("/auth/accounts", json={"email": email, "password": PASSWORD, "role": role})
        assert made.status_code == 201, made.text
    fund = api.post("/funds", json={"name": "Fondo famiglie"}).json()["id"]
    giulia = api.post("/donors", json=GIULIA).json()["id"]
    pledge = api.post("/pledges", json={"donor_id": giulia, "fund_id": fund, "amount": "50.00"}).json()["id"]
    christmas = api.post("/pledges", json={"donor_id": giulia, "fund_id": fund, "amount": "100.00"}).json()["id"]
    marco = api.post("/donors", json=MARCO).json()["id"]
    marco_pledge = api.post("/pledges", json={"donor_id": marco, "fund_id": fund, "amount": "30.00"}).json()["id"]
    assert api.post(f"/pledges/{marco_pledge}/payments", json={"amount": "30.00", "method": "card",
                                                               "reference": "ch_marco_1"}).status_code == 201
    until(lambda: any(f["fund_id"] == fund for f in api.get("/transparency/funds").json()["funds"]), "the fund listed")

    def payments(of: str = pledge) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = api.get(f"/pledges/{of}").json()["payments"]
        return found

    # 1. Carla finds Giulia by phone, written the way Giulia said it, and opens her page
    carla = sign_in(browser, server, CARLA, PASSWORD, "it", "/console/donors?lang=it")
    expect(carla.locator("#donors[data-ready]")).to_be_attached()
    carla.locator("#by").select_option("phone")
    carla.locator("#q").fill("333 123 4567")
    carla.locator("#q").press("Enter")
    result = carla.locator("#results a")
    expect(result).to_have_text(GIULIA["name"])
    shoot(carla, artifacts, "search-it")
    carla.goto("/console/donors?lang=en")
    carla.locator("#by").select_option("phone")
    carla.locator("#q").fill("+39 333 1234567")
    carla.locator("#q").press("Enter")
    expect(result).to_have_text(GIULIA["name"])
    shoot(carla, artifacts, "search-en")
    result.click()
    carla.wait_for_url(re.compile(f"/console/donors/{giulia}"))
    expect(carla.locator("#donor[data-ready]")).to_be_attached()
    expect(carla.locator("#r-phone")).to_have_text(GIULIA["phone"])
    shoot(carla, artifacts, "donor-en")
    carla.goto(f"/console/donors/{giulia}?lang=it")
    expect(carla.locator("#donor[data-ready]")).to_be_attached()
    shoot(carla, artifacts, "donor-it")

    # 2. From her page, the pledge; a €50 bank transfer typed wrong twice, then right, then the same line again
    carla.goto(f"/console/donors/{giulia}?lang=it")
    carla.locator(f'#pledges a[href^="/console/pledges/{pledge}"]').click()
    carla.wait_for_url(re.compile(f"/console/pledges/{pledge}"))
    expect(carla.locator("#pledge[data-ready]")).to_be_attached()
    for typed, says in (("50,005", it["gf_err_amount_decimals"]), ("-50", it["gf_err_amount_positive"])):
        carla.locator("#pay-amount").fill(typed)
        carla.locator("#pay-method").select_option("bank_transfer")
        carla.locator("#pay-reference").fill("CRO-STORY-0001")
        carla.get_by_role("button", name=it["gf_record_payment"]).click()
        expect(carla.locator("#flash")).to_have_text(says.format(what=it["gf_amount"]))
        expect(carla.locator("#pay-amount")).to_be_focused()
        assert payments() == []
    shoot(carla, artifacts, "payment-refused-it")
    carla.locator("#pay-amount").fill("50,00")
    carla.get_by_role("button", name=it["gf_record_payment"]).click()
    expect(carla.locator("#payments tbody tr")).to_have_count(1)
    expect(carla.locator("#status")).to_have_text(it["gf_status_fulfilled"])
    [paid] = payments()
    assert (paid["amount"], paid["method"], paid["reference"]) == ("50.00", "bank_transfer", "CRO-STORY-0001")
    shoot(carla, artifacts, "payment-it")
    in_english(carla, artifacts, "payment", "#pledge[data-ready]")
    # The same statement line typed again against her other pledge: refused as already recorded, nothing stored
    carla.goto(f"/console/donors/{giulia}?lang=it")
    carla.locator(f'#pledges a[href^="/console/pledges/{christmas}"]').click()
    expect(carla.locator("#pledge[data-ready]")).to_be_attached()
    carla.locator("#pay-amount").fill("50,00")
    carla.locator("#pay-method").select_option("bank_transfer")
    carla.locator("#pay-reference").fill("CRO-STORY-0001")
    carla.get_by_role("button", name=it["gf_record_payment"]).click()
    expect(carla.locator("#flash")).to_have_text(it["gf_refused"].format(
        reason=it["gf_why_reference_taken"].format(a="50,00 €")))
    assert payments(christmas) == [] and len(payments()) == 1
    shoot(carla, artifacts, "duplicate-refused-it")

    # 3. The PayPal export: checked (nothing stored), imported, and the same file again changes nothing
    export = paypal(fund, (server.started_at - timedelta(hours=1)).isoformat())
    carla.goto("/console/gifts/import?lang=it")
    expect(carla.locator("#gift-import[data-ready]")).to_be_attached()
    carla.set_input_files("#csv", files=[{"name": "paypal.csv", "mimeType": "text/csv", "buffer": export}])
    carla.get_by_role("button", name=it["gf_check"], exact=True).click()
    expect(carla.locator("#report-title")).to_have_text(it["gf_report_preview"])
    lines = carla.locator("#report-lines tbody tr")
    expect(lines).to_have_count(2)  # the line imported is counted; the duplicate and the bad line say why
    expect(lines.nth(0)).to_contain_text("è già alla riga 2")
    expect(lines.nth(1)).to_contain_text("più di due decimali")
    assert api.get(f"/funds/{fund}").json()["balance"] == "80.00"  # Marco's 30 and Giulia's 50: nothing yet
    shoot(carla, artifacts, "import-check-it")
    carla.get_by_role("button", name=it["gf_import"], exact=True).click()
    expect(carla.locator("#report-title")).to_have_text(it["gf_report_done"])
    expect(lines).to_have_count(2)
    expect(carla.locator("#report-counts dd").first).to_have_text("1")
    expect(carla.locator("#report-summary")).to_have_text(it["gf_summary_done"].format(
        imported=1, duplicates=1, rejected=1))
    assert api.get(f"/funds/{fund}").json()["balance"] == "105.00"
    shoot(carla, artifacts, "import-done-it")
    carla.get_by_role("button", name=it["gf_check"], exact=True).click()
    expect(carla.locator("#flash")).to_contain_text(it["gf_nothing_to_import"])
    expect(lines).to_have_count(3)  # now every line is a duplicate or rejected
    expect(carla.get_by_role("button", name=it["gf_import"], exact=True)).to_be_disabled()
    assert api.get(f"/funds/{fund}").json()["balance"] == "105.00"
    shoot(carla, artifacts, "import-again-it")
    carla.goto("/console/gifts/import?lang=en")
    expect(carla.locator("#gift-import[data-ready]")).to_be_attached()
    carla.set_input_files("#csv", files=[{"name": "paypal.csv", "mimeType": "text/csv", "buffer": export}])
    carla.get_by_role("button", name="Check", exact=True).click()
    expect(carla.locator("#report-lines tbody tr")).to_have_count(3)
    shoot(carla, artifacts, "import-again-en")

    # 4. Giulia's €10 monthly SEPA gift, with the mandate; a negative amount first is refused, nothing stored
    carla.goto(f"/console/regular?lang=it&donor={giulia}")
    expect(carla.locator("#regular[data-ready]")).to_be_attached()
    expect(carla.locator("#new-donor")).to_have_value(giulia)  # the page came from hers
    carla.locator("#new-fund").select_option(fund)
    carla.locator("#new-amount").fill("-10")
    carla.locator("#new-frequency").select_option("monthly")
    carla.locator("#new-day").fill("5")
    carla.locator("#new-start").fill(first_of_month.isoformat())
    carla.locator("#new-method").select_option("sepa")
    carla.locator("#new-mandate").fill("ANG-GIULIA-0001")
    carla.locator("#new-signed").fill(first_of_month.isoformat())
    carla.get_by_role("button", name=it["rg_set_up"]).click()
    expect(carla.locator("#flash")).to_have_text(it["gf_err_amount_positive"].format(what=it["gf_amount"]))
    expect(carla.locator("#new-amount")).to_be_focused()
    assert api.get(f"/donors/{giulia}/commitments").json() == []
    carla.locator("#new-amount").fill("10,00")
    carla.get_by_role("button", name=it["rg_set_up"]).click()
    commitment = carla.locator("#commitments > li").first
    expect(commitment).to_contain_text("attiva")
    [kept] = api.get(f"/donors/{giulia}/commitments").json()
    assert (kept["amounts"][-1]["amount"], kept["frequency"], kept["mandate_reference"]) == (
        "10.00", "monthly", "ANG-GIULIA-0001")
    shoot(carla, artifacts, "regular-it")
    in_english(carla, artifacts, "regular", "#regular[data-ready]")
    # (the change form's date is drawn as the page's other dates, 03/12/2026 in en-GB, not the US 12/03/2026)
    assert carla.locator(f"#c-{kept['id']}-from").evaluate("e => e.closest('[lang]').lang") == "en-GB"

    # 5. Her receipt, opened from the year's list and read back
    year = today.year
    until(lambda: len(api.get(f"/console/api/receipts/{year}").json()["receipts"]) == 3,
          f"three receipts: {api.get(f'/console/api/receipts/{year}').json()}")
    carla.goto("/console/receipts?lang=it")
    expect(carla.locator("#receipts[data-ready=yes]")).to_be_attached()
    row = carla.locator("#list tbody tr", has_text=giulia)
    expect(row).to_have_count(1)
    number = row.locator("td, th").first.inner_text().strip()
    assert re.fullmatch(rf"{year}-\d{{6}}", number), number
    expect(carla.locator("#receipts")).not_to_contain_text("Giulia")
    shoot(carla, artifacts, "receipts-it")
    with carla.expect_download() as downloading:
        row.get_by_role("link", name=it["rc_download_one"].format(number=number)).click()
    saved = tmp_path / downloading.value.suggested_filename
    downloading.value.save_as(saved)
    text = pdf_text(saved)
    sequence = next(e["sequence"] for e in api.get("/ledger").json()["entries"]
                    if e["kind"] == "payment" and e["amount"] == "50.00")
    digest = next(e["hash"] for e in api.get("/ledger").json()["entries"] if e["sequence"] == sequence)
    for expected in (GIULIA["name"], GIULIA["tax_code"], "50,00 €", "cinquanta euro e zero centesimi",
                     f"Ricevuta n. {number}", f"sequenza {sequence}", digest, "bonifico bancario"):
        assert expected in text, f"{expected!r} is not in the receipt: {text}"
    in_english(carla, artifacts, "receipts", "#receipts[data-ready=yes]")

    # 6. A disbursement from the fund; one beyond what it holds is refused with the reason
    carla.goto(f"/console/funds/{fund}?lang=it")
    expect(carla.locator("#balance")).to_have_text("105,00 €")
    carla.locator("#amount").fill("30,00")
    carla.locator("#purpose").fill("Pacchi alimentari per 12 famiglie")
    carla.locator("#document").fill("Fattura 2026/117")
    carla.get_by_role("button", name=it["fu_disburse"]).click()
    expect(carla.locator("#flash")).to_contain_text("Spesa registrata: 30,00 €")
    expect(carla.locator("#balance")).to_have_text("75,00 €")
    carla.locator("#amount").fill("1.000,00")
    carla.locator("#purpose").fill("Coperte")
    carla.locator("#document").fill("Ricevuta 12")
    carla.get_by_role("button", name=it["fu_disburse"]).click()
    expect(carla.locator("#disburse-error")).to_contain_text(
        "il fondo aveva 75,00 €: spendere 1.000,00 € lo lascerebbe a -925,00 €")
    assert [d["purpose"] for d in api.get(f"/console/api/funds/{fund}").json()["disbursements"]] == [
        "Pacchi alimentari per 12 famiglie"]
    shoot(carla, artifacts, "fund-it")
    in_english(carla, artifacts, "fund", "#fund")

    # 7. The public page and the ledger show the movements, and nobody's name
    public = browser.new_context(base_url=server.url, viewport={"width": 1280, "height": 900},
                                 locale=LOCALES["it"]).new_page()
    public.goto("/?lang=it")
    card = public.locator("section.fund", has_text="Fondo famiglie")
    expect(card).to_contain_text("Pacchi alimentari per 12 famiglie")
    expect(card.locator("dl.figures")).to_contain_text("105,00 €")
    expect(card.locator("dl.figures")).to_contain_text("75,00 €")
    expect(card.locator("table.fu-cards tbody th[scope=row]")).to_have_count(1)  # a month: a card on a phone
    shoot(public, artifacts, "public-it")
    entries = api.get("/ledger").json()["entries"]
    assert sorted((e["kind"], e["amount"]) for e in entries) == [
        ("disbursement", "30.00"), ("payment", "25.00"), ("payment", "30.00"), ("payment", "50.00")]
    for shown in (public.content(), json.dumps(entries, ensure_ascii=False)):
        for personal in PERSONAL:
            assert personal not in shown, f"{personal!r} is public"
    public.goto("/?lang=en")
    shoot(public, artifacts, "public-en")
    public.context.close()

    # 8. Marco asks what is held about him, then to be forgotten: the privacy desk exports him and erases him
    published = api.get("/ledger/head").json()
    anna = sign_in(browser, server, ADMIN["email"], ADMIN["password"], "it", f"/console/privacy?lang=it&person={marco}")
    expect(anna.locator("#privacy[data-ready]")).to_be_attached()
    expect(anna.locator("#shown-id")).to_have_text(marco)
    with anna.expect_download() as downloading:
        anna.get_by_role("button", name=it["pv_export"]).click()
    exported = json.loads(Path(downloading.value.path()).read_text())
    assert exported["person_id"] == marco and exported["personal_data"]["name"] == MARCO["name"]
    assert exported["personal_data"]["email"] == MARCO["email"] and exported["erased"] is False
    anna.locator("#e-reason").fill("richiesta del donatore, e-mail del 2 dicembre")
    anna.get_by_role("button", name=it["pv_erase"]).click()
    expect(anna.locator("#flash.error")).to_have_text(it["pv_confirm_mismatch"])
    assert api.get(f"/privacy/persons/{marco}").json()["erased"] is False
    shoot(anna, artifacts, "erase-refused-it")
    anna.locator("#e-confirm").fill(marco)
    anna.locator("#e-confirm").press("Enter")
    expect(anna.locator("#state")).to_have_text(it["pv_erased"])
    assert api.get(f"/donors/{marco}").json()["erased"] is True
    shoot(anna, artifacts, "erased-it")
    in_english(anna, artifacts, "erased", "#privacy[data-ready]")
    anna.context.close()

    # 9. The ledger still verifies, on the auditor's page and against the head published before
    aldo = sign_in(browser, server, ALDO, PASSWORD, "it", "/console/auditor?lang=it")
    aldo.get_by_role("button", name=re.compile(it["run_verification"])).click()
    expect(aldo.locator("#result .verdict")).to_have_text(f"✔ {it['verified_ok']}")
    shoot(aldo, artifacts, "verified-it")
    aldo.goto("/console/auditor?lang=en")
    aldo.get_by_role("button", name=re.compile("Run the verification")).click()
    expect(aldo.locator("#result .verdict")).to_have_text("✔ Ledger intact")
    shoot(aldo, artifacts, "verified-en")
    aldo.context.close()
    assert api.post("/ledger/verify", json=published).json()["ok"] is True

    # 10. Marco's page says "erased", and his €30 stays
    carla.goto(f"/console/donors/{marco}?lang=it")
    expect(carla.locator("#donor[data-ready]")).to_be_attached()
    expect(carla.locator("#erased-note")).to_be_visible()
    expect(carla.locator("#r-name")).to_have_text(it["dn_erased_short"])
    expect(carla.locator("#t-paid")).to_have_text("30,00 €")
    expect(carla.locator("#donor")).not_to_contain_text(MARCO["name"])
    shoot(carla, artifacts, "erased-donor-it")
    in_english(carla, artifacts, "erased-donor", "#donor[data-ready]")
    expect(carla.locator("#t-paid")).to_have_text("€30.00")
    carla.context.close()


def test_signing_in_returns_to_the_page_asked_for_with_its_own_query(browser: Browser, server: Server) -> None:
    # Given a donor's commitments page asked for in English before signing in (a link from a donor's page)
    donor = server.api.post("/donors", json={"kind": "person", "name": "Sara Verdi"}).json()["id"]
    made = server.api.post("/auth/accounts", json={"email": "paola@angeli.example", "password": PASSWORD,
                                                   "role": "campaign_manager"})
    assert made.status_code == 201, made.text
    page = browser.new_page(base_url=server.url, viewport={"width": 1280, "height": 900}, locale=LOCALES["en"])
    page.goto(f"/console/regular?lang=en&donor={donor}")
    page.wait_for_url(re.compile("/console/login"))
    # When Paola signs in
    page.get_by_label("E-mail").fill("paola@angeli.example")
    page.get_by_label("Password").fill(PASSWORD)
    page.locator("form button[type=submit]").click()
    # Then she is back on that page, its query whole (the language not added twice, the donor kept)
    page.wait_for_url(re.compile("/console/regular\\?"))
    expect(page.locator("#regular[data-ready]")).to_be_attached()
    assert page.url == f"{server.url}/console/regular?lang=en&donor={donor}"
    expect(page.locator("#donor")).to_have_value(donor)
    expect(page.locator("#new-donor")).to_have_value(donor)
    page.close()
