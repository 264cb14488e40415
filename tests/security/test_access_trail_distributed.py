"""Distributed: access events stored in PostgreSQL reach the access_log read model through the relay and Kafka."""

from __future__ import annotations

from uuid import uuid4

import pytest

from services.identity.domain import Access, Actor
from services.kernel.clock import FixedClock
from services.kernel.kafka import ensure_topics
from services.kernel.settings import Settings
from services.main import build
from services.privacy import trail as access_trail
from tests.distributed.stack import wait_until

pytestmark = [pytest.mark.postgres, pytest.mark.kafka]
VOLUNTEER = Actor(kind="account", id="v1", name="lucia@angeli.example", role="volunteer")


def test_a_vault_read_on_postgresql_reaches_the_access_log_through_relay_and_kafka(
    pg_settings: Settings, clock: FixedClock,
) -> None:
    product = build(pg_settings, clock)
    try:
        ensure_topics(pg_settings, list(product.feeds))
        assert "privacy" in product.feeds
        giulia = uuid4()
        product.vault.put(giulia, {"first_name": "Giulia", "phone": "+39 02 1234 5678", "email": "g@example.org"})
        product.vault.get(giulia, Access(VOLUNTEER, "POST /campaigns/natale-2026/dialer/next"),
                          fields=("first_name", "phone"))
        assert product.feeds["privacy"].head() >= 1  # stored in the privacy schema before the data came back
        product.runtime.start_relays(["privacy"])
        product.runtime.start_consumers([access_trail.PROJECTION.name])
        log = product.read_stores[access_trail.PROJECTION.name]
        wait_until(lambda: access_trail.accesses(log, giulia), 90, "the access to reach access_log via Kafka")
        [row] = access_trail.accesses(log, giulia)
        assert (row["actor"], row["role"], row["outcome"], row["fields"]) == (
            "account:lucia@angeli.example", "volunteer", "read", ["first_name", "phone"])
    finally:
        product.stop()
