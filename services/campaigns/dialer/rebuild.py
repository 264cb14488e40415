"""Rebuild the due-queue index (the campaigns_queue store) from the campaigns event store.

The queue is a derived index: every row follows from Campaign, Contact, Person and RegisterCheck events
(plus presence and shifts, which follow from the calls service's messages). One pass over the notification log
rebuilds the aggregates in memory; the tables are then replaced in one transaction by `queue.apply` over every
event, the function each live save runs, so readers see either the old index or the new one. Running it
while volunteers dial is safe: a lease that commits meanwhile may be missing from the new rows, which costs
one re-check on the aggregates (they arbitrate), never a wrong offer.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from uuid import UUID

from eventsourcing.domain import Aggregate, DomainEventProtocol

from services.calls.contract import PRESENCE_MESSAGES, SHIFT_MESSAGES
from services.campaigns.application import CampaignsApplication
from services.campaigns.dialer import queue
from services.campaigns.domain.campaign import Campaign
from services.campaigns.domain.contact import Contact
from services.campaigns.domain.suppression import Person, RegisterCheck
from services.kernel.messages import Message

DERIVED_TABLES = ("queue_contacts", "queue_keys", "persons", "register_checks", "campaigns", "imports")
CALLS_TABLES = ("presence", "shifts", "shift_volunteers")  # from the calls service's messages


@dataclass(frozen=True)
class RebuildReport:
    events: int
    campaigns: int
    contacts: int
    persons: int
    register_checks: int
    presence: int


def rebuild_queue(application: CampaignsApplication, presence: Iterable[Message] | None = None,
                  batch: int = 2000) -> RebuildReport:
    """Replace the queue index with rows recomputed from events. `presence`: the calls service's Presence and
    Shift messages, to rebuild who is clocked in and the scheduled shifts (None keeps those rows)."""
    aggregates: dict[UUID, Aggregate] = {}
    events: list[DomainEventProtocol[UUID]] = []
    start, recorder = 1, application.recorder
    while notifications := recorder.select_notifications(start, limit=batch):
        for notification in notifications:
            if notification.topic.startswith("services.kernel."):
                continue  # kernel bookkeeping (idempotency records), not domain state
            event = application.mapper.to_domain_event(notification)
            mutated = event.mutate(aggregates.get(event.originator_id))  # type: ignore[attr-defined]
            if mutated is not None:
                aggregates[event.originator_id] = mutated
            events.append(event)
        start = notifications[-1].id + 1
    campaigns = {str(a.id): a for a in aggregates.values() if isinstance(a, Campaign)}
    calls = list(presence) if presence is not None else None
    with application.queue.transaction() as tx:
        for table in DERIVED_TABLES + (CALLS_TABLES if calls is not None else ()):
            tx.execute(f"DELETE FROM {table}")
        for message in calls or ():  # through the same writes as the live reaction, in the feed's order
            if message.type in SHIFT_MESSAGES:
                queue.note_shift(tx, message.aggregate_id, message.type, message.data)
            elif message.type in PRESENCE_MESSAGES:
                queue.note_presence(tx, message)
        # The very function each save runs, over every event at once.
        queue.apply(tx, application.queue.dialect, events, aggregates, application.clock.now(),
                    lambda campaign_id: campaigns[campaign_id].policy)
    application.cache.forget()
    clocked = {m.data["volunteer_id"] for m in calls or () if m.type in PRESENCE_MESSAGES}
    return RebuildReport(
        len(events), len(campaigns), sum(isinstance(a, Contact) for a in aggregates.values()),
        sum(isinstance(a, Person) for a in aggregates.values()),
        sum(isinstance(a, RegisterCheck) for a in aggregates.values()), len(clocked))
