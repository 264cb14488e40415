"""What the calls service's queries return: plain immutable values, never aggregates."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from uuid import UUID

from services.calls.domain.volunteer import Role, Status


@dataclass(frozen=True)
class VolunteerView:
    id: UUID
    roles: tuple[Role, ...]
    status: Status
    training_hours: Decimal
    version: int


@dataclass(frozen=True)
class ShiftView:
    id: UUID
    starts_at: datetime
    ends_at: datetime
    role: Role
    capacity: int
    volunteers: tuple[str, ...]
    cancelled: bool = False


@dataclass(frozen=True)
class PresenceView:
    volunteer_id: UUID
    clocked_in_at: datetime | None
    shift_id: str | None
    shifts: tuple[str, ...]


@dataclass(frozen=True)
class CallView:
    id: UUID
    volunteer_id: str
    direction: str
    campaign_id: str | None
    contact_id: str | None
    shift_id: str | None
    started_at: datetime
    connected_at: datetime | None
    ended_at: datetime | None
    disposition: str | None
    protocol: tuple[str, int] | None
    answers: dict[str, str]
    redirects: tuple[dict[str, str], ...]
    notes: str | None
    caller_number: str | None = None  # from the vault, as the notes
    caller_area: str | None = None  # the place an Italian landline's prefix names ("Milano"), derived on reading
    timing: str = "self_reported"  # "network" when the times came from the provider or the proxy
    hung_up_at: datetime | None = None  # network-timed: when the line closed

    @property
    def talk_seconds(self) -> int | None:
        """From the answer to the line closing (network) or to the end (self-reported); None while talking."""
        end = self.hung_up_at or self.ended_at
        return None if self.connected_at is None or end is None else int((end - self.connected_at).total_seconds())


@dataclass(frozen=True)
class ProtocolSummary:
    id: UUID
    name: str
    versions: int


@dataclass(frozen=True)
class MunicipalityView:
    istat_code: str
    name: str
    numbers: tuple[tuple[str, str], ...]
