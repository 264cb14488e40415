"""The Kafka consumer: messages of one partition → a subscriber (projection or reaction), then commit."""

from __future__ import annotations

import logging
import threading
from collections import defaultdict

from confluent_kafka import Consumer, KafkaError, KafkaException, TopicPartition

from services.kernel.follower import Subscriber
from services.kernel.kafka import KafkaUnavailable, ensure_topics
from services.kernel.messages import Message
from services.kernel.settings import Settings

log = logging.getLogger(__name__)


class FeedConsumer:
    """One member of the subscriber's consumer group.

    Exactly-once effect from at-least-once delivery: offsets are committed only after the subscriber
    stored its rows, and the subscriber skips positions it already tracked for that partition.
    """

    def __init__(
        self, settings: Settings, subscriber: Subscriber, batch_size: int = 500, group: str | None = None
    ) -> None:
        self.settings = settings
        self.subscriber = subscriber
        self.batch_size = batch_size
        ensure_topics(settings, subscriber.sources)
        self._consumer = Consumer({
            "bootstrap.servers": settings.kafka_bootstrap,
            "group.id": group or f"{settings.topic_prefix}.{subscriber.name}",
            "enable.auto.commit": False,
            "auto.offset.reset": "earliest",
            "partition.assignment.strategy": "cooperative-sticky",
            # A killed member's partitions go to the others after 10 s, not the default 45 s.
            "session.timeout.ms": 10000,
            "heartbeat.interval.ms": 2000,
        })
        self._consumer.subscribe([settings.topic(s) for s in subscriber.sources])

    def poll_once(self, timeout: float = 0.5) -> int:
        """Handle one batch; returns how many messages it held. Raises on a message it cannot read."""
        # Wait for the first message only, then take what is already buffered: low lag when quiet,
        # big batches under load.
        first = self._consumer.poll(timeout)
        if first is None:
            return 0
        records = [first, *self._consumer.consume(num_messages=self.batch_size - 1, timeout=0)]
        batches: dict[int, list[Message]] = defaultdict(list)
        marks: dict[tuple[str, int], int] = {}
        offsets: dict[tuple[str, int], int] = {}
        for record in records:
            error = record.error()
            if error is not None:
                if error.fatal():
                    raise KafkaUnavailable(f"consumer {self.subscriber.name}: {error}")
                # Transient (a topic still propagating, a broker restarting): librdkafka recovers by itself.
                if error.code() != KafkaError._PARTITION_EOF:
                    log.warning("consumer %s: %s", self.subscriber.name, error)
                continue
            # An unknown format version stops the consumer (MessageFormatError) instead of guessing.
            topic, part, offset = record.topic() or "", record.partition() or 0, record.offset() or 0
            message = Message.from_json(record.value() or b"")
            if message.is_watermark:
                marks[(message.source, part)] = message.position
            else:
                batches[part].append(message)
            offsets[(topic, part)] = offset
        for part, messages in batches.items():
            self.subscriber.handle(messages, part)
        for (source, part), position in marks.items():
            self.subscriber.skip_to(source, part, position)
        if offsets:
            try:
                self._consumer.commit(
                    offsets=[TopicPartition(t, p, o + 1) for (t, p), o in offsets.items()], asynchronous=False
                )
            except KafkaException as error:
                # The rows are stored; uncommitted offsets only mean those messages come again and are skipped.
                raise KafkaUnavailable(f"consumer {self.subscriber.name} could not commit offsets: {error}") from error
        return len(records)

    def run(self, stop: threading.Event) -> None:
        while not stop.is_set():
            self.poll_once()

    def close(self) -> None:
        self._consumer.close()
