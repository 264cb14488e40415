"""Shift routes: schedule slots, sign up and cancel (times shown in Europe/Rome)."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from services.calls.api.dependency import ROME, Calls
from services.calls.application import ShiftView
from services.kernel.clock import AwareInstant
from services.kernel.idempotency import Once

router = APIRouter(tags=["shifts"])


class ShiftRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    starts_at: AwareInstant
    ends_at: AwareInstant
    role: str = Field(default="helpline", description="helpline, outreach or coordinator")
    capacity: int = Field(default=1, ge=1, le=500)


class SignUp(BaseModel):
    model_config = ConfigDict(extra="forbid")
    volunteer_id: UUID


class ShiftOut(BaseModel):
    id: UUID
    starts_at: datetime
    ends_at: datetime
    role: str
    capacity: int
    volunteers: list[str]


@router.post("/shifts", status_code=201)
def schedule_shift(body: ShiftRequest, calls: Calls, once: Once) -> ShiftOut:
    """Schedule a slot for volunteers of one role."""
    shift_id = calls.schedule_shift(body.starts_at, body.ends_at, body.role, body.capacity, once=once)
    return shift_out(calls.shift(shift_id))


@router.get("/shifts/{shift_id}")
def get_shift(shift_id: UUID, calls: Calls) -> ShiftOut:
    """One shift and who signed up."""
    return shift_out(calls.shift(shift_id))


@router.post("/shifts/{shift_id}/sign-ups")
def sign_up(shift_id: UUID, body: SignUp, calls: Calls, once: Once) -> ShiftOut:
    """Sign a volunteer up; refused if it overlaps a shift they already hold."""
    calls.sign_up(shift_id, body.volunteer_id, once=once)
    return shift_out(calls.shift(shift_id))


@router.post("/shifts/{shift_id}/sign-ups/{volunteer_id}/cancel")
def cancel_sign_up(shift_id: UUID, volunteer_id: UUID, calls: Calls, once: Once) -> ShiftOut:
    """Cancel a sign-up before the shift starts."""
    calls.cancel_sign_up(shift_id, volunteer_id, once=once)
    return shift_out(calls.shift(shift_id))


def shift_out(view: ShiftView) -> ShiftOut:
    return ShiftOut(id=view.id, starts_at=view.starts_at.astimezone(ROME), ends_at=view.ends_at.astimezone(ROME),
                    role=view.role.value, capacity=view.capacity, volunteers=list(view.volunteers))
