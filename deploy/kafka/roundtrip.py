"""Readiness probe for the local Kafka broker: one produce/consume round trip via confluent_kafka.

Usage: python roundtrip.py BOOTSTRAP TIMEOUT_SECONDS
Exit 0 when a freshly produced message has been consumed back through a consumer group
(which also makes the broker create __consumer_offsets), 1 on timeout/error, 3 if
confluent_kafka is not importable.
"""

import sys
import time
import uuid

try:
    from confluent_kafka import Consumer, KafkaError, KafkaException, Producer
    from confluent_kafka.admin import AdminClient, NewTopic
except ImportError:
    sys.exit(3)

TOPIC = "angeli-readiness"
# librdkafka logs every refused connection while the broker boots; keep only critical logs.
QUIET = {"log_level": 2}


def attempt(bootstrap: str, deadline: float) -> None:
    admin = AdminClient({"bootstrap.servers": bootstrap, **QUIET})
    md = admin.list_topics(timeout=max(1.0, deadline - time.monotonic()))
    if TOPIC not in md.topics:
        fut = admin.create_topics([NewTopic(TOPIC, num_partitions=1, replication_factor=1)])[TOPIC]
        try:
            fut.result(timeout=max(1.0, deadline - time.monotonic()))
        except KafkaException as exc:
            if exc.args[0].code() != KafkaError.TOPIC_ALREADY_EXISTS:
                raise

    token = uuid.uuid4().hex.encode()
    errors = []
    producer = Producer({"bootstrap.servers": bootstrap, "acks": "all", "enable.idempotence": True, **QUIET})
    producer.produce(TOPIC, value=token, on_delivery=lambda err, _msg: err and errors.append(err))
    if producer.flush(max(1.0, deadline - time.monotonic())) != 0 or errors:
        raise RuntimeError(f"produce failed: {errors or 'flush timed out'}")

    consumer = Consumer(
        {
            "bootstrap.servers": bootstrap,
            "group.id": "angeli-readiness",
            "auto.offset.reset": "earliest",
            "enable.auto.commit": False,
            **QUIET,
        }
    )
    try:
        consumer.subscribe([TOPIC])
        while time.monotonic() < deadline:
            msg = consumer.poll(0.5)
            if msg is None:
                continue
            if msg.error():
                if msg.error().code() == KafkaError._PARTITION_EOF:
                    continue
                raise KafkaException(msg.error())
            if msg.value() == token:
                consumer.commit(message=msg, asynchronous=False)
                return
        raise TimeoutError("message not consumed back in time")
    finally:
        consumer.close()


def main() -> int:
    bootstrap, timeout = sys.argv[1], float(sys.argv[2])
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        try:
            attempt(bootstrap, deadline)
            return 0
        except Exception as exc:  # noqa: BLE001 - report the last error, keep retrying
            last = exc
            time.sleep(1)
    print(f"round trip via {bootstrap} failed: {last!r}", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
