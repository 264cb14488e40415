"""Campaign progress is the same whatever order messages of different aggregates and sources arrive in."""

from __future__ import annotations

import random
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from uuid import uuid4

import pytest
from fastapi.testclient import TestClient

from services.kernel.messages import Message
from services.kernel.readmodel import PostgresStore, ReadStore, SqliteStore, apply_batch
from services.kernel.settings import Settings
from services.main import Product
from services.projections.campaign_progress import PROJECTION, SCHEMA

TABLES = [ddl.split()[5] for ddl in SCHEMA if ddl.startswith("CREATE TABLE")]
AT = "2026-11-23T10:15:00+01:00"


def natale_2026_messages() -> list[Message]:
    """Natale 2026: Giulia's contact is called and pledges 50.00 of which 30.00 are paid; a second contact
    is only imported. In the order the sources wrote them (per aggregate, this order always holds)."""
    campaign, giulia, marco, pledge, volunteer = (str(uuid4()) for _ in range(5))
    positions = {"campaigns": 0, "donations": 0}

    def message(source: str, type_: str, aggregate_id: str, data: dict[str, Any]) -> Message:
        positions[source] += 1
        return Message(source, positions[source], type_, 1, aggregate_id, AT, data)

    return [
        message("campaigns", "Campaign.Created", campaign, {"name": "Natale 2026", "goal": "10000.00"}),
        message("campaigns", "Contact.Imported", giulia, {"campaign_id": campaign}),
        message("campaigns", "Contact.Imported", marco, {"campaign_id": campaign}),
        message("campaigns", "Contact.Leased", giulia, {"volunteer_id": volunteer}),
        message("campaigns", "Contact.AttemptRecorded", giulia, {
            "volunteer_id": volunteer, "disposition": "pledged", "at": AT, "talk_seconds": 120,
            "next_attempt_at": None, "kind": "closed", "closed_reason": "pledged"}),
        message("donations", "Pledge.Made", pledge, {
            "donor_id": str(uuid4()), "fund_id": str(uuid4()), "kind": "money", "amount": "50.00",
            "campaign_id": campaign, "contact_id": giulia, "call_id": None, "volunteer_id": volunteer,
            "made_at": AT}),
        message("donations", "Pledge.PaymentReceived", pledge, {
            "payment_id": "p1", "amount": "30.00", "method": "bank", "reference": "r", "received_at": AT}),
    ]


def interleaving(messages: list[Message], seed: int) -> list[Message]:
    """A random order that keeps each aggregate's own messages in order (as keyed partitions do)."""
    lanes: dict[str, list[Message]] = {}
    for m in messages:
        lanes.setdefault(m.aggregate_id, []).append(m)
    rng, out = random.Random(seed), []
    while lanes:
        key = rng.choice(sorted(lanes))
        out.append(lanes[key].pop(0))
        if not lanes[key]:
            del lanes[key]
    return out


def project(store: ReadStore, messages: list[Message], order: list[Message]) -> dict[str, list[tuple[Any, ...]]]:
    """Apply `order` one message at a time, each aggregate on its own partition, and return every row."""
    partition = {aggregate: i for i, aggregate in enumerate(dict.fromkeys(m.aggregate_id for m in messages))}
    store.create(SCHEMA)
    for m in order:
        assert apply_batch(store, PROJECTION, [m], part=partition[m.aggregate_id]) == 1
    return {table: sorted(tuple(str(v) for v in row.values()) for row in store.query(f"SELECT * FROM {table}"))
            for table in TABLES}


@pytest.fixture
def stores(tmp_path: Path) -> Iterator[Any]:
    made: list[ReadStore] = []

    def new() -> ReadStore:
        store = SqliteStore(str(tmp_path / f"progress{len(made)}.db"))
        made.append(store)
        return store

    yield new
    for store in made:
        store.close()


def test_a_pledge_and_attempts_before_campaign_created_give_the_same_rows_as_in_order(stores: Any) -> None:
    messages = natale_2026_messages()
    in_order = project(stores(), messages, messages)
    donations_first = [m for m in messages if m.source == "donations"] + \
        [m for m in messages if m.source == "campaigns" and m.type != "Campaign.Created"] + [messages[0]]
    assert project(stores(), messages, donations_first) == in_order
    campaign = in_order["progress_campaigns"]
    assert len(campaign) == 1 and campaign[0][1:] == ("Natale 2026", "1000000", "1", "1", "1", "5000", "3000")


def test_every_interleaving_of_aggregates_gives_the_same_rows(stores: Any) -> None:
    messages = natale_2026_messages()
    expected = project(stores(), messages, messages)
    for seed in range(12):
        assert project(stores(), messages, interleaving(messages, seed)) == expected, f"seed {seed}"


def test_progress_route_says_not_projected_yet_until_campaign_created_arrives(client: TestClient,
                                                                              product: Product) -> None:
    messages = natale_2026_messages()
    campaign_id = messages[0].aggregate_id
    store = product.read_stores["campaign_progress"]
    apply_batch(store, PROJECTION, [m for m in messages if m.source == "donations"])
    assert client.get(f"/stats/campaigns/{campaign_id}/progress").status_code == 404
    apply_batch(store, PROJECTION, [messages[0]])
    progress = client.get(f"/stats/campaigns/{campaign_id}/progress").json()
    assert (progress["name"], progress["pledged"], progress["paid"]) == ("Natale 2026", "50.00", "30.00")


@pytest.mark.postgres
def test_donations_before_campaign_created_on_postgresql(pg_settings: Settings) -> None:
    messages = natale_2026_messages()
    in_order = PostgresStore(pg_settings.postgres.conninfo(), schema="progress_in_order")
    reversed_sources = PostgresStore(pg_settings.postgres.conninfo(), schema="progress_donations_first")
    try:
        expected = project(in_order, messages, messages)
        later = [m for m in messages if m.source == "donations"] + [m for m in messages if m.source == "campaigns"]
        assert project(reversed_sources, messages, later) == expected
    finally:
        in_order.close()
        reversed_sources.close()
