"""A person's e-mail routes: consent to marketing mail given and withdrawn, and where they stand (holds,
unsubscribes, the messages sent to them)."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from services.identity.auth import CurrentAccess
from services.kernel.idempotency import Once
from services.mail import people
from services.mail.api.dependency import Mail

router = APIRouter(tags=["mail"])


class ConsentIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    source: str = Field(min_length=3, max_length=200, description="where it was given, e.g. 'modulo web Natale'")
    text: str = Field(min_length=10, max_length=2000, description="the words the person agreed to, as shown")


class WithdrawalIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    source: str = Field(min_length=3, max_length=200, description="how it was withdrawn, e.g. 'phone call'")


class ChoiceOut(BaseModel):
    kind: str
    at: datetime
    source: str
    recorded_by: str
    text: str


class SentOut(BaseModel):
    delivery_id: UUID
    list_id: str
    mailing_id: str
    kind: str
    status: str
    reason: str
    accepted_at: datetime | None
    unsubscribed: bool


class MailStateOut(BaseModel):
    person_id: UUID
    marketing_consent_at: datetime | None
    unsubscribed_at: datetime | None
    on_hold: bool
    hold_reason: str
    bounces: int
    choices: list[ChoiceOut]
    history: list[SentOut]


def state_out(state: people.MailState) -> MailStateOut:
    return MailStateOut(
        person_id=state.person_id, marketing_consent_at=state.consent_at, unsubscribed_at=state.unsubscribed_at,
        on_hold=state.on_hold, hold_reason=state.hold_reason, bounces=state.bounces,
        choices=[ChoiceOut(kind=c.kind, at=c.at, source=c.source, recorded_by=c.recorded_by, text=c.text)
                 for c in state.choices],
        history=[SentOut(delivery_id=s.delivery_id, list_id=s.list_id, mailing_id=s.mailing, kind=s.kind,
                         status=s.status, reason=s.reason, accepted_at=s.accepted_at, unsubscribed=s.unsubscribed)
                 for s in state.history])


@router.get("/mail/people/{person_id}")
def get_person(person_id: UUID, mail: Mail) -> MailStateOut:
    """A person's e-mail: marketing consent, unsubscribe, hold after bounces, and the last 100 messages."""
    return state_out(people.person(mail, person_id))


@router.post("/mail/people/{person_id}/consent", status_code=201)
def give_consent(person_id: UUID, body: ConsentIn, mail: Mail, access: CurrentAccess, once: Once) -> MailStateOut:
    """Record consent to marketing e-mail (appeals, new initiatives): where, the words shown, now."""
    return state_out(people.consent(mail, person_id, body.source, body.text, by=access.actor, once=once))


@router.post("/mail/people/{person_id}/consent/withdrawal")
def withdraw_consent(person_id: UUID, body: WithdrawalIn, mail: Mail, access: CurrentAccess,
                     once: Once) -> MailStateOut:
    """No more marketing e-mail; 409 when there was no consent."""
    return state_out(people.withdraw(mail, person_id, body.source, by=access.actor, once=once))
