"""Thank-you letters and receipts: the per-fund plan (administrators, campaign managers; coordinators read it), one
payment's thank-you, and a donor's receipts of a year sent by e-mail on request."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from services.identity.auth import CurrentAccess
from services.kernel.errors import DomainError, NotFound
from services.kernel.idempotency import Once
from services.mail import thanks
from services.mail.api.dependency import Mail
from services.mail.application import MailApplication
from services.mail.domain.template import Template
from services.mail.domain.thanks import MAX_DELAY_DAYS, FundThanks, ThankYou
from services.mail.transport import RelayDown

router = APIRouter(tags=["mail"])


class RelayUnavailable(DomainError):
    status_code = 503


class FundPlanIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    template_id: UUID = Field(description="a transactional template with a published version")
    delay_days: int = Field(ge=0, le=MAX_DELAY_DAYS, description="days after the payment; 0: at the next batch")
    enabled: bool = True


class FundPlanOut(BaseModel):
    fund_id: UUID
    fund_name: str
    template_id: UUID
    template_name: str
    delay_days: int
    enabled: bool
    set_by: str
    set_at: datetime


class ReceiptsPlanIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    template_id: UUID | None = Field(description="a transactional template; null: the built-in plain text")
    year_end: bool = Field(description="send every donor the last year's receipts from 15 January")


class ReceiptsPlanOut(BaseModel):
    template_id: UUID | None
    template_name: str | None
    year_end: bool


class Choice(BaseModel):
    id: UUID
    name: str


class PlanOut(BaseModel):
    funds: list[FundPlanOut]
    receipts: ReceiptsPlanOut
    known_funds: list[Choice] = Field(description="every fund, for a new line of the plan")
    templates: list[Choice] = Field(description="the transactional templates with a published version")


class ThankYouOut(BaseModel):
    payment_id: UUID
    pledge_id: UUID
    donor_id: UUID
    fund_id: UUID
    amount: str
    paid_on: str
    due_on: str | None
    status: str = Field(description="due, sent, refused or skipped")
    reason: str = Field(description="why it was skipped or refused; empty otherwise")
    delivery_id: UUID | None


class ReceiptIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    donor_id: UUID
    year: int = Field(ge=2000, le=9999)


class ReceiptOut(BaseModel):
    donor_id: UUID
    year: int
    files: list[str]
    status: str = Field(description="accepted, refused, skipped (and why), or queued")
    reason: str
    delivery_id: UUID | None


@router.get("/mail/thanks")
def get_plan(mail: Mail) -> PlanOut:
    """The thank-you plan: a line per fund, and how receipts are sent."""
    return _plan_out(mail)


@router.put("/mail/thanks/funds/{fund_id}")
def set_fund_plan(fund_id: UUID, body: FundPlanIn, mail: Mail, access: CurrentAccess, once: Once) -> FundPlanOut:
    """How gifts to this fund are thanked: which transactional template, how many days after, on or off."""
    line = thanks.set_fund(mail, fund_id, body.template_id, body.delay_days, body.enabled, by=access.actor, once=once)
    return _fund_out(mail, line)


@router.put("/mail/thanks/receipts")
def set_receipts_plan(body: ReceiptsPlanIn, mail: Mail, access: CurrentAccess, once: Once) -> ReceiptsPlanOut:
    """Which template sends receipts, and whether every donor gets the last year's at year end."""
    thanks.set_receipts(mail, body.template_id, body.year_end, by=access.actor, once=once)
    return _plan_out(mail).receipts


@router.get("/mail/thanks/payments/{payment_id}")
def get_thank_you(payment_id: UUID, mail: Mail) -> ThankYouOut:
    """The thank-you owed for one payment: due (on which day), sent, or skipped and why."""
    t: ThankYou = thanks.thank_you(mail, payment_id)
    return ThankYouOut(payment_id=t.payment_id, pledge_id=t.pledge_id, donor_id=t.person_id, fund_id=t.fund_id,
                       amount=str(t.amount), paid_on=t.paid_on.isoformat(),
                       due_on=t.due_on.isoformat() if t.due_on else None, status=t.status.value, reason=t.reason,
                       delivery_id=t.delivery_id)


@router.post("/mail/receipts", status_code=202)
def send_receipt(body: ReceiptIn, mail: Mail, access: CurrentAccess, once: Once) -> ReceiptOut:
    """E-mail the donor their numbered receipts of the year now, the PDFs attached (503 when the relay is down)."""
    try:
        sent = thanks.send_receipt(mail, mail.receipts, body.donor_id, body.year, by=access.actor, once=once)
    except RelayDown as down:
        raise RelayUnavailable(f"the mail relay cannot be reached ({down}); nothing was sent, try again later") \
            from None
    return ReceiptOut(donor_id=sent.donor_id, year=sent.year, files=list(sent.files), status=sent.status,
                      reason=sent.reason, delivery_id=sent.delivery_id)


def _template_name(mail: MailApplication, template_id: UUID | None) -> str | None:
    if template_id is None:
        return None
    try:
        return mail.get(template_id, Template).name
    except NotFound:
        return None


def _fund_out(mail: MailApplication, line: FundThanks) -> FundPlanOut:
    return FundPlanOut(fund_id=line.fund_id, fund_name=thanks.fund_name_or_blank(mail, line.fund_id),
                       template_id=line.template_id, template_name=_template_name(mail, line.template_id) or "",
                       delay_days=line.delay_days, enabled=line.enabled, set_by=line.set_by, set_at=line.set_at)


def _plan_out(mail: MailApplication) -> PlanOut:
    plan = thanks.plan(mail)
    funds = sorted((_fund_out(mail, line) for line in plan.funds.values()), key=lambda f: f.fund_name.casefold())
    return PlanOut(funds=funds, receipts=ReceiptsPlanOut(
        template_id=plan.receipt_template_id, template_name=_template_name(mail, plan.receipt_template_id),
        year_end=plan.year_end_receipts),
        known_funds=[Choice(id=i, name=n) for i, n in thanks.known_funds(mail)],
        templates=[Choice(id=i, name=n) for i, n in thanks.letter_templates(mail)])
