"""The relay: one service's notification log → its Kafka topic, keyed by aggregate id, resumable."""

from __future__ import annotations

import logging
import threading
from typing import Any

import psycopg
from confluent_kafka import KafkaError, Producer
from confluent_kafka import Message as KafkaMessage

from services.kernel.feed import EventFeed
from services.kernel.kafka import KafkaUnavailable, ensure_topics
from services.kernel.leader import Leadership
from services.kernel.settings import Settings

log = logging.getLogger(__name__)


class Relay:
    """Publishes in position order. Only one relay per source is active: the others wait on its lock."""

    def __init__(self, settings: Settings, feed: EventFeed, batch_size: int = 1000) -> None:
        self.settings = settings
        self.feed = feed
        self.topic = settings.topic(feed.source)
        self.batch_size = batch_size
        self._leadership = Leadership(settings, f"angeli-relay:{feed.source}")
        self._conn = psycopg.connect(settings.postgres.conninfo(), autocommit=True)
        self._conn.execute(f'CREATE SCHEMA IF NOT EXISTS "{feed.source}"')
        self._conn.execute(
            f'CREATE TABLE IF NOT EXISTS "{feed.source}".relay_position '
            "(source TEXT PRIMARY KEY, position BIGINT NOT NULL)"
        )
        self._producer = Producer({
            "bootstrap.servers": settings.kafka_bootstrap,
            "enable.idempotence": True,
            "acks": "all",
            "linger.ms": 5,
            "batch.num.messages": 10000,
            "compression.type": "lz4",
        })

    def acquire(self, stop: threading.Event) -> bool:
        """Block until this relay leads its source (a standby takes over when the leader dies)."""
        if not self._leadership.acquire(stop):
            return False
        ensure_topics(self.settings, [self.feed.source])
        return True

    def position(self) -> int:
        row = self._conn.execute(
            f'SELECT position FROM "{self.feed.source}".relay_position WHERE source = %s', (self.feed.source,)
        ).fetchone()
        return int(row[0]) if row else 0

    def publish_once(self) -> int:
        """Publish the next batch; returns how many messages were sent (0 when caught up)."""
        after = self.position()
        messages, last = self.feed.read(after, limit=self.batch_size)
        failures: list[Any] = []

        def confirm(error: KafkaError | None, _msg: KafkaMessage) -> None:
            if error is not None:
                failures.append(error)

        for message in messages:
            self._produce(message.aggregate_id, message.to_json(), confirm)
        undelivered = self._producer.flush(30)
        if failures or undelivered:
            raise KafkaUnavailable(
                f"relay {self.feed.source}: {undelivered} undelivered, errors {failures[:3]}; position stays {after}"
            )
        # At-least-once: the position moves only after Kafka confirmed every message of the batch.
        if last > after:
            self._conn.execute(
                f'INSERT INTO "{self.feed.source}".relay_position (source, position) VALUES (%s, %s) '
                "ON CONFLICT (source) DO UPDATE SET position = excluded.position",
                (self.feed.source, last),
            )
        return len(messages)

    def _produce(self, key: str, value: bytes, confirm: Any) -> None:
        while True:
            try:
                self._producer.produce(self.topic, key=key.encode(), value=value, on_delivery=confirm)
                return
            except BufferError:
                self._producer.poll(0.1)  # the local queue is full: let deliveries drain

    def lag(self) -> int:
        return max(0, self.feed.head() - self.position())

    def run(self, stop: threading.Event, idle_wait: float = 0.1) -> None:
        if not self.acquire(stop):
            return
        log.info("relay %s active from position %s", self.feed.source, self.position())
        while not stop.is_set():
            try:
                if self.publish_once() == 0:
                    stop.wait(idle_wait)
            except KafkaUnavailable:
                log.exception("relay %s could not publish; retrying", self.feed.source)
                stop.wait(2.0)

    def close(self) -> None:
        self._producer.flush(10)
        self._conn.close()
        self._leadership.close()


def relay_lag(settings: Settings, feed: EventFeed) -> int:
    """Notifications stored but not yet confirmed by Kafka, read from the relay's own position table."""
    with psycopg.connect(settings.postgres.conninfo()) as conn:
        exists = conn.execute("SELECT to_regclass(%s)", (f'"{feed.source}".relay_position',)).fetchone()
        if exists is None or exists[0] is None:
            return feed.head()
        row = conn.execute(f'SELECT position FROM "{feed.source}".relay_position').fetchone()
    return max(0, feed.head() - (int(row[0]) if row else 0))
