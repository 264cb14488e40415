"""Privacy's rules: an erased person stays unreadable, a consent is valid for its time, and each read of personal
data is one immutable record (who, in which role, why, the outcome and the names of the fields shown)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from eventsourcing.domain import Aggregate, event
from eventsourcing.utils import register_topic

from services.kernel.errors import DomainError

OUTCOMES = ("read", "erased", "absent")


class PersonErased(DomainError, LookupError):
    """The person's key was deleted; their data can no longer be read by anyone. Maps to 410 Gone."""

    status_code = 410


class MasterKeyMismatch(DomainError):
    """The master key given is not the one that wrapped the person keys (wrong key, or rotated since).
    Nothing is read or written with it. Maps to 503: the installation must be given the current key."""

    status_code = 503

    def __init__(self, message: str, expected: str) -> None:
        super().__init__(message)
        self.expected = expected  # the current epoch's fingerprint


@dataclass(frozen=True)
class Consent:
    consent_id: UUID
    person_id: UUID
    purpose: str
    source: str
    given_at: datetime
    expires_at: datetime | None
    recorded_at: str
    recorded_by: str

    def valid_at(self, at: datetime) -> bool:
        return self.given_at <= at and (self.expires_at is None or at < self.expires_at)


class PersonalDataAccess(Aggregate):
    """One read of a person's data: who, in which role, why, what came of it, and which fields were shown."""

    @event("Recorded")
    def __init__(self, person_id: UUID, actor: str, role: str, purpose: str, outcome: str,
                 fields: list[str], at: datetime) -> None:
        self.person_id = person_id
        self.actor = actor
        self.role = role
        self.purpose = purpose
        self.outcome = outcome
        self.fields = list(fields)
        self.at = at


# The trail's events were stored under the module this aggregate lived in before privacy had a room of its own.
register_topic("services.kernel.access_trail:PersonalDataAccess", PersonalDataAccess)
