"""The demo centre gives the regular-giving page and the donors' pages something to show: regular givers with their
gifts collected month by month (one missed), receipts, and donors of a campaign call whose contact and outcome
their page finds. Made small (scale) with the clock pinned."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient

from services.demo import ADMIN_EMAIL, make_demo
from services.kernel.clock import FixedClock
from services.kernel.settings import Settings
from services.main import build, create_api_for
from tests.console.test_demo_alive import signed_in

ROME = ZoneInfo("Europe/Rome")
pytestmark = pytest.mark.slow


def test_the_demo_has_regular_givers_receipts_and_donors_found_in_their_campaign(tmp_path: Path) -> None:
    at = datetime(2026, 12, 2, 11, 0, tzinfo=ROME)
    data = tmp_path / "var"
    made = make_demo(Settings(mode="embedded", data_dir=data), at, scale=0.1)
    assert made is not None
    product = build(Settings(mode="embedded", data_dir=data), FixedClock(at.astimezone(UTC)))
    try:
        product.catch_up()
        admin = signed_in(TestClient(create_api_for(product)), ADMIN_EMAIL, made.admin_password)
        # Regular giving expects income in the coming months
        income = admin.get("/commitments/expected-income", params={"from": "2026-12", "months": 12}).json()
        assert sum(float(r["expected"]) for r in income["rows"]) > 0
        # Giulia Ferrari, found by her number, gives monthly by SEPA: gifts paid, one month missed, receipts
        [giulia] = admin.get("/donors", params={"by": "phone", "q": "333 765 4321"}).json()["donors"]
        [monthly] = admin.get(f"/donors/{giulia['id']}/commitments").json()
        states = [p["state"] for p in monthly["schedule"]]
        assert (monthly["frequency"], monthly["method"], monthly["status"]) == ("monthly", "sepa", "active")
        assert states.count("paid") >= 3 and states.count("missed") == 1
        assert len(admin.get(f"/donors/{giulia['id']}/receipts").json()) == states.count("paid")
        # A donor who pledged on a campaign call is found in that campaign, the call's outcome "pledged"
        pledged = product.read_stores["transparency"].one(
            "SELECT donor_id FROM tp_pledges WHERE campaign_id IS NOT NULL LIMIT 1")
        assert pledged is not None
        contacts = admin.get(f"/donors/{pledged['donor_id']}/contacts").json()["contacts"]
        assert any(a["disposition"] == "pledged" for c in contacts for a in c["attempts"])
    finally:
        product.stop()
