"""The helpline's TwiML webhooks as the provider calls them: refused unless signed for this address with the auth
token, the port's decisions as documents, status callbacks as leg reports (the port judges repeats and order).

The provider itself is unreachable from these machines: payloads are built and signed as its documentation says
(tests/telephony/twiml_rig.py); these run against a small fake of the port.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from twilio.request_validator import RequestValidator

from services.calls.telephony.port import LegStatus
from tests.telephony.twiml_rig import (
    CHARITY,
    GIULIA,
    HELPLINE,
    MARCO,
    PHONES,
    PUBLIC,
    TOKEN,
    FakeSwitchboard,
    TelephonyStub,
    dial_to,
    fallback,
    signed_post,
    status_callback,
    twiml_client,
    xml,
)

INBOUND = {"AccountSid": TelephonyStub().twilio_account_sid, "CallSid": "CAparent0001", "From": "+393470000000",
           "To": HELPLINE, "CallStatus": "ringing", "Direction": "inbound", "ApiVersion": "2010-04-01"}
NOW = datetime(2026, 11, 23, 9, 0, 40, tzinfo=UTC)


@pytest.fixture
def port() -> FakeSwitchboard:
    return FakeSwitchboard()


def test_an_inbound_call_rings_the_volunteer_from_the_charitys_number_with_a_press_one(port: FakeSwitchboard) -> None:
    answer = signed_post(twiml_client(port), "/telephony/twiml/voice", INBOUND)

    assert answer.status_code == 200
    assert port.asked == [("twilio", "CAparent0001", HELPLINE, "+393470000000", None)]
    dial = xml(answer).find("Dial")
    assert dial is not None and dial.attrib["callerId"] == CHARITY and dial.attrib["timeout"] == "20"
    assert dial.attrib["answerOnBridge"] == "true" and dial.attrib["action"].startswith("/telephony/twiml/dial-action")
    [number] = dial.findall("Number")
    assert number.text == PHONES[GIULIA]
    assert number.attrib["url"] == f"/telephony/twiml/confirm?leg={GIULIA}"
    assert number.attrib["statusCallback"] == f"/telephony/twiml/status?leg={GIULIA}&confirm=1"
    assert number.attrib["statusCallbackEvent"] == "initiated ringing answered completed"
    assert [(v, a.purpose) for v, a in port.reads] == [(GIULIA, "telephony")]  # the vault read, with its purpose


def test_ring_all_rings_every_target_at_once_and_without_confirmation_no_press_one(port: FakeSwitchboard) -> None:
    port.decisions = [dial_to(GIULIA, MARCO, confirm=False)]
    dial = xml(signed_post(twiml_client(port), "/telephony/twiml/voice", INBOUND)).find("Dial")
    assert dial is not None
    assert [n.text for n in dial.findall("Number")] == [PHONES[GIULIA], PHONES[MARCO]]
    assert all("url" not in n.attrib for n in dial.findall("Number"))
    assert [n.attrib["statusCallback"] for n in dial.findall("Number")] == [
        f"/telephony/twiml/status?leg={GIULIA}", f"/telephony/twiml/status?leg={MARCO}"]


def test_nobody_on_shift_leaves_a_voicemail_with_the_dial_back_code_said(port: FakeSwitchboard) -> None:
    port.decisions = [fallback("voicemail", code="482913")]
    document = xml(signed_post(twiml_client(port), "/telephony/twiml/voice", INBOUND))
    say, record = document.find("Say"), document.find("Record")
    assert say is not None and say.attrib["language"] == "it-IT" and "4 8 2 9 1 3" in (say.text or "")
    assert record is not None and record.attrib["maxLength"] == "120"
    assert record.attrib["action"] == "/telephony/twiml/recorded"
    assert document.find("Dial") is None and port.reads == []


def test_the_message_fallback_says_the_hours_and_hangs_up_and_inputs_are_escaped(port: FakeSwitchboard) -> None:
    port.decisions = [fallback("message", hours='9-18 <Hangup/> & "sempre"')]
    answer = signed_post(twiml_client(port), "/telephony/twiml/voice", INBOUND)
    document = xml(answer)
    assert [child.tag for child in document] == ["Say", "Hangup"]
    assert '9-18 <Hangup/> & "sempre"' in (document[0].text or "")
    assert b"&lt;Hangup/&gt; &amp;" in answer.content  # text, never markup


@pytest.mark.parametrize("how", ["missing", "bad", "another address", "another token", "another field"])
def test_a_request_not_signed_by_the_provider_for_this_address_is_refused_and_nothing_is_recorded(
    port: FakeSwitchboard, how: str,
) -> None:
    client = twiml_client(port)
    callback = status_callback("CAchild0001", "in-progress", 2, "Mon, 23 Nov 2026 09:00:05 +0000", parent="CAp1")
    path = f"/telephony/twiml/status?leg={GIULIA}"
    requests = {
        "missing": lambda: signed_post(client, path, callback, signature=None),
        "bad": lambda: signed_post(client, path, callback, signature="bm90IGEgc2lnbmF0dXJl"),
        "another address": lambda: signed_post(client, path, callback,
                                               signed_url=f"{PUBLIC}/telephony/twiml/status?leg={MARCO}"),
        "another token": lambda: signed_post(client, path, callback, token=TOKEN[::-1]),
        "another field": lambda: client.post(path, data={**callback, "CallStatus": "completed"}, headers={
            "X-Twilio-Signature": RequestValidator(TOKEN).compute_signature(PUBLIC + path, callback)}),
    }
    for route in (path, "/telephony/twiml/voice"):
        answer = requests[how]() if route == path else signed_post(client, route, INBOUND, signature=None)
        assert answer.status_code == 403
        assert "refused" in answer.json()["detail"] and "X-Twilio-Signature" in answer.json()["detail"]
    assert port.reports == [] and port.asked == [] and port.reads == []


def test_without_a_configured_auth_token_every_webhook_is_refused(port: FakeSwitchboard) -> None:
    client = twiml_client(port, settings=TelephonyStub(twilio_auth_token=""))
    answer = signed_post(client, "/telephony/twiml/voice", INBOUND, token="")
    assert answer.status_code == 403 and "ANGELI_TWILIO_AUTH_TOKEN" in answer.json()["detail"]
    assert port.asked == []


def test_the_routes_are_absent_unless_telephony_is_twiml(port: FakeSwitchboard) -> None:
    client = twiml_client(port, settings=TelephonyStub(mode="sip"))
    assert signed_post(client, "/telephony/twiml/voice", INBOUND).status_code == 404
    assert port.asked == []


def test_behind_a_proxy_the_signed_address_is_the_public_one_not_the_servers(port: FakeSwitchboard) -> None:
    client = twiml_client(port)  # the test client calls http://testserver; the provider signed https://angeli…
    assert signed_post(client, "/telephony/twiml/voice", INBOUND).status_code == 200
    local = signed_post(client, "/telephony/twiml/voice", INBOUND, signed_url="http://testserver/telephony/twiml/voice")
    assert local.status_code == 403
    direct = twiml_client(port, settings=TelephonyStub(public_url=""))  # no public address set: the request's own
    assert signed_post(direct, "/telephony/twiml/voice", INBOUND,
                       signed_url="http://testserver/telephony/twiml/voice").status_code == 200


def test_the_volunteer_presses_one_to_take_the_call_anything_else_hangs_up(port: FakeSwitchboard) -> None:
    client = twiml_client(port, now=NOW)
    leg = {"CallSid": "CAchild0001", "ParentCallSid": "CAparent0001", "CallStatus": "in-progress"}
    gather = xml(signed_post(client, f"/telephony/twiml/confirm?leg={GIULIA}", leg)).find("Gather")
    assert gather is not None and gather.attrib["numDigits"] == "1"
    assert gather.attrib["action"] == f"/telephony/twiml/confirm?leg={GIULIA}&step=result"
    assert "Premi 1" in (gather.findtext("Say") or "")
    assert port.reports == []  # asking is not answering
    taken = xml(signed_post(client, f"/telephony/twiml/confirm?leg={GIULIA}&step=result", {**leg, "Digits": "1"}))
    assert taken.tag == "Response" and list(taken) == []  # empty: the legs are bridged
    for digits in ("2", "", "11"):
        declined = xml(signed_post(client, f"/telephony/twiml/confirm?leg={MARCO}&step=result",
                                   {**leg, "Digits": digits}))
        assert [child.tag for child in declined] == ["Hangup"]
    # The press of 1 is the answer (talk time runs from it); anything else counts as not answered, once.
    assert [(r.call_id, r.leg_id, r.status, r.at) for r in port.reports] == [
        ("CAparent0001", str(GIULIA), LegStatus.ANSWERED, NOW), ("CAparent0001", str(MARCO), LegStatus.NO_ANSWER, NOW)]


def test_with_press_one_the_phone_picking_up_is_not_the_answer(port: FakeSwitchboard) -> None:
    client = twiml_client(port)
    for status, sequence in (("ringing", 1), ("in-progress", 2), ("completed", 3)):
        callback = status_callback("CAchild0001", status, sequence, "Mon, 23 Nov 2026 09:00:09 +0000",
                                   parent="CAparent0001")
        assert signed_post(client, f"/telephony/twiml/status?leg={GIULIA}&confirm=1", callback).status_code == 204
    assert [r.status for r in port.reports] == [LegStatus.RINGING, LegStatus.COMPLETED]


def test_an_unanswered_volunteer_is_reported_and_the_next_one_rung(port: FakeSwitchboard) -> None:
    port.decisions = [dial_to(GIULIA), dial_to(MARCO)]
    client = twiml_client(port, now=NOW)
    signed_post(client, "/telephony/twiml/voice", INBOUND)
    after = {**INBOUND, "CallStatus": "in-progress", "DialCallStatus": "no-answer", "DialCallSid": "CAchild0001"}
    answer = signed_post(client, f"/telephony/twiml/dial-action?legs={GIULIA}", after)

    [report] = port.reports
    assert (report.call_id, report.leg_id, report.status, report.at) == ("CAparent0001", str(GIULIA),
                                                                         LegStatus.NO_ANSWER, NOW)
    assert port.asked[-1] == ("twilio", "CAparent0001", HELPLINE, "+393470000000", str(GIULIA))
    dial = xml(answer).find("Dial")
    assert dial is not None and [n.text for n in dial.findall("Number")] == [PHONES[MARCO]]


def test_a_volunteer_who_picked_up_without_pressing_one_is_not_an_answer_and_the_next_is_rung(
    port: FakeSwitchboard,
) -> None:
    port.decisions = [dial_to(GIULIA), dial_to(MARCO)]
    client = twiml_client(port, now=NOW)
    signed_post(client, "/telephony/twiml/voice", INBOUND)
    after = {**INBOUND, "CallStatus": "in-progress", "DialCallStatus": "completed", "DialBridged": "false",
             "DialCallSid": "CAchild0001", "DialCallDuration": "9"}
    dial = xml(signed_post(client, f"/telephony/twiml/dial-action?legs={GIULIA}", after)).find("Dial")
    assert dial is not None and [n.text for n in dial.findall("Number")] == [PHONES[MARCO]]
    assert [(r.leg_id, r.status) for r in port.reports] == [(str(GIULIA), LegStatus.NO_ANSWER)]


def test_an_answered_dial_ends_the_call_and_a_caller_who_hung_up_is_not_rung_for(port: FakeSwitchboard) -> None:
    client = twiml_client(port, now=NOW)
    done = signed_post(client, f"/telephony/twiml/dial-action?legs={GIULIA}",
                       {**INBOUND, "CallStatus": "completed", "DialCallStatus": "completed", "DialCallDuration": "61",
                        "DialBridged": "true"})
    assert [child.tag for child in xml(done)] == ["Hangup"] and port.reports == []
    gone = signed_post(client, f"/telephony/twiml/dial-action?legs={GIULIA}",
                       {**INBOUND, "CallStatus": "completed", "DialCallStatus": "canceled"})
    assert [child.tag for child in xml(gone)] == ["Hangup"]
    assert [r.status for r in port.reports] == [LegStatus.CANCELLED] and port.asked == []


def test_a_status_callback_becomes_the_ports_leg_report(port: FakeSwitchboard) -> None:
    client = twiml_client(port)
    callback = status_callback("CAchild0001", "completed", 3, "Mon, 23 Nov 2026 09:01:45 +0000",
                               parent="CAparent0001", duration=61)
    answer = signed_post(client, f"/telephony/twiml/status?leg={GIULIA}", callback)
    assert answer.status_code == 204 and answer.content == b""
    [report] = port.reports
    assert (report.provider, report.call_id, report.leg_id, report.status, report.sequence, report.duration,
            report.direction) == ("twilio", "CAparent0001", str(GIULIA), LegStatus.COMPLETED, 3, 61, "inbound")
    assert report.at == datetime(2026, 11, 23, 9, 1, 45, tzinfo=UTC)


def test_the_callers_own_leg_and_an_outbound_leg_are_named_as_the_port_expects(port: FakeSwitchboard) -> None:
    client = twiml_client(port)
    signed_post(client, "/telephony/twiml/status", status_callback("CAparent0001", "in-progress", 1,
                                                                    "Mon, 23 Nov 2026 09:00:00 +0000"))
    signed_post(client, "/telephony/twiml/status?direction=outbound",
                status_callback("CAdonor0001", "ringing", 1, "Mon, 23 Nov 2026 09:00:00 +0000", parent="CAvol01"))
    assert [(r.call_id, r.leg_id, r.status, r.direction) for r in port.reports] == [
        ("CAparent0001", "", LegStatus.ANSWERED, "inbound"), ("CAvol01", "CAdonor0001", LegStatus.RINGING, "outbound")]


def test_a_replayed_callback_is_accepted_and_has_no_second_effect(port: FakeSwitchboard) -> None:
    client = twiml_client(port)
    callback = status_callback("CAchild0001", "ringing", 1, "Mon, 23 Nov 2026 09:00:02 +0000", parent="CAparent0001")
    answers = [signed_post(client, f"/telephony/twiml/status?leg={GIULIA}", callback) for _ in range(2)]
    assert [a.status_code for a in answers] == [204, 204]
    assert len(port.reports) == 1


def test_out_of_order_callbacks_reach_the_port_with_the_providers_time_and_sequence(port: FakeSwitchboard) -> None:
    client = twiml_client(port)
    for status, sequence, second in (("completed", 3, 45), ("in-progress", 2, 5), ("ringing", 1, 2)):
        callback = status_callback("CAchild0001", status, sequence, f"Mon, 23 Nov 2026 09:00:{second:02d} +0000",
                                   parent="CAparent0001")
        assert signed_post(client, f"/telephony/twiml/status?leg={GIULIA}", callback).status_code == 204
    assert [(r.status, r.sequence, r.at.second) for r in port.reports] == [
        (LegStatus.COMPLETED, 3, 45), (LegStatus.ANSWERED, 2, 5), (LegStatus.RINGING, 1, 2)]


@pytest.mark.parametrize(("field", "value", "named"), [
    ("CallSid", "", "CallSid"), ("CallStatus", "exploded", "CallStatus"), ("Timestamp", "yesterday", "Timestamp"),
    ("Timestamp", "Mon, 23 Nov 2026 09:00:02 -0000", "Timestamp"), ("SequenceNumber", "-1", "SequenceNumber"),
    ("SequenceNumber", "", "SequenceNumber"), ("CallDuration", "1.5", "CallDuration"),
])
def test_a_malformed_callback_is_422_naming_the_field_and_nothing_is_reported(
    port: FakeSwitchboard, field: str, value: str, named: str,
) -> None:
    callback = {**status_callback("CAchild0001", "completed", 3, "Mon, 23 Nov 2026 09:00:45 +0000",
                                  parent="CAparent0001", duration=40), field: value}
    answer = signed_post(twiml_client(port), f"/telephony/twiml/status?leg={GIULIA}", callback)
    assert answer.status_code == 422 and answer.json()["detail"].startswith(named)
    assert port.reports == []


def test_the_voicemail_ends_with_thanks(port: FakeSwitchboard) -> None:
    recording = {"RecordingUrl": "https://api.twilio.com/rec/RE1", "RecordingDuration": "12"}
    document = xml(signed_post(twiml_client(port), "/telephony/twiml/recorded", {**INBOUND, **recording}))
    assert [child.tag for child in document] == ["Say", "Hangup"]
