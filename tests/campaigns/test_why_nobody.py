"""'Why is nobody being dialled?': the headline and the table agree, and outside the window it says when it opens."""

from __future__ import annotations

from datetime import datetime, timedelta
from uuid import UUID
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient

from services.kernel.clock import FixedClock
from services.main import Product
from tests.campaigns.conftest import campaign_body, clock_in, csv_file, register_file

ROME = ZoneInfo("Europe/Rome")
MILAN_DONORS = "nome;telefono;comune\nGiulia;02 1234 5678;Milano\nMarco;02 8765 4321;Milano\n"


def running_since_last_week(client: TestClient, clock: FixedClock, register_checked_on: str | None = None) -> str:
    """'Natale' with two Milan donors, started a week before the clock's day and ending two months after it."""
    today = clock.now().astimezone(ROME).date()
    checked = client.post("/suppression/register", **register_file([], register_checked_on or today.isoformat()))
    assert checked.status_code == 201, checked.text
    body = campaign_body("Natale", starts_on=(today - timedelta(days=7)).isoformat(),
                         ends_on=(today + timedelta(days=60)).isoformat())
    campaign_id: str = client.post("/campaigns", json=body).json()["id"]
    assert client.post(f"/campaigns/{campaign_id}/contacts/import", files=csv_file(MILAN_DONORS)).status_code == 201
    assert client.post(f"/campaigns/{campaign_id}/launch").status_code == 200
    return campaign_id


def test_a_stale_register_shows_in_the_headline_and_in_the_table_alike(
        client: TestClient, clock: FixedClock) -> None:
    # Given "Natale" launched on Monday 2 March 2026 with the register checked that day
    clock.set(datetime(2026, 3, 2, 11, 0, tzinfo=ROME))
    campaign_id = running_since_last_week(client, clock)
    # When the manager looks on Friday 20 March, 18 days later, inside the calling window
    clock.set(datetime(2026, 3, 20, 11, 0, tzinfo=ROME))
    why = client.get(f"/campaigns/{campaign_id}/eligibility").json()
    # Then nobody is callable, in the headline and in the table: both donors are counted under the stale register
    assert why["callable_now"] == 0
    [block] = why["campaign_blocked"]
    assert "last checked on 2026-03-02 (18 days ago)" in block
    assert why["by_reason"] == {block: 2}
    assert why["next_window"] is None  # no calling window helps: a register file must be imported
    assert why["why_none"] == block


@pytest.mark.parametrize(("now", "closed", "opens", "in_words"), [
    # Sunday 6 December 2026 in Milan: Monday 7 is Sant'Ambrogio, Tuesday 8 the Immacolata
    (datetime(2026, 12, 6, 11, 0, tzinfo=ROME), "sunday", datetime(2026, 12, 9, 10, 0, tzinfo=ROME),
     "Wednesday 9 December 2026 at 10:00 (Europe/Rome)"),
    # Friday 14 March 2031 after the campaign window closed
    (datetime(2031, 3, 14, 20, 30, tzinfo=ROME), "campaign window 10:00-20:00 (Europe/Rome) closed",
     datetime(2031, 3, 15, 10, 0, tzinfo=ROME), "Saturday 15 March 2031 at 10:00 (Europe/Rome)"),
])
def test_outside_the_window_the_campaign_says_why_nobody_is_dialled_and_when_the_window_opens(
        client: TestClient, product: Product, clock: FixedClock, giulia: UUID, now: datetime, closed: str,
        opens: datetime, in_words: str) -> None:
    # Given "Natale" running with two Milan donors and volunteer Giulia clocked in
    clock.set(now)
    campaign_id = running_since_last_week(client, clock)
    clock_in(product, giulia, now)
    # When she asks for a contact outside the calling window
    answer = client.post(f"/campaigns/{campaign_id}/dialer/next", json={"volunteer_id": str(giulia)}).json()
    why = client.get(f"/campaigns/{campaign_id}/eligibility").json()
    # Then none is offered, and both the dialer and the dashboard's figures say why and when the window opens
    assert answer["offer"] is None
    assert why["callable_now"] == 0 and why["by_reason"] == {closed: 2}
    assert datetime.fromisoformat(why["next_window"]) == opens
    sentence = f"nobody is callable now: 2 {closed}; the calling window next opens {in_words}"
    assert answer["why_none"] == why["why_none"] == sentence


def test_inside_the_window_nothing_is_said_about_the_next_one(client: TestClient, clock: FixedClock) -> None:
    # Given "Natale" running, on Tuesday 15 June 2027 at 11:00
    clock.set(datetime(2027, 6, 15, 11, 0, tzinfo=ROME))
    campaign_id = running_since_last_week(client, clock)
    # When the manager looks
    why = client.get(f"/campaigns/{campaign_id}/eligibility").json()
    # Then both donors are callable now and no window is waited for
    assert why["callable_now"] == 2 and why["by_reason"] == {"callable now": 2}
    assert why["next_window"] is None and why["why_none"] == ""
