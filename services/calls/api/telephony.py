"""Telephony routes: the SIP proxy's questions (where an inbound call goes) and reports (each leg's facts), and what
the console reads (whether calls pass through the product, the legs ringing and connected now).

The proxy's routes are public to accounts: the proxy is no account. It proves itself with the shared secret of
ANGELI_TELEPHONY_SECRET in the X-Angeli-Telephony-Secret header, compared in constant time; without it, or with
another, the answer is 403 and nothing is read or stored (fail closed).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Literal
from uuid import UUID

from fastapi import APIRouter, Depends, Header, Response
from pydantic import BaseModel, ConfigDict, Field

from services.calls.api.dependency import Calls, rome
from services.calls.telephony.port import LegReport, LegView, parse_status
from services.identity.auth import CurrentAccess
from services.kernel.errors import NotFound
from services.kernel.shared_secret import require_secret

router = APIRouter(tags=["telephony"])
SECRET_HEADER = "X-Angeli-Telephony-Secret"


async def proxy(calls: Calls,
          secret: Annotated[str | None, Header(alias=SECRET_HEADER, description="the proxy's shared secret")] = None,
          ) -> None:
    """Admits the SIP proxy: telephony is "sip" here and the shared secret matches."""
    settings = calls.telephony.settings
    if settings.mode != "sip":
        raise NotFound("calls do not pass through a SIP proxy on this installation (ANGELI_TELEPHONY is "
                       f"{settings.mode})")
    require_secret(settings.secret, secret, SECRET_HEADER, "the charity's SIP proxy")


Proxy = Annotated[None, Depends(proxy)]
CallIdText = Field(min_length=1, max_length=200, pattern=r"^[\x21-\x7e]+$")


class InboundQuestion(BaseModel):
    model_config = ConfigDict(extra="forbid")
    call_id: str = CallIdText
    line: str = Field(min_length=1, max_length=64, description="the dialled line (the R-URI user)")
    caller: str | None = Field(default=None, max_length=64, description="the caller's number or SIP user")
    after_leg: UUID | None = Field(default=None, description="asked again: the volunteer whose phone did not answer")


class InboundAnswer(BaseModel):
    action: Literal["dial", "fallback"]
    targets: list[str] = Field(description="volunteer ids to ring, in the order given (several: at once)")
    timeout: int
    caller_id: str = Field(description="the number the volunteer's phone shows: the charity's")
    fallback: str | None = None
    uri: str | None = Field(default=None, description="fallback: where voicemail or the message lives")
    hours: str = ""


@router.post("/telephony/sip/inbound")
def sip_inbound(body: InboundQuestion, calls: Calls, _proxy: Proxy) -> InboundAnswer:
    """The proxy asks where an inbound call to the helpline goes: the next volunteer on duty, or the fallback."""
    decision = calls.telephony.route("sip", body.call_id, body.line, body.caller,
                                     after_leg=None if body.after_leg is None else str(body.after_leg))
    settings = calls.telephony.settings
    return InboundAnswer(action=decision.action, targets=[str(t.volunteer_id) for t in decision.targets],
                         timeout=decision.timeout, caller_id=decision.caller_id, fallback=decision.fallback,
                         uri=settings.fallback_uri or None if decision.action == "fallback" else None,
                         hours=decision.hours)


class LegIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    call_id: str = CallIdText
    leg_id: str = Field(default="", max_length=200, description="the volunteer id of the branch; empty for the "
                                                                "caller's own leg")
    status: str = Field(description="initiated, ringing, answered, completed, busy, no-answer, failed or cancelled")
    at: float = Field(gt=0, lt=32503680000, description="the proxy's time of the fact, seconds since the epoch")
    sequence: int = Field(ge=0, le=2**31)
    direction: Literal["inbound", "outbound"]
    duration: int | None = Field(default=None, ge=0, le=86_400)
    volunteer_id: UUID | None = Field(default=None, description="outbound: whose phone dialled")
    campaign_id: UUID | None = None
    contact_id: UUID | None = None


@router.post("/telephony/sip/legs", status_code=204)
def sip_leg(body: LegIn, calls: Calls, _proxy: Proxy) -> Response:
    """One fact about one leg; a repeated or stale one changes nothing (still 204)."""
    volunteer = body.volunteer_id
    if body.direction == "outbound" and volunteer is None and body.leg_id:
        volunteer = _uuid_or_none(body.leg_id)
    calls.telephony.report(LegReport(
        provider="sip", call_id=body.call_id, leg_id=body.leg_id, status=parse_status(body.status),
        at=datetime.fromtimestamp(body.at, UTC), sequence=body.sequence, direction=body.direction,
        duration=body.duration, campaign_id=body.campaign_id, contact_id=body.contact_id, volunteer_id=volunteer))
    return Response(status_code=204)


class TelephonyOut(BaseModel):
    mode: str = Field(description="off (volunteers dial from their own phones), twiml or sip")
    number: str = Field(description="the charity's number donors and volunteers see")
    helpline: str


@router.get("/telephony")
def telephony(calls: Calls, _access: CurrentAccess) -> TelephonyOut:
    """Whether calls pass through the product here, and the number they show."""
    settings = calls.telephony.settings
    return TelephonyOut(mode=settings.mode, number=settings.number, helpline=settings.helpline)


class LegOut(BaseModel):
    phone_call_id: UUID
    direction: str
    volunteer_id: str
    status: Literal["ringing", "connected"]
    since: datetime
    call_id: str | None = Field(description="the volunteer's Call, once answered")


def leg_out(v: LegView) -> LegOut:
    since = rome(v.since)
    assert since is not None
    return LegOut(phone_call_id=v.call_id, direction=v.direction, volunteer_id=v.volunteer_id,
                  status=v.status,  # type: ignore[arg-type]  # the port's two words
                  since=since, call_id=v.call)


@router.get("/telephony/live")
def live_legs(calls: Calls, _access: CurrentAccess) -> list[LegOut]:
    """The legs ringing and connected now, oldest first (the live board)."""
    return [leg_out(v) for v in calls.telephony.live()]


def _uuid_or_none(text: str) -> UUID | None:
    try:
        return UUID(text)
    except ValueError:
        return None
