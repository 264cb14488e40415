"""A donor's numbered receipts, for their page: the receipts read model (transparency) by donor, read only.

Numbers are the ones the receipt documents carry (receipt_docs): a receipt's rank within its year by position,
counted over the positions both the transparency and the ledger models have sealed. No vault read: donors by id.
"""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, Field

from services.kernel.errors import NotFound
from services.privacy.application import PrivacyVault
from services.projections import ledger, receipt_docs

router = APIRouter(tags=["ledger"])


class Sources:
    """The receipts' stores (as the documents number them) and the vault (to tell an unknown donor, reads no data)."""

    def __init__(self, request: Request) -> None:
        stores = request.app.state.read_stores
        settings = request.app.state.product.settings
        self.stores = receipt_docs.Stores(stores["transparency"], stores["ledger"], ledger.partitions_of(settings))
        self.vault: PrivacyVault = request.app.state.vault


async def _sources(request: Request) -> Sources:
    return Sources(request)  # in the event loop: it only looks things up


Src = Annotated[Sources, Depends(_sources)]


class DonorReceipt(BaseModel):
    number: str = Field(description="as printed on the PDF: 2026-000042")
    year: int
    fulfilled_on: str = Field(description="the day (Europe/Rome) the payment fulfilled the pledge")
    amount: str
    pledge_id: str
    voided_on: str | None = Field(description="the day a reversal voided it (it keeps its number)")
    pdf: str = Field(description="the receipt's document: GET this path")


def of_donor(stores: receipt_docs.Stores, donor_id: UUID) -> list[DonorReceipt]:
    """The donor's receipts, newest first; each numbered by its rank in its year (one indexed count each)."""
    sealed = stores.sealed()
    rows = stores.transparency.query(
        "SELECT position, year, pledge_id, amount_cents, fulfilled_on, voided_on FROM tp_receipts"
        " WHERE donor_id = ? AND position <= ? ORDER BY position DESC", (str(donor_id), sealed))
    listed = []
    for row in rows:
        year = int(row["year"])
        rank = stores.transparency.one("SELECT COUNT(*) AS n FROM tp_receipts WHERE year = ? AND position <= ?",
                                       (year, int(row["position"])))
        number = receipt_docs.number_of(year, int(rank["n"]) if rank else 0)
        listed.append(DonorReceipt(number=number, year=year, fulfilled_on=row["fulfilled_on"],
                                   amount=ledger.euro(int(row["amount_cents"])), pledge_id=row["pledge_id"],
                                   voided_on=row["voided_on"], pdf=f"/receipts/{year}/{number}.pdf"))
    return listed


def _pledged(stores: receipt_docs.Stores, donor_id: UUID) -> bool:
    return stores.transparency.one("SELECT 1 AS x FROM tp_pledges WHERE donor_id = ? LIMIT 1",
                                   (str(donor_id),)) is not None


@router.get("/donors/{donor_id}/receipts")
def donor_receipts(donor_id: UUID, src: Src) -> list[DonorReceipt]:
    """A donor's numbered receipts, newest first, each with the path of its PDF; no personal data."""
    listed = of_donor(src.stores, donor_id)
    if not listed and not src.vault.knows(donor_id) and not _pledged(src.stores, donor_id):
        raise NotFound(f"no donor is held under the id {donor_id}: check the id on the donor's page")
    return listed
