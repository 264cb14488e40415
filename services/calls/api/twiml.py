"""The helpline's TwiML webhooks (Twilio; Telnyx TeXML, SignalWire): form-encoded in, XML out.

No account signs these requests: their authentication is the provider's signature (X-Twilio-Signature), checked by
`Signed` before anything of the request is used; a missing or bad one is refused (403) and nothing is recorded. The
routes answer 404 while telephony is not set to "twiml". Retried and out-of-order callbacks are the port's to judge:
it records a (provider, call, leg, status, sequence) once.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal, Protocol
from uuid import UUID

from fastapi import APIRouter, Depends, Query, Request, Response

from services.calls.telephony import twiml
from services.calls.telephony.port import Decision, LegReport, LegStatus
from services.identity.domain import SYSTEM, Access
from services.kernel.errors import InvalidInput, NotFound
from services.kernel.webhooks import verified_form, xml_answer

router = APIRouter(tags=["telephony"])
XML: dict[int | str, dict[str, Any]] = {200: {"content": {"application/xml": {}}, "description": "a TwiML document"}}
# The webhook reads a volunteer's phone from the vault to ring it: an access event with this purpose.
TELEPHONY_ACCESS = Access(SYSTEM, "telephony")
CONFIRM_WORDS = "Chiamata dalla linea di ascolto di Angeli. Premi 1 per rispondere."


class TelephonySettings(Protocol):
    """What these routes read of settings.telephony."""

    @property
    def mode(self) -> str: ...
    @property
    def twilio_auth_token(self) -> str: ...
    @property
    def public_url(self) -> str: ...


class Switchboard(Protocol):
    """The port's use cases these routes call (services/calls/telephony/switchboard.py)."""

    def route(self, provider: str, call_id: str, line: str, caller: str | None, *,
              after_leg: str | None = None) -> Decision: ...
    def report(self, report: LegReport) -> bool: ...
    def volunteer_number(self, volunteer_id: UUID, access: Access) -> str: ...


def telephony_settings(request: Request) -> TelephonySettings | None:
    settings: TelephonySettings | None = getattr(request.app.state.product.settings, "telephony", None)
    return settings


async def _signed(request: Request) -> dict[str, str]:
    settings = telephony_settings(request)
    if settings is None or settings.mode != "twiml":
        raise NotFound("telephony through a TwiML provider is off here (ANGELI_TELEPHONY is not \"twiml\")")
    return await verified_form(request, settings.twilio_auth_token, settings.public_url)


def _switchboard(request: Request) -> Switchboard:
    switchboard: Switchboard = request.app.state.applications["calls"].telephony
    return switchboard


def _now(request: Request) -> datetime:
    now: datetime = request.app.state.product.clock.now()
    return now


# The signature first: FastAPI resolves a route's dependencies in order, and the switchboard is only looked up.
Signed = Annotated[dict[str, str], Depends(_signed)]
Telephony = Annotated[Switchboard, Depends(_switchboard)]
Now = Annotated[datetime, Depends(_now)]


@router.post("/telephony/twiml/voice", response_class=Response, responses=XML)
def voice(form: Signed, telephony: Telephony) -> Response:
    """An inbound call reached the charity's number: ring the volunteers on shift, or the fallback (TwiML)."""
    decision = telephony.route(twiml.PROVIDER, _required(form, "CallSid"), _required(form, "To"),
                               form.get("From", "").strip() or None)
    return _answer(decision, telephony)


@router.post("/telephony/twiml/confirm", response_class=Response, responses=XML)
def confirm(form: Signed, telephony: Telephony, now: Now, leg: Annotated[str, Query(max_length=100)] = "",
            step: Annotated[Literal["ask", "result"], Query()] = "ask") -> Response:
    """The volunteer's leg before it is bridged: "press 1 to take a helpline call"; any other answer hangs up and
    counts as not answered. The press of 1 is the leg's answer: talk time runs from it."""
    if step == "ask":
        return xml_answer(twiml.confirm_prompt(twiml.url("confirm", leg=leg, step="result"), CONFIRM_WORDS))
    accepted = twiml.pressed_one(form)
    if leg:
        call_id = form.get("ParentCallSid", "").strip() or _required(form, "CallSid")
        telephony.report(LegReport(provider=twiml.PROVIDER, call_id=call_id, leg_id=leg, at=now,
                                   status=LegStatus.ANSWERED if accepted else LegStatus.NO_ANSWER,
                                   sequence=twiml.OUTCOME_SEQUENCE, direction="inbound"))
    return xml_answer(twiml.connect() if accepted else twiml.hang_up())


@router.post("/telephony/twiml/dial-action", response_class=Response, responses=XML)
def dial_action(form: Signed, telephony: Telephony, now: Now,
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
    for leg in rung:
        telephony.report(LegReport(provider=twiml.PROVIDER, call_id=call_sid, leg_id=leg, status=status, at=now,
                                   sequence=twiml.OUTCOME_SEQUENCE, direction="inbound"))
    if form.get("CallStatus", "").strip() in ("completed", "canceled", "busy", "failed", "no-answer"):
        return xml_answer(twiml.hang_up())  # the caller hung up while it rang: nobody to ring for
    decision = telephony.route(twiml.PROVIDER, call_sid, _required(form, "To"), form.get("From", "").strip() or None,
                               after_leg=rung[-1] if rung else None)
    return _answer(decision, telephony)


@router.post("/telephony/twiml/status", status_code=204, response_class=Response)
def status(form: Signed, telephony: Telephony, leg: Annotated[str | None, Query(max_length=100)] = None,
           direction: Annotated[Literal["inbound", "outbound"], Query()] = "inbound",
           confirm: Annotated[bool, Query(description="the leg answers by pressing 1")] = False) -> Response:
    """A leg's status callback (initiated, ringing, answered, completed, busy, no-answer, failed, canceled); a
    repeated or older one has no effect."""
    report = twiml.leg_report(form, leg, direction)
    if not (confirm and report.status is LegStatus.ANSWERED):  # picked up, not yet accepted: /confirm reports it
        telephony.report(report)
    return Response(status_code=204)


@router.post("/telephony/twiml/recorded", response_class=Response, responses=XML)
def recorded(form: Signed) -> Response:
    """The caller's voicemail ended: thank and hang up (the recording stays with the provider)."""
    return xml_answer(twiml.hang_up("Grazie, il tuo messaggio è stato registrato. Ti richiameremo al più presto."))


def _answer(decision: Decision, telephony: Switchboard) -> Response:
    numbers = {t.leg_id: telephony.volunteer_number(t.volunteer_id, TELEPHONY_ACCESS) for t in decision.targets} \
        if decision.action == "dial" else {}
    return xml_answer(twiml.answer(decision, numbers))


def _required(form: dict[str, str], name: str) -> str:
    value = form.get(name, "").strip()
    if not value:
        raise InvalidInput(f"{name}: missing; the provider always sends it with a call")
    return value
