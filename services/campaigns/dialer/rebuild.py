"""Rebuild the due-queue index (the campaigns_queue store) from the campaigns event store.

The queue is a derived index: every row follows from Campaign, Contact, Person and RegisterCheck events
(plus presence, which follows from the calls service's clock-in messages). One pass over the notification log
rebuilds the aggregates in memory; the tables are then replaced in one transaction, so readers see either the
old index or the new one. Running it while volunteers dial is safe: a lease that commits meanwhile may be
missing from the new rows, which costs one re-check on the aggregates (they arbitrate), never a wrong offer.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate

from services.campaigns.application import CampaignsApplication
from services.campaigns.calendar import zone
from services.campaigns.dialer import queue
from services.campaigns.domain.campaign import Campaign
from services.campaigns.domain.contact import Contact
from services.campaigns.domain.suppression import Person
from services.kernel.messages import Message

DERIVED_TABLES = ("queue_contacts", "queue_keys", "persons", "register_checks", "campaigns", "imports")
CALLS_TABLES = ("presence", "shifts", "shift_volunteers")  # from the calls service's messages
_CHUNK = 1000


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
    talk: dict[UUID, int] = {}
    imports: list[tuple[Any, ...]] = []
    checks: list[tuple[str, str]] = []
    events, start = 0, 1
    recorder = application.recorder
    while True:
        notifications = recorder.select_notifications(start, limit=batch)
        if not notifications:
            break
        for notification in notifications:
            if notification.topic.startswith("services.kernel."):
                continue  # kernel bookkeeping (idempotency records), not domain state
            event = application.mapper.to_domain_event(notification)
            mutated = event.mutate(aggregates.get(event.originator_id))  # type: ignore[attr-defined]
            if mutated is not None:
                aggregates[event.originator_id] = mutated
            kind = notification.topic.partition(":")[2]
            if kind == "Contact.AttemptRecorded":
                talk[event.originator_id] = talk.get(event.originator_id, 0) + int(event.talk_seconds)  # type: ignore[attr-defined]
            elif kind == "RegisterCheck.Imported":
                checks.append((event.checked_on, event.imported_at.isoformat()))  # type: ignore[attr-defined]
            elif kind == "Campaign.ContactsImported":
                e: Any = event
                imports.append((str(e.import_id), str(e.originator_id), e.rows, e.imported, e.merged, e.invalid, 1,
                                e.at.isoformat()))
            events += 1
        start = notifications[-1].id + 1
    now = application.clock.now()
    campaigns = {a.id: a for a in aggregates.values() if isinstance(a, Campaign)}
    persons = {a.id: a for a in aggregates.values() if isinstance(a, Person)}
    contacts = [a for a in aggregates.values() if isinstance(a, Contact)]
    rows = [_row(c, persons.get(c.person_id), campaigns[c.campaign_id], talk.get(c.id, 0), now) for c in contacts]
    calls = list(presence) if presence is not None else None
    clocked = _presence(calls) if calls is not None else None
    with application.queue.transaction() as tx:
        for table in DERIVED_TABLES + (CALLS_TABLES if calls is not None else ()):
            tx.execute(f"DELETE FROM {table}")
        for message in calls or ():
            if message.type in queue.SHIFT_MESSAGES:
                queue.note_shift(tx, message.aggregate_id, message.type, message.data)
        for campaign in campaigns.values():
            queue.index_campaign(tx, campaign)
        tx.executemany("INSERT INTO register_checks (checked_on, imported_at) VALUES (?, ?) ON CONFLICT"
                       " (checked_on) DO UPDATE SET imported_at = excluded.imported_at",
                       checks)
        for i in range(0, len(rows), _CHUNK):
            queue.index_contacts(tx, rows[i:i + _CHUNK])
        tx.executemany("INSERT INTO persons (person_id, suppression, register_listed_on) VALUES (?, ?, ?)",
                       [(str(p.id), p.suppression(), p.register_listed_on or "") for p in persons.values()])
        tx.executemany("INSERT INTO imports (import_id, campaign_id, rows_read, imported, merged, invalid, done,"
                       " started_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)", imports)
        if clocked is not None:
            tx.executemany("INSERT INTO presence (volunteer_id, clocked_in, at) VALUES (?, ?, ?)",
                           [(v, 1 if inside else 0, at) for v, (inside, at) in clocked.items()])
    application.forget_cached()
    return RebuildReport(events, len(campaigns), len(contacts), len(persons), len(checks),
                         len(clocked) if clocked is not None else 0)


def _row(contact: Contact, person: Person | None, campaign: Campaign, talk_seconds: int,
         now: datetime) -> tuple[Any, ...]:
    row = queue.contact_row(contact, person, campaign.policy, now)
    return (*row[:12], talk_seconds, *row[13:])


def _presence(messages: Iterable[Message]) -> dict[str, tuple[bool, str]]:
    """The latest clock-in state per volunteer (later `at` wins, as the live reaction does)."""
    latest: dict[str, tuple[bool, str]] = {}
    for m in messages:
        if m.type not in ("Presence.ClockedIn", "Presence.ClockedOut"):
            continue
        stamp = datetime.fromisoformat(m.data["at"]).astimezone(zone("UTC")).isoformat()  # as the reaction stores
        volunteer = m.data["volunteer_id"]
        if volunteer not in latest or latest[volunteer][1] <= stamp:
            latest[volunteer] = (m.type.endswith("In"), stamp)
    return latest
