"""Click-to-call routes: a volunteer asks to be connected to their leased contact; the provider's webhook on the
volunteer's "press 1" dials the donor. The webhook is public to accounts: its authentication is the provider's
signature (X-Twilio-Signature), checked before anything of the request is used (403 and nothing recorded)."""

from __future__ import annotations

from typing import Annotated, Any, Literal
from uuid import UUID

from fastapi import APIRouter, Depends, Query, Request, Response
from pydantic import BaseModel, ConfigDict

from services.campaigns import bridging
from services.campaigns.api.dependency import Campaigns
from services.identity.auth import CurrentAccess
from services.kernel.errors import InvalidInput, NotFound
from services.kernel.idempotency import Once
from services.kernel.webhooks import verified_form, xml_answer

router = APIRouter(tags=["telephony"])
XML: dict[int | str, dict[str, Any]] = {200: {"content": {"application/xml": {}}, "description": "a TwiML document"}}


async def _twiml(app: Campaigns) -> None:
    if app.telephony.mode != "twiml":
        raise NotFound(f"calls do not pass through a TwiML provider here (ANGELI_TELEPHONY is {app.telephony.mode}); "
                       "use the phone link")


async def _signed(request: Request, app: Campaigns) -> dict[str, str]:
    """The webhook's form once its signature is proven (403 otherwise, nothing read or stored)."""
    await _twiml(app)
    return await verified_form(request, app.telephony.twilio_auth_token, app.telephony.public_url)


Signed = Annotated[dict[str, str], Depends(_signed)]
TwimlOn = Annotated[None, Depends(_twiml)]


class CallRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    volunteer_id: UUID


class CallOut(BaseModel):
    call_sid: str
    caller_id: str


@router.post("/campaigns/{campaign_id}/contacts/{contact_id}/call", status_code=202)
def call_contact(campaign_id: UUID, contact_id: UUID, body: CallRequest, app: Campaigns, _on: TwimlOn,
                 access: CurrentAccess, once: Once) -> CallOut:
    """Ring the volunteer's phone from the charity's number; on their "press 1" the provider dials the leased
    contact, who sees the charity's number too. 409 with the reason when the dial is not allowed now."""
    placed = bridging.call_volunteer(app, campaign_id, contact_id, body.volunteer_id, access, once=once)
    return CallOut(call_sid=placed.call_sid, caller_id=placed.caller_id)


@router.post("/telephony/twiml/bridge", response_class=Response, responses=XML)
def bridge(form: Signed, app: Campaigns,
           contact: Annotated[UUID, Query()], volunteer: Annotated[UUID, Query()],
           step: Annotated[Literal["ask", "result"], Query()] = "ask") -> Response:
    """The volunteer's phone answered a click-to-call: "press 1 to call <first name>", then the donor dialled."""
    if step == "ask":
        return xml_answer(bridging.prompt(contact, volunteer, bridging.first_name(app, contact)))
    if form.get("Digits", "").strip() != "1":
        return xml_answer(bridging.hang_up())
    call_sid = form.get("CallSid", "").strip()
    if not call_sid:
        raise InvalidInput("CallSid: missing; the provider always sends it with a call")
    return xml_answer(bridging.dial_donor(app, call_sid, contact, volunteer))
