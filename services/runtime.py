"""What runs beside the API: the embedded follower, or relays and consumers, and the scheduled jobs, each in a
guarded thread; a thread that fails marks the process failed so its supervisor restarts it."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field

from apscheduler.schedulers.background import BackgroundScheduler

from services.kernel.catalog import ReadStores
from services.kernel.consumer import FeedConsumer
from services.kernel.feed import EventFeed
from services.kernel.follower import EmbeddedFollower, ProjectionSubscriber, ReactionSubscriber, Subscriber
from services.kernel.freshness import Unhandled
from services.kernel.kafka import KafkaUnavailable
from services.kernel.leader import Leadership
from services.kernel.readmodel import Projection
from services.kernel.relay import Relay
from services.kernel.scheduling import start_scheduler
from services.kernel.settings import Settings
from services.kernel.wiring import Service
from services.projections import main as projections

log = logging.getLogger(__name__)


@dataclass
class Runtime:
    settings: Settings
    services: dict[str, Service]
    read_stores: ReadStores
    reactions: list[ReactionSubscriber]
    feeds: dict[str, EventFeed]
    follower: EmbeddedFollower | None = None
    scheduler: BackgroundScheduler | None = None
    failed: threading.Event = field(default_factory=threading.Event)
    _stop: threading.Event = field(default_factory=threading.Event)
    _threads: list[threading.Thread] = field(default_factory=list)
    _live: dict[str, ProjectionSubscriber] = field(default_factory=dict)  # projection -> its live version's

    @property
    def subscribers(self) -> list[Subscriber]:
        """Every projection (on its live version) and every reaction."""
        return [*(self._projection_subscriber(p) for p in projections.PROJECTIONS), *self.reactions]

    def _projection_subscriber(self, projection: Projection) -> ProjectionSubscriber:
        """The subscriber of the live version; after a rebuild's switch, a new one on the new version."""
        _version, store = self.read_stores.live(projection.name)
        current = self._live.get(projection.name)
        if current is None or current.store is not store:
            current = self._live[projection.name] = ProjectionSubscriber(projection, store)
        return current

    def subscriber(self, name: str) -> Subscriber:
        return next(s for s in self.subscribers if s.name == name)

    @property
    def stopped(self) -> bool:
        return self._stop.is_set()

    def start(self) -> None:
        """Start what the settings ask this process to run beside its API: feeds and jobs."""
        if self.settings.run_feeds:
            if self.settings.distributed:
                self.start_relays(list(self.feeds))
                self.start_consumers([s.name for s in self.subscribers])
            else:
                self.start_follower()
        if self.settings.run_jobs:
            self.start_jobs()

    def start_follower(self) -> None:
        self.follower = EmbeddedFollower(
            self.feeds, lambda: self.subscribers, self.settings.feed_interval_seconds
        )
        for service in self.services.values():
            service.application.on_saved(self.follower.wake)
        self.follower.start()

    def start_relays(self, sources: list[str]) -> None:
        for source in sources:
            relay = Relay(self.settings, self.feeds[source])
            self._spawn(f"relay-{source}", relay.run, relay.close)

    def start_consumers(self, names: list[str]) -> None:
        for projection in (p for p in projections.PROJECTIONS if p.name in names):
            self._spawn(f"consumer-{projection.name}", self._projection_consumer(projection), lambda: None)
        for reaction in (r for r in self.reactions if r.name in names):
            self._spawn(f"consumer-{reaction.name}", self._reaction_consumer(reaction), lambda: None)

    def _reaction_consumer(self, reaction: ReactionSubscriber) -> Callable[[threading.Event], None]:
        def run(stop: threading.Event) -> None:
            consumer = FeedConsumer(self.settings, reaction)
            try:
                consumer.run(stop)
            finally:
                consumer.close()

        return run

    def _projection_consumer(self, projection: Projection) -> Callable[[threading.Event], None]:
        """Consume into the live version; when a rebuild switches versions, continue as the new version's
        consumer group, whose committed offsets match what the rebuild stored."""

        def run(stop: threading.Event) -> None:
            while not stop.is_set():
                version, store = self.read_stores.live(projection.name)
                consumer = FeedConsumer(self.settings, ProjectionSubscriber(projection, store),
                                        group=self.group(version))
                try:
                    while not stop.is_set() and self.read_stores.live(projection.name)[0] == version:
                        consumer.poll_once()
                finally:
                    consumer.close()

        return run

    def group(self, name: str) -> str:
        """The Kafka consumer group of a reaction or of a projection's version."""
        return f"{self.settings.topic_prefix}.{name}"

    def start_jobs(self) -> None:
        jobs = [job for s in self.services.values() for job in s.jobs]
        if not self.settings.distributed:
            self.scheduler = start_scheduler(jobs)
            return
        leadership = Leadership(self.settings, "angeli-scheduler")

        def lead(stop: threading.Event) -> None:
            # One active scheduler: a standby waits on the lock and takes over when the leader dies.
            if leadership.acquire(stop):
                log.info("scheduler active")
                self.scheduler = start_scheduler(jobs)

        self._spawn("scheduler", lead, leadership.close)

    def _spawn(self, name: str, run: Callable[[threading.Event], None], close: Callable[[], None]) -> None:
        def guarded(stop: threading.Event) -> None:
            try:
                while not stop.is_set():
                    try:
                        run(stop)
                        return
                    except KafkaUnavailable as outage:
                        # The broker is down or restarting: wait for it rather than stopping the process.
                        log.warning("%s: %s; trying again in 2 s", name, outage)
                        stop.wait(2.0)
            except Exception:
                log.exception("%s stopped with an error; the process stops so a supervisor restarts it", name)
                self.failed.set()
            finally:
                if stop.is_set():
                    close()

        thread = threading.Thread(target=guarded, args=(self._stop,), name=name, daemon=True)
        thread.start()
        self._threads.append(thread)

    def catch_up(self) -> int:
        """Bring every projection and reaction up to date now, through the in-process feeds (tests, CLI)."""
        follower = self.follower or EmbeddedFollower(self.feeds, lambda: self.subscribers)
        return follower.catch_up()

    def unhandled(self) -> dict[tuple[str, str], Unhandled]:
        """Per (reaction, source): what the reaction has not handled yet (read-your-writes across services)."""
        partitions = self.settings.kafka_partitions if self.settings.distributed else 1
        return {(r.name, source): Unhandled(self.feeds[source], r, partitions)
                for r in self.reactions for source in r.sources if source in self.feeds}

    def stop(self) -> None:
        """Stop the scheduler, the follower and every thread (each closes what it opened)."""
        self._stop.set()
        if self.scheduler is not None and self.scheduler.running:
            self.scheduler.shutdown(wait=False)
        if self.follower is not None:
            self.follower.stop()
        for thread in self._threads:
            thread.join(timeout=15)
