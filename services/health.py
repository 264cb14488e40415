"""What a running process tells about itself: the checks of `/health` and the gauges of `/metrics`."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

from services.kernel.feed import EventFeed
from services.kernel.follower import Subscriber
from services.kernel.http import HealthCheck
from services.kernel.kafka import consumer_lag
from services.kernel.metrics import Sample
from services.kernel.readmodel import ReadStore
from services.kernel.relay import relay_lag
from services.runtime import Runtime

Gauge = tuple[str, Callable[[], list[Sample]]]  # (help text, samples)


def checks(runtime: Runtime) -> dict[str, HealthCheck]:
    """The checks of `/health`; each looks up the live version when it runs, so a rebuild's switch shows."""
    settings, feeds, read_stores = runtime.settings, runtime.feeds, runtime.read_stores
    found: dict[str, HealthCheck] = {}
    for name, feed in feeds.items():
        found[f"event_store.{name}"] = _event_store_check(feed)
    for name in read_stores:
        found[f"projection.{name}"] = _positions_check(partial(read_stores.__getitem__, name))
    if not settings.distributed:
        for subscriber in runtime.subscribers:
            found[f"feed.{subscriber.name}"] = _lag_check(partial(runtime.subscriber, subscriber.name), feeds)
    if settings.run_jobs:
        found["scheduler"] = lambda: {"running": bool(runtime.scheduler and runtime.scheduler.running)}
    return found


def gauges(runtime: Runtime) -> dict[str, Gauge]:
    settings, feeds, read_stores = runtime.settings, runtime.feeds, runtime.read_stores
    found: dict[str, Gauge] = {
        "angeli_event_store_head": ("newest notification id per source", lambda: [
            ({"source": n}, float(f.head())) for n, f in feeds.items()]),
        "angeli_projection_position": ("tracked position per projection, source and partition", lambda: [
            ({"projection": name, "source": source, "partition": str(part)}, float(position))
            for name, store in read_stores.items()
            for (source, part), position in store.positions().items()]),
    }
    if settings.distributed:
        found["angeli_relay_lag"] = ("notifications stored but not yet confirmed by Kafka", lambda: [
            ({"source": n}, float(relay_lag(settings, f))) for n, f in feeds.items()])
        found["angeli_consumer_lag"] = ("messages left per consumer group and partition", lambda: [
            sample for s in runtime.subscribers
            for sample in consumer_lag(
                settings,
                runtime.group(read_stores.live(s.name)[0] if s.name in read_stores else s.name),
                [settings.topic(src) for src in s.sources])])
    return found


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
