"""How the relay asks Kafka for delivery reports: once per page and partition, on the partition's last message,
sent after the others; its position moves only when every one of them is confirmed. On the real PostgreSQL
and Kafka, with every produce call of one page recorded."""

from __future__ import annotations

import threading
from collections import defaultdict
from typing import Any

import pytest
from confluent_kafka import KafkaError

from services.kernel.feed import EventFeed
from services.kernel.kafka import KafkaUnavailable
from services.kernel.relay import Relay
from services.kernel.settings import Settings
from tests.kernel.sample import Counter, sample_app

pytestmark = [pytest.mark.postgres, pytest.mark.kafka]


class RecordingProducer:
    """Stands in for the producer of one page: records each call, confirms nothing until told."""

    def __init__(self) -> None:
        self.calls: list[tuple[bytes, bytes, int, Any]] = []

    def produce(self, _topic: str, value: bytes, key: bytes, partition: int, on_delivery: Any = None) -> None:
        self.calls.append((key, value, partition, on_delivery))

    def poll(self, _timeout: float) -> int:
        return 0


def test_only_each_partitions_last_message_of_a_page_asks_for_its_delivery(pg_settings: Settings) -> None:
    app = sample_app(pg_settings)
    counters = [Counter(f"Natale {n}") for n in range(40)]
    for counter in counters:
        counter.tick(1)
    app.save(*counters)
    relay = Relay(pg_settings, EventFeed("sample", app), batch_size=1000)
    try:
        relay.acquire(threading.Event())
        producer = RecordingProducer()
        relay._producer = producer  # type: ignore[assignment]
        relay._reader.start(0, idle_wait=0.05, partitions=relay._partition_count())
        page = relay._reader.next_page(timeout=30)
        assert page is not None
        relay._send(*page)

        by_partition: dict[int, list[tuple[bytes, Any]]] = defaultdict(list)
        for key, _, partition, confirm in producer.calls:
            by_partition[partition].append((key, confirm))
        assert len(producer.calls) == 80 and len(by_partition) == 3
        for calls in by_partition.values():
            assert [confirm is not None for _, confirm in calls] == [False] * (len(calls) - 1) + [True]
        in_log_order: dict[int, list[bytes]] = defaultdict(list)
        for _, _, value, partition in page[1]:
            in_log_order[partition].append(value)
        in_produce_order: dict[int, list[bytes]] = defaultdict(list)
        for _, value, partition, _ in producer.calls:
            in_produce_order[partition].append(value)
        assert in_produce_order == in_log_order  # within a partition, the log's order
        aggregates: dict[bytes, set[int]] = defaultdict(set)
        for key, _, partition, _ in producer.calls:
            aggregates[key].add(partition)
        assert all(len(partitions) == 1 for partitions in aggregates.values())  # an aggregate keeps its partition

        checkpoints = [confirm for _, _, _, confirm in producer.calls if confirm is not None]
        for confirm in checkpoints[:-1]:
            confirm(None, None)
        relay._store_confirmed()
        assert relay.position() == 0, "two partitions confirmed of three: the position stays"
        checkpoints[-1](None, None)
        relay._store_confirmed()
        assert relay.position() == page[2]
    finally:
        relay._reader.close()
        relay._conn.close()
        relay._leadership.close()


def test_a_fatal_producer_error_stops_the_drain_for_a_resend_from_the_stored_position(
        pg_settings: Settings) -> None:
    app = sample_app(pg_settings)
    app.save(Counter("Giulia"))
    relay = Relay(pg_settings, EventFeed("sample", app), batch_size=1000)
    try:
        relay.acquire(threading.Event())
        relay._on_error(KafkaError(KafkaError._FATAL, "gapless guarantee broken", fatal=True))
        with pytest.raises(KafkaUnavailable, match="the producer stopped"):
            relay.drain(threading.Event(), idle_wait=0.05)
    finally:
        relay.close()
