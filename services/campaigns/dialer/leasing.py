"""Leasing: the best due contact to one clocked-in volunteer, never to two, under any concurrency.

Selection is an indexed query on the due-queue (PostgreSQL: `FOR UPDATE SKIP LOCKED`, so concurrent
requests take different rows); the final arbiter is optimistic concurrency on the Contact and Person
aggregates: a second lease of the same contact (or of the same person in another campaign) conflicts on
save, and the loser tries the next candidate. Eligibility is re-checked on the aggregates before leasing.
"""

from __future__ import annotations

import random
import time
from dataclasses import dataclass
from datetime import date, datetime
from uuid import UUID, uuid4

from services.campaigns.application import CampaignsApplication
from services.campaigns.calendar import Interval, interval_at, reach_from_key, zone
from services.campaigns.dialer import queue
from services.campaigns.domain.campaign import Campaign, CampaignNotRunnable, check_register
from services.campaigns.domain.contact import Contact
from services.campaigns.domain.suppression import Person
from services.campaigns.eligibility import explain
from services.kernel.errors import ConcurrencyConflict, DomainError
from services.kernel.readmodel import Tx
from services.kernel.vault import PersonErased

CANDIDATES_PER_ROUND = 4
ROUNDS = 30


class VolunteerNotClockedIn(DomainError):
    pass


@dataclass(frozen=True)
class Offer:
    contact_id: UUID
    person_id: UUID
    kind: str
    attempts: int
    lease_id: str
    lease_until: datetime
    policy: str
    allowed: Interval
    phone: str
    first_name: str
    last_name: str
    script: str
    script_version: int


class Dialer:
    def __init__(self, application: CampaignsApplication) -> None:
        self.app = application

    def next_contact(self, campaign_id: UUID, volunteer_id: UUID) -> Offer | None:
        """The best due contact, leased to this volunteer; None when nobody is callable now."""
        app, now = self.app, self.app.clock.now()
        if not queue.clocked_in(app.queue, str(volunteer_id)):
            raise VolunteerNotClockedIn(f"volunteer {volunteer_id} is not clocked in; clock in to a shift first")
        campaign = app.get(campaign_id, Campaign)
        if not campaign.running:
            raise CampaignNotRunnable(f"campaign {campaign.name!r} is {campaign.status}; nobody is offered")
        register = app.register_checked_on()
        check_register(campaign.policy, register, now.astimezone(zone(campaign.window.timezone)).date())
        held = self._held_by(campaign, volunteer_id, now)
        if held is not None:
            return held
        keys = [k for k in queue.calendar_keys(app.queue, str(campaign_id))
                if interval_at(campaign.rules(reach_from_key(k)), now) is not None]
        for attempt in range(ROUNDS):
            found, offer = self._round(campaign, keys, volunteer_id, now, register)
            if offer is not None:
                return offer
            if not found:
                break
            # Due rows exist but other requests hold them right now: let them commit, then look again.
            time.sleep(random.uniform(0.001, 0.004) * (1 + attempt))
        return None

    def _round(self, campaign: Campaign, keys: list[str], volunteer_id: UUID,
               now: datetime, register: date | None) -> tuple[bool, Offer | None]:
        """One transaction: the first kind in priority order with due rows gives the candidates."""
        app = self.app
        leased: tuple[Contact, Person] | None = None
        with app.queue.transaction() as tx:
            ids: list[str] = []
            for kind in campaign.priority:
                ids = queue.candidates(tx, app.queue.dialect, str(campaign.id), kind, now, keys,
                                       CANDIDATES_PER_ROUND)
                if ids:
                    break
            if not ids:
                # PostgreSQL re-checks rows that another request just leased and drops them after LIMIT was
                # applied: an empty answer means "nothing due" only if a plain read agrees.
                return any(queue.any_due(tx, str(campaign.id), k, now, keys) for k in campaign.priority), None
            for contact_id in ids:
                leased = self._try_lease(tx, campaign, UUID(contact_id), volunteer_id, now, register)
                if leased is not None:
                    break
        if leased is None:
            return bool(ids), None
        contact, person = leased
        # The person's rows in other campaigns learn the engagement after the lease committed (no lock order).
        with app.queue.transaction() as tx:
            queue.index_person(tx, person, now, app.policy_of)
        return True, self._offer(campaign, contact)

    def _try_lease(self, tx: Tx, campaign: Campaign, contact_id: UUID, volunteer_id: UUID,
                   now: datetime, register: date | None) -> tuple[Contact, Person] | None:
        # Inside the queue transaction: no other query on the queue store (its pool could run dry).
        app = self.app
        contact = app.get(contact_id, Contact)
        person = app.person(contact.person_id)
        policy = campaign.policy
        verdict = explain(campaign, contact, person, register, now)
        if not verdict.callable_now or verdict.interval is None:
            # A stale index row: correct it from the aggregates and move on; never offer it.
            queue.index_contacts(tx, [queue.contact_row(contact, person, policy, now)])
            return None
        until = min(now + app.lease, verdict.interval.end)
        contact.lease(volunteer_id, uuid4(), now, until, policy.label, verdict.interval)
        person.engage(contact.id, campaign.id, until, now, policy)
        try:
            app.save(contact, person)
        except ConcurrencyConflict:
            return None  # someone else leased this contact or this person first: next candidate
        queue.index_contacts(tx, [queue.contact_row(contact, person, policy, now)])
        return contact, person

    def _held_by(self, campaign: Campaign, volunteer_id: UUID, now: datetime) -> Offer | None:
        """A volunteer who asks again while holding a live lease gets the same contact back."""
        for contact_id in queue.leases_of(self.app.queue, str(campaign.id), str(volunteer_id)):
            contact = self.app.get(UUID(contact_id), Contact)
            if contact.volunteer_id == str(volunteer_id) and contact.held(now):
                return self._offer(campaign, contact)
        return None

    def _offer(self, campaign: Campaign, contact: Contact) -> Offer:
        try:
            fields = self.app.vault.get(contact.person_id)
        except (KeyError, PersonErased):
            fields = {}
        script = campaign.script or {"text": "", "privacy_notice": "", "version": 0}
        merge = {"first_name": fields.get("first_name", ""), "last_name": fields.get("last_name", ""),
                 "campaign": campaign.name, "volunteer_name": "", "privacy_notice": script["privacy_notice"]}
        allowed = Interval(contact.allowed_from or contact.due_at, contact.allowed_until or contact.due_at)
        assert contact.lease_until is not None
        return Offer(
            contact_id=contact.id, person_id=contact.person_id, kind=contact.kind, attempts=contact.attempts,
            lease_id=contact.lease_id, lease_until=contact.lease_until, policy=campaign.policy.label,
            allowed=allowed, phone=fields.get("phone", ""), first_name=merge["first_name"],
            last_name=merge["last_name"], script=script["text"].format_map(merge), script_version=script["version"],
        )

    # Lease upkeep.
    def renew(self, contact_id: UUID, volunteer_id: UUID) -> datetime:
        app, now = self.app, self.app.clock.now()
        contact = app.get(contact_id, Contact)
        contact.renew(volunteer_id, now, now + app.lease)
        app.save_persons([], contacts=[contact])
        assert contact.lease_until is not None
        return contact.lease_until

    def hand_back(self, contact_id: UUID, volunteer_id: UUID, reason: str) -> None:
        app, now = self.app, self.app.clock.now()
        contact = app.get(contact_id, Contact)
        contact.hand_back(volunteer_id, now, reason)
        person = app.person(contact.person_id)
        person.disengage(contact.id, now)
        app.save_persons([person] if person.pending_events else [], contacts=[contact])

    def expire_leases(self) -> int:
        """Sweep: lapsed leases go back to the queue (a volunteer who dropped off loses no contact)."""
        app, expired = self.app, 0
        now = app.clock.now()
        for row in queue.expired_leases(app.queue, now):
            contact = app.get(UUID(row["contact_id"]), Contact)
            person = app.person(contact.person_id)
            if contact.expire(now):
                person.disengage(contact.id, now)
                expired += 1
            try:
                app.save_persons([person] if person.pending_events else [], contacts=[contact])
            except ConcurrencyConflict:
                continue  # the contact moved on meanwhile (an outcome arrived); the next sweep re-reads it
        return expired
