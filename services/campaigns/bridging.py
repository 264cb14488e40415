"""Click-to-call through a TwiML provider: the provider rings the volunteer from the charity's number, and on
"press 1" dials the leased donor with the charity's number, so neither side sees a private number. The dial is
authorised when the volunteer asks, and again at the moment the donor is dialled (the lease may have ended)."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlencode
from uuid import UUID, uuid4
from xml.etree.ElementTree import Element, SubElement

from services.campaigns.application import CampaignsApplication
from services.campaigns.dialling import DialAnswer
from services.campaigns.domain.contact import Contact
from services.campaigns.phones import InvalidPhone, normalise
from services.campaigns.twilio_client import LEG_EVENTS, TwilioClient
from services.identity.domain import SYSTEM, Access
from services.kernel.errors import DomainError, NotFound
from services.kernel.idempotency import PendingRequest

PROVIDER = "twilio"
LANGUAGE = "it-IT"
TELEPHONY_ACCESS = Access(SYSTEM, "telephony")  # the webhook's reads of the vault, recorded with this purpose


class DialRefused(DomainError):
    """The dialer would not offer this number to this volunteer now (not leased, outside its window, suppressed)."""

    def __init__(self, code: str, reason: str) -> None:
        super().__init__(f"{reason} ({code})")
        self.code = code


class NotConfigured(DomainError):
    """Telephony through a provider lacks a setting it needs to place a call."""


@dataclass(frozen=True)
class BridgeCall:
    call_sid: str
    caller_id: str  # what the volunteer's phone shows: the charity's number


def call_volunteer(app: CampaignsApplication, campaign_id: UUID, contact_id: UUID, volunteer_id: UUID,
                   access: Access, *, once: PendingRequest | None = None) -> BridgeCall:
    """Authorise the dial, then ask the provider to ring the volunteer; the donor is dialled on their "press 1".
    The provider down: nobody is rung and no request is recorded (the allowed Dial stays on the record, unused)."""
    settings = app.telephony
    missing = [name for name, value in (("ANGELI_TELEPHONY_NUMBER", settings.number),
                                        ("ANGELI_TELEPHONY_PUBLIC_URL", settings.public_url),
                                        ("ANGELI_TWILIO_ACCOUNT_SID", settings.twilio_sid),
                                        ("ANGELI_TWILIO_AUTH_TOKEN", settings.twilio_auth_token)) if not value]
    if missing:
        raise NotConfigured(f"calls through the provider need {', '.join(missing)}; use the phone link meanwhile")
    reading = Access(access.actor, "telephony")
    number = donor_number(app, campaign_id, contact_id, reading)
    answer = app.authorise_dial(PROVIDER, f"pending-{uuid4()}", volunteer_id, number, contact_id=contact_id)
    if not answer.allowed:
        raise DialRefused(answer.code, answer.reason)
    stored = app.vault.get(volunteer_id, reading, fields=("phone",)).get("phone", "")
    try:
        phone = normalise(stored)  # E.164, as the provider dials it
    except InvalidPhone:
        raise NotFound(f"volunteer {volunteer_id} has no valid phone number to ring; correct their record") from None
    client = TwilioClient(settings.twilio_api_url, settings.twilio_sid, settings.twilio_auth_token)
    query = urlencode({"contact": str(contact_id), "volunteer": str(volunteer_id)})
    sid = client.start_call(to=phone, caller_id=answer.caller_id, ring_seconds=settings.ring_seconds,
                            document_url=f"{settings.public_url.rstrip('/')}/telephony/twiml/bridge?{query}")
    if once is not None:  # the request's record: a retry with the same key gets this answer, never a second call
        app.save(once=once)
    return BridgeCall(call_sid=sid, caller_id=answer.caller_id)


def donor_number(app: CampaignsApplication, campaign_id: UUID, contact_id: UUID, access: Access) -> str:
    """The contact's phone, read from the vault for `access` (an access event)."""
    if not app.exists(contact_id):
        raise NotFound(f"contact {contact_id} does not exist")
    contact = app.get(contact_id, Contact)
    if contact.campaign_id != campaign_id:
        raise NotFound(f"contact {contact_id} is not in campaign {campaign_id}")
    return app.vault.get(contact.person_id, access, fields=("phone",)).get("phone", "")


def first_name(app: CampaignsApplication, contact_id: UUID) -> str:
    contact = app.get(contact_id, Contact)
    return app.vault.get(contact.person_id, TELEPHONY_ACCESS, fields=("first_name",)).get("first_name", "")


def prompt(contact_id: UUID, volunteer_id: UUID, name: str) -> Element:
    """The volunteer's phone answered: "press 1 to call <first name>"; silence hangs up."""
    response = Element("Response")
    action = bridge_url(contact_id, volunteer_id, step="result")
    gather = SubElement(response, "Gather", numDigits="1", action=action, timeout="10")
    SubElement(gather, "Say", language=LANGUAGE).text = (
        f"Chiamata della campagna. Premi 1 per chiamare {name}." if name else "Premi 1 per chiamare il donatore.")
    SubElement(response, "Hangup")
    return response


def dial_donor(app: CampaignsApplication, call_sid: str, contact_id: UUID, volunteer_id: UUID) -> Element:
    """Re-authorise at this moment with the provider's call sid, then dial the donor from the charity's number;
    refused: the reason said, and goodbye. The donor leg's facts come back to the status route with the ids the
    port needs for an outbound call (the signature covers them)."""
    contact = app.get(contact_id, Contact)
    number = donor_number(app, contact.campaign_id, contact_id, TELEPHONY_ACCESS)
    answer: DialAnswer = app.authorise_dial(PROVIDER, call_sid, volunteer_id, number, contact_id=contact_id)
    response = Element("Response")
    if not answer.allowed:
        SubElement(response, "Say", language=LANGUAGE).text = f"Chiamata non consentita: {answer.reason}"
        SubElement(response, "Hangup")
        return response
    status = "/telephony/twiml/status?" + urlencode({
        "direction": "outbound", "campaign": str(contact.campaign_id), "contact": str(contact_id),
        "volunteer": str(volunteer_id)})
    dial = SubElement(response, "Dial", callerId=answer.caller_id, timeout=str(app.telephony.ring_seconds),
                      answerOnBridge="true")
    SubElement(dial, "Number", statusCallback=status, statusCallbackEvent=" ".join(LEG_EVENTS),
               statusCallbackMethod="POST").text = number
    return response


def hang_up() -> Element:
    response = Element("Response")
    SubElement(response, "Hangup")
    return response


def bridge_url(contact_id: UUID, volunteer_id: UUID, **more: str) -> str:
    return "/telephony/twiml/bridge?" + urlencode({"contact": str(contact_id), "volunteer": str(volunteer_id), **more})
