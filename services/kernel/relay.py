"""The relay: one service's notification log → its Kafka topic, keyed by aggregate id, resumable."""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from typing import Any

import psycopg
from confluent_kafka import KafkaError, KafkaException, Producer
from confluent_kafka import Message as KafkaMessage

from services.kernel.feed import EventFeed
from services.kernel.kafka import KafkaUnavailable, ensure_topics
from services.kernel.leader import Leadership
from services.kernel.messages import FORMAT_VERSION, WATERMARK, Message
from services.kernel.relay_reader import OutboxRow, RelayReader, RelayReadError
from services.kernel.settings import Settings

log = logging.getLogger(__name__)

_MAX_BATCHES_IN_FLIGHT = 4
_WATERMARK_EVERY_SECONDS = 1.0


class _Batch:
    """Messages sent together; done when Kafka has answered for each of them."""

    def __init__(self, last: int, pending: int) -> None:
        self.last = last
        self.pending = pending
        self.errors: list[KafkaError] = []

    def confirm(self, error: KafkaError | None, _message: KafkaMessage) -> None:
        self.pending -= 1
        if error is not None:
            self.errors.append(error)

    def done(self) -> bool:
        return self.pending == 0


class Relay:
    """Publishes in position order. Only one relay per source is active: the others wait on its lock."""

    def __init__(self, settings: Settings, feed: EventFeed, batch_size: int = 1000) -> None:
        self.settings = settings
        self.feed = feed
        self.topic = settings.topic(feed.source)
        self._in_flight: deque[_Batch] = deque()
        self._partitions = 0
        self._watermarked = (0, 0.0)  # position, monotonic time
        self._confirmed = 0
        self._leadership = Leadership(settings, f"angeli-relay:{feed.source}")
        self._conn = psycopg.connect(settings.postgres.conninfo(), autocommit=True)
        self._conn.execute(f'CREATE SCHEMA IF NOT EXISTS "{feed.source}"')
        self._conn.execute(
            f'CREATE TABLE IF NOT EXISTS "{feed.source}".relay_position '
            "(source TEXT PRIMARY KEY, position BIGINT NOT NULL)"
        )
        self._reader = RelayReader(feed, settings.postgres.conninfo(), batch_size)
        self._fatal: KafkaError | None = None
        self._producer = self._new_producer()

    def _new_producer(self) -> Producer:
        """Delivery is confirmed per page and partition, not per message: only a page's last message in each
        partition asks for a report. That is sound because this producer never gives up on a message (no
        delivery timeout) and is idempotent and gapless: Kafka appends a partition's messages in order, and a
        message lost before a later one of its partition stops the producer with a fatal error instead."""
        self._fatal = None
        return Producer({
            "bootstrap.servers": self.settings.kafka_bootstrap,
            "enable.idempotence": True,
            "enable.gapless.guarantee": True,
            "message.timeout.ms": 0,
            "acks": "all",
            "linger.ms": 5,
            "batch.num.messages": 10000,
            "compression.type": "lz4",
            "error_cb": self._on_error,
            "logger": log,
        })

    def _on_error(self, error: KafkaError) -> None:
        if error.fatal():
            self._fatal = error

    def acquire(self, stop: threading.Event) -> bool:
        """Block until this relay leads its source (a standby takes over when the leader dies)."""
        if not self._leadership.acquire(stop):
            return False
        ensure_topics(self.settings, [self.feed.source])
        self._reader.ready()
        self._partition_count()  # the topic's metadata now, not while the first page waits to be sent
        return True

    def _partition_count(self) -> int:
        """The topic's partition count from the broker (a topic just created may take a moment to show); fixed
        while this relay leads: partitions added to the topic count from its next start."""
        deadline = time.monotonic() + 30
        while not self._partitions:
            try:
                topic = self._producer.list_topics(self.topic, timeout=5).topics.get(self.topic)
            except KafkaException as error:
                raise KafkaUnavailable(f"relay {self.feed.source}: no metadata for {self.topic}: {error}") from None
            self._partitions = len(topic.partitions) if topic is not None and topic.error is None else 0
            if not self._partitions and time.monotonic() > deadline:
                raise KafkaUnavailable(f"relay {self.feed.source}: topic {self.topic} has no partitions")
            time.sleep(0 if self._partitions else 0.2)
        return self._partitions

    def position(self) -> int:
        row = self._conn.execute(
            f'SELECT position FROM "{self.feed.source}".relay_position WHERE source = %s', (self.feed.source,)
        ).fetchone()
        return int(row[0]) if row else 0

    def drain(self, stop: threading.Event, idle_wait: float = 0.1, until_caught_up: bool = False) -> None:
        """Publish continuously: the reader reads the next pages while this one is sent and Kafka still
        confirms the previous ones."""
        self._reader.start(self.position(), idle_wait, self._partition_count())
        while not stop.is_set():
            sent, caught_up = 0, False
            if len(self._in_flight) < _MAX_BATCHES_IN_FLIGHT:
                page = self._reader.next_page(timeout=0.005 if self._in_flight else idle_wait)
                if page is not None:
                    after, rows, last = page
                    sent = self._send(after, rows, last)
                    caught_up = last == after
            self._producer.poll(0 if sent or len(self._in_flight) < _MAX_BATCHES_IN_FLIGHT else idle_wait)
            if self._fatal is not None:
                raise KafkaUnavailable(f"relay {self.feed.source}: the producer stopped: {self._fatal}")
            self._store_confirmed()
            self._watermark()
            if until_caught_up and caught_up and not self._in_flight:
                return

    def _send(self, after: int, rows: list[OutboxRow], last: int) -> int:
        """Send one page read after `after`; returns how many rows it had (0 when there was nothing new)."""
        if last == after:
            return 0
        # The last message of each partition in the page asks for the delivery report. Found from the end: a
        # page of thousands of rows has the last of each of a few partitions among its last few dozen rows.
        checkpoints: dict[int, OutboxRow] = {}
        cut = len(rows)
        while cut and len(checkpoints) < self._partitions:
            cut -= 1
            row = rows[cut]
            if row[2] and row[3] not in checkpoints:  # empty: an event feeds skip
                checkpoints[row[3]] = row
        produce, topic = self._producer.produce, self.topic  # the hot loop: rows before the first checkpoint
        for _, key, value, partition in rows[:cut]:
            if value:
                try:
                    produce(topic, value, key, partition)
                except BufferError:
                    self._produce_when_room(key, value, partition, None)
        batch = _Batch(last, pending=len(checkpoints))
        for row in rows[cut:]:
            _, key, value, partition = row
            if value:
                self._produce_when_room(key, value, partition, batch.confirm if checkpoints[partition] is row else None)
        self._in_flight.append(batch)
        return len(rows)

    def _store_confirmed(self) -> None:
        """Move the position past every leading batch that Kafka confirmed in full."""
        confirmed = None
        while self._in_flight and self._in_flight[0].done():
            batch = self._in_flight.popleft()
            if batch.errors:
                self._in_flight.clear()  # everything after it is resent from the stored position
                raise KafkaUnavailable(f"relay {self.feed.source}: delivery failed: {batch.errors[:3]}")
            confirmed = batch.last
        # At-least-once: the position moves only after Kafka confirmed every message of the batch.
        if confirmed is not None:
            self._conn.execute(
                f'INSERT INTO "{self.feed.source}".relay_position (source, position) VALUES (%s, %s) '
                "ON CONFLICT (source) DO UPDATE SET position = excluded.position",
                (self.feed.source, confirmed),
            )
            self._confirmed = confirmed

    def _watermark(self) -> None:
        """Tell every partition how far the source is confirmed (at most once a second): a partition that
        gets no messages for a while still lets its consumers move their tracking forward."""
        position, at, confirmed = *self._watermarked, self._confirmed
        if confirmed <= position or time.monotonic() - at < _WATERMARK_EVERY_SECONDS:
            return
        mark = Message(self.feed.source, confirmed, WATERMARK, FORMAT_VERSION, "", "", {}).to_json()
        for partition in range(self._partition_count()):
            self._producer.produce(self.topic, value=mark, partition=partition)
        self._watermarked = (confirmed, time.monotonic())

    def _produce_when_room(self, key: bytes, value: bytes, partition: int, confirm: Any) -> None:
        while True:
            try:
                self._producer.produce(self.topic, value, key, partition, on_delivery=confirm)
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
                self.drain(stop, idle_wait)
            except (KafkaUnavailable, RelayReadError) as problem:
                # The broker is away, or the database connection broke (the reader connects again): resend what
                # Kafka has not confirmed, from the stored position; consumers skip what they already have.
                log.exception("relay %s: %s; resending from its stored position", self.feed.source, problem)
                if self._fatal is not None:
                    self._producer = self._new_producer()
                else:
                    self._producer.flush(30)
                self._in_flight.clear()
                stop.wait(2.0)

    def close(self) -> None:
        self._reader.close()
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
