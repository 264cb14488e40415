"""Receipt documents: the year's numbered receipts as PDFs a donor keeps for a tax deduction, read back with
Debian's `pdftotext`; the yearly ZIP; the donor's name read from the vault as a recorded access; roles and bad input.
"""

from __future__ import annotations

import io
import shutil
import subprocess
import zipfile
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from services.donations.application import DonationsApplication
from services.kernel.settings import CharitySettings, Settings, SettingsError
from services.main import Product
from services.projections import receipt_pdf
from tests.conftest import RoleClient
from tests.donations.conftest import catch_up_ledger

D = Decimal
pytestmark = pytest.mark.skipif(shutil.which("pdftotext") is None, reason="bash deploy/pdftools.sh installs it")


def text_of(pdf: bytes, tmp_path: Path) -> str:
    """What a reader sees: the PDF's text as poppler extracts it, lines joined by single spaces."""
    path = tmp_path / "receipt.pdf"
    path.write_bytes(pdf)
    out = subprocess.run(["pdftotext", "-enc", "UTF-8", str(path), "-"], capture_output=True, check=True).stdout
    return " ".join(out.decode().split())


@pytest.fixture
def year(product: Product) -> dict[str, Any]:
    """Giulia pays her 50.00 pledge by bank transfer on 10 November 2026 and Niccolò (a company, with an accented
    name) his 1,234.56 by card on the 20th; Marco is paid 10.00 of 20.00 (no receipt yet)."""
    donations: DonationsApplication = product.services["donations"].application  # type: ignore[assignment]
    giulia = donations.register_donor("person", {"name": "Giulia Rossi", "tax_code": "RSSGLI80A41F205X"})
    nicco = donations.register_donor("company", {"name": "Niccolò Àlvarez & Figli S.r.l.",
                                                 "tax_code": "00743110157"})
    marco = donations.register_donor("person", {"name": "Marco Bianchi"})
    fund = donations.create_fund("Fondo famiglie")
    g = donations.make_pledge(giulia, fund, "money", D("50.00"))
    donations.receive_payment(g, D("50.00"), "bank_transfer", "CRO-1", received_at=datetime(2026, 11, 10, 9,
                                                                                               tzinfo=UTC))
    n = donations.make_pledge(nicco, fund, "money", D("1234.56"))
    donations.receive_payment(n, D("1234.56"), "card", "ch_2", received_at=datetime(2026, 11, 20, 15, tzinfo=UTC))
    m = donations.make_pledge(marco, fund, "money", D("20.00"))
    donations.receive_payment(m, D("10.00"), "cash", "R-3", received_at=datetime(2026, 11, 21, 9, tzinfo=UTC))
    catch_up_ledger(product)
    return {"giulia": giulia, "nicco": nicco}


def test_a_receipt_pdf_names_charity_donor_amount_in_words_and_figures_and_the_ledger_entry(
        client: TestClient, year: dict[str, Any], tmp_path: Path) -> None:
    answer = client.get("/receipts/2026/2026-000001.pdf")
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"] == "application/pdf" and answer.content.startswith(b"%PDF-")
    text = text_of(answer.content, tmp_path)
    entry = client.get("/ledger", params={"limit": 1}).json()["entries"][0]
    charity = CharitySettings()
    for expected in ("Ricevuta di erogazione liberale", "Ricevuta n. 2026-000001", charity.name,
                     f"Codice fiscale: {charity.tax_code}", "Via della Solidarietà 1, 20121 Milano (MI)",
                     "Giulia Rossi", "Codice fiscale: RSSGLI80A41F205X", "50,00 €",
                     "In lettere: cinquanta euro e zero centesimi", "Data: 10/11/2026",
                     "Metodo di pagamento: bonifico bancario",
                     f"sequenza {entry['sequence']}", entry["hash"]):
        assert expected in text, f"{expected!r} not in {text!r}"


def test_in_english_the_amount_is_in_english_words_and_the_readers_figures(
        client: TestClient, year: dict[str, Any], tmp_path: Path) -> None:
    answer = client.get("/receipts/2026/2.pdf", params={"lang": "en"})
    assert answer.status_code == 200, answer.text
    text = text_of(answer.content, tmp_path)
    for expected in ("Receipt no. 2026-000002", "Niccolò Àlvarez & Figli S.r.l.", "Tax code: 00743110157",
                     "€1,234.56", "In words: one thousand, two hundred and thirty-four euro, fifty-six cents",
                     "Date: 20/11/2026", "Payment method: payment card", "donation ledger sequence 2"):
        assert expected in text, f"{expected!r} not in {text!r}"


def test_the_same_receipt_rendered_twice_is_byte_identical(client: TestClient, year: dict[str, Any]) -> None:
    first = client.get("/receipts/2026/2026-000001.pdf").content
    again = client.get("/receipts/2026/1.pdf").content
    assert first == again
    assert b"/CreationDate (D:20261110000000+01'00')" in first  # the receipt's day in Rome, not the moment printed
    assert first != client.get("/receipts/2026/1.pdf", params={"lang": "en"}).content


def test_each_render_reads_the_donor_through_the_vault_and_is_recorded_with_its_purpose(
        client: TestClient, client_as: RoleClient, product: Product, year: dict[str, Any]) -> None:
    assert client_as("auditor").get("/receipts/2026/1.pdf").status_code == 200
    product.catch_up()
    trail = client.get("/privacy/access-log", params={"person_id": str(year["giulia"])}).json()
    assert [(a["purpose"], a["role"], a["outcome"], a["fields"]) for a in trail] == [
        ("tax receipt 2026-000001", "auditor", "read", ["name", "tax_code"])]


def test_the_yearly_zip_holds_one_pdf_per_receipt_in_number_order_and_is_reproducible(
        client: TestClient, product: Product, year: dict[str, Any], tmp_path: Path) -> None:
    answer = client.get("/receipts/2026.zip")
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"] == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(answer.content))
    assert archive.namelist() == ["2026-000001.pdf", "2026-000002.pdf"]
    assert [m.date_time for m in archive.infolist()] == [(2026, 11, 10, 0, 0, 0), (2026, 11, 20, 0, 0, 0)]
    assert archive.read("2026-000001.pdf") == client.get("/receipts/2026/1.pdf").content
    assert "Niccolò Àlvarez" in text_of(archive.read("2026-000002.pdf"), tmp_path)
    assert client.get("/receipts/2026.zip").content == answer.content
    product.catch_up()
    purposes = {a["purpose"] for a in client.get("/privacy/access-log", params={"limit": 1000}).json()}
    assert {"tax receipt 2026-000001", "tax receipt 2026-000002"} <= purposes


def test_an_erased_donors_receipt_keeps_its_number_and_amount_without_the_name(
        client: TestClient, year: dict[str, Any], tmp_path: Path) -> None:
    erased = client.post(f"/privacy/persons/{year['giulia']}/erase", json={"reason": "her erasure request",
                                                                          "confirmation": str(year["giulia"])})
    assert erased.status_code == 200, erased.text
    text = text_of(client.get("/receipts/2026/1.pdf").content, tmp_path)
    assert "Giulia" not in text and "RSSGLI80A41F205X" not in text
    assert "dati del donatore cancellati su sua richiesta" in text and "50,00 €" in text


@pytest.mark.parametrize(("path", "status", "message"), [
    ("/receipts/2026/3.pdf", 404, "there is no receipt 2026-000003: 2026 has 2 numbered receipts so far"),
    ("/receipts/2025/2025-000001.pdf", 404, "there is no receipt 2025-000001: 2025 has 0 numbered receipts"),
    ("/receipts/2025.zip", 404, "2025 has no numbered receipts yet"),
    ("/receipts/2026/2025-000001.pdf", 422, "receipt 2025-000001 is not one of 2026's"),
    ("/receipts/2026/0.pdf", 422, "receipt numbers start at 1"),
    ("/receipts/1999/1.pdf", 422, "greater than or equal to 2000"),
    ("/receipts/20x6.zip", 422, "valid integer"),
    ("/receipts/2026/uno.pdf", 422, "should match pattern"),
    ("/receipts/2026/1.pdf?lang=fr", 422, "'it' or 'en'"),
])
def test_unknown_receipts_are_404_and_bad_input_422_with_a_clear_message(
        client: TestClient, year: dict[str, Any], path: str, status: int, message: str) -> None:
    answer = client.get(path)
    assert answer.status_code == status, answer.text
    assert message in answer.text


@pytest.mark.parametrize(("role", "status"), [("auditor", 200), ("campaign_manager", 200), ("administrator", 200),
                                              ("coordinator", 403), ("volunteer", 403), ("viewer", 403),
                                              ("public", 401)])
def test_receipt_documents_are_for_auditors_campaign_managers_and_administrators(
        client_as: RoleClient, year: dict[str, Any], role: str, status: int) -> None:
    caller = client_as(role)
    assert caller.get("/receipts/2026/1.pdf").status_code == status
    assert caller.get("/receipts/2026.zip").status_code == status


def test_the_core_font_still_writes_accents_where_dejavu_is_not_installed(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(receipt_pdf, "DEJAVU", tmp_path / "no-fonts")
    document = receipt_pdf.ReceiptDocument("2026-000007", datetime(2026, 12, 1).date(), D("21.00"), "sepa",
                                           "Niccolò Città", None, 7, "0" * 64)
    text = text_of(receipt_pdf.render(document, CharitySettings()), tmp_path)
    assert "Niccolò Città" in text and "ventun euro e zero centesimi" in text and "addebito diretto SEPA" in text
    assert b"/BaseFont /Helvetica" in receipt_pdf.render(document, CharitySettings())


def test_a_name_outside_the_common_repertoire_is_written_with_the_whole_font(tmp_path: Path) -> None:
    document = receipt_pdf.ReceiptDocument("2026-000008", datetime(2026, 12, 1).date(), D("1000000.00"), "cash",
                                           "Ирина Петрова", "PTRRNI70A41Z154X", 8, "f" * 64)
    text = text_of(receipt_pdf.render(document, CharitySettings(), "it"), tmp_path)
    assert "Ирина Петрова" in text and "un milione di euro e zero centesimi" in text


@pytest.mark.parametrize(("env", "message"), [
    ({"ANGELI_CHARITY_TAX_CODE": "97123450010"}, "ANGELI_CHARITY_TAX_CODE must be the charity's codice fiscale"),
    ({"ANGELI_CHARITY_TAX_CODE": "12345"}, "11 digits with a valid check digit"),
    ({"ANGELI_CHARITY_NAME": "x" * 201}, "ANGELI_CHARITY_NAME must be one line of at most 200"),
    ({"ANGELI_CHARITY_ADDRESS": "Via Roma 1\nMilano"}, "with a control character"),
])
def test_the_charitys_details_are_checked_at_start_up(env: dict[str, str], message: str) -> None:
    with pytest.raises(SettingsError, match=message.replace("(", r"\(")):
        Settings.from_env(env)


def test_the_charitys_details_come_from_the_environment() -> None:
    charity = Settings.from_env({"ANGELI_CHARITY_NAME": "Fondazione Città Solidale ETS",
                                 "ANGELI_CHARITY_TAX_CODE": "06363391001",
                                 "ANGELI_CHARITY_ADDRESS": "Piazza Duomo 1, 20122 Milano"}).charity
    assert charity == CharitySettings("Fondazione Città Solidale ETS", "06363391001", "Piazza Duomo 1, 20122 Milano")
    assert Settings.from_env({}).charity == CharitySettings()


def test_rendering_leaves_the_log_quiet(caplog: pytest.LogCaptureFixture) -> None:
    """The font cutter logs every glyph list at INFO: kilobytes per receipt (a served product's stderr filled up)."""
    document = receipt_pdf.ReceiptDocument("2026-000009", datetime(2026, 12, 1).date(), D("5.00"), "cash",
                                           "Anna Bianchi", None, 9, "a" * 64)
    with caplog.at_level("INFO"):
        receipt_pdf.render(document, CharitySettings())
    assert [r.getMessage()[:80] for r in caplog.records] == []
