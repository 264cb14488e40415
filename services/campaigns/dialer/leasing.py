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

from services.campaigns.application import PRESENCE, CampaignsApplication
from services.campaigns.calendar import Interval, interval_at, reach_from_key, zone
from services.campaigns.dialer import queue
from services.campaigns.dialer.decision import decide
from services.campaigns.domain.campaign import Campaign, CampaignNotRunnable, check_register
from services.campaigns.domain.contact import Contact
from services.identity.domain import Access
from services.kernel.errors import ConcurrencyConflict, DomainError
from services.kernel.freshness import Unhandled
from services.kernel.readmodel import Tx
from services.privacy.domain import PersonErased

CANDIDATES_PER_ROUND = 2
# The vault fields a volunteer is shown for a call (the script merges the names); never e-mail or tax code.
OFFERED_FIELDS = ("first_name", "last_name", "phone")
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
    def __init__(self, application: CampaignsApplication, calls: Unhandled | None = None) -> None:
        """`calls`: the calls messages not yet handled here, for a volunteer's own presence (read-your-writes);
        without it presence is what the calls feed has delivered so far (the sweeps need no more)."""
        self.app = application
        self.calls = calls

    def next_contact(self, campaign_id: UUID, volunteer_id: UUID, access: Access) -> Offer | None:
        """The best due contact, leased to this volunteer, its details read from the vault for `access`; None when
        nobody is callable now."""
        app, now = self.app, self.app.clock.now()
        campaign = app.dialing_campaign(campaign_id)
        state = queue.dialer_state(app.queue, str(campaign_id), str(volunteer_id))
        if not state.clocked_in and not self._just_clocked_in(volunteer_id):
            raise VolunteerNotClockedIn(f"volunteer {volunteer_id} is not clocked in; clock in to a shift first")
        status = campaign.status if not campaign.running else state.campaign_status or campaign.status
        if status != "launched":
            raise CampaignNotRunnable(f"campaign {campaign.name!r} is {status}; nobody is offered")
        register = date.fromisoformat(state.register_checked_on) if state.register_checked_on else None
        check_register(campaign.policy, register, now.astimezone(zone(campaign.window.timezone)).date())
        held = self._held_by(campaign, state.leases, volunteer_id, now, access)
        if held is not None:
            return held
        keys = [k for k in app.calendar_keys(str(campaign_id))
                if interval_at(campaign.rules(reach_from_key(k)), now) is not None]
        for attempt in range(ROUNDS):
            found, offer = self._round(campaign, keys, volunteer_id, now, register, access)
            if offer is not None:
                return offer
            if not found:
                break
            # Due rows exist but other requests hold them right now: let them commit, then look again.
            time.sleep(random.uniform(0.001, 0.004) * (1 + attempt))
        return None

    def _just_clocked_in(self, volunteer_id: UUID) -> bool:
        """A clock-in stored a moment ago that the calls feed has not delivered here yet: a volunteer is never told
        to do what they just did. Only asked when this side's view says "not clocked in"."""
        if self.calls is None:
            return False
        latest = self.calls.latest(PRESENCE, lambda m: m.data.get("volunteer_id") == str(volunteer_id))
        if latest is None:
            return False
        self.app.note_presence(latest)  # the feed's own delivery of it later changes nothing
        return latest.type == "Presence.ClockedIn"

    def _round(self, campaign: Campaign, keys: list[str], volunteer_id: UUID,
               now: datetime, register: date | None, access: Access) -> tuple[bool, Offer | None]:
        """One transaction: one query gives the candidates (kinds in priority order), the first one that the
        aggregates allow is leased, and its index rows are written before the commit releases the row locks."""
        app = self.app
        leased: Contact | None = None
        with app.queue.transaction() as tx:
            ids = queue.candidates(tx, app.queue.dialect, str(campaign.id), campaign.priority, now, keys,
                                   CANDIDATES_PER_ROUND)
            if not ids:
                # PostgreSQL re-checks rows that another request just leased and drops them after LIMIT was
                # applied: an empty answer means "nothing due" only if a plain read agrees.
                return queue.any_due(tx, str(campaign.id), campaign.priority, now, keys), None
            for contact_id in ids:
                leased = self._try_lease(tx, campaign, UUID(contact_id), volunteer_id, now, register)
                if leased is not None:
                    break
        if leased is None:
            return True, None
        return True, self._offer(campaign, leased, access)

    def _try_lease(self, tx: Tx, campaign: Campaign, contact_id: UUID, volunteer_id: UUID,
                   now: datetime, register: date | None) -> Contact | None:
        # Inside the queue transaction: no other query on the queue store (its pool could run dry).
        app = self.app
        contact = app.get(contact_id, Contact)  # one read of its events
        person = app.person(contact.person_id)  # one read of its events
        policy = campaign.policy
        verdict = decide(contact, person, campaign, now, register)
        if not verdict.callable_now or verdict.interval is None:
            # A stale index row: correct it from the aggregates and move on; never offer it.
            queue.correct(tx, contact, person, policy, now)
            return None
        until = min(now + app.lease, verdict.interval.end)
        contact.lease(volunteer_id, uuid4(), now, until, policy.label, verdict.interval)
        person.engage(contact.id, campaign.id, until, now, policy)
        try:
            recordings = app.save(contact, person)
        except ConcurrencyConflict:
            return None  # someone else leased this contact or this person first: next candidate
        # The lease and the person's engagement reach the index in this same transaction (one commit).
        queue.apply(tx, app.queue.dialect, [r.domain_event for r in recordings],
                    {contact.id: contact, person.id: person}, now, app.policy_of)
        return contact

    def _held_by(self, campaign: Campaign, leases: tuple[str, ...], volunteer_id: UUID,
                 now: datetime, access: Access) -> Offer | None:
        """A volunteer who asks again while holding a live lease gets the same contact back."""
        for contact_id in leases:
            contact = self.app.get(UUID(contact_id), Contact)
            if contact.volunteer_id == str(volunteer_id) and contact.held(now):
                return self._offer(campaign, contact, access)
        return None

    def _offer(self, campaign: Campaign, contact: Contact, access: Access) -> Offer:
        try:
            # Only what the call needs: the trail then proves the volunteer never saw the rest.
            fields = self.app.vault.get(contact.person_id, access, fields=OFFERED_FIELDS)
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
                app.save_and_index(contact, *([person] if person.pending_events else []))
            except ConcurrencyConflict:
                continue  # the contact moved on meanwhile (an outcome arrived); the next sweep re-reads it
        return expired
