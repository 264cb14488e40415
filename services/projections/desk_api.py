"""Query routes of the coordinator's desk: applications to decide, the roster with filters, one volunteer's page.
Names and contacts are read from the vault for the caller (each read is in the access trail); the rest is the desk
read model, which holds no personal data."""

from __future__ import annotations

from datetime import datetime, time
from decimal import Decimal
from typing import Annotated, Literal
from uuid import UUID
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Query
from pydantic import BaseModel

from services.identity.auth import CurrentUser
from services.identity.domain import Access
from services.kernel.clock import Day
from services.kernel.errors import NotFound
from services.privacy.domain import PersonErased
from services.projections import desk
from services.projections.console_api import Stores, Vault

router = APIRouter()
ROME = ZoneInfo("Europe/Rome")
ApplicationStatus = Literal["pending", "approved", "declined"]
VolunteerStatus = Literal["active", "paused", "left"]
VolunteerRole = Literal["helpline", "outreach", "coordinator"]


class ApplicationItem(BaseModel):
    application_id: UUID
    full_name: str
    email: str
    phone: str
    municipality: str
    roles: list[str]
    availability: list[str]
    submitted_at: str
    status: str
    volunteer_id: UUID | None


class RosterItem(BaseModel):
    volunteer_id: UUID
    name: str
    roles: list[str]
    status: str
    municipality: str
    registered_at: str
    last_shift_at: str | None


class TrainingSession(BaseModel):
    session: str
    hours: Decimal
    trained_on: str


class HandledCall(BaseModel):
    call_id: UUID
    direction: str
    campaign_id: UUID | None
    started_at: str
    ended_at: str | None
    disposition: str | None
    talk_seconds: int | None


class VolunteerPage(RosterItem):
    email: str
    phone: str
    training_hours: Decimal
    training: list[TrainingSession]
    calls: list[HandledCall]


@router.get("/applications", tags=["applications"])
def list_applications(stores: Stores, vault: Vault, user: CurrentUser, status: ApplicationStatus | None = None,
                      limit: Annotated[int, Query(ge=1, le=500)] = 100) -> list[ApplicationItem]:
    """Applications to volunteer, oldest first, with the applicants' contacts (read from the vault)."""
    found = []
    for row in desk.applications(stores["desk"], status, limit):
        contacts = _person(vault, row["application_id"], Access(user, "volunteer applications desk"))
        found.append(ApplicationItem(
            application_id=row["application_id"], full_name=contacts.get("full_name", ""),
            email=contacts.get("email", ""), phone=contacts.get("phone", ""), municipality=row["municipality"],
            roles=row["roles"].split(","), availability=row["availability"].split(","),
            submitted_at=row["submitted_at"], status=row["status"], volunteer_id=row["volunteer_id"]))
    return found


@router.get("/console/api/volunteers", tags=["console"])
def roster_page(stores: Stores, vault: Vault, user: CurrentUser, role: VolunteerRole | None = None,
                status: VolunteerStatus | None = None,
                municipality: Annotated[str | None, Query(max_length=80)] = None,
                no_shift_since: Annotated[Day | None, Query(description="not clocked in since this day")] = None,
                ) -> list[RosterItem]:
    """The roster with names, filtered by role, status, town and the last shift (who has not come since a day)."""
    since = None if no_shift_since is None else desk.utc(datetime.combine(no_shift_since, time(), ROME))
    rows = desk.volunteers(stores["desk"], role, status, municipality, since)
    return [_roster_item(r, _person(vault, r["volunteer_id"], Access(user, "volunteer roster"), ("full_name",)))
            for r in rows]


@router.get("/console/api/volunteers/{volunteer_id}", tags=["console"])
def volunteer_page(volunteer_id: UUID, stores: Stores, vault: Vault, user: CurrentUser) -> VolunteerPage:
    """One volunteer: contacts, roles, status, town, training sessions and total, the calls they handled."""
    row = desk.volunteer(stores["desk"], str(volunteer_id))
    if row is None:
        raise NotFound(f"volunteer {volunteer_id} not found (they may not be projected yet)")
    person = _person(vault, str(volunteer_id), Access(user, "volunteer page"))
    training = [TrainingSession(**t) for t in desk.training(stores["desk"], str(volunteer_id))]
    return VolunteerPage(
        **_roster_item(row, person).model_dump(), email=person.get("email", ""), phone=person.get("phone", ""),
        training_hours=sum((t.hours for t in training), Decimal(0)), training=training,
        calls=[HandledCall(**c) for c in desk.calls(stores["desk"], str(volunteer_id))])


def _roster_item(row: dict[str, object], person: dict[str, str]) -> RosterItem:
    return RosterItem(volunteer_id=UUID(str(row["volunteer_id"])), name=person.get("full_name", ""),
                      roles=str(row["roles"]).split(","), status=str(row["status"]),
                      municipality=str(row["municipality"]), registered_at=str(row["registered_at"]),
                      last_shift_at=None if row["last_shift_at"] is None else str(row["last_shift_at"]))


def _person(vault: Vault, person_id: str, access: Access, fields: tuple[str, ...] = ("full_name", "email", "phone"),
            ) -> dict[str, str]:
    try:
        return vault.get(UUID(person_id), access, fields=fields)
    except (PersonErased, KeyError):  # erased, or discarded: the row stays, without a name
        return {}
