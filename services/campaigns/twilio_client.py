"""The TwiML provider's REST API, the one request Angeli makes of it: start a call (Twilio's POST /Calls; Telnyx
TeXML and SignalWire's compatibility API take the same request). Standard library only."""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from urllib.error import HTTPError, URLError
from urllib.parse import quote, urlencode
from urllib.request import Request, urlopen

from services.kernel.errors import DomainError

TIMEOUT_SECONDS = 10
LEG_EVENTS = ("initiated", "ringing", "answered", "completed")


class ProviderUnavailable(DomainError):
    """The provider did not start the call (unreachable, or it refused the request). Maps to 502."""

    status_code = 502


@dataclass(frozen=True)
class TwilioClient:
    api_url: str  # https://api.twilio.com, or a local stand-in in tests
    sid: str
    token: str

    def start_call(self, to: str, caller_id: str, document_url: str, ring_seconds: int,
                   status_url: str | None = None) -> str:
        """Ring `to` from `caller_id`; on answer the provider runs the TwiML at `document_url`. The call's sid."""
        fields = [("To", to), ("From", caller_id), ("Url", document_url), ("Method", "POST"),
                  ("Timeout", str(ring_seconds))]
        if status_url:
            fields += [("StatusCallback", status_url), ("StatusCallbackMethod", "POST"),
                       *(("StatusCallbackEvent", event) for event in LEG_EVENTS)]
        address = f"{self.api_url.rstrip('/')}/2010-04-01/Accounts/{quote(self.sid, safe='')}/Calls.json"
        credentials = base64.b64encode(f"{self.sid}:{self.token}".encode()).decode()
        request = Request(address, data=urlencode(fields).encode(), method="POST", headers={
            "Authorization": f"Basic {credentials}", "Content-Type": "application/x-www-form-urlencoded",
            "Accept": "application/json"})
        try:
            with urlopen(request, timeout=TIMEOUT_SECONDS) as answer:  # an https URL from settings
                body = json.loads(answer.read() or b"{}")
        except HTTPError as error:
            raise ProviderUnavailable(f"the telephony provider refused to start the call (HTTP {error.code}: "
                                      f"{_message(error)}); nobody was rung") from None
        except (URLError, TimeoutError, OSError) as error:
            reason = getattr(error, "reason", error)
            raise ProviderUnavailable(f"the telephony provider cannot be reached ({reason}); nobody was rung, try "
                                      "again in a minute or use the phone link") from None
        except ValueError:
            raise ProviderUnavailable("the telephony provider answered something that is not JSON; nobody was "
                                      "rung as far as Angeli knows") from None
        sid = body.get("sid") if isinstance(body, dict) else None
        if not isinstance(sid, str) or not sid:
            raise ProviderUnavailable("the telephony provider answered without a call sid; the call may not have "
                                      "started")
        return sid


def _message(error: HTTPError) -> str:
    try:
        body = json.loads(error.read() or b"{}")
    except (ValueError, OSError):
        return error.reason or "no reason given"
    message = body.get("message") if isinstance(body, dict) else None
    return str(message)[:200] if message else str(error.reason or "no reason given")
