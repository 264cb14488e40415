"""'Why is nobody being dialled?' in any language: each reason carries a stable code and the parameters its words
depend on (days as ISO dates, times as HH:MM, holiday names by language), beside the English `by_reason`."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

import pytest
from fastapi.testclient import TestClient

from services.kernel.clock import FixedClock
from services.main import Product
from tests.campaigns.conftest import call_ended, clock_in
from tests.campaigns.test_why_nobody import ROME, running_since_last_week


def reasons_of(client: TestClient, campaign_id: str) -> list[dict[str, Any]]:
    why = client.get(f"/campaigns/{campaign_id}/eligibility").json()
    # Every structured reason is one row of the English table, with the same count
    assert {r["text"]: r["count"] for r in why["reasons"]} == why["by_reason"]
    return [{k: r[k] for k in ("code", "params", "count")} for r in why["reasons"]]


@pytest.mark.parametrize(("now", "code", "params"), [
    # Sunday 6 December 2026: the Italian policy never calls on Sundays (weekday 6)
    (datetime(2026, 12, 6, 11, 0, tzinfo=ROME), "closed_weekday", {"weekday": 6}),
    # Monday 7 December 2026: Sant'Ambrogio, the patron saint's day of Milan, where both donors live
    (datetime(2026, 12, 7, 11, 0, tzinfo=ROME), "patron_day", {"date": "2026-12-07", "town": "Milano"}),
    # Tuesday 8 December 2026: the Immacolata, named in each console language
    (datetime(2026, 12, 8, 11, 0, tzinfo=ROME), "holiday",
     {"date": "2026-12-08", "names": {"en": "Immaculate Conception", "it": "Immacolata Concezione"}}),
    # Friday 14 March 2031 at 20:30: after the campaign's own window
    (datetime(2031, 3, 14, 20, 30, tzinfo=ROME), "campaign_window_closed",
     {"from": "10:00", "until": "20:00", "zone": "Europe/Rome"}),
    # Saturday 15 March 2031 at 19:30: the policy's Saturday ends at 19:00, before the campaign's window does
    (datetime(2031, 3, 15, 19, 30, tzinfo=ROME), "outside_policy_hours",
     {"policy": "it-telemarketing-2024@v1", "from": "09:00", "until": "19:00", "zone": "Europe/Rome",
      "day": {"code": "short_weekday", "params": {"weekday": 5}}}),
])
def test_a_closed_calendar_is_explained_by_a_code_and_its_parameters(
        client: TestClient, clock: FixedClock, now: datetime, code: str, params: dict[str, Any]) -> None:
    # Given "Natale" running with two Milan donors
    clock.set(now)
    campaign_id = running_since_last_week(client, clock)
    # When the manager asks why nobody is dialled
    reasons = reasons_of(client, campaign_id)
    # Then both donors wait for the calendar, under a code a console can put in any language
    assert reasons == [{"code": code, "params": params, "count": 2}]


def test_a_stale_register_is_explained_by_its_day_age_and_limit(client: TestClient, clock: FixedClock) -> None:
    # Given "Natale" launched on Monday 2 March 2026 with the register checked that day
    clock.set(datetime(2026, 3, 2, 11, 0, tzinfo=ROME))
    campaign_id = running_since_last_week(client, clock)
    # When the manager looks on Friday 20 March, 18 days later
    clock.set(datetime(2026, 3, 20, 11, 0, tzinfo=ROME))
    why = client.get(f"/campaigns/{campaign_id}/eligibility").json()
    # Then the block and the table row both carry the check's day, its age and the policy's limit
    stale = {"code": "register_stale", "params": {"checked_on": "2026-03-02", "age_days": 18,
                                                  "policy": "it-telemarketing-2024@v1", "limit_days": 15}}
    assert [{k: b[k] for k in ("code", "params")} for b in why["campaign_blocks"]] == [stale]
    assert reasons_of(client, campaign_id) == [{**stale, "count": 2}]


def test_a_paused_campaign_with_a_stale_register_names_both_blocks(client: TestClient, clock: FixedClock) -> None:
    # Given "Natale" paused, and its register checked 18 days ago
    clock.set(datetime(2026, 3, 2, 11, 0, tzinfo=ROME))
    campaign_id = running_since_last_week(client, clock)
    assert client.post(f"/campaigns/{campaign_id}/pause", json={"reason": "volunteers at the gala"}).status_code == 200
    clock.set(datetime(2026, 3, 20, 11, 0, tzinfo=ROME))
    # When the manager looks
    [row] = reasons_of(client, campaign_id)
    # Then the one row counts both donors under both blocks, each with its own code
    assert row["code"] == "campaign_blocked" and row["count"] == 2
    assert [(r["code"], r["params"].get("status")) for r in row["params"]["reasons"]] == [
        ("campaign_status", "paused"), ("register_stale", None)]


def test_answered_leased_and_opted_out_contacts_have_their_own_codes(
        client: TestClient, product: Product, clock: FixedClock, giulia: UUID) -> None:
    # Given "Natale" on Tuesday 15 June 2027 at 11:00, Giulia clocked in
    now = datetime(2027, 6, 15, 11, 0, tzinfo=ROME)
    clock.set(now)
    campaign_id = running_since_last_week(client, clock)
    clock_in(product, giulia, now)
    # When she answers one donor's call, is offered the other, and that donor then opts out by letter
    first = client.post(f"/campaigns/{campaign_id}/dialer/next", json={"volunteer_id": str(giulia)}).json()["offer"]
    call_ended(product, giulia, campaign_id, first["contact_id"], "answered", now + timedelta(minutes=3))
    second = client.post(f"/campaigns/{campaign_id}/dialer/next", json={"volunteer_id": str(giulia)}).json()["offer"]
    assert second is not None
    # Then one is closed as answered, the other leased to her
    assert sorted(reasons_of(client, campaign_id), key=lambda r: r["code"]) == [
        {"code": "closed", "params": {"disposition": "answered"}, "count": 1},
        {"code": "leased", "params": {}, "count": 1}]
    # And once the lease lapses after the opt-out, the other is held as opted out
    assert client.post("/suppression/opt-outs", json={"phone": second["phone"], "source": "letter"}).status_code == 201
    call_ended(product, giulia, campaign_id, second["contact_id"], "no_answer", now + timedelta(minutes=6))
    assert {"code": "opted_out", "params": {}, "count": 1} in reasons_of(client, campaign_id)


def test_the_dialer_offering_nobody_says_why_with_the_same_codes_as_the_dashboard(
        client: TestClient, product: Product, clock: FixedClock, giulia: UUID) -> None:
    # Given "Natale" on Sunday 6 December 2026, Giulia clocked in
    now = datetime(2026, 12, 6, 11, 0, tzinfo=ROME)
    clock.set(now)
    campaign_id = running_since_last_week(client, clock)
    clock_in(product, giulia, now)
    # When she asks for a contact
    answer = client.post(f"/campaigns/{campaign_id}/dialer/next", json={"volunteer_id": str(giulia)}).json()
    # Then nobody is offered, for the reason the dashboard gives, and the window's reopening comes with it
    assert answer["offer"] is None and answer["campaign_blocks"] == []
    assert [{k: r[k] for k in ("code", "params", "count")} for r in answer["reasons"]] == \
        [{"code": "closed_weekday", "params": {"weekday": 6}, "count": 2}]
    assert datetime.fromisoformat(answer["next_window"]) == datetime(2026, 12, 9, 10, 0, tzinfo=ROME)
