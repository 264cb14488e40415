"""Regular giving's HTTP routes: a donor's standing commitments; they translate requests to use cases."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, ConfigDict, Field

from services.donations.application import CommitmentView, DonationsApplication
from services.kernel.clock import Day
from services.kernel.idempotency import Once

router = APIRouter(tags=["regular giving"])


async def _donations(request: Request) -> DonationsApplication:
    application: DonationsApplication = request.app.state.applications["donations"]
    return application


Donations = Annotated[DonationsApplication, Depends(_donations)]


class Command(BaseModel):
    model_config = ConfigDict(extra="forbid")


class CommitmentIn(Command):
    donor_id: UUID
    fund_id: UUID
    amount: Decimal = Field(description="euro per period, at most 2 decimals")
    frequency: str = Field(description="monthly, quarterly or yearly", max_length=20)
    day: int = Field(description="day of the month the gift is due, 1 to 28")
    start: Day
    end: Day | None = None
    method: str = Field(default="sepa", description="sepa, card, bank_transfer or paypal", max_length=20)
    mandate_reference: str | None = Field(default=None, max_length=35,
                                          description="SEPA mandate id (or card/PayPal subscription id)")
    mandate_signed_on: Day | None = Field(default=None, description="the day the SEPA mandate was signed")


class ChangeIn(Command):
    amount: Decimal
    effective_from: Day = Field(alias="from", description="the first day the new amount applies")


class EndIn(Command):
    reason: str = Field(min_length=1, max_length=500)


class PeriodOut(BaseModel):
    number: int
    due_on: date
    amount: Decimal
    state: str = Field(description="paid, missed, open (its window is running) or upcoming")
    payment_id: UUID | None
    pledge_id: UUID | None
    paid: Decimal | None
    received_on: date | None


class GiftOut(BaseModel):
    payment_id: UUID
    pledge_id: UUID
    amount: Decimal
    received_on: date


class AmountOut(BaseModel):
    effective_from: date
    amount: Decimal


class CommitmentOut(BaseModel):
    id: UUID
    donor_id: UUID
    fund_id: UUID
    amount: Decimal
    frequency: str
    day: int
    start: date
    end: date | None
    method: str
    mandate_reference: str | None
    mandate_signed_on: date | None
    status: str = Field(description="active, paused, lapsed or ended")
    ended_on: date | None
    end_reason: str | None
    amounts: list[AmountOut]
    schedule: list[PeriodOut] = Field(description="expected periods from the start to twelve months ahead")
    extra_gifts: list[GiftOut] = Field(description="gifts with the mandate reference beyond the expected periods")
    version: int


@router.post("/commitments", status_code=201)
def set_up_commitment(body: CommitmentIn, donations: Donations, once: Once) -> CommitmentOut:
    """Set up a donor's regular gift; a mandate reference held by another donor's commitment is refused."""
    commitment_id = donations.set_up_commitment(
        body.donor_id, body.fund_id, body.amount, body.frequency, body.day, body.start, body.end, body.method,
        body.mandate_reference, body.mandate_signed_on, once=once)
    return commitment_out(donations.commitment(commitment_id))


@router.get("/commitments/{commitment_id}")
def get_commitment(commitment_id: UUID, donations: Donations) -> CommitmentOut:
    """A commitment with its schedule: each expected period paid (by which payment), missed, open or upcoming."""
    return commitment_out(donations.commitment(commitment_id))


@router.get("/donors/{donor_id}/commitments")
def donor_commitments(donor_id: UUID, donations: Donations) -> list[CommitmentOut]:
    """A donor's commitments, in the order they were set up."""
    return [commitment_out(view) for view in donations.donor_commitments(donor_id)]


@router.post("/commitments/{commitment_id}/pause")
def pause_commitment(commitment_id: UUID, donations: Donations, once: Once) -> CommitmentOut:
    """Pause an active commitment from today: no gift is expected until it is resumed."""
    donations.pause_commitment(commitment_id, once=once)
    return commitment_out(donations.commitment(commitment_id))


@router.post("/commitments/{commitment_id}/resume")
def resume_commitment(commitment_id: UUID, donations: Donations, once: Once) -> CommitmentOut:
    """Resume a paused or lapsed commitment from today."""
    donations.resume_commitment(commitment_id, once=once)
    return commitment_out(donations.commitment(commitment_id))


@router.post("/commitments/{commitment_id}/change")
def change_commitment(commitment_id: UUID, body: ChangeIn, donations: Donations, once: Once) -> CommitmentOut:
    """Change the amount (up or down) from a date on."""
    donations.change_commitment(commitment_id, body.amount, body.effective_from, once=once)
    return commitment_out(donations.commitment(commitment_id))


@router.post("/commitments/{commitment_id}/end")
def end_commitment(commitment_id: UUID, body: EndIn, donations: Donations, once: Once) -> CommitmentOut:
    """End a commitment today, with the reason."""
    donations.end_commitment(commitment_id, body.reason, once=once)
    return commitment_out(donations.commitment(commitment_id))


def commitment_out(view: CommitmentView) -> CommitmentOut:
    schedule = [PeriodOut(
        number=row.period.number, due_on=row.period.due_on, amount=row.period.amount, state=row.state,
        payment_id=row.gift.payment_id if row.gift else None, pledge_id=row.gift.pledge_id if row.gift else None,
        paid=row.gift.amount if row.gift else None, received_on=row.gift.received_on if row.gift else None,
    ) for row in view.schedule]
    extras = [GiftOut(payment_id=g.payment_id, pledge_id=g.pledge_id, amount=g.amount, received_on=g.received_on)
              for g in view.extras]
    return CommitmentOut(
        id=view.id, donor_id=view.donor_id, fund_id=view.fund_id, amount=view.amount, frequency=view.frequency,
        day=view.day, start=view.start, end=view.end, method=view.method, mandate_reference=view.mandate,
        mandate_signed_on=view.mandate_signed_on, status=view.status, ended_on=view.ended_on,
        end_reason=view.end_reason, amounts=[AmountOut(effective_from=d, amount=a) for d, a in view.amounts],
        schedule=schedule, extra_gifts=extras, version=view.version)
