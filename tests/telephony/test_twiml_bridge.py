"""Click-to-call through a TwiML provider: the provider's REST API is asked to ring the volunteer from the charity's
number; on "press 1" the dial is authorised again and the donor dialled from the charity's number.

The provider itself is unreachable from these machines: its REST API is played by a tiny HTTP server on 127.0.0.1
that records each POST /2010-04-01/Accounts/{sid}/Calls.json and answers as the documentation shows; its webhooks
are signed with the official `twilio` package. The port's check (`authorise_dial`) is a small fake here.
"""

from __future__ import annotations

import base64
import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import SimpleNamespace
from typing import Any
from urllib.parse import parse_qs, parse_qsl, urlsplit
from uuid import UUID, uuid4

import pytest
from fastapi.testclient import TestClient

from services.identity.auth import current_access
from services.identity.domain import Access, Actor
from services.privacy.application import PrivacyVault
from tests.conftest import free_port
from tests.telephony.twiml_rig import CHARITY, GIULIA, PHONES, PUBLIC, TelephonyStub, signed_post, twiml_client, xml

CAMPAIGN, CONTACT, PERSON = uuid4(), uuid4(), uuid4()
DONOR = "+390655512345"
SID = TelephonyStub().twilio_account_sid


@dataclass(frozen=True)
class Answer:
    allowed: bool
    code: str
    reason: str
    caller_id: str = CHARITY
    campaign_id: UUID | None = CAMPAIGN
    contact_id: UUID | None = CONTACT
    number: str = DONOR


@dataclass
class FakeCampaigns:
    """The campaigns application's parts the bridge uses: contacts, the vault, `authorise_dial`, `save`."""

    vault: PrivacyVault
    refusal: Answer | None = None
    dials: list[tuple[str, str, UUID, str, UUID | None]] = field(default_factory=list)
    saved: list[Any] = field(default_factory=list)

    def exists(self, contact_id: UUID) -> bool:
        return contact_id == CONTACT

    def get(self, contact_id: UUID, _kind: Any = None) -> Any:
        return SimpleNamespace(id=CONTACT, campaign_id=CAMPAIGN, person_id=PERSON)

    def authorise_dial(self, provider: str, call_id: str, volunteer_id: UUID, number: str, *,
                       contact_id: UUID | None = None) -> Answer:
        self.dials.append((provider, call_id, volunteer_id, number, contact_id))
        return self.refusal or Answer(True, "allowed", "")

    def save(self, *objs: Any, once: Any = None) -> None:
        self.saved.append(once)


class StandIn(ThreadingHTTPServer):
    calls: list[tuple[str, dict[str, list[str]], str]]
    refuse: bool = False  # answer as the provider does a request it will not place


class ProviderHandler(BaseHTTPRequestHandler):
    def do_POST(self) -> None:  # the standard library's name
        body = self.rfile.read(int(self.headers["Content-Length"])).decode()
        server: StandIn = self.server  # type: ignore[assignment]
        server.calls.append((self.path, parse_qs(body), self.headers.get("Authorization", "")))
        answer = json.dumps({"sid": "CAbridge0001", "status": "queued", "account_sid": SID}).encode()
        if server.refuse:
            answer = json.dumps({"code": 21211, "message": "The 'To' number +39333 is not a valid phone number.",
                                 "status": 400}).encode()
        self.send_response(400 if server.refuse else 201)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)

    def log_message(self, *_: Any) -> None:
        pass


@pytest.fixture
def provider() -> Iterator[StandIn]:
    server = StandIn(("127.0.0.1", 0), ProviderHandler)
    server.calls = []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture
def campaigns(vault: PrivacyVault) -> FakeCampaigns:
    vault.put(PERSON, {"first_name": "Giovanna", "last_name": "Bianchi", "phone": DONOR})
    vault.put(GIULIA, {"full_name": "Giulia Rossi", "phone": PHONES[GIULIA]})
    return FakeCampaigns(vault)


def volunteer_client(campaigns: FakeCampaigns, api_url: str) -> TestClient:
    client = twiml_client(None, campaigns, TelephonyStub(twilio_api_url=api_url))
    giulia = Actor(kind="account", id="giulia", name="giulia@angeli.example", role="volunteer", volunteer_id=GIULIA)
    client.app.dependency_overrides[current_access] = lambda: Access(giulia, "POST call")  # type: ignore[attr-defined]
    return client


def call(client: TestClient) -> Any:
    return client.post(f"/campaigns/{CAMPAIGN}/contacts/{CONTACT}/call", json={"volunteer_id": str(GIULIA)},
                       headers={"Idempotency-Key": "call-giovanna-1"})


def test_the_provider_rings_the_volunteer_from_the_charitys_number(campaigns: FakeCampaigns,
                                                                    provider: StandIn) -> None:
    host, port = provider.server_address[:2]
    answer = call(volunteer_client(campaigns, f"http://{host}:{port}"))

    assert answer.status_code == 202, answer.text
    assert answer.json() == {"call_sid": "CAbridge0001", "caller_id": CHARITY}
    [(path, form, authorization)] = provider.calls
    assert path == f"/2010-04-01/Accounts/{SID}/Calls.json"
    credentials = base64.b64decode(authorization.removeprefix("Basic ")).decode()
    assert credentials == f"{SID}:{TelephonyStub().twilio_auth_token}"
    assert form["To"] == [PHONES[GIULIA]] and form["From"] == [CHARITY]
    document = urlsplit(form["Url"][0])
    assert f"{document.scheme}://{document.netloc}" == PUBLIC and document.path == "/telephony/twiml/bridge"
    assert dict(parse_qsl(document.query)) == {"contact": str(CONTACT), "volunteer": str(GIULIA)}
    assert form["StatusCallback"] == [f"{PUBLIC}/telephony/twiml/status?direction=outbound"]
    assert form["StatusCallbackEvent"] == ["initiated", "ringing", "answered", "completed"]
    [(provider_name, pending, volunteer, number, contact)] = campaigns.dials
    assert (provider_name, volunteer, number, contact) == ("twilio", GIULIA, DONOR, CONTACT)
    assert pending.startswith("pending-")
    assert len(campaigns.saved) == 1 and campaigns.saved[0].key == "call-giovanna-1"  # the request's record


def test_a_refused_dial_is_409_with_the_reason_and_nobody_is_rung(campaigns: FakeCampaigns, provider: StandIn) -> None:
    campaigns.refusal = Answer(False, "not_leased", "this contact is not leased to you now")
    host, port = provider.server_address[:2]
    answer = call(volunteer_client(campaigns, f"http://{host}:{port}"))
    assert answer.status_code == 409
    assert answer.json()["detail"] == "this contact is not leased to you now (not_leased)"
    assert provider.calls == [] and campaigns.saved == []


def test_the_provider_down_is_502_with_a_clear_message_and_no_request_recorded(campaigns: FakeCampaigns) -> None:
    answer = call(volunteer_client(campaigns, f"http://127.0.0.1:{free_port()}"))
    assert answer.status_code == 502
    assert "cannot be reached" in answer.json()["detail"] and "nobody was rung" in answer.json()["detail"]
    assert campaigns.saved == []


def test_a_call_the_provider_refuses_is_502_with_its_reason(campaigns: FakeCampaigns, provider: StandIn) -> None:
    provider.refuse = True
    host, port = provider.server_address[:2]
    answer = call(volunteer_client(campaigns, f"http://{host}:{port}"))
    assert answer.status_code == 502 and len(provider.calls) == 1
    assert "HTTP 400: The 'To' number +39333 is not a valid phone number." in answer.json()["detail"]
    assert campaigns.saved == []


def test_click_to_call_is_absent_unless_telephony_is_twiml(campaigns: FakeCampaigns) -> None:
    client = volunteer_client(campaigns, "http://127.0.0.1:9")
    client.app.state.product.settings.telephony = TelephonyStub(mode="off")  # type: ignore[attr-defined]
    assert call(client).status_code == 404 and campaigns.dials == []


def bridge(client: TestClient, step: str = "", digits: str | None = None) -> Any:
    path = f"/telephony/twiml/bridge?contact={CONTACT}&volunteer={GIULIA}" + (f"&step={step}" if step else "")
    fields = {"CallSid": "CAbridge0001", "AccountSid": SID, "From": CHARITY, "To": PHONES[GIULIA],
              "CallStatus": "in-progress", "Direction": "outbound-api"}
    return signed_post(client, path, {**fields, **({"Digits": digits} if digits is not None else {})})


def test_the_volunteer_hears_whom_they_are_calling_and_presses_one(campaigns: FakeCampaigns) -> None:
    gather = xml(bridge(twiml_client(None, campaigns))).find("Gather")
    assert gather is not None and "Premi 1 per chiamare Giovanna" in (gather.findtext("Say") or "")
    action = urlsplit(gather.attrib["action"])
    assert action.path == "/telephony/twiml/bridge"
    assert dict(parse_qsl(action.query)) == {"contact": str(CONTACT), "volunteer": str(GIULIA), "step": "result"}


def test_on_press_one_the_dial_is_authorised_again_and_the_donor_sees_the_charitys_number(
    campaigns: FakeCampaigns,
) -> None:
    dial = xml(bridge(twiml_client(None, campaigns), "result", "1")).find("Dial")
    assert dial is not None and dial.attrib["callerId"] == CHARITY
    [number] = dial.findall("Number")
    assert number.text == DONOR and number.attrib["statusCallback"] == "/telephony/twiml/status?direction=outbound"
    assert campaigns.dials == [("twilio", "CAbridge0001", GIULIA, DONOR, CONTACT)]  # the provider's own call sid


def test_a_dial_refused_at_that_moment_says_why_and_hangs_up(campaigns: FakeCampaigns) -> None:
    campaigns.refusal = Answer(False, "outside_window", "fuori dalla fascia oraria consentita")
    document = xml(bridge(twiml_client(None, campaigns), "result", "1"))
    assert [child.tag for child in document] == ["Say", "Hangup"]
    assert "fuori dalla fascia oraria consentita" in (document.findtext("Say") or "")


def test_another_key_or_an_unsigned_bridge_dials_nobody(campaigns: FakeCampaigns) -> None:
    client = twiml_client(None, campaigns)
    assert [child.tag for child in xml(bridge(client, "result", "7"))] == ["Hangup"]
    unsigned = client.post(f"/telephony/twiml/bridge?contact={CONTACT}&volunteer={GIULIA}&step=result",
                           data={"CallSid": "CAbridge0001", "Digits": "1"})
    assert unsigned.status_code == 403 and campaigns.dials == []
