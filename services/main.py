"""The composition root: every service, projection, feed and job of Angeli wired into one process."""

from __future__ import annotations

import logging
import threading
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from apscheduler.schedulers.background import BackgroundScheduler
from fastapi import Depends, FastAPI
from fastapi.staticfiles import StaticFiles

from services.calls import main as calls
from services.campaigns import main as campaigns
from services.console import main as console
from services.donations import main as donations
from services.identity import api as auth_api
from services.identity import main as identity
from services.identity.application import Identity
from services.identity.auth import enforce
from services.identity.cli import HINT
from services.identity.policy import POLICY
from services.kernel import logs
from services.kernel.catalog import ReadStores
from services.kernel.clock import Clock, ShiftedClock, SystemClock
from services.kernel.consumer import FeedConsumer
from services.kernel.feed import EventFeed
from services.kernel.follower import EmbeddedFollower, ProjectionSubscriber, ReactionSubscriber, Subscriber
from services.kernel.freshness import Unhandled
from services.kernel.http import HealthCheck, create_api
from services.kernel.kafka import KafkaUnavailable, consumer_lag
from services.kernel.leader import Leadership
from services.kernel.metrics import Sample
from services.kernel.metrics import install as install_metrics
from services.kernel.readmodel import Projection, ReadStore
from services.kernel.relay import Relay, relay_lag
from services.kernel.scheduling import start_scheduler
from services.kernel.settings import Settings
from services.kernel.wiring import Service
from services.privacy import main as privacy
from services.privacy.application import PrivacyVault
from services.privacy.domain import MasterKeyMismatch
from services.privacy.main import open_vault
from services.projections import campaigns_api, console_api, hours_api, ledger_api
from services.projections import main as projections

log = logging.getLogger(__name__)

# privacy: the vault's access trail, an event source like the others (its routes come with it).
SERVICE_BUILDERS = (calls.build, donations.build, campaigns.build, privacy.build)

DESCRIPTION = (
    "Angeli runs a volunteer contact centre for a charity: volunteers and shifts, helpline and campaign "
    "calls, pledges and payments, and a verifiable donation ledger. Every change is an immutable event."
)


@dataclass
class Product:
    settings: Settings
    clock: Clock
    vault: PrivacyVault
    services: dict[str, Service]
    read_stores: ReadStores
    reactions: list[ReactionSubscriber]
    feeds: dict[str, EventFeed]
    identity: Identity | None = None
    follower: EmbeddedFollower | None = None
    scheduler: BackgroundScheduler | None = None
    _stop: threading.Event = field(default_factory=threading.Event)
    _threads: list[threading.Thread] = field(default_factory=list)
    failed: threading.Event = field(default_factory=threading.Event)
    _closed: bool = False
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

    def _subscriber(self, name: str) -> Subscriber:
        return next(s for s in self.subscribers if s.name == name)

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
                                        group=self._group(version))
                try:
                    while not stop.is_set() and self.read_stores.live(projection.name)[0] == version:
                        consumer.poll_once()
                finally:
                    consumer.close()

        return run

    def _group(self, name: str) -> str:
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

    def stop(self) -> None:
        """Stop what runs and close the stores; a second call does nothing more."""
        if self._closed:
            return
        self._stop.set()
        self._closed = True
        if self.scheduler is not None and self.scheduler.running:
            self.scheduler.shutdown(wait=False)
        if self.follower is not None:
            self.follower.stop()
        for thread in self._threads:
            thread.join(timeout=15)
        for service in self.services.values():
            service.application.close()
        self.read_stores.close()
        self.vault.store.close()
        if self.identity is not None:
            self.identity.store.close()

    def unhandled(self) -> dict[tuple[str, str], Unhandled]:
        """Per (reaction, source): what the reaction has not handled yet (read-your-writes across services)."""
        partitions = self.settings.kafka_partitions if self.settings.distributed else 1
        return {(r.name, source): Unhandled(self.feeds[source], r, partitions)
                for r in self.reactions for source in r.sources if source in self.feeds}

    def health(self) -> dict[str, HealthCheck]:
        """The checks of `/health`; each looks up the live version when it runs, so a rebuild's switch shows."""
        checks: dict[str, HealthCheck] = {}
        for name, feed in self.feeds.items():
            checks[f"event_store.{name}"] = _event_store_check(feed)
        for name in self.read_stores:
            checks[f"projection.{name}"] = _positions_check(partial(self.read_stores.__getitem__, name))
        if not self.settings.distributed:
            for subscriber in self.subscribers:
                checks[f"feed.{subscriber.name}"] = _lag_check(partial(self._subscriber, subscriber.name), self.feeds)
        if self.settings.run_jobs:
            checks["scheduler"] = lambda: {"running": bool(self.scheduler and self.scheduler.running)}
        return checks

    def gauges(self) -> dict[str, tuple[str, Callable[[], list[Sample]]]]:
        gauges: dict[str, tuple[str, Callable[[], list[Sample]]]] = {
            "angeli_event_store_head": ("newest notification id per source", lambda: [
                ({"source": n}, float(f.head())) for n, f in self.feeds.items()]),
            "angeli_projection_position": ("tracked position per projection, source and partition", lambda: [
                ({"projection": name, "source": source, "partition": str(part)}, float(position))
                for name, store in self.read_stores.items()
                for (source, part), position in store.positions().items()]),
        }
        if self.settings.distributed:
            gauges["angeli_relay_lag"] = ("notifications stored but not yet confirmed by Kafka", lambda: [
                ({"source": n}, float(relay_lag(self.settings, f))) for n, f in self.feeds.items()])
            gauges["angeli_consumer_lag"] = ("messages left per consumer group and partition", lambda: [
                sample for s in self.subscribers
                for sample in consumer_lag(
                    self.settings,
                    self._group(self.read_stores.live(s.name)[0] if s.name in self.read_stores else s.name),
                    [self.settings.topic(src) for src in s.sources])])
        return gauges


def _event_store_check(feed: EventFeed) -> HealthCheck:
    return lambda: {"head": feed.head()}


def _positions_check(live: Callable[[], ReadStore]) -> HealthCheck:
    return lambda: {"positions": {f"{source}#{part}": pos for (source, part), pos in live().positions().items()}}


def _lag_check(live: Callable[[], Subscriber], feeds: dict[str, EventFeed]) -> HealthCheck:
    # Embedded positions are the sources' own notification ids, so head minus position is the lag.
    def check() -> dict[str, Any]:
        subscriber = live()
        return {"lag": {s: max(0, feeds[s].head() - subscriber.position(s, 0))
                        for s in subscriber.sources if s in feeds}}
    return check


def build(settings: Settings, clock: Clock | None = None) -> Product:
    if clock is None:
        clock = ShiftedClock(settings.clock_start) if settings.clock_start else SystemClock()
    vault = open_vault(settings, clock)
    services = {s.name: s for s in (builder(settings, clock, vault) for builder in SERVICE_BUILDERS)}
    read_stores = ReadStores(settings, projections.PROJECTIONS)
    reactions = [ReactionSubscriber(r) for s in services.values() for r in s.reactions]
    feeds = {name: EventFeed(name, s.application) for name, s in services.items()}
    return Product(settings, clock, vault, services, read_stores, reactions, feeds, identity.build(settings, clock))


def create_api_for(product: Product) -> FastAPI:
    @asynccontextmanager
    async def lifespan(_api: FastAPI) -> AsyncIterator[None]:
        product.start()
        settings = product.settings
        pg = settings.postgres
        where = (settings.data_dir.resolve() if settings.mode == "embedded"
                 else f"PostgreSQL {pg.host}:{pg.port}/{pg.dbname}, Kafka {settings.kafka_bootstrap}")
        log.info("angeli started: %s mode, data in %s; feeds %s, jobs %s", settings.mode, where,
                 "on" if settings.run_feeds else "off", "on" if settings.run_jobs else "off")
        try:
            yield
        finally:
            product.stop()

    api = create_api(
        "Angeli",
        [*(s.router for s in product.services.values()), projections.router, hours_api.router, ledger_api.router,
         campaigns_api.router, auth_api.router, console_api.router, *console.ROUTERS],
        product.health(),
        lambda: [s.application for s in product.services.values()],
        DESCRIPTION,
        dependencies=[Depends(enforce(POLICY))],
    )
    api.router.lifespan_context = lifespan
    api.mount("/console/static", StaticFiles(directory=console.STATIC), name="console-static")
    install_metrics(api, product.gauges())
    api.state.applications = {name: s.application for name, s in product.services.items()}
    api.state.read_stores = product.read_stores
    api.state.unhandled = product.unhandled()
    api.state.vault = product.vault
    api.state.subject_records = {name: s.subject_records for name, s in product.services.items() if s.subject_records}
    api.state.identity = product.identity
    api.state.product = product
    return api


def create_app(settings: Settings | None = None) -> FastAPI:
    """uvicorn factory: `uvicorn --factory services.main:create_app` (settings from the environment), or the
    app of the settings a process role was given. Nothing connects at import."""
    logs.configure()
    try:
        product = build(settings or Settings.from_env())
    except MasterKeyMismatch as mismatch:
        log.error("cannot open the privacy vault: %s", mismatch)
        raise SystemExit(2) from None
    if product.identity is not None and not product.identity.has_administrator():
        log.warning(HINT)
    return create_api_for(product)
