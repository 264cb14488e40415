"""Calls HTTP routes: translate requests to use cases, nothing more."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, ConfigDict, EmailStr, Field

from services.calls.application import CallsApplication

router = APIRouter(tags=["volunteers"])


def _calls(request: Request) -> CallsApplication:
    application: CallsApplication = request.app.state.applications["calls"]
    return application


Calls = Annotated[CallsApplication, Depends(_calls)]


class Registration(BaseModel):
    model_config = ConfigDict(extra="forbid")
    full_name: str = Field(min_length=1, max_length=200)
    phone: str = Field(min_length=3, max_length=40)
    email: EmailStr
    roles: list[str] = Field(min_length=1, max_length=3)


class VolunteerOut(BaseModel):
    id: UUID
    roles: list[str]
    version: int


@router.post("/volunteers", status_code=201)
def register_volunteer(body: Registration, calls: Calls) -> VolunteerOut:
    """Register a volunteer from the sign-up form."""
    volunteer_id = calls.register_volunteer(body.full_name, body.phone, str(body.email), body.roles)
    return volunteer_out(calls, volunteer_id)


@router.get("/volunteers/{volunteer_id}")
def get_volunteer(volunteer_id: UUID, calls: Calls) -> VolunteerOut:
    """One volunteer's roles and version."""
    return volunteer_out(calls, volunteer_id)


def volunteer_out(calls: CallsApplication, volunteer_id: UUID) -> VolunteerOut:
    view = calls.volunteer(volunteer_id)
    return VolunteerOut(id=view.id, roles=[str(r) for r in view.roles], version=view.version)
