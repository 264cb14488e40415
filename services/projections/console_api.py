"""Query routes the console's pages read and the service APIs do not offer: the campaign list, allowed callback
times, the names of a campaign's volunteers, and the hours of every volunteer (for the chart and the CSV)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal
from uuid import UUID

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, Field

from services.identity.auth import CurrentUser
from services.identity.domain import Access, Actor
from services.kernel.clock import Clock
from services.kernel.errors import NotFound
from services.kernel.readmodel import ReadStore
from services.privacy.application import PrivacyVault
from services.privacy.domain import PersonErased
from services.projections import campaign_progress, catalogue, roster, volunteer_hours

# Under /console/api, where the pages have always read them; the console's CSV export shares the prefix.
router = APIRouter(prefix="/console/api", tags=["console"])
Period = Literal["week", "month"]


async def _stores(request: Request) -> dict[str, ReadStore]:
    stores: dict[str, ReadStore] = request.app.state.read_stores
    return stores


async def _clock(request: Request) -> Clock:
    clock: Clock = request.app.state.product.clock
    return clock


async def _vault(request: Request) -> PrivacyVault:
    vault: PrivacyVault = request.app.state.vault
    return vault


Stores = Annotated[dict[str, ReadStore], Depends(_stores)]
Now = Annotated[Clock, Depends(_clock)]
Vault = Annotated[PrivacyVault, Depends(_vault)]


class CampaignItem(BaseModel):
    campaign_id: UUID
    name: str
    fund_id: UUID
    status: str
    starts_on: str
    ends_on: str


class Slots(BaseModel):
    campaign_id: UUID
    slots: list[datetime]


class VolunteerName(BaseModel):
    volunteer_id: UUID
    name: str = Field(description="empty when the volunteer was erased")


class Hours(BaseModel):
    period: str
    shift_hours: float
    talk_hours: float
    calls: int
    training_hours: float


class VolunteerHours(BaseModel):
    volunteer_id: UUID
    name: str
    total_hours: float
    periods: list[Hours]


class HoursOverview(BaseModel):
    period: Period
    centre: list[Hours]
    volunteers: list[VolunteerHours]


@router.get("/campaigns")
def list_campaigns(stores: Stores) -> list[CampaignItem]:
    """Every campaign with its state, newest first."""
    return [CampaignItem(**row) for row in catalogue.campaigns(stores["console"])]


@router.get("/campaigns/{campaign_id}/callback-slots")
def callback_slots(campaign_id: UUID, stores: Stores, clock: Now) -> Slots:
    """The callback times a volunteer may offer: inside the campaign window and the Italian calendar."""
    row = catalogue.campaign(stores["console"], str(campaign_id))
    if row is None:
        raise NotFound(f"campaign {campaign_id} not found (it may not be projected yet)")
    return Slots(campaign_id=campaign_id, slots=catalogue.callback_slots(row, clock.now()))


@router.get("/campaigns/{campaign_id}/volunteers")
def campaign_volunteers(campaign_id: UUID, stores: Stores, vault: Vault, user: CurrentUser) -> list[VolunteerName]:
    """The names of the volunteers who have called for the campaign, for its dashboard's conversion table.
    Each name is read from the privacy vault and the read is in the access log: the dashboard asks again only
    when a volunteer it does not know appears, not on every refresh."""
    return [VolunteerName(volunteer_id=row["volunteer_id"],
                          name=_name(vault, row["volunteer_id"], Access(user, f"campaign {campaign_id} dashboard")))
            for row in campaign_progress.volunteers(stores["campaign_progress"], str(campaign_id))]


@router.get("/hours")
def hours_overview(stores: Stores, vault: Vault, user: CurrentUser, period: Period = "week") -> HoursOverview:
    """The centre's hours and every volunteer's, per ISO week or month, with volunteers' names."""
    return overview(stores, vault, user, period)


def overview(stores: dict[str, ReadStore], vault: PrivacyVault, by: Actor, period: Period,
             idle: bool = True) -> HoursOverview:
    """Hours per period, the names read by `by`; `idle` keeps the volunteers with no hours in any period (their
    names are read too)."""
    hours = stores["volunteer_hours"]
    volunteers = []
    for entry in roster.volunteers(stores["roster"], limit=10_000):
        periods = [_hours(r) for r in volunteer_hours.by_volunteer(hours, entry["volunteer_id"], period)]
        if not periods and not idle:
            continue
        name = _name(vault, entry["volunteer_id"], Access(by, "volunteer hours report"))
        volunteers.append(VolunteerHours(volunteer_id=entry["volunteer_id"], name=name,
                                         total_hours=round(sum(p.shift_hours for p in periods), 2), periods=periods))
    volunteers.sort(key=lambda v: (-v.total_hours, v.name))
    return HoursOverview(period=period, centre=[_hours(r) for r in volunteer_hours.centre(hours, period)],
                         volunteers=volunteers)


def _hours(row: dict[str, object]) -> Hours:
    def h(key: str) -> float:
        return round(int(str(row[key] or 0)) / 3600, 2)
    return Hours(period=str(row["period"]), shift_hours=h("shift_seconds"), talk_hours=h("talk_seconds"),
                 calls=int(str(row["calls"] or 0)), training_hours=h("training_seconds"))


def _name(vault: PrivacyVault, volunteer_id: str, access: Access) -> str:
    try:
        shown = vault.get(UUID(volunteer_id), access, fields=("full_name",))
        return shown.get("full_name", "")
    except (PersonErased, KeyError):
        return ""
