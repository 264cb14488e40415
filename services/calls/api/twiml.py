"""The helpline's TwiML webhooks (Twilio; Telnyx TeXML, SignalWire): form-encoded in, XML out.

No account signs these requests: their authentication is the provider's signature (X-Twilio-Signature), checked by
`Signed` before anything of the request is used; a missing or bad one is refused (403) and nothing is recorded. The
routes answer 404 while telephony is not set to "twiml". Retried and out-of-order callbacks are the port's to judge:
it records a (provider, call, leg, status, sequence) once.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Annotated, Any, Literal
from uuid import UUID

from fastapi import APIRouter, Depends, Query, Request, Response

from services.calls.api.dependency import Calls
from services.calls.telephony import twiml
from services.calls.telephony.port import Decision, LegReport, LegStatus
from services.calls.telephony.switchboard import Telephony as Switchboard
from services.identity.domain import SYSTEM, Access
from services.kernel.errors import InvalidInput, NotFound
from services.kernel.webhooks import verified_form, xml_answer

router = APIRouter(tags=["telephony"])
XML: dict[int | str, dict[str, Any]] = {200: {"content": {"application/xml": {}}, "description": "a TwiML document"}}
# The webhook reads a volunteer's phone from the vault to ring it: an access event, for this purpose.
RINGING = Access(SYSTEM, "ringing a helpline volunteer for a TwiML provider's call")
CONFIRM_WORDS = "Chiamata dalla linea di ascolto di Angeli. Premi 1 per rispondere."


async def _signed(request: Request, calls: Calls) -> dict[str, str]:
    """The webhook's form once its signature is proven; 404 while calls do not pass through a TwiML provider."""
    settings = calls.telephony.settings
    if settings.mode != "twiml":
        raise NotFound(f"calls do not pass through a TwiML provider here (ANGELI_TELEPHONY is {settings.mode})")
    return await verified_form(request, settings.twilio_auth_token, settings.public_url)


async def _switchboard(calls: Calls) -> Switchboard:
    return calls.telephony


# The signature first: FastAPI resolves a route's dependencies in order, and the others only look things up.
Signed = Annotated[dict[str, str], Depends(_signed)]
Telephony = Annotated[Switchboard, Depends(_switchboard)]


@router.post("/telephony/twiml/voice", response_class=Response, responses=XML)
def voice(form: Signed, telephony: Telephony) -> Response:
    """An inbound call reached the charity's number: ring the volunteers on shift, or the fallback (TwiML)."""
    call_sid, line, caller = _required(form, "CallSid"), _required(form, "To"), form.get("From", "").strip() or None
    return _answer(telephony.route(twiml.PROVIDER, call_sid, line, caller), telephony, call_sid, line, caller)


@router.post("/telephony/twiml/confirm", response_class=Response, responses=XML)
def confirm(form: Signed, calls: Calls, leg: Annotated[str, Query(max_length=100)] = "",
            step: Annotated[Literal["ask", "result"], Query()] = "ask") -> Response:
    """The volunteer's leg before it is bridged: "press 1 to take a helpline call"; any other answer hangs up and
    counts as not answered. The press of 1 is the leg's answer: talk time runs from it."""
    if step == "ask":
        return xml_answer(twiml.confirm_prompt(twiml.url("confirm", leg=leg, step="result"), CONFIRM_WORDS))
    accepted = twiml.pressed_one(form)
    if leg:
        call_id = form.get("ParentCallSid", "").strip() or _required(form, "CallSid")
        calls.telephony.report(LegReport(provider=twiml.PROVIDER, call_id=call_id, leg_id=leg, at=calls.clock.now(),
                                   status=LegStatus.ANSWERED if accepted else LegStatus.NO_ANSWER,
                                   sequence=twiml.OUTCOME_SEQUENCE, direction="inbound"))
    return xml_answer(twiml.connect() if accepted else twiml.hang_up())


@router.post("/telephony/twiml/dial-action", response_class=Response, responses=XML)
def dial_action(form: Signed, calls: Calls,
                legs: Annotated[str, Query(max_length=2000)] = "") -> Response:
    """A <Dial> ended: done when it was answered, else the unanswered legs reported and the next target or the
    fallback."""
    call_sid = _required(form, "CallSid")
    if twiml.bridged(form):
        return xml_answer(twiml.hang_up())
    # Picked up without pressing 1 ("completed" but not bridged) is not an answer.
    status = twiml.STATUSES.get(form.get("DialCallStatus", "").strip(), LegStatus.NO_ANSWER)
    if status in (LegStatus.COMPLETED, LegStatus.ANSWERED, LegStatus.INITIATED, LegStatus.RINGING):
        status = LegStatus.NO_ANSWER
    rung = [leg for leg in legs.split(",") if leg]
    telephony = calls.telephony
    for leg in rung:
        telephony.report(LegReport(provider=twiml.PROVIDER, call_id=call_sid, leg_id=leg, status=status,
                                   at=calls.clock.now(), sequence=twiml.OUTCOME_SEQUENCE, direction="inbound"))
    if form.get("CallStatus", "").strip() in ("completed", "canceled", "busy", "failed", "no-answer"):
        return xml_answer(twiml.hang_up())  # the caller hung up while it rang: nobody to ring for
    line, caller = _required(form, "To"), form.get("From", "").strip() or None
    decision = telephony.route(twiml.PROVIDER, call_sid, line, caller, after_leg=rung[-1] if rung else None)
    return _answer(decision, telephony, call_sid, line, caller)


@router.post("/telephony/twiml/status", status_code=204, response_class=Response)
def status(form: Signed, telephony: Telephony, leg: Annotated[str | None, Query(max_length=100)] = None,
           direction: Annotated[Literal["inbound", "outbound"], Query()] = "inbound",
           confirm: Annotated[bool, Query(description="the leg answers by pressing 1")] = False,
           campaign: Annotated[UUID | None, Query(description="outbound: the contact's campaign")] = None,
           contact: Annotated[UUID | None, Query(description="outbound: the contact dialled")] = None,
           volunteer: Annotated[UUID | None, Query(description="outbound: whose phone dialled")] = None) -> Response:
    """A leg's status callback (initiated, ringing, answered, completed, busy, no-answer, failed, canceled); a
    repeated or older one has no effect. The ids in the address are the ones Angeli wrote into it when it dialled
    (the signature covers them)."""
    report = twiml.leg_report(form, leg, direction, confirm=confirm, campaign_id=campaign, contact_id=contact,
                              volunteer_id=volunteer)
    if report is not None:
        telephony.report(report)
    return Response(status_code=204)


@router.post("/telephony/twiml/recorded", response_class=Response, responses=XML)
def recorded(form: Signed) -> Response:
    """The caller's voicemail ended: thank and hang up (the recording stays with the provider)."""
    return xml_answer(twiml.hang_up("Grazie, il tuo messaggio è stato registrato. Ti richiameremo al più presto."))


def _answer(decision: Decision, telephony: Switchboard, call_sid: str, line: str, caller: str | None) -> Response:
    """The decision as TwiML, each volunteer's number read from the vault; a volunteer with no number in the vault
    counts as a failed leg and the next one is asked for, so the caller never hears an error."""
    while decision.action == "dial":
        numbers: dict[str, str] = {}
        missing: list[str] = []
        for target in decision.targets:
            try:
                numbers[target.leg_id] = telephony.volunteer_number(target.volunteer_id, RINGING)
            except NotFound:
                missing.append(target.leg_id)
        for leg in missing:
            telephony.report(LegReport(provider=twiml.PROVIDER, call_id=call_sid, leg_id=leg, status=LegStatus.FAILED,
                                       at=telephony.app.clock.now(), sequence=twiml.OUTCOME_SEQUENCE,
                                       direction="inbound"))
        if numbers:
            reachable = tuple(t for t in decision.targets if t.leg_id in numbers)
            return xml_answer(twiml.answer(replace(decision, targets=reachable), numbers))
        decision = telephony.route(twiml.PROVIDER, call_sid, line, caller, after_leg=missing[-1])
    return xml_answer(twiml.answer(decision, {}))


def _required(form: dict[str, str], name: str) -> str:
    value = form.get(name, "").strip()
    if not value:
        raise InvalidInput(f"{name}: missing; the provider always sends it with a call")
    return value
