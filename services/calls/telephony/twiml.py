"""The TwiML dialect (Twilio; Telnyx TeXML, SignalWire): the port's decisions as XML documents, and the provider's
status callbacks as leg reports. Pure: no request, store or clock; every value goes through ElementTree, escaped."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from email.utils import parsedate_to_datetime
from typing import Literal
from urllib.parse import urlencode
from uuid import UUID
from xml.etree.ElementTree import Element, SubElement

from services.calls.telephony.port import Decision, LegReport, LegStatus
from services.kernel.errors import InvalidInput

PROVIDER = "twilio"
BASE = "/telephony/twiml"
LANGUAGE = "it-IT"
VOICEMAIL_SECONDS = 120
# Twilio's CallStatus / DialCallStatus words (American "canceled"; "in-progress" is the answer) -> the port's.
STATUSES: dict[str, LegStatus] = {
    "queued": LegStatus.INITIATED, "initiated": LegStatus.INITIATED, "ringing": LegStatus.RINGING,
    "in-progress": LegStatus.ANSWERED, "answered": LegStatus.ANSWERED, "completed": LegStatus.COMPLETED,
    "busy": LegStatus.BUSY, "no-answer": LegStatus.NO_ANSWER, "failed": LegStatus.FAILED,
    "canceled": LegStatus.CANCELLED, "cancelled": LegStatus.CANCELLED,
}
LEG_EVENTS = "initiated ringing answered completed"
# The provider numbers a leg's callbacks from 0: initiated 0, ringing 1, then answered (or an unanswered end) 2,
# completed 3. What this adapter reports itself about a leg's outcome takes that place, so the provider's own
# callback for the same outcome is the same report (no second effect) and the leg's later end is newer.
OUTCOME_SEQUENCE = 2


def url(path: str, **query: str) -> str:
    return f"{BASE}/{path}" + (f"?{urlencode(query)}" if query else "")


def dial(decision: Decision, numbers: Mapping[str, str]) -> Element:
    """Ring the decision's targets (one, or several at once for ring-all) from the charity's number; each target's
    leg runs the "press 1" document first when the decision asks for a confirmation. `numbers`: leg id -> phone."""
    response = Element("Response")
    legs = ",".join(t.leg_id for t in decision.targets)
    element = SubElement(response, "Dial", callerId=decision.caller_id, timeout=str(decision.timeout),
                         action=url("dial-action", legs=legs), answerOnBridge="true")
    for target in decision.targets:
        # With "press 1", the phone picking up is not yet an answer (a voicemail picks up too): the status route is
        # told so, and the confirmation reports the answer.
        status = url("status", leg=target.leg_id, confirm="1") if decision.confirm else url("status", leg=target.leg_id)
        attributes = {"statusCallback": status, "statusCallbackEvent": LEG_EVENTS, "statusCallbackMethod": "POST"}
        if decision.confirm:
            attributes["url"] = url("confirm", leg=target.leg_id)
        number = SubElement(element, "Number", attributes)
        number.text = numbers[target.leg_id]
    return response


def fallback(decision: Decision) -> Element:
    """Nobody answers: voicemail (with the call's dial-back code said), or the line's hours and goodbye."""
    response = Element("Response")
    if decision.fallback == "voicemail":
        code = " ".join(decision.dialback_code or "")
        said = "Al momento nessun volontario può rispondere. Lascia un messaggio dopo il segnale"
        say(response, f"{said}. Il codice di questa chiamata è {code}." if code else f"{said}.")
        SubElement(response, "Record", action=url("recorded"), maxLength=str(VOICEMAIL_SECONDS), playBeep="true")
        return response
    hours = f" La linea è aperta {decision.hours}." if decision.hours else ""
    say(response, f"Al momento nessun volontario può rispondere.{hours} Grazie per aver chiamato.")
    SubElement(response, "Hangup")
    return response


def answer(decision: Decision, numbers: Mapping[str, str]) -> Element:
    return dial(decision, numbers) if decision.action == "dial" and decision.targets else fallback(decision)


def confirm_prompt(action: str, words: str) -> Element:
    """Ask the person who picked up to press 1; silence or another key ends the leg (no voicemail answers)."""
    response = Element("Response")
    gather = SubElement(response, "Gather", numDigits="1", action=action, timeout="8")
    say(gather, words)
    SubElement(response, "Hangup")
    return response


def pressed_one(form: Mapping[str, str]) -> bool:
    return form.get("Digits", "").strip() == "1"


def bridged(form: Mapping[str, str]) -> bool:
    """Whether a <Dial> that ended connected the caller: answered, and (where the provider says, DialBridged)
    bridged; a volunteer who picked up and did not press 1 was answered but never bridged."""
    answered = form.get("DialCallStatus", "").strip() in ("completed", "answered")
    return answered and form.get("DialBridged", "true").strip().lower() != "false"


def connect() -> Element:
    """An empty document: the volunteer's leg is bridged to the caller."""
    return Element("Response")


def hang_up(words: str = "") -> Element:
    response = Element("Response")
    if words:
        say(response, words)
    SubElement(response, "Hangup")
    return response


def say(parent: Element, words: str) -> None:
    SubElement(parent, "Say", language=LANGUAGE).text = words


def leg_report(form: Mapping[str, str], leg: str | None, direction: Literal["inbound", "outbound"], *,
               confirm: bool = False, campaign_id: UUID | None = None, contact_id: UUID | None = None,
               volunteer_id: UUID | None = None) -> LegReport | None:
    """A status callback as the port's leg report; InvalidInput (422) naming the field when one is malformed.
    The leg: the target's id from our callback address; else the child call's own id; "" for the caller's leg.
    With "press 1" (`confirm`), the phone picking up is not the answer (a voicemail picks up too): None for it, as
    the confirmation reports the answer; and the leg's duration counts from the pick-up, so it is not passed on."""
    call_sid = _field(form, "CallSid")
    status_word = _field(form, "CallStatus")
    if status_word not in STATUSES:
        raise InvalidInput(f"CallStatus: unknown status {status_word[:40]!r}; expected one of "
                           f"{', '.join(sorted(STATUSES))}")
    parent = form.get("ParentCallSid", "").strip()
    at = timestamp(_field(form, "Timestamp"))
    sequence = _whole(form, "SequenceNumber", required=True) or 0
    duration = _whole(form, "CallDuration", required=False)
    if confirm and STATUSES[status_word] is LegStatus.ANSWERED:
        return None
    return LegReport(provider=PROVIDER, call_id=parent or call_sid, leg_id=leg or (call_sid if parent else ""),
                     status=STATUSES[status_word], at=at, sequence=sequence, direction=direction,
                     duration=None if confirm else duration, campaign_id=campaign_id, contact_id=contact_id,
                     volunteer_id=volunteer_id)


def timestamp(raw: str) -> datetime:
    """RFC 2822 with an offset, as the provider sends it: "Mon, 23 Nov 2026 09:00:05 +0000"."""
    try:
        at = parsedate_to_datetime(raw)
    except (TypeError, ValueError, IndexError):
        raise InvalidInput(f"Timestamp: not an RFC 2822 date such as 'Mon, 23 Nov 2026 09:00:05 +0000', "
                           f"got {raw[:60]!r}") from None
    if at.tzinfo is None:
        raise InvalidInput(f"Timestamp: the date has no offset (-0000 means unknown), got {raw[:60]!r}")
    return at


def _field(form: Mapping[str, str], name: str) -> str:
    value = form.get(name, "").strip()
    if not value:
        raise InvalidInput(f"{name}: missing; the provider's status callback always sends it")
    return value


def _whole(form: Mapping[str, str], name: str, *, required: bool) -> int | None:
    raw = form.get(name, "").strip()
    if not raw and not required:
        return None
    if not raw.isascii() or not raw.isdigit() or len(raw) > 12:
        raise InvalidInput(f"{name}: must be a whole number of at most 12 digits, got {raw[:20]!r}")
    return int(raw)
