"""The SIP rig's own self-test: deploy/telephony/kamailio.cfg and the baresip driving in tests/telephony/rig.py,
against a tiny STAND-IN for Angeli's three /telephony/sip/* endpoints (fixed answers, every post recorded).

This proves the Kamailio configuration and the rig, not the product: the product's own scenario tests, against
the real Angeli app (its routing, its Call aggregate, its refusal events), are in test_sip_calls.py.

Real SIP and RTP inside a private network namespace: a caller's phone, two volunteers' phones (manual answer:
the test decides who answers), a donor's phone.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from tests.telephony.rig import Phone, Rig, sip_rig

SECRET = "rig-self-test-secret"
CHARITY = "+390212345678"
CALLER = "+390611111111"
LONELY_CALLER = "+390622222222"  # the stand-in answers "fallback" to this caller (nobody on shift)
VOICEMAIL_CALLER = "+390655555555"  # the stand-in sends this caller to the voicemail's SIP address
NIGHT_CALLER = "+390644444444"  # the stand-in rings A and B at once for this caller (ring-all), then the fallback
DONOR = "+390698765432"  # leased to volunteer A in the stand-in
NOT_LEASED = "+390633333333"
VOLUNTEER_A = str(uuid.UUID(int=0xA))
VOLUNTEER_B = str(uuid.UUID(int=0xB))
CAMPAIGN, CONTACT = str(uuid.UUID(int=0xC1)), str(uuid.UUID(int=0xC2))
RING = 3  # seconds per volunteer


@dataclass
class StandIn:
    """Fixed answers: A first, then B, then the message fallback; DONOR leased to anyone, nothing else."""

    domain: str
    posts: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    bad_secrets: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def answer(self, path: str, body: dict[str, Any]) -> dict[str, Any] | None:
        if path == "/telephony/sip/inbound":
            if body["caller"] == VOICEMAIL_CALLER:
                return {"action": "fallback", "fallback": "voicemail", "uri": "sip:voicemail@" + self.domain,
                        "hours": ""}
            if body["caller"] == NIGHT_CALLER:
                if body["after_leg"] is None:
                    return {"action": "dial", "targets": [VOLUNTEER_A, VOLUNTEER_B], "timeout": RING,
                            "caller_id": CHARITY}
                return {"action": "fallback", "fallback": "message", "uri": None, "hours": "9-18"}
            if body["caller"] == LONELY_CALLER or body["after_leg"] == VOLUNTEER_B:
                return {"action": "fallback", "fallback": "message", "uri": None, "hours": "9-18, Monday to Friday"}
            target = VOLUNTEER_B if body["after_leg"] == VOLUNTEER_A else VOLUNTEER_A
            return {"action": "dial", "targets": [target], "timeout": RING, "caller_id": CHARITY}
        if path == "/telephony/sip/outbound":
            if body["number"] == DONOR:
                return {"action": "dial", "caller_id": CHARITY, "campaign_id": CAMPAIGN, "contact_id": CONTACT}
            return {"action": "refuse", "code": "not_leased", "reason": "Not leased to you"}
        return None

    def legs(self, call_id: str) -> list[dict[str, Any]]:
        with self.lock:
            return [body for path, body in self.posts if path == "/telephony/sip/legs" and body["call_id"] == call_id]

    def asked(self, path: str, call_id: str) -> list[dict[str, Any]]:
        with self.lock:
            return [body for p, body in self.posts if p == path and body["call_id"] == call_id]


def serve(stand_in: StandIn, host: str) -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            if self.headers.get("X-Angeli-Telephony-Secret") != SECRET:
                stand_in.bad_secrets += 1
                self.send_response(403)
                self.end_headers()
                return
            with stand_in.lock:
                stand_in.posts.append((self.path, body))
            answer = stand_in.answer(self.path, body)
            if answer is None:
                self.send_response(204)
                self.end_headers()
                return
            data = json.dumps(answer).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer((host, 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


@dataclass
class Line:
    rig: Rig
    stand_in: StandIn
    caller: Phone
    lonely: Phone
    night: Phone
    voicemail_caller: Phone
    voicemail: Phone
    a: Phone
    b: Phone
    donor: Phone


@pytest.fixture(scope="module")
def line(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Line]:
    home: Path = tmp_path_factory.mktemp("sip-rig")
    with sip_rig(home) as rig:
        stand_in = StandIn(rig.domain)
        server = serve(stand_in, rig.host_address)
        try:
            rig.start_kamailio(f"http://{rig.host_address}:{server.server_port}", SECRET, number=CHARITY)
            yield Line(rig, stand_in, caller=rig.phone(CALLER), lonely=rig.phone(LONELY_CALLER),
                       night=rig.phone(NIGHT_CALLER), voicemail_caller=rig.phone(VOICEMAIL_CALLER),
                       voicemail=rig.phone("voicemail", answermode="auto"),
                       a=rig.phone(VOLUNTEER_A), b=rig.phone(VOLUNTEER_B), donor=rig.phone(DONOR, answermode="auto"))
        finally:
            server.shutdown()
            server.server_close()


def wait_for(condition: Any, timeout: float = 5, message: str = "") -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, message or "condition not met"
        time.sleep(0.05)


def test_helpline_rings_a_who_does_not_answer_then_b_who_answers_talks_and_hangs_up(line: Line) -> None:
    start = time.monotonic()
    line.caller.dial(line.rig.helpline)
    line.a.wait("CALL_INCOMING", 5, after=start)
    call_id = str(line.caller.wait("CALL_RINGING", 5, after=start).data["id"])
    # A lets it ring out; after RING seconds Kamailio asks again and B's phone rings
    ringing_b = line.b.wait("CALL_INCOMING", RING + 4, after=start)
    assert RING - 0.5 < ringing_b.monotonic - start < RING + 2.5
    line.a.wait("CALL_CLOSED", 3, after=start)
    line.b.accept()
    established = line.b.wait("CALL_ESTABLISHED", 5, after=start)
    line.caller.wait("CALL_ESTABLISHED", 5, after=start)

    # audio flows: datagrams arrive inside the namespace at RTP's pace (2 x 50 a second of 20 ms PCMU), and
    # baresip's RTCP statistics count RTP received by B
    before = line.rig.udp_datagrams()
    time.sleep(1)
    assert line.rig.udp_datagrams() - before >= 80
    assert line.b.rtp_received(after=established.monotonic) > 0

    line.b.hangup()
    closed = line.b.wait("CALL_CLOSED", 5, after=established.monotonic)
    line.caller.wait("CALL_CLOSED", 5, after=established.monotonic)
    wait_for(lambda: any(leg["status"] == "completed" for leg in line.stand_in.legs(call_id)), 5,
             f"no completed leg: {line.stand_in.legs(call_id)}\n{line.rig.kamailio_log()[-3000:]}")

    legs = line.stand_in.legs(call_id)
    assert [(leg["leg_id"], leg["status"]) for leg in legs] == [
        (VOLUNTEER_A, "ringing"), (VOLUNTEER_A, "no-answer"),
        (VOLUNTEER_B, "ringing"), (VOLUNTEER_B, "answered"), (VOLUNTEER_B, "completed")]
    assert [leg["sequence"] for leg in legs] == sorted({leg["sequence"] for leg in legs})
    assert all(leg["direction"] == "inbound" for leg in legs)
    assert [leg["after_leg"] for leg in line.stand_in.asked("/telephony/sip/inbound", call_id)] == [None, VOLUNTEER_A]
    assert line.stand_in.asked("/telephony/sip/inbound", call_id)[0]["caller"] == CALLER
    talk = closed.at - established.at  # the SIP dialog's length as B's phone saw it
    answered, completed = legs[3], legs[4]
    assert abs(completed["duration"] - talk) <= 1
    assert abs((completed["at"] - answered["at"]) - talk) <= 1
    assert abs(answered["at"] - established.at) <= 1
    assert line.stand_in.bad_secrets == 0


def test_caller_hangs_up_while_a_volunteer_rings(line: Line) -> None:
    start = time.monotonic()
    line.caller.dial(line.rig.helpline)
    line.a.wait("CALL_INCOMING", 5, after=start)
    call_id = str(line.caller.wait("CALL_RINGING", 5, after=start).data["id"])
    line.caller.hangup()
    line.a.wait("CALL_CLOSED", 5, after=start)
    wait_for(lambda: len(line.stand_in.legs(call_id)) >= 2, 5, f"legs: {line.stand_in.legs(call_id)}")
    time.sleep(0.3)
    assert [(leg["leg_id"], leg["status"]) for leg in line.stand_in.legs(call_id)] == [
        (VOLUNTEER_A, "ringing"), (VOLUNTEER_A, "cancelled")]
    assert not line.b.saw("CALL_INCOMING", after=start)


def test_nobody_on_shift_the_caller_hears_the_fallback(line: Line) -> None:
    start = time.monotonic()
    line.lonely.dial(line.rig.helpline)
    closed = line.lonely.wait("CALL_CLOSED", 5, after=start)
    assert "480" in str(closed.data.get("param")), closed.data
    assert not line.a.saw("CALL_INCOMING", after=start)
    assert not line.b.saw("CALL_INCOMING", after=start)


def test_a_volunteer_dials_a_leased_donor_who_sees_the_charity_number(line: Line) -> None:
    start = time.monotonic()
    line.a.dial(DONOR)
    # the donor's phone answers by itself; the caller it shows is the From of the INVITE it received
    answered = line.donor.wait("CALL_ESTABLISHED", 5, after=start)
    assert answered.data["direction"] == "incoming"
    assert answered.data["peeruri"] == f"sip:{CHARITY}@{line.rig.domain}"
    assert VOLUNTEER_A not in json.dumps(answered.data)
    established = line.a.wait("CALL_ESTABLISHED", 5, after=start)
    call_id = str(established.data["id"])
    time.sleep(1)
    line.a.hangup()
    closed = line.a.wait("CALL_CLOSED", 5, after=start)
    line.donor.wait("CALL_CLOSED", 5, after=start)
    wait_for(lambda: any(leg["status"] == "completed" for leg in line.stand_in.legs(call_id)), 5,
             f"legs: {line.stand_in.legs(call_id)}")

    assert line.stand_in.asked("/telephony/sip/outbound", call_id) == [
        {"call_id": call_id, "volunteer_id": VOLUNTEER_A, "number": DONOR}]
    legs = line.stand_in.legs(call_id)
    assert [leg["status"] for leg in legs if leg["status"] != "ringing"] == ["answered", "completed"]
    assert {(leg["leg_id"], leg["direction"], leg["campaign_id"], leg["contact_id"]) for leg in legs} == {
        (VOLUNTEER_A, "outbound", CAMPAIGN, CONTACT)}
    assert abs(legs[-1]["duration"] - (closed.at - established.at)) <= 1


def test_a_dial_angeli_refuses_is_answered_403_at_the_proxy(line: Line) -> None:
    start = time.monotonic()
    line.a.dial(NOT_LEASED)
    closed = line.a.wait("CALL_CLOSED", 5, after=start)
    assert "403" in str(closed.data.get("param")), closed.data
    assert "Not leased to you" in str(closed.data.get("param")), closed.data
    assert not line.donor.saw("CALL_INCOMING", after=start)
    with line.stand_in.lock:
        refused = [body for path, body in line.stand_in.posts
                   if path == "/telephony/sip/outbound" and body["number"] == NOT_LEASED]
    assert len(refused) == 1 and refused[0]["volunteer_id"] == VOLUNTEER_A
    assert line.stand_in.legs(refused[0]["call_id"]) == []


def test_ring_all_rings_both_volunteers_and_the_one_who_answers_takes_the_call(line: Line) -> None:
    start = time.monotonic()
    line.night.dial(line.rig.helpline)
    line.a.wait("CALL_INCOMING", 5, after=start)
    line.b.wait("CALL_INCOMING", 5, after=start)
    call_id = str(line.night.wait("CALL_RINGING", 5, after=start).data["id"])
    line.b.accept()
    established = line.night.wait("CALL_ESTABLISHED", 5, after=start)
    line.a.wait("CALL_CLOSED", 5, after=start)  # A's phone stops ringing
    line.night.hangup()
    line.b.wait("CALL_CLOSED", 5, after=established.monotonic)
    wait_for(lambda: any(leg["status"] == "completed" for leg in line.stand_in.legs(call_id)), 5,
             f"legs: {line.stand_in.legs(call_id)}\n{line.rig.kamailio_log()[-3000:]}")
    time.sleep(0.3)
    statuses = {(leg["leg_id"], leg["status"]) for leg in line.stand_in.legs(call_id)}
    assert statuses == {(VOLUNTEER_A, "ringing"), (VOLUNTEER_A, "cancelled"), (VOLUNTEER_B, "ringing"),
                        (VOLUNTEER_B, "answered"), (VOLUNTEER_B, "completed")}, line.stand_in.legs(call_id)
    assert [body["after_leg"] for body in line.stand_in.asked("/telephony/sip/inbound", call_id)] == [None]


def test_ring_all_nobody_answers_each_leg_ends_then_angeli_is_asked_again(line: Line) -> None:
    start = time.monotonic()
    line.night.dial(line.rig.helpline)
    line.a.wait("CALL_INCOMING", 5, after=start)
    call_id = str(line.night.wait("CALL_RINGING", 5, after=start).data["id"])
    closed = line.night.wait("CALL_CLOSED", RING + 4, after=start)
    assert "480" in str(closed.data.get("param")), closed.data
    time.sleep(0.3)
    legs = line.stand_in.legs(call_id)
    assert {(leg["leg_id"], leg["status"]) for leg in legs} == {
        (VOLUNTEER_A, "ringing"), (VOLUNTEER_A, "no-answer"), (VOLUNTEER_B, "ringing"), (VOLUNTEER_B, "no-answer")}
    asked = line.stand_in.asked("/telephony/sip/inbound", call_id)
    assert [body["after_leg"] for body in asked] == [None, VOLUNTEER_B]


def test_a_fallback_with_an_address_is_relayed_there(line: Line) -> None:
    start = time.monotonic()
    line.voicemail_caller.dial(line.rig.helpline)
    line.voicemail.wait("CALL_ESTABLISHED", 5, after=start)  # the voicemail answers by itself
    line.voicemail_caller.wait("CALL_ESTABLISHED", 5, after=start)
    assert not line.a.saw("CALL_INCOMING", after=start)
    line.voicemail_caller.hangup()
    line.voicemail.wait("CALL_CLOSED", 5, after=start)
