"""Calls use cases: get → act → save."""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from services.calls.domain import Role, Volunteer, parse_roles
from services.kernel.clock import Clock
from services.kernel.eventstore import ServiceApplication
from services.kernel.vault import PrivacyVault


@dataclass(frozen=True)
class VolunteerView:
    id: UUID
    roles: tuple[Role, ...]
    version: int


class CallsApplication(ServiceApplication):
    name = "calls"

    def __init__(self, env: dict[str, str], vault: PrivacyVault, clock: Clock | None = None) -> None:
        super().__init__(env, clock)
        self.vault = vault

    def register_volunteer(self, full_name: str, phone: str, email: str, roles: list[str]) -> UUID:
        volunteer = Volunteer(parse_roles(roles), registered_at=self.clock.now())
        self.vault.put(volunteer.id, {"full_name": full_name, "phone": phone, "email": email})
        self.save(volunteer)
        return volunteer.id

    def volunteer(self, volunteer_id: UUID) -> VolunteerView:
        volunteer = self.get(volunteer_id, Volunteer)
        return VolunteerView(volunteer.id, volunteer.roles, volunteer.version)
