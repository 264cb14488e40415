"""Campaign test helpers: a launched campaign, CSV files, and calls-service messages fed to the reaction."""

from __future__ import annotations

import itertools
from datetime import datetime
from typing import Any
from uuid import UUID, uuid4

import pytest
from fastapi.testclient import TestClient

from services.campaigns.application import CampaignsApplication
from services.kernel.follower import ReactionSubscriber
from services.kernel.messages import Message
from services.main import Product

SCRIPT = {"text": "Buongiorno {first_name}, la chiamo per {campaign}. {privacy_notice}",
          "privacy_notice": "I suoi dati sono trattati da Angeli ETS; può chiedere di non essere più chiamato."}
_positions = itertools.count(1_000_000)


def campaign_body(name: str = "Natale 2026", **overrides: Any) -> dict[str, Any]:
    return {"name": name, "fund_id": str(uuid4()), "goal": "10000.00", "starts_on": "2026-11-01",
            "ends_on": "2026-12-31", "script": SCRIPT, **overrides}


def csv_file(text: str, bom: bool = False) -> dict[str, Any]:
    data = (b"\xef\xbb\xbf" if bom else b"") + text.encode()
    return {"file": ("donatori.csv", data, "text/csv")}


def register_file(numbers: list[str], checked_on: str) -> dict[str, Any]:
    return {"files": {"file": ("rpo.csv", ("phone\n" + "\n".join(numbers) + "\n").encode(), "text/csv")},
            "data": {"checked_on": checked_on}}


def app_of(product: Product) -> CampaignsApplication:
    application = product.services["campaigns"].application
    assert isinstance(application, CampaignsApplication)
    return application


def send(product: Product, type_: str, aggregate_id: str, data: dict[str, Any]) -> None:
    """Deliver one calls-service message to the campaigns reaction, as the feed would."""
    reaction = product.services["campaigns"].reactions[0]
    message = Message("calls", next(_positions), type_, 1, aggregate_id, datetime.now().isoformat(), data)
    ReactionSubscriber(reaction).handle([message], 0)


def clock_in(product: Product, volunteer_id: UUID, at: datetime) -> None:
    send(product, "Presence.ClockedIn", str(volunteer_id),
         {"volunteer_id": str(volunteer_id), "shift_id": None, "at": at.isoformat(), "outside_shift": False})


def call_ended(product: Product, volunteer_id: UUID, campaign_id: str, contact_id: str, disposition: str,
               at: datetime, callback_at: datetime | None = None) -> None:
    send(product, "Call.Ended", str(uuid4()), {
        "volunteer_id": str(volunteer_id), "campaign_id": campaign_id, "contact_id": contact_id,
        "disposition": disposition, "talk_seconds": 120, "ended_at": at.isoformat(),
        "callback_at": callback_at.isoformat() if callback_at else None})


def launched(client: TestClient, name: str = "Natale 2026", rows: str = "") -> str:
    """A launched campaign (register checked today) with the given CSV rows imported."""
    if client.post("/suppression/register", **register_file([], "2026-11-20")).status_code != 201:
        raise AssertionError("register import failed")
    campaign = client.post("/campaigns", json=campaign_body(name))
    assert campaign.status_code == 201, campaign.text
    campaign_id: str = campaign.json()["id"]
    if rows:
        imported = client.post(f"/campaigns/{campaign_id}/contacts/import", files=csv_file(rows))
        assert imported.status_code == 201, imported.text
    assert client.post(f"/campaigns/{campaign_id}/launch").status_code == 200
    return campaign_id


@pytest.fixture
def giulia() -> UUID:
    return uuid4()
