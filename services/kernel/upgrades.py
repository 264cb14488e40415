"""One-time upgrades of a store recorded as done: a step that must run once per installation (filling a new index
from older events) is recorded under its name when it has run, so the next start looks up one id and moves on.
Bookkeeping, not domain state: feeds carry no message for it (services.kernel.messages.skipped)."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import suppress
from typing import TYPE_CHECKING, TypeVar
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event

from services.kernel.errors import ConcurrencyConflict

if TYPE_CHECKING:
    from services.kernel.eventstore import ServiceApplication

T = TypeVar("T")

_UPGRADE = uuid5(NAMESPACE_URL, "angeli:kernel:upgrade")


class Upgrade(Aggregate):
    """A named one-time upgrade that has run on this store."""

    @staticmethod
    def create_id(name: str) -> UUID:
        return uuid5(_UPGRADE, name)

    @event("Done")
    def __init__(self, name: str) -> None:
        self.name = name


def needed(app: ServiceApplication, name: str) -> bool:
    """Whether the upgrade `name` still has to run on this store: cheap when it has run (one lookup by id). A store
    with no events needs none (whatever it will hold is indexed when saved): it is asked again at the next start."""
    return not app.exists(Upgrade.create_id(name)) and bool(app.recorder.max_notification_id())


def run_and_record(app: ServiceApplication, name: str, step: Callable[[], T]) -> T:
    """`step`, then the record that this store has had it (the next start skips it); two processes starting at once
    may both run an idempotent step, and one of them records it."""
    done = step()
    if not app.exists(Upgrade.create_id(name)):
        with suppress(ConcurrencyConflict):  # another process of this store recorded it, after its own run
            app.save(Upgrade(name))
    return done


def created(app: ServiceApplication, topics: Sequence[str], batch: int) -> dict[str, list[UUID]]:
    """The ids of the aggregates whose creation events carry `topics`, per topic, in the log's order."""
    found: dict[str, list[UUID]] = {topic: [] for topic in topics}
    start = 1
    while page := app.recorder.select_notifications(start, batch, topics=tuple(topics)):
        for notification in page:
            found[notification.topic].append(UUID(str(notification.originator_id)))
        start = page[-1].id + 1
    return found


def chunks(ids: list[UUID], size: int) -> Iterator[list[UUID]]:
    for start in range(0, len(ids), size):
        yield ids[start:start + size]
