"""Contact: one person in one campaign — its queue kind, due time, attempts and the lease that the dialer holds."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event

from services.calls.contract import Disposition
from services.campaigns.calendar import Hours, Interval, Reach, Rules, next_allowed, next_allowed_in_other_band
from services.campaigns.domain.campaign import RETRY_DISPOSITIONS, RetryPolicy
from services.kernel.errors import DomainError, InvalidInput

DISPOSITIONS = frozenset(d.value for d in Disposition)  # the calls service's outcomes, as its messages carry them
CLOSING = frozenset({"answered", "wrong_number", "do_not_call", "pledged", "not_interested"})
# A call still running when its lease lapses keeps the contact held, but never forever.
CALL_GRACE = timedelta(hours=2)
_NAMESPACE = uuid5(NAMESPACE_URL, "angeli:campaign-contact")


class ContactClosed(DomainError):
    pass


class ContactAlreadyLeased(DomainError):
    pass


class ContactNotDue(DomainError):
    pass


class NotTheLeaseHolder(DomainError):
    pass


class UnknownDisposition(InvalidInput):
    pass


@dataclass(frozen=True)
class Plan:
    """What happens after an attempt: the next due time and queue kind, or the reason it is closed."""

    next_at: datetime | None
    kind: str
    closed_reason: str


class Contact(Aggregate):
    """A person (by id only) in a campaign. The Contact's version is the final arbiter of every lease."""

    @staticmethod
    def create_id(campaign_id: UUID, person_id: UUID, **_: Any) -> UUID:
        return uuid5(_NAMESPACE, f"{campaign_id}/{person_id}")

    @event("Imported")
    def __init__(self, campaign_id: UUID, person_id: UUID, timezones: list[str], municipality: str,
                 preferred_times: list[str], import_id: UUID, imported_at: datetime) -> None:
        self.campaign_id = campaign_id
        self.person_id = person_id
        self.timezones = list(timezones)
        self.municipality = municipality
        self.preferred_times = list(preferred_times)
        self.kind = "fresh"
        self.due_at = imported_at
        self.attempts = 0
        self.closed_reason = ""
        self.volunteer_id = ""
        self.lease_id = ""
        self.lease_until: datetime | None = None
        self.in_call = False
        self.last_attempt_at: datetime | None = None
        self.allowed_from: datetime | None = None
        self.allowed_until: datetime | None = None

    @event("DetailsMerged")
    def merge_details(self, municipality: str, preferred_times: list[str], import_id: UUID) -> None:
        self.municipality = municipality or self.municipality
        self.preferred_times = list(preferred_times) or self.preferred_times

    # Leasing.
    def lease(self, volunteer_id: UUID, lease_id: UUID, now: datetime, until: datetime, policy: str,
              interval: Interval) -> None:
        if self.closed_reason:
            raise ContactClosed(f"contact {self.id} is closed ({self.closed_reason})")
        if self.held(now) and self.volunteer_id != str(volunteer_id):
            raise ContactAlreadyLeased(f"contact {self.id} is leased to another volunteer until {self.lease_until}")
        if self.due_at > now:
            raise ContactNotDue(f"contact {self.id} is not due before {self.due_at}")
        self._leased(str(volunteer_id), str(lease_id), now, until, policy, interval.start, interval.end)

    @event("Leased")
    def _leased(self, volunteer_id: str, lease_id: str, leased_at: datetime, until: datetime, policy: str,
                allowed_from: datetime, allowed_until: datetime) -> None:
        # The offer's proof of compliance: which policy version allowed it, within which interval.
        self.volunteer_id = volunteer_id
        self.lease_id = lease_id
        self.lease_until = until
        self.in_call = False
        self.allowed_from = allowed_from
        self.allowed_until = allowed_until

    def renew(self, volunteer_id: UUID, now: datetime, until: datetime) -> None:
        self._require_holder(volunteer_id, now)
        self._renewed(str(volunteer_id), now, until)

    @event("LeaseRenewed")
    def _renewed(self, volunteer_id: str, at: datetime, until: datetime) -> None:
        self.lease_until = until

    def hand_back(self, volunteer_id: UUID, now: datetime, reason: str) -> None:
        self._require_holder(volunteer_id, now)
        self._handed_back(str(volunteer_id), now, reason)

    @event("HandedBack")
    def _handed_back(self, volunteer_id: str, at: datetime, reason: str) -> None:
        self._clear_lease()

    def expire(self, now: datetime) -> bool:
        """Return an abandoned lease to the queue; False when there is nothing to expire."""
        if not self.volunteer_id or self.held(now):
            return False
        self._expired(self.volunteer_id, now)
        return True

    @event("LeaseExpired")
    def _expired(self, volunteer_id: str, at: datetime) -> None:
        self._clear_lease()

    @event("CallStarted")
    def call_started(self, volunteer_id: str, at: datetime) -> None:
        if self.volunteer_id == volunteer_id:
            self.in_call = True

    def record_attempt(self, volunteer_id: str, disposition: str, at: datetime, talk_seconds: int,
                       plan: Plan) -> None:
        if disposition not in DISPOSITIONS:
            raise UnknownDisposition(f"disposition must be one of {sorted(DISPOSITIONS)}, got {disposition!r}")
        self._attempt(volunteer_id, disposition, at, talk_seconds, plan.next_at, plan.kind, plan.closed_reason)

    @event("AttemptRecorded")
    def _attempt(self, volunteer_id: str, disposition: str, at: datetime, talk_seconds: int,
                 next_attempt_at: datetime | None, kind: str, closed_reason: str) -> None:
        self.attempts += 1
        self.last_attempt_at = at
        self.kind = kind
        self.closed_reason = closed_reason
        if next_attempt_at is not None:
            self.due_at = next_attempt_at
        if not self.volunteer_id or self.volunteer_id == volunteer_id:
            self._clear_lease()

    def _clear_lease(self) -> None:
        self.volunteer_id = ""
        self.lease_id = ""
        self.lease_until = None
        self.in_call = False

    def _require_holder(self, volunteer_id: UUID, now: datetime) -> None:
        if self.volunteer_id != str(volunteer_id) or not self.held(now):
            raise NotTheLeaseHolder(f"volunteer {volunteer_id} does not hold a lease on contact {self.id}")

    # Pure reads.
    def held(self, now: datetime) -> bool:
        if not self.volunteer_id or self.lease_until is None:
            return False
        return now < self.lease_until + (CALL_GRACE if self.in_call else timedelta(0))

    @property
    def reach(self) -> Reach:
        return Reach(tuple(self.timezones), self.municipality,
                     tuple(Hours.parse(p) for p in self.preferred_times))


def plan_after(disposition: str, attempts_after: int, at: datetime, callback_at: datetime | None,
               rules: Rules, retry: RetryPolicy, rest_until: datetime | None) -> Plan:
    """The retry policy by outcome; the calling window decides the exact next instant."""
    if disposition in CLOSING:
        return Plan(None, "closed", disposition)
    if attempts_after >= retry.max_attempts:
        return Plan(None, "closed", "max_attempts")
    if disposition == "callback_requested" and callback_at is not None:
        interval = next_allowed(rules, max(callback_at, at))
        if interval is None:
            return Plan(None, "closed", "no_allowed_time")
        return Plan(interval.start, "callback", "")
    earliest = at + retry.delay(disposition if disposition in RETRY_DISPOSITIONS else "no_answer")
    if rest_until is not None and rest_until > earliest:
        earliest = rest_until
    next_at = next_allowed_in_other_band(rules, earliest, avoid=at, bands=retry.bands)
    if next_at is None:
        return Plan(None, "closed", "no_allowed_time")
    return Plan(next_at, "retry", "")
