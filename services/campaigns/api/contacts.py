"""Contact routes: import a donor list, its progress, the contacts page, and why (nobody) is callable now."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal
from uuid import UUID

from fastapi import APIRouter, File, Query, UploadFile
from pydantic import BaseModel, Field

from services.campaigns import reasons
from services.campaigns.api.dependency import Campaigns
from services.campaigns.contact_import import ImportReport
from services.campaigns.dialer.queue import ContactState
from services.kernel.idempotency import Once

router = APIRouter(tags=["campaigns"])


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
def import_contacts(campaign_id: UUID, file: Annotated[UploadFile, File()], app: Campaigns,
                    once: Once) -> ImportOut:
    """Import donors from a CSV file (UTF-8, ',' or ';'); invalid rows are reported by line and skipped."""
    return import_out(app.import_contacts(campaign_id, file.file, once=once))


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
                  why_none="" if summary.callable_now else summary.sentence(), **why_parts(summary))


def why_parts(summary: reasons.Summary) -> dict[str, Any]:
    """The structured half of a 'why is nobody dialled' answer, shared by the eligibility and the dialer."""
    return {"campaign_blocks": [ReasonOut(code=b.code, params=b.params, text=b.text) for b in summary.blocks],
            "reasons": [ReasonCountOut(code=c.reason.code, params=c.reason.params, text=c.reason.text, count=c.count)
                        for c in summary.reasons],
            "next_window": summary.next_window}
