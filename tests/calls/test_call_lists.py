"""The lists the helpline screen reads: a volunteer's calls (kind, period, pages), their open call, protocols;
bad input is a clear 4xx, and a volunteer sees only their own calls."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from uuid import uuid4

from fastapi.testclient import TestClient

from services.kernel.clock import FixedClock
from tests.calls.test_api import ASCOLTO, GIULIA, post
from tests.conftest import RoleClient

MARCO = {**GIULIA, "full_name": "Marco Bianchi", "email": "marco@example.org"}


def clocked_in(client: TestClient, person: dict[str, Any]) -> str:
    volunteer: str = post(client, "/volunteers", person, 201)["id"]
    post(client, f"/volunteers/{volunteer}/clock-in")
    return volunteer


def inbound(client: TestClient, volunteer: str, ended: bool = True) -> str:
    call: str = post(client, "/calls", {"volunteer_id": volunteer, "direction": "inbound"}, 201)["id"]
    if ended:
        post(client, f"/calls/{call}/connect")
        post(client, f"/calls/{call}/end", {"disposition": "answered"})
    return call


def listed(client: TestClient, query: str, status: int = 200) -> dict[str, Any]:
    response = client.get(f"/calls?{query}")
    assert response.status_code == status, response.text
    result: dict[str, Any] = response.json()
    return result


def test_a_volunteers_calls_by_kind_and_period_newest_first_a_page_at_a_time(client: TestClient,
                                                                           clock: FixedClock) -> None:
    giulia = clocked_in(client, GIULIA)
    november = inbound(client, giulia)  # Monday 23 November 2026, 10:00 in Rome
    clock.advance(timedelta(minutes=5))
    outbound = post(client, "/calls", {"volunteer_id": giulia, "direction": "outbound",
                                       "campaign_id": str(uuid4()), "contact_id": str(uuid4())}, 201)["id"]
    clock.advance(timedelta(days=10))  # into December: another month of the log
    december = inbound(client, giulia)
    clock.advance(timedelta(minutes=1))

    every = listed(client, f"volunteer_id={giulia}&from=2026-11-01T00:00:00%2B01:00")
    assert [c["id"] for c in every["calls"]] == [december, outbound, november]
    assert every["total"] == 3 and every["next_offset"] is None
    assert every["calls"][0]["disposition"] == "answered" and every["calls"][1]["ended_at"] is None

    helpline = listed(client, f"volunteer_id={giulia}&kind=inbound&from=2026-11-01T00:00:00%2B01:00&limit=1")
    assert [c["id"] for c in helpline["calls"]] == [december]
    assert (helpline["total"], helpline["next_offset"]) == (2, 1)
    second = listed(client, f"volunteer_id={giulia}&kind=inbound&from=2026-11-01T00:00:00%2B01:00&limit=1&offset=1")
    assert [c["id"] for c in second["calls"]] == [november] and second["next_offset"] is None

    november_only = listed(client, f"volunteer_id={giulia}&from=2026-11-01T00:00:00%2B01:00"
                                   "&to=2026-12-01T00:00:00%2B01:00")
    assert [c["id"] for c in november_only["calls"]] == [outbound, november]
    # by default the last 31 days up to now
    assert [c["id"] for c in listed(client, f"volunteer_id={giulia}")["calls"]] == [december, outbound, november]


def test_bad_queries_are_422_with_the_reason_and_unknown_volunteers_404(client: TestClient) -> None:
    giulia = clocked_in(client, GIULIA)
    cases = {
        f"volunteer_id={giulia}&from=2026-12-01T00:00:00%2B01:00&to=2026-11-01T00:00:00%2B01:00": "must be before",
        f"volunteer_id={giulia}&from=2025-01-01T00:00:00%2B01:00&to=2026-11-01T00:00:00%2B01:00": "366 days",
        f"volunteer_id={giulia}&from=2026-11-01T00:00:00": "timezone",
        f"volunteer_id={giulia}&limit=0": "limit",
        f"volunteer_id={giulia}&limit=101": "limit",
        f"volunteer_id={giulia}&offset=-1": "offset",
        f"volunteer_id={giulia}&kind=sideways": "kind",
        "volunteer_id=giulia": "volunteer_id",
        "": "volunteer_id is required",
    }
    for query, reason in cases.items():
        answer = client.get(f"/calls?{query}")
        assert answer.status_code == 422, (query, answer.text)
        assert reason in answer.text, (query, answer.text)
    assert client.get(f"/calls?volunteer_id={uuid4()}").status_code == 404
    assert client.get(f"/volunteers/{uuid4()}/open-call").status_code == 404
    assert client.get(f"/volunteers/{giulia}/open-call?kind=sideways").status_code == 422


def test_a_volunteer_lists_only_their_own_calls_and_resumes_only_their_own(client: TestClient,
                                                                           client_as: RoleClient) -> None:
    giulia, marco = clocked_in(client, GIULIA), clocked_in(client, MARCO)
    giulias = inbound(client, giulia, ended=False)
    inbound(client, marco)
    as_giulia = client_as("volunteer", giulia)

    own = as_giulia.get("/calls")  # no volunteer_id: their own
    assert own.status_code == 200 and [c["id"] for c in own.json()["calls"]] == [giulias]
    assert as_giulia.get(f"/calls?volunteer_id={giulia}").status_code == 200
    refused = as_giulia.get(f"/calls?volunteer_id={marco}")
    assert refused.status_code == 403 and "only their own calls" in refused.text
    assert as_giulia.get(f"/volunteers/{marco}/open-call").status_code == 403
    assert client_as("viewer").get(f"/calls?volunteer_id={giulia}").status_code == 403
    coordinator = client_as("coordinator")
    assert [c["volunteer_id"] for c in coordinator.get(f"/calls?volunteer_id={marco}").json()["calls"]] == [marco]


def test_the_open_call_is_the_latest_not_ended_and_null_once_ended(client: TestClient, client_as: RoleClient,
                                                                   clock: FixedClock) -> None:
    giulia = clocked_in(client, GIULIA)
    as_giulia = client_as("volunteer", giulia)
    assert as_giulia.get(f"/volunteers/{giulia}/open-call").json() is None
    protocol = post(client, "/protocols", ASCOLTO, 201)
    call = inbound(client, giulia, ended=False)
    post(as_giulia, f"/calls/{call}/connect")
    post(as_giulia, f"/calls/{call}/answers", {"protocol_id": protocol["id"], "version": 1,
                                                 "answers": {"sintomi": "no"}})
    clock.advance(timedelta(minutes=3))
    resumed = as_giulia.get(f"/volunteers/{giulia}/open-call?kind=inbound").json()
    assert resumed["id"] == call and resumed["answers"] == {"sintomi": "no"}
    assert resumed["protocol_id"] == protocol["id"] and resumed["protocol_version"] == 1
    assert as_giulia.get(f"/volunteers/{giulia}/open-call?kind=outbound").json() is None
    post(as_giulia, f"/calls/{call}/end", {"disposition": "answered", "notes": "chiede di richiamare domani"})
    assert as_giulia.get(f"/volunteers/{giulia}/open-call").json() is None


def test_protocols_are_listed_by_name_with_their_versions(client: TestClient, client_as: RoleClient) -> None:
    assert client.get("/protocols").json() == []
    ascolto = post(client, "/protocols", ASCOLTO, 201)["id"]
    post(client, f"/protocols/{ascolto}/versions", {"steps": ASCOLTO["steps"]}, 201)
    accoglienza = post(client, "/protocols", {**ASCOLTO, "name": "Accoglienza"}, 201)["id"]
    listed_ = client_as("volunteer", uuid4()).get("/protocols")
    assert listed_.status_code == 200
    assert listed_.json() == [
        {"id": accoglienza, "name": "Accoglienza", "versions": [1], "latest_version": 1},
        {"id": ascolto, "name": "Ascolto anziani", "versions": [1, 2], "latest_version": 2},
    ]
    assert client_as("viewer").get("/protocols").status_code == 403
