"""The demo centre is alive on whatever day it is made: its running campaign offers a contact inside the calling
window, and outside it says why and when the window opens. Made small (scale) with the clock pinned."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient

from services.demo import ADMIN_EMAIL, VOLUNTEER_EMAIL, make_demo
from services.kernel.clock import FixedClock
from services.kernel.settings import Settings
from services.main import build, create_api_for

ROME = ZoneInfo("Europe/Rome")
ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.slow


@contextmanager
def demo_made_at(data: Path, at: datetime) -> Iterator[tuple[TestClient, TestClient, Any, str]]:
    """Make the demo ending at `at`, then serve it on a clock standing at `at`; yields the demo volunteer's and
    administrator's clients, the product and the running campaign's id."""
    made = make_demo(Settings(mode="embedded", data_dir=data), at, scale=0.1)
    assert made is not None
    product = build(Settings(mode="embedded", data_dir=data), FixedClock(at.astimezone(UTC)))
    try:
        product.catch_up()
        app = create_api_for(product)
        volunteer = signed_in(TestClient(app), VOLUNTEER_EMAIL, made.volunteer_password)
        admin = signed_in(TestClient(app), ADMIN_EMAIL, made.admin_password)
        [running] = [c for c in volunteer.get("/console/api/campaigns").json() if c["status"] == "launched"]
        assert date.fromisoformat(running["starts_on"]) < at.date() < date.fromisoformat(running["ends_on"])
        yield volunteer, admin, product, running["campaign_id"]
    finally:
        product.stop()
    assert make_demo(Settings(mode="embedded", data_dir=data), at, scale=0.1) is None  # refuses a full store


def signed_in(client: TestClient, email: str, password: str) -> TestClient:
    signed = client.post("/auth/sign-in", json={"email": email, "password": password})
    assert signed.status_code == 200, signed.text
    client.cookies.clear()  # the token, not a cookie judged by the machine's calendar
    client.headers["Authorization"] = f"Bearer {signed.json()['token']}"
    return client


def next_contact(client: TestClient, product: Any, campaign_id: str) -> dict[str, Any]:
    volunteer_id = client.get("/auth/me").json()["volunteer_id"]
    assert client.post(f"/volunteers/{volunteer_id}/clock-in").status_code == 200
    product.catch_up()  # the dialer learns of the clock-in through the feed
    answer = client.post(f"/campaigns/{campaign_id}/dialer/next", json={"volunteer_id": volunteer_id})
    assert answer.status_code == 200, answer.text
    body: dict[str, Any] = answer.json()
    return body


@pytest.mark.parametrize("at", [
    datetime(2026, 12, 2, 11, 0, tzinfo=ROME),   # the Wednesday the dead demo was reported
    datetime(2031, 3, 11, 10, 30, tzinfo=ROME),  # a Tuesday morning five years on
], ids=["2026-12-02", "2031-03-11"])
def test_on_a_weekday_morning_the_demo_volunteer_gets_a_contact_at_once(tmp_path: Path, at: datetime) -> None:
    # Given the demo made on a weekday morning, and its volunteer clocked in
    with demo_made_at(tmp_path / "var", at) as (client, _admin, product, campaign_id):
        # When she asks the dialer for the next contact
        answer = next_contact(client, product, campaign_id)
        # Then she gets one, allowed now by the calling policy
        assert answer["offer"] is not None, answer["why_none"]
        assert datetime.fromisoformat(answer["offer"]["allowed_from"]) <= at
        assert answer["offer"]["policy"] == "it-telemarketing-2024@v1"


@pytest.mark.parametrize(("at", "closed", "opens"), [
    (datetime(2028, 10, 8, 11, 0, tzinfo=ROME), "sunday", datetime(2028, 10, 9, 10, 0, tzinfo=ROME)),
    (datetime(2026, 12, 7, 11, 0, tzinfo=ROME), "holiday (patron saint's day of Milano)",
     datetime(2026, 12, 9, 10, 0, tzinfo=ROME)),  # then Tuesday 8 is the Immacolata
], ids=["sunday-2028-10-08", "sant-ambrogio-2026-12-07"])
def test_outside_the_window_the_demo_says_why_nobody_is_dialled_and_when_the_window_opens(
        tmp_path: Path, at: datetime, closed: str, opens: datetime) -> None:
    # Given the demo made on a day its Milan donors may not be called
    with demo_made_at(tmp_path / "var", at) as (client, manager, product, campaign_id):
        # When the volunteer asks for a contact and the manager looks at the campaign's dashboard figures
        answer = next_contact(client, product, campaign_id)
        why = manager.get(f"/campaigns/{campaign_id}/eligibility").json()
        # Then nobody is offered, for the calendar's reason only, and both say when the window opens
        assert answer["offer"] is None
        assert why["campaign_blocked"] == [] and why["callable_now"] == 0 and closed in why["by_reason"]
        assert datetime.fromisoformat(why["next_window"]) == opens
        assert f"the calling window next opens {opens:%A} {opens.day} {opens:%B %Y at %H:%M}" in answer["why_none"]


@pytest.mark.parametrize("scale", ["0", "1.5", "half"])
def test_a_demo_scale_outside_zero_to_one_is_refused_saying_what_it_must_be(tmp_path: Path, scale: str) -> None:
    # When the demo is asked for at a scale that is not above 0 and at most 1
    env = {**os.environ, "ANGELI_MODE": "embedded", "ANGELI_DATA_DIR": str(tmp_path / "var")}
    made = subprocess.run([sys.executable, "-m", "services.cli", "demo", "--scale", scale], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)
    # Then it is refused with what the scale must be, and nothing is written
    assert made.returncode == 2
    assert "scale must be" in made.stderr and "above 0 and at most 1" in made.stderr and scale in made.stderr
    assert not (tmp_path / "var").exists()
