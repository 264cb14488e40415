"""Shift routes: schedule slots, sign up and cancel (times shown in Europe/Rome)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict, Field

from services.calls.api.dependency import ROME, Calls
from services.calls.domain.rota import DEFAULT_ZONE, DailySlot, Pattern, every_hours, zone_of
from services.calls.domain.shift import InvalidShift
from services.calls.views import ShiftView
from services.calls.week import MAX_COVERAGE_DAYS, SlotView
from services.identity.auth import CurrentUser
from services.kernel.clock import AwareInstant, Day
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
    cancelled: bool = False


class SlotIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    start: str = Field(description="wall-clock time HH:MM, e.g. 10:00", examples=["10:00"])
    end: str = Field(description="HH:MM; at or before `start` means the next day (20:00-00:00)", examples=["14:00"])


class PatternRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    starts_on: Day = Field(description="the first day the pattern may place a slot on")
    weeks: int = Field(ge=1, le=104, description="how many weeks from `starts_on`")
    weekdays: list[int] = Field(min_length=1, max_length=7, description="ISO weekdays: 1 = Monday … 7 = Sunday")
    slots: list[SlotIn] | None = Field(default=None, max_length=48, description="daily slots; or `every_hours`")
    every_hours: int | None = Field(default=None, ge=1, le=24,
                                    description="instead of `slots`: the whole day in slots of this many hours")
    role: str = Field(default="helpline", description="helpline, outreach or coordinator")
    capacity: int = Field(default=1, ge=1, le=500, description="volunteers needed in each slot")
    time_zone: str = Field(default=DEFAULT_ZONE, description="the zone the slots' times are in")


class PatternOut(BaseModel):
    scheduled: int
    first_starts_at: datetime
    last_ends_at: datetime
    shift_ids: list[UUID]


class CancelRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: str = Field(default="", max_length=500)


class EditRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    starts_at: AwareInstant
    ends_at: AwareInstant
    capacity: int = Field(ge=1, le=500)


class ShiftsPage(BaseModel):
    shifts: list[ShiftOut]
    next_offset: int | None  # pass as `offset` for the next page; null on the last one


class GapOut(BaseModel):
    starts_at: datetime
    ends_at: datetime
    role: str
    needed: int
    signed_up: int
    missing: int


class CoverageOut(BaseModel):
    starts_at: datetime
    days: int
    gaps: list[GapOut]


@router.get("/shifts")
def list_shifts(calls: Calls, start: Annotated[AwareInstant, Query(alias="from")],
                end: Annotated[AwareInstant, Query(alias="to")],
                role: Annotated[str | None, Query(description="helpline, outreach or coordinator")] = None,
                volunteer_id: Annotated[UUID | None, Query(description="only the shifts this volunteer holds")] = None,
                offset: Annotated[int, Query(ge=0, le=100_000)] = 0,
                limit: Annotated[int, Query(ge=1, le=1000)] = 500) -> ShiftsPage:
    """Live (not cancelled) shifts overlapping [from, to), by start, a page at a time."""
    found = calls.shifts(start, end, role, volunteer_id, offset, limit + 1)
    return ShiftsPage(shifts=[slot_out(s) for s in found[:limit]],
                      next_offset=offset + limit if len(found) > limit else None)


@router.get("/shifts/coverage")
def coverage(calls: Calls, start: Annotated[AwareInstant | None, Query(alias="from")] = None,
             days: Annotated[int, Query(ge=1, le=MAX_COVERAGE_DAYS)] = 14,
             role: Annotated[str | None, Query(description="helpline, outreach or coordinator")] = None) -> CoverageOut:
    """Every hour from `from` (or now) for `days` days whose signed-up headcount is below the capacity needed."""
    begin = start or calls.clock.now()
    gaps = calls.coverage(begin, days, role)
    return CoverageOut(starts_at=begin.astimezone(ROME), days=days, gaps=[
        GapOut(starts_at=g.starts_at.astimezone(ROME), ends_at=(g.starts_at + _HOUR).astimezone(ROME),
               role=g.role.value, needed=g.needed, signed_up=g.signed_up, missing=g.needed - g.signed_up)
        for g in gaps])


@router.post("/shifts/patterns", status_code=201)
def schedule_pattern(body: PatternRequest, calls: Calls, once: Once) -> PatternOut:
    """A repeating pattern of slots, all or none: refused (422) with a slot in the past, daily slots overlapping
    each other or more than 2,000 slots (MAX_PATTERN_SLOTS); (409) a slot overlapping one of the same role."""
    if (body.slots is None) == (body.every_hours is None):
        raise InvalidShift("give either `slots` (e.g. [{\"start\": \"10:00\", \"end\": \"14:00\"}]) or "
                           "`every_hours` (e.g. 4 for a 24/7 line in 4-hour slots)")
    daily = (every_hours(body.every_hours) if body.every_hours is not None
             else [DailySlot.parse(s.start, s.end) for s in body.slots or []])
    pattern = Pattern(body.starts_on, body.weeks, tuple(body.weekdays), tuple(daily), zone_of(body.time_zone))
    ids = calls.schedule_pattern(pattern, body.role, body.capacity, once=once)
    first, last = calls.shift(ids[0]), calls.shift(ids[-1])
    return PatternOut(scheduled=len(ids), first_starts_at=first.starts_at.astimezone(ROME),
                      last_ends_at=last.ends_at.astimezone(ROME), shift_ids=ids)


@router.post("/shifts/{shift_id}/cancel")
def cancel_shift(shift_id: UUID, body: CancelRequest, calls: Calls, user: CurrentUser, once: Once) -> ShiftOut:
    """Cancel a future shift (an event: the volunteers signed up stay on record, their slots are freed)."""
    calls.cancel_shift(shift_id, body.reason, by=user, once=once)
    return shift_out(calls.shift(shift_id))


@router.post("/shifts/{shift_id}/edit")
def edit_shift(shift_id: UUID, body: EditRequest, calls: Calls, user: CurrentUser, once: Once) -> ShiftOut:
    """Move a future shift or change its capacity (not below those signed up; each must be free at the new times)."""
    calls.edit_shift(shift_id, body.starts_at, body.ends_at, body.capacity, by=user, once=once)
    return shift_out(calls.shift(shift_id))


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
                    role=view.role.value, capacity=view.capacity, volunteers=list(view.volunteers),
                    cancelled=view.cancelled)


def slot_out(view: SlotView) -> ShiftOut:
    return ShiftOut(id=view.id, starts_at=view.starts_at.astimezone(ROME), ends_at=view.ends_at.astimezone(ROME),
                    role=view.role.value, capacity=view.capacity, volunteers=list(view.volunteers))


_HOUR = timedelta(hours=1)
