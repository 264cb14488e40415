"""Campaigns use cases: campaigns, contact import, suppression, the next contact, call outcomes; get → act → save
→ index (the due queue's one `apply`, in the save's own turn)."""

from __future__ import annotations

import random
import time
from collections.abc import Sequence
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any, BinaryIO
from uuid import UUID, uuid4

from eventsourcing.domain import Aggregate, DomainEventProtocol
from eventsourcing.persistence import Tracking

from services.calls.contract import CLOCKED_IN, PRESENCE_MESSAGES, Disposition
from services.campaigns import contact_import, dialling
from services.campaigns import forecast as forecasting
from services.campaigns.calendar import interval_at, policy_named, reach_from_key
from services.campaigns.contact_import import ImportReport, Progress, RegisterReport
from services.campaigns.dialer import queue
from services.campaigns.dialer.cache import DialerCache
from services.campaigns.dialer.decision import Verdict, decide, gate
from services.campaigns.dialer.offer import Offer, offer
from services.campaigns.dialling import DialAnswer
from services.campaigns.domain.campaign import Campaign, default_retry, parse_priority
from services.campaigns.domain.contact import Contact, plan_after
from services.campaigns.domain.suppression import Person
from services.campaigns.donor_contacts import attempt_calls_key
from services.campaigns.phones import PersonIds, normalise
from services.identity.domain import SYSTEM, Access
from services.kernel import keyindex
from services.kernel.clock import Clock
from services.kernel.errors import ConcurrencyConflict, InvalidInput, NotFound
from services.kernel.eventstore import ServiceApplication
from services.kernel.freshness import Unhandled
from services.kernel.idempotency import PendingRequest
from services.kernel.readmodel import ReadStore
from services.kernel.settings import TelephonySettings
from services.privacy.application import PrivacyVault

CALLING_ROLE = "outreach"  # the volunteers' role whose shifts call donors (the calls service's role name)
CANDIDATES_PER_ROUND = 2
ROUNDS = 30


class CampaignsApplication(ServiceApplication):
    name = "campaigns"

    def __init__(self, env: dict[str, str], vault: PrivacyVault, queue_store: ReadStore, person_ids: PersonIds,
                 clock: Clock | None = None, lease_seconds: int = 300,
                 telephony: TelephonySettings | None = None) -> None:
        super().__init__(env, clock)
        self.vault = vault
        self.telephony = telephony or TelephonySettings()
        self.queue = queue_store
        self.person_ids = person_ids
        self.lease = timedelta(seconds=lease_seconds)
        self.cache = DialerCache(lambda campaign_id: self.get(campaign_id, Campaign), queue_store)
        queue_store.create(queue.SCHEMA)

    def close(self) -> None:
        super().close()
        self.queue.close()

    # Campaign lifecycle.
    def create_campaign(self, name: str, fund_id: UUID, goal: Decimal, starts_on: date, ends_on: date,
                        window: dict[str, Any], policy: tuple[str, int], priority: list[str],
                        script: tuple[str, str] | None, max_attempts: int,
                        *, once: PendingRequest | None = None) -> UUID:
        Campaign.check_new(name, goal, starts_on, ends_on)
        policy_named(*policy)
        retry = {**default_retry(), "max_attempts": max_attempts}
        campaign = Campaign(name, fund_id, goal, starts_on.isoformat(), ends_on.isoformat(), window, policy[0],
                            policy[1], retry, parse_priority(priority), created_at=self.clock.now())
        if script is not None:
            campaign.revise_script(script[0], script[1], self.clock.now())
        self.save_campaign(campaign, once=once)
        return campaign.id

    def revise_script(self, campaign_id: UUID, text: str, privacy_notice: str,
                      *, once: PendingRequest | None = None) -> None:
        campaign = self.get(campaign_id, Campaign)
        campaign.revise_script(text, privacy_notice, self.clock.now())
        self.save_campaign(campaign, once=once)

    def launch(self, campaign_id: UUID, *, once: PendingRequest | None = None) -> None:
        campaign = self.get(campaign_id, Campaign)
        campaign.launch(self.clock.now(), self.register_checked_on())
        self.save_campaign(campaign, once=once)

    def pause(self, campaign_id: UUID, reason: str, *, once: PendingRequest | None = None) -> None:
        campaign = self.get(campaign_id, Campaign)
        campaign.pause(self.clock.now(), reason)
        self.save_campaign(campaign, once=once)

    def resume(self, campaign_id: UUID, *, once: PendingRequest | None = None) -> None:
        campaign = self.get(campaign_id, Campaign)
        campaign.resume(self.clock.now(), self.register_checked_on())
        self.save_campaign(campaign, once=once)

    def complete(self, campaign_id: UUID, reason: str, *, once: PendingRequest | None = None) -> None:
        campaign = self.get(campaign_id, Campaign)
        campaign.complete(self.clock.now(), reason)
        self.save_campaign(campaign, once=once)

    def campaign(self, campaign_id: UUID) -> Campaign:
        return self.get(campaign_id, Campaign)

    def campaigns(self, status: str | None) -> list[Campaign]:
        """Every campaign (of one status when given), newest first."""
        found = [self.get(UUID(i), Campaign) for i in queue.campaign_ids(self.queue, status)]
        return sorted(found, key=lambda c: c.created_on, reverse=True)

    def contacts(self, campaign_id: UUID, state: str | None, after: UUID | None,
                 limit: int) -> list[queue.ContactState]:
        """A page of the campaign's contacts with their state, in id order after `after`."""
        self.get(campaign_id, Campaign)  # an unknown campaign is "not found", not an empty page
        return queue.contacts_page(self.queue, str(campaign_id), state, str(after or ""), limit, self.clock.now())

    def save_campaign(self, campaign: Campaign, *, once: PendingRequest | None = None) -> None:
        """Save the campaign and index it; this process's dialer reads it again at once."""
        self.save_and_index(campaign, once=once)
        self.cache.saved(campaign.id)

    # Contact import.
    def import_contacts(self, campaign_id: UUID, binary: BinaryIO, progress: Progress | None = None,
                        region: str = "IT", *, once: PendingRequest | None = None) -> ImportReport:
        """A donor list (CSV) into the campaign's contacts; bad lines are reported and skipped."""
        return contact_import.import_contacts(self, campaign_id, binary, progress, region, once=once)

    def people_with_records(self, person_ids: Sequence[UUID]) -> set[UUID]:
        """Which of these people this service holds a record of: their Person, or a contact in any campaign."""
        campaigns = [UUID(row["campaign_id"]) for row in self.queue.query("SELECT campaign_id FROM campaigns")]
        contacts = {Contact.create_id(campaign, person): person for campaign in campaigns for person in person_ids}
        found = self.existing([*person_ids, *contacts])
        return {person for person in person_ids if person in found} | {contacts[c] for c in found if c in contacts}

    # Telephony.
    def authorise_dial(self, provider: str, call_id: str, volunteer_id: UUID, number: str, *,
                       contact_id: UUID | None = None) -> DialAnswer:
        """At the moment of dialling: may this volunteer's phone call this number (a contact leased to them now,
        inside its window, not suppressed)? Recorded either way."""
        return dialling.authorise_dial(self, provider, call_id, volunteer_id, number, contact_id=contact_id)

    # Suppression.
    def person_id(self, phone: str) -> UUID:
        return self.person_ids.of(normalise(phone))

    def person(self, person_id: UUID) -> Person:
        """The person's aggregate, or a new unsaved one (a person first met now)."""
        try:
            return self.get(person_id, Person)
        except NotFound:
            return Person(person_id, self.clock.now())

    def opt_out(self, person_id: UUID, source: str, contact_id: str = "", recorded_by: str = SYSTEM.label,
                *, once: PendingRequest | None = None) -> None:
        person = self.person(person_id)
        person.opt_out(self.clock.now(), source, contact_id, recorded_by)
        self.save_and_index(person, once=once)

    def reconsent(self, person_id: UUID, given_by: str, source: str, given_at: datetime | None,
                  recorded_by: str = SYSTEM.label, *, once: PendingRequest | None = None) -> None:
        at = given_at or self.clock.now()
        if at > self.clock.now():
            raise InvalidInput(f"consent cannot be given in the future, got {at.isoformat()}")
        person = self.person(person_id)
        person.reconsent(at, given_by, source, recorded_by)
        self.save_and_index(person, once=once)

    def subject_records(self, person_id: UUID) -> dict[str, Any]:
        """What campaigns hold about a person, for the subject-access export: every opt-out and consent."""
        try:
            person = self.get(person_id, Person)
        except NotFound:
            return {}
        return {"suppression": {"suppressed": person.suppression(), "register_listed_on": person.register_listed_on,
                                "choices": [c.record() for c in person.choices]}}

    def save_and_index(self, *aggregates: Aggregate, tracking: Tracking | None = None,
                       once: PendingRequest | None = None) -> None:
        """Save the aggregates (with a reaction's tracking record), then bring the due queue up to date."""
        recordings = self.save_tracked(*aggregates, tracking=tracking, once=once)
        self.index([r.domain_event for r in recordings], aggregates)

    def index(self, events: Sequence[DomainEventProtocol[UUID]], aggregates: Sequence[Aggregate]) -> None:
        """The due queue after these saved events: the same `queue.apply` the rebuild runs over every event."""
        state = {a.id: a for a in aggregates}
        saved = queue.saved_persons(self.queue, [a.person_id for a in aggregates if isinstance(a, Contact)
                                                 and a.person_id not in state])
        state.update({person_id: self.get(person_id, Person) for person_id in saved})
        with self.queue.transaction() as tx:
            queue.apply(tx, self.queue.dialect, events, state, self.clock.now(), self.cache.policy_of)

    def register_checked_on(self) -> date | None:
        latest = queue.latest_register_check(self.queue)
        return date.fromisoformat(latest) if latest else None

    def import_register(self, binary: BinaryIO, checked_on: date, progress: Progress | None = None,
                        *, once: PendingRequest | None = None) -> RegisterReport:
        """A full snapshot of the opposition register: listed numbers are held, numbers no longer listed freed."""
        return contact_import.import_register(self, binary, checked_on, progress, once=once)

    # Eligibility, explained by the dialer's own decision.
    def eligibility(self, campaign_id: UUID, contact_id: UUID) -> Verdict:
        contact = self.get(contact_id, Contact)
        if contact.campaign_id != campaign_id:
            raise InvalidInput(f"contact {contact_id} belongs to another campaign")
        campaign = self.get(campaign_id, Campaign)
        person = self.get(contact.person_id, Person) if self.exists(contact.person_id) else None
        return decide(contact, person, campaign, self.clock.now(), self.register_checked_on())

    # The dialer: the next contact, its lease renewed or handed back.
    def next_contact(self, campaign_id: UUID, volunteer_id: UUID, access: Access, calls: Unhandled | None = None,
                     *, once: PendingRequest | None = None) -> Offer | None:
        """The best due contact, leased to this clocked-in volunteer; None when nobody is callable now. `calls`:
        the calls messages not yet handled here, for the volunteer's own clock-in just stored (read-your-writes)."""
        now = self.clock.now()
        campaign = self.cache.campaign(campaign_id)
        state = queue.dialer_state(self.queue, str(campaign_id), str(volunteer_id))
        clocked_in = state.clocked_in or self._just_clocked_in(volunteer_id, calls)
        # Another process may have paused it within the cache's second: the index's status is always current.
        status = str(campaign.status) if not campaign.running else state.campaign_status or str(campaign.status)
        register = date.fromisoformat(state.register_checked_on) if state.register_checked_on else None
        gate(volunteer_id, clocked_in, campaign, status, register, now)
        for contact_id in state.leases:  # asked again while holding a live lease: the same contact
            held = self.get(UUID(contact_id), Contact)
            if held.volunteer_id == str(volunteer_id) and held.held(now):
                return offer(campaign, held, self.vault, access)
        # A narrowing for speed only: reaches whose calendar is closed now are not even proposed (decide refuses them).
        keys = [k for k in self.cache.calendar_keys(str(campaign_id))
                if interval_at(campaign.rules(reach_from_key(k)), now) is not None]
        for attempt in range(ROUNDS):
            due, leased = self._lease_first_candidate(campaign, keys, volunteer_id, now, register, once=once)
            if leased is not None:
                return offer(campaign, leased, self.vault, access)
            if not due:
                return None
            # Due rows exist but other requests hold them right now: let them commit, then look again.
            time.sleep(random.uniform(0.001, 0.004) * (1 + attempt))
        return None

    def _lease_first_candidate(self, campaign: Campaign, keys: list[str], volunteer_id: UUID, now: datetime,
                               register: date | None, *, once: PendingRequest | None) -> tuple[bool, Contact | None]:
        """(Anything due?, the contact leased) in one queue transaction: the candidates (locked on PostgreSQL), the
        first that `decide` allows leased, saved, and indexed before the commit releases the locks. Optimistic
        concurrency on Contact and Person is the final arbiter: a second lease of the contact (or of its person in
        another campaign) conflicts on save. No other queue-store query inside: its pool could run dry."""
        with self.queue.pipelined() as tx:  # BEGIN goes with the candidates' query, COMMIT with the index rows
            found = queue.candidates(tx, self.queue.dialect, str(campaign.id), campaign.priority, now, keys,
                                     CANDIDATES_PER_ROUND)
            if not found:
                # PostgreSQL re-checks rows that another request just leased and drops them after LIMIT was
                # applied: an empty answer means "nothing due" only if a plain read agrees.
                return queue.any_due(tx, str(campaign.id), campaign.priority, now, keys), None
            for contact_id, person_id in found:
                contact, person = self._contact_and_person(UUID(contact_id), UUID(person_id), now)
                verdict = decide(contact, person, campaign, now, register)
                if not verdict.callable_now or verdict.interval is None:
                    queue.correct(tx, contact, person, campaign.policy, now)  # a stale row: never offered
                    continue
                until = min(now + self.lease, verdict.interval.end)
                contact.lease(volunteer_id, uuid4(), now, until, campaign.policy.label, verdict.interval)
                person.engage(contact.id, campaign.id, until, now, campaign.policy)
                try:
                    recordings = self.save(contact, person, once=once)
                except ConcurrencyConflict:
                    continue  # someone else leased this contact or this person first
                queue.apply(tx, self.queue.dialect, [r.domain_event for r in recordings],
                            {contact.id: contact, person.id: person}, now, self.cache.policy_of)
                return True, contact
        return True, None

    def _contact_and_person(self, contact_id: UUID, person_id: UUID, now: datetime) -> tuple[Contact, Person]:
        """A candidate's contact and person, read together (the queue row names the person); a person first met
        now is a new unsaved one, as `person` gives."""
        found = self.get_together([contact_id, person_id])
        contact = found.get(contact_id)
        if not isinstance(contact, Contact):
            raise NotFound(f"contact {contact_id} not found")
        if contact.person_id != person_id:  # the row is older than the contact: trust the contact
            return contact, self.person(contact.person_id)
        person = found.get(person_id)
        return contact, person if isinstance(person, Person) else Person(person_id, now)

    def _just_clocked_in(self, volunteer_id: UUID, calls: Unhandled | None) -> bool:
        """A clock-in stored a moment ago that the calls feed has not delivered here yet: a volunteer is never told
        to do what they just did. Only asked when this side's view says "not clocked in"."""
        latest = calls.latest(PRESENCE_MESSAGES, lambda m: m.data.get("volunteer_id") == str(volunteer_id)) \
            if calls is not None else None
        if latest is None:
            return False
        with self.queue.transaction() as tx:  # the feed's own delivery of it later changes nothing
            queue.note_presence(tx, latest)
        return latest.type == CLOCKED_IN

    def renew(self, contact_id: UUID, volunteer_id: UUID, *, once: PendingRequest | None = None) -> datetime:
        """Extend the volunteer's lease on a contact; the new end."""
        contact = self.get(contact_id, Contact)
        contact.renew(volunteer_id, self.clock.now(), self.clock.now() + self.lease)
        self.save_and_index(contact, once=once)
        assert contact.lease_until is not None
        return contact.lease_until

    def hand_back(self, contact_id: UUID, volunteer_id: UUID, reason: str,
                  *, once: PendingRequest | None = None) -> None:
        """The contact goes back to the queue without an attempt; its person is free again."""
        contact = self.get(contact_id, Contact)
        contact.hand_back(volunteer_id, self.clock.now(), reason)
        person = self.person(contact.person_id)
        person.disengage(contact.id, self.clock.now())
        self.save_and_index(contact, *([person] if person.pending_events else []), once=once)

    def forecast(self, campaign_id: UUID, volunteers: int | None, hours_per_day: Decimal | None,
                 handle_seconds: int | None) -> forecasting.Forecast:
        """Contacts the scheduled outreach shifts reach (or a what-if: volunteers x hours on each calling day), and
        when the contacts still callable run out."""
        if (volunteers is None) != (hours_per_day is None):
            raise InvalidInput("give both volunteers and hours_per_day for a what-if, or neither to forecast from the "
                               "shifts already scheduled")
        campaign, now = self.get(campaign_id, Campaign), self.clock.now()
        since, until = forecasting.span(campaign, now)
        slots = [forecasting.Slot(queue.from_ms(int(r["starts_at"])), queue.from_ms(int(r["ends_at"])),
                                  int(r["volunteers"]))
                 for r in queue.scheduled_slots(self.queue, CALLING_ROLE, since, until)] if volunteers is None else []
        return forecasting.of_campaign(
            campaign, now, queue.handle_stats(self.queue, str(campaign_id)) or {},
            queue.callable_keys_count(self.queue, str(campaign_id)), handle_seconds, (volunteers, hours_per_day),
            (slots, since, until))

    # Outcomes reported by the calls service (its messages reach these through `reactions`).
    def call_started(self, contact_id: UUID, volunteer_id: str, started_at: datetime, tracking: Tracking) -> bool:
        """The lease holder's call is under way: the lease then lasts through the call."""
        contact = self.get(contact_id, Contact)
        if contact.volunteer_id != volunteer_id:
            return False
        contact.call_started(volunteer_id, started_at)
        self.save_and_index(contact, tracking=tracking)
        return True

    def call_ended(self, contact_id: UUID, volunteer_id: str, disposition: str, ended_at: datetime, talk_seconds: int,
                   callback_at: datetime | None, tracking: Tracking, call_id: UUID | None = None) -> bool:
        """The attempt recorded on the contact and its person, and the next one planned (or the contact closed);
        the call listed under the attempt (donor_contacts reads its notes from there)."""
        contact = self.get(contact_id, Contact)
        campaign = self.get(contact.campaign_id, Campaign)
        person = self.person(contact.person_id)
        person.log_attempt(campaign.id, contact.id, disposition, ended_at, campaign.policy)
        if disposition == Disposition.DO_NOT_CALL:
            person.opt_out(ended_at, "call", str(contact.id), f"volunteer:{volunteer_id}")
        plan = plan_after(disposition, contact.attempts + 1, ended_at, callback_at, campaign.rules(contact.reach),
                          campaign.retry, person.rest_until)
        contact.record_attempt(volunteer_id, disposition, ended_at, talk_seconds, plan)
        listed = [] if call_id is None else [keyindex.entry(attempt_calls_key(contact.id, contact.attempts), call_id)]
        self.save_and_index(contact, person, *listed, tracking=tracking)
        return True
