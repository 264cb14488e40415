"""Campaigns HTTP routes: campaigns, contact import, eligibility, the dialer and the suppression list."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any, Literal
from uuid import UUID

from fastapi import APIRouter, Depends, File, Form, Query, Request, UploadFile
from pydantic import BaseModel, ConfigDict, Field, model_validator

from services.campaigns import reasons
from services.campaigns.application import CALLS_REACTION, CampaignsApplication, ContactState
from services.campaigns.calendar import ITALY_2024, WEEKDAY_NAMES, Policy, weekday_hours
from services.campaigns.contact_import import ImportReport
from services.campaigns.dialer.leasing import Dialer, Offer
from services.campaigns.domain.campaign import KINDS, Campaign, Status, parse_window
from services.identity.auth import CurrentAccess, CurrentUser
from services.kernel.clock import AwareInstant, Day

router = APIRouter(tags=["campaigns"])


def _campaigns(request: Request) -> CampaignsApplication:
    application: CampaignsApplication = request.app.state.applications["campaigns"]
    return application


def _dialer(request: Request) -> Dialer:
    return Dialer(_campaigns(request), calls=request.app.state.unhandled.get((CALLS_REACTION, "calls")))


Campaigns = Annotated[CampaignsApplication, Depends(_campaigns)]
Dialling = Annotated[Dialer, Depends(_dialer)]


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
def create_campaign(body: NewCampaign, app: Campaigns) -> CampaignOut:
    """Create a draft campaign with its script, calling window and policies."""
    w = body.window
    campaign_id = app.create_campaign(
        body.name, body.fund_id, body.goal, body.starts_on, body.ends_on,
        parse_window(w.weekdays, w.start, w.end, w.timezone), (body.policy, body.policy_version), body.priority,
        (body.script.text, body.script.privacy_notice), body.max_attempts)
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
def revise_script(campaign_id: UUID, body: Script, app: Campaigns) -> CampaignOut:
    """Add a new version of the script (it must carry the privacy/opt-out statement)."""
    app.revise_script(campaign_id, body.text, body.privacy_notice)
    return campaign_out(app, campaign_id)


class Reason(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: str = Field(default="", max_length=500)


@router.post("/campaigns/{campaign_id}/launch")
def launch(campaign_id: UUID, app: Campaigns) -> CampaignOut:
    """Launch a draft campaign (refused when the opposition register check is stale)."""
    app.launch(campaign_id)
    return campaign_out(app, campaign_id)


@router.post("/campaigns/{campaign_id}/pause")
def pause(campaign_id: UUID, body: Reason, app: Campaigns) -> CampaignOut:
    """Pause a running campaign: nobody is offered until it resumes."""
    app.pause(campaign_id, body.reason)
    return campaign_out(app, campaign_id)


@router.post("/campaigns/{campaign_id}/resume")
def resume(campaign_id: UUID, app: Campaigns) -> CampaignOut:
    """Resume a paused campaign."""
    app.resume(campaign_id)
    return campaign_out(app, campaign_id)


@router.post("/campaigns/{campaign_id}/complete")
def complete(campaign_id: UUID, body: Reason, app: Campaigns) -> CampaignOut:
    """Complete a campaign before its end date."""
    app.complete(campaign_id, body.reason or "completed by a manager")
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


class ProblemOut(BaseModel):
    line: int
    reason: str


class ImportedContactOut(BaseModel):
    line: int
    contact_id: UUID


class ImportOut(BaseModel):
    import_id: UUID
    rows: int
    imported: int
    merged: int
    invalid: int
    problems: list[ProblemOut]
    sha256: str
    contacts: list[ImportedContactOut]


def import_out(report: ImportReport) -> ImportOut:
    return ImportOut(import_id=report.import_id, rows=report.rows, imported=report.imported, merged=report.merged,
                     invalid=report.invalid, problems=[ProblemOut(line=p.line, reason=p.reason)
                                                       for p in report.problems], sha256=report.sha256,
                     contacts=[ImportedContactOut(line=line, contact_id=c) for line, c in report.contacts])


@router.post("/campaigns/{campaign_id}/contacts/import", status_code=201)
def import_contacts(campaign_id: UUID, file: Annotated[UploadFile, File()], app: Campaigns) -> ImportOut:
    """Import donors from a CSV file (UTF-8, ',' or ';'); invalid rows are reported by line and skipped."""
    return import_out(app.import_contacts(campaign_id, file.file))


class ImportProgressOut(BaseModel):
    import_id: str
    rows_read: int
    imported: int
    merged: int
    invalid: int
    done: bool
    started_at: str


@router.get("/campaigns/{campaign_id}/imports")
def list_imports(campaign_id: UUID, app: Campaigns) -> list[ImportProgressOut]:
    """Imports of this campaign with their progress (running ones included)."""
    rows = app.queue.query("SELECT * FROM imports WHERE campaign_id = ? ORDER BY started_at", (str(campaign_id),))
    return [ImportProgressOut(**{**r, "done": bool(r["done"])}) for r in rows]


class ContactsPage(BaseModel):
    contacts: list[ContactState]  # the application's immutable values, as they are
    next_after: UUID | None  # pass as `after` for the next page; null on the last one


State = Literal["fresh", "retry", "callback", "leased", "closed"]  # the due-queue's kinds (queue.contact_row)


@router.get("/campaigns/{campaign_id}/contacts")
def list_contacts(campaign_id: UUID, app: Campaigns, state: Annotated[State | None, Query()] = None,
                  after: Annotated[UUID | None, Query(description="the last contact id of the previous page")] = None,
                  limit: Annotated[int, Query(ge=1, le=500)] = 100) -> ContactsPage:
    """A campaign's contacts with their state, a page at a time, optionally of one state."""
    found = app.contacts(campaign_id, state, after, limit)
    return ContactsPage(contacts=list(found),
                        next_after=found[-1].contact_id if len(found) == limit else None)


class EligibilityOut(BaseModel):
    contact_id: UUID
    callable_now: bool
    reasons: list[str]
    next_at: datetime | None


@router.get("/campaigns/{campaign_id}/contacts/{contact_id}/eligibility")
def contact_eligibility(campaign_id: UUID, contact_id: UUID, app: Campaigns) -> EligibilityOut:
    """Why this contact can or cannot be called now, and when it next can."""
    verdict = app.eligibility(campaign_id, contact_id)
    return EligibilityOut(contact_id=contact_id, callable_now=verdict.callable_now, reasons=list(verdict.reasons),
                          next_at=verdict.next_at)


class ReasonOut(BaseModel):
    code: str = Field(description="stable, for a reader's language: e.g. closed_weekday, holiday, closed, weekly_cap")
    params: dict[str, Any] = Field(description="what the words depend on: days as ISO dates, times as HH:MM, "
                                   "weekdays 0 (Monday) to 6, holiday names by language")
    text: str = Field(description="in English")


class ReasonCountOut(ReasonOut):
    count: int


class WhyOut(BaseModel):
    campaign_id: UUID
    total: int
    callable_now: int
    campaign_blocked: list[str] = Field(description="what stops every contact; each is also a row of by_reason")
    campaign_blocks: list[ReasonOut] = Field(description="campaign_blocked, each with its code and parameters")
    by_reason: dict[str, int]
    reasons: list[ReasonCountOut] = Field(description="the rows of by_reason with their codes and parameters, "
                                          "most contacts first")
    next_window: datetime | None = Field(
        description="when contacts that wait only for the calling window may next be dialled (none if nobody waits "
        "for it, or the campaign is blocked)")
    why_none: str = Field(description="in one sentence, why nobody is callable now ('' when somebody is)")


@router.get("/campaigns/{campaign_id}/eligibility")
def campaign_eligibility(campaign_id: UUID, app: Campaigns) -> WhyOut:
    """Contacts counted by why they are (not) callable now: 'why is nobody being dialled?'."""
    summary = reasons.summarise(app, campaign_id)
    return WhyOut(campaign_id=campaign_id, total=summary.total, callable_now=summary.callable_now,
                  campaign_blocked=list(summary.campaign_blocked), by_reason=summary.by_reason,
                  why_none="" if summary.callable_now else summary.sentence(), **_why(summary))


def _why(summary: reasons.Summary) -> dict[str, Any]:
    """The structured half of a 'why is nobody dialled' answer, shared by the eligibility and the dialer."""
    return {"campaign_blocks": [ReasonOut(code=b.code, params=b.params, text=b.text) for b in summary.blocks],
            "reasons": [ReasonCountOut(code=c.reason.code, params=c.reason.params, text=c.reason.text, count=c.count)
                        for c in summary.reasons],
            "next_window": summary.next_window}


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


class VolunteerRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    volunteer_id: UUID


class HandBack(VolunteerRequest):
    reason: str = Field(default="", max_length=500)


class OfferOut(BaseModel):
    contact_id: UUID
    person_id: UUID
    kind: str
    attempts: int
    lease_id: str
    lease_until: datetime
    policy: str
    allowed_from: datetime
    allowed_until: datetime
    phone: str
    first_name: str
    last_name: str
    script: str
    script_version: int


class NextContactOut(BaseModel):
    offer: OfferOut | None
    why_none: str
    campaign_blocks: list[ReasonOut] = Field(default=[], description="with no offer: what stops every contact")
    reasons: list[ReasonCountOut] = Field(default=[], description="with no offer: the contacts counted by why they "
                                          "are not callable, with codes and parameters as in the eligibility answer")
    next_window: datetime | None = Field(default=None, description="with no offer: when the calling window opens")


def offer_out(offer: Offer) -> OfferOut:
    return OfferOut(contact_id=offer.contact_id, person_id=offer.person_id, kind=offer.kind, attempts=offer.attempts,
                    lease_id=offer.lease_id, lease_until=offer.lease_until, policy=offer.policy,
                    allowed_from=offer.allowed.start, allowed_until=offer.allowed.end, phone=offer.phone,
                    first_name=offer.first_name, last_name=offer.last_name, script=offer.script,
                    script_version=offer.script_version)


@router.post("/campaigns/{campaign_id}/dialer/next")
def next_contact(campaign_id: UUID, body: VolunteerRequest, dialer: Dialling, app: Campaigns,
                 access: CurrentAccess) -> NextContactOut:
    """Lease the best due contact to a clocked-in volunteer (callbacks, then retries, then fresh)."""
    offer = dialer.next_contact(campaign_id, body.volunteer_id, access)
    if offer is not None:
        return NextContactOut(offer=offer_out(offer), why_none="")
    summary = reasons.summarise(app, campaign_id)
    return NextContactOut(offer=None, why_none=summary.sentence(), **_why(summary))


class LeaseOut(BaseModel):
    contact_id: UUID
    lease_until: datetime


@router.post("/campaigns/{campaign_id}/contacts/{contact_id}/lease/renew")
def renew_lease(campaign_id: UUID, contact_id: UUID, body: VolunteerRequest, app: Campaigns) -> LeaseOut:
    """Extend the volunteer's lease on a contact."""
    return LeaseOut(contact_id=contact_id, lease_until=app.renew(contact_id, body.volunteer_id))


@router.post("/campaigns/{campaign_id}/contacts/{contact_id}/lease/release", status_code=204)
def hand_back(campaign_id: UUID, contact_id: UUID, body: HandBack, app: Campaigns) -> None:
    """Hand a leased contact back to the queue without an attempt."""
    app.hand_back(contact_id, body.volunteer_id, body.reason)


class PersonRef(BaseModel):
    model_config = ConfigDict(extra="forbid")
    phone: str | None = Field(default=None, min_length=3, max_length=40)
    person_id: UUID | None = None
    source: str = Field(min_length=1, max_length=200)

    @model_validator(mode="after")
    def one_way_to_name_the_person(self) -> PersonRef:
        if (self.phone is None) == (self.person_id is None):
            raise ValueError("give exactly one of phone or person_id")
        return self


class Consent(PersonRef):
    given_by: str = Field(min_length=1, max_length=200)
    given_at: AwareInstant | None = None


class ChoiceOut(BaseModel):
    kind: Literal["opted_out", "consented"]
    at: datetime
    source: str = Field(description="how it came: the channel or document")
    given_by: str = Field(description="who expressed it, as recorded (empty for an opt-out said on a call)")
    recorded_by: str = Field(description="the account, key or volunteer that recorded it")
    contact_id: str = Field(description="the campaign contact whose call it came from, or empty")


class PersonOut(BaseModel):
    person_id: UUID
    suppressed: str
    opted_out_at: datetime | None
    consent_at: datetime | None
    register_listed_on: str | None
    choices: list[ChoiceOut] = Field(description="every opt-out and consent, oldest first; none is ever dropped")


def person_out(app: CampaignsApplication, person_id: UUID) -> PersonOut:
    p = app.person(person_id)
    return PersonOut(person_id=person_id, suppressed=p.suppression(), opted_out_at=p.opted_out_at,
                     consent_at=p.consent_at, register_listed_on=p.register_listed_on,
                     choices=[ChoiceOut.model_validate(c.record()) for c in p.choices])


def _person_id(app: CampaignsApplication, ref: PersonRef) -> UUID:
    return ref.person_id if ref.person_id is not None else app.person_id(ref.phone or "")


@router.post("/suppression/opt-outs", status_code=201, tags=["suppression"])
def opt_out(body: PersonRef, app: Campaigns, user: CurrentUser) -> PersonOut:
    """Put a person on the do-not-call list at once, for every campaign."""
    person_id = _person_id(app, body)
    app.opt_out(person_id, body.source, recorded_by=user.label)
    return person_out(app, person_id)


@router.post("/suppression/consents", status_code=201, tags=["suppression"])
def reconsent(body: Consent, app: Campaigns, user: CurrentUser) -> PersonOut:
    """Record a person's renewed consent (who gave it, when, from which source); earlier opt-outs stay on record."""
    person_id = _person_id(app, body)
    app.reconsent(person_id, body.given_by, body.source, body.given_at, recorded_by=user.label)
    return person_out(app, person_id)


@router.get("/suppression/persons/{person_id}", tags=["suppression"])
def get_person(person_id: UUID, app: Campaigns) -> PersonOut:
    """A person's suppression state."""
    return person_out(app, person_id)


class RegisterOut(BaseModel):
    checked_on: date
    listed: int
    cleared: int
    invalid: int
    problems: list[ProblemOut]


@router.post("/suppression/register", status_code=201, tags=["suppression"])
def import_register(file: Annotated[UploadFile, File()], checked_on: Annotated[Day, Form()],
                    app: Campaigns) -> RegisterOut:
    """Import the national opposition register (one number per line, header 'phone') with its check date."""
    report = app.import_register(file.file, checked_on)
    return RegisterOut(checked_on=report.checked_on, listed=report.listed, cleared=report.cleared,
                       invalid=report.invalid, problems=[ProblemOut(line=p.line, reason=p.reason)
                                                         for p in report.problems])

