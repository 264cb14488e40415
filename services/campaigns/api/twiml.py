"""Click-to-call routes: a volunteer asks to be connected to their leased contact; the provider's webhook on the
volunteer's "press 1" dials the donor. The webhook is public to accounts: its authentication is the provider's
signature (X-Twilio-Signature), checked before anything of the request is used (403 and nothing recorded)."""

from __future__ import annotations

from typing import Annotated, Any, Literal, Protocol
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


class Settings(bridging.TelephonySettings, Protocol):
    @property
    def mode(self) -> str: ...


def _twiml_settings(request: Request) -> Settings:
    settings: Settings | None = getattr(request.app.state.product.settings, "telephony", None)
    if settings is None or settings.mode != "twiml":
        raise NotFound("calls through a TwiML provider are off here (ANGELI_TELEPHONY is not \"twiml\"); use the "
                       "phone link")
    return settings


async def _signed(request: Request) -> dict[str, str]:
    settings = _twiml_settings(request)
    return await verified_form(request, settings.twilio_auth_token, settings.public_url)


def _authority(request: Request) -> bridging.DialAuthority:
    authority: bridging.DialAuthority = request.app.state.applications["campaigns"]
    return authority


Telephony = Annotated[Settings, Depends(_twiml_settings)]
Signed = Annotated[dict[str, str], Depends(_signed)]
Authority = Annotated[bridging.DialAuthority, Depends(_authority)]


class CallRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    volunteer_id: UUID


class CallOut(BaseModel):
    call_sid: str
    caller_id: str


@router.post("/campaigns/{campaign_id}/contacts/{contact_id}/call", status_code=202)
def call_contact(campaign_id: UUID, contact_id: UUID, body: CallRequest, app: Campaigns, authority: Authority,
                 settings: Telephony, access: CurrentAccess, once: Once) -> CallOut:
    """Ring the volunteer's phone from the charity's number; on their "press 1" the provider dials the leased
    contact, who sees the charity's number too. 409 with the reason when the dial is not allowed now."""
    placed = bridging.call_volunteer(app, authority, settings, campaign_id, contact_id, body.volunteer_id, access,
                                     once=once)
    return CallOut(call_sid=placed.call_sid, caller_id=placed.caller_id)


@router.post("/telephony/twiml/bridge", response_class=Response, responses=XML)
def bridge(form: Signed, app: Campaigns, authority: Authority, settings: Telephony,
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
    return xml_answer(bridging.dial_donor(authority, app, call_sid, contact, volunteer, settings.ring_seconds))
