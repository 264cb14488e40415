"""What the console reads when calls pass through the charity's SIP proxy (issue 19), over HTTP on a product with
telephony on: the mode and the charity's number for every signed-in screen, the phones ringing and talking for
coordinators only, and an answered routed call as the helpline volunteer's open, network-timed call with the
caller's area; the three screens' new controls labelled in Italian and English."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from services.kernel.clock import FixedClock
from services.kernel.settings import Settings, TelephonySettings
from tests.conftest import RoleClient
from tests.console.test_accessibility import Controls

SECRET = "un-segreto-condiviso-del-centralino"
NUMBER = "+390212345678"
PROXY = {"X-Angeli-Telephony-Secret": SECRET}
GIULIA = {"full_name": "Giulia Rossi", "phone": "+39 333 555 0101", "email": "giulia@example.org",
          "roles": ["helpline"]}


@pytest.fixture
def embedded_settings(tmp_path: Path) -> Settings:
    """Calls pass through the charity's SIP proxy (the product the `client` fixtures build)."""
    return Settings(mode="embedded", data_dir=tmp_path / "var",
                    telephony=TelephonySettings(mode="sip", number=NUMBER, secret=SECRET))


def leg(client: TestClient, clock: FixedClock, call_id: str, leg_id: str, status: str, after: float,
        sequence: int) -> None:
    """The proxy reports one fact of a helpline leg, `after` seconds after the product's now."""
    reported = client.post("/telephony/sip/legs", headers=PROXY, json={
        "call_id": call_id, "leg_id": leg_id, "status": status, "sequence": sequence, "direction": "inbound",
        "at": (clock.now() + timedelta(seconds=after)).timestamp()})
    assert reported.status_code == 204, reported.text


def test_every_screen_reads_the_mode_and_the_charitys_number_and_only_coordinators_read_the_phones(
        client: TestClient, client_as: RoleClient) -> None:
    giulia = client.post("/volunteers", json=GIULIA).json()["id"]
    volunteer = client_as("volunteer", giulia)
    assert volunteer.get("/telephony").json() == {"mode": "sip", "number": NUMBER, "helpline": "helpline"}
    assert client_as("viewer").get("/telephony").json()["mode"] == "sip"
    assert volunteer.get("/telephony/live").status_code == 403  # the board's Phones section stays hidden for them
    assert client_as("viewer").get("/telephony/live").status_code == 403
    assert client_as("coordinator").get("/telephony/live").json() == []
    assert client_as("public").get("/telephony").status_code == 401


def test_an_answered_routed_call_is_the_volunteers_open_network_timed_call_with_the_callers_area(
        client: TestClient, client_as: RoleClient, clock: FixedClock) -> None:
    # Given Giulia on the helpline, clocked in
    giulia = client.post("/volunteers", json=GIULIA).json()["id"]
    assert client.post(f"/volunteers/{giulia}/clock-in").status_code == 200
    volunteer, coordinator = client_as("volunteer", giulia), client_as("coordinator")

    # When a Milan landline calls the helpline, the proxy rings Giulia's phone: the board sees it ringing
    asked = client.post("/telephony/sip/inbound", headers=PROXY,
                        json={"call_id": "c-milano", "line": "helpline", "caller": "02 1234 5678"})
    assert asked.json()["targets"] == [giulia] and asked.json()["caller_id"] == NUMBER
    leg(client, clock, "c-milano", giulia, "ringing", 1, 1)
    assert [(p["volunteer_id"], p["status"], p["direction"]) for p in coordinator.get("/telephony/live").json()] \
        == [(giulia, "ringing", "inbound")]
    assert volunteer.get(f"/volunteers/{giulia}/open-call?kind=inbound").json() is None  # nothing to open yet

    # When she answers, the call is hers, open and network-timed, with the caller's area for the municipality
    leg(client, clock, "c-milano", giulia, "answered", 7, 2)
    assert [p["status"] for p in coordinator.get("/telephony/live").json()] == ["connected"]
    opened: dict[str, Any] = volunteer.get(f"/volunteers/{giulia}/open-call?kind=inbound").json()
    assert opened["timing"] == "network" and opened["caller_area"] == "Milano"
    assert opened["caller_number"] == NUMBER and opened["hung_up_at"] is None and opened["connected_at"]

    # When the caller hangs up after 65 s, the call stays open for her outcome, its talk time the network's
    leg(client, clock, "c-milano", giulia, "completed", 72, 3)
    assert coordinator.get("/telephony/live").json() == []
    closed = volunteer.get(f"/volunteers/{giulia}/open-call?kind=inbound").json()
    assert closed["id"] == opened["id"] and closed["ended_at"] is None
    assert _seconds(closed["hung_up_at"]) - _seconds(closed["connected_at"]) == 65
    ended = volunteer.post(f"/calls/{opened['id']}/end", json={"disposition": "answered", "notes": "orari del centro"})
    assert ended.status_code == 200, ended.text
    assert volunteer.get(f"/volunteers/{giulia}/open-call?kind=inbound").json() is None


def _seconds(iso: str) -> float:
    from datetime import datetime

    return datetime.fromisoformat(iso).timestamp()


LABELS = {
    "/console/calling": {"it": ["Chiama dal tuo telefono", "il donatore vede il tuo numero",
                                "Chiamata tramite l&#39;associazione"],
                         "en": ["Call from your own phone", "the donor sees your own number",
                                "Call through the charity"]},
    "/console/helpline": {"it": ['id="call-timing-badge"'], "en": ['id="call-timing-badge"']},
    "/console/now": {"it": ["Telefoni"], "en": ["Phones"]},
}


@pytest.mark.parametrize("lang", ["it", "en"])
@pytest.mark.parametrize("path", sorted(LABELS))
def test_the_telephony_parts_of_the_screens_are_labelled_in_the_readers_language(client: TestClient, path: str,
                                                                                 lang: str) -> None:
    page = client.get(f"{path}?lang={lang}")
    assert page.status_code == 200
    for text in LABELS[path][lang]:
        assert text in page.text, f"{text!r} missing from {path} in {lang}"
    controls = Controls()
    controls.feed(page.text)
    assert controls.unlabelled() == [] and controls.problems == []
