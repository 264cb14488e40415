"""Volunteer routes: registration, training, status, clock-in and clock-out."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from uuid import UUID

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, EmailStr, Field

from services.calls.api.dependency import Calls, rome
from services.calls.application import CallsApplication
from services.calls.views import PresenceView
from services.kernel.clock import AwareInstant, Day
from services.kernel.idempotency import Once

router = APIRouter(tags=["volunteers"])


class Registration(BaseModel):
    model_config = ConfigDict(extra="forbid")
    full_name: str = Field(min_length=1, max_length=200)
    phone: str = Field(min_length=3, max_length=40)
    email: EmailStr
    roles: list[str] = Field(min_length=1, max_length=3)


class Training(BaseModel):
    model_config = ConfigDict(extra="forbid")
    session: str = Field(min_length=1, max_length=200)
    hours: Decimal = Field(gt=0, max_digits=6, decimal_places=2)
    trained_on: Day


class StatusChange(BaseModel):
    model_config = ConfigDict(extra="forbid")
    status: str = Field(description="active, paused or left")


class ClockOutCorrection(BaseModel):
    model_config = ConfigDict(extra="forbid")
    at: AwareInstant = Field(description="when the volunteer really stopped")
    coordinator_id: UUID


class VolunteerOut(BaseModel):
    id: UUID
    roles: list[str]
    status: str
    training_hours: Decimal
    version: int


class PresenceOut(BaseModel):
    volunteer_id: UUID
    clocked_in: bool
    clocked_in_at: datetime | None
    shift_id: str | None
    shifts: list[str]


@router.post("/volunteers", status_code=201)
def register_volunteer(body: Registration, calls: Calls, once: Once) -> VolunteerOut:
    """Register a volunteer from the sign-up form."""
    volunteer_id = calls.register_volunteer(body.full_name, body.phone, str(body.email), body.roles, once=once)
    return volunteer_out(calls, volunteer_id)


@router.get("/volunteers/{volunteer_id}")
def get_volunteer(volunteer_id: UUID, calls: Calls) -> VolunteerOut:
    """One volunteer's roles, status and training hours."""
    return volunteer_out(calls, volunteer_id)


@router.post("/volunteers/{volunteer_id}/training")
def record_training(volunteer_id: UUID, body: Training, calls: Calls, once: Once) -> VolunteerOut:
    """Record a training session the volunteer attended, with its hours."""
    calls.record_training(volunteer_id, body.session, body.hours, body.trained_on, once=once)
    return volunteer_out(calls, volunteer_id)


@router.post("/volunteers/{volunteer_id}/status")
def change_status(volunteer_id: UUID, body: StatusChange, calls: Calls, once: Once) -> VolunteerOut:
    """Pause, resume or record that a volunteer left."""
    calls.change_status(volunteer_id, body.status, once=once)
    return volunteer_out(calls, volunteer_id)


@router.post("/volunteers/{volunteer_id}/clock-in")
def clock_in(volunteer_id: UUID, calls: Calls, once: Once) -> PresenceOut:
    """Clock in now; outside a signed-up shift it is allowed but flagged."""
    return presence_out(calls.clock_in(volunteer_id, once=once))


@router.post("/volunteers/{volunteer_id}/clock-out")
def clock_out(volunteer_id: UUID, calls: Calls, once: Once) -> PresenceOut:
    """Clock out now."""
    return presence_out(calls.clock_out(volunteer_id, once=once))


@router.post("/volunteers/{volunteer_id}/clock-out-corrections")
def correct_clock_out(volunteer_id: UUID, body: ClockOutCorrection, calls: Calls, once: Once) -> PresenceOut:
    """A coordinator closes a forgotten clock-out at the time the volunteer really stopped."""
    return presence_out(calls.correct_clock_out(volunteer_id, body.at, body.coordinator_id, once=once))


@router.get("/volunteers/{volunteer_id}/presence")
def get_presence(volunteer_id: UUID, calls: Calls) -> PresenceOut:
    """Whether the volunteer is clocked in, and the shifts they hold."""
    return presence_out(calls.presence(volunteer_id))


def volunteer_out(calls: CallsApplication, volunteer_id: UUID) -> VolunteerOut:
    view = calls.volunteer(volunteer_id)
    return VolunteerOut(id=view.id, roles=[str(r) for r in view.roles], status=view.status.value,
                        training_hours=view.training_hours, version=view.version)


def presence_out(view: PresenceView) -> PresenceOut:
    return PresenceOut(volunteer_id=view.volunteer_id, clocked_in=view.clocked_in_at is not None,
                       clocked_in_at=rome(view.clocked_in_at), shift_id=view.shift_id, shifts=list(view.shifts))
