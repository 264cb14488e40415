"""The dialer's decision, pure: may this contact be offered now, and if not, every reason why and when it next
may be. The one set of offer rules: it gates a lease, answers "why not?" for one contact (the eligibility route),
and classifies the due-queue's rows for "why is nobody being dialled?" (`reasons`).

The rules, in the order a refusal is ranked (the first one is a contact's row in the dashboard):
  the request:   the volunteer asking is clocked in;
  campaign-wide: the campaign runs; the opposition register check is recent enough;
  per contact:   it is open; no volunteer holds it (nor a lapsed lease waits for the sweep); its person holds
                 nothing against it (opt-out, register, rests, weekly cap, another campaign's call); it is due;
                 the calendar allows this instant in the contact's own time.
The due queue's candidates query only narrows what these rules would refuse anyway, for speed; `decide` on the
aggregates makes the final call before every lease.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from uuid import UUID

from services.campaigns.calendar import Interval, Reason, closed_because, interval_at, next_allowed, zone
from services.campaigns.domain.campaign import Campaign, CampaignNotRunnable, RegisterCheckStale, register_stale
from services.campaigns.domain.contact import Contact
from services.campaigns.domain.suppression import FOREVER, Person, hold_reason
from services.kernel.errors import DomainError

CALLABLE = Reason("callable now", "callable")


class VolunteerNotClockedIn(DomainError):
    pass


@dataclass(frozen=True)
class Verdict:
    callable_now: bool
    reasons: tuple[str, ...]
    next_at: datetime | None
    interval: Interval | None  # the allowed interval containing now, when callable
    codes: tuple[str, ...] = ()  # each reason's stable code, as `row_reason` and the dashboard name them


@dataclass(frozen=True)
class Standing:
    """One contact as the per-contact rules see it: each refusal, or None where that rule allows. Read from the
    aggregates (`decide`) or from a group of due-queue rows (`row_reason`): the aggregates name the volunteer and
    the due time, a grouped row knows neither, so only the words' detail differs."""

    closed: Reason | None
    lease: Reason | None
    hold: Reason | None
    scheduled: Reason | None
    calendar: Reason | None

    def refusals(self) -> tuple[Reason, ...]:
        return tuple(r for r in (self.closed, self.lease, self.hold, self.scheduled, self.calendar) if r is not None)


def campaign_blocks(campaign: Campaign, status: str, register_checked_on: date | None,
                    now: datetime) -> tuple[Reason, ...]:
    """What stops every contact of the campaign now. `status`: the campaign's status as the caller knows it."""
    blocks: list[Reason] = []
    if status != "launched":
        blocks.append(Reason(f"campaign is {status}", "campaign_status", {"status": status}))
    stale = register_stale(campaign.policy, register_checked_on, now.astimezone(zone(campaign.window.timezone)).date())
    if stale:
        blocks.append(stale)
    return tuple(blocks)


def gate(volunteer_id: UUID, clocked_in: bool, campaign: Campaign, status: str, register_checked_on: date | None,
         now: datetime) -> None:
    """Refuse the whole request when the volunteer is not on a shift, or a campaign-wide rule stops every contact
    (the volunteer is told which)."""
    if not clocked_in:
        raise VolunteerNotClockedIn(f"volunteer {volunteer_id} is not clocked in; clock in to a shift first")
    for block in campaign_blocks(campaign, status, register_checked_on, now):
        if block.code == "campaign_status":
            raise CampaignNotRunnable(f"campaign {campaign.name!r} is {status}; nobody is offered")
        raise RegisterCheckStale(block.text)


def decide(contact: Contact, person: Person | None, campaign: Campaign, now: datetime,
           register_checked_on: date | None) -> Verdict:
    """Callable now only when no rule refuses; else every refusal, and when the contact next may be called."""
    blocks = campaign_blocks(campaign, str(campaign.status), register_checked_on, now)
    hold = person.hold(str(campaign.id), str(contact.id), now, campaign.policy) if person is not None else None
    rules = campaign.rules(contact.reach)
    standing = Standing(
        closed=Reason(f"closed: {contact.closed_reason}", "closed") if contact.closed_reason else None,
        lease=_lease(contact, now),
        hold=hold_reason(hold.reason) if hold is not None and hold.until is not None else None,
        scheduled=Reason(f"{contact.kind} scheduled for {contact.due_at.isoformat()}", "scheduled")
        if contact.due_at > now else None,
        calendar=closed_because(rules, now))
    refusals = [*blocks, *standing.refusals()]
    reasons = [r.text for r in refusals]
    never = bool(blocks) or standing.closed is not None or (hold is not None and hold.until is not None
                                                            and hold.until >= FOREVER)
    earliest = max([now, contact.due_at, *([contact.lease_until] if standing.lease and contact.lease_until else []),
                    *([hold.until] if standing.hold and hold and hold.until else [])])
    upcoming = None if never else next_allowed(rules, earliest)
    if upcoming is None and not never:
        refusals.append(Reason("no allowed calling time in the next two months", "no_calling_time"))
        reasons.append(refusals[-1].text)
    return Verdict(callable_now=not reasons, reasons=tuple(reasons),
                   next_at=None if upcoming is None else upcoming.start,
                   interval=interval_at(rules, now) if not reasons else None, codes=tuple(r.code for r in refusals))


def _lease(contact: Contact, now: datetime) -> Reason | None:
    if not contact.volunteer_id:
        return None
    if contact.held(now):
        call = " (call in progress)" if contact.in_call else ""
        return Reason(f"leased to volunteer {contact.volunteer_id}{call}", "leased")
    # The sweep has not returned it yet: the queue does not propose it, so neither may the decision.
    return Reason("lease lapsed, back at the next sweep", "lease_lapsed")


def row_reason(row: dict[str, Any], calendar_closed: Reason | None) -> Reason:
    """The first refusal of a group of due-queue rows (`queue.counts`), or CALLABLE: the same rules as `decide`,
    read from the index's columns so a whole campaign is counted in one query."""
    kind = row["kind"]
    standing = Standing(
        closed=Reason(f"closed: {row['closed_reason']}", "closed", {"disposition": row["closed_reason"]})
        if kind == "closed" else None,
        lease=(Reason("leased to a volunteer", "leased") if row["leased_now"] else
               Reason("lease lapsed, back at the next sweep", "lease_lapsed")) if kind == "leased" else None,
        hold=None if row["free"] else hold_reason(str(row["hold_reason"])),
        scheduled=None if row["due"] else Reason(f"{kind} scheduled for later", "scheduled", {"kind": kind}),
        calendar=calendar_closed)
    refusals = standing.refusals()
    return refusals[0] if refusals else CALLABLE
