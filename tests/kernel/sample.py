"""A tiny event-sourced application for kernel tests: counters that tick, nothing else."""

from __future__ import annotations

import os
import signal
import sys
import threading
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from services.kernel.eventstore import ServiceApplication, event_store_env
from services.kernel.feed import EventFeed
from services.kernel.messages import Message
from services.kernel.readmodel import Projection, Tx
from services.kernel.relay import Relay
from services.kernel.settings import Settings

SOURCE = "sample"


class Counter(Aggregate):
    @event("Created")
    def __init__(self, label: str) -> None:
        self.label = label
        self.ticks = 0

    @event("Ticked")
    def tick(self, n: int) -> None:
        self.ticks = n

    @event("Noted")
    def note(self, details: dict[str, Any], tags: list[str]) -> None:
        """Plain values only, nested and in no particular key order."""
        self.details = details

    class Renamed(Aggregate.Event):
        """An event class at version 2: its states of version 1 (no reason) are upcast by the library."""

        class_version = 2
        label: str
        reason: str

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            state["reason"] = "not given"

    @event(Renamed)
    def rename(self, label: str, reason: str) -> None:
        self.label = label


class SampleApplication(ServiceApplication):
    name = "sample"


def sample_app(settings: Settings) -> SampleApplication:
    return SampleApplication(event_store_env(settings, SOURCE))


SCHEMA = (
    "CREATE TABLE IF NOT EXISTS seen ("
    " aggregate_id TEXT NOT NULL, version BIGINT NOT NULL, times INTEGER NOT NULL,"
    " PRIMARY KEY (aggregate_id, version))",
)


def apply(tx: Tx, message: Message) -> None:
    tx.execute(
        "INSERT INTO seen (aggregate_id, version, times) VALUES (?, ?, 1) "
        "ON CONFLICT (aggregate_id, version) DO UPDATE SET times = seen.times + 1",
        (message.aggregate_id, message.aggregate_version),
    )


SEEN = Projection(name="seen", sources=(SOURCE,), schema=SCHEMA, apply=apply)


def run_relay() -> None:
    """Entry point of the relay subprocess: relays the sample log until killed."""
    settings = Settings.from_env()
    relay = Relay(settings, EventFeed(SOURCE, sample_app(settings)), batch_size=int(os.environ["BATCH"]))
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    relay.run(stop, idle_wait=0.05)


if __name__ == "__main__":
    run_relay()
    sys.exit(0)


class Gift(Aggregate):
    """An aggregate whose events carry every kind of value a message must render."""

    @event("Pledged")
    def __init__(self, amount: Decimal, donor_id: UUID, at: datetime, on: date, tags: list[str],
                 lines: list[dict[str, Any]], kind: Kind, note: str | None) -> None:
        self.amount = amount


class Kind(StrEnum):
    MONEY = "money"
    GOODS = "goods"


def follow_until_told(settings: Settings, done: Any, out: Any) -> None:
    """A follower in a process of its own (tests/kernel/test_postgres_eventstore.py): reads the sample feed page
    by page from the start until `done` is set and it has caught up with the head, then puts every
    (position, aggregate id, version) it read, in reading order, on `out`."""
    feed = EventFeed(SOURCE, sample_app(settings))
    seen: list[tuple[int, str, int]] = []
    position = 0
    while True:
        finished = done.is_set()
        messages, position = feed.read(position, limit=37)
        seen.extend((m.position, m.aggregate_id, m.aggregate_version) for m in messages)
        if finished and not messages and position >= feed.head():
            break
    out.put(seen)
