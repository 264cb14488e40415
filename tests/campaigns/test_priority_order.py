"""The dialer's order on both stores: due callbacks first, then retries, then fresh contacts."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from uuid import uuid4

import pytest
from fastapi.testclient import TestClient

from services.kernel.clock import FixedClock
from services.kernel.settings import Settings
from services.main import Product, build, create_api_for
from tests.campaigns.conftest import call_ended, clock_in, launched
from tests.conftest import api_key

ROWS = ("nome;telefono;comune\nGiulia;02 1234 5678;Milano\nMarco;06 9876 5432;Roma\nAnna;011 555 1234;Torino\n"
        "Luca;051 222 3344;Bologna\n")


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def centre(request: pytest.FixtureRequest, embedded_settings: Settings, clock: FixedClock) -> Iterator[Product]:
    settings = request.getfixturevalue("pg_settings") if request.param == "postgres" else embedded_settings
    product = build(settings, clock)
    yield product
    product.stop()


def test_due_callbacks_then_retries_then_fresh_contacts(centre: Product, clock: FixedClock) -> None:
    client = TestClient(create_api_for(centre), raise_server_exceptions=False)
    client.headers["X-API-Key"] = api_key(centre, "administrator")
    campaign_id = launched(client, rows=ROWS)
    giulia, volunteers = uuid4(), [uuid4() for _ in range(4)]
    for volunteer in (giulia, *volunteers):
        clock_in(centre, volunteer, clock.now())

    def next_for(volunteer: object) -> dict[str, str]:
        response = client.post(f"/campaigns/{campaign_id}/dialer/next", json={"volunteer_id": str(volunteer)})
        assert response.status_code == 200, response.text
        offer: dict[str, str] = response.json()["offer"]
        return offer

    # Monday 10:00 in Rome: one donor asks to be called back at 11:00, another does not answer (retry >= 4 h later,
    # in another time band).
    callback = next_for(giulia)
    call_ended(centre, giulia, campaign_id, callback["contact_id"], "callback_requested", clock.now(),
               callback_at=clock.now() + timedelta(hours=1))
    retry = next_for(giulia)
    call_ended(centre, giulia, campaign_id, retry["contact_id"], "no_answer", clock.now())

    clock.advance(timedelta(hours=5))  # 15:00: the callback and the retry are both due, two contacts still fresh
    offers = [next_for(volunteer) for volunteer in volunteers]

    assert [o["kind"] for o in offers] == ["callback", "retry", "fresh", "fresh"]
    assert [o["contact_id"] for o in offers[:2]] == [callback["contact_id"], retry["contact_id"]]
    assert len({o["contact_id"] for o in offers}) == 4
