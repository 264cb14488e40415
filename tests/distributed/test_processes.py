"""Distributed mode end to end: API replicas, relays, consumers and scheduler as separate OS processes."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import psycopg
import pytest
from confluent_kafka import Producer

from services.kernel.consumer import FeedConsumer
from services.kernel.follower import ProjectionSubscriber
from services.kernel.messages import Message, MessageFormatError
from services.kernel.readmodel import open_store
from services.kernel.settings import Settings
from tests.distributed.stack import Stack, wait_until
from tests.kernel.sample import SEEN

pytestmark = [pytest.mark.postgres, pytest.mark.kafka, pytest.mark.slow]

GIULIA = {"full_name": "Giulia Rossi", "phone": "+39 02 1234 5678", "email": "giulia@example.org",
          "roles": ["outreach"]}


@pytest.fixture
def stack(pg_settings: Settings, tmp_path: Path) -> Iterator[Stack]:
    running = Stack(pg_settings, tmp_path / "logs")
    yield running
    running.stop()


def test_a_command_on_one_replica_reaches_the_read_model_through_kafka(stack: Stack) -> None:
    first, second = stack.start_api("api-1"), stack.start_api("api-2")
    stack.start("relay", "relay")
    stack.start("consume", "consume")
    created = first.post("/volunteers", json=GIULIA)
    assert created.status_code == 201, created.text
    wait_until(lambda: second.get("/stats/roster").json()["total"] == 1, 60,
               f"the roster on the other replica; consumer log: {stack.log('consume')}")
    assert second.get(f"/volunteers/{created.json()['id']}").status_code == 200
    wait_until(lambda: 'angeli_relay_lag{source="calls"} 0.0' in second.get("/metrics").text, 30,
               "the relay lag metric to show the relay caught up")
    metrics = second.get("/metrics").text
    assert 'angeli_consumer_lag{group="' in metrics and 'topic="' in metrics
    assert 'angeli_projection_position{partition="' in metrics
    assert 'angeli_api_request_seconds_count{method="GET",route="/stats/roster",status="200"}' in metrics


def test_a_standby_relay_takes_over_when_the_active_one_is_killed(stack: Stack) -> None:
    api = stack.start_api("api")
    stack.start("relay-a", "relay")
    stack.start("consume", "consume")
    api.post("/volunteers", json=GIULIA)
    wait_until(lambda: api.get("/stats/roster").json()["total"] == 1, 60, "the first volunteer")
    stack.start("relay-b", "relay")  # waits on the advisory lock
    stack.kill("relay-a")
    api.post("/volunteers", json={**GIULIA, "full_name": "Marco Bianchi"})
    wait_until(lambda: api.get("/stats/roster").json()["total"] == 2, 60,
               f"the standby relay to publish; its log: {stack.log('relay-b')}")


def test_consumer_meeting_an_unknown_message_version_stops_with_a_clear_error(pg_settings: Settings) -> None:
    store = open_store(pg_settings, "projection_seen")
    consumer = FeedConsumer(pg_settings, ProjectionSubscriber(SEEN, store))
    future = Message("sample", 1, "Counter.Created", 1, "a", "2026-11-22T10:00:00+00:00", {}).to_json()
    producer = Producer({"bootstrap.servers": pg_settings.kafka_bootstrap})
    producer.produce(pg_settings.topic("sample"), key=b"a", value=future.replace(b'"version":1', b'"version":99'))
    producer.flush(10)
    with pytest.raises(MessageFormatError, match="version 99 is unknown"):
        wait_until(lambda: consumer.poll_once(timeout=1.0) > 0, 30, "the message to arrive")
    assert store.one("SELECT COUNT(*) AS n FROM seen") == {"n": 0}
    consumer.close()
    store.close()


def test_rebuild_without_downtime_switches_every_process_to_the_new_version(stack: Stack) -> None:
    api = stack.start_api("api")
    stack.start("relay", "relay")
    stack.start("consume", "consume")
    for n in range(5):
        api.post("/volunteers", json={**GIULIA, "full_name": f"Volontario {n}"})
    wait_until(lambda: api.get("/stats/roster").json()["total"] == 5, 60, "the first five volunteers")

    rebuilding = stack.start("rebuild", "rebuild", "roster")
    for n in range(5, 10):  # writes and reads go on while the new version is built and switched
        api.post("/volunteers", json={**GIULIA, "full_name": f"Volontario {n}"})
        assert api.get("/stats/roster").status_code == 200
    assert rebuilding.wait(timeout=120) == 0, stack.log("rebuild")
    api.post("/volunteers", json={**GIULIA, "full_name": "Dopo lo scambio"})

    wait_until(lambda: api.get("/stats/roster").json()["total"] == 11, 60,
               f"the switched roster to hold all eleven; consumer log: {stack.log('consume')}")
    with psycopg.connect(stack.settings.postgres.conninfo()) as conn:
        rows = conn.execute("SELECT nspname FROM pg_namespace WHERE nspname LIKE 'projection_roster%'")
        schemas = {r[0] for r in rows}
    assert len(schemas) == 1 and schemas != {"projection_roster"}, "only the new version remains"


def test_one_payment_is_sealed_in_the_ledger_though_other_partitions_stay_quiet(
    pg_settings: Settings, tmp_path: Path,
) -> None:
    # 24 partitions, three aggregates (donor, fund, pledge): at least 21 partitions never see a message.
    stack = Stack(replace(pg_settings, kafka_partitions=24), tmp_path / "logs")
    try:
        seal_one_payment(stack)
    finally:
        stack.stop()


def seal_one_payment(stack: Stack) -> None:
    api = stack.start_api("api")
    stack.start("relay", "relay")
    stack.start("consume", "consume", "ledger")
    donor = api.post("/donors", json={"kind": "person", "name": "Giulia Rossi"}).json()["id"]
    fund = api.post("/funds", json={"name": "Fondo famiglie"}).json()["id"]
    pledge = api.post("/pledges", json={"donor_id": donor, "fund_id": fund, "amount": "50.00"}).json()["id"]
    paid = api.post(f"/pledges/{pledge}/payments",
                    json={"amount": "50.00", "method": "card", "reference": "ch_natale_1"})
    assert paid.status_code == 201, paid.text
    # One pledge lands on one of the topic's partitions; the relay's watermarks move the others along.
    wait_until(lambda: len(api.get("/ledger").json()["entries"]) == 1, 60,
               f"the payment to be sealed in the ledger; relay log: {stack.log('relay')}")
    head = api.get("/ledger/head").json()
    assert head["sequence"] == 1
