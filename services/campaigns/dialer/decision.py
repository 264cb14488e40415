"""The dialer's decision, pure: may this contact be offered now, and if not, every reason why and when it next
may be. The one verdict both gates a lease and answers "why not?" (the eligibility route)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from services.campaigns.calendar import Interval, interval_at, next_allowed, why_closed, zone
from services.campaigns.domain.campaign import Campaign, RegisterCheckStale, check_register
from services.campaigns.domain.contact import Contact
from services.campaigns.domain.suppression import FOREVER, Person


@dataclass(frozen=True)
class Verdict:
    callable_now: bool
    reasons: tuple[str, ...]
    next_at: datetime | None
    interval: Interval | None  # the allowed interval containing now, when callable


def decide(contact: Contact, person: Person | None, campaign: Campaign, now: datetime,
           register_checked_on: date | None) -> Verdict:
    """Callable now only when no rule refuses: the campaign runs, the register check is fresh, the contact is open,
    free of leases, due, its person holds nothing against it, and the calendar allows this instant."""
    reasons: list[str] = []
    never = False
    earliest = now
    if not campaign.running:
        reasons.append(f"campaign is {campaign.status}")
        never = True
    try:
        check_register(campaign.policy, register_checked_on, now.astimezone(zone(campaign.window.timezone)).date())
    except RegisterCheckStale as stale:
        reasons.append(stale.message)
        never = True
    if contact.closed_reason:
        reasons.append(f"closed: {contact.closed_reason}")
        never = True
    if contact.held(now) and contact.lease_until is not None:
        call = " (call in progress)" if contact.in_call else ""
        reasons.append(f"leased to volunteer {contact.volunteer_id}{call}")
        earliest = max(earliest, contact.lease_until)
    if contact.due_at > now:
        reasons.append(f"{contact.kind} scheduled for {contact.due_at.isoformat()}")
        earliest = max(earliest, contact.due_at)
    if person is not None:
        hold = person.hold(str(campaign.id), str(contact.id), now, campaign.policy)
        if hold.until is not None:
            reasons.append(hold.reason)
            never = never or hold.until >= FOREVER
            earliest = max(earliest, hold.until)
    rules = campaign.rules(contact.reach)
    interval = interval_at(rules, now)
    if interval is None:
        reasons.append(why_closed(rules, now))
    upcoming = None if never else next_allowed(rules, earliest)
    if upcoming is None and not never:
        reasons.append("no allowed calling time in the next two months")
    return Verdict(
        callable_now=not reasons, reasons=tuple(reasons),
        next_at=None if upcoming is None else upcoming.start,
        interval=interval if not reasons else None,
    )
