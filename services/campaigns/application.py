"""Campaigns use cases: campaigns, contact import, suppression, call outcomes; get → act → save → index."""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any, BinaryIO
from uuid import UUID

from eventsourcing.domain import Aggregate, DomainEventProtocol
from eventsourcing.persistence import Tracking

from services.campaigns import contact_import
from services.campaigns import forecast as forecasting
from services.campaigns.calendar import Policy, Reach, calling_days, governs, policy_named, reach_from_key, zone
from services.campaigns.contact_import import ImportReport, Progress, RegisterReport
from services.campaigns.dialer import queue
from services.campaigns.dialer.decision import Verdict, decide
from services.campaigns.domain.campaign import Campaign, default_retry, parse_priority
from services.campaigns.domain.contact import DISPOSITIONS, Contact, plan_after
from services.campaigns.domain.suppression import Person
from services.campaigns.phones import PersonIds, normalise
from services.identity.domain import SYSTEM
from services.kernel.clock import Clock
from services.kernel.errors import InvalidInput, NotFound
from services.kernel.eventstore import ServiceApplication
from services.kernel.messages import Message
from services.kernel.readmodel import ReadStore
from services.privacy.application import PrivacyVault

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ContactState:
    contact_id: UUID
    person_id: UUID
    state: str
    attempts: int
    due_at: datetime
    held_until: datetime | None
    hold_reason: str
    closed_reason: str
    volunteer_id: str
    lease_until: datetime | None


CALLS_REACTION = "campaigns.calls"  # this service's reaction to the calls service's messages
PRESENCE = queue.PRESENCE_MESSAGES
CALLING_ROLE = "outreach"  # the volunteers' role whose shifts call donors (the calls service's role name)
CAMPAIGN_CACHE_SECONDS = 1.0
KEYS_CACHE_SECONDS = 5.0


class CampaignsApplication(ServiceApplication):
    name = "campaigns"

    def __init__(self, env: dict[str, str], vault: PrivacyVault, queue_store: ReadStore, person_ids: PersonIds,
                 clock: Clock | None = None, lease_seconds: int = 300) -> None:
        super().__init__(env, clock)
        self.vault = vault
        self.queue = queue_store
        self.person_ids = person_ids
        self.lease = timedelta(seconds=lease_seconds)
        self._policies: dict[str, Policy] = {}
        self._campaigns: dict[str, tuple[float, Campaign]] = {}
        self._keys: dict[str, tuple[float, list[str]]] = {}
        queue_store.create(queue.SCHEMA)

    def close(self) -> None:
        super().close()
        self.queue.close()

    # Campaign lifecycle.
    def create_campaign(self, name: str, fund_id: UUID, goal: Decimal, starts_on: date, ends_on: date,
                        window: dict[str, Any], policy: tuple[str, int], priority: list[str],
                        script: tuple[str, str] | None, max_attempts: int) -> UUID:
        Campaign.check_new(name, goal, starts_on, ends_on)
        policy_named(*policy)
        retry = {**default_retry(), "max_attempts": max_attempts}
        campaign = Campaign(name, fund_id, goal, starts_on.isoformat(), ends_on.isoformat(), window, policy[0],
                            policy[1], retry, parse_priority(priority), created_at=self.clock.now())
        if script is not None:
            campaign.revise_script(script[0], script[1], self.clock.now())
        self.save_campaign(campaign)
        return campaign.id

    def revise_script(self, campaign_id: UUID, text: str, privacy_notice: str) -> None:
        campaign = self.get(campaign_id, Campaign)
        campaign.revise_script(text, privacy_notice, self.clock.now())
        self.save_campaign(campaign)

    def launch(self, campaign_id: UUID) -> None:
        campaign = self.get(campaign_id, Campaign)
        campaign.launch(self.clock.now(), self.register_checked_on())
        self.save_campaign(campaign)

    def pause(self, campaign_id: UUID, reason: str) -> None:
        campaign = self.get(campaign_id, Campaign)
        campaign.pause(self.clock.now(), reason)
        self.save_campaign(campaign)

    def resume(self, campaign_id: UUID) -> None:
        campaign = self.get(campaign_id, Campaign)
        campaign.resume(self.clock.now(), self.register_checked_on())
        self.save_campaign(campaign)

    def complete(self, campaign_id: UUID, reason: str) -> None:
        campaign = self.get(campaign_id, Campaign)
        campaign.complete(self.clock.now(), reason)
        self.save_campaign(campaign)

    def campaign(self, campaign_id: UUID) -> Campaign:
        return self.get(campaign_id, Campaign)

    def campaigns(self, status: str | None) -> list[Campaign]:
        """Every campaign (of one status when given), newest first."""
        found = [self.get(UUID(i), Campaign) for i in queue.campaign_ids(self.queue, status)]
        return sorted(found, key=lambda c: c.created_on, reverse=True)

    def contacts(self, campaign_id: UUID, state: str | None, after: UUID | None, limit: int) -> list[ContactState]:
        """A page of the campaign's contacts with their state, in id order after `after`."""
        self.get(campaign_id, Campaign)  # an unknown campaign is "not found", not an empty page
        rows = queue.contacts_page(self.queue, str(campaign_id), state, str(after or ""), limit)
        now = queue.ms(self.clock.now())
        return [ContactState(
            contact_id=UUID(r["contact_id"]), person_id=UUID(r["person_id"]), state=r["kind"],
            attempts=int(r["attempts"]), due_at=queue.from_ms(int(r["due_at"])),
            held_until=queue.from_ms(int(r["hold_until"])) if int(r["hold_until"]) > now else None,
            hold_reason=r["hold_reason"] if int(r["hold_until"]) > now else "", closed_reason=r["closed_reason"],
            volunteer_id=r["volunteer_id"],
            lease_until=queue.from_ms(int(r["lease_until"])) if r["kind"] == "leased" else None) for r in rows]

    def save_campaign(self, campaign: Campaign) -> None:
        """Save the campaign and index it; this process's dialer reads it again at once."""
        self.save_and_index(campaign)
        self._campaigns.pop(str(campaign.id), None)

    def dialing_campaign(self, campaign_id: UUID) -> Campaign:
        """The campaign as the dialer reads it: from its events at most once per CAMPAIGN_CACHE_SECONDS in this
        process (a change saved here is seen at once; the dialer also checks the status in the queue index,
        which every process's change updates at once). Shared between requests: never change it."""
        key, now = str(campaign_id), time.monotonic()
        cached = self._campaigns.get(key)
        if cached is None or now - cached[0] > CAMPAIGN_CACHE_SECONDS:
            cached = (now, self.get(campaign_id, Campaign))
            self._campaigns[key] = cached
        return cached[1]

    def forget_cached(self) -> None:
        """Drop the dialer's cached campaigns and reaches (after the queue index was rebuilt)."""
        self._campaigns.clear()
        self._keys.clear()

    def calendar_keys(self, campaign_id: str) -> list[str]:
        """The campaign's distinct contact reaches, read at most once per KEYS_CACHE_SECONDS in this process
        (an import here refreshes them at once; elsewhere a new reach waits a few seconds to be offered)."""
        now = time.monotonic()
        cached = self._keys.get(campaign_id)
        if cached is None or now - cached[0] > KEYS_CACHE_SECONDS:
            cached = (now, queue.calendar_keys(self.queue, campaign_id))
            self._keys[campaign_id] = cached
        return cached[1]

    def forget_reaches(self, campaign_id: str) -> None:
        """Read the campaign's reaches again at the next offer (its contacts were just imported here)."""
        self._keys.pop(campaign_id, None)

    def policy_of(self, campaign_id: str) -> Policy:
        """The campaign's calling policy, read from its events (never from the queue store: callers may hold
        a queue transaction, and a second queue connection per request could exhaust the pool)."""
        if campaign_id not in self._policies:
            self._policies[campaign_id] = self.get(UUID(campaign_id), Campaign).policy
        return self._policies[campaign_id]

    # Contact import.
    def import_contacts(self, campaign_id: UUID, binary: BinaryIO, progress: Progress | None = None,
                        region: str = "IT") -> ImportReport:
        """A donor list (CSV) into the campaign's contacts; bad lines are reported and skipped."""
        return contact_import.import_contacts(self, campaign_id, binary, progress, region)

    def people_with_records(self, person_ids: Sequence[UUID]) -> set[UUID]:
        """Which of these people this service holds a record of: their Person, or a contact in any campaign."""
        campaigns = [UUID(row["campaign_id"]) for row in self.queue.query("SELECT campaign_id FROM campaigns")]
        contacts = {Contact.create_id(campaign, person): person for campaign in campaigns for person in person_ids}
        found = self.existing([*person_ids, *contacts])
        return {person for person in person_ids if person in found} | {contacts[c] for c in found if c in contacts}

    # Suppression.
    def person_id(self, phone: str) -> UUID:
        return self.person_ids.of(normalise(phone))

    def person(self, person_id: UUID) -> Person:
        """The person's aggregate, or a new unsaved one (a person first met now)."""
        try:
            return self.get(person_id, Person)
        except NotFound:
            return Person(person_id, self.clock.now())

    def opt_out(self, person_id: UUID, source: str, contact_id: str = "", recorded_by: str = SYSTEM.label) -> None:
        person = self.person(person_id)
        person.opt_out(self.clock.now(), source, contact_id, recorded_by)
        self.save_and_index(person)

    def reconsent(self, person_id: UUID, given_by: str, source: str, given_at: datetime | None,
                  recorded_by: str = SYSTEM.label) -> None:
        at = given_at or self.clock.now()
        if at > self.clock.now():
            raise InvalidInput(f"consent cannot be given in the future, got {at.isoformat()}")
        person = self.person(person_id)
        person.reconsent(at, given_by, source, recorded_by)
        self.save_and_index(person)

    def subject_records(self, person_id: UUID) -> dict[str, Any]:
        """What campaigns hold about a person, for the subject-access export: every opt-out and consent."""
        try:
            person = self.get(person_id, Person)
        except NotFound:
            return {}
        return {"suppression": {"suppressed": person.suppression(), "register_listed_on": person.register_listed_on,
                                "choices": [c.record() for c in person.choices]}}

    def save_and_index(self, *aggregates: Aggregate, tracking: Tracking | None = None) -> None:
        """Save the aggregates (with a reaction's tracking record), then bring the due queue up to date."""
        recordings = self.save_tracked(*aggregates, tracking=tracking)
        self.index([r.domain_event for r in recordings], aggregates)

    def index(self, events: Sequence[DomainEventProtocol[UUID]], aggregates: Sequence[Aggregate]) -> None:
        """The due queue after these saved events: the same `queue.apply` the rebuild runs over every event."""
        state = {a.id: a for a in aggregates}
        state.update(self.existing_persons([a.person_id for a in aggregates if isinstance(a, Contact)
                                            and a.person_id not in state]))
        with self.queue.transaction() as tx:
            queue.apply(tx, self.queue.dialect, events, state, self.clock.now(), self.policy_of)

    def existing_persons(self, person_ids: Sequence[UUID]) -> dict[UUID, Person]:
        """The saved Person of each of these people that has one (the persons table knows which do)."""
        if not person_ids:
            return {}
        marks = ", ".join("?" for _ in person_ids)
        rows = self.queue.query(f"SELECT person_id FROM persons WHERE person_id IN ({marks})",
                                [str(p) for p in person_ids])
        return {UUID(r["person_id"]): self.get(UUID(r["person_id"]), Person) for r in rows}

    def register_checked_on(self) -> date | None:
        latest = queue.latest_register_check(self.queue)
        return date.fromisoformat(latest) if latest else None

    def import_register(self, binary: BinaryIO, checked_on: date, progress: Progress | None = None) -> RegisterReport:
        """A full snapshot of the opposition register: listed numbers are held, numbers no longer listed freed."""
        return contact_import.import_register(self, binary, checked_on, progress)

    # Eligibility, explained by the dialer's own decision.
    def eligibility(self, campaign_id: UUID, contact_id: UUID) -> Verdict:
        contact = self.get(contact_id, Contact)
        if contact.campaign_id != campaign_id:
            raise InvalidInput(f"contact {contact_id} belongs to another campaign")
        campaign = self.get(campaign_id, Campaign)
        person = self.get(contact.person_id, Person) if self.exists(contact.person_id) else None
        return decide(contact, person, campaign, self.clock.now(), self.register_checked_on())

    # Leases (the dialer's `next_contact` grants them).
    def renew(self, contact_id: UUID, volunteer_id: UUID) -> datetime:
        """Extend the volunteer's lease on a contact; the new end."""
        contact = self.get(contact_id, Contact)
        contact.renew(volunteer_id, self.clock.now(), self.clock.now() + self.lease)
        self.save_and_index(contact)
        assert contact.lease_until is not None
        return contact.lease_until

    def hand_back(self, contact_id: UUID, volunteer_id: UUID, reason: str) -> None:
        """The contact goes back to the queue without an attempt; its person is free again."""
        contact = self.get(contact_id, Contact)
        contact.hand_back(volunteer_id, self.clock.now(), reason)
        person = self.person(contact.person_id)
        person.disengage(contact.id, self.clock.now())
        self.save_and_index(contact, *([person] if person.pending_events else []))

    def forecast(self, campaign_id: UUID, volunteers: int | None, hours_per_day: Decimal | None,
                 handle_seconds: int | None) -> forecasting.Forecast:
        """Contacts the scheduled outreach shifts reach (or a what-if: volunteers x hours on each calling day), and
        when the contacts still callable run out."""
        if (volunteers is None) != (hours_per_day is None):
            raise InvalidInput("give both volunteers and hours_per_day for a what-if, or neither to forecast from the "
                               "shifts already scheduled")
        campaign = self.get(campaign_id, Campaign)
        stats = queue.handle_stats(self.queue, str(campaign_id)) or {}
        attempts, talk = int(stats.get("attempts") or 0), int(stats.get("talk") or 0)
        handle = handle_seconds or (max(60, talk // attempts) if attempts else 300)
        open_contacts = sum(int(r["n"]) for r in queue.callable_keys_count(self.queue, str(campaign_id))
                            if governs(campaign.policy, reach_from_key(r["calendar_key"])))
        now, home = self.clock.now(), zone(campaign.window.timezone)
        if volunteers is not None and hours_per_day is not None:
            # The calling days of a number of the campaign's home, or of the policy's own country.
            local = campaign.window.timezone if campaign.window.timezone in campaign.policy.timezones else \
                min(campaign.policy.timezones)
            rules, today = campaign.rules(Reach((local,))), now.astimezone(home).date()
            return forecasting.what_if(open_contacts, handle, volunteers, hours_per_day, today,
                                       lambda n: calling_days(rules, today, n))
        return forecasting.from_schedule(open_contacts, handle, *self._scheduled(campaign, now), home)

    def _scheduled(self, campaign: Campaign, now: datetime) -> tuple[list[forecasting.Slot], datetime, datetime]:
        """The outreach shifts inside the campaign's dates from now on, and the span they were read for."""
        home, window = zone(campaign.window.timezone), campaign.window
        first, after = window.first_day, window.last_day + timedelta(days=1)
        since = max(now, datetime(first.year, first.month, first.day, tzinfo=home))
        until = datetime(after.year, after.month, after.day, tzinfo=home)
        slots = [forecasting.Slot(queue.from_ms(int(r["starts_at"])), queue.from_ms(int(r["ends_at"])),
                                  int(r["volunteers"]))
                 for r in queue.scheduled_slots(self.queue, CALLING_ROLE, since, until)]
        return slots, since, until

    # Reactions to the calls service.
    def on_calls_message(self, message: Message, tracking: Tracking) -> bool:
        if message.type in PRESENCE:
            self.note_presence(message)
            return False
        if message.type in queue.SHIFT_MESSAGES:
            with self.queue.transaction() as tx:
                queue.note_shift(tx, message.aggregate_id, message.type, message.data)
            return False
        contact_id = message.data.get("contact_id") if message.type in ("Call.Started", "Call.Ended") else None
        if not contact_id or not self.exists(UUID(contact_id)):
            return False
        if message.type == "Call.Started":
            return self._call_started(UUID(contact_id), message, tracking)
        return self._call_ended(UUID(contact_id), message, tracking)

    def note_presence(self, message: Message) -> None:
        """Who is clocked in, from the calls service's Presence messages (idempotent, never backwards in time)."""
        with self.queue.transaction() as tx:
            queue.note_presence(tx, message)

    def _call_started(self, contact_id: UUID, message: Message, tracking: Tracking) -> bool:
        contact = self.get(contact_id, Contact)
        if contact.volunteer_id != message.data["volunteer_id"]:
            return False
        contact.call_started(message.data["volunteer_id"], datetime.fromisoformat(message.data["started_at"]))
        self.save_and_index(contact, tracking=tracking)
        return True

    def _call_ended(self, contact_id: UUID, message: Message, tracking: Tracking) -> bool:
        data = message.data
        disposition = data["disposition"]
        if disposition not in DISPOSITIONS:
            log.warning("Call.Ended at %s has unknown disposition %r; ignored", message.position, disposition)
            return False
        contact = self.get(contact_id, Contact)
        campaign = self.get(contact.campaign_id, Campaign)
        person = self.person(contact.person_id)
        at = datetime.fromisoformat(data["ended_at"])
        person.log_attempt(campaign.id, contact.id, disposition, at, campaign.policy)
        if disposition == "do_not_call":
            person.opt_out(at, "call", str(contact.id), f"volunteer:{data['volunteer_id']}")
        callback = datetime.fromisoformat(data["callback_at"]) if data.get("callback_at") else None
        plan = plan_after(disposition, contact.attempts + 1, at, callback, campaign.rules(contact.reach),
                          campaign.retry, person.rest_until)
        contact.record_attempt(data["volunteer_id"], disposition, at, int(data.get("talk_seconds") or 0), plan)
        self.save_and_index(contact, person, tracking=tracking)
        return True

    # Scheduled sweeps.
    def complete_ended_campaigns(self) -> int:
        completed = 0
        for row in self.queue.query("SELECT campaign_id FROM campaigns WHERE status <> 'completed'"):
            campaign = self.get(UUID(row["campaign_id"]), Campaign)
            today = self.clock.now().astimezone(zone(campaign.window.timezone)).date()
            if today > campaign.window.last_day:
                campaign.complete(self.clock.now(), "end date reached")
                self.save_campaign(campaign)
                completed += 1
        return completed
