"""Protocol drafts over HTTP: coordinators save, reload, discard and publish; a stale revision is 409 with the
reason; bad input is 422 and stores nothing; helpline volunteers never see a draft (403)."""

from __future__ import annotations

import uuid

from fastapi.testclient import TestClient

from tests.calls.test_api import ASCOLTO
from tests.conftest import RoleClient

STEP = {"key": "farmaci", "question": "Prende farmaci?", "choices": ["si", "no"]}


def test_coordinators_share_a_draft_and_a_stale_save_is_refused(client: TestClient, client_as: RoleClient) -> None:
    protocol = client.post("/protocols", json=ASCOLTO).json()["id"]
    anna, marco = client_as("coordinator"), client_as("coordinator")
    assert anna.get(f"/protocols/{protocol}/draft").json() is None
    saved = anna.put(f"/protocols/{protocol}/draft", json={"revision": None, "steps": [*ASCOLTO["steps"], STEP]})
    assert saved.status_code == 200, saved.text
    assert saved.json()["revision"] == 1 and saved.json()["based_on"] == 1
    seen = marco.get(f"/protocols/{protocol}/draft").json()
    assert seen["steps"][-1]["key"] == "farmaci" and seen["saved_by"].startswith("api_key:")
    assert marco.put(f"/protocols/{protocol}/draft", json={"revision": 1, "steps": [STEP]}).json()["revision"] == 2
    stale = anna.put(f"/protocols/{protocol}/draft", json={"revision": 1, "steps": ASCOLTO["steps"]})
    assert stale.status_code == 409 and "saved again after you loaded revision 1" in stale.json()["detail"]
    assert anna.delete(f"/protocols/{protocol}/draft", params={"revision": 1}).status_code == 409
    published = anna.post(f"/protocols/{protocol}/draft/publish", json={"revision": 2})
    assert published.status_code == 201 and published.json()["version"] == 2
    assert client.get(f"/protocols/{protocol}").json()["steps"] == [{**STEP, "redirect_when": None,
                                                                     "redirect_to": None}]
    assert client.get(f"/protocols/{protocol}", params={"version": 1}).json()["steps"][0]["key"] == "sintomi"
    assert anna.get(f"/protocols/{protocol}/draft").json() is None


def test_discard_and_an_unfinished_draft(client: TestClient) -> None:
    protocol = client.post("/protocols", json=ASCOLTO).json()["id"]
    half = {"revision": None, "steps": [{"key": "nuovo", "question": "", "redirect_to": "health"}]}
    assert client.put(f"/protocols/{protocol}/draft", json=half).status_code == 200
    unfinished = client.post(f"/protocols/{protocol}/draft/publish", json={"revision": 1})
    assert unfinished.status_code == 422 and "not finished" in unfinished.json()["detail"]
    discarded = client.delete(f"/protocols/{protocol}/draft", params={"revision": 1},
                              headers={"Idempotency-Key": "discard-1"})
    assert discarded.status_code == 204
    again = client.delete(f"/protocols/{protocol}/draft", params={"revision": 1},
                          headers={"Idempotency-Key": "discard-1"})
    assert again.status_code == 204  # a retried request has one effect, and the same answer
    assert client.get(f"/protocols/{protocol}/draft").json() is None
    assert client.get(f"/protocols/{protocol}").json()["version"] == 1


def test_bad_drafts_are_422_and_store_nothing(client: TestClient) -> None:
    protocol = client.post("/protocols", json=ASCOLTO).json()["id"]
    for body in ({"steps": [STEP]},  # the revision loaded must be said, null for a new draft
                 {"revision": None, "steps": []},
                 {"revision": 0, "steps": [STEP]},
                 {"revision": None, "steps": [{"key": "Chiave storta", "question": ""}]},
                 {"revision": None, "steps": [STEP, STEP]},
                 {"revision": None, "steps": [{**STEP, "redirect_when": "forse"}]},
                 {"revision": None, "steps": [{**STEP, "colour": "red"}]}):
        refused = client.put(f"/protocols/{protocol}/draft", json=body)
        assert refused.status_code == 422, body
        assert refused.json()["detail"]
    assert client.get(f"/protocols/{protocol}/draft").json() is None
    assert client.delete(f"/protocols/{protocol}/draft").status_code == 422  # which revision?
    assert client.post(f"/protocols/{protocol}/draft/publish", json={}).status_code == 422
    assert client.put(f"/protocols/{uuid.uuid4()}/draft", json={"revision": None, "steps": [STEP]}).status_code == 404


def test_helpline_volunteers_see_published_versions_only(client: TestClient, client_as: RoleClient) -> None:
    protocol = client.post("/protocols", json=ASCOLTO).json()["id"]
    client.put(f"/protocols/{protocol}/draft", json={"revision": None, "steps": [STEP]})
    volunteer = client_as("volunteer", uuid.uuid4())
    assert volunteer.get(f"/protocols/{protocol}/draft").status_code == 403
    assert volunteer.put(f"/protocols/{protocol}/draft", json={"revision": 1, "steps": [STEP]}).status_code == 403
    assert volunteer.post(f"/protocols/{protocol}/draft/publish", json={"revision": 1}).status_code == 403
    assert volunteer.get(f"/protocols/{protocol}").json()["version"] == 1
