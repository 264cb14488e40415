"""The receipts page in Chromium: campaign manager Lucia lists the year's receipts (donors by id, no names), downloads
Giulia's receipt as a PDF (read back with pdftotext: her name is in the document, not on the page) and the year's
ZIP; auditor Aldo reads the same list. Screenshots at 1280 and 390 px, Italian and English."""

from __future__ import annotations

import io
import shutil
import subprocess
import time
import zipfile
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from playwright.sync_api import Browser, Page, expect

from tests.conftest import ROME
from tests.console.conftest import Server, fits, signed_in_through_form
from tests.console.test_accessibility import Controls

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(shutil.which("pdftotext") is None, reason="bash deploy/pdftools.sh installs it")]
PASSWORD = "una-password-lunga"
TEXTS = {
    "it": {"title": "Ricevute delle donazioni", "amount": "50,00 €", "method": "bonifico", "pdf": "Scarica la ricevuta",
           "zip": "Scarica tutte le ricevute del", "in_words": "cinquanta euro e zero centesimi",
           "summary": "2 ricevute nel"},
    "en": {"title": "Donation receipts", "amount": "€50.00", "method": "bank transfer", "pdf": "Download receipt",
           "zip": "Download all receipts of", "in_words": "fifty euro, zero cents", "summary": "2 receipts in"},
}


@pytest.mark.parametrize("lang", ["it", "en"])
def test_every_control_of_the_receipts_page_has_a_label(page_reader: TestClient, lang: str) -> None:
    page = page_reader.get("/console/receipts", headers={"Accept-Language": lang})
    assert page.status_code == 200 and page.headers["content-language"] == lang
    assert f'href="/console/receipts?lang={lang}" aria-current="page"' in page.text
    controls = Controls()
    controls.feed(page.text)
    assert controls.unlabelled() == []
    assert controls.problems == []


def sign_in(browser: Browser, server: Server, email: str, lang: str, width: int, page_path: str) -> Page:
    return signed_in_through_form(browser, server, email, PASSWORD, lang, width, page_path)


def pdf_text(pdf: bytes, folder: Path) -> str:
    path = folder / "downloaded.pdf"
    path.write_bytes(pdf)
    out = subprocess.run(["pdftotext", "-enc", "UTF-8", str(path), "-"], capture_output=True, check=True).stdout
    return " ".join(out.decode().split())


def fetched(page: Page, link_name: str, kind: str) -> bytes:
    """What the link named `link_name` downloads (as the browser would: its href, the session cookie)."""
    link = page.get_by_role("link", name=link_name)
    assert link.get_attribute("download")
    answer = page.request.get(str(link.get_attribute("href")))
    assert answer.ok and answer.headers["content-type"] == kind
    assert answer.headers["content-disposition"].startswith("attachment;")
    return answer.body()


def two_receipts(server: Server) -> dict[str, Any]:
    """Giulia pays 50.00 by bank transfer and Niccolò 120.00 by card, today (the product's day)."""
    api = server.api
    for email, role in (("lucia@angeli.example", "campaign_manager"), ("aldo@angeli.example", "auditor")):
        assert api.post("/auth/accounts", json={"email": email, "password": PASSWORD, "role": role}).status_code == 201
    fund = api.post("/funds", json={"name": "Fondo famiglie"}).json()["id"]
    donors = {}
    for name, tax_code, amount, method in (("Giulia Rossi", "RSSGLI80A41F205X", "50.00", "bank_transfer"),
                                           ("Niccolò Àlvarez", "LVRNCC75B12F205Z", "120.00", "card")):
        donor = api.post("/donors", json={"kind": "person", "name": name, "tax_code": tax_code})
        assert donor.status_code == 201, donor.text
        pledge = api.post("/pledges", json={"donor_id": donor.json()["id"], "fund_id": fund, "amount": amount})
        assert pledge.status_code == 201, pledge.text
        paid = api.post(f"/pledges/{pledge.json()['id']}/payments",
                        json={"amount": amount, "method": method, "reference": f"REF-{name[:3]}"})
        assert paid.status_code == 201, paid.text
        donors[name] = donor.json()["id"]
    year = server.started_at.astimezone(ROME).year
    for _ in range(100):  # the read models catch up in a moment
        if len(api.get(f"/console/api/receipts/{year}").json()["receipts"]) == 2:
            break
        time.sleep(0.1)
    return {"year": year, "donors": donors}


def test_the_office_lists_the_years_receipts_and_downloads_a_pdf_and_the_zip(
        browser: Browser, server: Server, artifacts: Path, tmp_path: Path) -> None:
    facts = two_receipts(server)
    year, giulia = facts["year"], facts["donors"]["Giulia Rossi"]
    for lang in ("it", "en"):
        for width in (1280, 390):
            page = sign_in(browser, server, "lucia@angeli.example", lang, width, "/console/receipts")
            words = TEXTS[lang]
            expect(page.locator("#receipts[data-ready=yes]")).to_be_attached()
            expect(page.locator("h1")).to_have_text(words["title"])
            first = page.locator("#list tbody tr").first
            expect(page.locator("#list tbody tr")).to_have_count(2)
            expect(first).to_contain_text(f"{year}-000001")
            expect(first).to_contain_text(words["amount"])
            expect(first).to_contain_text(words["method"])
            expect(first).to_contain_text(giulia)
            expect(page.locator("#receipts")).not_to_contain_text("Giulia")  # the list names nobody
            expect(page.locator("#summary")).to_contain_text(words["summary"])
            expect(page.get_by_role("link", name=f"{words['pdf']} {year}-000001 (PDF)")).to_be_visible()
            expect(page.get_by_role("link", name=f"{words['zip']} {year} (ZIP)")).to_be_visible()
            fits(page)
            page.screenshot(path=str(artifacts / f"receipts-{lang}-{width}.png"), full_page=True)
            if width == 1280:  # each link fetches its document with the page's own session cookie
                text = pdf_text(fetched(page, f"{words['pdf']} {year}-000001 (PDF)", "application/pdf"), tmp_path)
                assert "Giulia Rossi" in text and "RSSGLI80A41F205X" in text and words["in_words"] in text
                zipped = fetched(page, f"{words['zip']} {year} (ZIP)", "application/zip")
                archive = zipfile.ZipFile(io.BytesIO(zipped))
                assert archive.namelist() == [f"{year}-000001.pdf", f"{year}-000002.pdf"]
            page.context.close()


def test_an_auditor_reads_the_list_by_keyboard_and_a_coordinator_is_told_whose_page_it_is(
        browser: Browser, server: Server) -> None:
    for email, role in (("alda@angeli.example", "auditor"), ("chiara@angeli.example", "coordinator")):
        assert server.api.post("/auth/accounts", json={"email": email, "password": PASSWORD,
                                                       "role": role}).status_code == 201
    page = sign_in(browser, server, "alda@angeli.example", "en", 1280, "/console/receipts")
    expect(page.locator("#receipts[data-ready=yes]")).to_be_attached()
    page.locator("#year").focus()
    page.keyboard.press("Tab")
    expect(page.get_by_role("button", name="Show")).to_be_focused()
    page.keyboard.press("Enter")  # the chooser's form is sent from the keyboard and the list takes the focus
    expect(page.locator("#list-title")).to_be_focused()
    page.context.close()
    page = sign_in(browser, server, "chiara@angeli.example", "en", 1280, "/console/receipts")
    expect(page.locator("#wrong-role-text")).to_contain_text("Receipts are for auditors and campaign managers")
    expect(page.locator("#receipts")).to_be_hidden()
    page.context.close()
