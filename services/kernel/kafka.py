"""Kafka plumbing shared by the relay and the consumers: client settings and topic creation."""

from __future__ import annotations

from collections.abc import Iterable

from confluent_kafka.admin import AdminClient, NewTopic  # type: ignore[attr-defined]

from services.kernel.settings import Settings


class KafkaUnavailable(RuntimeError):
    """The broker did not answer or refused an operation; the message says which and why."""


def ensure_topics(settings: Settings, sources: Iterable[str]) -> None:
    """Create each source's topic (partitioned by aggregate id) unless it exists."""
    admin = AdminClient({"bootstrap.servers": settings.kafka_bootstrap})
    try:
        existing = set(admin.list_topics(timeout=15).topics)
    except Exception as error:  # the client raises KafkaException with a descriptive error
        raise KafkaUnavailable(f"cannot reach Kafka at {settings.kafka_bootstrap}: {error}") from error
    wanted = [
        NewTopic(
            settings.topic(source),
            num_partitions=settings.kafka_partitions,
            replication_factor=1,
            config={"min.insync.replicas": "1", "retention.ms": "-1"},
        )
        for source in sources
        if settings.topic(source) not in existing
    ]
    if not wanted:
        return
    for topic, future in admin.create_topics(wanted, operation_timeout=30).items():
        try:
            future.result()
        except Exception as error:
            if "TOPIC_ALREADY_EXISTS" not in str(error):
                raise KafkaUnavailable(f"cannot create topic {topic}: {error}") from error


def consumer_lag(settings: Settings, group: str, topics: Iterable[str]) -> list[tuple[dict[str, str], float]]:
    """Per partition: newest offset minus the group's committed offset (what is left to consume)."""
    from confluent_kafka import Consumer, TopicPartition

    consumer = Consumer({"bootstrap.servers": settings.kafka_bootstrap, "group.id": group,
                         "enable.auto.commit": False})
    try:
        metadata = consumer.list_topics(timeout=5).topics
        partitions = [TopicPartition(t, p) for t in topics if t in metadata for p in metadata[t].partitions]
        samples = []
        for committed in consumer.committed(partitions, timeout=5):
            _low, high = consumer.get_watermark_offsets(committed, timeout=5)
            done = committed.offset if committed.offset >= 0 else 0
            labels = {"group": group, "topic": committed.topic, "partition": str(committed.partition)}
            samples.append((labels, float(max(0, high - done))))
        return samples
    finally:
        consumer.close()
