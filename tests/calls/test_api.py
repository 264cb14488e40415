"""The calls HTTP API end to end: shifts, clock-in, calls, protocols, directory; clear 4xx, nothing partial."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from fastapi.testclient import TestClient

from services.kernel.clock import FixedClock
from services.main import Product

GIULIA = {"full_name": "Giulia Rossi", "phone": "+39 02 1234 5678", "email": "giulia@example.org",
          "roles": ["helpline", "outreach"]}
CHIARA = {**GIULIA, "full_name": "Chiara Neri", "email": "chiara@example.org", "roles": ["coordinator"]}
DIRECTORY = "\ufeffistat_code;municipality;category;number\n015146;Milano;health;02 8578 1\n013041;Cantù;health;118\n"
ASCOLTO = {"name": "Ascolto anziani", "steps": [
    {"key": "sintomi", "question": "Ha febbre?", "choices": ["si", "no"], "redirect_when": "si",
     "redirect_to": "health"}]}


def post(client: TestClient, path: str, body: dict[str, Any] | None = None, status: int = 200) -> dict[str, Any]:
    response = client.post(path, json=body)
    assert response.status_code == status, response.text
    result: dict[str, Any] = response.json()
    return result


def test_a_helpline_shift_from_sign_up_to_redirected_call_and_statistics(client: TestClient,
                                                                        product: Product) -> None:
    giulia = post(client, "/volunteers", GIULIA, 201)["id"]
    shift = post(client, "/shifts", {"starts_at": "2026-11-23T09:30:00+01:00", "ends_at": "2026-11-23T13:30:00+01:00",
                                     "capacity": 3}, 201)
    assert shift["starts_at"] == "2026-11-23T09:30:00+01:00"
    post(client, f"/shifts/{shift['id']}/sign-ups", {"volunteer_id": giulia})
    presence = post(client, f"/volunteers/{giulia}/clock-in")
    assert presence["clocked_in"] and presence["shift_id"] == shift["id"]
    assert presence["clocked_in_at"] == "2026-11-23T10:00:00+01:00"
    report = client.post("/directory/imports", files={"file": ("comuni.csv", DIRECTORY.encode(), "text/csv")})
    assert {k: v for k, v in report.json().items() if k not in ("lines", "committed")} == {
        "numbers_added": 2, "already_listed": 0, "municipalities_listed": 2, "errors": []}
    protocol = post(client, "/protocols", ASCOLTO, 201)
    call = post(client, "/calls", {"volunteer_id": giulia, "direction": "inbound"}, 201)
    post(client, f"/calls/{call['id']}/connect")
    post(client, f"/calls/{call['id']}/answers", {"protocol_id": protocol["id"], "version": 1,
                                                  "answers": {"sintomi": "si"}})
    redirected = post(client, f"/calls/{call['id']}/redirect", {"step": "sintomi", "istat_code": "015146"})
    assert redirected["redirects"][0]["target"] == "+390285781"
    ended = post(client, f"/calls/{call['id']}/end", {"disposition": "answered", "notes": "Febbre alta"})
    assert ended["disposition"] == "answered" and ended["notes"] == "Febbre alta"
    product.catch_up()
    assert client.get("/stats/calls").json()["calls_ended"] == 1
    assert client.get("/stats/outcomes").json()["calls_handled"] == 1
    found = client.get("/directory", params={"municipality": "CANTU"}).json()
    assert found == [{"istat_code": "013041", "name": "Cantù", "numbers": [{"category": "health", "number": "118"}]}]
    assert client.get("/directory", params={"municipality": "mil", "category": "social"}).json()[0]["numbers"] == []


def test_rule_breaks_are_409_with_the_reason(client: TestClient) -> None:
    giulia = post(client, "/volunteers", GIULIA, 201)["id"]
    post(client, f"/volunteers/{giulia}/clock-in")
    again = client.post(f"/volunteers/{giulia}/clock-in")
    assert again.status_code == 409 and again.json()["error"] == "DoubleClockIn"
    call = post(client, "/calls", {"volunteer_id": giulia, "direction": "inbound"}, 201)
    post(client, f"/calls/{call['id']}/end", {"disposition": "abandoned"})
    twice = client.post(f"/calls/{call['id']}/end", json={"disposition": "abandoned"})
    assert twice.status_code == 409 and "already ended" in twice.json()["detail"]


def test_coordinator_correction_over_http(client: TestClient, clock: FixedClock) -> None:
    giulia, chiara = post(client, "/volunteers", GIULIA, 201)["id"], post(client, "/volunteers", CHIARA, 201)["id"]
    post(client, f"/volunteers/{giulia}/clock-in")
    clock.advance(timedelta(hours=20))
    naive = client.post(f"/volunteers/{giulia}/clock-out-corrections",
                        json={"at": "2026-11-23T09:30:00", "coordinator_id": chiara})
    assert naive.status_code == 422 and "timezone" in naive.json()["detail"]
    early = client.post(f"/volunteers/{giulia}/clock-out-corrections",
                        json={"at": "2026-11-23T09:30:00+01:00", "coordinator_id": chiara})
    assert early.status_code == 409 and early.json()["error"] == "ClockOutBeforeClockIn"
    assert not post(client, f"/volunteers/{giulia}/clock-out-corrections",
                    {"at": "2026-11-23T13:00:00Z", "coordinator_id": chiara})["clocked_in"]


def test_invalid_input_is_422_and_stores_nothing(client: TestClient, product: Product) -> None:
    giulia = post(client, "/volunteers", GIULIA, 201)["id"]
    head = product.feeds["calls"].head()
    bad = [
        ("/shifts", {"starts_at": "2026-11-24T10:00:00", "ends_at": "2026-11-24T12:00:00+01:00"}),
        ("/shifts", {"starts_at": "2026-11-24T12:00:00+01:00", "ends_at": "2026-11-24T10:00:00+01:00"}),
        ("/shifts", {"starts_at": "2026-11-24T10:00:00+01:00", "ends_at": "2026-11-24T12:00:00+01:00",
                     "role": "boss"}),
        (f"/volunteers/{giulia}/training", {"session": "Ascolto", "hours": "-2", "trained_on": "2026-11-20"}),
        (f"/volunteers/{giulia}/training", {"session": "Ascolto", "hours": "2", "trained_on": "2026-11-20",
                                            "extra": 1}),
        (f"/volunteers/{giulia}/status", {"status": "retired"}),
        ("/calls", {"volunteer_id": giulia, "direction": "sideways"}),
        ("/protocols", {"name": "Vuoto", "steps": []}),
        ("/protocols", {"name": "Chiave", "steps": [{"key": "Chiave Brutta", "question": "?"}]}),
    ]
    for path, body in bad:
        response = client.post(path, json=body)
        assert response.status_code == 422, (path, body, response.text)
        assert response.json()["detail"]
    assert client.get("/directory/municipalities/15146").status_code == 422
    assert client.get("/directory", params={"municipality": "x"}).status_code == 422
    assert client.get("/stats/hours", params={"period": "year"}).status_code == 422
    unreadable = client.post("/directory/imports", files={"file": ("x.csv", b"\xff\xfe", "text/csv")})
    assert unreadable.status_code == 422 and "UTF-8" in unreadable.json()["detail"]
    assert product.feeds["calls"].head() == head


def test_unknown_things_are_404(client: TestClient) -> None:
    nobody = "5b0c1f0e-0000-4000-8000-000000000000"
    assert client.post(f"/volunteers/{nobody}/clock-in").status_code == 404
    assert client.get(f"/shifts/{nobody}").status_code == 404
    assert client.get(f"/calls/{nobody}").status_code == 404
    assert client.get(f"/protocols/{nobody}").status_code == 404
    assert client.get("/directory/municipalities/015146").status_code == 404


def test_a_retried_clock_in_with_the_same_key_clocks_in_once(client: TestClient, product: Product) -> None:
    giulia = post(client, "/volunteers", GIULIA, 201)["id"]
    key = {"Idempotency-Key": "giulia-clock-in-2026-11-23"}
    first = client.post(f"/volunteers/{giulia}/clock-in", headers=key)
    again = client.post(f"/volunteers/{giulia}/clock-in", headers=key)
    assert first.status_code == again.status_code == 200
    assert again.json() == first.json() and again.headers["Idempotent-Replay"] == "true"
    clock_ins = [m for m in product.feeds["calls"].read(0)[0] if m.type == "Presence.ClockedIn"]
    assert len(clock_ins) == 1
