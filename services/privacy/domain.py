"""Privacy's rules: an erased person stays unreadable, a consent is valid for its time, and each read of personal
data is one immutable record (who, in which role, why, the outcome and the names of the fields shown)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from eventsourcing.domain import Aggregate, event
from eventsourcing.utils import register_topic

from services.kernel.errors import DomainError, InvalidInput, NotFound

OUTCOMES = ("read", "erased", "absent")
# How a person may be reached under a consent; "any" is what consents recorded before channels were named carry.
CHANNELS = ("phone", "email", "post", "sms", "any")
# The purposes the privacy desk suggests (any lower-case word with underscores may be recorded).
SUGGESTED_PURPOSES = ("phone_outreach", "newsletter", "fundraising_appeals", "receipts_by_email",
                      "volunteer_application")
# A consent's state at an instant (see Consent.status).
CONSENT_STATES = ("active", "not_yet_valid", "expired", "withdrawn")


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


class UnknownPerson(NotFound):
    """Nothing is held under the id: no personal data, consent or erasure. Maps to 404; nothing is stored."""


class ConsentNotFound(NotFound):
    """The consent named does not exist, or is another person's. Maps to 404."""


class ConsentAlreadyWithdrawn(DomainError):
    """The consent was withdrawn before; a withdrawal is recorded once. Maps to 409."""


class ErasureNotConfirmed(InvalidInput):
    """An erasure cannot be undone: it needs the person's id typed again as its confirmation. Maps to 422."""


@dataclass(frozen=True)
class Consent:
    consent_id: UUID
    person_id: UUID
    purpose: str
    source: str
    given_at: datetime
    expires_at: datetime | None  # None: valid until withdrawn (what every consent recorded without one means)
    recorded_at: str
    recorded_by: str
    # Recorded since the privacy desk; older consents read as channel "any" and no text version ("").
    channel: str = "any"
    text_version: str = ""
    withdrawn_at: datetime | None = None
    withdrawn_by: str | None = None
    withdrawal_source: str | None = None

    def valid_at(self, at: datetime) -> bool:
        return (self.given_at <= at and (self.expires_at is None or at < self.expires_at)
                and (self.withdrawn_at is None or at < self.withdrawn_at))

    def status(self, at: datetime) -> str:
        """One of CONSENT_STATES at `at`: a withdrawal outranks an expiry (it is what the person said)."""
        if self.withdrawn_at is not None and self.withdrawn_at <= at:
            return "withdrawn"
        if self.expires_at is not None and self.expires_at <= at:
            return "expired"
        return "active" if self.given_at <= at else "not_yet_valid"


def check_new_consent(given_at: datetime, expires_at: datetime | None, channel: str, now: datetime) -> None:
    """A consent's window must make sense when it is recorded: an expiry after it was given and still ahead
    (a consent already expired would record nothing usable), and a channel the product knows."""
    _aware(given_at, "given_at")
    if channel not in CHANNELS:
        raise InvalidInput(f"channel must be one of {', '.join(CHANNELS)}, got {channel!r}")
    if expires_at is None:
        return
    if _aware(expires_at, "expires_at") <= given_at:
        raise InvalidInput(f"expires_at must be after given_at ({given_at.isoformat()}), got {expires_at.isoformat()}")
    if expires_at <= now:
        raise InvalidInput(f"expires_at is in the past ({expires_at.isoformat()}, now {now.isoformat()}): "
                           "give a later expiry, or none for a consent valid until withdrawn")


def check_withdrawal(consent: Consent, at: datetime, now: datetime) -> None:
    """A withdrawal is recorded once, not before the consent was given and not in the future."""
    _aware(at, "withdrawn_at")
    if consent.withdrawn_at is not None:
        raise ConsentAlreadyWithdrawn(
            f"consent {consent.consent_id} was withdrawn already on {consent.withdrawn_at.isoformat()}")
    if at < consent.given_at:
        raise InvalidInput(f"withdrawn_at ({at.isoformat()}) is before the consent was given "
                           f"({consent.given_at.isoformat()})")
    if at > now:
        raise InvalidInput(f"withdrawn_at is in the future ({at.isoformat()}, now {now.isoformat()})")


def check_erasure_confirmation(person_id: UUID, confirmation: str) -> None:
    """The person's id typed again (case and surrounding spaces aside): an erasure cannot be undone."""
    if confirmation.strip().lower() != str(person_id):
        shown = "nothing" if not confirmation.strip() else repr(confirmation.strip()[:40])
        raise ErasureNotConfirmed(f"confirmation: type the person's id {person_id} to erase them, got {shown}; "
                                  "nothing was erased")


def _aware(at: datetime, name: str) -> datetime:
    if at.tzinfo is None:
        raise InvalidInput(f"{name} needs a time zone, got {at.isoformat()}")
    return at


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
