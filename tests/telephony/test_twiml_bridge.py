"""Click-to-call through a TwiML provider, end to end through the product: the provider's REST API is asked to ring
the volunteer from the charity's number; on "press 1" the dial is authorised again at that moment and the leased
donor dialled from the charity's number; the donor leg's callbacks time the volunteer's Call.

The provider itself is unreachable from these machines: its REST API is played by a tiny HTTP server on 127.0.0.1
that records each POST /2010-04-01/Accounts/{sid}/Calls.json and answers as the documentation shows; its webhooks
are signed with the official `twilio` package.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit
from uuid import UUID

import pytest
from fastapi.testclient import TestClient

from services.calls.application import CallsApplication
from services.calls.domain.call import Call
from services.calls.domain.phone_call import PhoneCall, phone_call_id
from services.campaigns.application import CampaignsApplication
from services.kernel.clock import FixedClock
from services.kernel.settings import Settings
from services.main import Product, create_api_for
from tests.campaigns.conftest import app_of, clock_in, launched
from tests.conftest import RoleClient
from tests.telephony.twiml_rig import (
    CHARITY,
    PUBLIC,
    SID,
    TOKEN,
    StandIn,
    helpline_volunteers,
    provider,
    signed_post,
    status_callback,
    twiml_settings,
    xml,
)

__all__ = ["provider"]  # the stand-in's fixture, used here
ROWS = "nome;telefono;comune\nGiovanna;02 1234 5678;Milano\nPietro;06 9876 5432;Roma\n"
GIULIA_PHONE = "+393331111111"
START = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


@pytest.fixture
def embedded_settings(tmp_path: Path, provider: StandIn) -> Settings:
    return Settings(mode="embedded", data_dir=tmp_path / "var", telephony=twiml_settings(provider.url))


@dataclass
class Desk:
    """A launched campaign, Giulia on shift with its first contact leased to her, and the provider's side."""

    campaign_id: str
    contact_id: str
    other_contact_id: str
    donor_phone: str
    giulia: UUID
    volunteer: TestClient  # Giulia's own session
    webhooks: TestClient  # the provider: no account, only the signature
    calls: CallsApplication
    campaigns: CampaignsApplication

    def call(self, contact_id: str | None = None, key: str = "call-giovanna-1") -> Any:
        return self.volunteer.post(f"/campaigns/{self.campaign_id}/contacts/{contact_id or self.contact_id}/call",
                                   json={"volunteer_id": str(self.giulia)}, headers={"Idempotency-Key": key})

    def bridge(self, step: str = "", digits: str | None = None, call_sid: str = "CAbridge0001") -> Any:
        query = f"contact={self.contact_id}&volunteer={self.giulia}" + (f"&step={step}" if step else "")
        fields = {"CallSid": call_sid, "AccountSid": SID, "From": CHARITY, "To": GIULIA_PHONE,
                  "CallStatus": "in-progress", "Direction": "outbound-api"}
        if digits is not None:
            fields["Digits"] = digits
        return signed_post(self.webhooks, f"/telephony/twiml/bridge?{query}", fields)

    def refusals(self) -> list[str]:
        return [n.topic for n in self.campaigns.recorder.select_notifications(1, 10_000)
                if n.topic.endswith("Dial.Refused")]


@pytest.fixture
def desk(product: Product, client: TestClient, client_as: RoleClient, clock: FixedClock) -> Desk:
    calls = product.services["calls"].application
    assert isinstance(calls, CallsApplication)
    campaign_id = launched(client, rows=ROWS)
    [giulia] = helpline_volunteers(calls, clock, ("Giulia", GIULIA_PHONE))
    clock_in(product, giulia, clock.now())  # the campaigns' side learns it as the feed would tell it
    volunteer = client_as("volunteer", giulia)
    offer = volunteer.post(f"/campaigns/{campaign_id}/dialer/next", json={"volunteer_id": str(giulia)}).json()["offer"]
    contacts = client.get(f"/campaigns/{campaign_id}/contacts").json()["contacts"]
    other = next(c["contact_id"] for c in contacts if c["contact_id"] != offer["contact_id"])
    return Desk(campaign_id, offer["contact_id"], other, offer["phone"], giulia, volunteer,
                TestClient(create_api_for(product), raise_server_exceptions=False), calls, app_of(product))


def test_the_provider_rings_the_volunteer_from_the_charitys_number_once_per_request(
    desk: Desk, provider: StandIn,
) -> None:
    answer = desk.call()
    assert answer.status_code == 202, answer.text
    assert answer.json() == {"call_sid": "CAbridge0001", "caller_id": CHARITY}
    [(path, form, authorization)] = provider.calls
    assert path == f"/2010-04-01/Accounts/{SID}/Calls.json"
    assert base64.b64decode(authorization.removeprefix("Basic ")).decode() == f"{SID}:{TOKEN}"
    assert form["To"] == [GIULIA_PHONE] and form["From"] == [CHARITY] and form["Method"] == ["POST"]
    document = urlsplit(form["Url"][0])
    assert f"{document.scheme}://{document.netloc}{document.path}" == f"{PUBLIC}/telephony/twiml/bridge"
    assert dict(parse_qsl(document.query)) == {"contact": desk.contact_id, "volunteer": str(desk.giulia)}
    retried = desk.call()  # the same Idempotency-Key: the first answer, and nobody rung twice
    assert retried.status_code == 202 and retried.headers.get("Idempotent-Replay") == "true"
    assert len(provider.calls) == 1


def test_a_dial_the_dialer_would_not_offer_is_409_with_the_reason_and_a_refused_dial(
    desk: Desk, provider: StandIn,
) -> None:
    answer = desk.call(desk.other_contact_id, key="call-pietro-1")  # not leased to her
    assert answer.status_code == 409
    assert "not the phone of a contact leased to this volunteer" in answer.json()["detail"]
    assert provider.calls == [] and len(desk.refusals()) == 1


def test_the_provider_down_or_refusing_is_502_and_nobody_is_rung(desk: Desk, provider: StandIn) -> None:
    provider.refuse = True
    refused = desk.call(key="call-1")
    assert refused.status_code == 502
    assert "HTTP 400: The 'To' number +39333 is not a valid phone number." in refused.json()["detail"]
    provider.shutdown()
    provider.server_close()
    down = desk.call(key="call-2")
    assert down.status_code == 502 and "cannot be reached" in down.json()["detail"]
    assert "nobody was rung" in down.json()["detail"]


def test_the_volunteer_hears_whom_they_are_calling_and_on_press_one_the_donor_sees_the_charitys_number(
    desk: Desk,
) -> None:
    gather = xml(desk.bridge()).find("Gather")
    assert gather is not None and "Premi 1 per chiamare Giovanna" in (gather.findtext("Say") or "")
    assert dict(parse_qsl(urlsplit(gather.attrib["action"]).query))["step"] == "result"
    assert [child.tag for child in xml(desk.bridge("result", "7"))] == ["Hangup"]  # another key: nobody dialled

    dial = xml(desk.bridge("result", "1")).find("Dial")
    assert dial is not None and dial.attrib["callerId"] == CHARITY
    [number] = dial.findall("Number")
    assert number.text == desk.donor_phone
    status = urlsplit(number.attrib["statusCallback"])
    assert dict(parse_qsl(status.query)) == {"direction": "outbound", "campaign": desk.campaign_id,
                                             "contact": desk.contact_id, "volunteer": str(desk.giulia)}

    # The donor leg's callbacks, as the provider sends them to that address: they time Giulia's Call.
    def leg(status_word: str, sequence: int, second: int, duration: int | None = None) -> int:
        callback = status_callback("CAdonor0001", status_word, sequence,
                                   (START + timedelta(seconds=second)).strftime("%a, %d %b %Y %H:%M:%S +0000"),
                                   parent="CAbridge0001", duration=duration)
        return int(signed_post(desk.webhooks, f"{status.path}?{status.query}", callback).status_code)

    assert [leg("ringing", 1, 12), leg("in-progress", 2, 20), leg("completed", 3, 200, 180)] == [204] * 3
    dialled = desk.calls.get(phone_call_id("twilio", "CAbridge0001"), PhoneCall)
    call = desk.calls.get(UUID(str(dialled.call)), Call)
    assert call.volunteer_id == str(desk.giulia) and str(call.contact_id) == desk.contact_id
    assert call.timing == "network" and call.connected_at == START + timedelta(seconds=20)
    assert call.hung_up_at == START + timedelta(seconds=200)


def test_a_dial_no_longer_allowed_when_the_volunteer_presses_one_says_why_and_hangs_up(desk: Desk) -> None:
    released = desk.volunteer.post(f"/campaigns/{desk.campaign_id}/contacts/{desk.contact_id}/lease/release",
                                   json={"volunteer_id": str(desk.giulia), "reason": "ci ripenso"})
    assert released.status_code == 204
    document = xml(desk.bridge("result", "1", call_sid="CAbridge0002"))
    assert [child.tag for child in document] == ["Say", "Hangup"]
    assert "leased to this volunteer" in (document.findtext("Say") or "")
    assert len(desk.refusals()) == 1


def test_an_unsigned_bridge_dials_nobody(desk: Desk) -> None:
    unsigned = desk.webhooks.post(f"/telephony/twiml/bridge?contact={desk.contact_id}&volunteer={desk.giulia}"
                                  "&step=result", data={"CallSid": "CAbridge0001", "Digits": "1"})
    assert unsigned.status_code == 403 and desk.refusals() == []
    assert not desk.calls.exists(phone_call_id("twilio", "CAbridge0001"))
