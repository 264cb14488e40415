"""The due-queue is a derived index: lost or damaged, it is rebuilt from events and offers the same contacts."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

import pytest
from fastapi.testclient import TestClient

from services.campaigns.application import CampaignsApplication
from services.campaigns.calendar import interval_at, reach_from_key
from services.campaigns.dialer import queue
from services.campaigns.dialer.rebuild import DERIVED_TABLES, rebuild_queue
from services.cli import main
from services.kernel.clock import FixedClock
from services.kernel.messages import Message
from services.kernel.settings import Settings
from services.main import Product
from tests.campaigns.conftest import app_of, call_ended, clock_in, launched
from tests.campaigns.test_dialer_postgres import campaigns_app

DONORS = ("nome;telefono;comune\nGiulia;02 1234 5678;Milano\nMarco;06 9876 5432;Roma\nAnna;011 555 1234;Torino\n"
          "Luca;02 2222 3333;Milano\nSara;06 4444 5555;Roma\n")


def snapshot(app: CampaignsApplication) -> dict[str, list[tuple[Any, ...]]]:
    return {t: sorted(tuple(str(v) for v in r.values()) for r in app.queue.query(f"SELECT * FROM {t}"))
            for t in (*DERIVED_TABLES, "presence")}


def next_contacts(app: CampaignsApplication, campaign_id: str, clock: FixedClock) -> list[str]:
    """The order in which the dialer would offer the contacts now (a read: nothing is leased)."""
    campaign = app.campaign(UUID(campaign_id))
    keys = [k for k in queue.calendar_keys(app.queue, campaign_id)
            if interval_at(campaign.rules(reach_from_key(k)), clock.now()) is not None]
    with app.queue.transaction() as tx:
        return queue.candidates(tx, app.queue.dialect, campaign_id, campaign.priority, clock.now(), keys, 100)


def a_busy_evening(client: TestClient, product: Product, clock: FixedClock) -> tuple[str, UUID]:
    """Natale 2026: Giulia's number asks for a callback, one donor opts out, one is leased right now."""
    campaign_id = launched(client, rows=DONORS)
    marta, paolo = uuid4(), uuid4()
    clock_in(product, marta, clock.now())
    clock_in(product, paolo, clock.now())
    first = client.post(f"/campaigns/{campaign_id}/dialer/next", json={"volunteer_id": str(marta)}).json()["offer"]
    call_ended(product, marta, campaign_id, first["contact_id"], "callback_requested", clock.now(),
               callback_at=clock.now() + timedelta(hours=2))
    second = client.post(f"/campaigns/{campaign_id}/dialer/next", json={"volunteer_id": str(marta)}).json()["offer"]
    call_ended(product, marta, campaign_id, second["contact_id"], "no_answer", clock.now())
    assert client.post("/suppression/opt-outs", json={"phone": "06 4444 5555", "source": "e-mail"}).status_code == 201
    assert client.post(f"/campaigns/{campaign_id}/dialer/next", json={"volunteer_id": str(paolo)}).json()["offer"]
    return campaign_id, marta


def test_a_deleted_queue_rebuilt_from_events_has_the_same_rows_and_offers_the_same_contacts(
        client: TestClient, product: Product, clock: FixedClock) -> None:
    campaign_id, marta = a_busy_evening(client, product, clock)
    app = app_of(product)
    clock.advance(timedelta(hours=2, minutes=1))  # the callback is due, the lease has lapsed
    rows, offers = snapshot(app), next_contacts(app, campaign_id, clock)
    with app.queue.transaction() as tx:
        for table in (*DERIVED_TABLES, "presence"):
            tx.execute(f"DELETE FROM {table}")
    assert next_contacts(app, campaign_id, clock) == []

    presence = [Message("calls", 1, "Presence.ClockedIn", 1, str(uuid4()), "", {
        "volunteer_id": r[0], "shift_id": None, "at": r[2], "outside_shift": False}) for r in rows["presence"]]
    report = rebuild_queue(app, presence=presence)

    assert (report.contacts, report.campaigns, report.register_checks) == (5, 1, 1)
    assert snapshot(app) == rows
    assert next_contacts(app, campaign_id, clock) == offers and len(offers) >= 2
    offer = client.post(f"/campaigns/{campaign_id}/dialer/next", json={"volunteer_id": str(marta)}).json()["offer"]
    assert offer["kind"] == "callback"


def test_a_corrupted_queue_is_corrected_by_the_rebuild(client: TestClient, product: Product,
                                                        clock: FixedClock) -> None:
    campaign_id, _ = a_busy_evening(client, product, clock)
    app = app_of(product)
    rows, offers = snapshot(app), next_contacts(app, campaign_id, clock)
    with app.queue.transaction() as tx:  # an opted-out donor freed, a lease forgotten, a campaign paused
        tx.execute("UPDATE queue_contacts SET hold_until = 0, hold_reason = '', kind = 'fresh', volunteer_id = ''")
        tx.execute("UPDATE campaigns SET status = 'paused'")
        tx.execute("DELETE FROM persons")
    assert next_contacts(app, campaign_id, clock) != offers

    rebuild_queue(app)

    assert snapshot(app) == rows
    assert next_contacts(app, campaign_id, clock) == offers


def test_rebuild_queue_from_the_shell(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                      capsys: pytest.CaptureFixture[str]) -> None:
    import io
    from datetime import date
    from decimal import Decimal

    from tests.campaigns.conftest import SCRIPT

    monkeypatch.setenv("ANGELI_DATA_DIR", str(tmp_path / "var"))
    settings = Settings(data_dir=tmp_path / "var")
    application = campaigns_app(settings)
    campaign_id = application.create_campaign(
        "Natale 2026", uuid4(), Decimal("100.00"), date(2026, 11, 1), date(2026, 12, 31),
        {"weekdays": [0, 1, 2, 3, 4, 5], "start": "10:00", "end": "20:00", "timezone": "Europe/Rome"},
        ("it-telemarketing-2024", 1), ["callback", "retry", "fresh"], (SCRIPT["text"], SCRIPT["privacy_notice"]), 5)
    application.import_contacts(campaign_id, io.BytesIO(DONORS.encode()))
    before = snapshot(application)
    with application.queue.transaction() as tx:
        tx.execute("DELETE FROM queue_contacts")
    application.close()

    assert main(["campaigns", "rebuild-queue"]) == 0

    assert "5 contacts" in capsys.readouterr().out
    application = campaigns_app(settings)
    assert snapshot(application) == before
    application.close()
