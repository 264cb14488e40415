"""A donor's campaign contacts route, for the donor's page; it translates the request to the query."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from fastapi import APIRouter
from pydantic import BaseModel, Field

from services.campaigns import donor_contacts
from services.campaigns.api.dependency import Campaigns
from services.identity.auth import CurrentAccess

router = APIRouter(tags=["campaigns"])


class AttemptOut(BaseModel):
    at: datetime
    volunteer_id: str
    disposition: str = Field(description="the call's outcome, as the calls service ended it")
    talk_seconds: int
    notes: str | None = Field(description="the volunteer's notes of the call, from the vault (a read in the trail)")


class DonorContactOut(BaseModel):
    contact_id: UUID
    campaign_id: UUID
    campaign_name: str
    added_at: datetime
    state: str = Field(description="open (to be called, or called again), or why it closed: pledged, "
                                   "not_interested, do_not_call, max_attempts…")
    attempts: list[AttemptOut] = Field(description="each call's outcome, oldest first")


class DonorContactsOut(BaseModel):
    erased: bool = Field(description="the donor was erased: their number, and so their contacts, are gone")
    contacts: list[DonorContactOut]
    person_id: UUID | None = Field(None, description="the id campaigns know the donor's number by, when a campaign "
                                                     "holds a contact of it: their e-mail as a contact is under it")


@router.get("/donors/{donor_id}/contacts")
def donor_campaign_contacts(donor_id: UUID, campaigns: Campaigns, access: CurrentAccess) -> DonorContactsOut:
    """Every campaign contact with this donor and each call's outcome, newest first (reads the donor's number from
    the vault: one access in the trail)."""
    found = donor_contacts.of_donor(campaigns, donor_id, access)
    return DonorContactsOut(erased=found.erased, person_id=found.person_id, contacts=[DonorContactOut(
        contact_id=c.contact_id, campaign_id=c.campaign_id, campaign_name=c.campaign_name, added_at=c.added_at,
        state=c.state, attempts=[AttemptOut(at=a.at, volunteer_id=a.volunteer_id, disposition=a.disposition,
                                            talk_seconds=a.talk_seconds, notes=a.notes) for a in c.attempts],
    ) for c in found.contacts])
