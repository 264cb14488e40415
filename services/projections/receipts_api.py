"""Receipt document routes: one receipt as PDF, the year's receipts as one ZIP of PDFs; both only read.

Served before GET /receipts/{year} (see ledger_api), which would otherwise take "2026.zip" for a year.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterator
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import Response, StreamingResponse
from pydantic import BaseModel, Field

from services.identity.auth import CurrentAccess
from services.identity.domain import Access
from services.kernel.errors import InvalidInput, NotFound
from services.kernel.settings import CharitySettings
from services.privacy.application import PrivacyVault
from services.projections import ledger, receipt_docs, receipt_pdf

router = APIRouter(tags=["ledger"])


class Sources:
    """What the receipt routes read: the transparency and ledger stores, the vault and the charity's details."""

    def __init__(self, request: Request) -> None:
        settings = request.app.state.product.settings
        stores = request.app.state.read_stores
        self.stores = receipt_docs.Stores(stores["transparency"], stores["ledger"], ledger.partitions_of(settings))
        self.vault: PrivacyVault = request.app.state.vault
        self.charity: CharitySettings = settings.charity


async def _sources(request: Request) -> Sources:
    return Sources(request)  # in the event loop: it only looks things up


Src = Annotated[Sources, Depends(_sources)]
Year = Annotated[int, Path(ge=2000, le=2100, description="the receipts' year (their day in Rome)")]
Number = Annotated[str, Path(pattern=r"^(\d{4}-)?\d{1,6}$", description="the receipt number: 2026-000042 (or 42)")]
Lang = Annotated[Literal["it", "en"], Query(description="the document's language: it (default) or en")]


class ListedReceipt(BaseModel):
    number: str
    fulfilled_on: str
    amount: str
    method: str
    donor_id: str
    voided_on: str | None
    ledger_sequence: int


class ReceiptList(BaseModel):
    year: int
    years: list[int] = Field(description="the years with numbered receipts, the latest first")
    receipts: list[ListedReceipt]


@router.get("/console/api/receipts/{year}")
def list_receipt_documents(year: Year, src: Src) -> ReceiptList:
    """The year's receipts for the console's list, with their method and ledger sequence; donors by id only."""
    return ReceiptList(year=year, years=receipt_docs.years(src.stores),
                       receipts=[ListedReceipt(**r) for r in receipt_docs.listing(src.stores, year)])  # type: ignore[arg-type]


@router.get("/receipts/{year}/{number}.pdf", response_class=Response,
            responses={200: {"content": {"application/pdf": {}}, "description": "the receipt as PDF"}})
def receipt_pdf_document(year: Year, number: Number, src: Src, access: CurrentAccess, lang: Lang = "it") -> Response:
    """One numbered receipt as a PDF for the donor's tax deduction (reads the donor's name: an access event)."""
    found, row, entry = receipt_docs.one(src.stores, year, _ordinal(year, number))
    pdf = receipt_pdf.render(receipt_docs.document(src.vault, access, found, row, entry), src.charity, lang)
    return Response(pdf, media_type="application/pdf",
                    headers={"Content-Disposition": f'attachment; filename="{found}.pdf"', "Cache-Control": "no-store"})


@router.get("/receipts/{year}.zip", response_class=StreamingResponse,
            responses={200: {"content": {"application/zip": {}}, "description": "one PDF per receipt"}})
def receipts_zip(year: Year, src: Src, access: CurrentAccess, lang: Lang = "it") -> StreamingResponse:
    """The year's receipts as a ZIP of PDFs in number order, streamed as written (each donor read is recorded)."""
    if receipt_docs.count(src.stores, year) == 0:
        raise NotFound(f"{year} has no numbered receipts yet")
    return StreamingResponse(
        yearly_zip(src, access, year, lang), media_type="application/zip",
        headers={"Content-Disposition": f'attachment; filename="receipts-{year}.zip"', "Cache-Control": "no-store"})


def yearly_zip(src: Sources, access: Access, year: int, lang: str) -> Iterator[bytes]:
    """The ZIP's bytes, one receipt at a time. Reproducible: members in number order, each dated by its receipt's
    day at midnight, stored (PDFs are compressed already) with fixed attributes."""
    pipe = _Pipe()
    with zipfile.ZipFile(pipe, "w", zipfile.ZIP_STORED) as archive:
        for number, row, entry in receipt_docs.of_year(src.stores, year):
            document = receipt_docs.document(src.vault, access, number, row, entry)
            day = document.issued_on
            member = zipfile.ZipInfo(f"{number}.pdf", date_time=(day.year, day.month, day.day, 0, 0, 0))
            member.create_system, member.external_attr = 3, 0o644 << 16
            archive.writestr(member, receipt_pdf.render(document, src.charity, lang))
            yield pipe.take()
    yield pipe.take()  # the central directory, written on close


class _Pipe(io.RawIOBase):
    """A write-only, unseekable stream the ZIP writer fills and the response drains (zipfile then writes each
    member's sizes after its data, so nothing is ever rewritten)."""

    def __init__(self) -> None:
        super().__init__()
        self._chunks: list[bytes] = []

    def writable(self) -> bool:
        return True

    def write(self, data: bytes) -> int:  # type: ignore[override]  # RawIOBase's is typed for any buffer
        self._chunks.append(bytes(data))
        return len(data)

    def take(self) -> bytes:
        data = b"".join(self._chunks)
        self._chunks.clear()
        return data


def _ordinal(year: int, number: str) -> int:
    prefix, _, digits = number.rpartition("-")
    if prefix and int(prefix) != year:
        raise InvalidInput(f"receipt {number} is not one of {year}'s: ask /receipts/{prefix}/{number}.pdf")
    if int(digits) < 1:
        raise InvalidInput(f"receipt numbers start at 1, got {number}")
    return int(digits)
