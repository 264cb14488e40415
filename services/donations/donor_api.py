"""Donor routes of the donations office: search, a donor's details, pledges and consents. Routes only translate."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated
from uuid import UUID
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, Field

from services.donations import donor_index
from services.donations.application import DonationsApplication
from services.identity.auth import CurrentAccess
from services.kernel.clock import Day

router = APIRouter(tags=["donors"])
ROME = ZoneInfo("Europe/Rome")


async def _donations(request: Request) -> DonationsApplication:
    application: DonationsApplication = request.app.state.applications["donations"]
    return application


Donations = Annotated[DonationsApplication, Depends(_donations)]


class FoundDonorOut(BaseModel):
    id: UUID
    kind: str
    name: str | None


class DonorSearchOut(BaseModel):
    by: str
    total: int = Field(description="donors matching; at most `limit` of them are listed, by name")
    donors: list[FoundDonorOut]


class DonorRecordOut(BaseModel):
    id: UUID
    kind: str
    erased: bool
    name: str | None = None
    email: str | None = None
    phone: str | None = None
    tax_code: str | None = None


class PaymentLineOut(BaseModel):
    id: UUID
    amount: Decimal
    method: str
    reference: str
    received_at: datetime
    reversed: Decimal


class InstalmentOut(BaseModel):
    due_on: date
    amount: Decimal


class DonorPledgeOut(BaseModel):
    id: UUID
    fund_id: UUID
    fund_name: str
    kind: str
    amount: Decimal
    paid: Decimal
    outstanding: Decimal
    status: str
    made_at: datetime
    campaign_id: str | None
    description: str | None
    quantity: int | None
    received_quantity: int
    received_value: Decimal
    instalments: list[InstalmentOut]
    payments: list[PaymentLineOut]


class DonorConsentOut(BaseModel):
    purpose: str
    source: str
    given_at: datetime
    expires_at: datetime | None
    valid_now: bool
    recorded_by: str


@router.get("/donors")
def search_donors(
    donations: Donations, access: CurrentAccess,
    q: Annotated[str, Query(max_length=1000, description="a name (all its words), phone, e-mail, tax code")] = "",
    by: Annotated[str, Query(max_length=20, description="name, phone, email or tax_code")] = "name",
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
) -> DonorSearchOut:
    """Find donors by name, phone, e-mail or tax code (never an erased one); each donor listed is a read of their
    name in the access trail."""
    found = donor_index.search(donations, by, q, access, limit)
    return DonorSearchOut(by=found.by, total=found.total, donors=[
        FoundDonorOut(id=d.id, kind=d.kind, name=d.name) for d in found.donors])


@router.get("/donors/{donor_id}/record")
def donor_record(donor_id: UUID, donations: Donations, access: CurrentAccess) -> DonorRecordOut:
    """A donor's kind and personal details from the vault (every field: one read in the access trail)."""
    view = donations.donor(donor_id, access)
    return DonorRecordOut(id=view.id, kind=view.kind, erased=view.erased, **{
        k: view.details.get(k) for k in ("name", "email", "phone", "tax_code")})


@router.get("/donors/{donor_id}/pledges")
def donor_pledges(
    donor_id: UUID, donations: Donations,
    on: Annotated[Day | None, Query(description="statuses as of this date (default today)")] = None,
) -> list[DonorPledgeOut]:
    """A donor's pledges, newest first, with their status, payments and reversals and goods received."""
    today = on or donations.clock.now().astimezone(ROME).date()
    return [DonorPledgeOut(
        id=p.id, fund_id=p.fund_id, fund_name=p.fund_name, kind=p.kind, amount=p.amount, paid=p.paid,
        outstanding=p.outstanding, status=p.status, made_at=p.made_at, campaign_id=p.campaign_id,
        description=p.description, quantity=p.quantity, received_quantity=p.received_quantity,
        received_value=p.received_value,
        instalments=[InstalmentOut(due_on=d, amount=a) for d, a in p.instalments],
        payments=[PaymentLineOut(id=x.id, amount=x.amount, method=x.method, reference=x.reference,
                                 received_at=x.received_at, reversed=x.reversed) for x in p.payments],
    ) for p in donor_index.donor_pledges(donations, donor_id, today)]


@router.get("/donors/{donor_id}/consents")
def donor_consents(donor_id: UUID, donations: Donations) -> list[DonorConsentOut]:
    """A donor's consents per channel (purpose), oldest first, each saying whether it holds now."""
    now = donations.clock.now()
    return [DonorConsentOut(purpose=c.purpose, source=c.source, given_at=c.given_at, expires_at=c.expires_at,
                            valid_now=c.valid_at(now), recorded_by=c.recorded_by)
            for c in donor_index.consents(donations, donor_id)]
