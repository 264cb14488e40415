"""The SIP proxy's question before a volunteer's phone calls a number: allowed (with the charity's number to
present) or refused (the proxy answers 403 with the reason). Public to accounts: the proxy proves itself with the
shared secret of ANGELI_TELEPHONY_SECRET, or is refused (403) before anything is read or stored."""

from __future__ import annotations

from typing import Annotated, Literal
from uuid import UUID

from fastapi import APIRouter, Header
from pydantic import BaseModel, ConfigDict, Field

from services.campaigns.api.dependency import Campaigns
from services.kernel.errors import NotFound
from services.kernel.shared_secret import require_secret

router = APIRouter(tags=["telephony"])
SECRET_HEADER = "X-Angeli-Telephony-Secret"


class OutboundQuestion(BaseModel):
    model_config = ConfigDict(extra="forbid")
    call_id: str = Field(min_length=1, max_length=200, pattern=r"^[\x21-\x7e]+$")
    volunteer_id: UUID = Field(description="the dialling phone's SIP user: its volunteer's id")
    number: str = Field(min_length=3, max_length=40, description="the dialled number (the request URI's user)")


class OutboundAnswer(BaseModel):
    action: Literal["dial", "refuse"]
    caller_id: str = Field(default="", description="dial: the number the donor's phone shows (the charity's)")
    campaign_id: UUID | None = None
    contact_id: UUID | None = None
    code: str = Field(default="", description="refuse: not_clocked_in, not_leased, closed, campaign_blocked, "
                                              "suppressed or outside_window")
    reason: str = ""


@router.post("/telephony/sip/outbound")
def sip_outbound(body: OutboundQuestion, app: Campaigns,
                 secret: Annotated[str | None, Header(alias=SECRET_HEADER)] = None) -> OutboundAnswer:
    """May this volunteer's phone call this number now? Recorded as a Dial, allowed or refused."""
    if app.telephony.mode != "sip":
        raise NotFound(f"calls do not pass through a SIP proxy here (ANGELI_TELEPHONY is {app.telephony.mode})")
    require_secret(app.telephony.secret, secret, SECRET_HEADER, "the charity's SIP proxy")
    answer = app.authorise_dial("sip", body.call_id, body.volunteer_id, body.number)
    if not answer.allowed:
        return OutboundAnswer(action="refuse", code=answer.code, reason=answer.reason)
    return OutboundAnswer(action="dial", caller_id=answer.caller_id, campaign_id=answer.campaign_id,
                          contact_id=answer.contact_id)
