"""Rebuilding a read model without downtime: fill a new version from position zero beside the live one,
switch readers and consumers to it once it has caught up, then drop the old version."""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping

from services.kernel.catalog import Catalog, drop_store, first_version
from services.kernel.clock import Clock
from services.kernel.consumer import FeedConsumer
from services.kernel.feed import EventFeed
from services.kernel.follower import EmbeddedFollower, ProjectionSubscriber
from services.kernel.kafka import consumer_lag
from services.kernel.readmodel import Projection, open_store
from services.kernel.settings import Settings

# Readers and consumers look at the catalog once a second; the old version stays this long after a switch.
SWITCH_GRACE_SECONDS = 5.0


def rebuild(
    settings: Settings, projection: Projection, feeds: Mapping[str, EventFeed], clock: Clock,
    say: Callable[[str], None] = print, keep_old: bool = False,
) -> str:
    """Build a new version of `projection`, switch to it, drop the old one; returns the new version's name."""
    catalog = Catalog(settings)
    old = catalog.live().get(projection.name, first_version(projection.name))
    new = f"projection_{projection.name}_{clock.now():%Y%m%d%H%M%S%f}"
    store = open_store(settings, new)
    subscriber = ProjectionSubscriber(projection, store)
    say(f"building {new} from position zero beside {old}")
    if settings.distributed:
        _catch_up_from_kafka(settings, subscriber, group=f"{settings.topic_prefix}.{new}")
    else:
        EmbeddedFollower(feeds, [subscriber]).catch_up()
    catalog.switch(projection.name, new, clock.now())
    say(f"switched {projection.name} to {new}")
    store.close()
    threading.Event().wait(SWITCH_GRACE_SECONDS)
    if not keep_old:
        drop_store(settings, old)
        say(f"dropped {old}")
    catalog.close()
    return new


def _catch_up_from_kafka(settings: Settings, subscriber: ProjectionSubscriber, group: str) -> None:
    """Consume as the new version's own group until nothing is left; its committed offsets are where the
    live consumers continue after the switch."""
    consumer = FeedConsumer(settings, subscriber, group=group)
    topics = [settings.topic(source) for source in subscriber.sources]
    try:
        while True:
            handled = consumer.poll_once(timeout=1.0)
            if handled == 0 and sum(lag for _labels, lag in consumer_lag(settings, group, topics)) == 0:
                return
    finally:
        consumer.close()
