"""Read-model fixtures: the services' real aggregates saved on the in-memory event store, followed into SQLite.

Each source ("calls", "campaigns", "donations") is one in-memory event store; a read model is its projection on
a SQLite file in tmp_path, fed by the embedded follower exactly as the product feeds it. The helpers below act
on the aggregates with explicit instants (the use cases would read a clock), so every figure can be worked out
by hand from the instants written in the test.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4
from zoneinfo import ZoneInfo

import pytest
from eventsourcing.domain import Aggregate

from services.calls.domain.call import Call, Direction, Disposition
from services.calls.domain.shift import Presence
from services.calls.domain.volunteer import Role, Status, Volunteer
from services.campaigns.calendar import ITALY_2024, Interval
from services.campaigns.domain.campaign import KINDS, Campaign, default_retry
from services.campaigns.domain.contact import Contact, Plan
from services.donations.domain.fund import Fund
from services.donations.domain.pledge import Pledge, make_pledge
from services.kernel.eventstore import ServiceApplication
from services.kernel.feed import EventFeed
from services.kernel.follower import EmbeddedFollower, ProjectionSubscriber
from services.kernel.messages import Message
from services.kernel.readmodel import Projection, SqliteStore
from tests.conftest import MEMORY

ROME = ZoneInfo("Europe/Rome")
D = Decimal


def rome(text: str) -> datetime:
    """An instant written as Rome wall time, e.g. rome('2026-11-23 10:00')."""
    return datetime.fromisoformat(text).replace(tzinfo=ROME)


class Sources:
    """One in-memory event store per source; what is saved there is what the feeds carry."""

    def __init__(self) -> None:
        self.applications = {name: ServiceApplication(dict(MEMORY)) for name in ("calls", "campaigns", "donations")}
        self.feeds = {name: EventFeed(name, app) for name, app in self.applications.items()}

    def save(self, source: str, *aggregates: Aggregate) -> None:
        self.applications[source].save(*aggregates)

    def messages(self, source: str) -> list[Message]:
        """Every message of the source, in position order (what a replay reads)."""
        return list(self.feeds[source].messages())


class ReadModel:
    """One projection on its own SQLite file, fed from the sources by the embedded follower."""

    def __init__(self, projection: Projection, store: SqliteStore, sources: Sources) -> None:
        self.projection = projection
        self.store = store
        self.follower = EmbeddedFollower(sources.feeds, [ProjectionSubscriber(projection, store)])

    def catch_up(self) -> int:
        """Follow every source until nothing is new; how many messages (and skipped positions) were handled."""
        return self.follower.catch_up()


@pytest.fixture
def sources() -> Sources:
    return Sources()


ReadModelOf = Callable[..., ReadModel]


@pytest.fixture
def read_model(sources: Sources, tmp_path: Path) -> Iterator[ReadModelOf]:
    """`read_model(ledger.PROJECTION)`: that read model on a fresh SQLite file, following `sources`."""
    made: list[SqliteStore] = []

    def make(projection: Projection, name: str = "") -> ReadModel:
        store = SqliteStore(str(tmp_path / f"{name or projection.name}-{len(made)}.db"))
        made.append(store)
        return ReadModel(projection, store, sources)

    yield make
    for store in made:
        store.close()


class Donations:
    """Funds, pledges and money movements as the donations use cases make them, at instants the test names."""

    def __init__(self, sources: Sources) -> None:
        self.sources = sources

    def save(self, *aggregates: Aggregate) -> None:
        self.sources.save("donations", *aggregates)

    def fund(self, name: str, at: datetime) -> Fund:
        fund = Fund(name, created_at=at)
        self.save(fund)
        return fund

    def pledge(self, fund: Fund, amount: str, at: datetime, donor: UUID | None = None, **links: Any) -> Pledge:
        pledge = make_pledge(donor or uuid4(), fund.id, links.pop("kind", "money"), D(amount), at, **links)
        self.save(pledge)
        return pledge

    def pay(self, pledge: Pledge, fund: Fund, amount: str, at: datetime, method: str = "card") -> UUID:
        payment_id = uuid4()
        pledge.receive_payment(payment_id, D(amount), method, f"ref-{payment_id.hex[:8]}", at)
        fund.credit(pledge.id, payment_id, D(amount), at)
        self.save(pledge, fund)
        return payment_id

    def reverse(self, pledge: Pledge, fund: Fund, payment_id: UUID, amount: str, at: datetime) -> None:
        pledge.reverse_payment(payment_id, D(amount), at, "chargeback")
        fund.debit(pledge.id, payment_id, D(amount), at)
        self.save(pledge, fund)

    def disburse(self, fund: Fund, amount: str, at: datetime, purpose: str = "Pacchi alimentari") -> UUID:
        disbursement_id = uuid4()
        fund.disburse(disbursement_id, D(amount), at, purpose, "FATT-2026-118")
        self.save(fund)
        return disbursement_id


@pytest.fixture
def donations(sources: Sources) -> Donations:
    return Donations(sources)


class Calls:
    """Volunteers, their presence and their calls as the calls use cases make them."""

    def __init__(self, sources: Sources) -> None:
        self.sources = sources
        self.presences: dict[UUID, Presence] = {}

    def save(self, *aggregates: Aggregate) -> None:
        self.sources.save("calls", *aggregates)

    def volunteer(self, at: datetime, *roles: Role) -> Volunteer:
        volunteer = Volunteer(roles or (Role.HELPLINE,), registered_at=at)
        presence = self.presences[volunteer.id] = Presence(volunteer.id)
        self.save(volunteer, presence)
        return volunteer

    def clock_in(self, volunteer: Volunteer, at: datetime) -> None:
        presence = self.presences[volunteer.id]
        presence.clock_in(at)
        self.save(presence)

    def clock_out(self, volunteer: Volunteer, at: datetime, corrected_by: Volunteer | None = None) -> None:
        presence = self.presences[volunteer.id]
        if corrected_by is None:
            presence.clock_out(at)
        else:
            presence.correct_forgotten_clock_out(at, corrected_by=corrected_by.id, now=at)
        self.save(presence)

    def shift(self, volunteer: Volunteer, start: datetime, end: datetime) -> None:
        self.clock_in(volunteer, start)
        self.clock_out(volunteer, end)

    def call(self, volunteer: Volunteer, started: datetime, disposition: str, talk_seconds: int | None = None,
             direction: Direction = Direction.INBOUND, ring_seconds: int = 20) -> Call:
        """A call started at `started`, answered after `ring_seconds` when it has talk time, then ended."""
        outbound = direction is Direction.OUTBOUND  # an outbound call names its campaign and contact
        campaign_id, contact_id = (uuid4(), uuid4()) if outbound else (None, None)
        call = Call.start(volunteer.id, direction, campaign_id, contact_id, None, started)
        ended = started + timedelta(seconds=ring_seconds)
        if talk_seconds is not None:
            call.connect(ended)
            ended += timedelta(seconds=talk_seconds)
        call.end(Disposition(disposition), ended, None)
        self.save(call)
        return call

    def train(self, volunteer: Volunteer, hours: str, on: date) -> None:
        volunteer.record_training("Ascolto attivo", D(hours), on, recorded_at=rome(f"{on} 18:00"))
        self.save(volunteer)

    def change_status(self, volunteer: Volunteer, status: Status, at: datetime) -> None:
        volunteer.change_status(status, changed_at=at)
        self.save(volunteer)


@pytest.fixture
def calls(sources: Sources) -> Calls:
    return Calls(sources)


WINDOW = {"weekdays": [0, 1, 2, 3, 4, 5], "start": "10:00", "end": "20:00", "timezone": "Europe/Rome"}


class Campaigns:
    """Campaigns and their contacts as the campaigns use cases make them."""

    def __init__(self, sources: Sources) -> None:
        self.sources = sources

    def save(self, *aggregates: Aggregate) -> None:
        self.sources.save("campaigns", *aggregates)

    def campaign(self, name: str, at: datetime, goal: str = "10000.00", fund_id: UUID | None = None,
                 starts_on: str = "2026-11-01", ends_on: str = "2026-12-31",
                 window: dict[str, Any] | None = None) -> Campaign:
        campaign = Campaign(name, fund_id or uuid4(), D(goal), starts_on, ends_on, window or WINDOW, ITALY_2024.name,
                            ITALY_2024.version, default_retry(), list(KINDS), created_at=at)
        self.save(campaign)
        return campaign

    def contact(self, campaign: Campaign, at: datetime) -> Contact:
        contact = Contact(campaign.id, uuid4(), ["Europe/Rome"], "Milano", [], uuid4(), at)
        self.save(contact)
        return contact

    def lease(self, contact: Contact, volunteer: UUID, at: datetime) -> None:
        until = at + timedelta(minutes=5)
        contact.lease(volunteer, uuid4(), at, until, ITALY_2024.label, Interval(at, at + timedelta(hours=8)))
        self.save(contact)

    def attempt(self, contact: Contact, volunteer: UUID, disposition: str, at: datetime, plan: Plan) -> None:
        """A call to the contact ended: leased, started, then recorded with what follows (`plan`)."""
        self.lease(contact, volunteer, at)
        contact.call_started(str(volunteer), at)
        contact.record_attempt(str(volunteer), disposition, at, 60, plan)
        self.save(contact)


@pytest.fixture
def campaigns(sources: Sources) -> Campaigns:
    return Campaigns(sources)
