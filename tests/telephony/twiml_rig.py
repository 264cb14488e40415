"""What the TwiML contract tests share: requests signed as the provider signs them (with the official `twilio`
package, so the product's own signer is not checking itself), the product configured for a TwiML provider, and a
stand-in for the provider's REST API.

The provider itself cannot be reached from these machines: every request here is built as its documentation
describes (form fields CallSid, ParentCallSid, CallStatus, Timestamp in RFC 2822, SequenceNumber, CallDuration), and
its REST API is played by a tiny HTTP server on 127.0.0.1 that records each POST /Calls.json.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlencode
from uuid import UUID
from xml.etree import ElementTree

import pytest
from fastapi.testclient import TestClient
from twilio.request_validator import RequestValidator

from services.calls.application import CallsApplication
from services.kernel.clock import FixedClock
from services.kernel.settings import TelephonySettings

TOKEN = "b7c0ffee00000000000000000000000d"
SID = "AC0000000000000000000000000000abcd"
PUBLIC = "https://angeli.example.org"
CHARITY = "+390212345678"
HELPLINE = "+390298765432"
CALLER = "+393470000000"


def twiml_settings(api_url: str = "https://api.twilio.com", **changes: Any) -> TelephonySettings:
    """settings.telephony for a TwiML provider, as ANGELI_TELEPHONY=twiml and its companions give it."""
    values: dict[str, Any] = {
        "mode": "twiml", "number": CHARITY, "helpline": HELPLINE, "ring_seconds": 20, "confirm": False,
        "fallback": "voicemail", "hours": "ogni giorno dalle 8 alle 20", "twilio_sid": SID,
        "twilio_auth_token": TOKEN, "public_url": PUBLIC, "twilio_api_url": api_url, **changes}
    return TelephonySettings(**values)


def signed_post(client: TestClient, path: str, fields: dict[str, str], *, token: str = TOKEN,
                signed_url: str | None = None, signature: str | None = "sign") -> Any:
    """POST `fields` form-encoded to `path` (with its query), signed as the provider signs the public URL."""
    url = signed_url or PUBLIC + path
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    if signature == "sign":
        headers["X-Twilio-Signature"] = RequestValidator(token).compute_signature(url, fields)
    elif signature is not None:
        headers["X-Twilio-Signature"] = signature
    return client.post(path, content=urlencode(fields), headers=headers)


def xml(response: Any) -> ElementTree.Element:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/xml"), response.text
    return ElementTree.fromstring(response.content)


def inbound(call_sid: str = "CAparent0001", **more: str) -> dict[str, str]:
    """The fields of the provider's request when a call reaches the charity's number."""
    return {"AccountSid": SID, "CallSid": call_sid, "From": CALLER, "To": HELPLINE, "CallStatus": "ringing",
            "Direction": "inbound", "ApiVersion": "2010-04-01", **more}


def status_callback(call_sid: str, status: str, sequence: int, at: str, *, parent: str | None = None,
                    duration: int | None = None) -> dict[str, str]:
    """A status callback's fields as the provider documents them."""
    fields = {"AccountSid": SID, "CallSid": call_sid, "CallStatus": status, "Timestamp": at,
              "SequenceNumber": str(sequence), "CallbackSource": "call-progress-events",
              "Direction": "outbound-dial" if parent else "inbound", "From": CALLER, "To": HELPLINE,
              "ApiVersion": "2010-04-01"}
    if parent:
        fields["ParentCallSid"] = parent
    if duration is not None:
        fields["CallDuration"] = str(duration)
    return fields


def helpline_volunteers(calls: CallsApplication, clock: FixedClock, *names_and_phones: tuple[str, str]) -> list[UUID]:
    """Helpline volunteers registered (their phones in the vault) and clocked in a second apart, in the order given
    (the first is the least recently offered a call)."""
    ids = []
    for name, phone in names_and_phones:
        volunteer = calls.register_volunteer(name, phone, f"{name.lower()}@angeli.example", ["helpline", "outreach"])
        calls.clock_in(volunteer)
        clock.advance(timedelta(seconds=1))
        ids.append(volunteer)
    return ids


class StandIn(ThreadingHTTPServer):
    """The provider's REST API on 127.0.0.1: records each request, answers as its documentation shows."""

    calls: list[tuple[str, dict[str, list[str]], str]]
    refuse: bool = False  # answer as the provider does a request it will not place

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host!s}:{port}"


class _Handler(BaseHTTPRequestHandler):
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
    server = StandIn(("127.0.0.1", 0), _Handler)
    server.calls = []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()
