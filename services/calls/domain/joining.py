"""Application: a person asks to volunteer from the public form; a coordinator approves or declines it.

The applicant's name, e-mail and phone live in the privacy vault under the application's id; events carry the
roles wanted, the weekly availability and the municipality (a town, not a person), and the ids of who decided.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from uuid import UUID

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
