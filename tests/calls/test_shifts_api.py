"""The week's HTTP API: list by range, role and volunteer; patterns all or nothing with clear 422/409; cancel and
edit future shifts; coverage; who may do what."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from fastapi.testclient import TestClient

from tests.calls.test_api import GIULIA, post
from tests.conftest import RoleClient

# The product's clock: Monday 23 November 2026, 10:00 in Rome.
ROUND_THE_CLOCK = {"starts_on": "2026-11-24", "weeks": 2, "weekdays": [1, 2, 3, 4, 5, 6, 7], "every_hours": 4,
                   "capacity": 2}
WEEK = {"from": "2026-11-23T00:00:00+01:00", "to": "2026-11-30T00:00:00+01:00"}


def listed(client: TestClient, **query: Any) -> dict[str, Any]:
    response = client.get("/shifts", params={**WEEK, **query})
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


def refused(client: TestClient, body: dict[str, Any], status: int, reason: str) -> None:
    before = listed(client, limit=1000)["shifts"]
    response = client.post("/shifts/patterns", json=body)
    assert response.status_code == status, response.text
    assert reason in response.json()["detail"], response.json()["detail"]
    assert listed(client, limit=1000)["shifts"] == before  # nothing half-stored


def test_a_24_7_pattern_for_two_weeks_then_the_week_listed_in_pages(client: TestClient) -> None:
    made = post(client, "/shifts/patterns", ROUND_THE_CLOCK, 201)
    assert made["scheduled"] == 84
    assert made["first_starts_at"] == "2026-11-24T00:00:00+01:00"
    assert made["last_ends_at"] == "2026-12-08T00:00:00+01:00"
    first = listed(client, limit=30)
    assert len(first["shifts"]) == 30 and first["next_offset"] == 30
    assert first["shifts"][0] == {"id": made["shift_ids"][0], "starts_at": "2026-11-24T00:00:00+01:00",
                                  "ends_at": "2026-11-24T04:00:00+01:00", "role": "helpline", "capacity": 2,
                                  "volunteers": [], "cancelled": False}
    rest = listed(client, limit=30, offset=30)
    assert len(rest["shifts"]) == 6 * 6 - 30 and rest["next_offset"] is None  # Tuesday to Sunday in this week
    assert listed(client, role="outreach")["shifts"] == []


def test_slots_as_wall_clock_times_in_a_time_zone(client: TestClient) -> None:
    body = {"starts_on": "2026-11-30", "weeks": 1, "weekdays": [1, 2, 3, 4, 5, 6],
            "slots": [{"start": "10:00", "end": "14:00"}, {"start": "14:00", "end": "20:00"}], "role": "helpline"}
    assert post(client, "/shifts/patterns", body, 201)["scheduled"] == 12
    london = {**body, "role": "outreach", "time_zone": "Europe/London", "weekdays": [1], "slots": [body["slots"][0]]}
    made = post(client, "/shifts/patterns", london, 201)
    assert made["first_starts_at"] == "2026-11-30T11:00:00+01:00"


def test_bad_patterns_are_refused_with_the_reason_and_nothing_stored(client: TestClient) -> None:
    post(client, "/shifts", {"starts_at": "2026-11-26T13:00:00+01:00", "ends_at": "2026-11-26T15:00:00+01:00"}, 201)
    refused(client, ROUND_THE_CLOCK, 409, "overlaps the helpline slot already scheduled 2026-11-26T13:00:00+01:00")
    refused(client, {**ROUND_THE_CLOCK, "every_hours": None, "slots": [{"start": "10:00", "end": "14:00"},
                                                                       {"start": "12:00", "end": "16:00"}]},
            422, "the daily slots 10:00-14:00 and 12:00-16:00 overlap each other")
    refused(client, {**ROUND_THE_CLOCK, "starts_on": "2026-11-23"}, 422, "would start in the past")
    refused(client, {**ROUND_THE_CLOCK, "capacity": 0}, 422, "capacity")
    refused(client, {**ROUND_THE_CLOCK, "weeks": 60, "every_hours": 1}, 422,
            "would make 10,080 slots (60 weeks x 7 days x 24 slots a day); a pattern makes at most 2,000")
    refused(client, {**ROUND_THE_CLOCK, "time_zone": "Mars/Olympus"}, 422, "unknown time zone")
    refused(client, {**ROUND_THE_CLOCK, "slots": [{"start": "10:00", "end": "14:00"}]}, 422, "either `slots`")
    refused(client, {**ROUND_THE_CLOCK, "every_hours": 5}, 422, "slots of 1, 2, 3, 4, 6, 8, 12 or 24 hours")
    refused(client, {**ROUND_THE_CLOCK, "weekdays": [0, 8]}, 422, "weekdays are 1 (Monday) to 7 (Sunday)")
    refused(client, {**ROUND_THE_CLOCK, "every_hours": None, "slots": [{"start": "9", "end": "14:00"}]}, 422, "HH:MM")
    assert len(listed(client)["shifts"]) == 1


def test_a_coordinator_cancels_and_edits_a_future_shift_and_a_volunteer_signs_up_for_herself(
        client: TestClient, client_as: RoleClient) -> None:
    giulia = post(client, "/volunteers", GIULIA, 201)["id"]
    made = post(client, "/shifts/patterns", {**ROUND_THE_CLOCK, "weeks": 1, "capacity": 1}, 201)
    coordinator, volunteer = client_as("coordinator"), client_as("volunteer", UUID(giulia))
    first, second = made["shift_ids"][2], made["shift_ids"][3]
    # The volunteer sees the week, signs up for herself, an overlapping change is refused with the reason.
    assert len(listed(volunteer)["shifts"]) == 36
    post(volunteer, f"/shifts/{first}/sign-ups", {"volunteer_id": giulia})
    assert listed(volunteer, volunteer_id=giulia)["shifts"][0]["id"] == first
    someone_else = volunteer.post(f"/shifts/{second}/sign-ups", json={"volunteer_id": str(UUID(int=7))})
    assert someone_else.status_code == 403
    assert volunteer.post("/shifts/patterns", json=ROUND_THE_CLOCK).status_code == 403
    assert volunteer.post(f"/shifts/{second}/cancel", json={}).status_code == 403
    moved = coordinator.post(f"/shifts/{second}/edit", json={
        "starts_at": "2026-11-24T11:00:00+01:00", "ends_at": "2026-11-24T13:00:00+01:00", "capacity": 1})
    assert moved.status_code == 200
    overlapping = volunteer.post(f"/shifts/{second}/sign-ups", json={"volunteer_id": giulia})
    assert overlapping.status_code == 409 and "overlaps this one" in overlapping.json()["detail"]
    # The coordinator cancels Giulia's shift: she stays on record, and is free for the moved one.
    cancelled = post(coordinator, f"/shifts/{first}/cancel", {"reason": "merged with the next slot"})
    assert cancelled["cancelled"] and cancelled["volunteers"] == [giulia]
    assert [s["id"] for s in listed(volunteer)["shifts"]].count(first) == 0
    assert listed(volunteer, volunteer_id=giulia)["shifts"] == []
    post(volunteer, f"/shifts/{second}/sign-ups", {"volunteer_id": giulia})
    again = coordinator.post(f"/shifts/{first}/cancel", json={})
    assert again.status_code == 409 and "cancelled" in again.json()["detail"]
    past = coordinator.post(f"/shifts/{second}/edit", json={
        "starts_at": "2026-11-23T08:00:00+01:00", "ends_at": "2026-11-23T13:00:00+01:00", "capacity": 1})
    assert past.status_code == 422 and "only to the future" in past.json()["detail"]
    zero = coordinator.post(f"/shifts/{second}/edit", json={
        "starts_at": "2026-11-24T11:00:00+01:00", "ends_at": "2026-11-24T13:00:00+01:00", "capacity": 0})
    assert zero.status_code == 422
    assert client.get(f"/shifts/{second}").json()["starts_at"] == "2026-11-24T11:00:00+01:00"


def test_coverage_lists_the_hours_short_of_volunteers(client: TestClient, client_as: RoleClient) -> None:
    giulia = post(client, "/volunteers", GIULIA, 201)["id"]
    made = post(client, "/shifts/patterns", {**ROUND_THE_CLOCK, "weeks": 1, "capacity": 1}, 201)
    post(client, f"/shifts/{made['shift_ids'][0]}/sign-ups", {"volunteer_id": giulia})
    coverage = client_as("volunteer", UUID(giulia)).get("/shifts/coverage", params={"days": 14})
    assert coverage.status_code == 200, coverage.text
    gaps = coverage.json()["gaps"]
    assert len(gaps) == 7 * 24 - 4
    assert gaps[0] == {"starts_at": "2026-11-24T04:00:00+01:00", "ends_at": "2026-11-24T05:00:00+01:00",
                       "role": "helpline", "needed": 1, "signed_up": 0, "missing": 1}
    assert client.get("/shifts/coverage", params={"days": 0}).status_code == 422
    assert client_as("viewer").get("/shifts/coverage").status_code == 403


def test_bad_listings_are_refused(client: TestClient) -> None:
    assert client.get("/shifts", params={"from": "2026-11-23T00:00:00", "to": WEEK["to"]}).status_code == 422
    wrong_way = client.get("/shifts", params={"from": WEEK["to"], "to": WEEK["from"]})
    assert wrong_way.status_code == 422 and "after" in wrong_way.json()["detail"]
    too_long = client.get("/shifts", params={"from": WEEK["from"], "to": "2027-11-23T00:00:00+01:00"})
    assert too_long.status_code == 422 and "at most 62 days" in too_long.json()["detail"]
    assert client.get("/shifts", params={**WEEK, "role": "cook"}).status_code == 422
    assert client.get("/shifts", params={**WEEK, "volunteer_id": str(UUID(int=9))}).status_code == 404


def test_a_slot_already_over_is_refused_with_the_reason_and_nothing_is_stored(client: TestClient) -> None:
    # The clock stands at 10:00 in Rome on 23 November: yesterday evening's slot is over
    refused = client.post("/shifts", json={"starts_at": "2026-11-22T18:00:00+01:00",
                                          "ends_at": "2026-11-22T22:00:00+01:00", "capacity": 1})
    assert refused.status_code == 422 and "already past" in refused.json()["detail"]
    listed = client.get("/shifts", params={"from": "2026-11-22T00:00:00+01:00", "to": "2026-11-24T00:00:00+01:00"})
    assert listed.json()["shifts"] == []
    # And one under way is still a slot to staff (a reinforcement for the rest of the morning)
    assert client.post("/shifts", json={"starts_at": "2026-11-23T09:00:00+01:00",
                                        "ends_at": "2026-11-23T13:00:00+01:00", "capacity": 1}).status_code == 201
