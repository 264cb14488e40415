"""Campaign routes: create, list, script, lifecycle, the calling policy and the forecast."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict, Field

from services.campaigns.api.dependency import Campaigns
from services.campaigns.application import CampaignsApplication
from services.campaigns.calendar import ITALY_2024, WEEKDAY_NAMES, Policy, weekday_hours
from services.campaigns.domain.campaign import KINDS, Campaign, Status, parse_window
from services.kernel.clock import Day
from services.kernel.idempotency import Once

router = APIRouter(tags=["campaigns"])


class Window(BaseModel):
    model_config = ConfigDict(extra="forbid")
    weekdays: list[int] = Field(default=[0, 1, 2, 3, 4, 5], min_length=1, max_length=7)
    start: str = Field(default="10:00", max_length=5)
    end: str = Field(default="20:00", max_length=5)
    timezone: str = Field(default="Europe/Rome", max_length=64,
                          description="the campaign's home zone (where its dates end); the hours are read in each "
                                      "donor's local time")


class Script(BaseModel):
    model_config = ConfigDict(extra="forbid")
    text: str = Field(min_length=1, max_length=20000)
    privacy_notice: str = Field(min_length=1, max_length=5000)


class NewCampaign(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1, max_length=200)
    fund_id: UUID
    goal: Decimal = Field(gt=0, max_digits=12, decimal_places=2)
    starts_on: Day
    ends_on: Day
    window: Window = Window()
    policy: str = Field(default=ITALY_2024.name, max_length=100)
    policy_version: int = Field(default=ITALY_2024.version, ge=1, le=1000)
    priority: list[str] = Field(default=list(KINDS), min_length=3, max_length=3)
    max_attempts: int = Field(default=5, ge=1, le=20)
    script: Script


class CampaignOut(BaseModel):
    id: UUID
    name: str
    status: str
    fund_id: UUID
    goal: Decimal
    starts_on: date
    ends_on: date
    policy: str
    script_version: int
    version: int


def campaign_out(app: CampaignsApplication, campaign_id: UUID) -> CampaignOut:
    return campaign_value(app.campaign(campaign_id))


def campaign_value(c: Campaign) -> CampaignOut:
    return CampaignOut(id=c.id, name=c.name, status=str(c.status), fund_id=c.fund_id, goal=c.goal,
                       starts_on=date.fromisoformat(c.starts_on), ends_on=date.fromisoformat(c.ends_on),
                       policy=c.policy.label, script_version=len(c.scripts), version=c.version)


@router.post("/campaigns", status_code=201)
def create_campaign(body: NewCampaign, app: Campaigns, once: Once) -> CampaignOut:
    """Create a draft campaign with its script, calling window and policies."""
    w = body.window
    campaign_id = app.create_campaign(
        body.name, body.fund_id, body.goal, body.starts_on, body.ends_on,
        parse_window(w.weekdays, w.start, w.end, w.timezone), (body.policy, body.policy_version), body.priority,
        (body.script.text, body.script.privacy_notice), body.max_attempts, once=once)
    return campaign_out(app, campaign_id)


@router.get("/campaigns")
def list_campaigns(app: Campaigns, status: Annotated[Status | None, Query()] = None) -> list[CampaignOut]:
    """Every campaign with its state, newest first (of one status when given)."""
    return [campaign_value(c) for c in app.campaigns(str(status) if status else None)]


@router.get("/campaigns/{campaign_id}")
def get_campaign(campaign_id: UUID, app: Campaigns) -> CampaignOut:
    """One campaign's state."""
    return campaign_out(app, campaign_id)


@router.post("/campaigns/{campaign_id}/script")
def revise_script(campaign_id: UUID, body: Script, app: Campaigns, once: Once) -> CampaignOut:
    """Add a new version of the script (it must carry the privacy/opt-out statement)."""
    app.revise_script(campaign_id, body.text, body.privacy_notice, once=once)
    return campaign_out(app, campaign_id)


class Reason(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: str = Field(default="", max_length=500)


@router.post("/campaigns/{campaign_id}/launch")
def launch(campaign_id: UUID, app: Campaigns, once: Once) -> CampaignOut:
    """Launch a draft campaign (refused when the opposition register check is stale)."""
    app.launch(campaign_id, once=once)
    return campaign_out(app, campaign_id)


@router.post("/campaigns/{campaign_id}/pause")
def pause(campaign_id: UUID, body: Reason, app: Campaigns, once: Once) -> CampaignOut:
    """Pause a running campaign: nobody is offered until it resumes."""
    app.pause(campaign_id, body.reason, once=once)
    return campaign_out(app, campaign_id)


@router.post("/campaigns/{campaign_id}/resume")
def resume(campaign_id: UUID, app: Campaigns, once: Once) -> CampaignOut:
    """Resume a paused campaign."""
    app.resume(campaign_id, once=once)
    return campaign_out(app, campaign_id)


@router.post("/campaigns/{campaign_id}/complete")
def complete(campaign_id: UUID, body: Reason, app: Campaigns, once: Once) -> CampaignOut:
    """Complete a campaign before its end date."""
    app.complete(campaign_id, body.reason or "completed by a manager", once=once)
    return campaign_out(app, campaign_id)


class WindowOut(BaseModel):
    weekdays: list[str]
    hours: str
    # the window is read where the donor is (see the calling window in the README)
    in_: str = Field(serialization_alias="in")


class PatronDayOut(BaseModel):
    municipality: str
    month: int
    day: int


class PolicyOut(BaseModel):
    policy: str
    name: str
    version: int
    country: str
    governs_numbers_in: list[str]
    hours_by_weekday: dict[str, str | None]
    eve_of_a_public_holiday_ends_at: str
    public_holidays: str
    patron_saint_days: list[PatronDayOut]
    attempts_per_person_per_week: int
    rest_days_after_a_conversation: int
    rest_days_after_an_abandoned_call: int
    register_max_age_days: int
    campaign_window: WindowOut


def policy_out(policy: Policy, campaign: Campaign) -> PolicyOut:
    window = campaign.window
    hours = {name: weekday_hours(policy, day) for day, name in enumerate(WEEKDAY_NAMES)}
    return PolicyOut(
        policy=policy.label, name=policy.name, version=policy.version, country=policy.country,
        governs_numbers_in=sorted(policy.timezones),
        hours_by_weekday={name: str(h) if h else None for name, h in hours.items()},
        eve_of_a_public_holiday_ends_at=f"{policy.short_day_end:%H:%M}",
        public_holidays=f"closed on the public holidays of {policy.country} and on a municipality's patron saint's day",
        patron_saint_days=[PatronDayOut(municipality=t, month=m, day=d) for t, m, d in policy.patron_days],
        attempts_per_person_per_week=policy.weekly_attempts,
        rest_days_after_a_conversation=policy.conversation_rest_days,
        rest_days_after_an_abandoned_call=policy.abandoned_rest_days,
        register_max_age_days=policy.register_max_age_days,
        campaign_window=WindowOut(weekdays=[WEEKDAY_NAMES[d] for d in sorted(window.weekdays)],
                                  hours=str(window.hours), in_="the contact's local time"))


@router.get("/campaigns/{campaign_id}/policy", response_model_by_alias=True)
def campaign_policy(campaign_id: UUID, app: Campaigns) -> PolicyOut:
    """The campaign's calling policy with its numbers: hours by weekday, caps, pauses, register age."""
    campaign = app.campaign(campaign_id)
    return policy_out(campaign.policy, campaign)


class ForecastOut(BaseModel):
    basis: str
    open_contacts: int
    handle_seconds: int
    volunteer_hours: Decimal
    scheduled_contacts: int | None
    contacts_per_day: int
    exhausted_on: date | None


@router.get("/campaigns/{campaign_id}/forecast")
def forecast(campaign_id: UUID, app: Campaigns,
             volunteers: Annotated[int | None, Query(ge=1, le=10000, description="what-if: volunteers a day")] = None,
             hours_per_day: Annotated[Decimal | None, Query(gt=0, le=24, description="what-if: hours each")] = None,
             handle_seconds: Annotated[int | None, Query(ge=10, le=7200)] = None) -> ForecastOut:
    """When the callable contacts run out: from the scheduled outreach shifts, or a what-if of volunteers x hours."""
    return ForecastOut(**vars(app.forecast(campaign_id, volunteers, hours_per_day, handle_seconds)))
