"""Distributed mode: a volunteer who just clocked in on one replica is offered a contact, though Kafka lags."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from services.campaigns.calendar import ITALY_2024, CampaignWindow, Reach, Rules, interval_at
from services.kernel.settings import Settings
from tests.campaigns.conftest import campaign_body, csv_file, register_file
from tests.distributed.stack import Stack

pytestmark = [pytest.mark.postgres, pytest.mark.kafka, pytest.mark.slow]

ROME = ZoneInfo("Europe/Rome")


def next_calling_morning(today: date) -> datetime:
    """11:00 in Rome on the first day after `today` when a Roman number may be called (relative to the real date:
    the stack hands PostgreSQL and Kafka its instants)."""
    rules = Rules(CampaignWindow(), ITALY_2024, Reach(("Europe/Rome",), "Roma"))
    day = today + timedelta(days=1)
    while interval_at(rules, datetime.combine(day, time(11), ROME).astimezone(UTC)) is None:
        day += timedelta(days=1)
    return datetime.combine(day, time(11), ROME).astimezone(UTC)


MORNING = next_calling_morning(datetime.now(ROME).date())


@pytest.fixture
def stack(pg_settings: Settings, tmp_path: Path) -> Iterator[Stack]:
    running = Stack(pg_settings, tmp_path / "logs", clock_start=MORNING)
    yield running
    running.stop()


def test_a_volunteer_who_just_clocked_in_is_offered_a_contact_before_kafka_delivers_the_clock_in(
        stack: Stack) -> None:
    # Given a running campaign with Marco to call, and the relay running but the campaigns consumer not yet
    api = stack.start_api("api")
    stack.start("relay", "relay")
    today = MORNING.astimezone(ROME).date().isoformat()
    assert api.post("/suppression/register", **register_file([], today)).status_code == 201
    body = campaign_body("Natale", starts_on=today, ends_on=(MORNING + timedelta(days=30)).date().isoformat())
    campaign_id = api.post("/campaigns", json=body).json()["id"]
    marco = csv_file("nome;telefono\nMarco;06 9876 5432\n")
    imported = api.post(f"/campaigns/{campaign_id}/contacts/import", files=marco)
    assert imported.status_code == 201, imported.text
    assert api.post(f"/campaigns/{campaign_id}/launch").status_code == 200
    giulia = api.post("/volunteers", json={"full_name": "Giulia Rossi", "phone": "+39 02 1234 5678",
                                           "email": "giulia@angeli.example", "roles": ["outreach"]}).json()["id"]
    # When Giulia clocks in and at once asks for the next contact
    assert api.post(f"/volunteers/{giulia}/clock-in").status_code == 200
    response = api.post(f"/campaigns/{campaign_id}/dialer/next", json={"volunteer_id": giulia})
    # Then she is offered Marco, not told to clock in
    assert response.status_code == 200, response.text
    assert response.json()["offer"]["first_name"] == "Marco"
