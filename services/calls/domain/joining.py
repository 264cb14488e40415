"""Application: a person asks to volunteer from the public form; a coordinator approves or declines it.

The applicant's name, e-mail and phone live in the privacy vault under the application's id; events carry the
roles wanted, the weekly availability and the municipality (a town, not a person), and the ids of who decided.
"""

from __future__ import annotations

import hashlib
import hmac
import math
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from uuid import UUID, uuid5

from eventsourcing.domain import Aggregate, event

from services.calls.contract import JOIN_CONSENT_VERSION, JOIN_DAYS, JOIN_PARTS, JOIN_ROLES
from services.calls.domain.volunteer import Role, parse_roles
from services.kernel.errors import DomainError, InvalidInput

AVAILABILITY = tuple(f"{day}-{part}" for day in JOIN_DAYS for part in JOIN_PARTS)
WANTED = tuple(Role(r) for r in JOIN_ROLES)
MAX_DECLINE_REASON = 500
# The version of the consent text the form shows (the console's join_consent_text label).
CONSENT_VERSION = JOIN_CONSENT_VERSION


class ApplicationStatus(StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    DECLINED = "declined"


class InvalidApplication(InvalidInput):
    pass


class AlreadyDecided(DomainError):
    pass


def parse_wanted(roles: list[str]) -> tuple[Role, ...]:
    parsed = parse_roles(roles)
    for role in parsed:
        if role not in WANTED:
            raise InvalidApplication(f"roles wanted must be helpline or outreach, got {role.value!r}")
    return parsed


def parse_availability(slots: list[str]) -> tuple[str, ...]:
    if not slots:
        raise InvalidApplication("availability must name at least one part of the week, e.g. 'mon-morning'")
    for slot in slots:
        if slot not in AVAILABILITY:
            raise InvalidApplication(f"availability must be a day and a part of it such as 'sat-afternoon', "
                                     f"got {slot[:40]!r}")
    return tuple(sorted(set(slots), key=AVAILABILITY.index))


def parse_municipality(name: str) -> str:
    cleaned = " ".join(name.split())
    if not 2 <= len(cleaned) <= 80:
        raise InvalidApplication("municipality must name the town you live in, 2 to 80 characters")
    return cleaned


class Application(Aggregate):
    """One request to volunteer, pending until a coordinator decides."""

    @event("Submitted")
    def __init__(self, roles: tuple[Role, ...], availability: tuple[str, ...], municipality: str,
                 consent_version: str, submitted_at: datetime) -> None:
        self.roles = tuple(Role(r) for r in roles)
        self.availability = tuple(availability)
        self.municipality = municipality
        self.consent_version = consent_version
        self.submitted_at = submitted_at
        self.status = ApplicationStatus.PENDING
        self.volunteer_id: UUID | None = None

    def approve(self, volunteer_id: UUID, by: str, at: datetime) -> None:
        self._require_pending()
        self._approve(volunteer_id, by, at)

    @event("Approved")
    def _approve(self, volunteer_id: UUID, by: str, at: datetime) -> None:
        self.status = ApplicationStatus.APPROVED
        self.volunteer_id = volunteer_id

    def decline(self, reason: str, by: str, at: datetime) -> None:
        """The reason may say something about the person: the caller keeps it in the vault, not in the event."""
        self._require_pending()
        if not 1 <= len(reason.strip()) <= MAX_DECLINE_REASON:
            raise InvalidApplication(f"reason must say why, 1 to {MAX_DECLINE_REASON} characters")
        self._decline(by, at)

    @event("Declined")
    def _decline(self, by: str, at: datetime) -> None:
        self.status = ApplicationStatus.DECLINED

    def _require_pending(self) -> None:
        if self.status is not ApplicationStatus.PENDING:
            raise AlreadyDecided(f"application {self.id} is already {self.status.value}; it can be decided once")


# --- the public form's limit per client address, kept in the store so every process sees it ------------------------
# A person applies once; a family on one home connection a few times. More from one address within an hour is a
# script. The address is never stored: only a keyed digest of (hour, address), an HMAC with a server secret, names
# the hour's count. Without the secret a digest cannot be turned back into an address (IPv4 is small enough to
# try every address of a plain hash), and one address gives unrelated digests from one hour to the next.
APPLICATIONS_PER_ADDRESS = 5
JOIN_WINDOW = timedelta(hours=1)
_JOIN_ATTEMPTS = UUID("3f1d2c9e-6a51-4d7e-9b0a-5c2e8f4a7d13")


class TooManyApplications(DomainError):
    status_code = 429

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message)
        self.headers = {"Retry-After": str(retry_after)}


def hour_of(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H")


def sender_digest(key: bytes, address: str, hour: str) -> str:
    """The keyed digest of the client address in one clock hour (128 bits of HMAC-SHA256)."""
    return hmac.new(key, f"{hour}|{address}".encode(), hashlib.sha256).hexdigest()[:32]


def join_attempts_id(digest: str) -> UUID:
    return uuid5(_JOIN_ATTEMPTS, digest)


class JoinAttempts(Aggregate):
    """The applications stored from one client address in one clock hour (the address as a keyed digest only)."""

    @staticmethod
    def create_id(digest: str, hour: str) -> UUID:
        return join_attempts_id(digest)

    @event("Opened")
    def __init__(self, digest: str, hour: str) -> None:
        self.hour = hour
        self.times: list[datetime] = []

    @event("Counted")
    def count(self, at: datetime) -> None:
        self.times.append(at)


def admit_application(recent: list[datetime], now: datetime, limit: int = APPLICATIONS_PER_ADDRESS,
                      window: timedelta = JOIN_WINDOW) -> None:
    """`recent`: the times of the address's applications in this hour and the one before. Refuses (429, with how
    long to wait) when `limit` of them fall within the last `window`."""
    inside = sorted(t for t in recent if t > now - window)
    if len(inside) >= limit:
        wait = max(1, math.ceil((inside[len(inside) - limit] + window - now).total_seconds()))
        raise TooManyApplications(f"too many applications from this address: at most {limit} an hour; try again "
                                  f"in {wait} seconds (nothing was stored)", wait)
