"""Call routes: start, connect, end with a disposition, protocol answers and redirects."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal
from uuid import UUID

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict, Field

from services.calls.api.dependency import ROME, Calls, rome
from services.calls.application import CallsApplication
from services.calls.domain.call_log import MAX_PAGE
from services.calls.views import CallView
from services.identity.auth import CurrentAccess
from services.identity.domain import Access
from services.kernel.clock import AwareInstant
from services.kernel.idempotency import Once

router = APIRouter(tags=["calls"])


class CallRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    volunteer_id: UUID
    direction: Literal["inbound", "outbound"]
    campaign_id: UUID | None = None
    contact_id: UUID | None = None
    caller_number: str | None = Field(default=None, min_length=3, max_length=30,
                                      description="an inbound call's caller number (kept in the privacy vault)")


class CallEnd(BaseModel):
    model_config = ConfigDict(extra="forbid")
    disposition: str = Field(description="answered, no_answer, busy, voicemail, wrong_number, callback_requested, "
                                         "pledged, not_interested, do_not_call or abandoned")
    notes: str | None = Field(default=None, max_length=4000)
    callback_at: AwareInstant | None = None


class Answers(BaseModel):
    model_config = ConfigDict(extra="forbid")
    protocol_id: UUID
    version: int = Field(ge=1, le=1_000_000)
    answers: dict[str, str] = Field(min_length=1, max_length=100)


class Redirect(BaseModel):
    model_config = ConfigDict(extra="forbid")
    step: str = Field(min_length=1, max_length=40)
    istat_code: str = Field(pattern=r"^\d{6}$", description="the caller's municipality")


class CallOut(BaseModel):
    id: UUID
    volunteer_id: str
    direction: str
    campaign_id: str | None
    contact_id: str | None
    shift_id: str | None
    started_at: datetime
    connected_at: datetime | None
    ended_at: datetime | None
    disposition: str | None
    protocol_id: str | None
    protocol_version: int | None
    answers: dict[str, str]
    redirects: list[dict[str, str]]
    notes: str | None
    caller_number: str | None = Field(default=None, description="an inbound call's caller number, from the vault")
    caller_area: str | None = Field(default=None, description="the place an Italian landline's prefix names "
                                                              "(e.g. Milano); null for mobiles and unknown numbers")
    timing: str = Field(default="self_reported", description="network: the times came from the provider or the "
                        "SIP proxy; self_reported: the volunteer dialled from their own phone and pressed the buttons")
    hung_up_at: datetime | None = Field(default=None, description="network-timed calls: when the line closed")
    talk_seconds: int | None = Field(default=None, description="from the answer to the line closing (network) or "
                                                               "to the end (self-reported); null while talking")


class CallSummary(BaseModel):
    id: UUID
    volunteer_id: str
    direction: str
    started_at: datetime
    connected_at: datetime | None
    ended_at: datetime | None
    disposition: str | None
    protocol_id: str | None
    protocol_version: int | None
    redirects: int


class CallPage(BaseModel):
    calls: list[CallSummary]
    total: int = Field(description="calls matching the filters, on every page")
    offset: int
    limit: int
    next_offset: int | None = Field(description="the offset of the next page; null on the last one")


Kind = Literal["inbound", "outbound"]


@router.get("/calls")
def list_calls(
    calls: Calls, access: CurrentAccess,
    volunteer_id: Annotated[UUID | None, Query(description="required unless you are that volunteer")] = None,
    kind: Annotated[Kind | None, Query(description="inbound (helpline) or outbound (campaign)")] = None,
    start: Annotated[AwareInstant | None, Query(alias="from", description="started at or after; 31 days "
                                                                          "before `to` when omitted")] = None,
    end: Annotated[AwareInstant | None, Query(alias="to", description="started before; now when omitted")] = None,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 20,
) -> CallPage:
    """One volunteer's calls, newest first, by kind and period (at most 366 days), a page at a time; a volunteer
    sees only their own calls."""
    found, total = calls.calls(volunteer_id, kind, start, end, offset, limit, by=access.actor)
    following = offset + len(found)
    return CallPage(calls=[call_summary(v) for v in found], total=total, offset=offset, limit=limit,
                    next_offset=following if following < total else None)


@router.get("/volunteers/{volunteer_id}/open-call")
def open_call(volunteer_id: UUID, calls: Calls, access: CurrentAccess,
              kind: Annotated[Kind | None, Query(description="inbound or outbound; either when omitted")] = None,
              ) -> CallOut | None:
    """The volunteer's latest call still open (null when none): what a screen resumes after a reload."""
    view = calls.open_call(volunteer_id, kind, access)
    return None if view is None else call_value(view)


@router.post("/calls", status_code=201)
def start_call(body: CallRequest, calls: Calls, access: CurrentAccess, once: Once) -> CallOut:
    """Start a call; the volunteer must be clocked in."""
    call_id = calls.start_call(body.volunteer_id, body.direction, body.campaign_id, body.contact_id,
                               caller_number=body.caller_number, once=once)
    return call_out(calls, call_id, access)


@router.get("/calls/{call_id}")
def get_call(call_id: UUID, calls: Calls, access: CurrentAccess) -> CallOut:
    """One call with its outcome, protocol answers and redirects."""
    return call_out(calls, call_id, access)


@router.post("/calls/{call_id}/connect")
def connect_call(call_id: UUID, calls: Calls, access: CurrentAccess, once: Once) -> CallOut:
    """The other side picked up: talk time starts now."""
    calls.connect_call(call_id, by=access.actor, once=once)
    return call_out(calls, call_id, access)


@router.post("/calls/{call_id}/end")
def end_call(call_id: UUID, body: CallEnd, calls: Calls, access: CurrentAccess, once: Once) -> CallOut:
    """End the call with its disposition; a call ends only once."""
    calls.end_call(call_id, body.disposition, body.notes, body.callback_at, by=access.actor, once=once)
    return call_out(calls, call_id, access)


@router.post("/calls/{call_id}/answers")
def record_answers(call_id: UUID, body: Answers, calls: Calls, access: CurrentAccess, once: Once) -> CallOut:
    """Record answers to steps of the protocol version the call follows."""
    calls.record_answers(call_id, body.protocol_id, body.version, body.answers, by=access.actor, once=once)
    return call_out(calls, call_id, access)


@router.post("/calls/{call_id}/redirect")
def redirect_call(call_id: UUID, body: Redirect, calls: Calls, access: CurrentAccess, once: Once) -> CallOut:
    """Redirect the caller as the protocol step says, to the directory's number for their municipality."""
    calls.redirect_call(call_id, body.step, body.istat_code, by=access.actor, once=once)
    return call_out(calls, call_id, access)


def call_out(calls: CallsApplication, call_id: UUID, access: Access) -> CallOut:
    return call_value(calls.call(call_id, access))


def call_summary(v: CallView) -> CallSummary:
    return CallSummary(
        id=v.id, volunteer_id=v.volunteer_id, direction=v.direction, started_at=v.started_at.astimezone(ROME),
        connected_at=rome(v.connected_at), ended_at=rome(v.ended_at), disposition=v.disposition,
        protocol_id=v.protocol[0] if v.protocol else None, protocol_version=v.protocol[1] if v.protocol else None,
        redirects=len(v.redirects),
    )


def call_value(v: CallView) -> CallOut:
    return CallOut(
        id=v.id, volunteer_id=v.volunteer_id, direction=v.direction, campaign_id=v.campaign_id,
        contact_id=v.contact_id, shift_id=v.shift_id, started_at=v.started_at.astimezone(ROME),
        connected_at=rome(v.connected_at), ended_at=rome(v.ended_at), disposition=v.disposition,
        protocol_id=v.protocol[0] if v.protocol else None, protocol_version=v.protocol[1] if v.protocol else None,
        answers=v.answers, redirects=list(v.redirects), notes=v.notes, caller_number=v.caller_number,
        caller_area=v.caller_area, timing=v.timing, hung_up_at=rome(v.hung_up_at),
        talk_seconds=v.talk_seconds,
    )
