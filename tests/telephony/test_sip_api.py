"""The SIP proxy's routes on the embedded product: the shared secret or nothing, malformed questions refused with
the field named, an inbound call routed and timed by the network, and a volunteer's dial checked at the moment of
dialling against the lease, the suppression list and the calling window — every answer on the record."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from uuid import UUID

from fastapi.testclient import TestClient

from services.calls.application import CallsApplication
from services.calls.domain.call import Call
from services.calls.domain.phone_call import PhoneCall, phone_call_id
from services.campaigns.domain.dial import Dial, dial_id
from services.kernel.clock import FixedClock
from services.kernel.settings import Settings
from services.main import Product, build, create_api_for
from tests.campaigns.conftest import app_of, launched
from tests.telephony.conftest import PROXY

ROWS = "nome;telefono;comune\nGiulia;02 1234 5678;Milano\n"


def calls_of(product: Product) -> CallsApplication:
    application = product.services["calls"].application
    assert isinstance(application, CallsApplication)
    return application


def volunteer(client: TestClient, product: Product, name: str, roles: list[str]) -> str:
    created = client.post("/volunteers", json={"full_name": name, "phone": "+39 333 123 4567",
                                               "email": f"{name.lower()}@example.org", "roles": roles})
    assert created.status_code == 201, created.text
    volunteer_id: str = created.json()["id"]
    assert client.post(f"/volunteers/{volunteer_id}/clock-in").status_code == 200
    product.catch_up()  # the campaigns service learns the clock-in from the calls feed
    return volunteer_id


def leg(client: TestClient, clock: FixedClock, **fields: Any) -> int:
    at = (clock.now() + timedelta(seconds=fields.pop("after", 0))).timestamp()
    body = {"leg_id": "", "direction": "inbound", "sequence": 1, "at": at, **fields}
    return client.post("/telephony/sip/legs", json=body, headers=PROXY).status_code


def test_without_the_shared_secret_nothing_is_read_or_stored(client: TestClient, product: Product) -> None:
    question = {"call_id": "a@10.0.0.1", "line": "helpline", "caller": "+390212345678"}
    for headers in ({}, {"X-Angeli-Telephony-Secret": "not-the-secret-at-all"}):
        response = client.post("/telephony/sip/inbound", json=question, headers=headers)
        assert response.status_code == 403 and "X-Angeli-Telephony-Secret" in response.json()["detail"]
        assert client.post("/telephony/sip/outbound", headers=headers, json={
            "call_id": "b", "volunteer_id": "00000000-0000-0000-0000-000000000001", "number": "021234"}
        ).status_code == 403
    assert not calls_of(product).exists(phone_call_id("sip", "a@10.0.0.1"))
    assert not app_of(product).exists(dial_id("sip", "b"))


def test_malformed_questions_and_reports_name_what_is_wrong(client: TestClient, clock: FixedClock) -> None:
    assert client.post("/telephony/sip/inbound", json={"call_id": "x", "line": "sales"},
                       headers=PROXY).json()["detail"].startswith("line 'sales' is not")
    bad = client.post("/telephony/sip/inbound", json={"call_id": "x y", "line": "helpline"}, headers=PROXY)
    assert bad.status_code == 422 and "call_id" in bad.text
    assert client.post("/telephony/sip/inbound", json={"call_id": "x", "line": "helpline", "extra": 1},
                       headers=PROXY).status_code == 422
    status = client.post("/telephony/sip/legs", headers=PROXY, json={
        "call_id": "x", "status": "picked-up", "at": clock.now().timestamp(), "sequence": 1, "direction": "inbound"})
    assert status.status_code == 422 and "status must be one of" in status.json()["detail"]
    assert leg(client, clock, call_id="never-routed", status="completed") == 404


def test_a_helpline_call_is_routed_answered_and_timed_by_the_network(client: TestClient, product: Product,
                                                                     clock: FixedClock) -> None:
    anna = volunteer(client, product, "Anna", ["helpline"])
    clock.advance(timedelta(minutes=1))  # Bruno clocks in after Anna: she is rung first
    bruno = volunteer(client, product, "Bruno", ["helpline"])
    first = client.post("/telephony/sip/inbound", headers=PROXY,
                        json={"call_id": "c1@edge", "line": "helpline", "caller": "02 8765 4321"}).json()
    assert first == {"action": "dial", "targets": [anna], "timeout": 20, "caller_id": "+390212345678",
                     "fallback": None, "uri": None, "hours": ""}
    assert leg(client, clock, call_id="c1@edge", leg_id=anna, status="ringing", after=1) == 204
    live = client.get("/telephony/live").json()
    assert [(v["volunteer_id"], v["status"]) for v in live] == [(anna, "ringing")]
    assert leg(client, clock, call_id="c1@edge", leg_id=anna, status="no-answer", sequence=2, after=20) == 204
    second = client.post("/telephony/sip/inbound", headers=PROXY,
                         json={"call_id": "c1@edge", "line": "helpline", "after_leg": anna}).json()
    assert second["targets"] == [bruno]
    assert leg(client, clock, call_id="c1@edge", leg_id=bruno, status="answered", after=24) == 204
    assert leg(client, clock, call_id="c1@edge", leg_id=bruno, status="answered", after=24) == 204  # a repeat
    call_id = calls_of(product).get(phone_call_id("sip", "c1@edge"), PhoneCall).call
    assert leg(client, clock, call_id="c1@edge", leg_id=bruno, status="completed", sequence=2, after=24 + 95) == 204
    call = client.get(f"/calls/{call_id}").json()
    assert call["volunteer_id"] == bruno and call["timing"] == "network" and call["talk_seconds"] == 95
    assert call["caller_number"] == "+390287654321" and call["caller_area"] == "Milano"
    assert call["ended_at"] is None  # Bruno's wrap-up: the outcome is his to give
    ended = client.post(f"/calls/{call_id}/end", json={"disposition": "answered", "notes": "turni"})
    assert ended.status_code == 200 and ended.json()["talk_seconds"] == 95
    product.catch_up()
    statistics = client.get("/stats/calls").json()
    assert statistics["calls_ended"] == 1 and statistics["network_timed"] == 1
    hours = client.get(f"/stats/volunteers/{bruno}/hours").json()["periods"][0]
    assert hours["calls"] == 1 and round(hours["talk_hours"] * 3600) == 95  # the network's talk time
    assert client.get("/telephony/live").json() == []
    assert client.get("/telephony").json() == {"mode": "sip", "number": "+390212345678", "helpline": "helpline"}


def test_a_forgotten_wrap_up_ends_as_answered_after_the_wrap_up_time(client: TestClient, product: Product,
                                                                      clock: FixedClock) -> None:
    anna = volunteer(client, product, "Anna", ["helpline"])
    client.post("/telephony/sip/inbound", headers=PROXY, json={"call_id": "c2", "line": "helpline"})
    leg(client, clock, call_id="c2", leg_id=anna, status="answered", after=2)
    leg(client, clock, call_id="c2", leg_id=anna, status="completed", sequence=2, after=62)
    calls = calls_of(product)
    assert calls.telephony.end_forgotten_wrap_ups() == 0
    clock.advance(timedelta(minutes=11))  # hung up at +62 s: ten minutes later is 11:02
    assert calls.telephony.end_forgotten_wrap_ups() == 0
    clock.advance(timedelta(seconds=3))
    assert calls.telephony.end_forgotten_wrap_ups() == 1
    call = client.get(f"/calls/{calls.get(phone_call_id('sip', 'c2'), PhoneCall).call}").json()
    assert call["disposition"] == "answered" and call["talk_seconds"] == 60
    assert calls.telephony.end_forgotten_wrap_ups() == 0


def dial(client: TestClient, call_id: str, volunteer_id: str, number: str) -> dict[str, Any]:
    response = client.post("/telephony/sip/outbound", headers=PROXY,
                           json={"call_id": call_id, "volunteer_id": volunteer_id, "number": number})
    assert response.status_code == 200, response.text
    answer: dict[str, Any] = response.json()
    return answer


def test_a_volunteer_dials_only_the_donor_leased_to_them_inside_the_window(client: TestClient, product: Product,
                                                                           clock: FixedClock) -> None:
    campaign_id = launched(client, rows=ROWS)
    giulia = volunteer(client, product, "Giulia", ["outreach"])
    marco = volunteer(client, product, "Marco", ["outreach"])
    offer = client.post(f"/campaigns/{campaign_id}/dialer/next", json={"volunteer_id": giulia}).json()["offer"]
    allowed = dial(client, "o1", giulia, "02 1234 5678")
    assert allowed == {"action": "dial", "caller_id": "+390212345678", "campaign_id": campaign_id,
                       "contact_id": offer["contact_id"], "code": "", "reason": ""}
    assert dial(client, "o1", giulia, "02 1234 5678") == allowed  # the proxy asks again: the same answer
    recorded = app_of(product).get(dial_id("sip", "o1"), Dial)
    assert recorded.allowed and recorded.caller_id == "+390212345678"  # the presented number, on the record
    assert dial(client, "o2", marco, "02 1234 5678")["code"] == "not_leased"  # leased to Giulia, not to Marco
    assert dial(client, "o3", giulia, "06 1111 2222")["code"] == "not_leased"  # a number nobody leased her
    refused = app_of(product).get(dial_id("sip", "o3"), Dial)
    assert refused.allowed is False and refused.code == "not_leased" and refused.volunteer_id == giulia


def test_a_dial_after_the_window_closed_is_refused_as_outside_the_window(
        client: TestClient, product: Product, clock: FixedClock) -> None:
    campaign_id = launched(client, rows=ROWS)
    giulia = volunteer(client, product, "Giulia", ["outreach"])
    clock.advance(timedelta(hours=9, minutes=58))  # 19:58 in Rome: two minutes of the window left
    offer = client.post(f"/campaigns/{campaign_id}/dialer/next", json={"volunteer_id": giulia}).json()["offer"]
    assert offer is not None
    clock.advance(timedelta(minutes=3))  # 20:01: the lease ended with the window; the refusal says why
    late = dial(client, "o4", giulia, "+390212345678")
    assert late["action"] == "refuse" and late["code"] == "outside_window", late
    assert app_of(product).get(dial_id("sip", "o4"), Dial).code == "outside_window"


def test_an_opted_out_donor_is_refused_at_the_moment_of_dialling(client: TestClient, product: Product) -> None:
    campaign_id = launched(client, rows=ROWS)
    giulia = volunteer(client, product, "Giulia", ["outreach"])
    client.post(f"/campaigns/{campaign_id}/dialer/next", json={"volunteer_id": giulia})
    opted = client.post("/suppression/opt-outs", json={"phone": "02 1234 5678", "source": "e-mail to the office"})
    assert opted.status_code == 201, opted.text
    refused = dial(client, "o5", giulia, "02 1234 5678")
    assert refused["action"] == "refuse" and refused["code"] == "suppressed", refused


def test_an_allowed_dial_is_timed_by_the_network_and_an_unanswered_one_ends_by_itself(
        client: TestClient, product: Product, clock: FixedClock) -> None:
    campaign_id = launched(client, rows=ROWS + "Marco;06 9876 5432;Roma\n")
    giulia = volunteer(client, product, "Giulia", ["outreach", "helpline"])
    offer = client.post(f"/campaigns/{campaign_id}/dialer/next", json={"volunteer_id": giulia}).json()["offer"]
    answer = dial(client, "o6", giulia, offer["phone"])
    common = {"call_id": "o6", "leg_id": giulia, "direction": "outbound", "campaign_id": answer["campaign_id"],
              "contact_id": answer["contact_id"]}
    assert leg(client, clock, status="ringing", sequence=1, **common) == 204
    assert client.post("/telephony/sip/inbound", headers=PROXY,  # on a call: the helpline does not ring her
                       json={"call_id": "in", "line": "helpline"}).json()["action"] == "fallback"
    assert leg(client, clock, status="answered", sequence=2, after=8, **common) == 204
    assert leg(client, clock, status="completed", sequence=3, after=8 + 200, **common) == 204
    open_call = client.get(f"/volunteers/{giulia}/open-call", params={"kind": "outbound"}).json()
    assert open_call["timing"] == "network" and open_call["talk_seconds"] == 200
    assert client.post(f"/calls/{open_call['id']}/end", json={"disposition": "pledged"}).status_code == 200
    product.catch_up()
    second = client.post(f"/campaigns/{campaign_id}/dialer/next", json={"volunteer_id": giulia}).json()["offer"]
    dial(client, "o7", giulia, second["phone"])
    common = {**common, "call_id": "o7", "contact_id": second["contact_id"]}
    assert leg(client, clock, status="busy", sequence=1, after=3, **common) == 204
    calls = calls_of(product)
    busy = calls.get(UUID(str(calls.get(phone_call_id("sip", "o7"), PhoneCall).call)), Call)
    assert busy.disposition is not None and busy.disposition.value == "busy"


def test_an_installation_without_telephony_has_no_proxy_routes(tmp_path: Any, clock: FixedClock) -> None:
    product = build(Settings(mode="embedded", data_dir=tmp_path / "off"), clock)
    try:
        client = TestClient(create_api_for(product), raise_server_exceptions=False)
        response = client.post("/telephony/sip/inbound", headers=PROXY, json={"call_id": "x", "line": "helpline"})
        assert response.status_code == 404 and "ANGELI_TELEPHONY is off" in response.json()["detail"]
    finally:
        product.stop()
