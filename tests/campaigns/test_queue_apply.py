"""The due queue has one derivation: a rebuild after any history writes exactly the rows the live saves wrote."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

import pytest
from fastapi.testclient import TestClient

from services.calls.contract import SHIFT_MESSAGES
from services.campaigns.application import CampaignsApplication
from services.campaigns.dialer.rebuild import CALLS_TABLES, DERIVED_TABLES, rebuild_queue
from services.kernel.clock import FixedClock
from services.kernel.settings import Settings
from services.main import Product, build, create_api_for
from tests.campaigns.conftest import app_of, call_ended, csv_file, launched, register_file
from tests.campaigns.test_forecast import shift, volunteer
from tests.conftest import api_key

NATALE = ("nome;telefono;comune\nGiulia;02 1234 5678;Milano\nMarco;06 9876 5432;Roma\nAnna;011 555 1234;Torino\n"
          "Luca;02 2222 3333;Milano\nSara;06 4444 5555;Roma\nPietro;051 222 3344;Bologna\n")
# Giulia and Marco are donors of both campaigns: a lease or an opt-out in one holds their row in the other.
EPIFANIA = "nome;telefono;comune\nGiulia;02 1234 5678;Milano\nMarco;06 9876 5432;Roma\nElena;011 777 8888;Torino\n"
CALLS_MESSAGES = {"Presence.ClockedIn", "Presence.ClockedOut", *SHIFT_MESSAGES}


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def centre(request: pytest.FixtureRequest, embedded_settings: Settings, clock: FixedClock) -> Iterator[Product]:
    settings = request.getfixturevalue("pg_settings") if request.param == "postgres" else embedded_settings
    product = build(settings, clock)
    yield product
    product.stop()


def every_row(app: CampaignsApplication) -> dict[str, list[tuple[str, ...]]]:
    return {table: sorted(tuple(str(v) for v in row.values()) for row in app.queue.query(f"SELECT * FROM {table}"))
            for table in (*DERIVED_TABLES, *CALLS_TABLES)}


def a_morning_of_two_campaigns(client: TestClient, product: Product, clock: FixedClock) -> None:
    """Monday 23 November 2026, 10:00 in Rome: Marta and Paolo on the outreach shift call for Natale 2026 and
    Epifania 2027; every kind of outcome, lease and suppression happens once."""
    natale = launched(client, "Natale 2026", rows=NATALE)
    epifania = launched(client, "Epifania 2027")
    assert client.post(f"/campaigns/{epifania}/contacts/import", files=csv_file(EPIFANIA)).status_code == 201
    assert client.post("/suppression/register", **register_file(["051 222 3344"], "2026-11-21")).status_code == 201
    marta, paolo = volunteer(client, "Marta"), volunteer(client, "Paolo")
    shift(client, "2026-11-23T10:00:00+01:00", "2026-11-23T14:00:00+01:00", "outreach", marta, paolo)
    shift(client, "2026-11-24T10:00:00+01:00", "2026-11-24T14:00:00+01:00", "outreach", marta)
    for volunteer_id in (marta, paolo):
        assert client.post(f"/volunteers/{volunteer_id}/clock-in").status_code == 200
    product.catch_up()  # the campaigns reaction learns who is clocked in and the shifts

    def offer(campaign_id: str, volunteer_id: str) -> dict[str, Any]:
        response = client.post(f"/campaigns/{campaign_id}/dialer/next", json={"volunteer_id": volunteer_id})
        assert response.status_code == 200 and response.json()["offer"], response.text
        found: dict[str, Any] = response.json()["offer"]
        return found

    def ended(campaign_id: str, contact_id: str, disposition: str, callback_at: datetime | None = None) -> None:
        call_ended(product, UUID(marta), campaign_id, contact_id, disposition, clock.now(), callback_at)

    called = offer(natale, marta)
    ended(natale, called["contact_id"], "callback_requested", callback_at=clock.now() + timedelta(hours=2))
    ended(natale, offer(natale, marta)["contact_id"], "no_answer")
    ended(natale, offer(natale, marta)["contact_id"], "pledged")
    ended(natale, offer(natale, marta)["contact_id"], "do_not_call")
    held = offer(epifania, paolo)  # Paolo holds an Epifania donor, renews, hands back, takes the next one
    lease = f"/campaigns/{epifania}/contacts/{held['contact_id']}/lease"
    assert client.post(f"{lease}/renew", json={"volunteer_id": paolo}).status_code == 200
    assert client.post(f"{lease}/release", json={"volunteer_id": paolo, "reason": "line busy"}).status_code == 204
    second = offer(epifania, paolo)  # that donor opts out by e-mail while Paolo holds them; he renews meanwhile
    opted = client.post("/suppression/opt-outs", json={"person_id": second["person_id"], "source": "e-mail"})
    assert opted.status_code == 201
    lease = f"/campaigns/{epifania}/contacts/{second['contact_id']}/lease"
    assert client.post(f"{lease}/renew", json={"volunteer_id": paolo}).status_code == 200
    assert client.post("/suppression/opt-outs", json={"phone": "011 777 8888", "source": "e-mail"}).status_code == 201
    assert client.post(f"/campaigns/{epifania}/pause", json={"reason": "script review"}).status_code == 200


def test_the_rebuilt_queue_equals_the_live_one_row_by_row(centre: Product, clock: FixedClock) -> None:
    # Given a morning of imports, leases, attempts, a callback, opt-outs, a close, a register check and shifts
    client = TestClient(create_api_for(centre), raise_server_exceptions=False)
    client.headers["X-API-Key"] = api_key(centre, "administrator")
    a_morning_of_two_campaigns(client, centre, clock)
    app = app_of(centre)
    live = every_row(app)
    with app.queue.transaction() as tx:
        for table in (*DERIVED_TABLES, *CALLS_TABLES):
            tx.execute(f"DELETE FROM {table}")

    # When the queue is rebuilt as `angeli campaigns rebuild-queue` does, from events and the calls messages
    rebuild_queue(app, presence=centre.feeds["calls"].messages(types=CALLS_MESSAGES))

    # Then every table holds exactly the rows the live saves wrote
    rebuilt = every_row(app)
    for table in live:
        assert rebuilt[table] == live[table], table
    assert len(live["queue_contacts"]) == 9 and len(live["shift_volunteers"]) == 3
    kinds = {row[3] for row in live["queue_contacts"]}
    assert {"callback", "retry", "closed", "leased", "fresh"} <= kinds
