"""The relay against the real Kafka broker: ordered per aggregate, and a killed relay loses and doubles nothing."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from collections import defaultdict
from pathlib import Path

import psycopg
import pytest
from confluent_kafka import Consumer

from services.kernel.consumer import FeedConsumer
from services.kernel.follower import ProjectionSubscriber
from services.kernel.messages import Message
from services.kernel.readmodel import open_store
from services.kernel.settings import Settings
from tests.distributed.stack import settings_env, wait_until
from tests.kernel.sample import SEEN, Counter, sample_app

pytestmark = [pytest.mark.postgres, pytest.mark.kafka]

ROOT = Path(__file__).resolve().parents[2]
AGGREGATES, TICKS = 100, 99  # 100 aggregates x (created + 99 ticks) = 10,000 events


def write_events(settings: Settings) -> int:
    """Write the events; returns the head position."""
    app = sample_app(settings)
    counters = [Counter(f"donor-{n}") for n in range(AGGREGATES)]
    for tick in range(1, TICKS + 1):
        for counter in counters:
            counter.tick(tick)
        if tick % 10 == 0 or tick == TICKS:
            app.save(*counters)  # many aggregates in one transaction
    return app.recorder.max_notification_id() or 0


def relay_position(settings: Settings) -> int:
    with psycopg.connect(settings.postgres.conninfo()) as conn:
        if conn.execute("SELECT to_regclass('sample.relay_position')").fetchone() == (None,):
            return 0  # the relay has not started yet
        row = conn.execute("SELECT position FROM sample.relay_position").fetchone()
        return int(row[0]) if row else 0


def wait_for_first_batch(settings: Settings, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    with psycopg.connect(settings.postgres.conninfo(), autocommit=True) as conn:
        while time.monotonic() < deadline:
            if conn.execute("SELECT to_regclass('sample.relay_position')").fetchone() != (None,):
                row = conn.execute("SELECT position FROM sample.relay_position").fetchone()
                if row and row[0] > 0:
                    return
            time.sleep(0.001)
    raise AssertionError(f"the relay confirmed nothing in {timeout}s")


def start_relay(settings: Settings, batch: int) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "tests.kernel.sample"], cwd=ROOT, env=settings_env(settings, BATCH=str(batch)),
    )


def read_topic(settings: Settings, expected: int) -> list[Message]:
    consumer = Consumer({"bootstrap.servers": settings.kafka_bootstrap, "group.id": f"{settings.topic_prefix}.check",
                         "auto.offset.reset": "earliest", "enable.auto.commit": False})
    consumer.subscribe([settings.topic("sample")])
    messages: list[Message] = []
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and len({(m.aggregate_id, m.aggregate_version) for m in messages}) < expected:
        for record in consumer.consume(500, timeout=1.0):
            if record.error() is None and not (message := Message.from_json(record.value())).is_watermark:
                messages.append(message)
    consumer.close()
    return messages


def test_relay_killed_midway_then_restarted_delivers_every_event_exactly_once(pg_settings: Settings) -> None:
    head = write_events(pg_settings)
    assert head == AGGREGATES * (TICKS + 1)

    relay = start_relay(pg_settings, batch=250)
    try:
        # the relay publishes 10,000 events in a fraction of a second: kill it as soon as it has confirmed some
        wait_for_first_batch(pg_settings, timeout=60)
    finally:
        relay.send_signal(signal.SIGKILL)  # a real process kill, mid-stream
        relay.wait()
    killed_at = relay_position(pg_settings)
    assert 0 < killed_at < head

    relay = start_relay(pg_settings, batch=250)
    try:
        wait_until(lambda: relay_position(pg_settings) == head, 90, "the restarted relay to catch up")
    finally:
        relay.terminate()
        relay.wait(timeout=30)

    on_topic = read_topic(pg_settings, expected=head)
    by_aggregate: dict[str, list[int]] = defaultdict(list)
    for message in on_topic:
        versions = by_aggregate[message.aggregate_id]
        if message.aggregate_version not in versions:
            versions.append(message.aggregate_version)
    assert len(by_aggregate) == AGGREGATES
    assert all(v == list(range(1, TICKS + 2)) for v in by_aggregate.values()), "per-aggregate order on the topic"

    store = open_store(pg_settings, "projection_seen")
    consumer = FeedConsumer(pg_settings, ProjectionSubscriber(SEEN, store))
    try:
        wait_until(lambda: consumer.poll_once() == 0 and store.one("SELECT COUNT(*) AS n FROM seen")["n"] == head,
                   90, "the consumer to apply every event")
    finally:
        consumer.close()
    counts = store.one("SELECT COUNT(*) AS n, MIN(times) AS lo, MAX(times) AS hi FROM seen")
    assert counts == {"n": head, "lo": 1, "hi": 1}  # every event exactly once
    store.close()
