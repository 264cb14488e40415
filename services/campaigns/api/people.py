"""Suppression routes: opt-outs, renewed consents, a person's suppression state, the opposition register."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal
from uuid import UUID

from fastapi import APIRouter, File, Form, UploadFile
from pydantic import BaseModel, ConfigDict, Field, model_validator

from services.campaigns.api.contacts import ProblemOut
from services.campaigns.api.dependency import Campaigns
from services.campaigns.application import CampaignsApplication
from services.identity.auth import CurrentUser
from services.kernel.clock import AwareInstant, Day
from services.kernel.idempotency import Once

router = APIRouter(tags=["campaigns"])


class PersonRef(BaseModel):
    model_config = ConfigDict(extra="forbid")
    phone: str | None = Field(default=None, min_length=3, max_length=40)
    person_id: UUID | None = None
    source: str = Field(min_length=1, max_length=200)

    @model_validator(mode="after")
    def one_way_to_name_the_person(self) -> PersonRef:
        if (self.phone is None) == (self.person_id is None):
            raise ValueError("give exactly one of phone or person_id")
        return self


class Consent(PersonRef):
    given_by: str = Field(min_length=1, max_length=200)
    given_at: AwareInstant | None = None


class ChoiceOut(BaseModel):
    kind: Literal["opted_out", "consented"]
    at: datetime
    source: str = Field(description="how it came: the channel or document")
    given_by: str = Field(description="who expressed it, as recorded (empty for an opt-out said on a call)")
    recorded_by: str = Field(description="the account, key or volunteer that recorded it")
    contact_id: str = Field(description="the campaign contact whose call it came from, or empty")


class PersonOut(BaseModel):
    person_id: UUID
    suppressed: str
    opted_out_at: datetime | None
    consent_at: datetime | None
    register_listed_on: str | None
    choices: list[ChoiceOut] = Field(description="every opt-out and consent, oldest first; none is ever dropped")


def person_out(app: CampaignsApplication, person_id: UUID) -> PersonOut:
    p = app.person(person_id)
    return PersonOut(person_id=person_id, suppressed=p.suppression(), opted_out_at=p.opted_out_at,
                     consent_at=p.consent_at, register_listed_on=p.register_listed_on,
                     choices=[ChoiceOut.model_validate(c.record()) for c in p.choices])


def _person_id(app: CampaignsApplication, ref: PersonRef) -> UUID:
    return ref.person_id if ref.person_id is not None else app.person_id(ref.phone or "")


@router.post("/suppression/opt-outs", status_code=201, tags=["suppression"])
def opt_out(body: PersonRef, app: Campaigns, user: CurrentUser, once: Once) -> PersonOut:
    """Put a person on the do-not-call list at once, for every campaign."""
    person_id = _person_id(app, body)
    app.opt_out(person_id, body.source, recorded_by=user.label, once=once)
    return person_out(app, person_id)


@router.post("/suppression/consents", status_code=201, tags=["suppression"])
def reconsent(body: Consent, app: Campaigns, user: CurrentUser, once: Once) -> PersonOut:
    """Record a person's renewed consent (who gave it, when, from which source); earlier opt-outs stay on record."""
    person_id = _person_id(app, body)
    app.reconsent(person_id, body.given_by, body.source, body.given_at, recorded_by=user.label, once=once)
    return person_out(app, person_id)


@router.get("/suppression/persons/{person_id}", tags=["suppression"])
def get_person(person_id: UUID, app: Campaigns) -> PersonOut:
    """A person's suppression state."""
    return person_out(app, person_id)


class RegisterOut(BaseModel):
    checked_on: date
    listed: int
    cleared: int
    invalid: int
    problems: list[ProblemOut]


@router.post("/suppression/register", status_code=201, tags=["suppression"])
def import_register(file: Annotated[UploadFile, File()], checked_on: Annotated[Day, Form()],
                    app: Campaigns, once: Once) -> RegisterOut:
    """Import the national opposition register (one number per line, header 'phone') with its check date."""
    report = app.import_register(file.file, checked_on, once=once)
    return RegisterOut(checked_on=report.checked_on, listed=report.listed, cleared=report.cleared,
                       invalid=report.invalid, problems=[ProblemOut(line=p.line, reason=p.reason)
                                                         for p in report.problems])
