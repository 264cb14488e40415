"""What the TwiML contract tests share: requests signed as the provider signs them (with the official `twilio`
package, so the product's own signer is not checking itself), a small fake of the port, and an app of the TwiML
routes alone over the kernel's HTTP edge.

The provider itself cannot be reached from these machines: every request here is built as its documentation
describes (form fields CallSid, ParentCallSid, CallStatus, Timestamp in RFC 2822, SequenceNumber, CallDuration).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from types import SimpleNamespace
from typing import Any
from urllib.parse import urlencode
from uuid import UUID
from xml.etree import ElementTree

from fastapi.testclient import TestClient
from twilio.request_validator import RequestValidator

from services.calls.api import twiml as calls_twiml
from services.calls.telephony.port import Decision, LegReport, Target
from services.campaigns.api import twiml as campaigns_twiml
from services.identity.domain import Access
from services.kernel.http import create_api

TOKEN = "b7c0ffee00000000000000000000000d"
PUBLIC = "https://angeli.example.org"
CHARITY = "+390212345678"
HELPLINE = "+390298765432"
GIULIA = UUID("6a0f5d2e-1111-4c2b-9b55-000000000001")
MARCO = UUID("6a0f5d2e-1111-4c2b-9b55-000000000002")
PHONES = {GIULIA: "+393331111111", MARCO: "+393332222222"}


@dataclass(frozen=True)
class TelephonyStub:
    """settings.telephony as TEL19.md names it."""

    mode: str = "twiml"
    number: str = CHARITY
    ring_seconds: int = 20
    public_url: str = PUBLIC
    twilio_account_sid: str = "AC0000000000000000000000000000abcd"
    twilio_auth_token: str = TOKEN
    twilio_api_url: str = "https://api.twilio.com"


def dial_to(*volunteers: UUID, confirm: bool = True) -> Decision:
    return Decision(action="dial", targets=tuple(Target(v, str(v)) for v in volunteers), caller_id=CHARITY,
                    timeout=20, confirm=confirm, fallback=None, hours="", dialback_code=None)


def fallback(kind: str, hours: str = "", code: str | None = None) -> Decision:
    return Decision(action="fallback", targets=(), caller_id=CHARITY, timeout=20, confirm=False,
                    fallback=kind, hours=hours, dialback_code=code)  # type: ignore[arg-type]


@dataclass
class FakeSwitchboard:
    """The port as TEL19.md states it: a report is recorded once per (provider, call, leg, status, sequence)."""

    decisions: list[Decision] = field(default_factory=lambda: [dial_to(GIULIA)])
    asked: list[tuple[str, str, str, str | None, str | None]] = field(default_factory=list)
    reports: list[LegReport] = field(default_factory=list)
    reads: list[tuple[UUID, Access]] = field(default_factory=list)

    def route(self, provider: str, call_id: str, line: str, caller: str | None, *,
              after_leg: str | None = None) -> Decision:
        self.asked.append((provider, call_id, line, caller, after_leg))
        return self.decisions[min(len(self.asked), len(self.decisions)) - 1]

    def report(self, report: LegReport) -> bool:
        key = (report.provider, report.call_id, report.leg_id, report.status, report.sequence)
        if any((r.provider, r.call_id, r.leg_id, r.status, r.sequence) == key for r in self.reports):
            return False
        self.reports.append(report)
        return True

    def volunteer_number(self, volunteer_id: UUID, access: Access) -> str:
        self.reads.append((volunteer_id, access))
        return PHONES[volunteer_id]


def twiml_client(switchboard: Any, campaigns: Any = None, settings: TelephonyStub | None = None,
                 now: datetime | None = None) -> TestClient:
    api = create_api("twiml", [calls_twiml.router, campaigns_twiml.router], {}, lambda: [])
    api.state.product = SimpleNamespace(settings=SimpleNamespace(telephony=settings or TelephonyStub()),
                                        clock=SimpleNamespace(now=lambda: now))
    api.state.applications = {"calls": SimpleNamespace(telephony=switchboard), "campaigns": campaigns}
    return TestClient(api, raise_server_exceptions=False)


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
    assert response.headers["content-type"].startswith("application/xml"), response.text
    return ElementTree.fromstring(response.content)


def status_callback(call_sid: str, status: str, sequence: int, at: str, *, parent: str | None = None,
                    duration: int | None = None) -> dict[str, str]:
    """A status callback's fields as the provider documents them."""
    fields = {"AccountSid": TelephonyStub().twilio_account_sid, "CallSid": call_sid, "CallStatus": status,
              "Timestamp": at, "SequenceNumber": str(sequence), "CallbackSource": "call-progress-events",
              "Direction": "outbound-dial" if parent else "inbound", "From": "+393470000000", "To": HELPLINE,
              "ApiVersion": "2010-04-01"}
    if parent:
        fields["ParentCallSid"] = parent
    if duration is not None:
        fields["CallDuration"] = str(duration)
    return fields
