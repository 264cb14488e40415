"""Issue 19's "tests with real SIP": real phones (baresip) through the charity's Kamailio (deploy/telephony/) into the
real product, served on the embedded store with ANGELI_TELEPHONY=sip, inside a private network namespace (see
rig.py). Volunteers are registered and clocked in through the API, as the console does; the assertions read the
product's own state: its calls (GET /calls, /calls/{id}), its live board (GET /telephony/live) and the events it
stored (the refusal of a dial, a leg that rang out, an abandoned call).

Clocks: the product's clock starts at the next calling morning (the dialer's window is open then, whatever the real
hour of the run) and runs on in real time; the proxy stamps every leg with the real time. So the tests compare
lengths and differences (talk time against the SIP dialog's length as the phones saw it), never absolute instants
between the two.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.campaigns.conftest import SCRIPT, csv_file, register_file
from tests.conftest import ROME, calling_morning
from tests.console.conftest import Server, served
from tests.telephony.rig import Phone, Rig, sip_rig

SECRET = "rig-product-secret-0123456789"
CHARITY = "+390212345678"
RING = 5  # the product's shortest ring time
HOURS = "ogni giorno 8-20"
HELPLINE_PEOPLE = ["Anna Rossi", "Bruno Bianchi", "Carla Verdi", "Dario Neri", "Elena Galli"]


@dataclass
class Line:
    rig: Rig
    server: Server
    data: Path
    helpline: list[str]  # volunteer ids, in the order they were registered
    outreach: str
    phones: dict[str, Phone]  # volunteer id -> their phone


def _env() -> dict[str, str]:
    return {"ANGELI_TELEPHONY": "sip", "ANGELI_TELEPHONY_NUMBER": CHARITY, "ANGELI_TELEPHONY_HELPLINE": "helpline",
            "ANGELI_TELEPHONY_RING_SECONDS": str(RING), "ANGELI_TELEPHONY_STRATEGY": "linear",
            "ANGELI_TELEPHONY_FALLBACK": "message", "ANGELI_TELEPHONY_HOURS": HOURS,
            "ANGELI_TELEPHONY_SECRET": SECRET}


def ok(response: Any, status: int = 200) -> Any:
    assert response.status_code == status, f"{response.request.method} {response.request.url}: " \
                                           f"{response.status_code} {response.text}"
    return response.json() if response.content else None


@pytest.fixture(scope="module")
def line(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Line]:
    home = tmp_path_factory.mktemp("sip-product")
    with sip_rig(home) as rig, pytest.MonkeyPatch.context() as env:
        for name, value in _env().items():
            env.setenv(name, value)
        with served(home / "var", calling_morning(), host=rig.host_address) as server:
            rig.start_kamailio(server.url, SECRET, number=CHARITY)
            helpline = [ok(server.api.post("/volunteers", json={
                "full_name": name, "phone": f"+39 333 000 00{i:02d}", "email": f"v{i}@angeli.example",
                "roles": ["helpline"]}), 201)["id"] for i, name in enumerate(HELPLINE_PEOPLE)]
            outreach = ok(server.api.post("/volunteers", json={
                "full_name": "Ottavia Fontana", "phone": "+39 333 000 0099", "email": "ottavia@angeli.example",
                "roles": ["outreach"]}), 201)["id"]
            phones = {v: rig.phone(v) for v in [*helpline, outreach]}
            yield Line(rig, server, home / "var", helpline, outreach, phones)


def clock_in(line: Line, *volunteers: str) -> None:
    for volunteer in volunteers:
        assert ok(line.server.api.post(f"/volunteers/{volunteer}/clock-in"))["clocked_in"]
        time.sleep(0.01)  # on duty one after the other: the first clocked in is rung first


def clock_out(line: Line, *volunteers: str) -> None:
    for volunteer in volunteers:
        ok(line.server.api.post(f"/volunteers/{volunteer}/clock-out"))


def stored(line: Line, service: str, topic_end: str) -> list[dict[str, Any]]:
    """The product's stored events of one type (their state), from the embedded store's file."""
    with sqlite3.connect(line.data / f"{service}.events.db") as db:
        rows = db.execute("SELECT topic, state FROM stored_events WHERE topic LIKE ?", (f"%{topic_end}",)).fetchall()
    return [json.loads(state) for _topic, state in rows]


def legs_reported(line: Line, call_id: str) -> list[tuple[str, str]]:
    """(leg, status) of every leg fact the product took for this SIP call, in order."""
    from services.calls.domain.phone_call import phone_call_id
    pid = str(phone_call_id("sip", call_id))
    with sqlite3.connect(line.data / "calls.events.db") as db:
        rows = db.execute("SELECT originator_id, topic, state FROM stored_events WHERE topic LIKE ? "
                          "ORDER BY originator_version", ("%PhoneCall.LegReported",)).fetchall()
    return [(s["leg_id"], s["status"]) for oid, _t, raw in rows
            if str(uuid.UUID(str(oid))) == pid for s in [json.loads(raw)]]


def outcome(line: Line, call_id: str) -> list[str]:
    from services.calls.domain.phone_call import phone_call_id
    pid = phone_call_id("sip", call_id)
    with sqlite3.connect(line.data / "calls.events.db") as db:
        rows = db.execute("SELECT originator_id, topic FROM stored_events WHERE topic LIKE ? ORDER BY "
                          "originator_version", ("%PhoneCall.%",)).fetchall()
    return [topic.rsplit(".", 1)[1] for oid, topic in rows if uuid.UUID(str(oid)) == pid]


def calls_of(line: Line, volunteer: str, kind: str) -> list[dict[str, Any]]:
    return list(ok(line.server.api.get("/calls", params={"volunteer_id": volunteer, "kind": kind}))["calls"])


def wait_for(condition: Any, timeout: float, message: Any = "") -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        assert time.monotonic() < deadline, message() if callable(message) else message
        time.sleep(0.1)


def hung_up_call(line: Line, volunteer: str, kind: str) -> dict[str, Any]:
    """The volunteer's one call of that kind, once the network closed its line (its outcome is the volunteer's to
    give: `ended_at` waits for them; `hung_up_at` is the network's)."""
    def found() -> dict[str, Any] | None:
        listed = calls_of(line, volunteer, kind)
        if len(listed) != 1:
            return None
        one: dict[str, Any] = ok(line.server.api.get(f"/calls/{listed[0]['id']}"))
        return one if one["hung_up_at"] else None
    call: dict[str, Any] = wait_for(
        found, 5, lambda: f"no hung-up {kind} call for {volunteer}: {calls_of(line, volunteer, kind)}")
    return call


def instant(text: str) -> datetime:
    return datetime.fromisoformat(text)


def test_the_helpline_rings_a_who_does_not_answer_then_b_who_talks_and_the_call_is_bs_network_timed(
        line: Line) -> None:
    anna, bruno = line.helpline[:2]
    a, b = line.phones[anna], line.phones[bruno]
    clock_in(line, anna, bruno)
    caller = line.rig.phone("+390255501001")
    start = time.monotonic()
    caller.dial("helpline")
    a.wait("CALL_INCOMING", 5, after=start)
    call_id = str(caller.wait("CALL_RINGING", 5, after=start).data["id"])
    live = ok(line.server.api.get("/telephony/live"))
    assert [(leg["volunteer_id"], leg["status"]) for leg in live] == [(anna, "ringing")]

    # Anna lets it ring out; the product names Bruno next
    rung = b.wait("CALL_INCOMING", RING + 4, after=start)
    assert RING - 0.5 < rung.monotonic - start < RING + 3
    b.accept()
    established = b.wait("CALL_ESTABLISHED", 5, after=start)
    caller.wait("CALL_ESTABLISHED", 5, after=start)
    live = wait_for(lambda: [(leg["volunteer_id"], leg["status"])
                             for leg in ok(line.server.api.get("/telephony/live"))], 5)
    assert live == [(bruno, "connected")]

    before = line.rig.udp_datagrams()  # audio flows both ways (2 x 50 PCMU packets a second)
    time.sleep(1)
    assert line.rig.udp_datagrams() - before >= 80
    assert b.rtp_received(after=established.monotonic) > 0

    b.hangup()
    closed = b.wait("CALL_CLOSED", 5, after=established.monotonic)
    caller.wait("CALL_CLOSED", 5, after=established.monotonic)
    talk = closed.at - established.at  # the SIP dialog's length as Bruno's phone saw it

    call = hung_up_call(line, bruno, "inbound")
    assert call["timing"] == "network"
    assert call["caller_number"] == "+390255501001"
    recorded = (instant(call["hung_up_at"]) - instant(call["connected_at"])).total_seconds()
    assert abs(recorded - talk) <= 1, (recorded, talk)
    assert instant(call["connected_at"]) == instant(call["started_at"])  # talk time runs from the answer
    assert calls_of(line, anna, "inbound") == []  # Anna never answered...
    reported = legs_reported(line, call_id)
    assert (anna, "no-answer") in reported  # ...and her unanswered leg is on the record
    assert [leg for leg in reported if leg[0] == bruno] == [(bruno, "ringing"), (bruno, "answered"),
                                                           (bruno, "completed")]
    assert ok(line.server.api.get("/telephony/live")) == []

    # Bruno gives the outcome on the helpline screen: his hours count the network's talk time
    ok(line.server.api.post(f"/calls/{call['id']}/end", json={"disposition": "answered"}))

    def hours() -> tuple[int, float] | None:
        periods = ok(line.server.api.get(f"/stats/volunteers/{bruno}/hours"))["periods"]
        total = (sum(p["calls"] for p in periods), sum(p["talk_hours"] for p in periods) * 3600)
        return total if total[0] else None
    calls, talk_seconds = wait_for(hours, 10, "Bruno's hours never showed the call")
    assert calls == 1 and abs(talk_seconds - talk) <= 1.5, (talk_seconds, talk)
    clock_out(line, anna, bruno)


def test_the_caller_hangs_up_while_a_volunteers_phone_rings_and_the_call_is_abandoned(line: Line) -> None:
    carla = line.helpline[2]
    clock_in(line, carla)
    caller = line.rig.phone("+390255501002")
    start = time.monotonic()
    caller.dial("helpline")
    line.phones[carla].wait("CALL_INCOMING", 5, after=start)
    call_id = str(caller.wait("CALL_RINGING", 5, after=start).data["id"])
    time.sleep(0.5)
    caller.hangup()
    line.phones[carla].wait("CALL_CLOSED", 5, after=start)
    wait_for(lambda: "Abandoned" in outcome(line, call_id), 5, lambda: outcome(line, call_id))
    assert "Answered" not in outcome(line, call_id)
    assert (carla, "cancelled") in legs_reported(line, call_id)
    assert calls_of(line, carla, "inbound") == []
    assert ok(line.server.api.get("/telephony/live")) == []
    clock_out(line, carla)


def test_nobody_on_duty_the_caller_hears_the_fallback(line: Line) -> None:
    caller = line.rig.phone("+390255501003")
    start = time.monotonic()
    caller.dial("helpline")
    closed = caller.wait("CALL_CLOSED", 5, after=start)
    assert "480" in str(closed.data.get("param")), closed.data
    assert not any(phone.saw("CALL_INCOMING", after=start) for phone in line.phones.values())
    fell_back = stored(line, "calls", "PhoneCall.FellBack")
    assert fell_back and fell_back[-1]["fallback"] == "message"


def test_ten_callers_at_once_five_volunteers_nobody_gets_two_calls_and_nobody_rings_forever(line: Line) -> None:
    clock_in(line, *line.helpline)
    callers = [line.rig.phone(f"+39025550{2000 + n}") for n in range(10)]
    answered: dict[str, float] = {}

    def answer_first(volunteer: str) -> None:
        phone = line.phones[volunteer]
        try:
            phone.wait("CALL_INCOMING", 8, after=start)
        except AssertionError:
            return
        phone.accept()
        answered[volunteer] = time.monotonic()

    start = time.monotonic()
    answering = [threading.Thread(target=answer_first, args=(v,)) for v in line.helpline]
    for thread in answering:
        thread.start()
    for caller in callers:
        caller.dial("helpline")
    for thread in answering:
        thread.join()
    # every caller is either talking or was told the line is busy, within the ring time and some
    bound = RING * len(line.helpline) + 5
    ends = {}
    for caller in callers:
        ends[caller.user] = wait_for(
            lambda c=caller: next((e for e in c.events if e.monotonic >= start
                                   and e.type in ("CALL_ESTABLISHED", "CALL_CLOSED")), None), bound,
            lambda c=caller: f"{c.user} still ringing: {[(e.type, e.data.get('param')) for e in c.events]}")
    talking = [user for user, event in ends.items() if event.type == "CALL_ESTABLISHED"]
    assert len(talking) == len(answered) == len(line.helpline)
    time.sleep(0.5)
    # no volunteer's phone was offered a second call while it held one
    for volunteer in line.helpline:
        incoming = [e for e in line.phones[volunteer].events if e.monotonic >= start and e.type == "CALL_INCOMING"]
        assert len(incoming) == 1, (volunteer, [(e.type, e.data.get("param")) for e in incoming])
    for caller in callers:
        caller.hangup()
    for volunteer in line.helpline:
        line.phones[volunteer].wait("CALL_CLOSED", 5, after=answered[volunteer])
    wait_for(lambda: ok(line.server.api.get("/telephony/live")) == [], 5,
             lambda: ok(line.server.api.get("/telephony/live")))
    clock_out(line, *line.helpline)


def _campaign(line: Line) -> tuple[str, list[dict[str, Any]]]:
    api = line.server.api
    today = line.server.started_at.astimezone(ROME).date()
    files = register_file([], today.isoformat())
    ok(api.post("/suppression/register", files=files["files"], data=files["data"]), 201)
    campaign = ok(api.post("/campaigns", json={
        "name": "Natale SIP", "fund_id": str(uuid.uuid4()), "goal": "10000.00",
        "starts_on": (today - timedelta(days=1)).isoformat(), "ends_on": (today + timedelta(days=30)).isoformat(),
        "script": SCRIPT}), 201)["id"]
    rows = "nome;telefono;comune\nGiulia;02 9876 5432;Milano\nMarco;06 1234 9876;Roma\n"
    imported = ok(api.post(f"/campaigns/{campaign}/contacts/import", files=csv_file(rows)), 201)["contacts"]
    ok(api.post(f"/campaigns/{campaign}/launch"))
    return campaign, imported


def test_a_volunteer_dials_a_leased_donor_who_sees_the_charitys_number_dials_not_leased_or_suppressed_are_refused(
        line: Line) -> None:
    ottavia = line.outreach
    campaign, _contacts = _campaign(line)
    clock_in(line, ottavia)
    offer = wait_for(lambda: ok(line.server.api.post(f"/campaigns/{campaign}/dialer/next",
                                                     json={"volunteer_id": ottavia}))["offer"], 10,
                     "the dialer offered Ottavia no contact")
    leased = "+39" + offer["phone"].replace(" ", "").removeprefix("+39")
    other = "+390612349876" if leased == "+390298765432" else "+390298765432"
    donor = line.rig.phone(leased, answermode="auto")
    phone = line.phones[ottavia]

    start = time.monotonic()
    phone.dial(leased)
    seen = donor.wait("CALL_ESTABLISHED", 5, after=start)  # the donor's phone answers by itself
    assert seen.data["peeruri"] == f"sip:{CHARITY}@{line.rig.domain}"
    assert ottavia not in json.dumps(seen.data)
    established = phone.wait("CALL_ESTABLISHED", 5, after=start)
    time.sleep(1)
    phone.hangup()
    closed = phone.wait("CALL_CLOSED", 5, after=start)
    donor.wait("CALL_CLOSED", 5, after=start)
    call = hung_up_call(line, ottavia, "outbound")
    assert (call["campaign_id"], call["contact_id"], call["timing"]) == (campaign, offer["contact_id"], "network")
    recorded = (instant(call["hung_up_at"]) - instant(call["connected_at"])).total_seconds()
    assert abs(recorded - (closed.at - established.at)) <= 1
    allowed = [d for d in stored(line, "campaigns", "Dial.Allowed") if d["contact_id"] == offer["contact_id"]]
    assert allowed and allowed[0]["caller_id"] == CHARITY

    # the same volunteer dialling a number that is not leased to them: refused at the proxy, and on the record
    start = time.monotonic()
    phone.dial(other)
    refused = phone.wait("CALL_CLOSED", 5, after=start)
    assert "403" in str(refused.data.get("param")), refused.data
    refusals = stored(line, "campaigns", "Dial.Refused")
    assert [r["code"] for r in refusals] == ["not_leased"]
    assert [c["id"] for c in calls_of(line, ottavia, "outbound")] == [call["id"]]  # no Call for a refused dial

    # the donor asks (by e-mail) never to be called again while the contact is still leased to Ottavia: her next
    # dial to them is refused at the moment of dialling, not only at the next lease
    ok(line.server.api.post("/suppression/opt-outs", json={"phone": leased, "source": "e-mail to the office"}), 201)
    start = time.monotonic()
    phone.dial(leased)
    refused = phone.wait("CALL_CLOSED", 5, after=start)
    assert "403" in str(refused.data.get("param")), refused.data
    assert not donor.saw("CALL_INCOMING", after=start) and not donor.saw("CALL_ESTABLISHED", after=start)
    refusals = stored(line, "campaigns", "Dial.Refused")
    assert [r["code"] for r in refusals] == ["not_leased", "suppressed"]
    clock_out(line, ottavia)
