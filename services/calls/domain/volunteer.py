"""Volunteer: a person who gives time; roles, training sessions and status. Personal data lives in the vault."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum

from eventsourcing.domain import Aggregate, event

from services.kernel.errors import DomainError, InvalidInput


class Role(StrEnum):
    HELPLINE = "helpline"
    OUTREACH = "outreach"
    COORDINATOR = "coordinator"


class Status(StrEnum):
    ACTIVE = "active"
    PAUSED = "paused"
    LEFT = "left"


class UnknownRole(InvalidInput):
    pass


class InvalidTraining(InvalidInput):
    pass


class UnknownStatus(InvalidInput):
    pass


class VolunteerNotActive(DomainError):
    pass


class StatusUnchanged(DomainError):
    pass


class VolunteerHasLeft(DomainError):
    pass


class NotACoordinator(DomainError):
    pass


def parse_roles(roles: list[str]) -> tuple[Role, ...]:
    if not roles:
        raise UnknownRole("roles must name at least one of: helpline, outreach, coordinator")
    parsed = []
    for role in roles:
        try:
            parsed.append(Role(role))
        except ValueError:
            raise UnknownRole(f"role must be one of helpline, outreach, coordinator; got {role!r}") from None
    return tuple(dict.fromkeys(parsed))


def parse_status(status: str) -> Status:
    try:
        return Status(status)
    except ValueError:
        raise UnknownStatus(f"status must be one of active, paused, left; got {status!r}") from None


# A training session is at most a long day; hours in hundredths so that seconds stay whole (0.01 h = 36 s).
MAX_TRAINING_HOURS = Decimal(12)


class Volunteer(Aggregate):
    """Roles, status and training; the name, phone and e-mail are in the privacy vault under this id."""

    @event("Registered")
    def __init__(self, roles: tuple[Role, ...], registered_at: datetime) -> None:
        self.roles = tuple(Role(r) for r in roles)
        self.registered_at = registered_at
        self.status = Status.ACTIVE
        self.training_hours = Decimal(0)

    def record_training(self, session: str, hours: Decimal, trained_on: date, recorded_at: datetime) -> None:
        if self.status is Status.LEFT:
            raise VolunteerHasLeft(f"volunteer {self.id} has left; training cannot be recorded any more")
        if not session.strip():
            raise InvalidTraining("session must name the training, e.g. 'Ascolto attivo, modulo 1'")
        if not Decimal(0) < hours <= MAX_TRAINING_HOURS or hours != hours.quantize(Decimal("0.01")):
            raise InvalidTraining(f"hours must be between 0.01 and {MAX_TRAINING_HOURS} in hundredths, got {hours}")
        if trained_on > recorded_at.date():
            raise InvalidTraining(f"trained_on must not be in the future, got {trained_on.isoformat()}")
        self._record_training(session.strip(), hours, trained_on.isoformat(), recorded_at)

    @event("TrainingRecorded")
    def _record_training(self, session: str, hours: Decimal, trained_on: str, recorded_at: datetime) -> None:
        self.training_hours += Decimal(hours)

    def change_status(self, status: Status, changed_at: datetime) -> None:
        if self.status is Status.LEFT:
            raise VolunteerHasLeft(f"volunteer {self.id} has left; register them again to come back")
        if status is self.status:
            raise StatusUnchanged(f"volunteer {self.id} is already {status.value}")
        self._change_status(status.value, changed_at)

    @event("StatusChanged")
    def _change_status(self, status: str, changed_at: datetime) -> None:
        self.status = Status(status)

    def require_active(self) -> None:
        if self.status is not Status.ACTIVE:
            raise VolunteerNotActive(f"volunteer {self.id} is {self.status.value}; only active volunteers can do this")

    def require_coordinator(self) -> None:
        self.require_active()
        if Role.COORDINATOR not in self.roles:
            raise NotACoordinator(f"volunteer {self.id} is not a coordinator; only coordinators correct clock-outs")
