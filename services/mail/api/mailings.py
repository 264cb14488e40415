"""Campaign mailing routes: create, list, progress, preview with a real contact, a test to yourself, send."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict, Field

from services.identity.auth import CurrentAccess
from services.kernel.errors import InvalidInput
from services.kernel.idempotency import Once
from services.mail import mailings
from services.mail.api.dependency import Mail
from services.mail.application import MailApplication

router = APIRouter(tags=["mail"])


class MailingIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    campaign_id: UUID
    template_id: UUID = Field(description="a published marketing template")
    name: str = Field(min_length=1, max_length=120, description="e.g. 'Natale 2026: the announcement'")


class Empty(BaseModel):
    model_config = ConfigDict(extra="forbid")


class RelayOut(BaseModel):
    waiting: bool
    since: datetime | None
    error: str


class CountsOut(BaseModel):
    audience: int = Field(description="the campaign's contacts when the last send queued them")
    excluded: dict[str, int] = Field(description="contacts not mailed, by reason: no_consent, unsubscribed, "
                                                 "on_hold (bounced), no_address, erased")
    queued: int
    accepted: int = Field(description="messages the relay accepted (some may have bounced since)")
    refused: int
    bounced: int
    skipped: int = Field(description="queued, then not sent: the person unsubscribed, lost their address, …")
    unsubscribed: int = Field(description="recipients who followed this mailing's unsubscribe link")
    pledged: int = Field(description="recipients who pledged in the campaign (on the phone or by e-mail reply)")


class MailingOut(BaseModel):
    id: UUID
    campaign_id: UUID
    campaign_name: str
    template_id: UUID
    template_name: str
    version: int | None
    name: str
    status: str = Field(description="draft, sending or sent")
    relay: RelayOut
    counts: CountsOut
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None


class PreviewOut(BaseModel):
    person_id: UUID
    subject: str
    text: str
    html: str
    fields: list[str]
    missing: list[str]


class TestOut(BaseModel):
    to: str
    status: str
    reason: str


def mailing_out(app: MailApplication, mailing_id: UUID) -> MailingOut:
    p = mailings.progress(app, mailing_id)
    m = p.mailing
    return MailingOut(id=m.id, campaign_id=m.campaign_id, campaign_name=p.campaign_name, template_id=m.template_id,
                      template_name=p.template_name, version=m.template_version, name=m.name, status=m.status,
                      relay=RelayOut(waiting=m.relay_waiting_since is not None, since=m.relay_waiting_since,
                                     error=m.relay_error),
                      counts=CountsOut(**p.counts), created_at=m.created_at, started_at=m.started_at,
                      finished_at=m.finished_at)


@router.post("/mail/mailings", status_code=201)
def create_mailing(body: MailingIn, mail: Mail, access: CurrentAccess, once: Once) -> MailingOut:
    """A campaign's e-mail step, with a published marketing template; nothing is sent until `send`."""
    mailing = mailings.create(mail, body.campaign_id, body.template_id, body.name, by=access.actor, once=once)
    return mailing_out(mail, mailing.id)


@router.get("/mail/mailings")
def list_mailings(mail: Mail, campaign_id: Annotated[UUID | None, Query()] = None) -> list[MailingOut]:
    """The mailings (of one campaign when given), newest first, each with its progress."""
    return [mailing_out(mail, m.id) for m in mailings.mailings(mail, campaign_id)]


@router.get("/mail/mailings/{mailing_id}")
def get_mailing(mailing_id: UUID, mail: Mail) -> MailingOut:
    """Where the mailing stands: queued, accepted, refused, bounced, unsubscribed, pledged; the relay waiting."""
    return mailing_out(mail, mailing_id)


@router.get("/mail/mailings/{mailing_id}/preview")
def preview_mailing(mailing_id: UUID, mail: Mail, access: CurrentAccess,
                    person_id: Annotated[UUID | None, Query(description="a contact of the campaign")] = None,
                    ) -> PreviewOut:
    """The message as one real contact would get it (each read of their data recorded with purpose e-mail); a
    merge field the contact lacks is a 422 naming it."""
    shown = mailings.preview(mail, mailing_id, person_id, access.actor)
    return PreviewOut(person_id=shown.person_id, subject=shown.rendered.subject, text=shown.rendered.text,
                      html=shown.rendered.html, fields=list(shown.fields), missing=list(shown.missing))


@router.post("/mail/mailings/{mailing_id}/test", status_code=202)
def test_mailing(mailing_id: UUID, body: Empty, mail: Mail, access: CurrentAccess, once: Once) -> TestOut:
    """The message as the first contact with an address gets it, sent to your own account's address."""
    to = _own_address(access.actor.name)
    state = mailings.test_send(mail, mailing_id, to, by=access.actor, once=once)
    return TestOut(to=to, status=state.status, reason=state.reason)


@router.post("/mail/mailings/{mailing_id}/send", status_code=202)
def send_mailing(mailing_id: UUID, body: Empty, mail: Mail, access: CurrentAccess, once: Once) -> MailingOut:
    """Send to every contact who agreed to e-mail and has not received it yet, at the configured pace; 409 while
    a send of this mailing runs."""
    mailings.start(mail, mailing_id, by=access.actor, once=once)
    return mailing_out(mail, mailing_id)


def _own_address(name: str) -> str:
    if "@" not in name:
        raise InvalidInput("a test is sent to the sender's own e-mail address; this account has none "
                           "(API keys cannot receive tests)")
    return name

