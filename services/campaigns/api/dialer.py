"""Dialer routes: the next contact for a volunteer (or why there is none), renewing and handing back a lease."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from services.campaigns import reasons
from services.campaigns.api.contacts import ReasonCountOut, ReasonOut, why_parts
from services.campaigns.api.dependency import CallsUnhandled, Campaigns
from services.campaigns.dialer.offer import Offer
from services.identity.auth import CurrentAccess
from services.kernel.idempotency import Once

router = APIRouter(tags=["campaigns"])


class VolunteerRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    volunteer_id: UUID


class HandBack(VolunteerRequest):
    reason: str = Field(default="", max_length=500)


class OfferOut(BaseModel):
    contact_id: UUID
    person_id: UUID
    kind: str
    attempts: int
    lease_id: str
    lease_until: datetime
    policy: str
    allowed_from: datetime
    allowed_until: datetime
    phone: str
    first_name: str
    last_name: str
    script: str
    script_version: int


class NextContactOut(BaseModel):
    offer: OfferOut | None
    why_none: str
    campaign_blocks: list[ReasonOut] = Field(default=[], description="with no offer: what stops every contact")
    reasons: list[ReasonCountOut] = Field(default=[], description="with no offer: the contacts counted by why they "
                                          "are not callable, with codes and parameters as in the eligibility answer")
    next_window: datetime | None = Field(default=None, description="with no offer: when the calling window opens")


def offer_out(offer: Offer) -> OfferOut:
    return OfferOut(contact_id=offer.contact_id, person_id=offer.person_id, kind=offer.kind, attempts=offer.attempts,
                    lease_id=offer.lease_id, lease_until=offer.lease_until, policy=offer.policy,
                    allowed_from=offer.allowed.start, allowed_until=offer.allowed.end, phone=offer.phone,
                    first_name=offer.first_name, last_name=offer.last_name, script=offer.script,
                    script_version=offer.script_version)


@router.post("/campaigns/{campaign_id}/dialer/next")
def next_contact(campaign_id: UUID, body: VolunteerRequest, app: Campaigns, calls: CallsUnhandled,
                 access: CurrentAccess, once: Once) -> NextContactOut:
    """Lease the best due contact to a clocked-in volunteer (callbacks, then retries, then fresh)."""
    offer = app.next_contact(campaign_id, body.volunteer_id, access, calls, once=once)
    if offer is not None:
        return NextContactOut(offer=offer_out(offer), why_none="")
    summary = reasons.summarise(app, campaign_id)
    return NextContactOut(offer=None, why_none=summary.sentence(), **why_parts(summary))


class LeaseOut(BaseModel):
    contact_id: UUID
    lease_until: datetime


@router.post("/campaigns/{campaign_id}/contacts/{contact_id}/lease/renew")
def renew_lease(campaign_id: UUID, contact_id: UUID, body: VolunteerRequest, app: Campaigns, once: Once) -> LeaseOut:
    """Extend the volunteer's lease on a contact."""
    return LeaseOut(contact_id=contact_id, lease_until=app.renew(contact_id, body.volunteer_id, once=once))


@router.post("/campaigns/{campaign_id}/contacts/{contact_id}/lease/release", status_code=204)
def hand_back(campaign_id: UUID, contact_id: UUID, body: HandBack, app: Campaigns, once: Once) -> None:
    """Hand a leased contact back to the queue without an attempt."""
    app.hand_back(contact_id, body.volunteer_id, body.reason, once=once)
