"""Subscribers to the event feeds, and the embedded in-process follower that drives them."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

from eventsourcing.persistence import Tracking

from services.kernel.errors import ConcurrencyConflict, DomainError
from services.kernel.eventstore import ServiceApplication
from services.kernel.feed import EventFeed
from services.kernel.messages import Message
from services.kernel.readmodel import Projection, ReadStore, advance, apply_batch

log = logging.getLogger(__name__)


class Subscriber(Protocol):
    """Something that consumes messages of some sources and remembers how far it got, per partition."""

    name: str
    sources: tuple[str, ...]

    def position(self, source: str, part: int) -> int: ...
    def handle(self, messages: Sequence[Message], part: int) -> None: ...
    def skip_to(self, source: str, part: int, position: int) -> None: ...


class ProjectionSubscriber:
    """Feeds one projection into one store: positions are read from and written to the same store."""

    def __init__(self, projection: Projection, store: ReadStore) -> None:
        self.projection = projection
        self.store = store
        self.name = projection.name
        self.sources = projection.sources
        store.create(projection.schema)

    def position(self, source: str, part: int) -> int:
        row = self.store.one("SELECT position FROM tracking WHERE source = ? AND part = ?", (source, part))
        return int(row["position"]) if row else 0

    def handle(self, messages: Sequence[Message], part: int) -> None:
        apply_batch(self.store, self.projection, messages, part)

    def skip_to(self, source: str, part: int, position: int) -> None:
        advance(self.store, source, position, part)


@dataclass(frozen=True)
class Reaction:
    """A service reacting to another service's events by running its own commands.

    `react` returns True when it saved, in which case it passed `tracking` to its save so that the
    effect and the position are one transaction.
    """

    name: str
    application: ServiceApplication
    sources: tuple[str, ...]
    react: Callable[[Message, Tracking], bool]


class ReactionSubscriber:
    def __init__(self, reaction: Reaction) -> None:
        self.reaction = reaction
        self.name = reaction.name
        self.sources = reaction.sources

    def position(self, source: str, part: int) -> int:
        return self.reaction.application.tracked_position(_tracking_name(source, part))

    def handle(self, messages: Sequence[Message], part: int) -> None:
        done: dict[str, int] = {}
        for message in messages:
            if message.source not in done:
                done[message.source] = self.position(message.source, part)
            if message.position <= done[message.source]:
                continue  # already reacted to: a republished duplicate
            self._react(message, part)
            done[message.source] = message.position

    def _react(self, message: Message, part: int) -> None:
        """React once. A conflict means the aggregate changed under us (react again on fresh state) or
        another consumer already reacted (its tracking says so); a refused command is a final outcome."""
        tracking = Tracking(_tracking_name(message.source, part), message.position)
        for _attempt in range(5):
            try:
                if not self.reaction.react(message, tracking):
                    self.reaction.application.save_tracked(tracking=tracking)
                return
            except ConcurrencyConflict:
                if self.position(message.source, part) >= message.position:
                    return
            except DomainError as refused:
                log.warning("%s: %s %s refused: %s", self.name, message.type, message.aggregate_id, refused)
                self.reaction.application.save_tracked(tracking=tracking)
                return
        raise ConcurrencyConflict(f"{self.name} kept conflicting on {message.type} at position {message.position}")

    def skip_to(self, source: str, part: int, position: int) -> None:
        if position > self.position(source, part):
            self.reaction.application.save_tracked(tracking=Tracking(_tracking_name(source, part), position))


def _tracking_name(source: str, part: int) -> str:
    return f"{source}#{part}"


class EmbeddedFollower:
    """Feeds every subscriber from the in-process feeds; wakes at once when any application saves."""

    def __init__(
        self,
        feeds: Mapping[str, EventFeed],
        subscribers: Sequence[Subscriber] | Callable[[], Sequence[Subscriber]],
        interval: float = 0.2,
    ) -> None:
        self.feeds = feeds
        # A callable is asked again on every pass, so a rebuilt read model's new store takes over.
        self._subscribers = subscribers
        self.interval = interval
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.errors = 0

    def wake(self) -> None:
        self._wake.set()

    def catch_up(self) -> int:
        """Run every subscriber until no feed has anything new; returns messages handled."""
        total = 0
        while True:
            current = self._subscribers() if callable(self._subscribers) else self._subscribers
            moved = sum(self._step(subscriber) for subscriber in current)
            total += moved
            if moved == 0:
                return total

    def _step(self, subscriber: Subscriber) -> int:
        handled = 0
        for source in subscriber.sources:
            feed = self.feeds.get(source)
            if feed is None:
                continue
            after = subscriber.position(source, 0)
            messages, last = feed.read(after)
            if messages:
                subscriber.handle(messages, 0)
                handled += len(messages)
            if last > (messages[-1].position if messages else after):
                subscriber.skip_to(source, 0, last)
                handled += 1
        return handled

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="angeli-feeds", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=10)

    def _run(self) -> None:
        while not self._stop.is_set():
            self._wake.wait(self.interval)
            self._wake.clear()
            try:
                self.catch_up()
            except Exception:
                # Keep following: the failed batch was rolled back and is retried on the next wake.
                self.errors += 1
                log.exception("embedded feed failed; retrying")
                self._stop.wait(1.0)
