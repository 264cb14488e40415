"""Calls domain: volunteers (and, as they grow, shifts and calls) with past-tense events and named errors."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from eventsourcing.domain import Aggregate, event

from services.kernel.errors import InvalidInput


class Role(StrEnum):
    HELPLINE = "helpline"
    OUTREACH = "outreach"
    COORDINATOR = "coordinator"


class UnknownRole(InvalidInput):
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


class Volunteer(Aggregate):
    """A person who gives time; their name and contacts live in the privacy vault under this id."""

    @event("Registered")
    def __init__(self, roles: tuple[Role, ...], registered_at: datetime) -> None:
        self.roles = roles
        self.registered_at = registered_at
