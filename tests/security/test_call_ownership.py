"""A volunteer changes only their own calls: connecting, ending, answering or redirecting another's is 403."""

from __future__ import annotations

from collections.abc import Callable
from uuid import UUID

from fastapi.testclient import TestClient

VOLUNTEER = {"phone": "+39 02 1234 5678", "roles": ["helpline"]}


def registered(client: TestClient, name: str) -> UUID:
    body = {**VOLUNTEER, "full_name": name, "email": f"{name.split()[0].lower()}@angeli.example"}
    volunteer = client.post("/volunteers", json=body)
    assert volunteer.status_code == 201, volunteer.text
    return UUID(volunteer.json()["id"])


def test_a_volunteer_cannot_touch_another_volunteers_call(
    client: TestClient, client_as: Callable[..., TestClient],
) -> None:
    giulia, marco = registered(client, "Giulia Rossi"), registered(client, "Marco Bianchi")
    as_giulia, as_marco = client_as("volunteer", giulia), client_as("volunteer", marco)
    assert as_giulia.post(f"/volunteers/{giulia}/clock-in").status_code == 200
    call = as_giulia.post("/calls", json={"volunteer_id": str(giulia), "direction": "inbound"})
    assert call.status_code == 201, call.text
    call_id = call.json()["id"]

    for path, body in ((f"/calls/{call_id}/connect", None), (f"/calls/{call_id}/end", {"disposition": "abandoned"})):
        refused = as_marco.post(path, json=body)
        assert refused.status_code == 403, refused.text
        assert "another volunteer's" in refused.json()["detail"]

    assert as_giulia.post(f"/calls/{call_id}/connect").status_code == 200
    assert as_giulia.post(f"/calls/{call_id}/end", json={"disposition": "answered"}).status_code == 200
    assert client.get(f"/calls/{call_id}").json()["disposition"] == "answered"  # a coordinator's view
