"""The capacity forecast: by default from the shifts already scheduled, counting only contacts still callable."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

from fastapi.testclient import TestClient

from services.calls.contract import SHIFT_MESSAGES
from services.campaigns.dialer import queue
from services.campaigns.dialer.rebuild import CALLS_TABLES, rebuild_queue
from services.campaigns.forecast import Slot, from_schedule
from services.kernel.readmodel import SqliteStore
from services.main import Product
from tests.campaigns.conftest import app_of, campaign_body, csv_file, launched

ROWS = "nome;telefono;comune\nGiulia;02 1234 5678;Milano\nMarco;06 9876 5432;Roma\nAnna;011 555 1234;Torino\n"
ROME = ZoneInfo("Europe/Rome")


def volunteer(client: TestClient, name: str, role: str = "outreach") -> str:
    body = {"full_name": name, "phone": "+39 02 1234 5678", "email": f"{name.lower()}@angeli.example",
            "roles": [role]}
    created = client.post("/volunteers", json=body)
    assert created.status_code == 201, created.text
    volunteer_id: str = created.json()["id"]
    return volunteer_id


def shift(client: TestClient, starts_at: str, ends_at: str, role: str, *volunteers: str) -> None:
    created = client.post("/shifts", json={"starts_at": starts_at, "ends_at": ends_at, "role": role, "capacity": 5})
    assert created.status_code == 201, created.text
    for volunteer_id in volunteers:
        signed = client.post(f"/shifts/{created.json()['id']}/sign-ups", json={"volunteer_id": volunteer_id})
        assert signed.status_code == 200, signed.text


def schedule_tuesday_morning(client: TestClient, product: Product) -> None:
    """Giulia and Paolo call on Tuesday 24 November 10:00-12:00 in Rome; Sara answers the helpline meanwhile."""
    giulia, paolo, sara = volunteer(client, "Giulia"), volunteer(client, "Paolo"), volunteer(client, "Sara", "helpline")
    shift(client, "2026-11-24T10:00:00+01:00", "2026-11-24T12:00:00+01:00", "outreach", giulia, paolo)
    shift(client, "2026-11-24T10:00:00+01:00", "2026-11-24T18:00:00+01:00", "helpline", sara)
    product.catch_up()  # the campaigns side learns the shifts through the calls feed


def test_the_forecast_reads_the_scheduled_outreach_shifts_and_skips_the_opted_out(
        client: TestClient, product: Product) -> None:
    # Given three donors of whom Marco opted out, and two volunteers' two hours of outreach on Tuesday
    campaign_id = launched(client, rows=ROWS)
    assert client.post("/suppression/opt-outs", json={"phone": "06 9876 5432", "source": "letter"}).status_code == 201
    schedule_tuesday_morning(client, product)
    # When the forecast is asked with no what-if, at two hours a call
    forecast = client.get(f"/campaigns/{campaign_id}/forecast", params={"handle_seconds": 7200})
    # Then four volunteer hours reach the two donors still callable, on Tuesday
    assert forecast.status_code == 200, forecast.text
    body = forecast.json()
    assert (body["basis"], body["volunteer_hours"], body["open_contacts"]) == ("schedule", "4.00", 2)
    assert body["exhausted_on"] == "2026-11-24"


def test_a_schedule_too_short_for_the_list_gives_no_exhaustion_date(client: TestClient, product: Product) -> None:
    campaign_id = launched(client, rows=ROWS)
    schedule_tuesday_morning(client, product)
    body = client.get(f"/campaigns/{campaign_id}/forecast", params={"handle_seconds": 7200}).json()
    assert body["open_contacts"] == 3 and body["scheduled_contacts"] == 2
    assert body["exhausted_on"] is None


def test_the_what_if_counts_only_contacts_still_callable(client: TestClient) -> None:
    campaign_id = launched(client, rows=ROWS)
    client.post("/suppression/opt-outs", json={"phone": "06 9876 5432", "source": "letter"})
    body = client.get(f"/campaigns/{campaign_id}/forecast",
                      params={"volunteers": 1, "hours_per_day": "0.05", "handle_seconds": 180}).json()
    assert (body["basis"], body["open_contacts"], body["contacts_per_day"]) == ("what-if", 2, 1)
    assert body["exhausted_on"] == "2026-11-24"


def test_a_what_if_needs_both_volunteers_and_hours(client: TestClient) -> None:
    campaign_id = launched(client, rows=ROWS)
    response = client.get(f"/campaigns/{campaign_id}/forecast", params={"volunteers": 3})
    assert response.status_code == 422
    assert "give both volunteers and hours_per_day" in response.json()["detail"]


def test_a_shift_under_way_counts_only_its_remaining_hours() -> None:
    # Given a 10:00-14:00 shift of three volunteers, asked at 12:00 in Rome
    now = datetime(2026, 11, 23, 12, 0, tzinfo=ROME)
    slots = [Slot(datetime(2026, 11, 23, 10, 0, tzinfo=ROME), datetime(2026, 11, 23, 14, 0, tzinfo=ROME), 3)]
    # When the forecast reads it
    forecast = from_schedule(open_contacts=10, handle_seconds=600, slots=slots, now=now,
                             until=datetime(2026, 12, 31, 23, 0, tzinfo=UTC), zone=ROME)
    # Then six volunteer hours remain, 36 calls of ten minutes: the ten donors are all reached today
    assert forecast.volunteer_hours == Decimal("6.00") and forecast.scheduled_contacts == 36
    assert forecast.exhausted_on == date(2026, 11, 23)


def test_the_scheduled_shifts_are_rebuilt_with_the_due_queue(client: TestClient, product: Product) -> None:
    # Given a forecast read from Tuesday's shifts
    campaign_id = launched(client, rows=ROWS)
    schedule_tuesday_morning(client, product)
    before = client.get(f"/campaigns/{campaign_id}/forecast", params={"handle_seconds": 7200}).json()
    app = app_of(product)
    with app.queue.transaction() as tx:
        for table in CALLS_TABLES:
            tx.execute(f"DELETE FROM {table}")
    # When the due-queue is rebuilt from the campaigns events and the calls messages
    rebuild_queue(app, presence=product.feeds["calls"].messages(types=set(SHIFT_MESSAGES)))
    # Then the forecast reads the same shifts
    assert client.get(f"/campaigns/{campaign_id}/forecast", params={"handle_seconds": 7200}).json() == before
    assert before["volunteer_hours"] == "4.00"


def test_shifts_before_the_campaign_starts_are_not_counted(client: TestClient, product: Product) -> None:
    # Given a campaign starting on Wednesday 25 November, and Tuesday's outreach shift
    campaign_id = client.post("/campaigns", json=campaign_body("Avvento", starts_on="2026-11-25")).json()["id"]
    client.post(f"/campaigns/{campaign_id}/contacts/import", files=csv_file(ROWS))
    schedule_tuesday_morning(client, product)
    # When the forecast is asked
    body = client.get(f"/campaigns/{campaign_id}/forecast", params={"handle_seconds": 7200}).json()
    # Then no scheduled hour serves it yet
    assert (body["volunteer_hours"], body["scheduled_contacts"], body["exhausted_on"]) == ("0.00", 0, None)


def test_a_cancelled_shift_leaves_the_forecast_and_an_edited_one_moves(tmp_path: Path) -> None:
    """Given two outreach evenings with Giulia signed up to each, when one is cancelled and the other moved an hour
    later, then the forecast's schedule has only the moved one, at its new hours."""
    store = SqliteStore(str(tmp_path / "queue.db"))
    store.create(queue.SCHEMA)
    monday, tuesday = datetime(2026, 11, 23, 17, tzinfo=UTC), datetime(2026, 11, 24, 17, tzinfo=UTC)
    with store.transaction() as tx:
        for shift_id, starts in (("monday", monday), ("tuesday", tuesday)):
            queue.note_shift(tx, shift_id, "Shift.Scheduled", {"role": "outreach", "starts_at": starts.isoformat(),
                                                               "ends_at": (starts + timedelta(hours=2)).isoformat()})
            queue.note_shift(tx, shift_id, "Shift.SignedUp", {"volunteer_id": "giulia"})
        queue.note_shift(tx, "monday", "Shift.Cancelled", {})
        queue.note_shift(tx, "tuesday", "Shift.Edited", {"starts_at": (tuesday + timedelta(hours=1)).isoformat(),
                                                         "ends_at": (tuesday + timedelta(hours=3)).isoformat()})
    slots = queue.scheduled_slots(store, "outreach", monday - timedelta(days=1), tuesday + timedelta(days=1))
    assert [(queue.from_ms(int(s["starts_at"])), queue.from_ms(int(s["ends_at"])), s["volunteers"]) for s in slots] \
        == [(tuesday + timedelta(hours=1), tuesday + timedelta(hours=3), 1)]
