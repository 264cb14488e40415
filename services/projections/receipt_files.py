"""A donor's numbered receipts of a year as PDF files, and the year's donors: what the mail service's receipts port
reads (adapted in services/main.py). The numbers and documents are the receipt routes' own (receipt_docs)."""

from __future__ import annotations

from uuid import UUID

from services.identity.domain import Access
from services.kernel.settings import CharitySettings
from services.privacy.application import PrivacyVault
from services.projections import donor_receipts_api, receipt_docs, receipt_pdf


def donor_year(stores: receipt_docs.Stores, vault: PrivacyVault, charity: CharitySettings, access: Access,
               donor_id: UUID, year: int, lang: str = "it") -> list[tuple[str, bytes]]:
    """(ricevuta-<number>.pdf, PDF) for each of the donor's receipts of `year` not voided, in number order; each
    document reads the donor's name and tax code from the vault (an access event naming the receipt)."""
    listed = sorted((r for r in donor_receipts_api.of_donor(stores, donor_id) if r.year == year and not r.voided_on),
                    key=lambda r: r.number)
    files = []
    for receipt in listed:
        number, row, entry = receipt_docs.one(stores, year, int(receipt.number.rpartition("-")[2]))
        document = receipt_docs.document(vault, access, number, row, entry)
        files.append((f"ricevuta-{number}.pdf", receipt_pdf.render(document, charity, lang)))
    return files


def donors_of_year(stores: receipt_docs.Stores, year: int) -> list[UUID]:
    """Every donor with a numbered receipt (not voided) in `year`."""
    rows = stores.transparency.query(
        "SELECT DISTINCT donor_id FROM tp_receipts WHERE year = ? AND position <= ? AND voided_on IS NULL"
        " ORDER BY donor_id", (year, stores.sealed()))
    return [UUID(r["donor_id"]) for r in rows]
