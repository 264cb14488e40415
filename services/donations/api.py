"""Donations HTTP routes: translate requests to use cases, nothing more."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, BinaryIO, Literal
from uuid import UUID

from fastapi import APIRouter, Depends, File, Query, Request, UploadFile
from pydantic import BaseModel, ConfigDict, Field

from services.donations.application import DonationsApplication, PledgeView
from services.donations.donor_api import router as donor_router
from services.donations.gift_import import GiftImportReport
from services.donations.gifts import DonorDetails
from services.identity.auth import CurrentAccess
from services.kernel.clock import Day, Instant
from services.kernel.errors import InvalidInput
from services.kernel.idempotency import Once

router = APIRouter(tags=["donations"])


async def _donations(request: Request) -> DonationsApplication:
    application: DonationsApplication = request.app.state.applications["donations"]
    return application


Donations = Annotated[DonationsApplication, Depends(_donations)]
Text = Annotated[str, Field(min_length=1, max_length=500)]


class Command(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ConsentIn(Command):
    channel: Literal["phone", "email", "post", "sms"] = Field(description="recorded as the purpose <channel>_outreach")
    source: str = Field(min_length=3, max_length=200, description="where it was given, e.g. 'phone call of 2 Dec'")


class DonorIn(DonorDetails):
    kind: Literal["person", "company"]
    consents: list[ConsentIn] = Field(default_factory=list, max_length=4, description="given now, one per channel")


class DonorOut(BaseModel):
    id: UUID
    kind: str
    name: str | None
    erased: bool


class FundIn(Command):
    name: str = Field(min_length=1, max_length=120)


class FundOut(BaseModel):
    id: UUID
    name: str
    closed: bool
    balance: Decimal
    disbursed: Decimal
    version: int


class DisbursementIn(Command):
    amount: Decimal
    currency: str = "EUR"
    purpose: Text
    document: str = Field(min_length=1, max_length=200)
    disbursed_at: Instant | None = None


class Instalment(Command):
    due_on: Day
    amount: Decimal


class PledgeIn(Command):
    donor_id: UUID
    fund_id: UUID
    kind: Literal["money", "goods"] = "money"
    amount: Decimal = Field(description="euro for money; declared value for goods")
    currency: str = "EUR"
    campaign_id: UUID | None = None
    contact_id: UUID | None = None
    call_id: UUID | None = None
    volunteer_id: UUID | None = None
    description: str | None = Field(default=None, max_length=300)
    quantity: int | None = Field(default=None, ge=1, le=1_000_000)
    instalments: list[Instalment] = Field(default_factory=list, max_length=120)


# gifts
class InstalmentOut(BaseModel):
    due_on: date
    amount: Decimal
    paid: Decimal = Field(description="of this instalment: net payments settle instalments in due-date order")
    overdue: bool
    days_late: int


class ReversalOut(BaseModel):
    payment_id: UUID
    amount: Decimal
    reversed_at: datetime
    reason: str


class GoodsReceiptOut(BaseModel):
    receipt_id: UUID
    quantity: int
    value: Decimal
    received_at: datetime
# (end of gifts)


class PledgeOut(BaseModel):
    id: UUID
    donor_id: UUID
    fund_id: UUID
    kind: str
    amount: Decimal
    paid: Decimal
    outstanding: Decimal
    status: str
    campaign_id: str | None
    received_quantity: int
    quantity: int | None
    payments: list[dict[str, str]]
    version: int
    # gifts: the pledge's history, for its page
    made_at: datetime | None = None
    description: str | None = None
    received_value: Decimal | None = Field(default=None, description="goods: declared value of what arrived")
    instalments: list[InstalmentOut] = Field(default_factory=list)
    reversals: list[ReversalOut] = Field(default_factory=list)
    goods: list[GoodsReceiptOut] = Field(default_factory=list)
    cancelled_at: datetime | None = None
    cancel_reason: str | None = None
    # (end of gifts)


class PaymentIn(Command):
    amount: Decimal
    currency: str = "EUR"
    method: str = Field(min_length=1, max_length=40)
    reference: str = Field(min_length=1, max_length=140)
    received_at: Instant | None = None
    mandate_reference: str | None = Field(
        default=None, max_length=35, description="a regular gift's mandate: the payment is that commitment's gift")


class PaymentOut(BaseModel):
    pledge_id: UUID
    payment_id: UUID
    duplicate: bool


class ReversalIn(Command):
    amount: Decimal
    currency: str = "EUR"
    reason: Text
    reversed_at: Instant | None = None


class CancellationIn(Command):
    reason: Text


class GoodsIn(Command):
    quantity: int = Field(ge=1, le=1_000_000)


class Created(BaseModel):
    id: UUID


class ImportLineOut(BaseModel):
    line: int
    outcome: Literal["duplicate", "rejected"]
    reason: str


class GiftImportOut(BaseModel):
    rows: int
    imported: int
    duplicates: int
    rejected: int
    lines: list[ImportLineOut] = Field(description="duplicate and rejected lines, in file order (the first 1000)")
    lines_truncated: bool


@router.post("/donors", status_code=201)
def register_donor(body: DonorIn, donations: Donations, access: CurrentAccess, once: Once) -> DonorOut:
    """Register a donor; name and contacts go to the privacy vault, events carry the id only."""
    details = {k: str(v) for k, v in body.model_dump(exclude={"kind", "consents"}).items() if v is not None}
    consents = {c.channel: (f"{c.channel}_outreach", " ".join(c.source.split())) for c in body.consents}
    donor_id = donations.register_donor(body.kind, details, consents=list(consents.values()), by=access.actor,
                                        once=once)
    return get_donor(donor_id, donations, access)


@router.get("/donors/{donor_id}")
def get_donor(donor_id: UUID, donations: Donations, access: CurrentAccess) -> DonorOut:
    """One donor's kind and name (unless erased)."""
    view = donations.donor(donor_id, access, fields=("name",))  # only what DonorOut shows is read (and recorded)
    return DonorOut(id=view.id, kind=view.kind, name=view.details.get("name"), erased=view.erased)


@router.post("/funds", status_code=201)
def create_fund(body: FundIn, donations: Donations, once: Once) -> FundOut:
    """Create a fund money is raised for."""
    return get_fund(donations.create_fund(body.name, once=once), donations)


@router.get("/funds/{fund_id}")
def get_fund(fund_id: UUID, donations: Donations) -> FundOut:
    """A fund's name, state and current balance."""
    view = donations.fund(fund_id)
    return FundOut(id=view.id, name=view.name, closed=view.closed, balance=view.balance,
                   disbursed=view.disbursed, version=view.version)


@router.post("/funds/{fund_id}/rename")
def rename_fund(fund_id: UUID, body: FundIn, donations: Donations, once: Once) -> FundOut:
    """Give an open fund a new name."""
    donations.rename_fund(fund_id, body.name, once=once)
    return get_fund(fund_id, donations)


@router.post("/funds/{fund_id}/close")
def close_fund(fund_id: UUID, donations: Donations, once: Once) -> FundOut:
    """Close a fund to new pledges; payments on earlier pledges and disbursements continue."""
    donations.close_fund(fund_id, once=once)
    return get_fund(fund_id, donations)


@router.post("/funds/{fund_id}/disbursements", status_code=201)
def disburse(fund_id: UUID, body: DisbursementIn, donations: Donations, once: Once) -> Created:
    """Record what the fund's money was spent on; never more than the fund holds on its day and every later day."""
    disbursement_id = donations.disburse(
        fund_id, body.amount, body.purpose, body.document, body.currency, body.disbursed_at, once=once)
    return Created(id=disbursement_id)


@router.post("/pledges", status_code=201)
def make_pledge(body: PledgeIn, donations: Donations, once: Once) -> PledgeOut:
    """Record a pledge of money (optionally in instalments) or of goods."""
    links = {name: str(value) if value is not None else None for name, value in
             (("campaign_id", body.campaign_id), ("contact_id", body.contact_id), ("call_id", body.call_id),
              ("volunteer_id", body.volunteer_id))}
    return pledge_out(donations.record_pledge(
        body.donor_id, body.fund_id, body.kind, body.amount, body.currency, once=once, **links,
        description=body.description, quantity=body.quantity,
        schedule=[(i.due_on, i.amount) for i in body.instalments],
    ))


@router.get("/pledges/{pledge_id}")
def get_pledge(
    pledge_id: UUID, donations: Donations,
    on: Annotated[Day | None, Query(description="status as of this date (default today)")] = None,
) -> PledgeOut:
    """A pledge with its payments and its status on a date."""
    return pledge_out(donations.pledge(pledge_id, on))


@router.post("/pledges/{pledge_id}/payments", status_code=201)
def receive_payment(pledge_id: UUID, body: PaymentIn, donations: Donations, once: Once) -> PaymentOut:
    """Record a payment; the same method and reference imported again is recorded once."""
    recorded = donations.receive_payment(
        pledge_id, body.amount, body.method, body.reference, body.currency, body.received_at,
        mandate=body.mandate_reference, once=once)
    return PaymentOut(pledge_id=pledge_id, payment_id=recorded.payment_id, duplicate=recorded.duplicate)


@router.post("/pledges/{pledge_id}/payments/{payment_id}/reversals", status_code=201)
def reverse_payment(pledge_id: UUID, payment_id: UUID, body: ReversalIn, donations: Donations,
                    once: Once) -> PledgeOut:
    """Record a chargeback or refund of (part of) a payment, dated on or after the payment."""
    donations.reverse_payment(pledge_id, payment_id, body.amount, body.reason, body.currency, body.reversed_at,
                              once=once)
    return pledge_out(donations.pledge(pledge_id))


@router.post("/pledges/{pledge_id}/cancel")
def cancel_pledge(pledge_id: UUID, body: CancellationIn, donations: Donations, once: Once) -> PledgeOut:
    """Cancel a pledge that is not fulfilled; payments already received stay."""
    donations.cancel_pledge(pledge_id, body.reason, once=once)
    return pledge_out(donations.pledge(pledge_id))


@router.post("/pledges/{pledge_id}/goods", status_code=201)
def receive_goods(pledge_id: UUID, body: GoodsIn, donations: Donations, once: Once) -> Created:
    """Record goods received for a pledge in kind."""
    return Created(id=donations.receive_goods(pledge_id, body.quantity, once=once))


@router.post("/donations/import", status_code=201)
def import_gifts(file: Annotated[UploadFile, File(description="CSV, UTF-8, ',' or ';' separated")],
                 donations: Donations, once: Once) -> GiftImportOut:
    """Import gifts already received (PayPal, card, SEPA, bank exports): each line a pledge paid at once."""
    return gift_import_out(donations.import_gifts(_export(file), once=once))


# gifts
# An export of 50,000 lines is about 7 MB; the kernel refuses any upload over 20 MiB before a route sees it.
MAX_IMPORT_BYTES = 10_000_000


class ExportTooLarge(InvalidInput):
    status_code = 413


def _export(file: UploadFile) -> BinaryIO:
    """The uploaded export, if it is within MAX_IMPORT_BYTES (else 413, nothing read or stored)."""
    size = file.file.seek(0, 2)
    file.file.seek(0)
    if size > MAX_IMPORT_BYTES:
        raise ExportTooLarge(f"the file has {size} bytes; an import takes at most {MAX_IMPORT_BYTES} bytes "
                             "(10 MB): split the export by month and import each part")
    return file.file


@router.post("/donations/import/preview")
def preview_gift_import(file: Annotated[UploadFile, File(description="CSV, UTF-8, ',' or ';' separated")],
                        donations: Donations) -> GiftImportOut:
    """What importing the export would do — counts and the duplicate and rejected lines with their reasons —
    judged as the import judges it; stores nothing."""
    return gift_import_out(donations.preview_gift_import(_export(file)))
# (end of gifts)


def gift_import_out(report: GiftImportReport) -> GiftImportOut:
    lines = [ImportLineOut(line=x.line, outcome=x.outcome, reason=x.reason) for x in report.lines]  # type: ignore[arg-type]
    return GiftImportOut(rows=report.rows, imported=report.imported, duplicates=report.duplicates,
                         rejected=report.rejected, lines=lines, lines_truncated=report.lines_truncated)


def pledge_out(view: PledgeView) -> PledgeOut:
    payments = [{"payment_id": str(pid), "amount": str(amount), "method": method, "reference": ref,
                 "reversed": str(rev)} for pid, amount, method, ref, rev in view.payments]
    out = PledgeOut(
        id=view.id, donor_id=view.donor_id, fund_id=view.fund_id, kind=view.kind, amount=view.amount,
        paid=view.paid, outstanding=view.outstanding, status=view.status, campaign_id=view.campaign_id,
        received_quantity=view.received_quantity, quantity=view.quantity, payments=payments, version=view.version,
    )
    return _with_details(out, view)


# gifts
def _with_details(out: PledgeOut, view: PledgeView) -> PledgeOut:
    d = view.details
    if d is None:
        return out
    for payment in out.payments:
        payment["received_at"] = d.payments_received_at[UUID(payment["payment_id"])].isoformat()
    out.made_at, out.description, out.cancelled_at, out.cancel_reason = (
        d.made_at, d.description, d.cancelled_at, d.cancel_reason)
    out.received_value = d.received_value if view.kind == "goods" else None
    out.instalments = [InstalmentOut(due_on=i.due_on, amount=i.amount, paid=i.paid, overdue=i.overdue,
                                     days_late=i.days_late) for i in d.instalments]
    out.reversals = [ReversalOut(payment_id=r.payment_id, amount=r.amount, reversed_at=r.reversed_at,
                                 reason=r.reason) for r in d.reversals]
    out.goods = [GoodsReceiptOut(receipt_id=g.receipt_id, quantity=g.quantity, value=g.value,
                                 received_at=g.received_at) for g in d.goods]
    return out
# (end of gifts)


# donors: the office's search, details, pledges and consents (services.donations.donor_api)
router.include_router(donor_router)
