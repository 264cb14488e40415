"""The helpline's TwiML webhooks end to end through the real product (embedded, SQLite): refused unless signed for
this address with the auth token, the switchboard's decisions as documents, the provider's status callbacks as leg
facts that the port takes once, in any order.

The provider itself is unreachable from these machines: payloads are built and signed as its documentation says
(tests/telephony/twiml_rig.py).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest
from fastapi.testclient import TestClient
from twilio.request_validator import RequestValidator

from services.calls.application import CallsApplication
from services.calls.domain.call import Call
from services.calls.domain.phone_call import PhoneCall, phone_call_id
from services.kernel.clock import FixedClock
from services.kernel.settings import Settings, TelephonySettings
from services.main import Product, build, create_api_for
from tests.telephony.twiml_rig import (
    CALLER,
    CHARITY,
    HELPLINE,
    PUBLIC,
    TOKEN,
    helpline_volunteers,
    inbound,
    signed_post,
    status_callback,
    twiml_settings,
    xml,
)

GIULIA_PHONE, MARCO_PHONE = "+393331111111", "+393332222222"
START = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)  # the clock fixture's instant


@pytest.fixture
def embedded_settings(tmp_path: Path) -> Settings:
    return Settings(mode="embedded", data_dir=tmp_path / "var", telephony=twiml_settings())


@pytest.fixture
def webhooks(product: Product) -> TestClient:
    """The provider's side: no account, no credentials, only the signature."""
    return TestClient(create_api_for(product), raise_server_exceptions=False)


@pytest.fixture
def calls(product: Product) -> CallsApplication:
    application = product.services["calls"].application
    assert isinstance(application, CallsApplication)
    return application


@pytest.fixture
def on_duty(calls: CallsApplication, clock: FixedClock) -> list[UUID]:
    return helpline_volunteers(calls, clock, ("Giulia", GIULIA_PHONE), ("Marco", MARCO_PHONE))


@contextmanager
def served(tmp_path: Path, clock: FixedClock, telephony: TelephonySettings) -> Iterator[TestClient]:
    product = build(Settings(mode="embedded", data_dir=tmp_path / "other", telephony=telephony), clock)
    try:
        yield TestClient(create_api_for(product), raise_server_exceptions=False)
    finally:
        product.stop()


def at(seconds: int) -> str:
    return (START + timedelta(seconds=seconds)).strftime("%a, %d %b %Y %H:%M:%S +0000")


def phone_call(calls: CallsApplication, call_sid: str = "CAparent0001") -> PhoneCall:
    return calls.get(phone_call_id("twilio", call_sid), PhoneCall)


def numbers(response: Any) -> list[str | None]:
    dial = xml(response).find("Dial")
    assert dial is not None, response.text
    return [n.text for n in dial.findall("Number")]


def test_an_inbound_call_rings_the_volunteer_on_duty_from_the_charitys_number(
    webhooks: TestClient, calls: CallsApplication, on_duty: list[UUID],
) -> None:
    answer = signed_post(webhooks, "/telephony/twiml/voice", inbound())
    dial = xml(answer).find("Dial")
    assert dial is not None and dial.attrib["callerId"] == CHARITY and dial.attrib["timeout"] == "20"
    assert numbers(answer) == [GIULIA_PHONE]  # clocked in first: least recently offered
    assert dial.attrib["action"] == f"/telephony/twiml/dial-action?legs={on_duty[0]}"
    assert phone_call(calls).line == HELPLINE
    again = signed_post(webhooks, "/telephony/twiml/voice", inbound())  # the provider retried: the same answer
    assert again.content == answer.content


@pytest.mark.parametrize("how", ["missing", "bad", "another address", "another token", "another field"])
def test_a_request_not_signed_by_the_provider_for_this_address_is_refused_and_nothing_is_stored(
    webhooks: TestClient, calls: CallsApplication, on_duty: list[UUID], how: str,
) -> None:
    voice, fields = "/telephony/twiml/voice", inbound()
    requests = {
        "missing": lambda: signed_post(webhooks, voice, fields, signature=None),
        "bad": lambda: signed_post(webhooks, voice, fields, signature="bm90IGEgc2lnbmF0dXJl"),
        "another address": lambda: signed_post(webhooks, voice, fields, signed_url=f"{PUBLIC}/telephony/twiml/status"),
        "another token": lambda: signed_post(webhooks, voice, fields, token=TOKEN[::-1]),
        "another field": lambda: webhooks.post(voice, data={**fields, "From": "+393479999999"}, headers={
            "X-Twilio-Signature": RequestValidator(TOKEN).compute_signature(PUBLIC + voice, fields)}),
    }
    answer = requests[how]()
    assert answer.status_code == 403, answer.text
    assert answer.json()["detail"].startswith("refused") and "X-Twilio-Signature" in answer.json()["detail"]
    assert not calls.exists(phone_call_id("twilio", "CAparent0001"))  # nothing routed, nobody rung


def test_a_forged_status_callback_changes_nothing(webhooks: TestClient, calls: CallsApplication,
                                                  on_duty: list[UUID]) -> None:
    signed_post(webhooks, "/telephony/twiml/voice", inbound())
    version = phone_call(calls).version
    forged = status_callback("CAchild0001", "in-progress", 2, at(5), parent="CAparent0001")
    path = f"/telephony/twiml/status?leg={on_duty[0]}"
    assert signed_post(webhooks, path, forged, signed_url=f"{PUBLIC}/telephony/twiml/status").status_code == 403
    assert signed_post(webhooks, path, forged, signature=None).status_code == 403
    assert phone_call(calls).version == version and phone_call(calls).call is None


def test_the_routes_are_absent_unless_telephony_is_twiml(tmp_path: Path, clock: FixedClock) -> None:
    with served(tmp_path, clock, TelephonySettings(mode="off")) as off:
        answer = signed_post(off, "/telephony/twiml/voice", inbound())
        assert answer.status_code == 404 and "ANGELI_TELEPHONY is off" in answer.json()["detail"]


def test_behind_a_proxy_the_signed_address_is_the_public_one(webhooks: TestClient, tmp_path: Path,
                                                            clock: FixedClock, on_duty: list[UUID]) -> None:
    local = signed_post(webhooks, "/telephony/twiml/voice", inbound(),
                        signed_url="http://testserver/telephony/twiml/voice")
    assert local.status_code == 403  # the provider called https://angeli.example.org, not this server's own address
    with served(tmp_path, clock, twiml_settings(public_url="")) as direct:  # no public address: the request's own
        answer = signed_post(direct, "/telephony/twiml/voice", inbound(),
                             signed_url="http://testserver/telephony/twiml/voice")
        assert answer.status_code == 200 and answer.headers["content-type"] == "application/xml"


def test_an_unanswered_volunteer_is_recorded_and_the_next_one_rung(
    webhooks: TestClient, calls: CallsApplication, on_duty: list[UUID],
) -> None:
    giulia = on_duty[0]
    signed_post(webhooks, "/telephony/twiml/voice", inbound())
    after = inbound(CallStatus="in-progress", DialCallStatus="no-answer", DialCallSid="CAchild0001")
    answer = signed_post(webhooks, f"/telephony/twiml/dial-action?legs={giulia}", after)
    assert numbers(answer) == [MARCO_PHONE]
    assert phone_call(calls).leg_status(str(giulia)) == "no-answer"
    # The provider's own callback for the same end comes late: no second fact.
    version = phone_call(calls).version
    late = status_callback("CAchild0001", "no-answer", 2, at(21), parent="CAparent0001")
    assert signed_post(webhooks, f"/telephony/twiml/status?leg={giulia}", late).status_code == 204
    assert phone_call(calls).version == version


def test_a_volunteer_without_a_phone_in_the_vault_is_passed_over_not_an_error_for_the_caller(
    webhooks: TestClient, calls: CallsApplication, on_duty: list[UUID],
) -> None:
    giulia = on_duty[0]
    calls.vault.put_many({giulia: {"full_name": "Giulia"}})  # her record kept without a number
    answer = signed_post(webhooks, "/telephony/twiml/voice", inbound())
    assert answer.status_code == 200 and numbers(answer) == [MARCO_PHONE]
    assert phone_call(calls).leg_status(str(giulia)) == "failed"


def test_out_of_order_callbacks_end_the_call_right_with_talk_time_from_the_answer(
    webhooks: TestClient, calls: CallsApplication, on_duty: list[UUID],
) -> None:
    giulia = on_duty[0]
    signed_post(webhooks, "/telephony/twiml/voice", inbound())
    path = f"/telephony/twiml/status?leg={giulia}"
    for status, sequence, second, duration in (("completed", 3, 105, 61), ("in-progress", 2, 44, None),
                                               ("ringing", 1, 3, None)):
        callback = status_callback("CAchild0001", status, sequence, at(second), parent="CAparent0001",
                                   duration=duration)
        assert signed_post(webhooks, path, callback).status_code == 204
    call = calls.get(UUID(str(phone_call(calls).call)), Call)
    assert call.volunteer_id == str(giulia) and call.timing == "network"
    assert call.connected_at == START + timedelta(seconds=44)  # the answer, not the first ring
    assert call.hung_up_at == START + timedelta(seconds=105)


def test_a_replayed_callback_has_no_second_effect(webhooks: TestClient, calls: CallsApplication,
                                                  on_duty: list[UUID]) -> None:
    signed_post(webhooks, "/telephony/twiml/voice", inbound())
    callback = status_callback("CAchild0001", "in-progress", 2, at(9), parent="CAparent0001")
    path = f"/telephony/twiml/status?leg={on_duty[0]}"
    assert signed_post(webhooks, path, callback).status_code == 204
    version, answered = phone_call(calls).version, phone_call(calls).call
    assert signed_post(webhooks, path, callback).status_code == 204
    assert phone_call(calls).version == version and phone_call(calls).call == answered is not None


def test_a_callback_for_a_call_never_routed_here_is_404_and_creates_nothing(
    webhooks: TestClient, calls: CallsApplication,
) -> None:
    answer = signed_post(webhooks, "/telephony/twiml/status", status_callback("CAnobody", "completed", 3, at(9)))
    assert answer.status_code == 404 and "CAnobody" in answer.json()["detail"]
    assert not calls.exists(phone_call_id("twilio", "CAnobody"))


@pytest.mark.parametrize(("field", "value"), [
    ("CallSid", ""), ("CallStatus", "exploded"), ("Timestamp", "yesterday"),
    ("Timestamp", "Mon, 23 Nov 2026 09:00:02 -0000"), ("SequenceNumber", "-1"), ("SequenceNumber", ""),
    ("CallDuration", "1.5"),
])
def test_a_malformed_callback_is_422_naming_the_field_and_nothing_is_stored(
    webhooks: TestClient, calls: CallsApplication, on_duty: list[UUID], field: str, value: str,
) -> None:
    signed_post(webhooks, "/telephony/twiml/voice", inbound())
    version = phone_call(calls).version
    callback = {**status_callback("CAchild0001", "completed", 3, at(45), parent="CAparent0001", duration=40),
                field: value}
    answer = signed_post(webhooks, f"/telephony/twiml/status?leg={on_duty[0]}", callback)
    assert answer.status_code == 422 and answer.json()["detail"].startswith(field), answer.text
    assert phone_call(calls).version == version


def test_with_press_one_the_press_is_the_answer_and_a_pick_up_without_it_is_not(
    webhooks: TestClient, calls: CallsApplication, clock: FixedClock, on_duty: list[UUID],
) -> None:
    giulia, marco = on_duty
    signed_post(webhooks, "/telephony/twiml/voice", inbound())
    status, leg = f"/telephony/twiml/status?leg={giulia}&confirm=1", {"ParentCallSid": "CAparent0001"}
    signed_post(webhooks, status, status_callback("CAchild0001", "in-progress", 2, at(4), parent="CAparent0001"))
    assert phone_call(calls).call is None  # her phone picked up: maybe her voicemail
    prompt = xml(signed_post(webhooks, f"/telephony/twiml/confirm?leg={giulia}", {"CallSid": "CAchild0001", **leg}))
    assert "Premi 1" in (prompt.findtext("Gather/Say") or "")
    clock.advance(timedelta(seconds=7))
    pressed = clock.now()
    taken = signed_post(webhooks, f"/telephony/twiml/confirm?leg={giulia}&step=result",
                        {"CallSid": "CAchild0001", "Digits": "1", **leg})
    assert list(xml(taken)) == []  # an empty document: bridged
    call = calls.get(UUID(str(phone_call(calls).call)), Call)
    assert call.volunteer_id == str(giulia) and call.connected_at == pressed
    signed_post(webhooks, status, status_callback("CAchild0001", "completed", 3, at(90), parent="CAparent0001",
                                                  duration=86))
    assert calls.get(call.id, Call).hung_up_at == START + timedelta(seconds=90)

    # A second caller: Marco picks up and presses 2; the next volunteer is rung (Giulia, free again).
    signed_post(webhooks, "/telephony/twiml/voice", inbound("CAparent0002"))
    declined = signed_post(webhooks, f"/telephony/twiml/confirm?leg={marco}&step=result",
                           {"CallSid": "CAchild0002", "ParentCallSid": "CAparent0002", "Digits": "2"})
    assert [child.tag for child in xml(declined)] == ["Hangup"]
    after = inbound("CAparent0002", CallStatus="in-progress", DialCallStatus="completed", DialBridged="false")
    assert numbers(signed_post(webhooks, f"/telephony/twiml/dial-action?legs={marco}", after)) == [GIULIA_PHONE]
    second = phone_call(calls, "CAparent0002")
    assert second.call is None and second.leg_status(str(marco)) == "no-answer"


def test_the_caller_hanging_up_while_the_phone_rings_is_abandoned(
    webhooks: TestClient, calls: CallsApplication, on_duty: list[UUID],
) -> None:
    signed_post(webhooks, "/telephony/twiml/voice", inbound())
    signed_post(webhooks, f"/telephony/twiml/status?leg={on_duty[0]}",
                status_callback("CAchild0001", "ringing", 1, at(2), parent="CAparent0001"))
    hung_up = status_callback("CAparent0001", "completed", 2, at(8), duration=8)
    assert signed_post(webhooks, "/telephony/twiml/status", hung_up).status_code == 204
    gone = signed_post(webhooks, f"/telephony/twiml/dial-action?legs={on_duty[0]}",
                       inbound(CallStatus="completed", DialCallStatus="canceled"))
    assert [child.tag for child in xml(gone)] == ["Hangup"]
    assert phone_call(calls).outcome == "abandoned" and phone_call(calls).call is None
    assert calls.telephony.live() == []


def test_the_voicemail_ends_with_thanks(webhooks: TestClient) -> None:
    recording = {"RecordingUrl": "https://api.twilio.com/rec/RE1", "RecordingDuration": "12", "From": CALLER}
    document = xml(signed_post(webhooks, "/telephony/twiml/recorded", inbound(**recording)))
    assert [child.tag for child in document] == ["Say", "Hangup"]


def test_nobody_on_duty_gets_the_voicemail_with_the_dial_back_code(webhooks: TestClient,
                                                                    calls: CallsApplication) -> None:
    document = xml(signed_post(webhooks, "/telephony/twiml/voice", inbound()))
    assert [child.tag for child in document] == ["Say", "Record"]
    code = phone_call(calls).offers[0]["dialback_code"]
    assert len(code) == 6 and " ".join(code) in (document.findtext("Say") or "")
    assert phone_call(calls).outcome == "fallback"


def test_a_call_to_another_line_is_422_and_routes_nothing(webhooks: TestClient, calls: CallsApplication,
                                                         on_duty: list[UUID]) -> None:
    answer = signed_post(webhooks, "/telephony/twiml/voice", inbound(To="+390211111111"))
    assert answer.status_code == 422 and "helpline" in answer.json()["detail"]
    assert not calls.exists(phone_call_id("twilio", "CAparent0001"))
