"""The live board's routes: the state for coordinators and viewers, names only for coordinators and only of
volunteers on the board, and the server-sent events stream over real HTTP (uvicorn) carrying a clock-in."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import httpx
import pytest
import uvicorn
from fastapi.testclient import TestClient

from services.kernel.clock import FixedClock
from services.main import Product, create_api_for
from tests.conftest import RoleClient, api_key, free_port

GIULIA = {"full_name": "Giulia Rossi", "phone": "+39 02 1234 5678", "email": "giulia@example.org",
          "roles": ["helpline"]}
CHIARA = {**GIULIA, "full_name": "Chiara Neri", "email": "chiara@example.org", "roles": ["coordinator"]}
MARCO = {**GIULIA, "full_name": "Marco Bianchi", "email": "marco@example.org"}


def registered(client: TestClient, person: dict[str, Any]) -> str:
    response = client.post("/volunteers", json=person)
    assert response.status_code == 201, response.text
    volunteer_id: str = response.json()["id"]
    return volunteer_id


def test_the_board_shows_a_clock_in_and_a_call_and_names_only_whom_it_shows(
    client: TestClient, client_as: RoleClient, product: Product, clock: FixedClock
) -> None:
    giulia, chiara, marco = registered(client, GIULIA), registered(client, CHIARA), registered(client, MARCO)
    assert client.post(f"/volunteers/{giulia}/clock-in").status_code == 200
    product.catch_up()
    coordinator = client_as("coordinator")
    board = coordinator.get("/console/api/board").json()
    assert [p["volunteer_id"] for p in board["idle"]] == [giulia]
    assert board["idle"][0]["clocked_in_at"] == "2026-11-23T09:00:00Z"  # 10:00 in Rome
    assert board["coordinators"] == [chiara] and board["now"] == "2026-11-23T09:00:00Z"

    call = client.post("/calls", json={"volunteer_id": giulia, "direction": "inbound"}).json()
    product.catch_up()
    on_call = coordinator.get("/console/api/board").json()["on_call"]
    assert [(p["volunteer_id"], p["kind"], p["call_id"]) for p in on_call] == [(giulia, "helpline", call["id"])]

    names = coordinator.get("/console/api/board/names", params={"volunteer_id": [giulia, marco, chiara]})
    assert names.json() == [{"volunteer_id": giulia, "name": "Giulia Rossi"},
                            {"volunteer_id": chiara, "name": "Chiara Neri"}]  # Marco is not on the board

    clock.advance(timedelta(hours=13))
    assert client.post(f"/calls/{call['id']}/end", json={"disposition": "abandoned"}).status_code == 200
    product.catch_up()
    later = coordinator.get("/console/api/board").json()
    assert later["on_call"] == [] and [p["volunteer_id"] for p in later["forgotten"]] == [giulia]


def test_a_viewer_watches_the_board_without_names_and_a_volunteer_does_not_see_it(
    client: TestClient, client_as: RoleClient, product: Product
) -> None:
    giulia = registered(client, GIULIA)
    client.post(f"/volunteers/{giulia}/clock-in")
    product.catch_up()
    viewer = client_as("viewer")
    assert [p["volunteer_id"] for p in viewer.get("/console/api/board").json()["idle"]] == [giulia]
    assert viewer.get("/console/api/board/names", params={"volunteer_id": giulia}).status_code == 403
    volunteer = client_as("volunteer", giulia)
    assert volunteer.get("/console/api/board").status_code == 403
    assert volunteer.get("/console/api/board/events").status_code == 403
    assert client_as("public").get("/console/api/board").status_code == 401


def test_a_client_not_asking_for_an_event_stream_gets_one_event_and_the_end(client: TestClient) -> None:
    response = client.get("/console/api/board/events")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/event-stream")
    assert response.text.count("event: board\n") == 1 and '"idle":[]' in response.text


def test_names_refuse_what_is_not_a_volunteer_id(client: TestClient) -> None:
    assert client.get("/console/api/board/names", params={"volunteer_id": "giulia"}).status_code == 422
    assert client.get("/console/api/board/names").status_code == 422


@pytest.fixture
def http(product: Product) -> Iterator[str]:
    """The product served by uvicorn on a real port in a thread (lifespan and all), stopped at the end."""
    server = uvicorn.Server(uvicorn.Config(create_api_for(product), host="127.0.0.1", port=free_port(),
                                           log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert time.monotonic() < deadline and thread.is_alive(), "uvicorn did not start"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{server.config.port}"
    server.should_exit = True
    stopping = time.monotonic()
    thread.join(timeout=30)
    # Nothing kept it waiting: the stream ended when its client went away.
    assert not thread.is_alive() and time.monotonic() - stopping < 5


def events(lines: Iterator[str]) -> Iterator[dict[str, Any]]:
    """The `board` events of a text/event-stream, each as its JSON."""
    kind, data = "", ""
    for line in lines:
        if line.startswith("event: "):
            kind = line[7:]
        elif line.startswith("data: "):
            data = line[6:]
        elif line == "" and kind == "board":
            yield json.loads(data)
            kind = data = ""


def test_a_clock_in_reaches_the_stream_of_an_open_board(http: str, product: Product, client: TestClient) -> None:
    giulia = registered(client, GIULIA)
    headers = {"X-API-Key": api_key(product, "coordinator"), "Accept": "text/event-stream"}
    with httpx.Client(base_url=http, headers=headers, timeout=10) as web, \
            web.stream("GET", "/console/api/board/events") as stream:
        assert stream.status_code == 200 and stream.headers["content-type"].startswith("text/event-stream")
        received = events(stream.iter_lines())
        assert next(received)["idle"] == []
        clocked = web.post(f"/volunteers/{giulia}/clock-in", headers={"X-API-Key": api_key(product, "administrator")})
        assert clocked.status_code == 200, clocked.text
        deadline = time.monotonic() + 5
        for state in received:
            if [p["volunteer_id"] for p in state["idle"]] == [giulia]:
                break
            assert time.monotonic() < deadline, "the clock-in did not reach the stream"
