"""Joining routes: the public sign-up form's application, and the coordinator's approval (with an invitation to the
console) or decline. The public route is guarded by a per-address rate limit, a small body limit and a honeypot."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, ConfigDict, EmailStr, Field
from starlette.concurrency import run_in_threadpool

from services.calls import joining
from services.calls.api.dependency import Calls
from services.calls.domain.joining import (
    APPLICATIONS_PER_ADDRESS,
    CONSENT_VERSION,
    AlreadyDecided,
    TooManyApplications,
)
from services.identity.api import client_address
from services.identity.auth import CurrentUser, IdentityStore
from services.kernel.errors import InvalidInput
from services.kernel.idempotency import Once

router = APIRouter(tags=["applications"])

# The limit per address is kept in the store (calls.joining, domain.joining): every process sees it, a restart
# keeps it. Re-exported here for the API's readers.
__all__ = ["APPLICATIONS_PER_ADDRESS", "TooManyApplications"]
MAX_BODY = 8 * 1024  # the form's longest honest answer is far below this


class ApplicationTooLarge(InvalidInput):
    status_code = 413


async def _admitted(request: Request, calls: Calls, identity: IdentityStore) -> str:
    """The client address, once it may still apply this hour (else 429 with Retry-After, before the body is
    read) and the body is no larger than the form can send (else 413)."""
    peer = request.client.host if request.client else None
    address = client_address(peer, request.headers.getlist("x-forwarded-for"), identity.limits.trusted_proxies)
    await run_in_threadpool(joining.check_sender, calls, address)
    if len(await request.body()) > MAX_BODY:
        raise ApplicationTooLarge(f"the application is too large: at most {MAX_BODY} bytes are accepted")
    return address


Admitted = Annotated[str, Depends(_admitted)]


class NewApplication(BaseModel):
    model_config = ConfigDict(extra="forbid")
    full_name: str = Field(min_length=2, max_length=120)
    email: EmailStr = Field(max_length=254)
    phone: str = Field(min_length=6, max_length=30, pattern=r"^\+?[0-9 ()./-]+$")
    municipality: str = Field(min_length=2, max_length=80)
    roles: list[str] = Field(min_length=1, max_length=2, description="helpline and/or outreach")
    availability: list[str] = Field(min_length=1, max_length=28, description="e.g. mon-morning, sat-evening")
    consent: bool = Field(description="the applicant agreed to the processing of their personal data")
    consent_version: str = Field(max_length=40, description="the version of the consent text they read")
    website: str = Field(default="", max_length=200, description="leave empty (a field people never see)")


class ApplicationOut(BaseModel):
    id: UUID
    status: str


class Decline(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: str = Field(min_length=1, max_length=500)


class InvitationOut(BaseModel):
    link: str = Field(description="the one-time link that sets the password; hand it to the volunteer")
    expires_at: datetime


class ApprovalOut(BaseModel):
    application_id: UUID
    volunteer_id: UUID
    invitation: InvitationOut


@router.post("/applications", status_code=201)
def apply(body: NewApplication, address: Admitted, calls: Calls, once: Once) -> ApplicationOut:
    """Apply to volunteer (public): contacts, town, roles wanted, weekly availability and consent."""
    if body.website:
        raise InvalidInput("this form was not filled in by a person; nothing was stored")
    if not body.consent:
        raise InvalidInput("consent: the application needs your consent to the processing of your personal data")
    if body.consent_version != CONSENT_VERSION:
        raise InvalidInput(f"consent_version: the consent text is now {CONSENT_VERSION}; reload the form and read it")
    applicant = joining.Applicant(body.full_name.strip(), str(body.email), body.phone.strip())
    application_id = joining.submit_application(calls, applicant, body.municipality, body.roles, body.availability,
                                                body.consent_version, by=joining.APPLICANT, sender=address,
                                                once=once)
    return ApplicationOut(id=application_id, status="pending")


@router.post("/applications/{application_id}/approve")
def approve(application_id: UUID, coordinator: CurrentUser, calls: Calls, identity: IdentityStore,
            once: Once) -> ApprovalOut:
    """Approve: the applicant becomes a volunteer and gets a one-time link to set their console password.

    Two stores, two saves (the volunteer in calls, the invitation in identity): approving again an approved
    application whose volunteer has no account yet issues a new link (an earlier one stops working)."""
    approval = joining.approve_application(calls, application_id, by=coordinator, once=once)
    if approval.again and identity.invitation_state(approval.volunteer_id)[0]:
        raise AlreadyDecided(f"application {application_id} is already approved and the volunteer has set their "
                             "password; they sign in with it")
    invitation = identity.invite(approval.email, approval.volunteer_id, coordinator)
    return ApprovalOut(application_id=application_id, volunteer_id=approval.volunteer_id,
                       invitation=InvitationOut(link=f"/console/welcome?token={invitation.token}",
                                                expires_at=invitation.expires_at))


@router.post("/applications/{application_id}/decline")
def decline(application_id: UUID, body: Decline, coordinator: CurrentUser, calls: Calls, once: Once) -> ApplicationOut:
    """Decline with a reason (kept in the privacy vault, not in events)."""
    joining.decline_application(calls, application_id, body.reason, by=coordinator, once=once)
    return ApplicationOut(id=application_id, status="declined")


class InvitationStateOut(BaseModel):
    account: bool = Field(description="the volunteer has set their password (their account exists)")
    expires_at: datetime | None = Field(description="when the newest unused link expires (None: no link)")


@router.get("/volunteers/{volunteer_id}/invitation")
def invitation_state(volunteer_id: UUID, calls: Calls, identity: IdentityStore) -> InvitationStateOut:
    """Whether the volunteer has set their console password, and until when their newest link works."""
    calls.volunteer(volunteer_id)  # 404 for a volunteer that does not exist
    account, expires_at = identity.invitation_state(volunteer_id)
    return InvitationStateOut(account=account, expires_at=expires_at)


@router.post("/volunteers/{volunteer_id}/invitation", status_code=201)
def reinvite(volunteer_id: UUID, coordinator: CurrentUser, calls: Calls, identity: IdentityStore) -> InvitationOut:
    """A new one-time link for a volunteer who has not set their password yet; the previous link stops working.
    It is written in the identity store only (no event): a retry issues one more link, the last one counts."""
    if identity.invitation_state(volunteer_id)[0]:
        raise AlreadyDecided("this volunteer has already set their password; they sign in with it")
    email = joining.invitation_address(calls, volunteer_id, by=coordinator)
    invitation = identity.invite(email, volunteer_id, coordinator)
    return InvitationOut(link=f"/console/welcome?token={invitation.token}", expires_at=invitation.expires_at)
